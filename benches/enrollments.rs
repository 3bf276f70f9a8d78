//! Issue 8's and issue 10's write figures, each beside what the database itself sustains at the
//! same concurrency, on SQLite (default) or PostgreSQL (`TEST_DATABASE_URL=postgres://...`):
//!
//! 1. `POST /d2l/api/lp/1.47/enrollments/` of distinct learners into one course at 64
//!    connections, beside a raw loop of single-row, autocommit inserts into `enrollments`;
//! 2. `POST /d2l/api/lp/1.47/{ou}/groupcategories/{cat}/groups/{gid}/enrollments/` of distinct
//!    learners (enrolled in the course beforehand) into one group of a NumberOfGroupsNoEnrollment
//!    category, at the same concurrency, beside a raw loop of single-row, autocommit inserts
//!    into `enrollments` (the table that route writes) for another group of the category.
//!
//! Prints the rates and the ratio of each route to its raw loop, against the goal of
//! 0.30.
//!
//! A benchmark, not a test: it asserts no time, and failed requests or inserts are counted and
//! printed by cause, never fatal (the PostgreSQL enrollment path once deadlocked under exactly
//! this load, and that figure had to be measurable). It exits 1 only when its harness is
//! broken: a course or group that holds more or fewer rows than there were successful POSTs.
//!
//!     cargo bench --bench enrollments
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench enrollments
//!     BENCH_QUICK=1 cargo bench --profile dev --bench enrollments   # 1 s phases, for CI
//!
//! - `BENCH_SECONDS` (default 5, 1 under `BENCH_QUICK`): how long each of the four phases runs.
//! - `BENCH_CONNECTIONS` (default 64): concurrent HTTP connections, and raw database connections.
//! - `BENCH_USERS` (default 40,000 per second of a phase, at least 5,000): learners created
//!   before the clock starts; each phase takes each of them at most once, into its own course
//!   or group.
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
use serde_json::{json, Value};
use support::common::{category_form, json_ok, spawn_app_with, TestApp};
use support::{backend, drop_schema, enroll_learners, percentile, quick, seed_users, student_role};

/// The goal for each route's rate against its raw insert loop.
const TARGET_RATIO: f64 = 0.30;

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
            .unwrap_or(if quick() { 1.0 } else { 5.0 });
        let connections = var::<usize>("BENCH_CONNECTIONS")
            .filter(|c| *c > 0)
            .unwrap_or(64);
        let users = var::<usize>("BENCH_USERS")
            .unwrap_or(((seconds * 40_000.0) as usize).max(5_000))
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

/// Makes one request's body for a learner.
type BodyOf = Arc<dyn Fn(i64) -> Value + Send + Sync>;

/// Inserts one row for a learner, on one connection.
type InsertOf<'a> = &'a (dyn Fn(&mut DbConnection, i64) -> QueryResult<usize> + Sync);

/// One route measured against its raw loop, as printed in the table.
struct Pair {
    route: &'static str,
    http: Phase,
    raw: Phase,
}

impl Pair {
    fn ratio(&self) -> f64 {
        self.http.rate() / self.raw.rate()
    }
}

fn main() {
    let config = Config::from_env();
    let broken = actix_web::rt::System::new().block_on(async move {
        let app = spawn_app_with(|s| {
            let mut production = Settings::new(s.database_url.clone());
            production.rate_limit =
                RateLimitSettings::new(u32::MAX, 1).expect("valid rate limit");
            *s = production;
        })
        .await;
        let http_course = app.create_course("BENCH-ENROLL-HTTP").await;
        let raw_course = app.create_course("BENCH-ENROLL-RAW").await;
        let group_course = app.create_course("BENCH-ENROLL-GROUP").await;
        let started = Instant::now();
        let users = Arc::new(seed_users(&app.state.db, config.users));
        enroll_learners(&app.state.db, group_course, &users);
        let (institution_id, student) = app
            .state
            .db
            .read_sync(student_role)
            .expect("Student role");
        let (category, http_group, raw_group) = manual_category(&app, group_course).await;
        eprintln!(
            "{}: {} learners created (and enrolled in the group course) in {:.2?}; {} connections, {} s per phase",
            backend(),
            users.len(),
            started.elapsed(),
            config.connections,
            config.seconds
        );
        let (connections, duration) = (config.connections, config.duration());
        let warm = app.url("/d2l/api/versions/");

        // Phase 1 and 2: POST /enrollments/, then its raw loop.
        let deadlocks_before = pg_deadlocks(&app);
        let body: BodyOf =
            Arc::new(move |user| json!({"OrgUnitId": http_course, "UserId": user, "RoleId": student}));
        let enroll_http =
            run_http(&app, app.lp("/enrollments/"), &warm, body, &users, connections, duration).await;
        let enrolled = count(&app, move |conn| {
            enrollments::table
                .filter(enrollments::org_unit_id.eq(http_course))
                .count()
                .get_result(conn)
        });
        let enroll_raw = run_raw(&app, &users, connections, duration, move |conn, user| {
            let row = Enrollment {
                user_id: user,
                org_unit_id: raw_course,
                institution_id,
                role_id: student,
                is_cascading: false,
                created_at: Utc::now().naive_utc(),
                enrolled_by_user_id: None,
            };
            diesel::insert_into(enrollments::table).values(&row).execute(conn)
        })
        .await;

        // Phase 3 and 4: POST of a group enrollment, then its raw loop.
        let url = app.lp(&format!(
            "/{group_course}/groupcategories/{category}/groups/{http_group}/enrollments/"
        ));
        let body: BodyOf = Arc::new(|user| json!({"UserId": user}));
        let group_http = run_http(&app, url, &warm, body, &users, connections, duration).await;
        let joined = count(&app, move |conn| {
            enrollments::table
                .filter(enrollments::org_unit_id.eq(http_group))
                .count()
                .get_result(conn)
        });
        let group_raw = run_raw(&app, &users, connections, duration, move |conn, user| {
            // The statement `members::add_enrolled` sends: a membership is an enrollment in
            // the group, with the member's course role; one that exists is kept.
            let row = Enrollment {
                user_id: user,
                org_unit_id: raw_group,
                institution_id,
                role_id: student,
                is_cascading: false,
                created_at: Utc::now().naive_utc(),
                enrolled_by_user_id: None,
            };
            match conn {
                DbConnection::Pg(c) => diesel::insert_into(enrollments::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c),
                DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(enrollments::table)
                    .values(&row)
                    .execute(c),
            }
        })
        .await;

        // PostgreSQL's own count of the deadlocks it broke, for the 500s whose cause the answer
        // rightly hides. Read after a raw phase (single-row inserts of distinct keys cannot
        // deadlock), because a backend publishes its counters only every second or so, and an
        // idle one within 10 s.
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        let deadlocks = pg_deadlocks(&app).zip(deadlocks_before).map(|(a, b)| a - b);

        let pairs = [
            Pair {
                route: "POST /enrollments/",
                http: enroll_http,
                raw: enroll_raw,
            },
            Pair {
                route: "POST group enrollment",
                http: group_http,
                raw: group_raw,
            },
        ];
        print_table(&config, &pairs);
        let [enroll, group] = &pairs;
        enroll.http.describe("HTTP POST /enrollments/", "enrolled");
        enroll.raw.describe("raw INSERT INTO enrollments", "rows");
        group.http.describe("HTTP POST .../groups/(id)/enrollments/", "joined");
        group.raw.describe("raw INSERT INTO enrollments (a group)", "rows");
        if let Some(n) = deadlocks {
            println!("  deadlocks PostgreSQL detected in the database during the run: {n} (counted for the whole database, other clients included)");
        }
        let broken_enroll = check_count("the HTTP course holds", enrolled, "enrollments", &enroll.http);
        let broken_group = check_count("the HTTP group holds", joined, "memberships", &group.http);
        drop_schema(&app);
        broken_enroll || broken_group
    });
    if broken {
        std::process::exit(1);
    }
}

/// A NumberOfGroupsNoEnrollment category of two groups in `course`, created through the API
/// and waited for: its groups start empty and an explicit enrollment is not bound by a cap
/// (`services::groups::enroll`), so every learner of the course may join either. Answers the
/// category and its two groups (the HTTP phase's and the raw phase's).
async fn manual_category(app: &TestApp, course: i64) -> (i64, i64, i64) {
    let form = category_form(
        "Bench",
        json!("NumberOfGroupsNoEnrollment"),
        json!({"NumberOfGroups": 2}),
    );
    let base = format!("/{course}/groupcategories/");
    let res = app.post(&app.lp(&base), &app.admin, &form).await;
    assert_eq!(res.status(), 202, "create the category");
    let category = res.json::<Value>().await.expect("json")["CategoryId"]
        .as_i64()
        .expect("CategoryId");
    let started = Instant::now();
    loop {
        let status = app.lp(&format!("{base}{category}/status"));
        if json_ok(app.get(&status, &app.admin).await).await["Status"] == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "category never completed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let groups = json_ok(
        app.get(&app.lp(&format!("{base}{category}/groups/")), &app.admin)
            .await,
    )
    .await;
    let ids: Vec<i64> = groups
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["GroupId"].as_i64())
        .collect();
    assert_eq!(ids.len(), 2, "two groups");
    (category, ids[0], ids[1])
}

/// A count read straight from the database, after a phase.
fn count(app: &TestApp, query: impl FnOnce(&mut DbConnection) -> QueryResult<i64>) -> i64 {
    app.state
        .db
        .read_sync(|conn| Ok(query(conn)?))
        .expect("count rows")
}

/// Prints what the HTTP phase left in the database against its successful POSTs; answers
/// whether the harness is broken: a row too many or too few, when no request failed in a way
/// that leaves its outcome unknown (a timeout or a dropped connection may have committed).
fn check_count(what: &str, found: i64, rows: &str, http: &Phase) -> bool {
    let ok = i64::try_from(http.tally.ok).unwrap_or(i64::MAX);
    let unknown: u64 = ["timeout", "transport"]
        .iter()
        .filter_map(|k| http.tally.failures.get(*k))
        .sum();
    let mismatch = found != ok;
    println!(
        "  {what} {found} {rows} for {ok} successful POSTs{}",
        match (mismatch, unknown) {
            (false, _) => String::new(),
            (true, 0) => "  MISMATCH".into(),
            (true, n) => format!("  (differs; {n} requests of unknown outcome)"),
        }
    );
    mismatch && unknown == 0
}

/// The HTTP phase on its own runtime (see [`http_phase`]), off the server's thread.
async fn run_http(
    app: &TestApp,
    url: String,
    warm: &str,
    body: BodyOf,
    users: &Arc<Vec<i64>>,
    connections: usize,
    duration: Duration,
) -> Phase {
    let (token, warm, users) = (app.admin.clone(), warm.to_string(), users.clone());
    actix_web::rt::task::spawn_blocking(move || {
        http_phase(&url, &warm, &token, body, &users, connections, duration)
    })
    .await
    .expect("HTTP phase")
}

/// The raw phase on the blocking pool (see [`raw_phase`]).
async fn run_raw(
    app: &TestApp,
    users: &Arc<Vec<i64>>,
    connections: usize,
    duration: Duration,
    insert: impl Fn(&mut DbConnection, i64) -> QueryResult<usize> + Send + Sync + 'static,
) -> Phase {
    let (database_url, users) = (app.database_url.clone(), users.clone());
    actix_web::rt::task::spawn_blocking(move || {
        raw_phase(&database_url, &users, connections, duration, &insert)
    })
    .await
    .expect("raw phase")
}

/// `pg_stat_database.deadlocks` of the current database; `None` on SQLite.
fn pg_deadlocks(app: &TestApp) -> Option<i64> {
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

fn print_table(config: &Config, pairs: &[Pair]) {
    println!();
    println!(
        "{:<10} {:<22} {:>5} {:>6} {:>12} {:>12} {:>9} {:>7} {:>9} {:>9} {:>8} {:>8}",
        "backend",
        "route",
        "conns",
        "secs",
        "HTTP req/s",
        "raw rows/s",
        "HTTP/raw",
        "goal",
        "p50 ms",
        "p99 ms",
        "HTTP err",
        "raw err"
    );
    for pair in pairs {
        let ratio = match pair.ratio() {
            r if !r.is_finite() => "-".into(),
            r if r > 0.0 && r < 0.001 => format!("{r:.1e}"),
            r => format!("{r:.4}"),
        };
        let goal = if pair.ratio() >= TARGET_RATIO {
            "ok"
        } else {
            "below"
        };
        println!(
            "{:<10} {:<22} {:>5} {:>6} {:>12.2} {:>12.1} {:>9} {:>7} {:>9.1} {:>9.1} {:>8} {:>8}",
            backend(),
            pair.route,
            config.connections,
            config.seconds,
            pair.http.rate(),
            pair.raw.rate(),
            ratio,
            goal,
            pair.http.p(50.0),
            pair.http.p(99.0),
            pair.http.tally.errors(),
            pair.raw.tally.errors()
        );
    }
    println!("(goal: HTTP/raw ≥ {TARGET_RATIO:.2} on both backends; not judged, only shown)");
}

/// `connections` tasks, each with its own client holding one keep-alive connection (opened on
/// `warm` before the clock starts), POST `body(learner)` to `url` for distinct learners until
/// the deadline. Runs its own multi-threaded runtime so that the load generator is not
/// squeezed onto the thread driving the server.
fn http_phase(
    url: &str,
    warm: &str,
    token: &str,
    body: BodyOf,
    users: &Arc<Vec<i64>>,
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
            let (url, warm, token) = (url.to_string(), warm.to_string(), token.to_string());
            let (next, ready, users, body) =
                (next.clone(), ready.clone(), users.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                // Open the connection before the clock starts.
                if let Ok(res) = client.get(&warm).send().await {
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
                    let body = body(user);
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
                                let detail = serde_json::from_str::<Value>(&text)
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
/// settings (`Db::connect`: WAL, busy_timeout, synchronous and foreign keys on SQLite), run
/// `insert` — one row per statement, autocommit — for distinct learners until the deadline.
fn raw_phase(
    database_url: &str,
    users: &[i64],
    connections: usize,
    duration: Duration,
    insert: InsertOf<'_>,
) -> Phase {
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
                        let Some(&user) = users.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            tally.exhausted = true;
                            break;
                        };
                        let sent = Instant::now();
                        let outcome = insert(&mut conn, user);
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
