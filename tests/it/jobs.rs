//! Group creation jobs survive a killed process, and on PostgreSQL several workers share one
//! queue with each job run exactly once. A job that keeps failing is dead after exactly its
//! allowed attempts, logged with its cause; its category then answers as a failed creation
//! (404, DELETE clears it), and a dead job retried by the operator can still complete it.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use d2l_groups::db::rows::Job;
use d2l_groups::jobs::{run_next, Outcome, WorkerSettings};
use d2l_groups::schema::{group_categories, jobs};
use diesel::prelude::*;
use serde_json::{json, Value};

fn category_body(name: &str, groups: i64) -> Value {
    category_form(
        name,
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": groups}),
    )
}

async fn status(http: &reqwest::Client, url: &str, token: &str) -> i64 {
    let res = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("status");
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.expect("json")["Status"]
        .as_i64()
        .expect("Status")
}

#[actix_web::test]
async fn a_job_left_by_a_killed_process_completes_after_restart() {
    // Process A accepts the category but runs no jobs, and is killed without warning.
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("CRASH-1").await;
    for i in 0..6 {
        let user = app.create_user(&format!("crash{i}"), "Student").await;
        app.enroll(user, course, "Student").await;
    }
    let url = app.database_url.clone();
    let mut a = ServerProcess::start(&url, &[("JOB_WORKER", "off")]);
    let http = reqwest::Client::new();
    let token = app.admin.clone();
    let res = http
        .post(a.url(&format!("/d2l/api/lp/1.47/{course}/groupcategories/")))
        .bearer_auth(&token)
        .json(&category_body("Crash", 2))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.expect("json");
    assert_eq!(job["Status"], 0);
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    let status_path = format!("/d2l/api/lp/1.47/{course}/groupcategories/{category}/status");
    assert_eq!(status(&http, &a.url(&status_path), &token).await, 0);
    a.signal("-KILL");
    assert!(!a.wait(Duration::from_secs(10)).success());

    // Process B starts on the same database and finishes the job.
    let b = ServerProcess::start(
        &url,
        &[("JOB_WORKER", "on"), ("JOB_POLL_INTERVAL_MS", "50")],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&http, &b.url(&status_path), &token).await != 1 {
        assert!(
            Instant::now() < deadline,
            "the job never completed after restart"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let groups: Value = http
        .get(b.url(&format!(
            "/d2l/api/lp/1.47/{course}/groupcategories/{category}/groups/"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("groups")
        .json()
        .await
        .expect("json");
    let sizes: Vec<usize> = groups
        .as_array()
        .expect("array")
        .iter()
        .map(|g| g["Enrollments"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, vec![3, 3]);
}

#[actix_web::test]
async fn two_workers_on_one_postgres_database_run_each_job_once() {
    if !is_postgres() {
        eprintln!(
            "skipped: several processes share a queue only on PostgreSQL (set TEST_DATABASE_URL)"
        );
        return;
    }
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("TWO-WORKERS").await;
    for i in 0..40 {
        let user = app.create_user(&format!("pair{i}"), "Student").await;
        app.enroll(user, course, "Student").await;
    }
    const JOBS: u64 = 24;
    let mut categories = Vec::new();
    for i in 0..JOBS {
        let res = app
            .post(
                &app.lp(&format!("/{course}/groupcategories/")),
                &app.admin,
                &category_body(&format!("Set {i}"), 4),
            )
            .await;
        assert_eq!(res.status(), 202);
        let job: Value = res.json().await.expect("json");
        categories.push(job["CategoryId"].as_i64().expect("id"));
    }

    // Two more "processes" on the same database, each with its own pool and worker, started
    // together so that they compete for the queue.
    let pools: Vec<d2l_groups::db::Db> = (0..2)
        .map(|_| d2l_groups::db::Db::connect(&app.database_url, 2).expect("pool"))
        .collect();
    let workers: Vec<d2l_groups::jobs::JobRunner> = pools
        .into_iter()
        .map(|db| {
            d2l_groups::jobs::JobRunner::start(
                db,
                WorkerSettings {
                    poll: Duration::from_millis(5),
                    ..WorkerSettings::default()
                },
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    for category in &categories {
        loop {
            let s = json_ok(
                app.get(
                    &app.lp(&format!("/{course}/groupcategories/{category}/status")),
                    &app.admin,
                )
                .await,
            )
            .await;
            if s["Status"] == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "category {category} never completed"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let runs: Vec<u64> = workers.iter().map(|w| w.completed()).collect();
    eprintln!("jobs completed per worker: {runs:?}");
    assert_eq!(
        runs.iter().sum::<u64>(),
        JOBS,
        "each job ran exactly once: {runs:?}"
    );
    assert!(
        runs.iter().all(|r| *r > 0),
        "both workers took jobs from the one queue: {runs:?}"
    );
    for category in &categories {
        let groups = json_ok(
            app.get(
                &app.lp(&format!("/{course}/groupcategories/{category}/groups/")),
                &app.admin,
            )
            .await,
        )
        .await;
        let groups = groups.as_array().expect("array");
        assert_eq!(groups.len(), 4, "category {category}");
        let members: usize = groups
            .iter()
            .map(|g| g["Enrollments"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(members, 40, "category {category}");
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs that keep failing

/// A style number no category can have: the creation job fails on it, every time, until the
/// test puts the real style back.
const BROKEN_STYLE: i64 = 99;

/// Retries at once, so that a test reaches a job's death without waiting.
fn eager(max_attempts: u32) -> WorkerSettings {
    WorkerSettings {
        poll: Duration::from_millis(5),
        max_attempts,
        retry_delay: Duration::ZERO,
    }
}

/// An app whose in-process worker is off (the test drives the queue) with a course of six
/// learners and one category whose creation job will fail; answers (app, course, category,
/// the category's real style).
async fn failing_category() -> (TestApp, i64, i64, i64) {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("DOOMED-1").await;
    for i in 0..6 {
        let user = app.create_user(&format!("doomed{i}"), "Student").await;
        app.enroll(user, course, "Student").await;
    }
    let res = app
        .post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &category_body("Doomed", 2),
        )
        .await;
    assert_eq!(res.status(), 202);
    let category = res.json::<Value>().await.expect("json")["CategoryId"]
        .as_i64()
        .expect("CategoryId");
    let style = app
        .state
        .db
        .write_sync(|conn| {
            let style: i64 = group_categories::table
                .find(category)
                .select(group_categories::enrollment_style)
                .first(conn)?;
            diesel::update(group_categories::table.find(category))
                .set(group_categories::enrollment_style.eq(BROKEN_STYLE))
                .execute(conn)?;
            Ok(style)
        })
        .expect("break the category");
    (app, course, category, style)
}

fn jobs_of(app: &TestApp, category: i64) -> Vec<Job> {
    app.state
        .db
        .read_sync(|conn| {
            Ok(jobs::table
                .filter(jobs::category_id.eq(category))
                .order(jobs::id.asc())
                .select(Job::as_select())
                .load(conn)?)
        })
        .expect("jobs")
}

/// Drives the queue until it is idle; answers every outcome, the final `Idle` included.
fn drain(app: &TestApp, settings: &WorkerSettings) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    loop {
        let outcome = run_next(&app.state.db, settings).expect("run_next");
        outcomes.push(outcome);
        if outcome == Outcome::Idle || outcomes.len() > 100 {
            return outcomes;
        }
    }
}

#[actix_web::test]
async fn a_job_that_keeps_failing_is_dead_after_exactly_its_attempts() {
    let (app, _course, category, _) = failing_category().await;
    let outcomes = drain(&app, &eager(4));
    assert_eq!(
        outcomes,
        vec![
            Outcome::Failed,
            Outcome::Failed,
            Outcome::Failed,
            Outcome::Dead,
            Outcome::Idle
        ]
    );
    let rows = jobs_of(&app, category);
    assert_eq!(rows.len(), 1, "the dead job is kept: {rows:?}");
    let job = &rows[0];
    assert_eq!(job.kind, "create_groups");
    assert_eq!(job.attempts, 4);
    assert!(job.dead_at.is_some(), "{job:?}");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("stored group style 99")),
        "the cause is kept: {job:?}"
    );
    // Dead is final: it is due, yet never claimed again, whatever the attempts allowed.
    assert!(job.run_at <= chrono::Utc::now().naive_utc());
    assert_eq!(drain(&app, &eager(100)), vec![Outcome::Idle]);
    assert_eq!(jobs_of(&app, category)[0].attempts, 4);
}

#[actix_web::test]
async fn one_allowed_attempt_means_dead_at_the_first_failure() {
    let (app, _course, category, _) = failing_category().await;
    assert_eq!(drain(&app, &eager(1)), vec![Outcome::Dead, Outcome::Idle]);
    assert_eq!(jobs_of(&app, category)[0].attempts, 1);
}

#[actix_web::test]
async fn a_failed_creation_answers_404_everywhere_but_delete_which_clears_it() {
    let (app, course, category, _) = failing_category().await;
    let base = app.lp(&format!("/{course}/groupcategories/"));
    let this = format!("{base}{category}");

    // While it is retrying, it is processing: Status 0, writes 409.
    let run = |app: &TestApp| run_next(&app.state.db, &eager(3)).expect("run_next");
    assert_eq!(run(&app), Outcome::Failed);
    assert_eq!(run(&app), Outcome::Failed);
    let status = json_ok(app.get(&format!("{this}/status"), &app.admin).await).await;
    assert_eq!(status, json!({"Status": 0}));
    problem(app.delete(&this, &app.admin).await, 409).await;
    assert_eq!(run(&app), Outcome::Dead);

    // A category that completes, beside it.
    let res = app
        .post(&base, &app.admin, &category_body("Healthy", 3))
        .await;
    assert_eq!(res.status(), 202);
    let healthy = res.json::<Value>().await.expect("json")["CategoryId"]
        .as_i64()
        .expect("id");
    assert_eq!(drain(&app, &eager(3)), vec![Outcome::Done, Outcome::Idle]);

    // Dead: every route naming it is 404, saying the creation failed; lists leave it out.
    let detail = problem(app.get(&format!("{this}/status"), &app.admin).await, 404).await;
    assert!(detail.contains("creation failed"), "{detail}");
    let detail = problem(app.get(&this, &app.admin).await, 404).await;
    assert!(detail.contains("creation failed"), "{detail}");
    problem(app.get(&format!("{this}/groups/"), &app.admin).await, 404).await;
    let group = json!({"Name": "G", "Code": "G1", "Description": {"Content": "", "Type": "Text"}});
    problem(
        app.post(&format!("{this}/groups/"), &app.admin, &group)
            .await,
        404,
    )
    .await;
    let update = json!({
        "Name": "Renamed", "Description": {"Content": "", "Type": "Text"}, "AutoEnroll": false,
        "RandomizeEnrollments": false, "DescriptionsVisibleToEnrolees": false
    });
    problem(app.put(&this, &app.admin, &update).await, 404).await;
    let listed = json_ok(app.get(&base, &app.admin).await).await;
    let ids: Vec<i64> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["GroupCategoryId"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![healthy]);
    let status = json_ok(
        app.get(&format!("{base}{healthy}/status"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(status, json!({"Status": 1}));

    // DELETE clears it away, dead job and all; then it is simply not found.
    let res = app.delete(&this, &app.admin).await;
    assert_eq!(res.status(), 200);
    assert!(jobs_of(&app, category).is_empty());
    let detail = problem(app.get(&format!("{this}/status"), &app.admin).await, 404).await;
    assert!(!detail.contains("creation failed"), "{detail}");
    problem(app.delete(&this, &app.admin).await, 404).await;

    // And the administrator starts again, under the same name.
    let res = app
        .post(&base, &app.admin, &category_body("Doomed", 2))
        .await;
    assert_eq!(res.status(), 202);
    let again = res.json::<Value>().await.expect("json")["CategoryId"]
        .as_i64()
        .expect("id");
    assert_eq!(drain(&app, &eager(3)), vec![Outcome::Done, Outcome::Idle]);
    let status = json_ok(app.get(&format!("{base}{again}/status"), &app.admin).await).await;
    assert_eq!(status, json!({"Status": 1}));
}

#[actix_web::test]
async fn a_retried_job_that_now_succeeds_completes_the_category() {
    let (app, course, category, style) = failing_category().await;
    let this = app.lp(&format!("/{course}/groupcategories/{category}"));
    assert_eq!(
        drain(&app, &eager(2)),
        vec![Outcome::Failed, Outcome::Dead, Outcome::Idle]
    );
    problem(app.get(&format!("{this}/status"), &app.admin).await, 404).await;

    // The cause is fixed, and the operator retries the job with the real binary.
    app.state
        .db
        .write_sync(|conn| {
            diesel::update(group_categories::table.find(category))
                .set(group_categories::enrollment_style.eq(style))
                .execute(conn)?;
            Ok(())
        })
        .expect("repair");
    let job = jobs_of(&app, category)[0].id;
    let out = std::process::Command::new(BIN)
        .args(["jobs", "retry", &job.to_string()])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("jobs retry");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jobs_of(&app, category);
    assert_eq!((rows[0].attempts, rows[0].dead_at), (0, None), "{rows:?}");

    // Processing again: Status 0, writes 409, until the job runs.
    let status = json_ok(app.get(&format!("{this}/status"), &app.admin).await).await;
    assert_eq!(status, json!({"Status": 0}));
    problem(app.delete(&this, &app.admin).await, 409).await;
    assert_eq!(drain(&app, &eager(2)), vec![Outcome::Done, Outcome::Idle]);
    let status = json_ok(app.get(&format!("{this}/status"), &app.admin).await).await;
    assert_eq!(status, json!({"Status": 1}));
    let groups = json_ok(app.get(&format!("{this}/groups/"), &app.admin).await).await;
    let sizes: Vec<usize> = groups
        .as_array()
        .expect("array")
        .iter()
        .map(|g| g["Enrollments"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, vec![3, 3]);
    assert!(jobs_of(&app, category).is_empty());
}

#[actix_web::test]
async fn the_server_gives_up_after_job_max_attempts_and_logs_the_cause() {
    let (app, course, category, _) = failing_category().await;
    let server = ServerProcess::start(
        &app.database_url,
        &[
            ("JOB_WORKER", "on"),
            ("JOB_MAX_ATTEMPTS", "3"),
            ("JOB_RETRY_DELAY_MS", "20"),
            ("JOB_POLL_INTERVAL_MS", "20"),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let log = server.log.lock().expect("log").clone();
        let lines: Vec<Value> = log
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .collect();
        if let Some(line) = lines.iter().find(|v| v["level"] == "ERROR") {
            let retries = lines
                .iter()
                .filter(|v| v["message"] == "job failed; will retry")
                .count();
            break (line.clone(), retries);
        }
        assert!(Instant::now() < deadline, "the job never died: {log:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let (line, retries) = dead;
    // The worker logs inside the transaction that buries the job: the row may lag the line
    // by the commit.
    let job = loop {
        let job = jobs_of(&app, category)[0].clone();
        if job.dead_at.is_some() || Instant::now() > deadline {
            break job;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(line["job"], job.id, "{line}");
    assert_eq!(line["kind"], "create_groups", "{line}");
    assert_eq!(line["category"], category, "{line}");
    assert_eq!(line["attempts"], 3, "{line}");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("stored group style 99")),
        "{line}"
    );
    assert_eq!(retries, 2, "two failures before the last");
    assert_eq!((job.attempts, job.dead_at.is_some()), (3, true));

    // Its routes, through that server, answer the failed creation.
    let http = reqwest::Client::new();
    let res = http
        .get(server.url(&format!(
            "/d2l/api/lp/1.47/{course}/groupcategories/{category}/status"
        )))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("status");
    let detail = problem(res, 404).await;
    assert!(detail.contains("creation failed"), "{detail}");
    // No more attempts, however long it waits.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(jobs_of(&app, category)[0].attempts, 3);
}
