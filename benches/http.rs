//! Issue 10's figures, in one command: requests a second of the LP read routes against the bare
//! route in the same run, the server's CPU per request, how the group and class-list reads scale
//! with what they return, and latency and memory under a fixed offered load of reads and writes.
//!
//!     cargo bench --bench http
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench http
//!     BENCH_QUICK=1 cargo bench --profile dev --bench http     # CI: a few seconds, tiny seeds
//!
//! The server is the real binary (`d2l-groups serve`, production settings except the rate limit,
//! raised out of the way) in its own process pinned to CPU 0 with `taskset`; this process, the
//! load generator, pins itself to CPU 1. The client is a raw HTTP/1.1 keep-alive loop
//! (`support::load`): reqwest would cost more CPU per request than some of the routes measured.
//! Server CPU per request is utime + stime of the server's pid (`/proc/<pid>/stat`) over a phase
//! divided by its requests; on PostgreSQL the backends serving the server's connections are
//! counted apart. A benchmark, not a test: it prints targets beside figures and exits 0 whatever
//! they are; only a broken set-up panics. See docs/performance.md, "The HTTP benchmark".

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use d2l_groups::db::Db;
use support::common::{fresh_database_url, V};
use support::http::{
    add_client, cli, load_average, machine, members_in, nice_of, peak_rss_kib, pin_self, rss_kib,
    set_nice, CpuProbe, CpuUsed, Server, Setup,
};
use support::load::{self, Request, Tally};
use support::seed_learners;

/// Settings read from the environment.
struct Config {
    quick: bool,
    seconds: f64,
    reps: usize,
    connections: usize,
    scaling_connections: usize,
    warmup: f64,
    load_rate: f64,
    load_seconds: f64,
    load_connections: usize,
    load_grace: f64,
    /// A nice value for the server and the load generator (`BENCH_NICE`), for a shared machine.
    nice: Option<i32>,
    /// Groups in each category of the groups-read scaling series (10 members each).
    group_series: Vec<usize>,
    /// Learners in each course of the class-list scaling series.
    class_series: Vec<usize>,
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
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let positive = |name: &str, quick_default: f64, default: f64| {
            var::<f64>(name).filter(|v| *v > 0.0).unwrap_or(if quick {
                quick_default
            } else {
                default
            })
        };
        let count = |name: &str, quick_default: usize, default: usize| {
            var::<usize>(name).filter(|v| *v > 0).unwrap_or(if quick {
                quick_default
            } else {
                default
            })
        };
        Self {
            quick,
            seconds: positive("BENCH_SECONDS", 1.0, 3.0),
            reps: count("BENCH_REPS", 1, 5),
            connections: count("BENCH_CONNECTIONS", 64, 64),
            scaling_connections: count("BENCH_SCALING_CONNECTIONS", 8, 8),
            warmup: positive("BENCH_WARMUP_SECONDS", 0.2, 0.5),
            load_rate: positive("BENCH_LOAD_RATE", 1_000.0, 5_000.0),
            load_seconds: positive("BENCH_LOAD_SECONDS", 2.0, 20.0),
            load_connections: count("BENCH_LOAD_CONNECTIONS", 128, 128),
            load_grace: positive("BENCH_LOAD_GRACE_SECONDS", 1.0, 5.0),
            nice: var::<i32>("BENCH_NICE"),
            group_series: if quick {
                vec![10, 100]
            } else {
                vec![10, 100, 1_000]
            },
            class_series: if quick {
                vec![1_000]
            } else {
                vec![1_000, 10_000, 100_000]
            },
        }
    }

    /// Requests the load phase schedules, and how many of them are writes (every fifth).
    fn load_requests(&self) -> (usize, usize) {
        let n = (self.load_rate * self.load_seconds).round() as usize;
        (n, n / 5)
    }
}

/// One route under load: what it is called in the tables, the requests sent (in turn), and
/// how many members one answer lists (for the per-member figure of the scaling series).
struct Route {
    name: String,
    requests: Arc<Vec<Request>>,
    members: usize,
}

impl Route {
    fn new(name: impl Into<String>, request: Request, members: usize) -> Self {
        Self {
            name: name.into(),
            requests: Arc::new(vec![request]),
            members,
        }
    }
}

/// One phase's figures.
struct Measured {
    rps: f64,
    server_us: f64,
    postgres_us: Option<f64>,
    client_us: f64,
    p50_ms: f64,
    p99_ms: f64,
    tally: Tally,
    /// Share of CPU 0 used by other processes than the server, and of CPU 1 by others than
    /// the load generator, during the phase (0 to 1).
    others: (Option<f64>, Option<f64>),
}

impl Measured {
    /// CPU per request of the server and, on PostgreSQL, of its backends.
    fn total_us(&self) -> f64 {
        self.server_us + self.postgres_us.unwrap_or(0.0)
    }
}

fn per_request(used: &CpuUsed, requests: u64) -> (f64, Option<f64>, f64) {
    let n = requests.max(1) as f64;
    (
        used.server_us / n,
        used.postgres_us.map(|p| p / n),
        used.me_us / n,
    )
}

/// Opens the connections, then runs one closed-loop phase between two CPU samples.
async fn measure(
    server: &Server,
    probe: &CpuProbe,
    route: &Route,
    connections: usize,
    seconds: f64,
) -> Measured {
    let conns = load::open_all(&server.address, connections)
        .await
        .expect("connect to the server");
    let before = probe.sample();
    let (mut tally, elapsed) = load::closed_loop(
        conns,
        route.requests.clone(),
        Duration::from_secs_f64(seconds),
    )
    .await;
    let after = probe.sample();
    tally.sort();
    let used = probe.used(&before, &after);
    let (server_us, postgres_us, client_us) = per_request(&used, tally.answered);
    Measured {
        others: (
            used.others_on(0, used.server_us),
            used.others_on(1, used.me_us),
        ),
        rps: tally.answered as f64 / elapsed.as_secs_f64(),
        server_us,
        postgres_us,
        client_us,
        p50_ms: tally.percentile_ms(50.0),
        p99_ms: tally.percentile_ms(99.0),
        tally,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The errors of several repetitions, merged.
fn errors_of(runs: &[Measured]) -> String {
    let mut all = Tally::default();
    for m in runs {
        all.merge(Tally {
            errors: m.tally.errors.clone(),
            first_error: m.tally.first_error.clone(),
            ..Tally::default()
        });
    }
    all.errors_text()
}

fn fmt_rate(v: f64) -> String {
    if v >= 100.0 {
        let n = v.round() as u64;
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{v:.1}")
    }
}

fn fmt_us(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn fmt_opt_us(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), fmt_us)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "?".into(), |v| format!("{:.0}%", v * 100.0))
}

/// "median 12 % (3–40 %)" of a share over phases.
fn spread(values: Vec<f64>) -> String {
    if values.is_empty() {
        return "?".into();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "median {:.0} % ({:.0}–{:.0} %)",
        median(values) * 100.0,
        lo * 100.0,
        hi * 100.0
    )
}

fn print_phase(rep: usize, name: &str, m: &Measured) {
    println!(
        "  rep {rep} {name:<52} {:>9} req/s  server {:>7} µs/req  pg {:>6}  client {:>5}  p50 {:>7.2} ms  p99 {:>7.2} ms  others {}/{}  errors {}",
        fmt_rate(m.rps),
        fmt_us(m.server_us),
        fmt_opt_us(m.postgres_us),
        fmt_us(m.client_us),
        m.p50_ms,
        m.p99_ms,
        pct(m.others.0),
        pct(m.others.1),
        m.tally.errors_text()
    );
}

/// Checks one answer's status and shape before the route is measured; a wrong answer is
/// reported, not fatal (the measurement then says what it measured).
fn check(what: &str, status: u16, ok: bool, detail: String) {
    if status == 200 && ok {
        println!("  check {what}: {detail}");
    } else {
        println!("  CHECK FAILED {what}: HTTP {status}, {detail}");
    }
}

fn main() {
    // Before pinning: once pinned, this process sees one CPU.
    let machine = machine();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let config = Config::from_env();
    // Before pinning too: renice acts on the one thread it names; later threads inherit it.
    let priority = match config.nice {
        Some(n) => set_nice(n),
        None => format!(
            "nice {} (BENCH_NICE unset)",
            nice_of(std::process::id()).map_or("?".into(), |n| n.to_string())
        ),
    };
    let (server_cpu, client_pinning) = if cpus >= 2 {
        (Some(0), pin_self(1))
    } else {
        (None, format!("not pinned: only {cpus} CPU available"))
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let client_pinning = format!("{client_pinning}; {priority}");
    runtime.block_on(run(config, machine, server_cpu, client_pinning));
}

async fn run(cfg: Config, machine: String, server_cpu: Option<usize>, client_pinning: String) {
    let started = Instant::now();
    let backend = support::backend();
    println!(
        "HTTP benchmark — backend {backend}{}; machine: {machine}; load average {}",
        if cfg.quick { " (quick mode)" } else { "" },
        load_average()
    );
    println!(
        "phases of {} s × {} repetitions at {} connections (scaling: {}); load {} req/s for {} s over {} connections",
        cfg.seconds,
        cfg.reps,
        cfg.connections,
        cfg.scaling_connections,
        cfg.load_rate,
        cfg.load_seconds,
        cfg.load_connections
    );

    // ----- set-up ------------------------------------------------------------------------
    let url = fresh_database_url();
    let mut server = Server::start(&url, server_cpu);
    println!(
        "server pid {} on {}: {}; load generator (pid {}): {client_pinning}",
        server.pid,
        server.address,
        server.pinning,
        std::process::id()
    );
    let db = Db::connect(&url, 2).expect("connect to the server's database");
    let admin = cli(
        &url,
        &[
            "token", "--user", "admin", "--scope", "*:*:*", "--ttl", "7200",
        ],
    )
    .trim()
    .to_string();
    let (client_id, client_secret) = add_client(&url, "admin", "*:*:*");
    let setup = Setup::new(&server.url(""), &admin);
    let oauth = setup
        .client_token(&client_id, &client_secret, "*:*:*")
        .await;

    let (_, writes) = cfg.load_requests();
    let spare_count = (writes * 5 / 4).max(1_000);

    println!("set-up:");
    // The 30-group course: 300 learners in 30 groups of 10 and 10 sections of 30; then spare
    // learners enrolled in the course but in no group, for the load phase's group enrollment
    // writes into a second category of empty groups. The spares go in straight after the
    // first two creations, and the second category is created after them, so that any
    // per-course cache the server keeps has seen a write since the direct inserts.
    let g30 = setup.create_course("HTTP-G30").await;
    seed_learners(&db, g30, 300);
    let teams = setup
        .create_category(g30, "Teams", "NumberOfGroupsAutoEnrollment", 30)
        .await;
    setup.create_sections(g30, 10).await;
    let spares = seed_learners(&db, g30, spare_count);
    let spare_category = setup
        .create_category(g30, "Spare", "NumberOfGroupsNoEnrollment", 20)
        .await;
    let spare_groups = setup.group_ids(g30, spare_category).await;

    let mut class_courses = Vec::new();
    for learners in &cfg.class_series {
        let course = setup.create_course(&format!("HTTP-CL{learners}")).await;
        seed_learners(&db, course, *learners);
        class_courses.push((*learners, course));
    }
    let mut group_courses = Vec::new();
    for groups in &cfg.group_series {
        let course = setup.create_course(&format!("HTTP-G{groups}")).await;
        seed_learners(&db, course, groups * 10);
        let category = setup
            .create_category(
                course,
                &format!("G{groups}"),
                "NumberOfGroupsAutoEnrollment",
                *groups,
            )
            .await;
        group_courses.push((*groups, course, category));
    }
    support::analyze(&db);

    let host = server.address.clone();
    let lp = |rest: &str| format!("/d2l/api/lp/{V}{rest}");
    let groups_path = lp(&format!("/{g30}/groupcategories/{teams}/groups/"));
    let categories_path = lp(&format!("/{g30}/groupcategories/"));
    let sections_path = lp(&format!("/{g30}/sections/"));
    let class_1k = class_courses
        .first()
        .map(|(_, c)| *c)
        .expect("a class-list course");
    let class_path = |course: i64| lp(&format!("/enrollments/orgUnits/{course}/users/"));

    // What each route answers, once, before it is measured.
    {
        let (s, v) = setup.get("/d2l/api/versions/", None).await;
        check(
            "versions",
            s,
            v.is_array(),
            format!("{} products", v.as_array().map_or(0, Vec::len)),
        );
        let (s, v) = setup.get(&lp("/users/whoami"), Some(&admin)).await;
        check(
            "whoami (CLI token)",
            s,
            v["UniqueName"] == "admin",
            format!("{}", v["UniqueName"]),
        );
        let (s, v) = setup.get(&lp("/users/whoami"), Some(&oauth)).await;
        check(
            "whoami (OAuth-client token)",
            s,
            v["UniqueName"] == "admin",
            format!("{}", v["UniqueName"]),
        );
        let (s, v) = setup.get(&groups_path, Some(&admin)).await;
        let n = v.as_array().map_or(0, Vec::len);
        check(
            "30-group read",
            s,
            n == 30 && members_in(&v) == 300,
            format!("{n} groups, {} members", members_in(&v)),
        );
        let (s, v) = setup.get(&class_path(class_1k), Some(&admin)).await;
        let n = v["Items"].as_array().map_or(0, Vec::len);
        check(
            "class-list page",
            s,
            n == 100,
            format!(
                "{n} items, HasMoreItems {}",
                v["PagingInfo"]["HasMoreItems"]
            ),
        );
        let (s, v) = setup.get(&categories_path, Some(&admin)).await;
        let n = v.as_array().map_or(0, Vec::len);
        check("categories list", s, n == 2, format!("{n} categories"));
        let (s, v) = setup.get(&sections_path, Some(&admin)).await;
        let n = v.as_array().map_or(0, Vec::len);
        check(
            "sections list",
            s,
            n == 10 && members_in(&v) == 300,
            format!("{n} sections, {} members", members_in(&v)),
        );
        for (groups, course, category) in &group_courses {
            let (s, v) = setup
                .get(
                    &lp(&format!("/{course}/groupcategories/{category}/groups/")),
                    Some(&admin),
                )
                .await;
            let n = v.as_array().map_or(0, Vec::len);
            check(
                &format!("{groups}-group read"),
                s,
                n == *groups && members_in(&v) == groups * 10,
                format!("{n} groups, {} members", members_in(&v)),
            );
        }
    }
    let setup_took = started.elapsed();
    println!("set-up took {setup_took:.1?}");

    // ----- step 4: the routes against the bare one, interleaved ---------------------------
    let routes = [
        Route::new(
            "`GET /d2l/api/versions/` (bare)",
            Request::get(&host, "/d2l/api/versions/", None),
            0,
        ),
        Route::new(
            "same with a valid token",
            Request::get(&host, "/d2l/api/versions/", Some(&admin)),
            0,
        ),
        Route::new(
            "`GET /users/whoami`, CLI token",
            Request::get(&host, &lp("/users/whoami"), Some(&admin)),
            1,
        ),
        Route::new(
            "`GET /users/whoami`, OAuth-client token",
            Request::get(&host, &lp("/users/whoami"), Some(&oauth)),
            1,
        ),
        Route::new(
            "`GET .../groups/` (30 groups × 10 members)",
            Request::get(&host, &groups_path, Some(&admin)),
            300,
        ),
        Route::new(
            "`GET /enrollments/orgUnits/(ou)/users/` (100 of 1,000)",
            Request::get(&host, &class_path(class_1k), Some(&admin)),
            100,
        ),
        Route::new(
            "`GET .../groupcategories/` (2 categories)",
            Request::get(&host, &categories_path, Some(&admin)),
            0,
        ),
        Route::new(
            "`GET .../sections/` (10 sections × 30)",
            Request::get(&host, &sections_path, Some(&admin)),
            300,
        ),
    ];
    let probe = CpuProbe::new(server.pid, &db, &url);
    println!("routes ({} connections):", cfg.connections);
    for route in &routes {
        let m = measure(&server, &probe, route, cfg.connections, cfg.warmup).await;
        print_phase(0, &format!("{} (warm-up)", route.name), &m);
    }
    if backend == "PostgreSQL" {
        let pids = probe.backends_now();
        println!(
            "  PostgreSQL backends serving the server after the warm-up: {} (pids {pids:?})",
            pids.len()
        );
    }
    let mut results: Vec<Vec<Measured>> = routes.iter().map(|_| Vec::new()).collect();
    for rep in 1..=cfg.reps {
        for (i, route) in routes.iter().enumerate() {
            let m = measure(&server, &probe, route, cfg.connections, cfg.seconds).await;
            print_phase(rep, &route.name, &m);
            results[i].push(m);
        }
    }
    let routes_took = started.elapsed() - setup_took;

    // ----- step 5: scaling ------------------------------------------------------------------
    let mut series = Vec::new();
    for (groups, course, category) in &group_courses {
        series.push(Route::new(
            format!("groups read: {groups} groups × 10"),
            Request::get(
                &host,
                &lp(&format!("/{course}/groupcategories/{category}/groups/")),
                Some(&admin),
            ),
            groups * 10,
        ));
    }
    for (learners, course) in &class_courses {
        series.push(Route::new(
            format!(
                "class list, first page: {} learners",
                fmt_rate(*learners as f64)
            ),
            Request::get(&host, &class_path(*course), Some(&admin)),
            100,
        ));
    }
    println!("scaling ({} connections):", cfg.scaling_connections);
    for route in &series {
        let m = measure(&server, &probe, route, cfg.scaling_connections, cfg.warmup).await;
        print_phase(0, &format!("{} (warm-up)", route.name), &m);
    }
    let mut scaling: Vec<Vec<Measured>> = series.iter().map(|_| Vec::new()).collect();
    for rep in 1..=cfg.reps {
        for (i, route) in series.iter().enumerate() {
            let m = measure(&server, &probe, route, cfg.scaling_connections, cfg.seconds).await;
            print_phase(rep, &route.name, &m);
            scaling[i].push(m);
        }
    }
    let scaling_took = started.elapsed() - setup_took - routes_took;

    // ----- step 6: fixed offered load, on a fresh server process ---------------------------
    // A new process, so that its peak RSS is that of the load alone (and of its start), not of
    // the 1,000-group reads and set-up before it.
    let warnings_before = server.warnings();
    server.stop();
    server = Server::start(&url, server_cpu);
    let host = server.address.clone();
    let probe = CpuProbe::new(server.pid, &db, &url);
    println!(
        "load: restarted the server (pid {}, {}); {} req/s for {} s, 80 % reads (groups, categories, sections of the 30-group course), 20 % group enrollments",
        server.pid, server.pinning, cfg.load_rate, cfg.load_seconds
    );
    let reads = [
        Request::get(&host, &groups_path, Some(&admin)),
        Request::get(&host, &categories_path, Some(&admin)),
        Request::get(&host, &sections_path, Some(&admin)),
    ];
    let (n, _) = cfg.load_requests();
    let mut schedule = Vec::with_capacity(n);
    let (mut r, mut w) = (0, 0);
    for i in 0..n {
        if i % 5 == 4 {
            let group = spare_groups[w % spare_groups.len()];
            let path = lp(&format!(
                "/{g30}/groupcategories/{spare_category}/groups/{group}/enrollments/"
            ));
            let body = format!("{{\"UserId\": {}}}", spares[w]);
            schedule.push(Request::post_json(&host, &path, &admin, &body));
            w += 1;
        } else {
            schedule.push(reads[r % reads.len()].clone());
            r += 1;
        }
    }
    let rss_at_start = peak_rss_kib(server.pid).unwrap_or(0);
    let conns = load::open_all(&host, cfg.load_connections)
        .await
        .expect("connect to the server");
    let before = probe.sample();
    let outcome = load::open_loop(
        conns,
        schedule,
        cfg.load_rate,
        Duration::from_secs_f64(cfg.load_grace),
    )
    .await;
    let after = probe.sample();
    let peak_rss = peak_rss_kib(server.pid).unwrap_or(0);
    let rss_now = rss_kib(server.pid).unwrap_or(0);
    let mut tally = outcome.tally;
    tally.sort();
    let load_used = probe.used(&before, &after);
    let (load_server_us, load_pg_us, load_client_us) = per_request(&load_used, tally.answered);
    let load_others = (
        load_used.others_on(0, load_used.server_us),
        load_used.others_on(1, load_used.me_us),
    );
    let achieved = tally.answered as f64 / outcome.elapsed.as_secs_f64();
    // Group enrollments the course got, against the successful writes.
    let (_, spare_view) = Setup::new(&server.url(""), &admin)
        .get(
            &lp(&format!("/{g30}/groupcategories/{spare_category}/groups/")),
            Some(&admin),
        )
        .await;
    let enrolled = members_in(&spare_view);
    let warnings: Vec<String> = warnings_before
        .into_iter()
        .chain(server.warnings())
        .collect();
    let server_pinning = server.pinning.clone();
    server.stop();
    drop(probe);
    support::http::drop_database(&db, &url);
    let load_took = started.elapsed() - setup_took - routes_took - scaling_took;

    // ----- the report -----------------------------------------------------------------------
    println!();
    println!("## HTTP benchmark: {backend}");
    println!();
    println!("Machine: {machine}. Server (its own process) {server_pinning}; load generator {client_pinning}. Load average at the end {}.", load_average());
    println!(
        "{} s per phase, {} repetitions interleaved, medians; ratio = route req/s ÷ bare req/s of the same repetition (median of the ratios). CPU µs/req: utime+stime over the phase ÷ requests{}.",
        cfg.seconds,
        cfg.reps,
        if backend == "PostgreSQL" {
            "; PG = the backends serving the server's connections (not the WAL writer or checkpointer)"
        } else {
            ""
        }
    );
    let measured: Vec<&Measured> = results.iter().chain(&scaling).flatten().collect();
    println!(
        "Other processes' use of the server's CPU 0 during the measured phases: {}; of the load generator's CPU 1: {}{} (load: {} and {}).",
        spread(measured.iter().filter_map(|m| m.others.0).collect()),
        spread(measured.iter().filter_map(|m| m.others.1).collect()),
        if backend == "PostgreSQL" { ", PostgreSQL's backends included (they are not pinned)" } else { "" },
        pct(load_others.0),
        pct(load_others.1),
    );
    println!();
    println!("| route | req/s | ratio to bare | ratio by CPU | server CPU µs/req | PG CPU µs/req | client CPU µs/req | p50 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let bare: Vec<f64> = results[0].iter().map(|m| m.rps).collect();
    let bare_cpu: Vec<f64> = results[0].iter().map(Measured::total_us).collect();
    for (route, runs) in routes.iter().zip(&results) {
        let ratio = median(runs.iter().zip(&bare).map(|(m, b)| m.rps / b).collect());
        let cpu_ratio = median(
            runs.iter()
                .zip(&bare_cpu)
                .map(|(m, b)| b / m.total_us())
                .collect(),
        );
        println!(
            "| {} | {} | {:.3} | {:.3} | {} | {} | {} | {:.2} | {:.2} | {} |",
            route.name,
            fmt_rate(median(runs.iter().map(|m| m.rps).collect())),
            ratio,
            cpu_ratio,
            fmt_us(median(runs.iter().map(|m| m.server_us).collect())),
            if backend == "PostgreSQL" {
                fmt_opt_us(
                    runs.iter()
                        .map(|m| m.postgres_us)
                        .collect::<Option<Vec<_>>>()
                        .map(median),
                )
            } else {
                "–".into()
            },
            fmt_us(median(runs.iter().map(|m| m.client_us).collect())),
            median(runs.iter().map(|m| m.p50_ms).collect()),
            median(runs.iter().map(|m| m.p99_ms).collect()),
            errors_of(runs)
        );
    }
    println!();
    println!("Scaling, {} connections:", cfg.scaling_connections);
    println!();
    println!("| series | members returned | req/s | server CPU µs/req | µs per member | PG CPU µs/req | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (route, runs) in series.iter().zip(&scaling) {
        let cpu = median(runs.iter().map(|m| m.server_us).collect());
        println!(
            "| {} | {} | {} | {} | {:.2} | {} | {:.2} | {} |",
            route.name,
            fmt_rate(route.members as f64),
            fmt_rate(median(runs.iter().map(|m| m.rps).collect())),
            fmt_us(cpu),
            cpu / route.members.max(1) as f64,
            if backend == "PostgreSQL" {
                fmt_opt_us(
                    runs.iter()
                        .map(|m| m.postgres_us)
                        .collect::<Option<Vec<_>>>()
                        .map(median),
                )
            } else {
                "–".into()
            },
            median(runs.iter().map(|m| m.p99_ms).collect()),
            errors_of(runs)
        );
    }
    println!();
    let p99 = tally.percentile_ms(99.0);
    let rss_mib = peak_rss as f64 / 1024.0;
    let rss_mb = peak_rss as f64 * 1024.0 / 1e6;
    let targets = backend == "SQLite";
    let verdict = |ok: bool| {
        if !targets {
            "a target on SQLite only"
        } else if ok {
            "ok"
        } else {
            "MISSED"
        }
    };
    println!(
        "Load: offered {} req/s for {} s ({} requests, 80 % reads, 20 % group enrollments) over {} connections: achieved {} req/s; p50 {:.2} ms, p99 {:.2} ms (target < 10 ms: {}), p99.9 {:.2} ms, max {:.2} ms; errors {}; due but unsent at the cut-off {}; server CPU {} µs/req{}, the server busy {:.0} % of its core; server peak RSS {:.1} MiB = {:.1} MB (target < 64 MB: {}; {:.1} MiB before the load, {:.1} MiB at the end); {} members in the written groups afterwards ({} writes scheduled; each one sent should be there).",
        fmt_rate(cfg.load_rate),
        cfg.load_seconds,
        fmt_rate(outcome.scheduled as f64),
        cfg.load_connections,
        fmt_rate(achieved),
        tally.percentile_ms(50.0),
        p99,
        verdict(p99 < 10.0),
        tally.percentile_ms(99.9),
        tally.latencies_us.last().map_or(0.0, |v| f64::from(*v) / 1000.0),
        tally.errors_text(),
        tally.unsent,
        fmt_us(load_server_us),
        load_pg_us.map_or_else(String::new, |p| format!(", PostgreSQL backends {} µs/req", fmt_us(p))),
        100.0 * load_used.server_us / load_used.wall_us.max(1.0),
        rss_mib,
        rss_mb,
        verdict(rss_mb < 64.0),
        rss_at_start as f64 / 1024.0,
        rss_now as f64 / 1024.0,
        enrolled,
        w,
    );
    println!(
        "Load generator CPU {} µs/req in the load phase. Framing of the answers: {} with Content-Length, {} chunked.",
        fmt_us(load_client_us),
        tally.framing.content_length
            + results.iter().flatten().map(|m| m.tally.framing.content_length).sum::<u64>(),
        tally.framing.chunked + results.iter().flatten().map(|m| m.tally.framing.chunked).sum::<u64>()
    );
    if backend == "SQLite" {
        println!("PostgreSQL CPU: not applicable (SQLite runs inside the server process, so its CPU is in the server's).");
    }
    if !warnings.is_empty() {
        println!(
            "The server logged {} warning or error lines; the first: {}",
            warnings.len(),
            warnings[0]
        );
    }
    println!(
        "Took {:.0?} in all: set-up {:.0?}, routes {:.0?}, scaling {:.0?}, load {:.0?}.",
        started.elapsed(),
        setup_took,
        routes_took,
        scaling_took,
        load_took
    );
}
