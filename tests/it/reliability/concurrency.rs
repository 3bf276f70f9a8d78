//! Many clients writing to one course at once (issue 8): every scenario starts at least 200
//! real HTTP requests together (tokio tasks released by one barrier, each its own reqwest call)
//! against a server with the production pool and worker settings, then checks through the API
//! that every write happened exactly once, and that the 99th percentile latency stays under 1 s.
//!
//! A roster sync from an SIS or a VLE does exactly this to one course; on PostgreSQL the
//! enrollment insert's foreign-key share lock on the course row and AutoEnroll's `FOR UPDATE` on
//! the same row once deadlocked each other, and the pool answered 503 after a 10 s wait.

use crate::common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use d2l_groups::config::Settings;
use reqwest::Method;
use serde_json::{json, Value};

/// Clients per burst.
const CLIENTS: usize = 200;
/// The latency the 99th percentile must stay under: 1 s, as issue 8 asks. `RELIABILITY_P99_MS`
/// overrides it for a run on a machine too slow or too shared to measure it (the failure
/// message always names the limit used, and the figures are printed either way).
fn p99_limit() -> Duration {
    std::env::var("RELIABILITY_P99_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(1))
}
/// How long one request of a burst may take before it counts as a transport failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a category's creation job may take to finish once the burst is over.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);

/// One burst at a time in this binary: two bursts sharing the machine's cores would measure
/// each other, and each holds a production-sized pool of PostgreSQL connections.
static ONE_BURST_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// A server with the pool size and worker count it has in production, not the harness's small
/// ones: the burst must pass with what operators actually run.
async fn production_app() -> TestApp {
    spawn_app_with(|s| {
        let d = Settings::new("");
        s.database_pool_size = d.database_pool_size;
        s.workers = d.workers;
    })
    .await
}

/// A client that keeps a connection per concurrent request, so that the burst measures the
/// server and not the client's connection reuse.
fn burst_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(CLIENTS * 2)
        // Below the server's 5 s keep-alive (see common::spawn_app_with).
        .pool_idle_timeout(Duration::from_secs(3))
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("client")
}

/// One request of a burst.
struct Call {
    method: Method,
    url: String,
    body: Option<Value>,
}

impl Call {
    fn post(url: String, body: Value) -> Self {
        Self {
            method: Method::POST,
            url,
            body: Some(body),
        }
    }

    fn delete(url: String) -> Self {
        Self {
            method: Method::DELETE,
            url,
            body: None,
        }
    }
}

/// What one request of a burst got back.
struct Outcome {
    /// 0 when no HTTP answer came at all.
    status: u16,
    body: String,
    latency: Duration,
}

/// What a burst got back, in the order of its calls.
struct Burst {
    what: String,
    outcomes: Vec<Outcome>,
}

/// Starts every call at once as `token` and waits for all of them. The requests are built
/// before the barrier and timed from the moment it releases them to the end of each body.
async fn burst(what: &str, token: &str, calls: Vec<Call>) -> Burst {
    let client = burst_client();
    let barrier = Arc::new(tokio::sync::Barrier::new(calls.len()));
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|call| {
            let mut request = client.request(call.method, &call.url).bearer_auth(token);
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                match request.send().await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body = res
                            .text()
                            .await
                            .unwrap_or_else(|e| format!("<body unreadable: {e}>"));
                        Outcome {
                            status,
                            body,
                            latency: start.elapsed(),
                        }
                    }
                    Err(e) => Outcome {
                        status: 0,
                        body: format!("<no answer: {e}>"),
                        latency: start.elapsed(),
                    },
                }
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.expect("burst task"));
    }
    Burst {
        what: what.to_string(),
        outcomes,
    }
}

/// The `q` quantile (nearest rank) of some latencies.
fn quantile(latencies: &[Duration], q: f64) -> Duration {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Burst {
    fn latencies(&self) -> Vec<Duration> {
        self.outcomes.iter().map(|o| o.latency).collect()
    }

    fn p99(&self) -> Duration {
        quantile(&self.latencies(), 0.99)
    }

    /// Counts by status, a few distinct bodies of each status that is not `expected`, and the
    /// latency figures: what a failure message needs to say what went wrong.
    fn report(&self, expected: u16) -> String {
        let mut by_status: BTreeMap<u16, (usize, Vec<&str>)> = BTreeMap::new();
        for o in &self.outcomes {
            let entry = by_status.entry(o.status).or_default();
            entry.0 += 1;
            if o.status != expected && entry.1.len() < 3 && !entry.1.contains(&o.body.as_str()) {
                entry.1.push(&o.body);
            }
        }
        let latencies = self.latencies();
        let max = quantile(&latencies, 1.0);
        let mut text = format!(
            "{}: {} calls; latency p50 {:?}, p99 {:?}, max {:?} ({:.0} calls a second); \
             by status:",
            self.what,
            self.outcomes.len(),
            quantile(&latencies, 0.5),
            quantile(&latencies, 0.99),
            max,
            self.outcomes.len() as f64 / max.as_secs_f64().max(1e-9),
        );
        for (status, (count, samples)) in by_status {
            text.push_str(&format!("\n  {status} × {count}"));
            for body in samples {
                let body: String = body.chars().take(400).collect();
                text.push_str(&format!("\n      {body}"));
            }
        }
        text
    }

    /// Asserts that every call got `expected`; answers the bodies, parsed when they are JSON.
    fn assert_all(&self, expected: u16) -> Vec<Value> {
        let report = self.report(expected);
        println!("{report}");
        assert!(
            self.outcomes.iter().all(|o| o.status == expected),
            "every call should answer {expected}; {report}"
        );
        self.outcomes
            .iter()
            .map(|o| serde_json::from_str(&o.body).unwrap_or(Value::Null))
            .collect()
    }

    fn assert_p99(&self) {
        let limit = p99_limit();
        assert!(
            self.p99() < limit,
            "p99 latency should stay under {limit:?}; {}",
            self.report(200)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Setup and reading back through the API
// ---------------------------------------------------------------------------------------------

struct Roles {
    student: i64,
    assistant: i64,
}

async fn roles(app: &TestApp) -> Roles {
    Roles {
        student: app.role_id("Student").await,
        assistant: app.role_id("Teaching Assistant").await,
    }
}

/// Creates `n` users one after another (setup is not what is measured); answers their ids.
async fn users(app: &TestApp, prefix: &str, n: usize, role_id: i64) -> Vec<i64> {
    let start = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let body = user_body(&format!("{prefix}{i:03}"), role_id);
        let user = json_ok(app.post(&app.lp("/users/"), &app.admin, &body).await).await;
        ids.push(user["UserId"].as_i64().expect("UserId"));
    }
    println!(
        "setup: {n} POST /users/ one after another in {:?}",
        start.elapsed()
    );
    ids
}

/// Enrolls each user in `course` one after another.
async fn enroll_each(app: &TestApp, course: i64, users: &[i64], role_id: i64) {
    let start = Instant::now();
    for user in users {
        let body = json!({"OrgUnitId": course, "UserId": user, "RoleId": role_id});
        json_ok(app.post(&app.lp("/enrollments/"), &app.admin, &body).await).await;
    }
    println!(
        "setup: {} POST /enrollments/ one after another in {:?}",
        users.len(),
        start.elapsed()
    );
}

/// Every enrollment of an org unit, read page by page through the bookmark: (user, role id).
async fn enrollments(app: &TestApp, org_unit: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut bookmark = String::new();
    for _ in 0..1000 {
        let url = app.lp(&format!(
            "/enrollments/orgUnits/{org_unit}/users/?bookmark={bookmark}"
        ));
        let page = json_ok(app.get(&url, &app.admin).await).await;
        for item in page["Items"].as_array().expect("Items") {
            let user = item["User"]["Identifier"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("numeric Identifier in {item}"));
            let role = item["Role"]["Id"]
                .as_i64()
                .unwrap_or_else(|| panic!("Role.Id in {item}"));
            out.push((user, role));
        }
        if page["PagingInfo"]["HasMoreItems"] != true {
            return out;
        }
        bookmark = page["PagingInfo"]["Bookmark"]
            .as_str()
            .expect("a Bookmark when HasMoreItems")
            .to_string();
    }
    panic!("the enrollment pages of {org_unit} never end");
}

/// Every user of the institution, read page by page: (id, user name).
async fn all_users(app: &TestApp) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut bookmark = String::new();
    for _ in 0..1000 {
        let url = app.lp(&format!("/users/?bookmark={bookmark}"));
        let page = json_ok(app.get(&url, &app.admin).await).await;
        for item in page["Items"].as_array().expect("Items") {
            out.push((
                item["UserId"].as_i64().expect("UserId"),
                item["UserName"].as_str().expect("UserName").to_string(),
            ));
        }
        if page["PagingInfo"]["HasMoreItems"] != true {
            return out;
        }
        bookmark = page["PagingInfo"]["Bookmark"]
            .as_str()
            .expect("a Bookmark when HasMoreItems")
            .to_string();
    }
    panic!("the user pages never end");
}

/// Asserts that `got` holds each of `want` exactly once and nothing else.
fn assert_exactly_once(what: &str, got: &[i64], want: &[i64]) {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for id in got {
        *counts.entry(*id).or_default() += 1;
    }
    let want_set: BTreeSet<i64> = want.iter().copied().collect();
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let missing: Vec<_> = want_set
        .iter()
        .filter(|id| !counts.contains_key(id))
        .collect();
    let extra: Vec<_> = counts.keys().filter(|id| !want_set.contains(id)).collect();
    assert!(
        doubled.is_empty() && missing.is_empty() && extra.is_empty(),
        "{what}: {} expected, {} found; doubled (id, times) {doubled:?}; missing {missing:?}; \
         unexpected {extra:?}",
        want_set.len(),
        got.len()
    );
}

/// Polls a category's status until its creation job is Complete (1).
async fn wait_complete(app: &TestApp, course: i64, category: i64) {
    let url = app.lp(&format!("/{course}/groupcategories/{category}/status"));
    let start = Instant::now();
    loop {
        let status = json_ok(app.get(&url, &app.admin).await).await;
        if status["Status"] == 1 {
            return;
        }
        assert!(
            start.elapsed() < JOB_TIMEOUT,
            "category {category} not complete after {JOB_TIMEOUT:?}: {status}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates a category and waits until its job is done; answers its id.
async fn create_category(app: &TestApp, course: i64, body: &Value) -> i64 {
    let url = app.lp(&format!("/{course}/groupcategories/"));
    let res = app.post(&url, &app.admin, body).await;
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 202, "{text}");
    let job: Value = serde_json::from_str(&text).expect("job JSON");
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    wait_complete(app, course, category).await;
    category
}

/// A category's groups: (group id, member ids).
async fn group_rosters(app: &TestApp, course: i64, category: i64) -> Vec<(i64, Vec<i64>)> {
    let url = app.lp(&format!("/{course}/groupcategories/{category}/groups/"));
    let groups = json_ok(app.get(&url, &app.admin).await).await;
    rosters_of(&groups, "GroupId")
}

/// A course's sections: (section id, member ids).
async fn section_rosters(app: &TestApp, course: i64) -> Vec<(i64, Vec<i64>)> {
    let sections = json_ok(
        app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
            .await,
    )
    .await;
    rosters_of(&sections, "SectionId")
}

fn rosters_of(list: &Value, id_key: &str) -> Vec<(i64, Vec<i64>)> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array, got {list}"))
        .iter()
        .map(|unit| {
            let id = unit[id_key]
                .as_i64()
                .unwrap_or_else(|| panic!("{id_key} in {unit}"));
            let members = unit["Enrollments"]
                .as_array()
                .unwrap_or_else(|| panic!("Enrollments in {unit}"))
                .iter()
                .map(|m| m.as_i64().expect("member id"))
                .collect();
            (id, members)
        })
        .collect()
}

fn ids_in(answers: &[Value], key: &str) -> Vec<i64> {
    answers
        .iter()
        .map(|a| a[key].as_i64().unwrap_or_else(|| panic!("{key} in {a}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn two_hundred_enrollments_into_one_course_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-ENROLL").await;
    let learners = users(&app, "burst.enroll", CLIENTS, roles.student).await;

    let calls = learners
        .iter()
        .map(|user| {
            Call::post(
                app.lp("/enrollments/"),
                json!({"OrgUnitId": course, "UserId": user, "RoleId": roles.student}),
            )
        })
        .collect();
    let burst = burst("POST /enrollments/ into one course", &app.admin, calls).await;
    let answers = burst.assert_all(200);
    assert_exactly_once("answered UserIds", &ids_in(&answers, "UserId"), &learners);
    assert!(
        answers
            .iter()
            .all(|a| a["OrgUnitId"] == course && a["RoleId"] == roles.student),
        "each answer names the course and the Student role"
    );

    let listed = enrollments(&app, course).await;
    let listed_users: Vec<i64> = listed.iter().map(|(u, _)| *u).collect();
    assert_exactly_once("enrollments listed", &listed_users, &learners);
    assert!(
        listed.iter().all(|(_, role)| *role == roles.student),
        "{listed:?}"
    );
    burst.assert_p99();
}

#[actix_web::test]
async fn two_hundred_group_enrollments_in_one_course_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-GROUPS").await;
    let learners = users(&app, "burst.group", CLIENTS, roles.student).await;
    enroll_each(&app, course, &learners, roles.student).await;
    // No enrollment style: the category's groups start empty and stay as they are put.
    let category = create_category(
        &app,
        course,
        &category_form("Burst", json!(0), json!({"NumberOfGroups": 4})),
    )
    .await;
    let groups = empty_units("group", group_rosters(&app, course, category).await, 4);

    let calls = learners
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let group = groups[i % groups.len()];
            Call::post(
                app.lp(&format!(
                    "/{course}/groupcategories/{category}/groups/{group}/enrollments/"
                )),
                json!({"UserId": user}),
            )
        })
        .collect();
    let burst = burst("POST group enrollments in one course", &app.admin, calls).await;
    burst.assert_all(200);

    let rosters = group_rosters(&app, course, category).await;
    assert_dealt_in_turn("group", &rosters, &groups, &learners);
    burst.assert_p99();
}

/// Writes that arrive together share a transaction (`db::batch`); one that refuses must undo
/// only itself. A third of this burst is learners of the course, a third users who are not
/// enrolled in it, a third posts into a group that does not exist: each answers as it would
/// alone, and the groups hold exactly the accepted learners.
#[actix_web::test]
async fn refusals_in_a_burst_of_group_enrollments_undo_only_themselves() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-REFUSALS").await;
    let learners = users(&app, "burst.refusal", CLIENTS, roles.student).await;
    let (enrolled, strangers) = learners.split_at(CLIENTS / 2);
    enroll_each(&app, course, enrolled, roles.student).await;
    let category = create_category(
        &app,
        course,
        &category_form("Refusals", json!(0), json!({"NumberOfGroups": 2})),
    )
    .await;
    let groups = empty_units("group", group_rosters(&app, course, category).await, 2);
    let missing_group = groups.iter().max().copied().unwrap_or_default() + 1_000;

    let enroll_url = |group: i64| {
        app.lp(&format!(
            "/{course}/groupcategories/{category}/groups/{group}/enrollments/"
        ))
    };
    // In turn: a learner into a group, a stranger into a group, a learner into no group.
    let mut calls = Vec::new();
    let mut expected = Vec::new();
    let mut accepted = Vec::new();
    for (i, (&learner, &stranger)) in enrolled.iter().zip(strangers).enumerate() {
        let group = groups[i % 2];
        match i % 3 {
            0 | 1 => {
                calls.push(Call::post(enroll_url(group), json!({"UserId": learner})));
                expected.push(200);
                accepted.push((group, learner));
            }
            _ => {
                calls.push(Call::post(
                    enroll_url(missing_group),
                    json!({"UserId": learner}),
                ));
                expected.push(404);
            }
        }
        calls.push(Call::post(enroll_url(group), json!({"UserId": stranger})));
        expected.push(404);
    }
    let burst = burst("POST group enrollments, a third refused", &app.admin, calls).await;
    let report = burst.report(200);
    println!("{report}");
    for (outcome, want) in burst.outcomes.iter().zip(&expected) {
        assert_eq!(outcome.status, *want, "{}; {report}", outcome.body);
        if *want == 404 {
            let problem: Value = serde_json::from_str(&outcome.body).unwrap_or(Value::Null);
            assert_eq!(
                problem["status"], 404,
                "a problem document: {}",
                outcome.body
            );
        }
    }

    let rosters = group_rosters(&app, course, category).await;
    for (group, members) in &rosters {
        let want: Vec<i64> = accepted
            .iter()
            .filter(|(g, _)| g == group)
            .map(|(_, learner)| *learner)
            .collect();
        assert_exactly_once(&format!("members of group {group}"), members, &want);
    }
    burst.assert_p99();
}

/// The ids of `count` units that start empty, before a burst fills them.
fn empty_units(what: &str, rosters: Vec<(i64, Vec<i64>)>, count: usize) -> Vec<i64> {
    let ids: Vec<i64> = rosters
        .into_iter()
        .map(|(id, members)| {
            assert!(members.is_empty(), "{what} {id} starts empty: {members:?}");
            id
        })
        .collect();
    assert_eq!(ids.len(), count, "{what}s: {ids:?}");
    ids
}

/// The burst put learner `i` into unit `i % units.len()`: each unit holds exactly those.
fn assert_dealt_in_turn(what: &str, rosters: &[(i64, Vec<i64>)], units: &[i64], learners: &[i64]) {
    assert_eq!(rosters.len(), units.len(), "{what}s: {rosters:?}");
    for (index, (unit, members)) in rosters.iter().enumerate() {
        let want: Vec<i64> = learners
            .iter()
            .enumerate()
            .filter(|(i, _)| i % units.len() == index)
            .map(|(_, u)| *u)
            .collect();
        assert_eq!(*unit, units[index], "{what} order is stable");
        assert_exactly_once(&format!("members of {what} {unit}"), members, &want);
    }
}

#[actix_web::test]
async fn two_hundred_section_enrollments_in_one_course_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-SECTIONS").await;
    // Initialized before anyone is enrolled and without AutoEnroll: the sections start empty
    // and later learners are not placed, so every membership comes from the burst.
    json_ok(
        app.post(
            &app.lp(&format!("/{course}/sections/settings")),
            &app.admin,
            &section_settings(json!(2), 4, false, false, false),
        )
        .await,
    )
    .await;
    let learners = users(&app, "burst.section", CLIENTS, roles.student).await;
    enroll_each(&app, course, &learners, roles.student).await;
    let sections = empty_units("section", section_rosters(&app, course).await, 4);

    let calls = learners
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let section = sections[i % sections.len()];
            Call::post(
                app.lp(&format!("/{course}/sections/{section}/enrollments/")),
                json!({"UserId": user}),
            )
        })
        .collect();
    let burst = burst("POST section enrollments in one course", &app.admin, calls).await;
    burst.assert_all(200);

    let rosters = section_rosters(&app, course).await;
    assert_dealt_in_turn("section", &rosters, &sections, &learners);
    burst.assert_p99();
}

#[actix_web::test]
async fn two_hundred_role_changes_in_one_course_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-ROLES").await;
    let learners = users(&app, "burst.role", CLIENTS, roles.student).await;
    enroll_each(&app, course, &learners, roles.student).await;

    let calls = learners
        .iter()
        .map(|user| {
            Call::post(
                app.lp("/enrollments/"),
                json!({"OrgUnitId": course, "UserId": user, "RoleId": roles.assistant}),
            )
        })
        .collect();
    let burst = burst("POST /enrollments/ changing roles", &app.admin, calls).await;
    let answers = burst.assert_all(200);
    assert_exactly_once("answered UserIds", &ids_in(&answers, "UserId"), &learners);
    assert!(
        answers.iter().all(|a| a["RoleId"] == roles.assistant),
        "each answer carries the new role"
    );

    let listed = enrollments(&app, course).await;
    let listed_users: Vec<i64> = listed.iter().map(|(u, _)| *u).collect();
    assert_exactly_once("enrollments listed", &listed_users, &learners);
    let unchanged: Vec<_> = listed
        .iter()
        .filter(|(_, role)| *role != roles.assistant)
        .collect();
    assert!(
        unchanged.is_empty(),
        "roles not changed (user, role): {unchanged:?}"
    );
    burst.assert_p99();
}

#[actix_web::test]
async fn two_hundred_unenrollments_from_one_course_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-UNENROLL").await;
    let learners = users(&app, "burst.unenroll", CLIENTS, roles.student).await;
    enroll_each(&app, course, &learners, roles.student).await;
    // Someone who stays: the burst removes exactly the enrollments it names.
    let stays = users(&app, "burst.stays", 1, roles.student).await;
    enroll_each(&app, course, &stays, roles.student).await;

    let calls = learners
        .iter()
        .map(|user| Call::delete(app.lp(&format!("/enrollments/orgUnits/{course}/users/{user}"))))
        .collect();
    let burst = burst("DELETE enrollments from one course", &app.admin, calls).await;
    let answers = burst.assert_all(200);
    assert_exactly_once("answered UserIds", &ids_in(&answers, "UserId"), &learners);

    let listed: Vec<i64> = enrollments(&app, course)
        .await
        .iter()
        .map(|(u, _)| *u)
        .collect();
    assert_exactly_once("enrollments left", &listed, &stays);
    burst.assert_p99();
}

#[actix_web::test]
async fn two_hundred_user_creations_at_once() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let before = all_users(&app).await.len();

    let names: Vec<String> = (0..CLIENTS).map(|i| format!("burst.new{i:03}")).collect();
    let calls = names
        .iter()
        .map(|name| Call::post(app.lp("/users/"), user_body(name, roles.student)))
        .collect();
    let burst = burst("POST /users/", &app.admin, calls).await;
    let answers = burst.assert_all(200);
    let created = ids_in(&answers, "UserId");
    for (name, answer) in names.iter().zip(&answers) {
        assert_eq!(answer["UserName"], name.as_str(), "{answer}");
    }

    let listed = all_users(&app).await;
    assert_eq!(listed.len(), before + CLIENTS, "users listed");
    let burst_users: Vec<i64> = listed
        .iter()
        .filter(|(_, name)| name.starts_with("burst.new"))
        .map(|(id, _)| *id)
        .collect();
    assert_exactly_once("users listed", &burst_users, &created);
    for (id, name) in &listed {
        if let Some(i) = created.iter().position(|c| c == id) {
            assert_eq!(name, &names[i], "user {id}");
        }
    }
    burst.assert_p99();
}

#[actix_web::test]
async fn enrollments_racing_category_creation_and_section_initialization() {
    let _one = ONE_BURST_AT_A_TIME.lock().await;
    let app = production_app().await;
    let roles = roles(&app).await;
    let course = app.create_course("BURST-MIX").await;
    // Learners already there when the burst starts: category creation and section
    // initialization place them; the burst's own enrollments must be placed by AutoEnroll.
    let early = users(&app, "burst.early", 50, roles.student).await;
    enroll_each(&app, course, &early, roles.student).await;
    let late = users(&app, "burst.late", CLIENTS, roles.student).await;

    let mut calls: Vec<Call> = late
        .iter()
        .map(|user| {
            Call::post(
                app.lp("/enrollments/"),
                json!({"OrgUnitId": course, "UserId": user, "RoleId": roles.student}),
            )
        })
        .collect();
    let categories_url = app.lp(&format!("/{course}/groupcategories/"));
    // Two AutoEnroll categories of different styles, and one without AutoEnroll.
    let auto_categories = [
        category_form(
            "Dealt",
            json!(2),
            json!({"NumberOfGroups": 7, "AutoEnroll": true}),
        ),
        category_form(
            "Filled",
            json!(1),
            json!({"MaxUsersPerGroup": 30, "AutoEnroll": true}),
        ),
    ];
    let first_other = calls.len();
    for body in &auto_categories {
        calls.push(Call::post(categories_url.clone(), body.clone()));
    }
    calls.push(Call::post(
        categories_url.clone(),
        category_form("Manual", json!(0), json!({"NumberOfGroups": 3})),
    ));
    calls.push(Call::post(
        app.lp(&format!("/{course}/sections/settings")),
        section_settings(json!(2), 5, true, false, false),
    ));
    let burst = burst(
        "enrollments, category creations and section initialization on one course",
        &app.admin,
        calls,
    )
    .await;
    let report = burst.report(200);
    println!("{report}");
    let expected: Vec<u16> = (0..burst.outcomes.len())
        .map(|i| {
            if (first_other..first_other + 3).contains(&i) {
                202
            } else {
                200
            }
        })
        .collect();
    let wrong: Vec<String> = burst
        .outcomes
        .iter()
        .zip(&expected)
        .enumerate()
        .filter(|(_, (o, want))| o.status != **want)
        .map(|(i, (o, want))| format!("call {i}: want {want}, got {} {}", o.status, o.body))
        .take(10)
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}\n{report}");
    let answers: Vec<Value> = burst
        .outcomes
        .iter()
        .map(|o| serde_json::from_str(&o.body).unwrap_or(Value::Null))
        .collect();
    assert_exactly_once(
        "answered UserIds",
        &ids_in(&answers[..first_other], "UserId"),
        &late,
    );
    let categories: Vec<i64> = answers[first_other..first_other + 3]
        .iter()
        .map(|job| job["CategoryId"].as_i64().expect("CategoryId"))
        .collect();
    for category in &categories {
        wait_complete(&app, course, *category).await;
    }

    // Who the course's learners are, through the API.
    let learners: Vec<i64> = enrollments(&app, course)
        .await
        .into_iter()
        .filter(|(_, role)| *role == roles.student)
        .map(|(u, _)| u)
        .collect();
    let everyone: Vec<i64> = early.iter().chain(&late).copied().collect();
    assert_exactly_once("learners enrolled", &learners, &everyone);

    for category in &categories[..2] {
        let members: Vec<i64> = group_rosters(&app, course, *category)
            .await
            .into_iter()
            .flat_map(|(_, members)| members)
            .collect();
        assert_exactly_once(
            &format!("members of the groups of AutoEnroll category {category}"),
            &members,
            &everyone,
        );
    }
    let manual: Vec<i64> = group_rosters(&app, course, categories[2])
        .await
        .into_iter()
        .flat_map(|(_, members)| members)
        .collect();
    assert!(
        manual.is_empty(),
        "a category without enrollment style places nobody: {manual:?}"
    );
    let sectioned: Vec<i64> = section_rosters(&app, course)
        .await
        .into_iter()
        .flat_map(|(_, members)| members)
        .collect();
    assert_exactly_once("members of the sections", &sectioned, &everyone);
    burst.assert_p99();
}
