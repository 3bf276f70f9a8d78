//! Issue targets: creating a NumberOfGroupsAutoEnrollment category of 1,000 groups on a course
//! of 50,000 learners, from the POST to Status 1, in under 2 s and within 1.5× of a raw batch
//! insert of the same rows (measured in the same run, into a second course seeded the same
//! way); `GET .../groups/` for it in under 150 ms; `POST` of one group enrollment under 5 ms at
//! the median. On SQLite (default) and PostgreSQL (`TEST_DATABASE_URL=postgres://...`).
//!
//!     cargo bench --bench groups
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench groups
//!     BENCH_QUICK=1 cargo bench --profile dev --bench groups   # 50 groups × 2,000 learners
//!
//! Creation and baseline run in rounds (`BENCH_REPEAT`, default 3, 1 under `BENCH_QUICK`),
//! each on a fresh pair of courses, alternating which goes first; the figures are medians. A
//! full run exits 1 when a target is missed; a quick run never does (see `support::quick`).

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use d2l_groups::db::rows::{
    org_unit_type, Enrollment, GroupCategory, NewGroupCategory, NewOrgUnit,
};
use d2l_groups::db::{DbConnection, BATCH_ROWS};
use d2l_groups::domain::allocation::{deal, dealing_order};
use d2l_groups::domain::naming::next_name;
use d2l_groups::schema::{category_groups, enrollments, group_categories, org_units};
use diesel::prelude::*;
use serde_json::json;
use support::common::{json_ok, spawn_app_with, TestApp};
use support::{
    drop_schema, finish, median, report, report_ratio, seed_learners, sized, this_thread_cpu,
    threads_cpu,
};

/// The bound on category creation against the raw batch insert of its rows.
const TARGET_RATIO: f64 = 1.5;

fn main() {
    let groups_wanted: usize = sized(1000, 50);
    let learners_wanted: usize = sized(50_000, 2_000);
    let rounds = repetitions();
    let met = actix_web::rt::System::new().block_on(async {
        let app = spawn_app_with(|s| s.job_poll_interval = Duration::from_millis(50)).await;
        let mut creations: Vec<Measured> = Vec::new();
        let mut raws: Vec<Measured> = Vec::new();
        // The first round's course and category, for the reads and the POSTs below.
        let mut first: Option<(i64, i64, Vec<i64>)> = None;
        for round in 0..rounds {
            // A fresh pair of courses per round, each seeded the same way, before either clock
            // starts: the job's, and the raw baseline's.
            let course = app.create_course(&format!("BENCH-GROUPS-{round}")).await;
            let learners = seed_learners(&app.state.db, course, learners_wanted);
            let raw_course = app
                .create_course(&format!("BENCH-GROUPS-RAW-{round}"))
                .await;
            let raw_learners = seed_learners(&app.state.db, raw_course, learners_wanted);
            // The order alternates, so that neither side always meets the other's rows (or
            // its WAL) in the tables. The raw insert runs on this thread, as the seeding
            // does: nothing else is asked of the server meanwhile.
            let raw_first = round % 2 == 1;
            let mut raw = None;
            if raw_first {
                raw = Some(raw_batch_insert(
                    &app,
                    raw_course,
                    &raw_learners,
                    groups_wanted,
                ));
            }
            let (category, creation) = create_category(&app, course, groups_wanted).await;
            let (raw, raw_members) = match raw {
                Some(done) => done,
                None => raw_batch_insert(&app, raw_course, &raw_learners, groups_wanted),
            };
            assert_eq!(
                raw_members, learners_wanted,
                "raw baseline: every learner placed"
            );
            eprintln!(
                "round {}/{rounds} ({}): creation {}, raw {}",
                round + 1,
                if raw_first { "raw first" } else { "job first" },
                creation.describe(),
                raw.describe(),
            );
            creations.push(creation);
            raws.push(raw);
            first.get_or_insert((course, category, learners));
        }
        let (course, category, learners) = first.expect("at least one round");
        let base = format!("/{course}/groupcategories/");

        let groups_url = app.lp(&format!("{base}{category}/groups/"));
        let mut samples = Vec::new();
        let mut groups = serde_json::Value::Null;
        for _ in 0..sized(15, 5) {
            let started = Instant::now();
            groups = json_ok(app.get(&groups_url, &app.admin).await).await;
            samples.push(started.elapsed());
        }
        let groups = groups.as_array().expect("array");
        assert_eq!(groups.len(), groups_wanted);
        let members: usize = groups
            .iter()
            .map(|g| g["Enrollments"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(members, learners_wanted);

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
        let post_count = sized(200, 50);
        for learner in learners
            .iter()
            .filter(|l| !inside.contains(l))
            .take(post_count)
        {
            let started = Instant::now();
            let res = app
                .post(&enroll_url, &app.admin, &json!({"UserId": learner}))
                .await;
            posts.push(started.elapsed());
            assert_eq!(res.status(), 200);
        }
        assert_eq!(
            posts.len(),
            post_count,
            "enough learners outside the first group"
        );

        let sizes = format!("{groups_wanted} groups, {learners_wanted} learners");
        let of = if rounds > 1 {
            format!(", median of {rounds}")
        } else {
            String::new()
        };
        let wall = |m: &[Measured]| median(m.iter().map(|m| m.wall).collect());
        let ok_create = report(
            &format!("category of {sizes}: POST to Status 1{of}"),
            wall(&creations),
            Duration::from_secs(2),
        );
        let backend = support::backend();
        println!(
            "{backend:<10} {:<60} {:>9.1} ms",
            format!("raw batch insert of the same rows{of}"),
            wall(&raws).as_secs_f64() * 1000.0
        );
        // The median of each round's own ratio: both sides of a round ran seconds apart,
        // under the same load.
        let ratio = |f: fn(&Measured) -> Option<Duration>| -> Option<f64> {
            let mut r: Vec<f64> = creations
                .iter()
                .zip(&raws)
                .map(|(c, r)| Some(f(c)?.as_secs_f64() / f(r)?.as_secs_f64()))
                .collect::<Option<_>>()?;
            r.sort_by(f64::total_cmp);
            r.get(r.len() / 2).copied()
        };
        let ok_ratio = report_ratio(
            &format!("category creation / raw batch insert{of}"),
            ratio(|m| Some(m.wall)).expect("wall times"),
            TARGET_RATIO,
            true,
        );
        // On SQLite the database's work is done by the thread that asks for it, so the CPU
        // time of the job worker and of the baseline's thread compare the two even on a busy
        // machine. Shown, not judged: the goal is in wall time.
        if !support::common::is_postgres() {
            if let Some(cpu) = ratio(|m| m.cpu) {
                let cpu_of = |m: &[Measured]| {
                    median(m.iter().filter_map(|m| m.cpu).collect()).as_secs_f64() * 1000.0
                };
                println!(
                    "{backend:<10} {:<60} {:>9.2}×     (job worker {:.1} ms, raw {:.1} ms of CPU)",
                    format!("  the same in CPU time{of}"),
                    cpu,
                    cpu_of(&creations),
                    cpu_of(&raws),
                );
            }
        }
        println!(
            "{backend:<10} load average at the end: {}",
            support::load_average()
        );
        let ok_list = report(
            &format!("GET .../groups/ (median of {})", samples.len()),
            median(samples),
            Duration::from_millis(150),
        );
        let ok_post = report(
            &format!("POST one group enrollment (median of {post_count})"),
            median(posts),
            Duration::from_millis(5),
        );
        drop_schema(&app);
        ok_create && ok_ratio && ok_list && ok_post
    });
    finish(met);
}

/// Rounds of creation and baseline: `BENCH_REPEAT`, else 3 (1 under `BENCH_QUICK`). A round
/// is one category and one baseline on a fresh pair of courses; the figures are medians over
/// the rounds, the ratio the median of each round's own ratio (both sides of a round ran
/// seconds apart, under the same load).
fn repetitions() -> usize {
    std::env::var("BENCH_REPEAT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(sized(3, 1))
}

/// Creates a NumberOfGroupsAutoEnrollment category of `groups` groups in `course` and waits
/// for Status 1; answers the category, the time from the POST to the status that says
/// complete, and the CPU time the job worker spent meanwhile.
async fn create_category(app: &TestApp, course: i64, groups: usize) -> (i64, Measured) {
    let body = json!({
        "Name": "Teams", "Description": {"Content": "", "Type": "Text"},
        "EnrollmentStyle": "NumberOfGroupsAutoEnrollment", "EnrollmentQuantity": null,
        "AutoEnroll": false, "RandomizeEnrollments": true, "NumberOfGroups": groups,
        "MaxUsersPerGroup": null, "AllocateAfterExpiry": false, "SelfEnrollmentExpiryDate": null,
        "GroupPrefix": "Team", "RestrictedByOrgUnitId": null, "DescriptionsVisibleToEnrolees": false
    });
    let base = format!("/{course}/groupcategories/");
    let cpu = threads_cpu("job-worker");
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
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never completed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    let wall = started.elapsed();
    let cpu = threads_cpu("job-worker")
        .zip(cpu)
        .map(|(after, before)| after.saturating_sub(before));
    (category, Measured { wall, cpu })
}

/// A wall time, and the CPU time of the thread that did the work (in this process: only
/// telling on SQLite, where the database's work is done by the caller's thread).
#[derive(Clone, Copy)]
struct Measured {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Measured {
    fn describe(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        match self.cpu {
            Some(cpu) => format!("{:.1} ms ({:.1} ms CPU)", ms(self.wall), ms(cpu)),
            None => format!("{:.1} ms", ms(self.wall)),
        }
    }
}

/// The baseline: the rows the creation job writes for a category of `groups` groups over
/// `learners`, inserted straight into the database for `course`, in one transaction
/// (`Db::write_sync`, as the job's) with the job's batch sizes, on the calling thread. Answers
/// the time taken and how many memberships the course's new groups hold.
///
/// Replicated, table by table and row for row: the category (`group_categories`, one row,
/// inserted already complete where the route inserts it processing and the job then updates
/// it); the groups (`org_units`, `groups` rows of type Group under the course, named and coded
/// `Team 1`, `Team 2`, ... by `next_name` as `org_units::create_numbered` does, in statements
/// of `BATCH_ROWS / 4` rows as `create_children` sends them); their links to the category
/// (`category_groups`, in statements of `BATCH_ROWS`); and every learner's membership
/// (`enrollments` of the groups, dealt over the groups in a shuffled order as the job deals them, in
/// statements of `BATCH_ROWS` with the job's `ON CONFLICT DO NOTHING` / `INSERT OR IGNORE`).
///
/// Not replicated, because they are the job's overhead over the bare writes, which is what the
/// ratio measures: the HTTP request, token and permission checks; the `jobs` row (enqueued by
/// the route, claimed and deleted by the worker) and the wait for the worker to pick it up;
/// the course lock; reading the course's learners and its taken codes; finding the new groups'
/// ids again by code (the baseline has them from `RETURNING`); the status polling.
fn raw_batch_insert(
    app: &TestApp,
    course: i64,
    learners: &[i64],
    groups: usize,
) -> (Measured, usize) {
    let institution_id: i64 = app
        .state
        .db
        .read_sync(|conn| {
            Ok(org_units::table
                .find(course)
                .select(org_units::institution_id)
                .first(conn)?)
        })
        .expect("the raw course");
    // The learners' course role, which their group enrollments carry.
    let learner_role: i64 = app
        .state
        .db
        .read_sync(|conn| {
            Ok(enrollments::table
                .filter(enrollments::org_unit_id.eq(course))
                .select(enrollments::role_id)
                .first(conn)?)
        })
        .expect("a learner's role");
    let piles = deal(&dealing_order(learners.to_vec(), true), groups);
    let cpu = this_thread_cpu();
    let started = Instant::now();
    let (category, group_ids) = app
        .state
        .db
        .write_sync(|conn| {
            let now = Utc::now().naive_utc();
            let category: i64 = diesel::insert_into(group_categories::table)
                .values(NewGroupCategory {
                    course_id: course,
                    institution_id,
                    name: "Teams".into(),
                    description_text: String::new(),
                    description_html: String::new(),
                    enrollment_style: 2,
                    enrollment_quantity: None,
                    number_of_groups: i64::try_from(groups).ok(),
                    max_users_per_group: None,
                    auto_enroll: false,
                    randomize_enrollments: true,
                    allocate_after_expiry: false,
                    self_enrollment_expiry_date: None,
                    self_enrollment_start_date: None,
                    group_prefix: Some("Team".into()),
                    restricted_by_org_unit_id: None,
                    descriptions_visible: false,
                    status: GroupCategory::COMPLETE,
                    submitted_at: now,
                    updated_at: now,
                })
                .returning(group_categories::id)
                .get_result(conn)?;

            let mut taken = std::collections::HashSet::new();
            let rows: Vec<NewOrgUnit> = (1..=groups)
                .map(|n| {
                    let (name, code, _) = next_name("Team", n, &mut taken);
                    NewOrgUnit {
                        institution_id,
                        type_id: org_unit_type::GROUP,
                        parent_id: Some(course),
                        name,
                        code: Some(code),
                        description_text: Some(String::new()),
                        description_html: Some(String::new()),
                        is_active: true,
                        created_at: now,
                        ..NewOrgUnit::default()
                    }
                })
                .collect();
            let mut ids: Vec<i64> = Vec::with_capacity(groups);
            for chunk in rows.chunks(BATCH_ROWS / 4) {
                ids.extend(match conn {
                    DbConnection::Pg(c) => diesel::insert_into(org_units::table)
                        .values(chunk)
                        .returning(org_units::id)
                        .get_results::<i64>(c)?,
                    DbConnection::Sqlite(c) => diesel::insert_into(org_units::table)
                        .values(chunk)
                        .returning(org_units::id)
                        .get_results::<i64>(c)?,
                });
            }

            for chunk in ids.chunks(BATCH_ROWS) {
                let links: Vec<_> = chunk
                    .iter()
                    .map(|group| {
                        (
                            category_groups::group_id.eq(*group),
                            category_groups::category_id.eq(category),
                        )
                    })
                    .collect();
                match conn {
                    DbConnection::Pg(c) => diesel::insert_into(category_groups::table)
                        .values(&links)
                        .execute(c)?,
                    DbConnection::Sqlite(c) => diesel::insert_into(category_groups::table)
                        .values(&links)
                        .execute(c)?,
                };
            }

            // A membership is an enrollment in the group with the member's course role.
            let members: Vec<Enrollment> = ids
                .iter()
                .zip(&piles)
                .flat_map(|(group, pile)| {
                    pile.iter().map(move |user_id| Enrollment {
                        user_id: *user_id,
                        org_unit_id: *group,
                        institution_id,
                        role_id: learner_role,
                        is_cascading: false,
                        created_at: now,
                        enrolled_by_user_id: None,
                    })
                })
                .collect();
            for chunk in members.chunks(BATCH_ROWS) {
                match conn {
                    DbConnection::Pg(c) => diesel::insert_into(enrollments::table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .execute(c)?,
                    DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(enrollments::table)
                        .values(chunk)
                        .execute(c)?,
                };
            }
            Ok((category, ids))
        })
        .expect("raw batch insert");
    let took = Measured {
        wall: started.elapsed(),
        cpu: this_thread_cpu()
            .zip(cpu)
            .map(|(after, before)| after.saturating_sub(before)),
    };

    let (linked, placed): (i64, i64) = app
        .state
        .db
        .read_sync(|conn| {
            let linked = category_groups::table
                .filter(category_groups::category_id.eq(category))
                .count()
                .get_result(conn)?;
            let placed = enrollments::table
                .filter(enrollments::org_unit_id.eq_any(&group_ids))
                .count()
                .get_result(conn)?;
            Ok((linked, placed))
        })
        .expect("count the raw rows");
    assert_eq!(group_ids.len(), groups, "raw baseline: every group created");
    assert_eq!(
        usize::try_from(linked).ok(),
        Some(groups),
        "raw baseline: every group linked"
    );
    (took, usize::try_from(placed).unwrap_or(0))
}
