//! Durable background jobs: group creation and allocation after a self-enrollment expiry.
//!
//! A job is a row. The worker claims one due job, does its work and deletes the row in one
//! transaction, so a crash mid-job rolls everything back and the job runs again on the next
//! start (delivery is at least once; the work itself is idempotent). On PostgreSQL the claim is
//! `FOR UPDATE SKIP LOCKED`, so several server processes can share one queue and each job runs
//! once; on SQLite one process owns the file and its single worker suffices. A failing job is
//! retried with backoff, its error kept on the row.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::rows::{Job, NewJob};
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::schema::jobs;

/// Creates a category's groups and allocates its learners.
pub const CREATE_GROUPS: &str = "create_groups";
/// Places the learners still in no group once self-enrollment has expired.
pub const ALLOCATE_AFTER_EXPIRY: &str = "allocate_after_expiry";

/// Queues a job inside the caller's transaction.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    category_id: i64,
    run_at: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(jobs::table)
        .values(NewJob {
            kind,
            category_id,
            run_at,
            attempts: 0,
            created_at: Utc::now().naive_utc(),
        })
        .execute(conn)?;
    Ok(())
}

/// The oldest due job, locked for this transaction (skipping ones other workers hold).
fn claim(conn: &mut DbConnection, now: NaiveDateTime) -> ApiResult<Option<Job>> {
    macro_rules! due {
        () => {
            jobs::table
                .filter(jobs::run_at.le(now))
                .order((jobs::run_at.asc(), jobs::id.asc()))
                .select(Job::as_select())
        };
    }
    Ok(match conn {
        DbConnection::Pg(pg) => due!().for_update().skip_locked().first(pg).optional()?,
        DbConnection::Sqlite(sqlite) => due!().first(sqlite).optional()?,
    })
}

fn perform(conn: &mut DbConnection, job: &Job) -> ApiResult<()> {
    match job.kind.as_str() {
        CREATE_GROUPS => crate::handlers::groups::create_groups(conn, job.category_id),
        ALLOCATE_AFTER_EXPIRY => {
            crate::handlers::groups::allocate_after_expiry(conn, job.category_id)
        }
        other => Err(ApiError::internal(format!("unknown job kind {other:?}"))),
    }
}

/// Seconds before retry number `attempts`: 1, 2, 4, ... up to 5 minutes.
fn backoff(attempts: i64) -> i64 {
    1i64 << attempts.clamp(0, 8).min(8)
}

/// What one turn of the worker did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No job was due.
    Idle,
    Done,
    /// The job failed and was rescheduled.
    Failed,
}

/// Runs one due job if there is one.
pub fn run_next(db: &Db) -> ApiResult<Outcome> {
    let now = Utc::now().naive_utc();
    db.write_sync(|conn| {
        let Some(job) = claim(conn, now)? else {
            return Ok(Outcome::Idle);
        };
        // The work runs in a savepoint: on failure it is undone but the claim's transaction
        // survives to record the attempt.
        let outcome = match conn.transaction(|c| perform(c, &job)) {
            Ok(()) => {
                diesel::delete(jobs::table.find(job.id)).execute(conn)?;
                tracing::info!(job = job.id, kind = %job.kind, category = job.category_id, "job done");
                Outcome::Done
            }
            Err(err) => {
                let attempts = job.attempts + 1;
                let retry_at = now + chrono::Duration::seconds(backoff(attempts).min(300));
                tracing::warn!(job = job.id, kind = %job.kind, attempts, error = %err, "job failed; will retry");
                diesel::update(jobs::table.find(job.id))
                    .set((
                        jobs::attempts.eq(attempts),
                        jobs::run_at.eq(retry_at),
                        jobs::last_error.eq(err.to_string()),
                    ))
                    .execute(conn)?;
                Outcome::Failed
            }
        };
        Ok(outcome)
    })
}

/// A handle on the worker: wake it when a job is queued. A disabled runner (`JOB_WORKER=off`)
/// leaves the queue to other processes.
#[derive(Clone)]
pub struct JobRunner {
    wake: Option<Arc<(Mutex<bool>, Condvar)>>,
    /// The worker thread runs while any handle holds this (it keeps only a weak reference), so
    /// a dropped application does not leave a thread and its pool behind.
    _alive: Arc<()>,
    /// Jobs this runner completed, for operators' logs and for tests that count runs.
    done: Arc<AtomicU64>,
}

impl JobRunner {
    pub fn disabled() -> Self {
        Self {
            wake: None,
            _alive: Arc::new(()),
            done: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many jobs this runner has completed.
    pub fn completed(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Starts the worker thread: it drains due jobs, then sleeps until woken or `poll` passes
    /// (jobs queued by other processes, and scheduled ones, are found by polling).
    pub fn start(db: Db, poll: Duration) -> Self {
        let wake = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = wake.clone();
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        let spawned = std::thread::Builder::new()
            .name("job-worker".into())
            .spawn(move || loop {
                if watch.strong_count() == 0 {
                    break;
                }
                match run_next(&db) {
                    Ok(Outcome::Done) => {
                        counter.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    Ok(Outcome::Failed) => continue,
                    Ok(Outcome::Idle) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "job worker could not reach the queue")
                    }
                }
                let (lock, condvar) = &*signal;
                let mut woken = lock.lock().unwrap_or_else(|p| p.into_inner());
                if !*woken {
                    woken = condvar
                        .wait_timeout(woken, poll)
                        .map(|(guard, _)| guard)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                *woken = false;
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start the job worker");
            return Self::disabled();
        }
        Self {
            wake: Some(wake),
            _alive: alive,
            done,
        }
    }

    pub fn wake(&self) {
        if let Some(wake) = &self.wake {
            let (lock, condvar) = &**wake;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            condvar.notify_one();
        }
    }

    pub fn is_running(&self) -> bool {
        self.wake.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), 2);
        assert_eq!(backoff(2), 4);
        assert_eq!(backoff(50), 256);
        assert_eq!(backoff(-3), 1);
    }
}
