//! Issue targets: creating a NumberOfGroupsAutoEnrollment category of 1,000 groups on a course
//! of 50,000 learners, from the 202 to Status 1, in under 2 s; `GET .../groups/` for it in
//! under 150 ms; `POST` of one group enrollment under 5 ms at the median. On SQLite (default)
//! and PostgreSQL (`TEST_DATABASE_URL=postgres://...`).
//!
//!     cargo bench --bench groups

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::common::{json_ok, spawn_app_with};
use support::{median, report, seed_learners};

fn main() {
    let met = actix_web::rt::System::new().block_on(async {
        let app = spawn_app_with(|s| s.job_poll_interval = Duration::from_millis(50)).await;
        let course = app.create_course("BENCH-GROUPS").await;
        let learners = seed_learners(&app, course, 50_000);

        let body = json!({
            "Name": "Teams", "Description": {"Content": "", "Type": "Text"},
            "EnrollmentStyle": "NumberOfGroupsAutoEnrollment", "EnrollmentQuantity": null,
            "AutoEnroll": false, "RandomizeEnrollments": true, "NumberOfGroups": 1000,
            "MaxUsersPerGroup": null, "AllocateAfterExpiry": false, "SelfEnrollmentExpiryDate": null,
            "GroupPrefix": "Team", "RestrictedByOrgUnitId": null, "DescriptionsVisibleToEnrolees": false
        });
        let base = format!("/{course}/groupcategories/");
        let started = Instant::now();
        let res = app.post(&app.lp(&base), &app.admin, &body).await;
        assert_eq!(res.status(), 202);
        let job: serde_json::Value = res.json().await.expect("json");
        let category = job["CategoryId"].as_i64().expect("id");
        let status_url = app.lp(&format!("{base}{category}/status"));
        loop {
            let s = json_ok(app.get(&status_url, &app.admin).await).await;
            if s["Status"] == 1 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "never completed");
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        let creation = started.elapsed();

        let groups_url = app.lp(&format!("{base}{category}/groups/"));
        let mut samples = Vec::new();
        let mut groups = serde_json::Value::Null;
        for _ in 0..15 {
            let started = Instant::now();
            groups = json_ok(app.get(&groups_url, &app.admin).await).await;
            samples.push(started.elapsed());
        }
        let groups = groups.as_array().expect("array");
        assert_eq!(groups.len(), 1000);
        let members: usize = groups.iter().map(|g| g["Enrollments"].as_array().map_or(0, Vec::len)).sum();
        assert_eq!(members, 50_000);

        // Explicit enrollments into the first group, of learners from other groups.
        let first = groups[0]["GroupId"].as_i64().expect("GroupId");
        let inside: std::collections::HashSet<i64> = groups[0]["Enrollments"]
            .as_array()
            .expect("members")
            .iter()
            .filter_map(serde_json::Value::as_i64)
            .collect();
        let enroll_url = app.lp(&format!("{base}{category}/groups/{first}/enrollments/"));
        let mut posts = Vec::new();
        for learner in learners.iter().filter(|l| !inside.contains(l)).take(200) {
            let started = Instant::now();
            let res = app.post(&enroll_url, &app.admin, &json!({"UserId": learner})).await;
            posts.push(started.elapsed());
            assert_eq!(res.status(), 200);
        }
        let ok_create = report("category of 1,000 groups, 50,000 learners: 202 to Status 1", creation, Duration::from_secs(2));
        let ok_list = report("GET .../groups/ (median of 15)", median(samples), Duration::from_millis(150));
        let ok_post = report("POST one group enrollment (median of 200)", median(posts), Duration::from_millis(5));
        ok_create && ok_list && ok_post
    });
    if !met {
        std::process::exit(1);
    }
}
