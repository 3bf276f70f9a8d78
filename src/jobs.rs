//! Durable background jobs: group creation and allocation after a self-enrollment expiry.
//!
//! A job is a row. The worker claims one due job, does its work and deletes the row in one
//! transaction, so a crash mid-job rolls everything back and the job runs again on the next
//! start (delivery is at least once; the work itself is idempotent). On PostgreSQL the claim is
//! `FOR UPDATE SKIP LOCKED`, so several server processes can share one queue and each job runs
//! once; on SQLite one process owns the file and its single worker suffices. A failing job is
//! retried with backoff, its error kept on the row, a bounded number of times
//! (`JOB_MAX_ATTEMPTS`); after the last failed attempt it is dead: kept, logged at error level,
//! never claimed again, and left to an operator (`d2l-groups jobs list|retry|discard`). A
//! category whose creation job is dead is a failed creation to the API (see
//! docs/compatibility.md), never "processing" for good.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::changes::Touch;
use crate::db::rows::Job;
use crate::db::{jobs as queue, Db, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::metrics::{JobEnd, Metrics};
use crate::services::group_jobs;

/// The queue's SQL lives in `crate::db::jobs`; the routes, the operator's CLI and the tests
/// reach it here as well.
pub use crate::db::jobs::{
    discard, enqueue, failed_creations, list, retry, Discarded, Listed, ALLOCATE_AFTER_EXPIRY,
    CREATE_GROUPS,
};

/// Does `job`'s work at business time `now` (`crate::clock`).
fn perform(conn: &mut DbConnection, job: &Job, now: NaiveDateTime) -> ApiResult<()> {
    match job.kind.as_str() {
        CREATE_GROUPS => group_jobs::create_groups(conn, job.category_id, now),
        ALLOCATE_AFTER_EXPIRY => group_jobs::allocate_after_expiry(conn, job.category_id, now),
        other => Err(ApiError::internal(format!("unknown job kind {other:?}"))),
    }
}

/// What the worker needs to know about retrying: how often to poll, how many attempts a job
/// gets, and how long it waits before its first retry.
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    pub poll: Duration,
    pub max_attempts: u32,
    pub retry_delay: Duration,
}

impl WorkerSettings {
    pub fn of(settings: &Settings) -> Self {
        Self {
            poll: settings.job_poll_interval,
            max_attempts: settings.job_max_attempts,
            retry_delay: settings.job_retry_delay,
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self::of(&Settings::new(String::new()))
    }
}

/// The longest wait between two attempts of a job.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// The wait after a job's `attempts`-th failure: `first`, then doubling, at most five minutes.
fn backoff(first: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    first.saturating_mul(1u32 << doublings).min(MAX_RETRY_DELAY)
}

/// What one turn of the worker did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No job was due.
    Idle,
    Done,
    /// The job failed and was rescheduled.
    Failed,
    /// The job failed its last allowed attempt: it is kept, marked dead, never claimed again.
    Dead,
}

/// Runs one due job if there is one, on real time.
pub fn run_next(db: &Db, settings: &WorkerSettings) -> ApiResult<Outcome> {
    run_turn(db, settings, Utc::now().naive_utc()).map(|turn| turn.outcome)
}

/// One turn of the worker as `/metrics` sees it: what it did, to which kind of job, and how
/// long the job took from its claim to its commit.
#[derive(Clone, Debug)]
pub struct Turn {
    pub outcome: Outcome,
    /// The job's kind; `None` when the turn was idle.
    pub kind: Option<String>,
    pub took: Duration,
}

/// Runs one job due at business time `now` (the worker's clock, which test mode can move), if
/// there is one, timed.
pub fn run_turn(db: &Db, settings: &WorkerSettings, now: NaiveDateTime) -> ApiResult<Turn> {
    let mut claimed: Option<(String, Instant)> = None;
    let outcome = run_claimed(db, settings, now, &mut claimed)?;
    Ok(match claimed {
        Some((kind, started)) => Turn {
            outcome,
            kind: Some(kind),
            took: started.elapsed(),
        },
        None => Turn {
            outcome,
            kind: None,
            took: Duration::ZERO,
        },
    })
}

/// Runs one due job, leaving its kind and the time of its claim in `claimed` (of the last
/// attempt, when the transaction had to be run again).
fn run_claimed(
    db: &Db,
    settings: &WorkerSettings,
    now: NaiveDateTime,
    claimed: &mut Option<(String, Instant)>,
) -> ApiResult<Outcome> {
    // A job changes its category's course and the category's status, which failed and dead
    // jobs change too; an idle look at the queue changes nothing and keeps the caches.
    db.write_sync_touching(|conn| {
        let Some(job) = queue::claim(conn, now)? else {
            *claimed = None;
            return Ok((Outcome::Idle, Touch::Nothing));
        };
        *claimed = Some((job.kind.clone(), Instant::now()));
        // The work runs in a savepoint: on failure it is undone but the claim's transaction
        // survives to record the attempt.
        let outcome = match queue::in_savepoint(conn, |c| perform(c, &job, now)) {
            Ok(()) => {
                queue::delete(conn, job.id)?;
                tracing::info!(job = job.id, kind = %job.kind, category = job.category_id, "job done");
                Outcome::Done
            }
            Err(err) => {
                let attempts = job.attempts + 1;
                let cause = err.cause();
                if attempts >= i64::from(settings.max_attempts) {
                    tracing::error!(
                        job = job.id,
                        kind = %job.kind,
                        category = job.category_id,
                        attempts,
                        error = %cause,
                        "job failed its last attempt and is dead; see `d2l-groups jobs list --dead`"
                    );
                    queue::bury(conn, job.id, attempts, &cause, now)?;
                    Outcome::Dead
                } else {
                    let delay = backoff(settings.retry_delay, attempts);
                    let retry_at = now
                        + chrono::Duration::from_std(delay)
                            .unwrap_or_else(|_| chrono::Duration::seconds(300));
                    tracing::warn!(
                        job = job.id,
                        kind = %job.kind,
                        category = job.category_id,
                        attempts,
                        max_attempts = settings.max_attempts,
                        error = %cause,
                        "job failed; will retry"
                    );
                    queue::reschedule(conn, job.id, attempts, retry_at, &cause)?;
                    Outcome::Failed
                }
            }
        };
        Ok((outcome, Touch::All))
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

    /// Starts the worker thread on real time: see [`JobRunner::start_with`].
    pub fn start(db: Db, settings: WorkerSettings) -> Self {
        Self::start_with(db, settings, Clock::real(), Arc::new(Metrics::new()))
    }

    /// Starts the worker thread: it drains the jobs due by `clock`, then sleeps until woken or
    /// the poll interval passes (jobs queued by other processes, and scheduled ones, are found
    /// by polling; moving the clock wakes it). Each job's run is timed into `metrics`
    /// (`job_duration_seconds`).
    pub fn start_with(
        db: Db,
        settings: WorkerSettings,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Self {
        let poll = settings.poll;
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
                let turn = run_turn(&db, &settings, clock.naive_now());
                if let Ok(Turn {
                    outcome,
                    kind: Some(kind),
                    took,
                }) = &turn
                {
                    let end = match outcome {
                        Outcome::Done => Some(JobEnd::Done),
                        Outcome::Failed => Some(JobEnd::Failed),
                        Outcome::Dead => Some(JobEnd::Dead),
                        Outcome::Idle => None,
                    };
                    if let Some(end) = end {
                        metrics.observe_job(kind, end, *took);
                    }
                }
                match turn.map(|t| t.outcome) {
                    Ok(Outcome::Done) => {
                        counter.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    Ok(Outcome::Failed | Outcome::Dead) => continue,
                    Ok(Outcome::Idle) => {}
                    Err(err) => {
                        tracing::warn!(error = %err.cause(), "job worker could not reach the queue")
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
        let second = Duration::from_secs(1);
        assert_eq!(backoff(second, 1), Duration::from_secs(1));
        assert_eq!(backoff(second, 2), Duration::from_secs(2));
        assert_eq!(backoff(second, 9), Duration::from_secs(256));
        assert_eq!(backoff(second, 10), MAX_RETRY_DELAY);
        assert_eq!(backoff(second, 5_000), MAX_RETRY_DELAY);
        assert_eq!(backoff(second, -3), second);
        assert_eq!(backoff(Duration::ZERO, 7), Duration::ZERO);
    }
}
