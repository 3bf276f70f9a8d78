//! Group creation jobs survive a killed process, and on PostgreSQL several workers share one
//! queue with each job run exactly once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn category_body(name: &str, groups: i64) -> Value {
    json!({
        "Name": name, "Description": {"Content": "", "Type": "Text"},
        "EnrollmentStyle": "NumberOfGroupsAutoEnrollment", "EnrollmentQuantity": null,
        "AutoEnroll": false, "RandomizeEnrollments": false, "NumberOfGroups": groups,
        "MaxUsersPerGroup": null, "AllocateAfterExpiry": false, "SelfEnrollmentExpiryDate": null,
        "GroupPrefix": null, "RestrictedByOrgUnitId": null, "DescriptionsVisibleToEnrolees": false
    })
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
        .map(|db| d2l_groups::jobs::JobRunner::start(db, Duration::from_millis(5)))
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
