//! brightspace-2026.md, sections 6.2 and 7: the LP 1.53 group-category fields, and
//! auto-enrollment decided by a role property rather than the role's name.

use std::process::Command;

use serde_json::{json, Value};

use crate::common::*;

/// The 2025 Fetch form, which LP 1.52 and below answer.
use crate::groups::FETCH_KEYS as FETCH_KEYS_1_47;

fn at(app: &TestApp, version: &str, rest: &str) -> String {
    app.url(&format!("/d2l/api/lp/{version}{rest}"))
}

/// A category of `style` made at LP 1.53; answers its id once its creation job is done.
async fn category_1_53(app: &TestApp, course: i64, style: i64, extra: Value) -> i64 {
    let form = category_form("Window", json!(style), extra);
    let job = json_typed(
        app.post(
            &at(app, "1.53", &format!("/{course}/groupcategories/")),
            &app.admin,
            &form,
        )
        .await,
        202,
    )
    .await;
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    let status = at(
        app,
        "1.53",
        &format!("/{course}/groupcategories/{category}/status"),
    );
    for _ in 0..400 {
        if json_ok(app.get(&status, &app.admin).await).await["Status"] == 1 {
            return category;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("category {category} still processing");
}

/// A people-per-group self-enrollment category (cap 3) with a window and the prefix "Team".
async fn windowed_category(app: &TestApp, course: i64, start: &str, expiry: &str) -> i64 {
    let extra = json!({"MaxUsersPerGroup": 3, "SelfEnrollmentStartDate": start,
                       "SelfEnrollmentExpiryDate": expiry, "GroupPrefix": "Team"});
    category_1_53(app, course, 3, extra).await
}

#[actix_web::test]
async fn the_1_53_fetch_form_carries_the_start_date_and_prefix_and_older_ones_do_not() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-1").await;
    let start = "2026-09-01T08:00:00.000Z";
    let expiry = "2026-09-15T08:00:00.000Z";
    let category = windowed_category(&app, course, start, expiry).await;
    let one = format!("/{course}/groupcategories/{category}");
    let list = format!("/{course}/groupcategories/");
    for version in ["1.53", "1.63", "unstable"] {
        let res = app.get(&at(&app, version, &one), &app.admin).await;
        assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
        let v = json_ok(res).await;
        let mut keys = FETCH_KEYS_1_47.to_vec();
        keys.extend(["SelfEnrollmentStartDate", "GroupPrefix"]);
        assert_keys(&v, &keys);
        assert_eq!(v["SelfEnrollmentStartDate"], start, "{version}: {v}");
        assert_eq!(v["SelfEnrollmentExpiryDate"], expiry, "{version}: {v}");
        assert_eq!(v["GroupPrefix"], "Team", "{version}: {v}");
        let all = json_ok(app.get(&at(&app, version, &list), &app.admin).await).await;
        assert_eq!(all[0]["SelfEnrollmentStartDate"], start, "{version}: {all}");
    }
    for version in ["1.47", "1.52"] {
        let v = json_ok(app.get(&at(&app, version, &one), &app.admin).await).await;
        assert_keys(&v, FETCH_KEYS_1_47);
        let all = json_ok(app.get(&at(&app, version, &list), &app.admin).await).await;
        assert_keys(&all[0], FETCH_KEYS_1_47);
    }
}

#[actix_web::test]
async fn a_start_after_the_expiry_is_a_400_naming_the_field_and_records_nothing() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-2").await;
    let form = category_form(
        "Backwards",
        json!(3),
        json!({"MaxUsersPerGroup": 3, "SelfEnrollmentStartDate": "2026-09-20T00:00:00.000Z",
               "SelfEnrollmentExpiryDate": "2026-09-10T00:00:00.000Z"}),
    );
    let url = app.lp(&format!("/{course}/groupcategories/"));
    let detail = problem(app.post(&url, &app.admin, &form).await, 400).await;
    assert!(detail.starts_with("SelfEnrollmentStartDate: "), "{detail}");
    let none = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(none, json!([]));
    // A malformed date names the field too.
    let mut bad = form.clone();
    bad["SelfEnrollmentStartDate"] = json!("next monday");
    let detail = problem(app.post(&url, &app.admin, &bad).await, 400).await;
    assert!(detail.contains("SelfEnrollmentStartDate"), "{detail}");
}

/// Sections of `course` with AutoEnroll (number of sections, 2), initialized as the admin.
async fn auto_sections(app: &TestApp, course: i64) {
    let settings = section_settings(json!(2), 2, true, false, false);
    json_ok(
        app.post(
            &app.lp(&format!("/{course}/sections/settings")),
            &app.admin,
            &settings,
        )
        .await,
    )
    .await;
}

/// The user ids in any section of `course`.
async fn placed(app: &TestApp, course: i64) -> Vec<i64> {
    let sections = json_ok(
        app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
            .await,
    )
    .await;
    let mut all: Vec<i64> = sections
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| ids(&s["Enrollments"]))
        .collect();
    all.sort();
    all
}

#[actix_web::test]
async fn a_tenant_whose_learner_role_is_learner_places_its_learners() {
    let app = spawn_app_with(|s| s.learner_role_name = "Learner".into()).await;
    let roles = json_ok(app.get(&app.lp("/roles/"), &app.admin).await).await;
    let names: Vec<&str> = roles
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["DisplayName"].as_str())
        .collect();
    assert!(
        names.contains(&"Learner") && !names.contains(&"Student"),
        "{names:?}"
    );
    let course = app.create_course("CAT26-3").await;
    auto_sections(&app, course).await;
    let learner = member(&app, course, "cat26.learner", "Learner").await;
    member(&app, course, "cat26.ta", "Teaching Assistant").await;
    // The learner is placed; the TA, whose role cannot be auto-enrolled, is not.
    assert_eq!(placed(&app, course).await, vec![learner]);
    // And the learner's role reads as a learner's in myenrollments.
    let token = app.token_for("cat26.learner", "enrollment:own_enrollment:read");
    let mine = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=3"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(
        mine["Items"][0]["Access"]["LISRoles"],
        json!([
            "urn:lti:instrole:ims/lis/Student",
            "urn:lti:instrole:ims/lis/Learner"
        ])
    );
}

#[actix_web::test]
async fn the_cli_lets_a_role_be_auto_enrolled() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-4").await;
    auto_sections(&app, course).await;
    let before = member(&app, course, "cat26.ta1", "Teaching Assistant").await;
    assert_eq!(placed(&app, course).await, Vec::<i64>::new());

    let out = Command::new(BIN)
        .args(["role", "auto-enroll", "--role", "Teaching Assistant", "on"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{printed} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ta = app.role_id("Teaching Assistant").await;
    assert_eq!(
        printed,
        format!("role_id={ta}\ncan_be_auto_enrolled=true\n")
    );

    // From now on a new TA is placed; the one enrolled before stays where they were.
    let after = member(&app, course, "cat26.ta2", "Teaching Assistant").await;
    assert_eq!(placed(&app, course).await, vec![after]);
    assert_ne!(before, after);

    // An unknown role is a clear error, and changes nothing.
    let out = Command::new(BIN)
        .args(["role", "auto-enroll", "--role", "Nobody", "off"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nobody"));
}

#[test]
fn a_learner_role_name_that_is_empty_or_another_roles_is_refused() {
    for name in ["", "  ", "instructor", "Administrator"] {
        let url = fresh_database_url();
        let out = Command::new(BIN)
            .args(["migrate"])
            .env("DATABASE_URL", &url)
            .env("LEARNER_ROLE_NAME", name)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run d2l-groups");
        assert_eq!(out.status.code(), Some(1), "{name:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("learner role name"), "{name:?}: {stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// The LP 1.53 Update form
// ---------------------------------------------------------------------------------------------

/// The 2025 Update form's keys, as a client that fetched `name` would send them.
fn update_form(name: &str) -> Value {
    json!({"Name": name, "Description": {"Content": "", "Type": "Text"},
           "AutoEnroll": false, "RandomizeEnrollments": false,
           "DescriptionsVisibleToEnrolees": false})
}

fn with(mut form: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().expect("object") {
        form[k] = v.clone();
    }
    form
}

/// The category's pending allocation jobs and when they are due, read from the database.
fn pending_allocations(app: &TestApp, category: i64) -> Vec<chrono::NaiveDateTime> {
    use d2l_groups::schema::jobs;
    use diesel::prelude::*;
    app.state
        .db
        .read_sync(move |conn| {
            Ok(jobs::table
                .filter(jobs::category_id.eq(category))
                .filter(jobs::kind.eq("allocate_after_expiry"))
                .filter(jobs::dead_at.is_null())
                .select(jobs::run_at)
                .load(conn)?)
        })
        .expect("read jobs")
}

fn utc_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[actix_web::test]
async fn the_1_53_update_form_sets_sent_keys_clears_null_ones_and_keeps_absent_ones() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-U1").await;
    let start = "2026-09-01T08:00:00.000Z";
    let expiry = "2026-09-15T08:00:00.000Z";
    let category = windowed_category(&app, course, start, expiry).await;
    let one = format!("/{course}/groupcategories/{category}");

    let form = with(
        update_form("Renamed"),
        json!({"GroupPrefix": "Squad", "SelfEnrollmentStartDate": null, "MaxUsersPerGroup": 5}),
    );
    let res = app.put(&at(&app, "1.53", &one), &app.admin, &form).await;
    assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
    let answer = json_ok(res).await;
    assert_eq!(answer["Name"], "Renamed", "{answer}");
    assert_eq!(answer["GroupPrefix"], "Squad", "{answer}");
    assert_eq!(answer["SelfEnrollmentStartDate"], Value::Null, "{answer}");
    assert_eq!(answer["MaxUsersPerGroup"], 5, "{answer}");
    assert_eq!(
        answer["SelfEnrollmentExpiryDate"], expiry,
        "absent keeps: {answer}"
    );
    let stored = json_ok(app.get(&at(&app, "1.53", &one), &app.admin).await).await;
    assert_eq!(stored, answer);

    // Below 1.53 the newer keys are not part of the form: ignored, as unknown keys are.
    let old = with(
        update_form("Old form"),
        json!({"GroupPrefix": "Ignored", "MaxUsersPerGroup": 9,
               "SelfEnrollmentExpiryDate": null}),
    );
    let answer = json_ok(app.put(&at(&app, "1.52", &one), &app.admin, &old).await).await;
    assert_keys(&answer, FETCH_KEYS_1_47);
    assert_eq!(answer["Name"], "Old form");
    let stored = json_ok(app.get(&at(&app, "1.63", &one), &app.admin).await).await;
    assert_eq!(stored["GroupPrefix"], "Squad", "{stored}");
    assert_eq!(stored["MaxUsersPerGroup"], 5, "{stored}");
    assert_eq!(stored["SelfEnrollmentExpiryDate"], expiry, "{stored}");
}

#[actix_web::test]
async fn an_update_that_breaks_a_rule_is_a_400_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-U2").await;
    let expiry = "2026-09-15T08:00:00.000Z";
    let category = windowed_category(&app, course, "2026-09-01T08:00:00.000Z", expiry).await;
    let one = at(
        &app,
        "1.53",
        &format!("/{course}/groupcategories/{category}"),
    );
    let before = json_ok(app.get(&one, &app.admin).await).await;
    let cases = [
        (
            json!({"SelfEnrollmentStartDate": "2026-09-20T00:00:00.000Z"}),
            "SelfEnrollmentStartDate: ",
        ),
        (json!({"MaxUsersPerGroup": null}), "MaxUsersPerGroup: "),
        (json!({"MaxUsersPerGroup": 0}), "MaxUsersPerGroup: "),
        (
            json!({"AllocateAfterExpiry": true, "SelfEnrollmentExpiryDate": null}),
            "AllocateAfterExpiry: ",
        ),
        (json!({"GroupPrefix": "p".repeat(201)}), "GroupPrefix: "),
        (
            json!({"SelfEnrollmentExpiryDate": "soon"}),
            "SelfEnrollmentExpiryDate",
        ),
    ];
    for (extra, field) in cases {
        let form = with(update_form("Never"), extra.clone());
        let detail = problem(app.put(&one, &app.admin, &form).await, 400).await;
        assert!(detail.contains(field), "{extra}: {detail}");
    }
    assert_eq!(json_ok(app.get(&one, &app.admin).await).await, before);

    // A style without a cap or an expiry keeps that way.
    let plain = category_1_53(&app, course, 2, json!({"NumberOfGroups": 2})).await;
    let url = at(&app, "1.53", &format!("/{course}/groupcategories/{plain}"));
    for (extra, field) in [
        (json!({"MaxUsersPerGroup": 4}), "MaxUsersPerGroup: "),
        (
            json!({"SelfEnrollmentExpiryDate": expiry}),
            "SelfEnrollmentExpiryDate: ",
        ),
    ] {
        let form = with(update_form("Never"), extra.clone());
        let detail = problem(app.put(&url, &app.admin, &form).await, 400).await;
        assert!(detail.contains(field), "{extra}: {detail}");
    }
    // A fetched category sent back whole is accepted: its null cap is no change.
    let fetched = json_ok(app.get(&url, &app.admin).await).await;
    let mut back = with(update_form("Sent back"), json!({}));
    for key in [
        "MaxUsersPerGroup",
        "SelfEnrollmentExpiryDate",
        "GroupPrefix",
    ] {
        back[key] = fetched[key].clone();
    }
    let answer = json_ok(app.put(&url, &app.admin, &back).await).await;
    assert_eq!(answer["Name"], "Sent back");
}

#[actix_web::test]
async fn moving_the_expiry_forward_moves_the_allocation_with_it() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-U3").await;
    let l = learners(&app, course, "move.l", 3).await;
    let extra = json!({"MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                       "SelfEnrollmentExpiryDate": utc_in(3600)});
    let category = category_1_53(&app, course, 3, extra).await;
    assert_eq!(pending_allocations(&app, category).len(), 1);
    let one = at(
        &app,
        "1.53",
        &format!("/{course}/groupcategories/{category}"),
    );
    let soon = with(
        update_form("Soon"),
        json!({"SelfEnrollmentExpiryDate": utc_in(1)}),
    );
    json_ok(app.put(&one, &app.admin, &soon).await).await;
    let due = pending_allocations(&app, category);
    assert_eq!(due.len(), 1, "one job, rescheduled: {due:?}");
    assert!(due[0] < (chrono::Utc::now() + chrono::Duration::seconds(60)).naive_utc());

    let groups = at(
        &app,
        "1.53",
        &format!("/{course}/groupcategories/{category}/groups/"),
    );
    let mut placed = Vec::new();
    for _ in 0..100 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        placed = rosters(
            json_ok(app.get(&groups, &app.admin).await)
                .await
                .as_array()
                .expect("groups"),
        )
        .concat();
        if placed.len() == 3 {
            break;
        }
    }
    assert_eq!(sorted(placed), l, "everyone placed at the new expiry");
    assert!(pending_allocations(&app, category).is_empty());
}

#[actix_web::test]
async fn turning_allocation_off_cancels_it_and_on_again_schedules_it() {
    let app = spawn_app().await;
    let course = app.create_course("CAT26-U4").await;
    learners(&app, course, "off.l", 3).await;
    let expiry = utc_in(2);
    let extra = json!({"MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                       "SelfEnrollmentExpiryDate": expiry});
    let category = category_1_53(&app, course, 3, extra).await;
    let one = at(
        &app,
        "1.53",
        &format!("/{course}/groupcategories/{category}"),
    );
    let off = with(update_form("Off"), json!({"AllocateAfterExpiry": false}));
    let answer = json_ok(app.put(&one, &app.admin, &off).await).await;
    assert_eq!(answer["AllocateAfterExpiry"], false);
    assert_eq!(answer["SelfEnrollmentExpiryDate"], expiry.as_str());
    assert!(pending_allocations(&app, category).is_empty());
    actix_web::rt::time::sleep(std::time::Duration::from_secs(4)).await;
    let groups = at(
        &app,
        "1.53",
        &format!("/{course}/groupcategories/{category}/groups/"),
    );
    let all = json_ok(app.get(&groups, &app.admin).await).await;
    assert!(
        rosters(all.as_array().expect("groups")).concat().is_empty(),
        "nobody placed once allocation was turned off: {all}"
    );

    // On again with a later date: one job, due then. An update that leaves the allocation
    // where it is schedules nothing more.
    let later = utc_in(3600);
    let on = with(
        update_form("On"),
        json!({"AllocateAfterExpiry": true, "SelfEnrollmentExpiryDate": later}),
    );
    json_ok(app.put(&one, &app.admin, &on).await).await;
    let rename = update_form("Renamed only");
    json_ok(app.put(&one, &app.admin, &rename).await).await;
    let due = pending_allocations(&app, category);
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(
        d2l_groups::wire::utc(due[0]),
        later,
        "due at the new expiry"
    );
}
