//! Several processes on one database behave as one server (issue 24): a write decides from the
//! database, so no process accepts one after a demotion, a revocation or a VLE's deletion was
//! answered anywhere; on SQLite a command of the CLI is seen by the server's next request; on
//! PostgreSQL one client's calls spread over three real server processes draw on one budget.
//!
//! Only what cannot flake is asserted here: refusals that follow from reading the database,
//! and a budget counted with a margin. How late a read on another process can be is measured
//! by `benches/processes.rs` (docs/scaling.md), not timed here.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// A course with an instructor and two learners, a category of one group.
struct Class {
    course: i64,
    instructor: String,
    learners: Vec<i64>,
    category: i64,
    group: i64,
}

async fn class(app: &TestApp) -> Class {
    let course = app.create_course("PROC-1").await;
    member(app, course, "proc.instructor", "Instructor").await;
    let learners = learners(app, course, "proc", 3).await;
    let (category, groups) = category_ready(
        app,
        V,
        course,
        &category_form("Labs", json!(0), json!({"NumberOfGroups": 1})),
    )
    .await;
    Class {
        course,
        instructor: app.token_for("proc.instructor", "*:*:*"),
        learners,
        category,
        group: groups[0],
    }
}

impl Class {
    fn members_url(&self, app: &TestApp) -> String {
        app.lp(&format!(
            "/{}/groupcategories/{}/groups/{}/enrollments/",
            self.course, self.category, self.group
        ))
    }
}

#[actix_web::test]
async fn no_process_accepts_a_write_after_a_demotion_was_answered() {
    let a = spawn_app().await;
    let b = a.another_process().await;
    let class = class(&a).await;
    // Through B the instructor adds a member: B now remembers the instructor's permissions.
    let add = |app: &TestApp, user: i64| {
        let url = class.members_url(app);
        let token = class.instructor.clone();
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"UserId": user}))
                .send()
                .await
                .expect("add")
        }
    };
    assert_eq!(add(&b, class.learners[0]).await.status(), 200);
    // Through A the admin makes the instructor a student of the course.
    let demotion = json!({"OrgUnitId": class.course, "UserId": instructor_id(&a).await,
                          "RoleId": a.role_id("Student").await});
    json_ok(a.post(&a.lp("/enrollments/"), &a.admin, &demotion).await).await;
    // At once, through B: refused, from the database, whatever B remembered.
    let refused = add(&b, class.learners[1]).await;
    let detail = problem(refused, 403).await;
    assert!(
        detail.contains("lacks the permission groups.enroll"),
        "{detail}"
    );
    assert_eq!(
        member_rows(&a, class.group),
        1,
        "nothing written after the demotion"
    );
}

async fn instructor_id(app: &TestApp) -> i64 {
    let me = json_ok(
        app.get(
            &app.lp("/users/whoami"),
            &app.token_for("proc.instructor", "*:*:*"),
        )
        .await,
    )
    .await;
    me["Identifier"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("Identifier")
}

#[actix_web::test]
async fn no_process_accepts_a_write_from_a_deleted_vles_client() {
    let a = spawn_app().await;
    let b = a.another_process().await;
    let course = a.create_course("PROC-2").await;
    let institutions = json_ok(a.get(&a.url("/api/v2/institution/"), &a.admin).await).await;
    let institution = institutions["results"][0]["id"].as_i64().expect("id");
    let vles = a.url(&format!("/api/v2/institution/{institution}/vle/"));
    let vle = json_status(
        a.post(
            &vles,
            &a.admin,
            &json!({"type": 1, "lti": {"version": "1.3"}, "name": "Moodle",
                    "url": "https://lms.example.edu"}),
        )
        .await,
        201,
    )
    .await;
    let token = client_token(
        &a,
        vle["client_id"].as_str().expect("client_id"),
        vle["credentials"].as_str().expect("credentials"),
    )
    .await;
    let learner = a.create_user("proc.vle", "Student").await;
    let student = a.role_id("Student").await;
    let enroll = |app: &TestApp| {
        let (url, client, token) = (app.lp("/enrollments/"), app.client.clone(), token.clone());
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"OrgUnitId": course, "UserId": learner, "RoleId": student}))
                .send()
                .await
                .expect("enroll")
        }
    };
    // B has checked the client's standing, and remembers it.
    assert_eq!(enroll(&b).await.status(), 200);
    let id = vle["id"].as_i64().expect("id");
    let gone = a
        .send(
            Method::DELETE,
            &format!("{vles}{id}/"),
            Some(&a.admin),
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    let refused = enroll(&b).await;
    assert_eq!(
        refused.status(),
        401,
        "the deleted VLE's client writes nothing"
    );
}

/// A client-credentials token for a registered client.
async fn client_token(app: &TestApp, id: &str, secret: &str) -> String {
    let res = token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((id, secret)),
    )
    .await;
    let body: Value = json_ok(res).await;
    body["access_token"].as_str().expect("access_token").into()
}

/// On SQLite the CLI is another process writing to the server's file: a client it revokes is
/// refused by the server's very next request, read or write.
#[actix_web::test]
async fn a_client_revoked_by_the_cli_is_refused_by_the_next_request() {
    let app = spawn_app().await;
    for round in 0..3 {
        let out = cli(
            &app,
            &[
                "client",
                "add",
                "--name",
                &format!("sync {round}"),
                "--user",
                "admin",
                "--scope",
                "users:*:* enrollment:*:*",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (id, secret) = (printed(&out, "client_id"), printed(&out, "client_secret"));
        let token = client_token(&app, &id, &secret).await;
        let whoami = app.lp("/users/whoami");
        // Remembered: the holder's standing and the answer.
        for _ in 0..3 {
            assert_eq!(status_of(app.get(&whoami, &token).await).await, 200);
        }
        let out = cli(&app, &["client", "revoke", "--client", &id]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let res = app.get(&whoami, &token).await;
        assert_eq!(
            res.status(),
            401,
            "round {round}: refused at once after the command"
        );
    }
}

/// Three real server processes on one PostgreSQL database, one client calling them in turn:
/// the calls accepted stay within 10 % of the one budget, and every process reports what is
/// left of that budget, not of its own.
#[actix_web::test]
async fn three_processes_keep_one_client_within_its_budget() {
    if !is_postgres() {
        eprintln!("three_processes_keep_one_client_within_its_budget: PostgreSQL only (one server per SQLite file)");
        return;
    }
    let app = spawn_app().await;
    let env = [
        ("RATE_LIMIT_CREDITS_PER_MINUTE", "60"),
        ("RATE_LIMIT_REQUEST_COST", "1"),
        ("JOB_WORKER", "off"),
    ];
    let servers: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start(&app.database_url, &env))
        .collect();
    let (id, secret) = register_client(&app, "users:*:*", "spread");
    let token = client_token(&app, &id, &secret).await;
    let mut accepted = 0;
    let mut remaining = Vec::new();
    for call in 0..180 {
        let server = &servers[call % 3];
        let res = app
            .client
            .get(server.url(&format!("/d2l/api/lp/{V}/users/whoami")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("whoami");
        match res.status().as_u16() {
            200 => {
                accepted += 1;
                let left: i64 = header(&res, "x-rate-limit-remaining")
                    .and_then(|v| v.parse().ok())
                    .expect("X-Rate-Limit-Remaining");
                remaining.push((call, left));
            }
            429 => assert!(header(&res, "retry-after").is_some()),
            other => panic!("call {call}: {other}"),
        }
    }
    assert!(
        (54..=66).contains(&accepted),
        "{accepted} calls accepted against a budget of 60"
    );
    // What each process says is left is the one budget's, within the margin: after the k-th
    // accepted call, about 60 - k (plus what refilled meanwhile, one a second).
    for (k, (_, left)) in remaining.iter().enumerate() {
        let expected = 60 - (k as i64 + 1);
        assert!(
            (left - expected).abs() <= 6 + 2,
            "after {} accepted calls a process said {left} left",
            k + 1
        );
    }
    drop(servers);
    tokio::time::sleep(Duration::from_millis(10)).await;
}
