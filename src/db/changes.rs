//! What the caches need to know about writes: a sequence that every committed write advances,
//! the point of the last write that could have changed anything, and the point of the last
//! write to each course. A cached value is stamped with the sequence as it was *before* the
//! reads it came from; it may be served while no write it depends on came after that stamp.
//!
//! Writes of this process are recorded by [`super::Db`] after they commit. Writes of other
//! processes arrive through [`listen`]: on PostgreSQL each write transaction sends a `NOTIFY`
//! that commits with it, and a thread of every server process `LISTEN`s, woken as one arrives;
//! on SQLite each write transaction adds a row to the change log, and every request first
//! looks at the file's write counter ([`Changes::catch_up`]) and, when it moved, reads the
//! rows other processes added. While the listener is not connected, nothing counts as
//! current, so every cache is bypassed rather than trusted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::schema::change_log;

use super::connection::{Backend, DatabaseUrl};
use super::DbConnection;
use crate::error::ApiResult;

/// The PostgreSQL channel writes are announced on.
const CHANNEL: &str = "d2l_groups_changes";
/// How often the fallback listener looks for notifications on PostgreSQL (a TLS-only
/// server, [`poll_pg`]): the bound, beyond the notification's own trip, on how late another
/// process's write reaches this process's caches there. The usual listener wakes on arrival.
pub const PG_POLL: Duration = Duration::from_millis(1);
pub const SQLITE_POLL: Duration = Duration::from_millis(250);
/// How often the listener notifies itself, to prove notifications still reach it: a dead
/// connection, or a pooler in transaction mode that drops `LISTEN`, would otherwise leave the
/// caches trusting a silence.
const PING_EVERY: Duration = Duration::from_secs(1);
/// The wait before a lost listener connects again.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// What a committed write may have changed. Each unit of work says it, through the value it
/// answers (`services::Wrote`), never its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// Nothing any cache reads (a job worker that found no job, a browser session).
    Nothing,
    /// Only rows of this course offering: its enrollments, groups, sections and their members.
    /// A write that changes anything outside it (a user, a role, a cascading enrollment, the
    /// org structure) must say [`Touch::All`].
    Course(i64),
    /// Only the member list of group or section `list` of course `course` (its enrollments),
    /// which decides no permission: answers about the course's other rows stay current.
    Members { course: i64, list: i64 },
    /// [`Touch::Course`], made by a change to `user`'s enrollment there: of everyone's
    /// permissions, only that user's can have changed ([`Dep::EnrollmentsOf`]).
    Enrollment { course: i64, user: i64 },
    /// Anything.
    All,
}

/// What a remembered value was read from, beyond what lies outside courses (users, roles, the
/// org structure: every value depends on those, which only [`Touch::All`] changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Anything of this course offering: its rows and every member list of its sections and
    /// groups. The safe claim: any write to the course ends it.
    Course(i64),
    /// This course's rows but the member lists of its sections and groups: a value claiming it
    /// must also name each member list it read ([`Dep::MemberList`]).
    CourseRows(i64),
    /// One section's or group's member list.
    MemberList(i64),
    /// One user's enrollments, which decide their permissions.
    EnrollmentsOf(i64),
}

impl Touch {
    /// The dependencies this write ends.
    fn ends(self) -> Vec<Dep> {
        match self {
            Touch::Nothing | Touch::All => Vec::new(),
            Touch::Course(course) => vec![Dep::Course(course), Dep::CourseRows(course)],
            Touch::Members { course, list } => vec![Dep::Course(course), Dep::MemberList(list)],
            Touch::Enrollment { course, user } => vec![
                Dep::Course(course),
                Dep::CourseRows(course),
                Dep::EnrollmentsOf(user),
            ],
        }
    }
}

/// The longest payload sent; PostgreSQL refuses 8,000 bytes and more. A batch that touched
/// more units than fit says "anything".
const MAX_PAYLOAD: usize = 7_000;

/// The notification announcing `touched`, from process `instance`: "<instance> *" when
/// anything may have changed, else the writes ("c<course>", "m<course>.<list>",
/// "e<course>.<user>"), each once, space-separated; `None` when nothing was.
fn payload(instance: u64, touched: &[Touch]) -> Option<String> {
    let mut units: Vec<String> = Vec::with_capacity(touched.len());
    for touch in touched {
        let unit = match touch {
            Touch::Nothing => continue,
            Touch::Course(id) => format!("c{id}"),
            Touch::Members { course, list } => format!("m{course}.{list}"),
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

/// One write of a payload ([`payload`]).
fn parse_touch(unit: &str) -> Option<Touch> {
    if unit == "*" {
        return Some(Touch::All);
    }
    let pair = |text: &str| -> Option<(i64, i64)> {
        let (a, b) = text.split_once('.')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    if let Some(members) = unit.strip_prefix('m') {
        let (course, list) = pair(members)?;
        return Some(Touch::Members { course, list });
    }
    if let Some(enrollment) = unit.strip_prefix('e') {
        let (course, user) = pair(enrollment)?;
        return Some(Touch::Enrollment { course, user });
    }
    Some(Touch::Course(unit.strip_prefix('c')?.parse().ok()?))
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
            .map(parse_touch)
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
    /// The sequence at the last write that ended each dependency.
    units: RwLock<HashMap<Dep, u64>>,
    /// Whether writes of other processes reach us (the listener is connected).
    watching: AtomicBool,
    /// Tells this process's notifications apart from other processes'.
    instance: u64,
    /// On a SQLite file: where other processes' writes are read from ([`follow_sqlite`]).
    sqlite: Mutex<Option<SqliteFollower>>,
    /// Held while the change log is read, so that requests arriving together read it once.
    catching_up: Mutex<()>,
}

/// What a process on a SQLite file knows of the others' writes: the file's write counter as
/// it last read it, and the last row of the change log it applied.
struct SqliteFollower {
    /// The `-shm` file: its first 48 bytes are the WAL index header, whose change counter
    /// (`iChange`, SQLite's "wal-index format") moves with every committed transaction of any
    /// connection, in any process. Read with one `pread`: no lock, no statement.
    shm: std::fs::File,
    header: WalHeader,
    last_seq: i64,
}

/// The WAL index header (both of SQLite's copies compare equal at rest; the first is read).
type WalHeader = [u8; 48];

/// What a request must do before it trusts a cache on a SQLite file.
pub enum CatchUp {
    /// Nothing was committed since the last look (or nobody else can write: PostgreSQL
    /// announces, an in-memory database is this process's alone).
    Current,
    /// Something was committed: read the change log, then record this header.
    ReadLog(WalHeader),
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            sequence: AtomicU64::new(1),
            everything_at: AtomicU64::new(0),
            units: RwLock::new(HashMap::new()),
            watching: AtomicBool::new(false),
            instance: rand::random(),
            sqlite: Mutex::new(None),
            catching_up: Mutex::new(()),
        }
    }
}

impl Changes {
    /// A value read after this call may be stamped with what it returns.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.sequence.load(Ordering::SeqCst))
    }

    /// Whether a value read at `stamp`, from `deps` and what lies outside courses, is still
    /// what the database holds.
    pub fn is_current(&self, stamp: Stamp, deps: &[Dep]) -> bool {
        if !self.watching.load(Ordering::SeqCst) {
            return false;
        }
        if self.everything_at.load(Ordering::SeqCst) >= stamp.0 {
            return false;
        }
        if deps.is_empty() {
            return true;
        }
        let changed = self.units.read().unwrap_or_else(|p| p.into_inner());
        deps.iter()
            .all(|dep| changed.get(dep).is_none_or(|at| *at < stamp.0))
    }

    /// Records a write. Call it after the commit (a value read before the commit and stamped
    /// after this call would otherwise outlive the write); `Db` also calls it just before the
    /// commit, so that what was remembered before is not served while the commit is under way.
    pub fn record(&self, touch: Touch) {
        if touch == Touch::Nothing {
            return;
        }
        let at = self.sequence.fetch_add(1, Ordering::SeqCst);
        if touch == Touch::All {
            self.everything_at.store(at, Ordering::SeqCst);
            return;
        }
        let mut units = self.units.write().unwrap_or_else(|p| p.into_inner());
        for dep in touch.ends() {
            units.insert(dep, at);
        }
    }

    /// Inside a write transaction: announces its writes to the other processes, delivered when
    /// (and only if) the transaction commits. On PostgreSQL one notification; on SQLite a row of
    /// the change log, which other processes read when the file's write counter moves (SQLite
    /// has no notifications). A row of every 256th write also prunes the log.
    pub fn announce(&self, conn: &mut DbConnection, touched: &[Touch]) -> ApiResult<()> {
        let Some(payload) = payload(self.instance, touched) else {
            return Ok(());
        };
        match conn {
            DbConnection::Pg(pg) => {
                diesel::sql_query("SELECT pg_notify($1, $2)")
                    .bind::<Text, _>(CHANNEL)
                    .bind::<Text, _>(payload)
                    .execute(pg)?;
            }
            DbConnection::Sqlite(sqlite) => {
                let (_, what) = payload.split_once(' ').unwrap_or(("", &payload));
                let seq: i64 = diesel::insert_into(change_log::table)
                    .values((
                        change_log::instance.eq(self.instance as i64),
                        change_log::touched.eq(what),
                    ))
                    .returning(change_log::seq)
                    .get_result(sqlite)?;
                if seq % 256 == 0 {
                    diesel::delete(change_log::table.filter(change_log::seq.le(seq - LOG_KEPT)))
                        .execute(sqlite)?;
                }
            }
        }
        Ok(())
    }

    /// Whether other processes may have written to this SQLite file since the last look: one
    /// read of its write counter. Every request asks before it uses a cache, so a write the
    /// CLI committed before the request came is seen by it.
    pub fn catch_up(&self) -> CatchUp {
        let follower = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
        let Some(follower) = follower.as_ref() else {
            return CatchUp::Current;
        };
        match read_header(&follower.shm) {
            Some(header) if header == follower.header => CatchUp::Current,
            Some(header) => CatchUp::ReadLog(header),
            // Unreadable: trust nothing until it reads again.
            None => CatchUp::ReadLog([0; 48]),
        }
    }

    /// Applies the change log's rows written since the last look, as a listener applies
    /// notifications: other processes' writes are recorded; then `header` is the counter seen.
    /// `read` answers the rows after a sequence number; it runs at most once at a time.
    pub fn read_log(
        &self,
        header: WalHeader,
        read: impl FnOnce(i64) -> ApiResult<Vec<(i64, i64, String)>>,
    ) {
        let _one = self.catching_up.lock().unwrap_or_else(|p| p.into_inner());
        let after = {
            let follower = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
            match follower.as_ref() {
                // Another request caught up to this header (or later) meanwhile.
                Some(f) if f.header == header && header != [0; 48] => return,
                Some(f) => f.last_seq,
                None => return,
            }
        };
        let rows = match read(after) {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the change log; caches forgotten");
                self.record(Touch::All);
                return;
            }
        };
        if rows.first().is_some_and(|(seq, ..)| *seq > after + 1) && after > 0 {
            // Rows pruned before this process read them: what they said is unknown.
            self.record(Touch::All);
        }
        let mut last = after;
        for (seq, instance, touched) in rows {
            last = last.max(seq);
            if instance == self.instance as i64 {
                continue;
            }
            match touched
                .split(' ')
                .map(parse_touch)
                .collect::<Option<Vec<_>>>()
            {
                Some(touches) => touches.into_iter().for_each(|t| self.record(t)),
                None => self.record(Touch::All),
            }
        }
        let mut follower = self.sqlite.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = follower.as_mut() {
            f.last_seq = last;
            f.header = header;
        }
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
    if url.backend == Backend::Sqlite {
        return follow_sqlite(&url, changes);
    }
    let watched = Arc::downgrade(changes);
    let started = std::thread::Builder::new()
        .name("change-listener".into())
        .spawn(move || watch(&watched, || follow_pg(&url.target, &watched)));
    if let Err(err) = started {
        tracing::error!(error = %err, "cannot start the change listener; caches stay off");
    }
}

/// How many rows of the change log are kept: a process that falls further behind (it served
/// no request while thousands of transactions committed) forgets everything instead.
const LOG_KEPT: i64 = 4_096;

/// Follows the other processes' writes on a SQLite file: not by a thread (SQLite cannot wake
/// one), but by each request, through [`Changes::catch_up`]. This sets up what it reads: the
/// `-shm` file (the WAL index, which exists while any connection is open: the pool keeps one)
/// and the change log's last row. An in-memory database is this process's alone.
fn follow_sqlite(url: &DatabaseUrl, changes: &Arc<Changes>) {
    if url.in_memory {
        changes.set_watching(true);
        return;
    }
    let started = (|| -> Result<SqliteFollower, String> {
        let mut sqlite =
            diesel::SqliteConnection::establish(&url.target).map_err(|e| e.to_string())?;
        let last_seq: Option<i64> = change_log::table
            .select(diesel::dsl::max(change_log::seq))
            .get_result(&mut sqlite)
            .map_err(|e| e.to_string())?;
        let shm = std::fs::File::open(format!("{}-shm", url.target)).map_err(|e| e.to_string())?;
        let header = read_header(&shm).ok_or("the WAL index cannot be read")?;
        Ok(SqliteFollower {
            shm,
            header,
            last_seq: last_seq.unwrap_or(0),
        })
    })();
    match started {
        Ok(follower) => {
            *changes.sqlite.lock().unwrap_or_else(|p| p.into_inner()) = Some(follower);
            changes.set_watching(true);
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot follow the SQLite file's writes; caches stay off")
        }
    }
}

/// The change log's rows after `after`, oldest first: (seq, instance, touched).
pub fn log_after(conn: &mut DbConnection, after: i64) -> ApiResult<Vec<(i64, i64, String)>> {
    Ok(change_log::table
        .filter(change_log::seq.gt(after))
        .order(change_log::seq)
        .select((change_log::seq, change_log::instance, change_log::touched))
        .load(conn)?)
}

/// The WAL index header of an open `-shm` file.
fn read_header(shm: &std::fs::File) -> Option<WalHeader> {
    use std::os::unix::fs::FileExt;
    let mut header = [0u8; 48];
    shm.read_exact_at(&mut header, 0).ok()?;
    Some(header)
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

/// Follows the channel on a connection that wakes as a notification arrives (the `postgres`
/// crate's, whose socket it can wait on), so that another process's write reaches this
/// process's caches within the notification's trip, with no poll interval added. Where that
/// connection cannot be made for want of TLS (the `postgres` crate is used without it here; a
/// `DATABASE_URL` with `sslmode=require`), it falls back to [`poll_pg`] on libpq.
fn follow_pg(target: &str, watched: &Weak<Changes>) -> Option<String> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut client = match postgres::Client::connect(target, postgres::NoTls) {
        Ok(client) => client,
        Err(e) if e.to_string().to_lowercase().contains("tls") => {
            tracing::info!(error = %e, "the change listener polls instead (a TLS-only server)");
            return poll_pg(target, watched);
        }
        Err(e) => return Some(e.to_string()),
    };
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
        return Some(e.to_string());
    }
    let mut hearing = Hearing::new(watched.upgrade()?.instance);
    let ping = |client: &mut postgres::Client, payload: String| {
        client
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    // The first ping must come back before the caches are trusted.
    if let Err(e) = ping(&mut client, hearing.first_ping()) {
        return Some(e);
    }
    loop {
        let changes = watched.upgrade()?;
        {
            let mut notifications = client.notifications();
            // Wait for one (waking at once when it comes), then take whatever else is buffered.
            match notifications.timeout_iter(WAKE_AT_LEAST_EVERY).next() {
                Ok(Some(n)) => hearing.hear(&changes, n.payload()),
                Ok(None) => {}
                Err(e) => return Some(e.to_string()),
            }
            let mut more = notifications.iter();
            loop {
                match more.next() {
                    Ok(Some(n)) => hearing.hear(&changes, n.payload()),
                    Ok(None) => break,
                    Err(e) => return Some(e.to_string()),
                }
            }
        }
        drop(changes);
        match hearing.ping_due() {
            Err(e) => return Some(e),
            Ok(Some(payload)) => {
                if let Err(e) = ping(&mut client, payload) {
                    return Some(e);
                }
            }
            Ok(None) => {}
        }
    }
}

/// A listener's bookkeeping, whichever connection it listens on: what each notification
/// means for the caches, and its own pings, which prove that notifications still arrive.
struct Hearing {
    instance: u64,
    sent: u64,
    answered: Option<u64>,
    pinged: Instant,
}

impl Hearing {
    fn new(instance: u64) -> Self {
        Self {
            instance,
            sent: 0,
            answered: None,
            pinged: Instant::now(),
        }
    }

    /// The payload of the first ping, whose return makes the caches trusted.
    fn first_ping(&self) -> String {
        format!("{} ping{}", self.instance, self.sent)
    }

    /// Records one notification: other processes' writes, or our own ping come back.
    fn hear(&mut self, changes: &Changes, payload: &str) {
        match Message::parse(payload) {
            Some(Message::Ping(from, n)) if from == self.instance => {
                if self.answered.is_none() {
                    changes.set_watching(true);
                }
                self.answered = Some(n);
            }
            Some(Message::Ping(..)) => {}
            Some(Message::Wrote(from, _)) if from == self.instance => {}
            Some(Message::Wrote(_, touched)) => {
                touched.into_iter().for_each(|touch| changes.record(touch))
            }
            None => changes.record(Touch::All),
        }
    }

    /// Every [`PING_EVERY`]: the next ping's payload, or why to give up (the last one did not
    /// come back); `None` between pings.
    fn ping_due(&mut self) -> Result<Option<String>, String> {
        if self.pinged.elapsed() < PING_EVERY {
            return Ok(None);
        }
        if self.answered != Some(self.sent) {
            return Err(NO_PING.into());
        }
        self.sent += 1;
        self.pinged = Instant::now();
        Ok(Some(format!("{} ping{}", self.instance, self.sent)))
    }
}

/// Why a listener gives up when its own ping did not come back.
const NO_PING: &str = "the listener's own notification did not come back within a second (a pooler in transaction mode does not carry LISTEN)";

/// The longest the waking listener sleeps between looks at whether its process still wants it.
const WAKE_AT_LEAST_EVERY: Duration = Duration::from_millis(100);

/// Follows the channel over libpq, looking for notifications every [`PG_POLL`].
fn poll_pg(target: &str, watched: &Weak<Changes>) -> Option<String> {
    let mut pg = match diesel::PgConnection::establish(target) {
        Ok(pg) => pg,
        Err(e) => return Some(e.to_string()),
    };
    if let Err(e) = diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut pg) {
        return Some(e.to_string());
    }
    let mut hearing = Hearing::new(watched.upgrade()?.instance);
    // The first ping must come back before the caches are trusted.
    if let Err(e) = ping(&mut pg, hearing.first_ping()) {
        return Some(e);
    }
    loop {
        let changes = watched.upgrade()?;
        for notification in pg.notifications_iter() {
            match notification {
                Ok(n) => hearing.hear(&changes, &n.payload),
                Err(e) => return Some(e.to_string()),
            }
        }
        drop(changes);
        match hearing.ping_due() {
            Err(e) => return Some(e),
            Ok(Some(payload)) => {
                if let Err(e) = ping(&mut pg, payload) {
                    return Some(e);
                }
            }
            Ok(None) => std::thread::sleep(PG_POLL),
        }
    }
}

fn ping(pg: &mut diesel::PgConnection, payload: String) -> Result<(), String> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(payload)
        .execute(pg)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
        assert!(changes.is_current(stamp, &[Dep::Course(7)]));
        changes.record(Touch::Course(8));
        assert!(
            changes.is_current(stamp, &[Dep::Course(7)]),
            "another course's write"
        );
        assert!(changes.is_current(stamp, &[]), "a value of no course");
        changes.record(Touch::Members {
            course: 7,
            list: 71,
        });
        let rows_and_70 = [Dep::CourseRows(7), Dep::MemberList(70)];
        assert!(
            changes.is_current(stamp, &rows_and_70),
            "another list's members"
        );
        assert!(
            !changes.is_current(stamp, &[Dep::CourseRows(7), Dep::MemberList(71)]),
            "this list's members"
        );
        assert!(
            !changes.is_current(stamp, &[Dep::Course(7)]),
            "anything of the course: its member lists too"
        );
        changes.record(Touch::Course(7));
        assert!(!changes.is_current(stamp, &rows_and_70));
        let later = changes.stamp();
        assert!(changes.is_current(later, &[Dep::Course(7)]));
        changes.record(Touch::Nothing);
        assert!(changes.is_current(later, &[Dep::Course(7)]));
        changes.record(Touch::All);
        assert!(!changes.is_current(later, &[Dep::Course(9)]));
    }

    #[test]
    fn an_enrollment_changes_its_course_and_its_user_permissions_only() {
        let changes = Changes::default();
        changes.assume_alone();
        let stamp = changes.stamp();
        changes.record(Touch::Enrollment { course: 7, user: 3 });
        assert!(!changes.is_current(stamp, &[Dep::Course(7)]), "the course");
        assert!(
            !changes.is_current(stamp, &[Dep::CourseRows(7)]),
            "its rows"
        );
        assert!(
            !changes.is_current(stamp, &[Dep::EnrollmentsOf(3)]),
            "the user's permissions"
        );
        assert!(
            changes.is_current(stamp, &[Dep::EnrollmentsOf(4)]),
            "another user's"
        );
        assert!(
            changes.is_current(stamp, &[Dep::Course(3)]),
            "org unit 3 is not user 3"
        );
    }

    #[test]
    fn payloads_round_trip_and_strangers_mean_everything() {
        let enrollment = Touch::Enrollment {
            course: 42,
            user: 7,
        };
        let members = Touch::Members {
            course: 42,
            list: 43,
        };
        for touch in [Touch::Course(42), members, enrollment, Touch::All] {
            let payload = payload(5, &[touch]).expect("payload");
            assert_eq!(
                Message::parse(&payload),
                Some(Message::Wrote(5, vec![touch]))
            );
        }
        let batch = [members, Touch::Nothing, Touch::Course(42), members];
        let listed = payload(5, &batch).expect("payload");
        assert_eq!(listed, "5 m42.43 c42", "each unit once");
        assert_eq!(
            Message::parse(&listed),
            Some(Message::Wrote(5, vec![members, Touch::Course(42)]))
        );
        assert_eq!(payload(5, &[members, Touch::All]).as_deref(), Some("5 *"));
        let many: Vec<Touch> = (0..2_000)
            .map(|list| Touch::Members { course: 1, list })
            .collect();
        assert_eq!(
            payload(5, &many).as_deref(),
            Some("5 *"),
            "too long to list"
        );
        assert_eq!(Message::parse("5 ping7"), Some(Message::Ping(5, 7)));
        assert_eq!(payload(5, &[Touch::Nothing]), None);
        assert_eq!(Message::parse("5 m1 cX"), None);
        assert_eq!(Message::parse("5 m1.x"), None);
        assert_eq!(Message::parse("garbage"), None);
        assert_eq!(Message::parse("5 cX"), None);
    }
}
