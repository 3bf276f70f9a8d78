//! Group commit: writes that arrive together share one transaction.
//!
//! A write's cost is mostly its transaction's, not its statements': `BEGIN`, the commit (the
//! WAL written, and on PostgreSQL flushed, and `pg_notify`'s lock, which serializes notifying
//! commits), and on SQLite the wait for the one writer. So a writer queues its unit of work and
//! then waits for the writer lock; whoever holds the lock takes every unit queued so far (its
//! own, and those that arrived while the previous batch ran) and runs them in one transaction.
//! Then it commits once and hands each unit its answer. Under no load a batch is one unit, run
//! exactly as it would be alone. A unit that refuses (a 404, a 400) must undo only its own
//! statements: when one does, the batch is rolled back and run again with each unit in a
//! savepoint of its own (savepoints cost a round trip a unit, and most batches need none).
//!
//! A unit's answer is given only after the commit that holds its writes, so a client never
//! hears of a write that could still be lost. When anything goes wrong that is not a unit's
//! own refusal (database trouble, a lost race on PostgreSQL, a panic, a failed commit), the
//! whole batch is rolled back and every unit is handed back to its own thread, to run alone in
//! its own transaction as it would have without batching: one unit's trouble never becomes
//! another's answer.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::changes::{Changes, Touch};
use super::DbConnection;
use crate::error::{ApiError, ApiResult};

/// The most units one transaction takes: enough to spread a commit over a full pool's worth
/// of waiting writers, few enough that a batch's locks are held briefly.
const MAX_BATCH: usize = 64;

/// The queue of units and the writer locks whose holders run them: on SQLite one (the one
/// writer's), on PostgreSQL a few, so that batches run side by side and one long write does
/// not hold up the rest. Batches take their units in order of org unit, so two batches never
/// wait for each other in a cycle over course locks (see [`Queue::take`]).
pub(super) struct Batcher {
    pub(super) queue: Queue,
    writers: Vec<Arc<Mutex<()>>>,
    /// Which writer a thread that finds none free waits for next.
    turn: AtomicUsize,
}

impl Batcher {
    pub(super) fn new(writers: Vec<Arc<Mutex<()>>>) -> Self {
        Self {
            queue: Queue::default(),
            writers,
            turn: AtomicUsize::new(0),
        }
    }

    /// A free writer if there is one, else a wait for one (which one matters little: whoever
    /// gets one takes every unit queued by then).
    pub(super) fn writer(&self) -> Option<MutexGuard<'_, ()>> {
        for writer in &self.writers {
            match writer.try_lock() {
                Ok(guard) => return Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.turn.fetch_add(1, Ordering::Relaxed) % self.writers.len().max(1);
        let writer = self.writers.get(turn)?;
        Some(
            writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

/// Units waiting for the writer lock, oldest first, each with the org unit it is about.
#[derive(Default)]
pub(super) struct Queue {
    waiting: Mutex<VecDeque<(i64, Box<dyn Queued>)>>,
}

/// What a queued unit's own thread hears back.
pub(super) enum Reply<T, F> {
    /// Committed with the batch (or refused, which needs no commit).
    Answered(ApiResult<T>),
    /// The batch could not commit as a whole: run the unit alone.
    RunAlone(F),
}

impl Queue {
    /// Queues `unit`, about org unit `unit_id`; its answer arrives on the receiver once a
    /// batch holding it is done.
    pub(super) fn push<T, F>(&self, unit_id: i64, unit: F) -> Receiver<Reply<T, F>>
    where
        F: FnMut(&mut DbConnection) -> ApiResult<(T, Touch)> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = sync_channel(1);
        let pending = Pending {
            unit: Some(unit),
            outcome: None,
            reply,
        };
        self.lock().push_back((unit_id, Box::new(pending)));
        answer
    }

    /// The oldest waiting units, at most [`MAX_BATCH`] of them, in order of their org units
    /// (and, for one org unit, of their arrival): every batch then takes its courses' locks in
    /// one order, so that batches in other processes never wait for each other in a cycle.
    pub(super) fn take(&self) -> Vec<Box<dyn Queued>> {
        let mut taken: Vec<_> = {
            let mut waiting = self.lock();
            let n = waiting.len().min(MAX_BATCH);
            waiting.drain(..n).collect()
        };
        taken.sort_by_key(|(unit_id, _)| *unit_id);
        taken.into_iter().map(|(_, unit)| unit).collect()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(i64, Box<dyn Queued>)>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How a unit fared inside a batch.
pub(super) enum Step {
    /// It succeeded; this is what it touched.
    Wrote(Touch),
    /// It refused (its own error, which its savepoint undid).
    Refused,
    /// Database trouble, a lost race or a panic: the transaction may be unusable.
    Trouble,
}

/// A queued unit of work with its answer's way home, its result type erased.
pub(super) trait Queued: Send {
    /// Runs the unit on `conn`, inside the batch's transaction (and its savepoint).
    fn run(&mut self, conn: &mut DbConnection) -> Step;
    /// Sends the unit's answer (`committed`), or hands it back to run alone.
    fn finish(self: Box<Self>, committed: bool);
}

struct Pending<T, F> {
    unit: Option<F>,
    outcome: Option<ApiResult<T>>,
    reply: SyncSender<Reply<T, F>>,
}

impl<T, F> Queued for Pending<T, F>
where
    F: FnMut(&mut DbConnection) -> ApiResult<(T, Touch)> + Send + 'static,
    T: Send + 'static,
{
    fn run(&mut self, conn: &mut DbConnection) -> Step {
        let Some(unit) = self.unit.as_mut() else {
            return Step::Trouble;
        };
        let ran = catch_unwind(AssertUnwindSafe(|| unit(conn)));
        match ran {
            Ok(Ok((value, touch))) => {
                self.outcome = Some(Ok(value));
                Step::Wrote(touch)
            }
            Ok(Err(err)) if is_own_refusal(&err) => {
                self.outcome = Some(Err(err));
                Step::Refused
            }
            Ok(Err(_)) | Err(_) => Step::Trouble,
        }
    }

    fn finish(self: Box<Self>, committed: bool) {
        let Pending {
            unit,
            outcome,
            reply,
        } = *self;
        let answer = match (committed, outcome, unit) {
            (true, Some(outcome), _) => Reply::Answered(outcome),
            (_, _, Some(unit)) => Reply::RunAlone(unit),
            (_, _, None) => Reply::Answered(Err(ApiError::internal("a queued write was lost"))),
        };
        // The waiting thread only goes away if it panicked; there is no one left to tell.
        let _ = reply.send(answer);
    }
}

/// A refusal the unit made itself (its own 4xx), as opposed to trouble that may have ended
/// the transaction or that running it again could cure.
fn is_own_refusal(err: &ApiError) -> bool {
    !matches!(
        err,
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::Contention(_)
    )
}

/// Runs `batch` in one transaction on `conn`, announcing and recording what it touched, and
/// hands every unit its answer (or hands it back to run alone). Returns whether `conn` is
/// still sound: false when beginning, committing or rolling back failed, so that the caller
/// discards it.
pub(super) fn run(
    conn: &mut DbConnection,
    changes: &Changes,
    mut batch: Vec<Box<dyn Queued>>,
) -> bool {
    let _writing = super::memo::WriteScope::open();
    if begin(conn).is_err() {
        batch.into_iter().for_each(|unit| unit.finish(false));
        return false;
    }
    // First without savepoints, which cost a round trip a unit: most batches have no refusal.
    let mut ran = run_units(conn, &mut batch, false);
    if let Ran::Refused(touched) = &ran {
        forget_uncommitted(changes, touched);
        ran = match rollback(conn).and_then(|()| begin(conn)) {
            Ok(()) => run_units(conn, &mut batch, true),
            Err(_) => {
                batch.into_iter().for_each(|unit| unit.finish(false));
                return false;
            }
        };
    }
    let mut sound = true;
    let answered = match ran {
        Ran::Wrote(touched) => {
            if changes.announce(conn, &touched).is_ok() {
                // Recorded before the commit as well as after it: see `Db::write_sync_touching`.
                touched.iter().for_each(|&touch| changes.record(touch));
                let committed = commit(conn).is_ok();
                if committed {
                    touched.iter().for_each(|&touch| changes.record(touch));
                } else {
                    sound = false;
                    let _ = rollback(conn);
                }
                committed
            } else {
                sound = rollback(conn).is_ok();
                false
            }
        }
        // A lone unit that refused is answered, and leaves nothing worth committing.
        Ran::LoneRefusal => {
            sound = rollback(conn).is_ok();
            true
        }
        Ran::Refused(touched) | Ran::Trouble(touched) => {
            forget_uncommitted(changes, &touched);
            sound = rollback(conn).is_ok();
            false
        }
    };
    batch.into_iter().for_each(|unit| unit.finish(answered));
    sound
}

/// A unit that ran after others in the batch read their writes, which a rollback is about to
/// undo; if it remembered what it read (a permission), that must not outlive the rollback.
/// So what the undone writes touched is recorded as if it had changed.
fn forget_uncommitted(changes: &Changes, touched: &[Touch]) {
    touched.iter().for_each(|&touch| changes.record(touch));
}

/// How a batch's units ran, all of them or up to the one that stopped them.
enum Ran {
    /// Every unit ran; those that wrote touched these.
    Wrote(Vec<Touch>),
    /// The batch's one unit refused.
    LoneRefusal,
    /// A unit of several refused with no savepoint to undo its writes: run them all again,
    /// with savepoints. The units before it wrote and touched these.
    Refused(Vec<Touch>),
    /// The units before the one in trouble touched these.
    Trouble(Vec<Touch>),
}

/// Runs the units in order. With `savepoints`, each runs in the savepoint `unit`: taken
/// before the first, undone when a unit refuses (and then kept for the next), and released
/// and taken again, in one round trip, after a unit that wrote.
fn run_units(conn: &mut DbConnection, batch: &mut [Box<dyn Queued>], savepoints: bool) -> Ran {
    let alone = batch.len() == 1;
    let mut savepoint = savepoints.then_some(TAKE);
    let mut touched = Vec::with_capacity(batch.len());
    for unit in batch.iter_mut() {
        if let Some(sql) = savepoint.take() {
            if conn.batch_execute(sql).is_err() {
                return Ran::Trouble(touched);
            }
        }
        match unit.run(conn) {
            Step::Wrote(touch) => {
                super::memo::forget_in_write(Some(touch));
                touched.push(touch);
                savepoint = savepoints.then_some(RENEW);
            }
            Step::Refused if alone => return Ran::LoneRefusal,
            Step::Refused if !savepoints => return Ran::Refused(touched),
            Step::Refused => {
                // What the undone unit read may have seen its own writes.
                super::memo::forget_in_write(None);
                if conn.batch_execute(UNDO).is_err() {
                    return Ran::Trouble(touched);
                }
            }
            Step::Trouble => {
                super::memo::forget_in_write(None);
                return Ran::Trouble(touched);
            }
        }
    }
    Ran::Wrote(touched)
}

/// The savepoint around each unit of a batch (see [`run`]).
const TAKE: &str = "SAVEPOINT unit";
const RENEW: &str = "RELEASE SAVEPOINT unit; SAVEPOINT unit";
const UNDO: &str = "ROLLBACK TO SAVEPOINT unit";

/// `BEGIN IMMEDIATE` on SQLite, so that the write lock is taken up front and the batch never
/// fails half-way for want of it; `BEGIN` on PostgreSQL.
fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        DbConnection::Pg(pg) => AnsiTransactionManager::begin_transaction(pg),
    }
}

fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::commit_transaction(sqlite),
        DbConnection::Pg(pg) => AnsiTransactionManager::commit_transaction(pg),
    }
}

/// Rolls back the whole transaction, savepoints and all: a unit that panicked inside its
/// savepoint left it open.
fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => rollback_all(sqlite),
        DbConnection::Pg(pg) => rollback_all(pg),
    }
}

fn rollback_all<C>(conn: &mut C) -> diesel::QueryResult<()>
where
    C: Connection<TransactionManager = AnsiTransactionManager>,
{
    while AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some()
    {
        AnsiTransactionManager::rollback_transaction(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::BigInt;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    use super::*;
    use crate::db::changes::Dep;

    fn database() -> DbConnection {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        diesel::sql_query("CREATE TABLE written (id BIGINT PRIMARY KEY)")
            .execute(&mut conn)
            .expect("table");
        // Where a SQLite write announces what it touched (`Changes::announce`).
        diesel::sql_query(include_str!(
            "../../migrations/sqlite/2026-12-07-200000_change_log/up.sql"
        ))
        .execute(&mut conn)
        .expect("change log");
        DbConnection::Sqlite(conn)
    }

    fn insert(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
        diesel::sql_query("INSERT INTO written (id) VALUES (?)")
            .bind::<BigInt, _>(id)
            .execute(conn)?;
        Ok(())
    }

    fn written(conn: &mut DbConnection) -> Vec<i64> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT id FROM written ORDER BY id")
            .load(conn)
            .expect("select");
        rows.into_iter().map(|row| row.id).collect()
    }

    /// What a unit does after writing its row.
    #[derive(Clone, Copy)]
    enum Then {
        Succeed,
        Refuse,
        MeetTrouble,
        Panic,
    }

    type Unit = Box<dyn FnMut(&mut DbConnection) -> ApiResult<(i64, Touch)> + Send>;
    type Answer = Receiver<Reply<i64, Unit>>;

    fn queue(queue: &Queue, id: i64, then: Then) -> Answer {
        let unit: Unit = Box::new(move |conn| {
            insert(conn, id)?;
            match then {
                Then::Succeed => Ok((
                    id,
                    Touch::Members {
                        course: id,
                        list: id,
                    },
                )),
                Then::Refuse => Err(ApiError::not_found(format!("no {id}"))),
                Then::MeetTrouble => Err(ApiError::unavailable("the disk is full")),
                Then::Panic => panic!("unit {id} panics"),
            }
        });
        queue.push(id, unit)
    }

    /// `Some(Ok(id))`, `Some(Err(message))`, or `None` when handed back to run alone.
    fn heard(answer: &Answer) -> Option<Result<i64, String>> {
        match answer
            .try_recv()
            .expect("every unit of a batch is answered")
        {
            Reply::Answered(outcome) => Some(outcome.map_err(|e| e.to_string())),
            Reply::RunAlone(_) => None,
        }
    }

    #[test]
    fn a_refusal_undoes_only_its_own_writes() {
        let (mut conn, changes, waiting) = (database(), Changes::default(), Queue::default());
        let answers = [
            queue(&waiting, 1, Then::Succeed),
            queue(&waiting, 2, Then::Refuse),
            queue(&waiting, 3, Then::Succeed),
        ];
        assert!(run(&mut conn, &changes, waiting.take()));
        let heard: Vec<_> = answers.iter().map(heard).collect();
        assert_eq!(heard, [Some(Ok(1)), Some(Err("no 2".into())), Some(Ok(3))]);
        assert_eq!(written(&mut conn), [1, 3]);
    }

    #[test]
    fn a_lone_refusal_is_answered_and_leaves_nothing() {
        let (mut conn, changes, waiting) = (database(), Changes::default(), Queue::default());
        let answer = queue(&waiting, 7, Then::Refuse);
        assert!(run(&mut conn, &changes, waiting.take()));
        assert_eq!(heard(&answer), Some(Err("no 7".into())));
        assert!(written(&mut conn).is_empty());
    }

    #[test]
    fn trouble_or_a_panic_hands_every_unit_back_with_nothing_written() {
        for then in [Then::MeetTrouble, Then::Panic] {
            let (mut conn, changes, waiting) = (database(), Changes::default(), Queue::default());
            changes.assume_alone();
            let answers = [
                queue(&waiting, 1, Then::Succeed),
                queue(&waiting, 2, then),
                queue(&waiting, 3, Then::Succeed),
            ];
            let before = changes.stamp();
            run(&mut conn, &changes, waiting.take());
            assert!(answers.iter().all(|answer| heard(answer).is_none()));
            assert!(written(&mut conn).is_empty(), "the batch was rolled back");
            assert!(
                !changes.is_current(before, &[Dep::MemberList(1)]),
                "what later units may have read of an undone write is forgotten"
            );
            assert!(
                changes.is_current(before, &[Dep::MemberList(3)]),
                "unit 3 never ran"
            );
            // The connection is fit for the next batch.
            let answer = queue(&waiting, 4, Then::Succeed);
            assert!(run(&mut conn, &changes, waiting.take()));
            assert_eq!(heard(&answer), Some(Ok(4)));
            assert_eq!(written(&mut conn), [4]);
        }
    }

    #[test]
    fn a_committed_batch_records_what_each_unit_touched() {
        let (mut conn, changes, waiting) = (database(), Changes::default(), Queue::default());
        changes.assume_alone();
        let before = changes.stamp();
        let _answers = [
            queue(&waiting, 5, Then::Succeed),
            queue(&waiting, 6, Then::Refuse),
        ];
        run(&mut conn, &changes, waiting.take());
        assert!(!changes.is_current(before, &[Dep::MemberList(5)]));
        assert!(
            changes.is_current(before, &[Dep::MemberList(6)]),
            "a refused unit touched nothing"
        );
    }

    #[test]
    fn a_batch_takes_at_most_its_limit_oldest_first() {
        let waiting = Queue::default();
        let _answers: Vec<_> = (0..MAX_BATCH as i64 + 3)
            .map(|id| queue(&waiting, id, Then::Succeed))
            .collect();
        assert_eq!(waiting.take().len(), MAX_BATCH);
        assert_eq!(waiting.take().len(), 3);
        assert!(waiting.take().is_empty());
    }

    #[test]
    fn a_batch_runs_in_order_of_org_unit() {
        let (mut conn, waiting) = (database(), Queue::default());
        let _answers = [
            queue(&waiting, 30, Then::Succeed),
            queue(&waiting, 10, Then::Succeed),
            queue(&waiting, 20, Then::Succeed),
        ];
        let seen_after_each: Vec<Vec<i64>> = waiting
            .take()
            .iter_mut()
            .map(|unit| {
                unit.run(&mut conn);
                written(&mut conn)
            })
            .collect();
        assert_eq!(seen_after_each, [vec![10], vec![10, 20], vec![10, 20, 30]]);
    }
}
