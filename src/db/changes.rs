//! What the caches need to know about writes: a sequence that every committed write advances,
//! the point of the last write that could have changed anything, and the point of the last
//! write to each course. A cached value is stamped with the sequence as it was *before* the
//! reads it came from; it may be served while no write it depends on came after that stamp.
//!
//! Writes of this process are recorded by [`super::Db`] after they commit. Writes of other
//! processes arrive through [`listen`]: on PostgreSQL each write transaction sends a `NOTIFY`
//! that commits with it, and a thread of every server process `LISTEN`s; on SQLite a thread
//! watches `PRAGMA data_version`, which moves when another connection commits. While that thread
//! is not connected, nothing counts as current, so every cache is bypassed rather than trusted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::connection::{Backend, DatabaseUrl};
use super::DbConnection;
use crate::error::ApiResult;

/// The PostgreSQL channel writes are announced on.
const CHANNEL: &str = "d2l_groups_changes";
/// How often the listener looks for notifications (PostgreSQL) or for a new `data_version`
/// (SQLite): the bound, beyond the notification's own trip, on how late another process's
/// write reaches this process's caches.
pub const PG_POLL: Duration = Duration::from_millis(5);
pub const SQLITE_POLL: Duration = Duration::from_millis(250);
/// How often the listener notifies itself, to prove notifications still reach it: a dead
/// connection, or a pooler in transaction mode that drops `LISTEN`, would otherwise leave the
/// caches trusting a silence.
const PING_EVERY: Duration = Duration::from_secs(1);
/// The wait before a lost listener connects again.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// What a committed write may have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// Nothing (a job worker that found no job).
    Nothing,
    /// Only rows of this course offering: its enrollments, groups, sections and their members.
    /// A write that changes anything outside it (a user, a role, a cascading enrollment, the
    /// org structure) must say [`Touch::All`].
    Course(i64),
    /// Only the member list of this group or section (its enrollments), which decides no
    /// permission: answers about the rest of its course stay current.
    Members(i64),
    /// [`Touch::Course`], made by a change to `user`'s enrollment there: of everyone's
    /// permissions, only that user's can have changed ([`enrollments_of`]).
    Enrollment { course: i64, user: i64 },
    /// Anything.
    All,
}

/// The unit a value depends on when it depends on user `user_id`'s enrollments (their
/// permissions): a namespace of its own beside org unit ids, which are positive.
pub fn enrollments_of(user_id: i64) -> i64 {
    -user_id
}

/// The longest payload sent; PostgreSQL refuses 8,000 bytes and more. A batch that touched
/// more units than fit says "anything".
const MAX_PAYLOAD: usize = 7_000;

/// The notification announcing `touched`, from process `instance`: "<instance> *" when
/// anything may have changed, else the units touched ("c<id>" for a course, "m<id>" for a
/// member list), each once, space-separated; `None` when nothing was.
fn payload(instance: u64, touched: &[Touch]) -> Option<String> {
    let mut units: Vec<String> = Vec::with_capacity(touched.len());
    for touch in touched {
        let unit = match touch {
            Touch::Nothing => continue,
            Touch::Course(id) => format!("c{id}"),
            Touch::Members(id) => format!("m{id}"),
            Touch::Enrollment { course, user } => format!("e{course}.{user}"),
            Touch::All => return Some(format!("{instance} *")),
        };
        if !units.contains(&unit) {
            units.push(unit);
        }
    }
    if units.is_empty() {
        return None;
    }
    let listed = format!("{instance} {}", units.join(" "));
    Some(if listed.len() > MAX_PAYLOAD {
        format!("{instance} *")
    } else {
        listed
    })
}

/// A notification on the channel: writes, or a listener's proof of life.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Message {
    Wrote(u64, Vec<Touch>),
    Ping(u64, u64),
}

impl Message {
    fn parse(payload: &str) -> Option<Message> {
        let (instance, what) = payload.split_once(' ')?;
        let instance = instance.parse().ok()?;
        if let Some(n) = what.strip_prefix("ping") {
            return Some(Message::Ping(instance, n.parse().ok()?));
        }
        let touched = what
            .split(' ')
            .map(|unit| {
                if unit == "*" {
                    return Some(Touch::All);
                }
                if let Some(group) = unit.strip_prefix('m') {
                    return Some(Touch::Members(group.parse().ok()?));
                }
                if let Some(enrollment) = unit.strip_prefix('e') {
                    let (course, user) = enrollment.split_once('.')?;
                    let (course, user) = (course.parse().ok()?, user.parse().ok()?);
                    return Some(Touch::Enrollment { course, user });
                }
                Some(Touch::Course(unit.strip_prefix('c')?.parse().ok()?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Message::Wrote(instance, touched))
    }
}

/// The point in the write sequence a cached value was read at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(u64);

/// The write sequence of one database, as this process knows it.
pub struct Changes {
    /// Advanced by every recorded write.
    sequence: AtomicU64,
    /// The sequence at the last [`Touch::All`].
    everything_at: AtomicU64,
    /// The sequence at the last write to each course, or to each group's or section's members.
    units: RwLock<HashMap<i64, u64>>,
    /// Whether writes of other processes reach us (the listener is connected).
    watching: AtomicBool,
    /// Tells this process's notifications apart from other processes'.
    instance: u64,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            sequence: AtomicU64::new(1),
            everything_at: AtomicU64::new(0),
            units: RwLock::new(HashMap::new()),
            watching: AtomicBool::new(false),
            instance: rand::random(),
        }
    }
}

impl Changes {
    /// A value read after this call may be stamped with what it returns.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.sequence.load(Ordering::SeqCst))
    }

    /// Whether a value read at `stamp` is still what the database holds. `units` names the
    /// course whose rows it read, if any, and the groups or sections whose member lists it
    /// read; every value may depend on what lies outside courses (users, roles, the org
    /// structure), which only [`Touch::All`] changes.
    pub fn is_current(&self, stamp: Stamp, units: &[i64]) -> bool {
        if !self.watching.load(Ordering::SeqCst) {
            return false;
        }
        if self.everything_at.load(Ordering::SeqCst) >= stamp.0 {
            return false;
        }
        if units.is_empty() {
            return true;
        }
        let changed = self.units.read().unwrap_or_else(|p| p.into_inner());
        units
            .iter()
            .all(|id| changed.get(id).is_none_or(|at| *at < stamp.0))
    }

    /// Records a write. Call it after the commit (a value read before the commit and stamped
    /// after this call would otherwise outlive the write); `Db` also calls it just before the
    /// commit, so that what was remembered before is not served while the commit is under way.
    pub fn record(&self, touch: Touch) {
        let at = match touch {
            Touch::Nothing => return,
            _ => self.sequence.fetch_add(1, Ordering::SeqCst),
        };
        match touch {
            Touch::Nothing => {}
            Touch::All => self.everything_at.store(at, Ordering::SeqCst),
            Touch::Course(id) | Touch::Members(id) => {
                self.units
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id, at);
            }
            Touch::Enrollment { course, user } => {
                let mut units = self.units.write().unwrap_or_else(|p| p.into_inner());
                units.insert(course, at);
                units.insert(enrollments_of(user), at);
            }
        }
    }

    /// Inside a write transaction on PostgreSQL: announces its writes to the other processes,
    /// in one notification, delivered when (and only if) the transaction commits.
    pub fn announce(&self, conn: &mut DbConnection, touched: &[Touch]) -> ApiResult<()> {
        let (DbConnection::Pg(pg), Some(payload)) = (conn, payload(self.instance, touched)) else {
            return Ok(());
        };
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(payload)
            .execute(pg)?;
        Ok(())
    }

    fn set_watching(&self, watching: bool) {
        // Whatever happened while nobody watched is unknown: everything is stale.
        self.record(Touch::All);
        self.watching.store(watching, Ordering::SeqCst);
    }

    /// For a process that is the database's only user and so needs no listener (the tests of
    /// `db`; never a server).
    #[cfg(test)]
    pub(super) fn assume_alone(&self) {
        self.watching.store(true, Ordering::SeqCst);
    }
}

/// Starts the thread that brings other processes' writes into `changes`. It stops when the
/// last holder of `changes` drops it.
pub fn listen(url: DatabaseUrl, changes: &Arc<Changes>) {
    let watched = Arc::downgrade(changes);
    let started = std::thread::Builder::new()
        .name("change-listener".into())
        .spawn(move || match url.backend {
            Backend::Postgres => watch(&watched, || listen_pg(&url.target, &watched)),
            Backend::Sqlite => watch(&watched, || poll_sqlite(&url.target, &watched)),
        });
    if let Err(err) = started {
        tracing::error!(error = %err, "cannot start the change listener; caches stay off");
    }
}

/// Runs `session` (connect, then follow changes until the connection fails) again and again
/// while anyone holds the changes. `session` answers why it ended, or `None` when the holders
/// are all gone.
fn watch(watched: &Weak<Changes>, mut session: impl FnMut() -> Option<String>) {
    loop {
        let Some(reason) = session() else { return };
        let Some(changes) = watched.upgrade() else {
            return;
        };
        if changes.watching.load(Ordering::SeqCst) {
            tracing::warn!(%reason, "change listener lost; caches off until it is back");
        } else {
            tracing::debug!(%reason, "change listener cannot connect yet");
        }
        changes.set_watching(false);
        drop(changes);
        std::thread::sleep(RECONNECT_AFTER);
    }
}

fn listen_pg(target: &str, watched: &Weak<Changes>) -> Option<String> {
    let mut pg = match diesel::PgConnection::establish(target) {
        Ok(pg) => pg,
        Err(e) => return Some(e.to_string()),
    };
    if let Err(e) = diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut pg) {
        return Some(e.to_string());
    }
    let instance = watched.upgrade()?.instance;
    // The first ping must come back before the caches are trusted.
    let mut sent = 0u64;
    let mut answered = None;
    let mut pinged = Instant::now();
    if let Err(e) = ping(&mut pg, instance, sent) {
        return Some(e);
    }
    loop {
        let changes = watched.upgrade()?;
        for notification in pg.notifications_iter() {
            let payload = match notification {
                Ok(n) => n.payload,
                Err(e) => return Some(e.to_string()),
            };
            match Message::parse(&payload) {
                Some(Message::Ping(from, n)) if from == instance => {
                    if answered.is_none() {
                        changes.set_watching(true);
                    }
                    answered = Some(n);
                }
                Some(Message::Ping(..)) => {}
                Some(Message::Wrote(from, _)) if from == instance => {}
                Some(Message::Wrote(_, touched)) => {
                    touched.into_iter().for_each(|touch| changes.record(touch))
                }
                None => changes.record(Touch::All),
            }
        }
        drop(changes);
        if pinged.elapsed() >= PING_EVERY {
            if answered != Some(sent) {
                return Some("the listener's own notification did not come back within a second (a pooler in transaction mode does not carry LISTEN)".into());
            }
            sent += 1;
            if let Err(e) = ping(&mut pg, instance, sent) {
                return Some(e);
            }
            pinged = Instant::now();
        } else {
            std::thread::sleep(PG_POLL);
        }
    }
}

fn ping(pg: &mut diesel::PgConnection, instance: u64, n: u64) -> Result<(), String> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(format!("{instance} ping{n}"))
        .execute(pg)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

/// SQLite has no notifications; `data_version` changes whenever another connection (of this
/// process's pool or of another process) commits, so a change means "something, somewhere".
fn poll_sqlite(path: &str, watched: &Weak<Changes>) -> Option<String> {
    let mut sqlite = match diesel::SqliteConnection::establish(path) {
        Ok(c) => c,
        Err(e) => return Some(e.to_string()),
    };
    let mut read = || -> Result<i64, String> {
        diesel::sql_query("PRAGMA data_version")
            .get_result::<DataVersion>(&mut sqlite)
            .map(|v| v.data_version)
            .map_err(|e| e.to_string())
    };
    let mut seen = match read() {
        Ok(v) => v,
        Err(e) => return Some(e),
    };
    watched.upgrade()?.set_watching(true);
    loop {
        std::thread::sleep(SQLITE_POLL);
        let changes = watched.upgrade()?;
        match read() {
            Ok(v) if v == seen => {}
            Ok(v) => {
                seen = v;
                changes.record(Touch::All);
            }
            Err(e) => return Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_current_until_a_write_it_depends_on_is_recorded() {
        let changes = Changes::default();
        let stamp = changes.stamp();
        assert!(
            !changes.is_current(stamp, &[]),
            "nothing is current unwatched"
        );
        changes.assume_alone();
        let stamp = changes.stamp();
        assert!(changes.is_current(stamp, &[7]));
        changes.record(Touch::Course(8));
        assert!(changes.is_current(stamp, &[7]), "another course's write");
        assert!(changes.is_current(stamp, &[]), "a value of no course");
        changes.record(Touch::Members(71));
        assert!(
            changes.is_current(stamp, &[7, 70]),
            "another group's members"
        );
        assert!(
            !changes.is_current(stamp, &[7, 70, 71]),
            "this group's members"
        );
        changes.record(Touch::Course(7));
        assert!(!changes.is_current(stamp, &[7]));
        let later = changes.stamp();
        assert!(changes.is_current(later, &[7]));
        changes.record(Touch::Nothing);
        assert!(changes.is_current(later, &[7]));
        changes.record(Touch::All);
        assert!(!changes.is_current(later, &[9]));
    }

    #[test]
    fn an_enrollment_changes_its_course_and_its_user_permissions_only() {
        let changes = Changes::default();
        changes.assume_alone();
        let stamp = changes.stamp();
        changes.record(Touch::Enrollment { course: 7, user: 3 });
        assert!(!changes.is_current(stamp, &[7]), "the course's rows");
        assert!(
            !changes.is_current(stamp, &[enrollments_of(3)]),
            "the user's permissions"
        );
        assert!(
            changes.is_current(stamp, &[enrollments_of(4)]),
            "another user's"
        );
        assert!(changes.is_current(stamp, &[3]), "org unit 3 is not user 3");
    }

    #[test]
    fn payloads_round_trip_and_strangers_mean_everything() {
        let enrollment = Touch::Enrollment {
            course: 42,
            user: 7,
        };
        for touch in [
            Touch::Course(42),
            Touch::Members(43),
            enrollment,
            Touch::All,
        ] {
            let payload = payload(5, &[touch]).expect("payload");
            assert_eq!(
                Message::parse(&payload),
                Some(Message::Wrote(5, vec![touch]))
            );
        }
        let batch = [
            Touch::Members(43),
            Touch::Nothing,
            Touch::Course(42),
            Touch::Members(43),
        ];
        let listed = payload(5, &batch).expect("payload");
        assert_eq!(listed, "5 m43 c42", "each unit once");
        assert_eq!(
            Message::parse(&listed),
            Some(Message::Wrote(
                5,
                vec![Touch::Members(43), Touch::Course(42)]
            ))
        );
        assert_eq!(
            payload(5, &[Touch::Members(1), Touch::All]).as_deref(),
            Some("5 *")
        );
        let many: Vec<Touch> = (0..2_000).map(Touch::Members).collect();
        assert_eq!(
            payload(5, &many).as_deref(),
            Some("5 *"),
            "too long to list"
        );
        assert_eq!(Message::parse("5 ping7"), Some(Message::Ping(5, 7)));
        assert_eq!(payload(5, &[Touch::Nothing]), None);
        assert_eq!(Message::parse("5 m1 cX"), None);
        assert_eq!(Message::parse("garbage"), None);
        assert_eq!(Message::parse("5 cX"), None);
    }
}
