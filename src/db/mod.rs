//! One connection type over SQLite and PostgreSQL, the pool, and the only two ways handlers
//! touch the database: [`Db::read`] and [`Db::write`]. Both run the pool checkout and the whole
//! unit of work on actix's blocking pool, so no actix worker ever waits on the database.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{ApiError, ApiResult};

pub mod membership;
pub mod rows;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The connection every query is written against. Diesel dispatches each query to the backend
/// in use, so one `schema.rs` and one set of queries serve both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `DATABASE_URL`. The backend comes from the scheme, never from trying each driver in
/// turn (SQLite would happily open any string as a file name).
#[derive(Clone, Debug)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What the driver is given: a file path for SQLite, the URL itself for PostgreSQL.
    pub target: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_string(),
            });
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return Err(format!(
                "unsupported database URL scheme in {url:?}: use sqlite://PATH or postgres://..."
            ));
        } else {
            url
        };
        if path.is_empty() {
            return Err("the SQLite database path is empty".into());
        }
        Ok(Self {
            backend: Backend::Sqlite,
            target: path.to_string(),
        })
    }
}

/// Opens connections for r2d2 and sets SQLite's per-connection pragmas.
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.url.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url.target)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url.target)
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first, so the others wait rather than fail on a busy file.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // A connection left inside a transaction (a panic mid-unit) must not be reused.
        !matches!(
            <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth(),
            Ok(None)
        )
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The database handle shared by the server, the worker and the CLI.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite allows one writer; writers queue here instead of spinning on SQLITE_BUSY.
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    /// Builds the pool. For SQLite, WAL is switched on once here, before any pooled connection
    /// exists (doing it per connection races and reports "database is locked").
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, String> {
        let url = DatabaseUrl::parse(url)?;
        if url.backend == Backend::Sqlite {
            let mut conn = diesel::SqliteConnection::establish(&url.target)
                .map_err(|e| format!("cannot open SQLite database {}: {e}", url.target))?;
            conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                .map_err(|e| format!("cannot switch SQLite to WAL: {e}"))?;
        }
        let backend = url.backend;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            // Connections open on demand; a handful of idle ones is enough.
            .min_idle(Some(pool_size.clamp(1, 2)))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url })
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        Ok(Self {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> ApiResult<PooledConn> {
        Ok(self.pool.get()?)
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

    /// Runs a unit of work that writes, in one transaction, on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_sync(f)).await?
    }

    pub fn read_sync<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// The write path for code that is already off the actix workers (CLI, background jobs).
    pub fn write_sync<T>(&self, f: impl FnOnce(&mut DbConnection) -> ApiResult<T>) -> ApiResult<T> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = self.conn()?;
                let conn: &mut DbConnection = &mut conn;
                conn.transaction(f)
            }
            Backend::Sqlite => {
                let _writer = self
                    .sqlite_writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut conn = self.conn()?;
                immediate_transaction(&mut conn, f)
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

/// SQLite's `BEGIN IMMEDIATE` around `f`: the write lock is taken up front, so a transaction
/// never fails half-way for want of it. Nested `transaction` calls inside `f` become savepoints.
fn immediate_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<T> {
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    } else {
        return conn.transaction(f);
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
