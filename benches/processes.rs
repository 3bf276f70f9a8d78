//! Several server processes on one database (issue 24; docs/scaling.md):
//!
//! 1. **Lag**: how late another process sees a write. Process A answers a group enrollment;
//!    processes B and C are asked for the group list (a remembered answer) until it shows the
//!    new member. The time from A's answer to the first fresh answer on each, p50/p99/max.
//!    Then the same for a revocation: a VLE deleted through A, its client's token tried on B
//!    until it is refused.
//! 2. **Curve**: a read-heavy mix (90 % reads) and a write-heavy one (50 % group enrollments)
//!    at 1, 2 and 3 processes, closed loop, with the figures per process count.
//!
//! PostgreSQL only (`TEST_DATABASE_URL`): on SQLite one server serves a file, and the CLI's
//! writes reach it by its next request (tests/it/processes.rs), so there is no lag to measure.
//! On a 2-core machine three servers and the load generator share two cores: the curve shows
//! what sharing costs, not what more cores would give.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use d2l_groups::db::Db;
use serde_json::{json, Value};
use support::common::{fresh_database_url, is_postgres, V};
use support::http::{cli, Server, Setup};
use support::load::{closed_loop, open_all, Request};
use support::{load_average, percentile, seed_learners, sized};

fn main() {
    if !is_postgres() {
        println!(
            "processes: PostgreSQL only (TEST_DATABASE_URL); on SQLite one server serves a file"
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// A course of one category with `groups` groups, and learners enrolled in the course.
struct World {
    course: i64,
    category: i64,
    groups: Vec<i64>,
    learners: Vec<i64>,
    admin: String,
}

async fn world(url: &str, first: &Server, db: &Db, learners: usize) -> World {
    let admin = cli(
        url,
        &[
            "token", "--user", "admin", "--scope", "*:*:*", "--ttl", "7200",
        ],
    )
    .trim()
    .to_string();
    let setup = Setup::new(&first.url(""), &admin);
    let course = setup.create_course("SCALE-1").await;
    let category = setup
        .create_category(course, "Lab", "NumberOfGroupsNoEnrollment", 30)
        .await;
    let groups = setup.group_ids(course, category).await;
    let learners = seed_learners(db, course, learners);
    World {
        course,
        category,
        groups,
        learners,
        admin,
    }
}

async fn run() {
    println!("machine load average: {}", load_average());
    let url = fresh_database_url();
    let servers: Vec<Server> = (0..3).map(|_| Server::start(&url, None)).collect();
    let db = Db::connect(&url, 2).expect("connect");
    let world = world(&url, &servers[0], &db, sized(20_000, 2_000)).await;
    lag(&servers, &world).await;
    curve(&servers, &world).await;
    drop(servers);
    support::http::drop_database(&db, &url);
}

// ---------------------------------------------------------------------------------------------
// Lag

async fn lag(servers: &[Server], world: &World) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()
        .expect("client");
    let writes = sized(300, 40);
    let group = world.groups[0];
    let list = |server: &Server| {
        server.url(&format!(
            "/d2l/api/lp/{V}/{}/groupcategories/{}/groups/{group}",
            world.course, world.category
        ))
    };
    let add = servers[0].url(&format!(
        "/d2l/api/lp/{V}/{}/groupcategories/{}/groups/{group}/enrollments/",
        world.course, world.category
    ));
    let mut lags: Vec<Duration> = Vec::new();
    let mut polls = 0u64;
    for i in 0..writes {
        let learner = world.learners[i];
        // B and C remember the group as it is.
        for server in &servers[1..] {
            let _ = client
                .get(list(server))
                .bearer_auth(&world.admin)
                .send()
                .await;
        }
        let res = client
            .post(&add)
            .bearer_auth(&world.admin)
            .json(&json!({"UserId": learner}))
            .send()
            .await
            .expect("enroll");
        assert_eq!(res.status(), 200, "enroll");
        let answered = Instant::now();
        for server in &servers[1..] {
            loop {
                polls += 1;
                let group: Value = client
                    .get(list(server))
                    .bearer_auth(&world.admin)
                    .send()
                    .await
                    .expect("poll")
                    .json()
                    .await
                    .expect("group JSON");
                let shows = group["Enrollments"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|u| u.as_i64() == Some(learner)));
                if shows {
                    lags.push(answered.elapsed());
                    break;
                }
                assert!(answered.elapsed() < Duration::from_secs(5), "never seen");
            }
        }
    }
    lags.sort();
    println!(
        "PostgreSQL lag of a group enrollment on the 2 other processes ({} samples, {polls} polls): \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lags.len(),
        ms(percentile(&lags, 50.0)),
        ms(percentile(&lags, 99.0)),
        ms(*lags.last().unwrap_or(&Duration::ZERO)),
    );

    // Revocations: a VLE's client, refused on B after its deletion through A.
    let setup = Setup::new(&servers[0].url(""), &world.admin);
    let (_, institutions) = setup.get("/api/v2/institution/", Some(&world.admin)).await;
    let institution = institutions["results"][0]["id"]
        .as_i64()
        .expect("institution");
    let vles = servers[0].url(&format!("/api/v2/institution/{institution}/vle/"));
    let mut revocations = Vec::new();
    for i in 0..sized(40, 5) {
        let vle: Value = client
            .post(&vles)
            .bearer_auth(&world.admin)
            .json(
                &json!({"type": 1, "lti": {"version": "1.3"}, "name": format!("LMS {i}"),
                          "url": "https://lms.example.edu"}),
            )
            .send()
            .await
            .expect("VLE")
            .json()
            .await
            .expect("VLE JSON");
        let token = Setup::new(&servers[1].url(""), &world.admin)
            .client_token(
                vle["client_id"].as_str().expect("client_id"),
                vle["credentials"].as_str().expect("credentials"),
                "users:*:*",
            )
            .await;
        let whoami = servers[1].url(&format!("/d2l/api/lp/{V}/users/whoami"));
        let status = client
            .get(&whoami)
            .bearer_auth(&token)
            .send()
            .await
            .expect("whoami");
        assert_eq!(status.status(), 200);
        let gone = client
            .delete(format!("{vles}{}/", vle["id"]))
            .bearer_auth(&world.admin)
            .send()
            .await
            .expect("delete VLE");
        assert_eq!(gone.status(), 204);
        let answered = Instant::now();
        loop {
            let res = client
                .get(&whoami)
                .bearer_auth(&token)
                .send()
                .await
                .expect("whoami");
            if res.status() == 401 {
                revocations.push(answered.elapsed());
                break;
            }
            assert!(answered.elapsed() < Duration::from_secs(5), "never refused");
        }
    }
    revocations.sort();
    println!(
        "PostgreSQL lag of a VLE's deletion on another process's reads ({} samples): \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (its writes are refused at once: they read the database)",
        revocations.len(),
        ms(percentile(&revocations, 50.0)),
        ms(percentile(&revocations, 99.0)),
        ms(*revocations.last().unwrap_or(&Duration::ZERO)),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------------
// Curve

async fn curve(servers: &[Server], world: &World) {
    let duration = Duration::from_secs(sized(8, 2));
    let connections = 24;
    println!(
        "\n{:<12} {:>9} {:>10} {:>10} {:>10}   (closed loop, {connections} connections, {:?} a phase)",
        "mix", "processes", "req/s", "p50 ms", "p99 ms", duration
    );
    for (mix, write_share) in [("read-heavy", 10), ("write-heavy", 50)] {
        for n in 1..=3 {
            let mut runs = Vec::new();
            for (s, server) in servers.iter().take(n).enumerate() {
                let requests = Arc::new(mix_for(world, &server.address, write_share, s * 1000 + n));
                let conns = open_all(&server.address, connections / n)
                    .await
                    .expect("connect");
                runs.push(tokio::spawn(closed_loop(conns, requests, duration)));
            }
            let mut tally = support::load::Tally::default();
            let mut elapsed = Duration::ZERO;
            for run in runs {
                let (t, e) = run.await.expect("run");
                tally.merge(t);
                elapsed = elapsed.max(e);
            }
            tally.sort();
            println!(
                "{mix:<12} {n:>9} {:>10.0} {:>10.2} {:>10.2}   errors {}",
                tally.answered as f64 / elapsed.as_secs_f64(),
                tally.percentile_ms(50.0),
                tally.percentile_ms(99.0),
                tally.errors_text()
            );
        }
    }
}

/// 100 requests to `host`: `write_share` of them add a learner to a group, the rest read a
/// category's 30 groups (a remembered answer, until a write to the course ends it).
fn mix_for(world: &World, host: &str, write_share: usize, seed: usize) -> Vec<Request> {
    (0..100)
        .map(|i| {
            let group = world.groups[i % world.groups.len()];
            if i % 10 < write_share / 10 {
                let learner = world.learners[(seed * 7919 + i * 97) % world.learners.len()];
                Request::post_json(
                    host,
                    &format!(
                        "/d2l/api/lp/{V}/{}/groupcategories/{}/groups/{group}/enrollments/",
                        world.course, world.category
                    ),
                    &world.admin,
                    &json!({"UserId": learner}).to_string(),
                )
            } else {
                Request::get(
                    host,
                    &format!(
                        "/d2l/api/lp/{V}/{}/groupcategories/{}/groups/",
                        world.course, world.category
                    ),
                    Some(&world.admin),
                )
            }
        })
        .collect()
}
