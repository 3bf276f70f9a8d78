//! `jobs list`, `jobs retry`, `jobs discard`: the background jobs of a database, and what to
//! do about the dead ones.

use super::{Cli, JobIdArg, JobsListArgs};
use crate::db::rows::GroupCategory;
use crate::jobs::{Discarded, Listed};

fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One readable line per job: what it does, its state, attempts and last error (on one line).
fn job_line(listed: &Listed) -> String {
    let job = &listed.job;
    let state = match job.dead_at {
        Some(dead) => format!("dead since {}", timestamp(dead)),
        None if job.attempts > 0 => format!("retrying at {}", timestamp(job.run_at)),
        None => format!("due at {}", timestamp(job.run_at)),
    };
    let mut line = format!(
        "job {}: {} for category {} of course {}, {state}, {} attempt{}",
        job.id,
        job.kind,
        job.category_id,
        listed.course_id,
        job.attempts,
        if job.attempts == 1 { "" } else { "s" }
    );
    if let Some(error) = &job.last_error {
        let error: String = error.split_whitespace().collect::<Vec<_>>().join(" ");
        line.push_str(&format!("; last error: {error}"));
    }
    line
}

pub(super) fn list(cli: &Cli, args: &JobsListArgs) -> Result<(), String> {
    let db = super::open(cli)?;
    let all = db
        .read_sync(|conn| crate::jobs::list(conn, args.dead))
        .map_err(|e| e.cause())?;
    if all.is_empty() {
        println!("{}", if args.dead { "no dead jobs" } else { "no jobs" });
    }
    for listed in &all {
        println!("{}", job_line(listed));
    }
    Ok(())
}

pub(super) fn retry(cli: &Cli, args: &JobIdArg) -> Result<(), String> {
    let db = super::open(cli)?;
    let listed = db
        .write_sync(|conn| crate::jobs::retry(conn, args.id))
        .map_err(|e| e.cause())?;
    let job = &listed.job;
    println!(
        "job {}: {} for category {} is due again, attempts reset",
        job.id, job.kind, job.category_id
    );
    if listed.category_status == GroupCategory::PROCESSING {
        println!(
            "category {} is processing again (Status 0) until the job completes it",
            job.category_id
        );
    }
    Ok(())
}

pub(super) fn discard(cli: &Cli, args: &JobIdArg) -> Result<(), String> {
    let db = super::open(cli)?;
    let (listed, outcome) = db
        .write_sync(|conn| crate::jobs::discard(conn, args.id))
        .map_err(|e| e.cause())?;
    let job = &listed.job;
    println!(
        "job {}: {} for category {} discarded",
        job.id, job.kind, job.category_id
    );
    match outcome {
        Discarded::CategoryDeleted => println!(
            "category {} was never created (no groups) and nothing would finish it; it is deleted",
            job.category_id
        ),
        Discarded::CategoryKept => println!(
            "category {} is kept as it is; the job's work is not done",
            job.category_id
        ),
    }
    Ok(())
}
