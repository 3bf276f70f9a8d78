//! Issue 8's figure: `POST /d2l/api/lp/1.47/enrollments/` of distinct learners into one course
//! at 64 connections, beside what the database itself sustains at 64 connections — a raw loop
//! of single-row, autocommit inserts into `enrollments` — on SQLite (default) or PostgreSQL
//! (`TEST_DATABASE_URL=postgres://...`). Prints both rates and their ratio.
//!
//! A benchmark, not a test: it asserts no time, and failed requests or inserts are counted and
//! printed by cause, never fatal (today's PostgreSQL enrollment path deadlocks under exactly
//! this load, and that figure has to be measurable).
//!
//!     cargo bench --bench enrollments
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench enrollments
//!     BENCH_SECONDS=1 cargo bench --bench enrollments     # quick mode, for CI
//!
//! - `BENCH_SECONDS` (default 5): how long each of the two phases runs.
//! - `BENCH_CONNECTIONS` (default 64): concurrent HTTP connections, and raw database connections.
//! - `BENCH_USERS` (default 20,000 per second of a phase, at least 5,000): learners created
//!   before the clock starts; each phase enrolls each of them at most once, into its own course.
//!
//! The server is the real one (`app::server`, built in release by `cargo bench`) with the
//! production settings of `Settings::new` — pool size, workers, job worker — except the rate
//! limit, raised so that it measures the server and not the limiter.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use d2l_groups::config::{RateLimitSettings, Settings};
use d2l_groups::db::rows::Enrollment;
use d2l_groups::db::{Db, DbConnection};
use d2l_groups::schema::enrollments;
use diesel::prelude::*;
use serde_json::json;
use support::common::spawn_app_with;
use support::{backend, drop_schema, percentile, seed_users, student_role};

/// Settings read from the environment.
struct Config {
    seconds: f64,
    connections: usize,
    users: usize,
}

impl Config {
    fn from_env() -> Self {
        fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
            let value = std::env::var(name).ok()?;
            match value.trim().parse() {
                Ok(v) => Some(v),
                Err(_) => {
                    eprintln!("ignoring {name}={value:?}: not a number");
                    None
                }
            }
        }
        let seconds = var::<f64>("BENCH_SECONDS")
            .filter(|s| *s > 0.0)
            .unwrap_or(5.0);
        let connections = var::<usize>("BENCH_CONNECTIONS")
            .filter(|c| *c > 0)
            .unwrap_or(64);
        let users = var::<usize>("BENCH_USERS")
            .unwrap_or(((seconds * 20_000.0) as usize).max(5_000))
            .max(connections);
        Self {
            seconds,
            connections,
            users,
        }
    }

    fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }
}

/// What one phase (or one of its tasks) saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    /// Failures by kind: an HTTP status, or a transport or database error.
    failures: BTreeMap<String, u64>,
    /// The first message seen for each kind of failure.
    examples: BTreeMap<String, String>,
    /// Time of every answered request or insert, successful or not.
    latencies: Vec<Duration>,
    /// A task stopped because the pool of pre-created learners ran out.
    exhausted: bool,
}

impl Tally {
    fn fail(&mut self, kind: String, message: String) {
        *self.failures.entry(kind.clone()).or_default() += 1;
        self.examples.entry(kind).or_insert_with(|| {
            let one_line = message.replace('\n', " ");
            one_line.chars().take(100).collect()
        });
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        for (kind, n) in other.failures {
            *self.failures.entry(kind).or_default() += n;
        }
        for (kind, message) in other.examples {
            self.examples.entry(kind).or_insert(message);
        }
        self.latencies.extend(other.latencies);
        self.exhausted |= other.exhausted;
    }

    fn errors(&self) -> u64 {
        self.failures.values().sum()
    }
}

/// A finished phase: its tally, sorted latencies, and the time from the start signal until the
/// last task finished (requests in flight at the deadline are waited for and counted).
struct Phase {
    tally: Tally,
    elapsed: Duration,
}

impl Phase {
    fn new(mut tally: Tally, elapsed: Duration) -> Self {
        tally.latencies.sort_unstable();
        Self { tally, elapsed }
    }

    fn rate(&self) -> f64 {
        self.tally.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn p(&self, p: f64) -> f64 {
        percentile(&self.tally.latencies, p).as_secs_f64() * 1000.0
    }

    fn describe(&self, what: &str, unit: &str) {
        println!(
            "  {what}: {} {unit} in {:.2} s = {:.2}/s; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
            self.tally.ok,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.p(50.0),
            self.p(99.0),
            self.p(100.0),
        );
        if self.tally.failures.is_empty() {
            println!("    failures: none");
        }
        for (kind, n) in &self.tally.failures {
            let example = self.tally.examples.get(kind).map_or("", String::as_str);
            println!("    failures {kind}: {n}  (e.g. {example:?})");
        }
        if self.tally.exhausted {
            println!("    note: the pre-created learners ran out before the deadline (raise BENCH_USERS); the rate is over the time actually run");
        }
    }
}

/// What both phases enroll: pre-created learners, each taken once per phase.
struct Load {
    course: i64,
    institution_id: i64,
    student: i64,
    users: Arc<Vec<i64>>,
}

fn main() {
    let config = Config::from_env();
    actix_web::rt::System::new().block_on(async move {
        let app = spawn_app_with(|s| {
            let mut production = Settings::new(s.database_url.clone());
            production.rate_limit =
                RateLimitSettings::new(u32::MAX, 1).expect("valid rate limit");
            *s = production;
        })
        .await;
        let http_course = app.create_course("BENCH-ENROLL-HTTP").await;
        let raw_course = app.create_course("BENCH-ENROLL-RAW").await;
        let started = Instant::now();
        let users = Arc::new(seed_users(&app, config.users));
        let (institution_id, student) = app
            .state
            .db
            .read_sync(student_role)
            .expect("Student role");
        eprintln!(
            "{}: {} learners created in {:.2?}; {} connections, {} s per phase",
            backend(),
            users.len(),
            started.elapsed(),
            config.connections,
            config.seconds
        );

        let deadlocks_before = pg_deadlocks(&app);
        let url = app.lp("/enrollments/");
        let token = app.admin.clone();
        let http_load = Load {
            course: http_course,
            institution_id,
            student,
            users: users.clone(),
        };
        let (connections, duration) = (config.connections, config.duration());
        let http = actix_web::rt::task::spawn_blocking(move || {
            http_phase(&url, &token, &http_load, connections, duration)
        })
        .await
        .expect("HTTP phase");

        let enrolled: i64 = app
            .state
            .db
            .read_sync(|conn| {
                Ok(enrollments::table
                    .filter(enrollments::org_unit_id.eq(http_course))
                    .count()
                    .get_result(conn)?)
            })
            .expect("count enrollments");

        let database_url = app.database_url.clone();
        let raw_load = Load {
            course: raw_course,
            institution_id,
            student,
            users,
        };
        let raw = actix_web::rt::task::spawn_blocking(move || {
            raw_phase(&database_url, &raw_load, connections, duration)
        })
        .await
        .expect("raw phase");
        // PostgreSQL's own count of the deadlocks it broke, for the 500s whose cause the answer
        // rightly hides. Read after the raw phase (single-row inserts of distinct keys cannot
        // deadlock), because a backend publishes its counters only every second or so, and an
        // idle one within 10 s.
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        let deadlocks = pg_deadlocks(&app).zip(deadlocks_before).map(|(a, b)| a - b);

        print_table(&config, &http, &raw);
        http.describe("HTTP POST /enrollments/", "enrolled");
        raw.describe("raw INSERT INTO enrollments", "rows");
        if let Some(n) = deadlocks {
            println!("  deadlocks PostgreSQL detected in the database during the run: {n} (counted for the whole database, other clients included)");
        }
        let doubled_or_lost = enrolled != i64::try_from(http.tally.ok).unwrap_or(i64::MAX);
        println!(
            "  the HTTP course holds {enrolled} enrollments for {} successful POSTs{}",
            http.tally.ok,
            if doubled_or_lost { "  MISMATCH" } else { "" }
        );
        drop_schema(&app);
    });
}

/// `pg_stat_database.deadlocks` of the current database; `None` on SQLite.
fn pg_deadlocks(app: &support::common::TestApp) -> Option<i64> {
    #[derive(QueryableByName)]
    struct Deadlocks {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        deadlocks: i64,
    }
    let mut conn = app.state.db.conn().ok()?;
    let DbConnection::Pg(pg) = &mut *conn else {
        return None;
    };
    diesel::sql_query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        .get_result::<Deadlocks>(pg)
        .ok()
        .map(|d| d.deadlocks)
}

fn print_table(config: &Config, http: &Phase, raw: &Phase) {
    let ratio = match http.rate() / raw.rate() {
        r if !r.is_finite() => "-".into(),
        r if r > 0.0 && r < 0.001 => format!("{r:.1e}"),
        r => format!("{r:.4}"),
    };
    println!();
    println!(
        "{:<10} {:>5} {:>6} {:>12} {:>12} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "backend",
        "conns",
        "secs",
        "HTTP req/s",
        "raw rows/s",
        "HTTP/raw",
        "p50 ms",
        "p99 ms",
        "HTTP err",
        "raw err"
    );
    println!(
        "{:<10} {:>5} {:>6} {:>12.2} {:>12.1} {:>9} {:>9.1} {:>9.1} {:>8} {:>8}",
        backend(),
        config.connections,
        config.seconds,
        http.rate(),
        raw.rate(),
        ratio,
        http.p(50.0),
        http.p(99.0),
        http.tally.errors(),
        raw.tally.errors()
    );
}

/// `connections` tasks, each with its own client holding one keep-alive connection, POST
/// enrollments of distinct learners until the deadline. Runs its own multi-threaded runtime so
/// that the load generator is not squeezed onto the thread driving the server.
fn http_phase(
    url: &str,
    token: &str,
    load: &Load,
    connections: usize,
    duration: Duration,
) -> Phase {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(async {
        let next = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(tokio::sync::Barrier::new(connections + 1));
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let (url, token) = (url.to_string(), token.to_string());
            let (next, ready, users) = (next.clone(), ready.clone(), load.users.clone());
            let (course, student) = (load.course, load.student);
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                // Open the connection before the clock starts.
                let warm = client
                    .get(url.replace("/lp/1.47/enrollments/", "/versions/"))
                    .send();
                if let Ok(res) = warm.await {
                    let _ = res.bytes().await;
                }
                // Released together: each task's clock starts within microseconds of the others.
                ready.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let Some(&user) = users.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        tally.exhausted = true;
                        break;
                    };
                    let body = json!({"OrgUnitId": course, "UserId": user, "RoleId": student});
                    let sent = Instant::now();
                    match client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(res) => {
                            let status = res.status();
                            let text = res.text().await.unwrap_or_default();
                            tally.latencies.push(sent.elapsed());
                            if status == 200 {
                                tally.ok += 1;
                            } else {
                                let detail = serde_json::from_str::<serde_json::Value>(&text)
                                    .ok()
                                    .and_then(|v| v["detail"].as_str().map(str::to_string))
                                    .unwrap_or(text);
                                tally.fail(status.as_u16().to_string(), detail);
                            }
                        }
                        Err(e) => {
                            let kind = if e.is_timeout() {
                                "timeout"
                            } else {
                                "transport"
                            };
                            tally.fail(kind.into(), e.to_string());
                        }
                    }
                }
                tally
            }));
        }
        // Released once every connection is open.
        ready.wait().await;
        let began = Instant::now();
        let mut total = Tally::default();
        for task in tasks {
            match task.await {
                Ok(tally) => total.merge(tally),
                Err(e) => total.fail("task".into(), e.to_string()),
            }
        }
        Phase::new(total, began.elapsed())
    })
}

/// `connections` threads, each on its own connection from a pool with the server's connection
/// settings (`Db::connect`: WAL, busy_timeout, synchronous and foreign keys on SQLite), insert
/// one enrollment row per statement, autocommit, until the deadline.
fn raw_phase(database_url: &str, load: &Load, connections: usize, duration: Duration) -> Phase {
    let pool_size = u32::try_from(connections).unwrap_or(u32::MAX);
    let db = Db::connect(database_url, pool_size).expect("raw connection pool");
    let next = AtomicUsize::new(0);
    let ready = std::sync::Barrier::new(connections + 1);
    let (total, began) = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..connections)
            .map(|_| {
                let (db, next, ready) = (&db, &next, &ready);
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let conn = db.conn();
                    ready.wait();
                    let mut conn = match conn {
                        Ok(conn) => conn,
                        Err(e) => {
                            tally.fail("connect".into(), e.to_string());
                            return tally;
                        }
                    };
                    let deadline = Instant::now() + duration;
                    while Instant::now() < deadline {
                        let Some(&user) = load.users.get(next.fetch_add(1, Ordering::Relaxed))
                        else {
                            tally.exhausted = true;
                            break;
                        };
                        let row = Enrollment {
                            user_id: user,
                            org_unit_id: load.course,
                            institution_id: load.institution_id,
                            role_id: load.student,
                            is_cascading: false,
                            created_at: Utc::now().naive_utc(),
                        };
                        let sent = Instant::now();
                        let outcome = diesel::insert_into(enrollments::table)
                            .values(&row)
                            .execute(&mut *conn);
                        tally.latencies.push(sent.elapsed());
                        match outcome {
                            Ok(_) => tally.ok += 1,
                            Err(e) => {
                                let message = e.to_string();
                                let kind: String = message.chars().take(40).collect();
                                tally.fail(kind, message);
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        ready.wait();
        let began = Instant::now();
        let mut total = Tally::default();
        for thread in threads {
            match thread.join() {
                Ok(tally) => total.merge(tally),
                Err(_) => total.fail("thread".into(), "panicked".into()),
            }
        }
        (total, began)
    });
    Phase::new(total, began.elapsed())
}
