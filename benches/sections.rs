//! Issue target: initializing NumberOfSectionsAutoEnrollment with 100 sections on a course of
//! 20,000 learners in under 1 s, and `GET /sections/` for that course in under 50 ms, on SQLite
//! (default) and PostgreSQL (`TEST_DATABASE_URL=postgres://...`).
//!
//!     cargo bench --bench sections

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::common::{json_ok, spawn_app};
use support::{median, report, seed_learners};

fn main() {
    let met = actix_web::rt::System::new().block_on(async {
        let app = spawn_app().await;
        let course = app.create_course("BENCH-SECTIONS").await;
        seed_learners(&app, course, 20_000);

        let settings = json!({
            "EnrollmentStyle": "NumberOfSectionsAutoEnrollment", "EnrollmentQuantity": 100,
            "AutoEnroll": true, "RandomizeEnrollments": true, "DescriptionsVisibleToEnrollees": true
        });
        let started = Instant::now();
        json_ok(
            app.post(
                &app.lp(&format!("/{course}/sections/settings")),
                &app.admin,
                &settings,
            )
            .await,
        )
        .await;
        let init = started.elapsed();

        let mut samples = Vec::new();
        let mut members = 0;
        for _ in 0..15 {
            let started = Instant::now();
            let sections = json_ok(
                app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
                    .await,
            )
            .await;
            samples.push(started.elapsed());
            members = sections
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s["Enrollments"].as_array().map_or(0, Vec::len))
                        .sum::<usize>()
                })
                .unwrap_or(0);
        }
        assert_eq!(members, 20_000, "every learner placed");
        let ok_init = report(
            "POST /sections/settings (100 sections, 20,000 learners)",
            init,
            Duration::from_secs(1),
        );
        let ok_list = report(
            "GET /sections/ (median of 15)",
            median(samples),
            Duration::from_millis(50),
        );
        ok_init && ok_list
    });
    if !met {
        std::process::exit(1);
    }
}
