//! Shared set-up for the benchmarks: the test harness's spawned app, and seeding a course with
//! many learners straight into the database (through HTTP it would take minutes).
#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
pub mod common;
pub mod http;
pub mod load;

use std::time::{Duration, Instant};

use chrono::Utc;
use d2l_groups::db::rows::{Enrollment, NewUser};
use d2l_groups::db::{Db, DbConnection};
use d2l_groups::schema::{enrollments, roles, users};
use diesel::prelude::*;

/// Inserts `count` users enrolled as Students in `course`, then refreshes the planner's
/// statistics; answers their ids.
pub fn seed_learners(db: &Db, course: i64, count: usize) -> Vec<i64> {
    let started = Instant::now();
    let ids = seed_users(db, count);
    enroll_learners(db, course, &ids);
    println!(
        "  seeded {count} learners into course {course} in {:.2?}",
        started.elapsed()
    );
    ids
}

/// The default institution's id and its Student role's id.
pub fn student_role(conn: &mut DbConnection) -> d2l_groups::error::ApiResult<(i64, i64)> {
    Ok(roles::table
        .filter(roles::name.eq("Student"))
        .filter(roles::institution_id.eq(1))
        .select((roles::institution_id, roles::id))
        .first(conn)?)
}

/// Inserts `count` active users of the default institution, enrolled nowhere, in batches of
/// 1,000 in one transaction; answers their ids in ascending order.
pub fn seed_users(db: &Db, count: usize) -> Vec<i64> {
    let mut ids: Vec<i64> = db
        .write_sync(|conn| {
            let (institution_id, _) = student_role(conn)?;
            let now = Utc::now().naive_utc();
            let tag = uuid::Uuid::new_v4().simple().to_string();
            let new_users: Vec<NewUser> = (0..count)
                .map(|i| NewUser {
                    institution_id,
                    user_name: format!("learner{i}-{tag}"),
                    user_name_key: format!("learner{i}-{tag}"),
                    first_name: "Learner".into(),
                    middle_name: None,
                    last_name: format!("{i}"),
                    external_email: None,
                    org_defined_id: None,
                    pronouns: None,
                    is_active: true,
                    created_at: now,
                })
                .collect();
            for chunk in new_users.chunks(1000) {
                match conn {
                    DbConnection::Pg(c) => {
                        diesel::insert_into(users::table).values(chunk).execute(c)?
                    }
                    DbConnection::Sqlite(c) => {
                        diesel::insert_into(users::table).values(chunk).execute(c)?
                    }
                };
            }
            Ok(users::table
                .filter(users::user_name_key.like(format!("learner%-{tag}")))
                .select(users::id)
                .load(conn)?)
        })
        .expect("seed users");
    ids.sort_unstable();
    analyze(db);
    ids
}

/// Fresh statistics after a bulk load, so the planner does not take a large table for empty.
/// Only the seeded tables: a bare `ANALYZE` on PostgreSQL walks every schema of the shared
/// test database, every other test's included.
pub fn analyze(db: &Db) {
    if let Ok(mut conn) = db.conn() {
        for table in ["users", "enrollments", "org_unit_members"] {
            let sql = format!("ANALYZE {table}");
            let _ = match &mut *conn {
                DbConnection::Pg(c) => diesel::sql_query(sql).execute(c),
                DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
            };
        }
    }
}

/// Drops the PostgreSQL schema a benchmark ran in (a bench seeds far more rows than a test, and
/// nothing else would remove them); SQLite files live in the temp dir and are left alone.
pub fn drop_schema(app: &common::TestApp) {
    let Some(schema) = app
        .database_url
        .split("search_path%3D")
        .nth(1)
        .map(|s| s.split('&').next().unwrap_or(s).to_string())
    else {
        return;
    };
    if let Ok(mut conn) = app.state.db.conn() {
        if let DbConnection::Pg(c) = &mut *conn {
            let _ = diesel::sql_query(format!("DROP SCHEMA {schema} CASCADE")).execute(c);
        }
    }
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The `p`-th percentile (0–100, nearest rank) of samples sorted in ascending order; zero when
/// there are none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn backend() -> &'static str {
    if common::is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Prints one figure against its target; answers whether it met it.
pub fn report(what: &str, took: Duration, target: Duration) -> bool {
    let ok = took <= target;
    println!(
        "{:<10} {what:<60} {:>9.1} ms  (target < {:>6.0} ms)  {}",
        backend(),
        took.as_secs_f64() * 1000.0,
        target.as_secs_f64() * 1000.0,
        if ok { "ok" } else { "MISSED" }
    );
    ok
}

/// `BENCH_QUICK=1` (any value but empty or `0`): smaller sizes and shorter phases, for CI and
/// for trying a change. A quick run prints the same lines, but its figures are not judged
/// against the targets (those are for the full sizes): it exits non-zero only when the
/// harness itself is broken — a panic, or a count that does not add up.
pub fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0")
}

/// `full` normally, `small` under `BENCH_QUICK`.
pub fn sized<T>(full: T, small: T) -> T {
    if quick() {
        small
    } else {
        full
    }
}

/// Enrolls users that exist already (from [`seed_users`]) as Students in `course`, in batches
/// of 1,000 in one transaction, and refreshes the statistics.
pub fn enroll_learners(db: &Db, course: i64, ids: &[i64]) {
    db.write_sync(|conn| {
        let (institution_id, student) = student_role(conn)?;
        let now = Utc::now().naive_utc();
        let rows: Vec<Enrollment> = ids
            .iter()
            .map(|user_id| Enrollment {
                user_id: *user_id,
                org_unit_id: course,
                institution_id,
                role_id: student,
                is_cascading: false,
                created_at: now,
                enrolled_by_user_id: None,
            })
            .collect();
        for chunk in rows.chunks(1000) {
            match conn {
                DbConnection::Pg(c) => diesel::insert_into(enrollments::table)
                    .values(chunk)
                    .execute(c)?,
                DbConnection::Sqlite(c) => diesel::insert_into(enrollments::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        Ok(())
    })
    .expect("enroll learners");
    analyze(db);
}

/// Prints a ratio against its target (`at_most`: the ratio must not exceed it, else it must
/// reach it); answers whether it met it.
pub fn report_ratio(what: &str, ratio: f64, target: f64, at_most: bool) -> bool {
    let ok = if at_most {
        ratio <= target
    } else {
        ratio >= target
    };
    println!(
        "{:<10} {what:<60} {:>9.2}×     (target {} {:>4.2}×)  {}",
        backend(),
        ratio,
        if at_most { "≤" } else { "≥" },
        target,
        if ok { "ok" } else { "MISSED" }
    );
    ok
}

/// What a bench does once it has printed its figures: exit 1 when a target was missed in a
/// full run; a quick run says it did not judge them and exits 0.
pub fn finish(met: bool) {
    if quick() {
        println!("(BENCH_QUICK: smaller sizes; the targets above are for the full run and were not judged)");
    } else if !met {
        std::process::exit(1);
    }
}

/// The machine's 1-, 5- and 15-minute load averages (`/proc/loadavg`), printed beside the
/// figures: on a shared machine they say how far to trust them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// CPU time spent so far by this process's threads named `name` (`/proc/self/task/*/comm`),
/// from the kernel's scheduler statistics (nanoseconds); `None` where /proc does not say.
/// Wall times on a shared machine mostly measure the other tenants; CPU time much less so.
pub fn threads_cpu(name: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            total += schedstat(&path.join("schedstat"))?;
            found = true;
        }
    }
    found.then_some(total)
}

/// CPU time spent so far by the calling thread.
pub fn this_thread_cpu() -> Option<Duration> {
    schedstat(std::path::Path::new("/proc/thread-self/schedstat"))
}

fn schedstat(path: &std::path::Path) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}
