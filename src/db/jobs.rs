//! The durable job queue's SQL (`jobs`) and its job kinds: enqueue, claim, reschedule, bury,
//! and what the routes and the operator ask of the queue (failed creations, list, retry,
//! discard). The runner that works the queue is `crate::jobs`.

use std::collections::HashSet;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{GroupCategory, Job, NewJob};
use super::{categories, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::schema::{group_categories, jobs};

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
pub fn claim(conn: &mut DbConnection, now: NaiveDateTime) -> ApiResult<Option<Job>> {
    // Built per backend: the locking clause changes the statement's type.
    macro_rules! due {
        () => {
            jobs::table
                .filter(jobs::dead_at.is_null())
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

/// Runs a job's work in a savepoint of the claim's transaction: on failure the work is undone
/// but the claim survives to record the attempt.
pub fn in_savepoint<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<T> {
    conn.transaction(work)
}

/// Removes job `id` (done, or discarded).
pub fn delete(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
    diesel::delete(jobs::table.find(id)).execute(conn)?;
    Ok(())
}

/// Removes the category's pending jobs of `kind` (dead ones stay for the operator). On
/// PostgreSQL a job a worker is running is skipped rather than waited for: it finishes on its
/// own, and its work checks again that it is still wanted.
pub fn cancel_pending(conn: &mut DbConnection, kind: &str, category_id: i64) -> ApiResult<()> {
    macro_rules! pending {
        () => {
            jobs::table
                .filter(jobs::kind.eq(kind))
                .filter(jobs::category_id.eq(category_id))
                .filter(jobs::dead_at.is_null())
                .select(jobs::id)
        };
    }
    let ids: Vec<i64> = match conn {
        DbConnection::Pg(pg) => pending!().for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => pending!().load(sqlite)?,
    };
    if !ids.is_empty() {
        diesel::delete(jobs::table.filter(jobs::id.eq_any(&ids))).execute(conn)?;
    }
    Ok(())
}

/// Records a failed attempt and when to try again.
pub fn reschedule(
    conn: &mut DbConnection,
    id: i64,
    attempts: i64,
    retry_at: NaiveDateTime,
    cause: &str,
) -> ApiResult<()> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::attempts.eq(attempts),
            jobs::run_at.eq(retry_at),
            jobs::last_error.eq(cause),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records the last allowed attempt's failure: the job is dead, never claimed again.
pub fn bury(
    conn: &mut DbConnection,
    id: i64,
    attempts: i64,
    cause: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::attempts.eq(attempts),
            jobs::last_error.eq(cause),
            jobs::dead_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The categories among `processing` (ids of categories with Status 0) whose creation has
/// failed for good: their job is dead, so without this they would answer "still processing"
/// forever. Asked positively (a dead job exists) rather than as "no live job is left": on
/// PostgreSQL the category and its jobs are read by two statements, and a job completing
/// between them must not make a category that just completed look failed.
pub fn failed_creations(conn: &mut DbConnection, processing: &[i64]) -> ApiResult<HashSet<i64>> {
    if processing.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(jobs::table
        .filter(jobs::category_id.eq_any(processing))
        .filter(jobs::dead_at.is_not_null())
        .select(jobs::category_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// How many jobs wait, per kind and state, for `/metrics`: `due` (their time has come; one a
/// worker is running counts here until it commits), `scheduled` (a retry or a later
/// allocation) and `dead`. Answers (kind, state, jobs) for the pairs that have any.
pub fn depth(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> ApiResult<Vec<(String, &'static str, i64)>> {
    use diesel::dsl::count_star;
    let due: Vec<(String, i64)> = jobs::table
        .filter(jobs::dead_at.is_null())
        .filter(jobs::run_at.le(now))
        .group_by(jobs::kind)
        .select((jobs::kind, count_star()))
        .load(conn)?;
    let scheduled: Vec<(String, i64)> = jobs::table
        .filter(jobs::dead_at.is_null())
        .filter(jobs::run_at.gt(now))
        .group_by(jobs::kind)
        .select((jobs::kind, count_star()))
        .load(conn)?;
    let dead: Vec<(String, i64)> = jobs::table
        .filter(jobs::dead_at.is_not_null())
        .group_by(jobs::kind)
        .select((jobs::kind, count_star()))
        .load(conn)?;
    let tag = |state: &'static str, rows: Vec<(String, i64)>| {
        rows.into_iter()
            .map(move |(kind, jobs)| (kind, state, jobs))
    };
    Ok(tag("due", due)
        .chain(tag("scheduled", scheduled))
        .chain(tag("dead", dead))
        .collect())
}

/// A job as an operator sees it: the row and the course its category belongs to.
#[derive(Debug, Clone)]
pub struct Listed {
    pub job: Job,
    pub course_id: i64,
    pub category_status: i64,
}

impl From<(Job, i64, i64)> for Listed {
    fn from((job, course_id, category_status): (Job, i64, i64)) -> Self {
        Listed {
            job,
            course_id,
            category_status,
        }
    }
}

/// Every job (or only the dead ones), oldest first.
pub fn list(conn: &mut DbConnection, dead_only: bool) -> ApiResult<Vec<Listed>> {
    let mut query = jobs::table
        .inner_join(group_categories::table)
        .order(jobs::id.asc())
        .select((
            Job::as_select(),
            group_categories::course_id,
            group_categories::status,
        ))
        .into_boxed();
    if dead_only {
        query = query.filter(jobs::dead_at.is_not_null());
    }
    Ok(query
        .load::<(Job, i64, i64)>(conn)?
        .into_iter()
        .map(Listed::from)
        .collect())
}

/// The dead job `id`, or a clear refusal naming what it is instead.
fn dead_job(conn: &mut DbConnection, id: i64, action: &str) -> ApiResult<Listed> {
    let found = jobs::table
        .inner_join(group_categories::table)
        .filter(jobs::id.eq(id))
        .select((
            Job::as_select(),
            group_categories::course_id,
            group_categories::status,
        ))
        .first::<(Job, i64, i64)>(conn)
        .optional()?;
    let Some(listed) = found.map(Listed::from) else {
        return Err(ApiError::not_found(format!(
            "no job {id} (see `d2l-groups jobs list`)"
        )));
    };
    if listed.job.dead_at.is_none() {
        return Err(ApiError::Conflict(format!(
            "job {id} is not dead (attempts so far: {}, next run at {}); only dead jobs can be {action}",
            listed.job.attempts,
            listed.job.run_at.format("%Y-%m-%dT%H:%M:%SZ")
        )));
    }
    Ok(listed)
}

/// Makes the dead job `id` due now with its attempts reset. Its category, if still processing,
/// is processing again to the API (the job is live once more) until the job completes it.
pub fn retry(conn: &mut DbConnection, id: i64) -> ApiResult<Listed> {
    let listed = dead_job(conn, id, "retried")?;
    diesel::update(jobs::table.find(id))
        .set((
            jobs::dead_at.eq(None::<NaiveDateTime>),
            jobs::attempts.eq(0),
            jobs::run_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(listed)
}

/// What discarding a dead job did to its category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discarded {
    /// The category was still processing (its creation never finished) and nothing else would
    /// ever finish it, so it was deleted with the job. It had no groups: creation is all or
    /// nothing.
    CategoryDeleted,
    /// The category was complete (or has other jobs) and stays as it is.
    CategoryKept,
}

/// Removes the dead job `id`, and its category when that was never completed.
pub fn discard(conn: &mut DbConnection, id: i64) -> ApiResult<(Listed, Discarded)> {
    let listed = dead_job(conn, id, "discarded")?;
    delete(conn, id)?;
    let category = listed.job.category_id;
    let others: i64 = jobs::table
        .filter(jobs::category_id.eq(category))
        .count()
        .get_result(conn)?;
    let outcome = if listed.category_status == GroupCategory::PROCESSING && others == 0 {
        categories::delete(conn, category)?;
        Discarded::CategoryDeleted
    } else {
        Discarded::CategoryKept
    };
    Ok((listed, outcome))
}
