//! Issue target: initializing NumberOfSectionsAutoEnrollment with 100 sections on a course of
//! 20,000 learners in under 1 s, and `GET /sections/` for that course in under 50 ms, on SQLite
//! (default) and PostgreSQL (`TEST_DATABASE_URL=postgres://...`).
//!
//!     cargo bench --bench sections
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench sections
//!     BENCH_QUICK=1 cargo bench --profile dev --bench sections   # 10 sections, 1,000 learners
//!
//! A full run exits 1 when a target is missed; a quick run never does (see `support::quick`).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::common::{json_ok, spawn_app};
use support::{drop_schema, finish, median, report, seed_learners, sized};

fn main() {
    let sections_wanted: i64 = sized(100, 10);
    let learners_wanted: usize = sized(20_000, 1_000);
    let met = actix_web::rt::System::new().block_on(async {
        let app = spawn_app().await;
        let course = app.create_course("BENCH-SECTIONS").await;
        seed_learners(&app.state.db, course, learners_wanted);

        let settings = json!({
            "EnrollmentStyle": "NumberOfSectionsAutoEnrollment", "EnrollmentQuantity": sections_wanted,
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
        let mut count = 0;
        for _ in 0..sized(15, 5) {
            let started = Instant::now();
            let sections = json_ok(
                app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
                    .await,
            )
            .await;
            samples.push(started.elapsed());
            count = sections.as_array().map_or(0, Vec::len);
            members = sections
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s["Enrollments"].as_array().map_or(0, Vec::len))
                        .sum::<usize>()
                })
                .unwrap_or(0);
        }
        assert_eq!(count, usize::try_from(sections_wanted).unwrap_or(0), "every section made");
        assert_eq!(members, learners_wanted, "every learner placed");
        let ok_init = report(
            &format!(
                "POST /sections/settings ({sections_wanted} sections, {learners_wanted} learners)"
            ),
            init,
            Duration::from_secs(1),
        );
        let ok_list = report(
            &format!("GET /sections/ (median of {})", samples.len()),
            median(samples),
            Duration::from_millis(50),
        );
        drop_schema(&app);
        ok_init && ok_list
    });
    finish(met);
}
