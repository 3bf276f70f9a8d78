//! Opening connections: the URL's backend, the pool's options and its connection manager, and
//! the database's health as the manager sees it (a failed connection attempt marks it down).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use super::DbConnection;

/// A connection handed back to the pool within this long is handed out again without being
/// asked `SELECT 1` first: one that just worked very likely still does, and the question costs
/// a round trip on every checkout. One that failed since is never handed out again.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// libpq's wait for a server that does not answer at all (seconds; it allows no less than 2).
const PG_CONNECT_TIMEOUT_SECS: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `DATABASE_URL`. The backend comes from the scheme, never from trying each driver in
/// turn (SQLite would happily open any string as a file name, `postgres:127.0.0.1` included).
#[derive(Clone, Debug)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What the driver is given: a file path (or an in-memory URI) for SQLite, the URL itself
    /// for PostgreSQL.
    pub target: String,
    /// `sqlite::memory:`: a database that lives as long as the process's pool.
    pub in_memory: bool,
}

/// The forms `DATABASE_URL` takes, for every refusal to name.
pub const ACCEPTED_DATABASE_URLS: &str = "use sqlite://PATH (or sqlite:PATH, or a bare file \
    path) for a SQLite file, sqlite::memory: for a SQLite database in memory, or \
    postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE for PostgreSQL";

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let refuse = |why: &str| {
            Err(format!(
                "DATABASE_URL {url:?}: {why}; {ACCEPTED_DATABASE_URLS}"
            ))
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return refuse("it is empty");
        }
        if matches!(
            trimmed,
            "sqlite::memory:" | "sqlite://:memory:" | ":memory:"
        ) {
            return Ok(Self::memory());
        }
        let path = match url::Url::parse(trimmed) {
            // No scheme at all: a file path.
            Err(url::ParseError::RelativeUrlWithoutBase) => trimmed,
            Err(e) => return refuse(&format!("it is not a valid URL ({e})")),
            Ok(parsed) => match parsed.scheme() {
                "postgres" | "postgresql" => {
                    let rest = &trimmed[parsed.scheme().len() + 1..];
                    if !rest.starts_with("//") {
                        return refuse("a PostgreSQL URL needs // after the scheme");
                    }
                    return Ok(Self {
                        backend: Backend::Postgres,
                        target: trimmed.to_string(),
                        in_memory: false,
                    });
                }
                "sqlite" => trimmed
                    .strip_prefix("sqlite://")
                    .or_else(|| trimmed.strip_prefix("sqlite:"))
                    .unwrap_or_default(),
                other => {
                    return refuse(&format!(
                        "the scheme {other:?} is not one this server speaks"
                    ))
                }
            },
        };
        if path.is_empty() {
            return refuse("the SQLite file path is empty");
        }
        Ok(Self {
            backend: Backend::Sqlite,
            target: path.to_string(),
            in_memory: false,
        })
    }

    /// A SQLite database in this process's memory that every connection of the pool shares:
    /// SQLite's `memdb` VFS under a name of its own, so that two pools never meet. A plain
    /// `:memory:` would give each pooled connection a different, empty database.
    fn memory() -> Self {
        Self {
            backend: Backend::Sqlite,
            target: format!(
                "file:/d2l-groups-{}?vfs=memdb",
                uuid::Uuid::new_v4().simple()
            ),
            in_memory: true,
        }
    }

    /// Whether the database is there to be opened without creating it: a SQLite file that
    /// exists, or any PostgreSQL database (connecting never creates one).
    pub fn exists(&self) -> bool {
        match self.backend {
            Backend::Postgres => true,
            Backend::Sqlite => !self.in_memory && std::path::Path::new(&self.target).exists(),
        }
    }
}

/// How the pool behaves: its size, and how long a request may wait for a connection.
#[derive(Clone, Copy, Debug)]
pub struct PoolOptions {
    pub size: u32,
    /// Longest wait for a connection before answering 503 (`DATABASE_CHECKOUT_TIMEOUT_MS`).
    pub checkout_timeout: Duration,
}

impl PoolOptions {
    pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

    pub fn sized(size: u32) -> Self {
        Self {
            size,
            checkout_timeout: Self::DEFAULT_CHECKOUT_TIMEOUT,
        }
    }
}

/// The pool's connections as `/metrics` reports them: busy, idle, and the most it opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolUsage {
    pub(super) fn of(pool: &Pool) -> Self {
        let state = pool.state();
        Self {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: pool.max_size(),
        }
    }
}

/// Whether the database is known to be down: the last attempt to open a connection failed and
/// none has succeeded since. While it is, requests that find no idle connection are answered
/// 503 at once instead of each waiting out the checkout timeout; r2d2 keeps retrying the
/// connection in the background, and its first success clears the mark.
#[derive(Default)]
pub(super) struct Health {
    down: AtomicBool,
}

impl Health {
    pub(super) fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    pub(super) fn record(&self, connected: bool) {
        let was_down = self.down.swap(!connected, Ordering::Relaxed);
        if was_down && connected {
            tracing::info!("database reachable again");
        } else if !was_down && !connected {
            tracing::warn!("database unreachable; answering 503 until it returns");
        }
    }
}

/// Opens connections for r2d2 and sets SQLite's per-connection pragmas.
pub struct Manager {
    pub(super) url: DatabaseUrl,
    pub(super) health: Arc<Health>,
}

/// A connection as the pool keeps it: when it was last handed back, and whether a unit of
/// work found it broken.
pub struct Kept {
    conn: DbConnection,
    returned_at: Instant,
    broken: bool,
}

impl Manager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
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
}

impl ManageConnection for Manager {
    type Connection = Kept;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Kept, r2d2::Error> {
        let opened = self.open();
        self.health.record(opened.is_ok());
        opened.map(|conn| Kept {
            conn,
            returned_at: Instant::now(),
            broken: false,
        })
    }

    fn is_valid(&self, kept: &mut Kept) -> Result<(), r2d2::Error> {
        if kept.returned_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        kept.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, kept: &mut Kept) -> bool {
        kept.returned_at = Instant::now();
        // A connection left inside a transaction (a panic mid-unit) must not be reused.
        kept.broken
            || !matches!(
                <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(
                    &mut kept.conn
                )
                .transaction_depth(),
                Ok(None)
            )
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// A connection checked out of the pool; it goes back when dropped.
pub struct PooledConn(r2d2::PooledConnection<Manager>);

impl PooledConn {
    pub(super) fn new(conn: r2d2::PooledConnection<Manager>) -> Self {
        Self(conn)
    }

    /// Keeps the connection from being handed out again: a unit of work on it met database
    /// trouble, and the connection may be what is broken.
    pub(super) fn discard(&mut self) {
        self.0.broken = true;
    }
}

impl Deref for PooledConn {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.0.conn
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.0.conn
    }
}

/// Adds what a PostgreSQL URL leaves unsaid and we want: libpq's `connect_timeout`, so that a
/// server that does not answer at all cannot hold r2d2's connecting threads; and, for a server
/// on this machine, `sslmode=disable`, since TLS on loopback protects nothing and costs about a
/// fifth of each statement's CPU (libpq's default `prefer` negotiates it whenever the server
/// offers it). Whatever the URL says itself wins.
pub(super) fn with_connection_defaults(target: &str) -> String {
    let mut extra = Vec::new();
    if !target.contains("connect_timeout=") {
        extra.push(format!("connect_timeout={PG_CONNECT_TIMEOUT_SECS}"));
    }
    let loopback = url::Url::parse(target).is_ok_and(|u| match u.host() {
        None => true,
        // Non-special schemes leave IP addresses as opaque host names.
        Some(url::Host::Domain(name)) => {
            name == "localhost"
                || name
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
    });
    if loopback && !target.contains("sslmode=") {
        extra.push("sslmode=disable".to_string());
    }
    if extra.is_empty() {
        return target.to_string();
    }
    let sep = if target.contains('?') { '&' } else { '?' };
    format!("{target}{sep}{}", extra.join("&"))
}

/// r2d2 reports failed connection attempts here; its default prints them to stderr.
#[derive(Debug)]
pub(super) struct LogPoolErrors;

impl r2d2::HandleError<r2d2::Error> for LogPoolErrors {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(%error, "database connection attempt failed");
    }
}

#[cfg(test)]
mod tests {
    use super::{with_connection_defaults, Backend, DatabaseUrl};

    #[test]
    fn database_urls_are_parsed_by_scheme_and_mistakes_name_the_accepted_forms() {
        let sqlite = |url: &str| {
            let parsed = DatabaseUrl::parse(url).expect(url);
            assert_eq!(parsed.backend, Backend::Sqlite, "{url}");
            parsed.target
        };
        assert_eq!(sqlite("sqlite://d2l-groups.db"), "d2l-groups.db");
        assert_eq!(sqlite("sqlite:///var/lib/d2l/x.db"), "/var/lib/d2l/x.db");
        assert_eq!(sqlite("sqlite:data/x.db"), "data/x.db");
        assert_eq!(sqlite("data/x.db"), "data/x.db");
        assert_eq!(sqlite("/tmp/x.db"), "/tmp/x.db");
        for memory in ["sqlite::memory:", "sqlite://:memory:", ":memory:"] {
            let parsed = DatabaseUrl::parse(memory).expect(memory);
            assert!(parsed.in_memory && !parsed.exists(), "{memory}");
            assert!(parsed.target.ends_with("?vfs=memdb"), "{memory}");
        }
        let pg = DatabaseUrl::parse("postgres://u@127.0.0.1:5432/db").expect("pg");
        assert_eq!(pg.backend, Backend::Postgres);
        assert_eq!(pg.target, "postgres://u@127.0.0.1:5432/db");
        assert!(
            DatabaseUrl::parse("postgresql:///db").is_ok(),
            "a socket URL"
        );

        for (mistake, why) in [
            ("postgres:127.0.0.1", "needs // after the scheme"),
            ("mysql://u@h/db", "the scheme \"mysql\""),
            ("postgres://u@h:99999/db", "not a valid URL"),
            ("", "it is empty"),
            ("sqlite://", "path is empty"),
        ] {
            let refused = DatabaseUrl::parse(mistake).expect_err(mistake);
            assert!(refused.contains(why), "{mistake}: {refused}");
            assert!(refused.contains("sqlite::memory:"), "{refused}");
            assert!(refused.contains("postgres://USER"), "{refused}");
        }
    }

    #[test]
    fn loopback_urls_skip_tls_and_every_url_gets_a_connect_timeout() {
        assert_eq!(
            with_connection_defaults("postgres://u@127.0.0.1:5432/db"),
            "postgres://u@127.0.0.1:5432/db?connect_timeout=2&sslmode=disable"
        );
        assert_eq!(
            with_connection_defaults("postgres://u@localhost/db?options=-csearch_path%3Dx"),
            "postgres://u@localhost/db?options=-csearch_path%3Dx&connect_timeout=2&sslmode=disable"
        );
        assert_eq!(
            with_connection_defaults("postgres://u@db.example.edu/db"),
            "postgres://u@db.example.edu/db?connect_timeout=2"
        );
        assert_eq!(
            with_connection_defaults("postgres://u@[::1]/db?sslmode=require&connect_timeout=5"),
            "postgres://u@[::1]/db?sslmode=require&connect_timeout=5"
        );
    }
}
