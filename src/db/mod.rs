//! One connection type over SQLite and PostgreSQL, the pool, and the only two ways handlers
//! touch the database: [`Db::read`] and [`Db::write`]. Both run the pool checkout and the whole
//! unit of work on actix's blocking pool, so no actix worker ever waits on the database.
//!
//! Two promises are kept here rather than in every handler: a request that cannot have a
//! connection hears so (503) within the checkout timeout, and at once while the database is
//! known to be down; and a unit of work that loses a race with another writer (deadlock,
//! serialization failure, a key taken first) is run again, a bounded number of times.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{ApiError, ApiResult};
use changes::{Changes, Touch};

/// For the statements `MultiConnection` cannot dispatch (batch inserts): one body, compiled
/// once per backend. Where the bodies differ (`FOR SHARE`, `INSERT OR IGNORE`), a query keeps an
/// explicit `match` instead.
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

mod batch;
pub mod changes;
mod connection;
pub mod memo;

use connection::{with_connection_defaults, Health, LogPoolErrors};
pub use connection::{Backend, DatabaseUrl, Manager, Pool, PoolOptions, PoolUsage, PooledConn};

pub mod apps;
pub mod assertions;
pub mod categories;
pub mod classlist;
pub mod clients;
pub mod courses;
pub mod dry_run;
pub mod enrollments;
pub mod history;
pub mod institutions;
pub mod jobs;
pub mod members;
pub mod oauth;
pub mod org_structure;
pub mod org_units;
pub mod permissions;
pub mod rate_buckets;
pub mod reset;
pub mod roles;
pub mod rows;
pub mod sections;
pub mod sessions;
pub mod signing_keys;
pub mod standing;
pub mod users;
pub mod vles;

/// Rows a batch insert sends at once: well under both backends' bind-parameter limits.
pub const BATCH_ROWS: usize = 2_000;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The connection every query is written against. Diesel dispatches each query to the backend
/// in use, so one `schema.rs` and one set of queries serve both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// What a unit of work that writes answers: its value, what it touched, and whether it may
/// share a batch ([`Db::write`]). `services::Wrote` is the one kind; units of work make it.
pub trait Written: Send + 'static {
    type Value: Send + 'static;
    /// Whether it holds its course (or org unit) in shared mode at most.
    const SHARES_BATCH: bool;
    fn into_parts(self) -> (Self::Value, Touch);
}

/// How often a unit of work is run in all when it keeps losing races with other writers.
const WRITE_ATTEMPTS: u32 = 5;
/// How many batches of writes one process runs at once on PostgreSQL ([`batch`]).
const POSTGRES_WRITE_LANES: usize = 4;
/// How long a waiting checkout sleeps between looks at the database's health.
const CHECKOUT_SLICE: Duration = Duration::from_millis(50);

/// The database handle shared by the server, the worker and the CLI.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    checkout_timeout: Duration,
    health: Arc<Health>,
    /// SQLite allows one writer; writers queue here instead of spinning on SQLITE_BUSY.
    sqlite_writer: Arc<Mutex<()>>,
    /// Where handlers' writes wait to run in a batch ([`batch`]); on SQLite its one writer
    /// is `sqlite_writer`.
    batcher: Arc<batch::Batcher>,
    /// Every committed write is recorded here, for the caches.
    changes: Arc<Changes>,
    url: DatabaseUrl,
    /// For `sqlite::memory:`, the connection that keeps the database in being.
    _memory_keeper: Option<Arc<Mutex<diesel::SqliteConnection>>>,
}

impl Db {
    /// [`Db::connect_with`] with the default checkout timeout.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, String> {
        Self::connect_with(url, PoolOptions::sized(pool_size))
    }

    /// Builds the pool. For SQLite, WAL is switched on once here, before any pooled connection
    /// exists (doing it per connection races and reports "database is locked").
    pub fn connect_with(url: &str, options: PoolOptions) -> Result<Self, String> {
        let mut url = DatabaseUrl::parse(url)?;
        let mut memory_keeper = None;
        if url.backend == Backend::Sqlite {
            let mut conn = diesel::SqliteConnection::establish(&url.target)
                .map_err(|e| format!("cannot open SQLite database {}: {e}", url.target))?;
            if url.in_memory {
                // No WAL in memory; this connection keeps the database alive while pooled
                // ones come and go (it vanishes with its last connection).
                conn.batch_execute("PRAGMA busy_timeout = 5000;")
                    .map_err(|e| format!("cannot open the in-memory database: {e}"))?;
                memory_keeper = Some(Arc::new(Mutex::new(conn)));
            } else {
                conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                    .map_err(|e| format!("cannot switch SQLite to WAL: {e}"))?;
            }
        }
        if url.backend == Backend::Postgres {
            url.target = with_connection_defaults(&url.target);
        }
        let backend = url.backend;
        let manager_url = url.clone();
        let health = Arc::new(Health::default());
        let size = options.size.max(1);
        let checkout_timeout = options.checkout_timeout.max(Duration::from_millis(1));
        let pool = r2d2::Pool::builder()
            .max_size(size)
            // Connections open on demand; a handful of idle ones is enough.
            .min_idle(Some(size.clamp(1, 2)))
            // A SQLite connection is a file handle: it cannot go stale, so asking it `SELECT 1`
            // on every checkout (r2d2's default) only costs. A PostgreSQL one can (a restart).
            .test_on_check_out(backend == Backend::Postgres)
            // Also r2d2's retry interval while the database is down (it waits half of this).
            .connection_timeout(checkout_timeout.max(Duration::from_secs(1)))
            .error_handler(Box::new(LogPoolErrors))
            .build(Manager {
                url: manager_url,
                health: health.clone(),
            })
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let sqlite_writer = Arc::new(Mutex::new(()));
        Ok(Self {
            pool,
            backend,
            checkout_timeout,
            health,
            sqlite_writer: sqlite_writer.clone(),
            batcher: Arc::new(batch::Batcher::new(match backend {
                Backend::Sqlite => vec![sqlite_writer],
                Backend::Postgres => (0..POSTGRES_WRITE_LANES).map(|_| Arc::default()).collect(),
            })),
            changes: Arc::new(Changes::default()),
            url,
            _memory_keeper: memory_keeper,
        })
    }

    /// A memo of reads of this database, forgetting each when a write it depends on is
    /// recorded; `capacity` is in the units of the weights given to [`memo::Memo::put`].
    pub fn memo<K: Eq + std::hash::Hash, V: Clone>(&self, capacity: usize) -> memo::Memo<K, V> {
        memo::Memo::new(self.changes.clone(), capacity)
    }

    /// Starts following other processes' writes, without which no cache counts as current
    /// (a server calls it once; one-shot CLI commands have no caches and need not).
    pub fn watch_changes(&self) {
        changes::listen(self.url.clone(), &self.changes);
    }

    /// Before a request trusts any cache: on a SQLite file, brings in what other processes (the
    /// CLI beside the server) committed since the last request, so that a command that has
    /// returned is seen by the next request. One read of the file's write counter, on the
    /// worker (a `pread` of 48 bytes, as cheap as reading the clock); the change log is read
    /// on the blocking pool only when the counter moved. Nothing to do on PostgreSQL, whose
    /// listener each write's notification wakes.
    pub async fn catch_up(&self) {
        if let changes::CatchUp::ReadLog(header) = self.changes.catch_up() {
            let db = self.clone();
            let _ = actix_web::web::block(move || {
                db.changes.read_log(header, |after| {
                    db.read_sync(|conn| changes::log_after(conn, after))
                })
            })
            .await;
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool's connections in use and idle now, and its size (for `/metrics`; it takes the
    /// pool's lock only for a moment, never a connection).
    pub fn pool_usage(&self) -> PoolUsage {
        PoolUsage::of(&self.pool)
    }

    /// A pooled connection within the checkout timeout, or 503. While the database is known
    /// to be down, only an idle connection that still answers is handed out; otherwise the
    /// answer is immediate.
    pub fn conn(&self) -> ApiResult<PooledConn> {
        self.conn_within(self.checkout_timeout)
    }

    fn conn_within(&self, timeout: Duration) -> ApiResult<PooledConn> {
        if let Some(conn) = self.pool.try_get() {
            return Ok(PooledConn::new(conn));
        }
        let deadline = Instant::now() + timeout;
        loop {
            if self.health.is_down() {
                return Err(ApiError::unavailable("the database is unreachable"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::unavailable(format!(
                    "no database connection free within {} ms (pool of {})",
                    timeout.as_millis(),
                    self.pool.max_size()
                )));
            }
            // Short waits, so that a connection attempt failing meanwhile ends the wait.
            if let Ok(conn) = self.pool.get_timeout(left.min(CHECKOUT_SLICE)) {
                return Ok(PooledConn::new(conn));
            }
        }
    }

    /// Whether the database answers within `timeout` (the readiness probe).
    pub fn ping(&self, timeout: Duration) -> ApiResult<()> {
        let mut conn = self.conn_within(timeout)?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| ApiError::unavailable(format!("the database does not answer: {e}")))
    }

    /// Runs a read-only unit of work on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.read_sync(f)).await?
    }

    /// Runs one statement that commits by itself and that no cache reads (a shared rate
    /// budget's lease), on the blocking pool: no transaction of its own, no batch, nothing
    /// announced.
    pub async fn autocommit<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(f).await
    }

    /// Runs a unit of work that writes, in one transaction, on the blocking pool. The unit may
    /// run more than once (see [`Db::write_sync`]), so it must not consume what it captures.
    /// What it answers ([`Written`]: `services::Wrote`) says what it touched, for the caches,
    /// and how much of its course it holds, which decides how it runs: a unit that holds its
    /// course in shared mode at most (a membership change) shares a batch with the writes
    /// queued at the same time on both backends ([`batch`]); any other shares one on SQLite
    /// (one writer) and runs alone on PostgreSQL, since it may lock a course's structure and
    /// batches of such writes could deadlock each other. A batch runs its units in order of
    /// `about`, the org unit each is about, so that batches take their courses' locks (all of
    /// them shared) in one order.
    pub async fn write<W, F>(&self, about: i64, f: F) -> ApiResult<W::Value>
    where
        W: Written,
        F: FnMut(&mut DbConnection) -> ApiResult<W> + Send + 'static,
    {
        let db = self.clone();
        let mut f = f;
        let unit = move |conn: &mut DbConnection| f(conn).map(Written::into_parts);
        if W::SHARES_BATCH || self.backend == Backend::Sqlite {
            actix_web::web::block(move || db.write_in_batch(about, unit)).await?
        } else {
            actix_web::web::block(move || db.write_sync_touching(unit)).await?
        }
    }

    /// Queues the unit of work and runs it in the next batch ([`batch`]): either one that
    /// another writer runs while this thread waits for a writer lock, or one it runs itself,
    /// of every unit queued by then.
    fn write_in_batch<T, F>(&self, unit_id: i64, unit: F) -> ApiResult<T>
    where
        F: FnMut(&mut DbConnection) -> ApiResult<(T, Touch)> + Send + 'static,
        T: Send + 'static,
    {
        let answer = self.batcher.queue.push(unit_id, unit);
        let reply = loop {
            if let Ok(reply) = answer.try_recv() {
                break reply;
            }
            let _writer = self.batcher.writer();
            // The batch run while this thread waited may have held its unit.
            if let Ok(reply) = answer.try_recv() {
                break reply;
            }
            let batch = self.batcher.queue.take();
            match self.conn() {
                Ok(mut conn) => {
                    if !batch::run(&mut conn, &self.changes, batch) {
                        conn.discard();
                    }
                }
                // Each unit, run alone, meets the same trouble and answers it (a 503).
                Err(_) => batch.into_iter().for_each(|unit| unit.finish(false)),
            }
        };
        match reply {
            batch::Reply::Answered(outcome) => outcome,
            batch::Reply::RunAlone(unit) => self.write_sync_touching(unit),
        }
    }

    pub fn read_sync<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.conn()?;
        let outcome = f(&mut conn);
        discard_if_troubled(&mut conn, &outcome);
        outcome
    }

    /// The write path for code that is already off the actix workers (CLI, background jobs).
    ///
    /// On PostgreSQL a unit of work that fails for contention (deadlock, serialization failure,
    /// a unique or foreign key that a concurrent transaction got to first) is rolled back and run
    /// again, up to [`WRITE_ATTEMPTS`] times with a short random pause, on the same connection:
    /// the next run sees what the other transaction committed and answers accordingly (an
    /// update instead of an insert, a 404, a 400). SQLite has one writer, so it never races.
    pub fn write_sync<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.write_sync_touching(|conn| Ok((f(conn)?, Touch::All)))
    }

    /// [`Db::write_sync`] for a unit of work that says what it changed. On PostgreSQL the
    /// change is announced to other processes inside the transaction (so it is announced if
    /// and only if it commits). Here it is recorded twice: just before the commit, so that
    /// nothing remembered from before is served once the commit can be seen (through a route
    /// that is not cached, or a job's status); and after it, so that nothing read in between,
    /// possibly before the commit, is kept either.
    pub fn write_sync_touching<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> ApiResult<(T, Touch)>,
    ) -> ApiResult<T> {
        let (value, touch) = self.transact(|conn| {
            let _writing = memo::WriteScope::open();
            let (value, touch) = f(conn)?;
            self.changes.announce(conn, &[touch])?;
            self.changes.record(touch);
            Ok((value, touch))
        })?;
        self.changes.record(touch);
        Ok(value)
    }

    fn transact<T>(&self, mut f: impl FnMut(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        match self.backend {
            Backend::Postgres => {
                let mut pooled = self.conn()?;
                let conn: &mut DbConnection = &mut pooled;
                let mut attempt = 1;
                let outcome = loop {
                    match conn.transaction(&mut f) {
                        Err(err) if err.is_retryable() && attempt < WRITE_ATTEMPTS => {
                            tracing::debug!(attempt, error = ?err, "unit of work lost a race; running it again");
                            std::thread::sleep(retry_pause(attempt));
                            attempt += 1;
                        }
                        outcome => break outcome,
                    }
                };
                discard_if_troubled(&mut pooled, &outcome);
                outcome
            }
            Backend::Sqlite => {
                let _writer = self
                    .sqlite_writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut conn = self.conn()?;
                let outcome = immediate_transaction(&mut conn, f);
                discard_if_troubled(&mut conn, &outcome);
                outcome
            }
        }
    }

    /// Applies pending migrations. On PostgreSQL an advisory lock keeps two starting
    /// processes from migrating at once.
    pub fn migrate(&self) -> Result<(), String> {
        let mut conn = self.conn().map_err(|e| e.to_string())?;
        let result = match &mut *conn {
            DbConnection::Pg(pg) => {
                pg.batch_execute("SELECT pg_advisory_lock(660601)")
                    .map_err(|e| e.to_string())?;
                let applied = pg
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                let _ = pg.batch_execute("SELECT pg_advisory_unlock(660601)");
                applied
            }
            DbConnection::Sqlite(sqlite) => sqlite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| format!("migration failed: {e}"))
    }
}

/// A random pause before attempt `attempt + 1`, growing with each attempt (1–4 ms, 2–8 ms, ...),
/// so that transactions that collided do not collide again in step.
fn retry_pause(attempt: u32) -> Duration {
    use rand::Rng;
    let base = 1u64 << attempt.min(6);
    Duration::from_micros(rand::thread_rng().gen_range(base * 1_000..base * 4_000))
}

/// SQLite's `BEGIN IMMEDIATE` around `f`: the write lock is taken up front, so a transaction
/// never fails half-way for want of it. Nested `transaction` calls inside `f` become savepoints.
fn immediate_transaction<T>(
    conn: &mut DbConnection,
    mut f: impl FnMut(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<T> {
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    } else {
        return conn.transaction(&mut f);
    }
    let outcome = f(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        return Err(ApiError::internal(
            "connection changed backend mid-transaction",
        ));
    };
    match outcome {
        Ok(value) => {
            <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(err) => {
            <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(sqlite)?;
            Err(err)
        }
    }
}

/// True when a Diesel error is a unique-constraint violation; both backends report it the same.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A unit of work that met database trouble (503) may have met a broken connection: it is not
/// handed out again (the pool opens another), since a connection used in the last second is
/// handed out without a `SELECT 1` first.
fn discard_if_troubled<T>(conn: &mut PooledConn, outcome: &ApiResult<T>) {
    if matches!(outcome, Err(ApiError::Unavailable(_))) {
        conn.discard();
    }
}
