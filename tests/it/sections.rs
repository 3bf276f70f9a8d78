use crate::common;
use common::*;

use reqwest::Method;
use serde_json::{json, Value};

const SECTION_KEYS: &[&str] = &["SectionId", "Name", "Code", "Description", "Enrollments"];
const ENROLLED_KEYS: &[&str] = &["SectionId", "Name", "Code", "Description"];
const SETTINGS_KEYS: &[&str] = &[
    "Name",
    "Description",
    "EnrollmentStyle",
    "EnrollmentQuantity",
    "AutoEnroll",
    "RandomizeEnrollments",
    "DescriptionsVisibleToEnrollees",
];
const RICH_TEXT_KEYS: &[&str] = &["Text", "Html"];

const PEOPLE_STYLE: &str = "PeoplePerSectionAutoEnrollment";
/// Styles as answered: SECTENROLL_T numbers.
const NUMBER_STYLE_ANSWERED: i64 = 2;
const PEOPLE_STYLE_ANSWERED: i64 = 1;

const READ: &str = "sections:section:read";
const CREATE: &str = "sections:section:create";
const UPDATE: &str = "sections:section:update";
const DELETE: &str = "sections:section:delete";
const ENROLL: &str = "sections:enrollment:create";
const OWN: &str = "sections:own_section:read";
const ALL_SECTION_SCOPES: &[&str] = &[READ, CREATE, UPDATE, DELETE, ENROLL, OWN];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn assert_section_fetch(v: &Value) {
    assert_keys(v, SECTION_KEYS);
    assert!(v["SectionId"].is_i64(), "SectionId is a number: {v}");
    assert!(v["Name"].is_string() && v["Code"].is_string(), "{v}");
    assert_keys(&v["Description"], RICH_TEXT_KEYS);
    assert!(
        v["Enrollments"]
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_i64)),
        "Enrollments are numbers: {v}"
    );
}

/// A test server without the background job worker: sections queue no jobs, and a worker
/// thread never ends, so it would keep each test's database pool (and its PostgreSQL
/// connections) open until the whole test binary exits.
async fn app() -> TestApp {
    spawn_app_with(|s| s.job_worker = false).await
}

fn sec(app: &TestApp, ou: i64, rest: &str) -> String {
    app.lp(&format!("/{ou}/sections{rest}"))
}

fn update_body(name: &str, description: Value, auto: bool, random: bool, visible: bool) -> Value {
    json!({
        "Name": name, "Description": description, "AutoEnroll": auto,
        "RandomizeEnrollments": random, "DescriptionsVisibleToEnrollees": visible
    })
}

fn section_body(name: &str, code: &str, description: Value) -> Value {
    json!({"Name": name, "Code": code, "Description": description})
}

async fn initialize(app: &TestApp, course: i64, body: &Value) -> Value {
    let settings = json_ok(
        app.post(&sec(app, course, "/settings"), &app.admin, body)
            .await,
    )
    .await;
    assert_keys(&settings, SETTINGS_KEYS);
    settings
}

/// Initializes sections of style `style` (by number), neither randomized nor with descriptions
/// shown to enrollees; answers the settings.
async fn initialize_as(app: &TestApp, course: i64, style: i64, quantity: i64, auto: bool) -> Value {
    initialize(
        app,
        course,
        &section_settings(json!(style), quantity, auto, false, false),
    )
    .await
}

/// Initializes `course` with one section (style 2, no auto-enrollment); answers its id.
async fn one_section(app: &TestApp, course: i64) -> i64 {
    initialize_as(app, course, 2, 1, false).await;
    section_id(&list(app, course).await[0])
}

async fn list(app: &TestApp, course: i64) -> Vec<Value> {
    let all = json_ok(app.get(&sec(app, course, "/"), &app.admin).await).await;
    let all = all.as_array().expect("array of sections").clone();
    for s in &all {
        assert_section_fetch(s);
    }
    all
}

fn section_id(s: &Value) -> i64 {
    s["SectionId"].as_i64().expect("SectionId")
}

async fn create_section(app: &TestApp, course: i64, body: &Value) -> Value {
    let s = json_ok(app.post(&sec(app, course, "/"), &app.admin, body).await).await;
    assert_section_fetch(&s);
    s
}

async fn roster(app: &TestApp, course: i64, section: i64) -> Vec<i64> {
    common::ids(
        &json_ok(
            app.get(
                &sec(app, course, &format!("/{section}/enrollments/")),
                &app.admin,
            )
            .await,
        )
        .await,
    )
}

async fn add_to_section(app: &TestApp, course: i64, section: i64, user: i64) -> reqwest::Response {
    app.post(
        &sec(app, course, &format!("/{section}/enrollments/")),
        &app.admin,
        &json!({"UserId": user}),
    )
    .await
}

/// Every section route of `ou` (method, url, body), with `section` standing for a section id.
fn every_route(app: &TestApp, ou: i64, section: i64) -> Vec<(Method, String, Option<Value>)> {
    let init = section_settings(json!(2), 2, false, false, false);
    let upd = update_body("S", text(""), false, false, false);
    let body = section_body("N", "C", text(""));
    let renamed = section_body("N2", "C2", text(""));
    vec![
        (Method::GET, sec(app, ou, "/settings"), None),
        (Method::POST, sec(app, ou, "/settings"), Some(init)),
        (Method::PUT, sec(app, ou, "/settings"), Some(upd)),
        (Method::GET, sec(app, ou, "/mysections/"), None),
        (Method::GET, sec(app, ou, "/"), None),
        (Method::POST, sec(app, ou, "/"), Some(body.clone())),
        (Method::GET, sec(app, ou, &format!("/{section}")), None),
        (
            Method::PUT,
            sec(app, ou, &format!("/{section}")),
            Some(renamed),
        ),
        (Method::DELETE, sec(app, ou, &format!("/{section}")), None),
        (
            Method::POST,
            sec(app, ou, &format!("/{section}/enrollments/")),
            Some(json!({"UserId": 1})),
        ),
        (
            Method::GET,
            sec(app, ou, &format!("/{section}/enrollments/")),
            None,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Before initialization
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_section_route_but_post_settings_is_404_before_initialization() {
    let app = app().await;
    let course = app.create_course("PRE-INIT").await;
    let student = member(&app, course, "pre.student", "Student").await;
    let student_token = app.token_for("pre.student", OWN);
    let fake_section = course + 1000;

    for (method, url, body) in every_route(&app, course, fake_section) {
        if method == Method::POST && url.ends_with("/settings") {
            continue;
        }
        let res = app
            .send(method.clone(), &url, Some(&app.admin), body.as_ref())
            .await;
        if url.ends_with("/mysections/") {
            // The admin is not enrolled in the course itself.
            problem(res, 403).await;
            continue;
        }
        let detail = problem(res, 404).await;
        assert!(
            detail.contains("not initialized"),
            "{method} {url}: {detail}"
        );
    }
    // An enrolled learner asking for their sections gets 404 too.
    problem(
        app.get(&sec(&app, course, "/mysections/"), &student_token)
            .await,
        404,
    )
    .await;

    // Nothing was initialized by any of those calls; POST /settings then works.
    let settings = initialize_as(&app, course, 2, 1, false).await;
    assert_eq!(settings["EnrollmentStyle"], NUMBER_STYLE_ANSWERED);
    let all = list(&app, course).await;
    assert_eq!(rosters(&all), vec![vec![student]]);
}

// ---------------------------------------------------------------------------------------------
// Initialization and allocation
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn number_of_sections_deals_learners_in_id_order() {
    let app = app().await;
    let course = app.create_course("NUM-2").await;
    let ids = learners(&app, course, "num.l", 5).await;
    let (a, b, c, d, e) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    // Non-learners of the course, and learners of another course, are not dealt.
    member(&app, course, "num.instructor", "Instructor").await;
    member(&app, course, "num.ta", "Teaching Assistant").await;
    app.create_user("num.rootonly", "Student").await;
    let other = app.create_course("NUM-OTHER").await;
    member(&app, other, "num.elsewhere", "Student").await;

    let settings = initialize_as(&app, course, 2, 2, false).await;
    assert_eq!(
        settings,
        json!({
            "Name": "Sections", "Description": {"Text": "", "Html": ""},
            "EnrollmentStyle": NUMBER_STYLE_ANSWERED, "EnrollmentQuantity": 2, "AutoEnroll": false,
            "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false
        })
    );
    let fetched = json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
    assert_eq!(fetched, settings);

    let all = list(&app, course).await;
    assert_eq!(all.len(), 2);
    assert_eq!(rosters(&all), vec![vec![a, c, e], vec![b, d]]);
    for (i, s) in all.iter().enumerate() {
        let name = format!("Section {}", i + 1);
        assert_eq!(s["Name"], name.as_str());
        assert_eq!(s["Code"], name.as_str());
        assert_eq!(s["Description"], json!({"Text": "", "Html": ""}));
        let one = json_ok(
            app.get(
                &sec(&app, course, &format!("/{}", section_id(s))),
                &app.admin,
            )
            .await,
        )
        .await;
        assert_eq!(&one, s);
        assert_eq!(
            roster(&app, course, section_id(s)).await,
            common::ids(&s["Enrollments"])
        );
    }
    // Sections are org units below the course, distinct from it.
    assert!(all.iter().all(|s| section_id(s) != course));
}

#[actix_web::test]
async fn number_of_sections_sizes_differ_by_at_most_one_and_empty_sections_are_made() {
    let app = app().await;
    let course = app.create_course("NUM-7").await;
    let ids = learners(&app, course, "seven.l", 7).await;
    initialize_as(&app, course, 2, 3, false).await;
    let all = list(&app, course).await;
    assert_eq!(
        rosters(&all),
        vec![
            vec![ids[0], ids[3], ids[6]],
            vec![ids[1], ids[4]],
            vec![ids[2], ids[5]]
        ]
    );

    // More sections than learners: every section is created, some empty.
    let few = app.create_course("NUM-FEW").await;
    for id in &ids[..2] {
        app.enroll(*id, few, "Student").await;
    }
    initialize_as(&app, few, 2, 4, false).await;
    let all = list(&app, few).await;
    assert_eq!(
        rosters(&all),
        vec![vec![ids[0]], vec![ids[1]], vec![], vec![]]
    );
    let names: Vec<&str> = all
        .iter()
        .map(|s| s["Name"].as_str().expect("Name"))
        .collect();
    assert_eq!(names, ["Section 1", "Section 2", "Section 3", "Section 4"]);
}

#[actix_web::test]
async fn people_per_section_counts_off_in_id_order() {
    let app = app().await;
    let course = app.create_course("PPS-2").await;
    let ids = learners(&app, course, "pps.l", 5).await;
    let settings = initialize(
        &app,
        course,
        &section_settings(json!(PEOPLE_STYLE), 2, false, false, true),
    )
    .await;
    assert_eq!(settings["EnrollmentStyle"], PEOPLE_STYLE_ANSWERED);
    assert_eq!(settings["EnrollmentQuantity"], 2);
    assert_eq!(settings["DescriptionsVisibleToEnrollees"], true);
    let all = list(&app, course).await;
    assert_eq!(
        rosters(&all),
        vec![vec![ids[0], ids[1]], vec![ids[2], ids[3]], vec![ids[4]]]
    );
    let names: Vec<&str> = all
        .iter()
        .map(|s| s["Name"].as_str().expect("Name"))
        .collect();
    assert_eq!(names, ["Section 1", "Section 2", "Section 3"]);

    // An exact multiple makes no empty section.
    let exact = app.create_course("PPS-EXACT").await;
    for id in &ids[..4] {
        app.enroll(*id, exact, "Student").await;
    }
    initialize_as(&app, exact, 1, 2, false).await;
    assert_eq!(
        rosters(&list(&app, exact).await),
        vec![vec![ids[0], ids[1]], vec![ids[2], ids[3]]]
    );

    // With no learners at all, one empty section.
    let empty = app.create_course("PPS-EMPTY").await;
    initialize_as(&app, empty, 1, 3, false).await;
    let all = list(&app, empty).await;
    assert_eq!(rosters(&all), vec![Vec::<i64>::new()]);
    assert_eq!(all[0]["Name"], "Section 1");
}

#[actix_web::test]
async fn enrollment_style_is_read_as_number_or_name_and_answered_as_number() {
    let app = app().await;
    let cases = [
        (json!(1), PEOPLE_STYLE_ANSWERED),
        (json!(2), NUMBER_STYLE_ANSWERED),
        (json!("2"), NUMBER_STYLE_ANSWERED),
        (
            json!("PeoplePerSectionAutoEnrollment"),
            PEOPLE_STYLE_ANSWERED,
        ),
        (
            json!("NumberOfSectionsAutoEnrollment"),
            NUMBER_STYLE_ANSWERED,
        ),
        (
            json!("numberofsectionsautoenrollment"),
            NUMBER_STYLE_ANSWERED,
        ),
    ];
    for (i, (style, name)) in cases.into_iter().enumerate() {
        let course = app.create_course(&format!("STYLE-{i}")).await;
        let settings = initialize(
            &app,
            course,
            &section_settings(style, 1, true, false, false),
        )
        .await;
        assert_eq!(settings["EnrollmentStyle"], name);
        assert_eq!(settings["AutoEnroll"], true);
        let fetched = json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
        assert_eq!(fetched["EnrollmentStyle"], name);
    }

    let course = app.create_course("STYLE-BAD").await;
    // The placeholder 0 is read (a client round-tripping data hears what is wrong) but is
    // never a style sections can be set up with.
    for placeholder in [json!(0), json!("NumberOfSectionsNoEnrollment")] {
        let detail = problem(
            app.post(
                &sec(&app, course, "/settings"),
                &app.admin,
                &section_settings(placeholder.clone(), 1, false, false, false),
            )
            .await,
            400,
        )
        .await;
        assert!(
            detail.starts_with("EnrollmentStyle") && detail.contains("placeholder"),
            "{placeholder}: {detail}"
        );
    }
    for style in [json!(3), json!("Other"), json!(null), json!(1.5)] {
        let detail = problem(
            app.post(
                &sec(&app, course, "/settings"),
                &app.admin,
                &section_settings(style.clone(), 1, false, false, false),
            )
            .await,
            400,
        )
        .await;
        assert!(detail.contains("EnrollmentStyle"), "{style}: {detail}");
    }
    let detail = problem(
        app.post(
            &sec(&app, course, "/settings"),
            &app.admin,
            &json!({"EnrollmentQuantity": 2}),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("EnrollmentStyle"), "{detail}");
    // None of those initialized anything.
    problem(
        app.get(&sec(&app, course, "/settings"), &app.admin).await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn enrollment_quantity_must_be_at_least_one() {
    let app = app().await;
    let course = app.create_course("QTY").await;
    for style in [json!(1), json!(2)] {
        for quantity in [0, -1, -100] {
            let detail = problem(
                app.post(
                    &sec(&app, course, "/settings"),
                    &app.admin,
                    &section_settings(style.clone(), quantity, false, false, false),
                )
                .await,
                400,
            )
            .await;
            assert!(
                detail.contains("EnrollmentQuantity"),
                "{style} {quantity}: {detail}"
            );
        }
    }
    for quantity in [json!("two"), json!(null), json!(2.5)] {
        let body = json!({"EnrollmentStyle": 2, "EnrollmentQuantity": quantity});
        let detail = problem(
            app.post(&sec(&app, course, "/settings"), &app.admin, &body)
                .await,
            400,
        )
        .await;
        assert!(
            detail.contains("EnrollmentQuantity"),
            "{quantity}: {detail}"
        );
    }
    // Still not initialized.
    problem(
        app.get(&sec(&app, course, "/settings"), &app.admin).await,
        404,
    )
    .await;
    problem(app.get(&sec(&app, course, "/"), &app.admin).await, 404).await;

    // Omitted booleans default to false.
    let settings = initialize(
        &app,
        course,
        &json!({"EnrollmentStyle": 2, "EnrollmentQuantity": 1}),
    )
    .await;
    assert_eq!(settings["AutoEnroll"], false);
    assert_eq!(settings["RandomizeEnrollments"], false);
    assert_eq!(settings["DescriptionsVisibleToEnrollees"], false);
}

#[actix_web::test]
async fn settings_initialize_only_once() {
    let app = app().await;
    let course = app.create_course("ONCE").await;
    let ids = learners(&app, course, "once.l", 3).await;
    let first = initialize_as(&app, course, 2, 2, false).await;
    let before = list(&app, course).await;

    for body in [
        section_settings(json!(2), 2, false, false, false),
        section_settings(json!(1), 1, true, true, true),
    ] {
        let detail = problem(
            app.post(&sec(&app, course, "/settings"), &app.admin, &body)
                .await,
            400,
        )
        .await;
        assert!(detail.contains("already"), "{detail}");
    }
    // Nothing changed: same settings, same sections, same members.
    let fetched = json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
    assert_eq!(fetched, first);
    let after = list(&app, course).await;
    assert_eq!(after, before);
    assert_eq!(rosters(&after), vec![vec![ids[0], ids[2]], vec![ids[1]]]);
}

#[actix_web::test]
async fn randomized_allocation_keeps_every_learner_once_in_even_sections() {
    let app = app().await;
    let numbered = app.create_course("RAND-NUM").await;
    let ids = learners(&app, numbered, "rand.l", 40).await;
    let counted = app.create_course("RAND-PPS").await;
    for id in &ids {
        app.enroll(*id, counted, "Student").await;
    }

    // Number of sections, randomized: 4 sections of exactly 10.
    let settings = initialize(
        &app,
        numbered,
        &section_settings(json!(2), 4, false, true, false),
    )
    .await;
    assert_eq!(settings["RandomizeEnrollments"], true);
    let all = rosters(&list(&app, numbered).await);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|r| r.len() == 10), "{all:?}");
    assert_eq!(sorted(all.concat()), ids, "every learner exactly once");
    let stable: Vec<Vec<i64>> = (0..4)
        .map(|k| ids.iter().skip(k).step_by(4).copied().collect())
        .collect();
    let as_sets = |r: &Vec<Vec<i64>>| -> Vec<Vec<i64>> { r.iter().cloned().map(sorted).collect() };
    assert_ne!(
        as_sets(&all),
        stable,
        "randomized dealing matching the id order is all but impossible"
    );

    // People per section, randomized: 6, 6, 6, 6, 6, 6 and 4.
    let settings = initialize(
        &app,
        counted,
        &section_settings(json!(PEOPLE_STYLE), 6, false, true, false),
    )
    .await;
    assert_eq!(settings["RandomizeEnrollments"], true);
    let all = rosters(&list(&app, counted).await);
    let sizes: Vec<usize> = all.iter().map(Vec::len).collect();
    assert_eq!(sizes, [6, 6, 6, 6, 6, 6, 4]);
    assert_eq!(sorted(all.concat()), ids, "every learner exactly once");
    let stable: Vec<Vec<i64>> = ids.chunks(6).map(<[i64]>::to_vec).collect();
    assert_ne!(
        as_sets(&all),
        stable,
        "randomized counting off matching the id order is all but impossible"
    );
}

// ---------------------------------------------------------------------------------------------
// AutoEnroll
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn auto_enroll_places_a_later_learner_in_the_smallest_section() {
    let app = app().await;
    let course = app.create_course("AUTO-NUM").await;
    let ids = learners(&app, course, "autonum.l", 5).await;
    initialize_as(&app, course, 2, 2, true).await;
    let all = list(&app, course).await;
    let (s1, s2) = (section_id(&all[0]), section_id(&all[1]));
    assert_eq!(
        rosters(&all),
        vec![vec![ids[0], ids[2], ids[4]], vec![ids[1], ids[3]]]
    );

    // f goes to the smaller section 2; then g to the earliest of two equal ones.
    let f = member(&app, course, "autonum.f", "Student").await;
    assert_eq!(roster(&app, course, s2).await, vec![ids[1], ids[3], f]);
    let g = member(&app, course, "autonum.g", "Student").await;
    assert_eq!(
        roster(&app, course, s1).await,
        vec![ids[0], ids[2], ids[4], g]
    );
    // Number style never creates sections.
    assert_eq!(list(&app, course).await.len(), 2);

    // Non-learners are not placed; re-posting a placed learner's enrollment keeps one membership.
    let teacher = member(&app, course, "autonum.teacher", "Instructor").await;
    app.enroll(g, course, "Student").await;
    let all = rosters(&list(&app, course).await);
    assert!(!all.concat().contains(&teacher));
    assert_eq!(all.concat().iter().filter(|u| **u == g).count(), 1);
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), [4, 3]);

    // A user who becomes a learner by a role change is placed too.
    app.enroll(teacher, course, "Student").await;
    assert_eq!(
        roster(&app, course, s2).await,
        vec![ids[1], ids[3], f, teacher]
    );
}

#[actix_web::test]
async fn auto_enroll_fills_the_first_not_full_section_then_creates_one() {
    let app = app().await;
    let course = app.create_course("AUTO-PPS").await;
    let ids = learners(&app, course, "autopps.l", 3).await;
    initialize_as(&app, course, 1, 2, true).await;
    let all = list(&app, course).await;
    assert_eq!(rosters(&all), vec![vec![ids[0], ids[1]], vec![ids[2]]]);
    let (s1, s2) = (section_id(&all[0]), section_id(&all[1]));

    // d fills section 2.
    let d = member(&app, course, "autopps.d", "Student").await;
    assert_eq!(roster(&app, course, s2).await, vec![ids[2], d]);
    // All full: e gets a new "Section 3".
    let e = member(&app, course, "autopps.e", "Student").await;
    let all = list(&app, course).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["Name"], "Section 3");
    assert_eq!(all[2]["Code"], "Section 3");
    assert_eq!(
        rosters(&all),
        vec![vec![ids[0], ids[1]], vec![ids[2], d], vec![e]]
    );

    // When a learner leaves section 1, the next newcomer fills it before section 3.
    app.unenroll(ids[0], course).await;
    let f = member(&app, course, "autopps.f", "Student").await;
    assert_eq!(roster(&app, course, s1).await, vec![ids[1], f]);
    assert_eq!(list(&app, course).await.len(), 3);
}

#[actix_web::test]
async fn auto_enroll_off_leaves_later_learners_alone_until_turned_on() {
    let app = app().await;
    let course = app.create_course("AUTO-OFF").await;
    let ids = learners(&app, course, "autooff.l", 2).await;
    initialize_as(&app, course, 1, 2, false).await;
    let late = member(&app, course, "autooff.late", "Student").await;
    assert_eq!(rosters(&list(&app, course).await), vec![ids.clone()]);

    // Turning AutoEnroll on does not re-deal (late stays unplaced), but places newcomers.
    let updated = json_ok(
        app.put(
            &sec(&app, course, "/settings"),
            &app.admin,
            &update_body("Sections", text(""), true, true, false),
        )
        .await,
    )
    .await;
    assert_eq!(updated["AutoEnroll"], true);
    assert_eq!(rosters(&list(&app, course).await), vec![ids.clone()]);
    let later = member(&app, course, "autooff.later", "Student").await;
    let all = rosters(&list(&app, course).await);
    assert_eq!(all, vec![ids.clone(), vec![later]]);
    assert!(!all.concat().contains(&late));
}

// ---------------------------------------------------------------------------------------------
// PUT /sections/settings
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn put_settings_changes_descriptive_fields_and_never_redeals() {
    let app = app().await;
    let course = app.create_course("PUT-SET").await;
    let ids = learners(&app, course, "putset.l", 5).await;
    initialize_as(&app, course, 2, 2, false).await;
    let before = list(&app, course).await;

    let updated = json_ok(
        app.put(
            &sec(&app, course, "/settings"),
            &app.admin,
            &update_body("Labs", text("Weekly labs"), true, true, true),
        )
        .await,
    )
    .await;
    assert_keys(&updated, SETTINGS_KEYS);
    assert_eq!(
        updated,
        json!({
            "Name": "Labs", "Description": {"Text": "Weekly labs", "Html": "Weekly labs"},
            "EnrollmentStyle": NUMBER_STYLE_ANSWERED, "EnrollmentQuantity": 2, "AutoEnroll": true,
            "RandomizeEnrollments": true, "DescriptionsVisibleToEnrollees": true
        })
    );
    let fetched = json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
    assert_eq!(fetched, updated);
    // Members untouched.
    let after = list(&app, course).await;
    assert_eq!(after, before);
    assert_eq!(
        rosters(&after),
        vec![vec![ids[0], ids[2], ids[4]], vec![ids[1], ids[3]]]
    );

    // Style and quantity in the body are ignored (not part of the Update form).
    let mut body = update_body("Labs 2", text(""), false, false, false);
    body["EnrollmentStyle"] = json!(1);
    body["EnrollmentQuantity"] = json!(9);
    let updated = json_ok(
        app.put(&sec(&app, course, "/settings"), &app.admin, &body)
            .await,
    )
    .await;
    assert_eq!(updated["Name"], "Labs 2");
    assert_eq!(updated["EnrollmentStyle"], NUMBER_STYLE_ANSWERED);
    assert_eq!(updated["EnrollmentQuantity"], 2);
    assert_eq!(updated["AutoEnroll"], false);
    assert_eq!(updated["Description"], json!({"Text": "", "Html": ""}));
    assert_eq!(list(&app, course).await, before);
}

#[actix_web::test]
async fn put_settings_rejects_invalid_input_naming_the_field() {
    let app = app().await;
    let course = app.create_course("PUT-BAD").await;
    initialize_as(&app, course, 2, 1, false).await;
    let url = sec(&app, course, "/settings");
    let cases: Vec<(Value, &str)> = vec![
        (update_body("", text(""), false, false, false), "Name"),
        (update_body("   ", text(""), false, false, false), "Name"),
        (
            update_body(&"n".repeat(257), text(""), false, false, false),
            "Name",
        ),
        (
            update_body("Ok", json!({"Text": "x", "Html": "x"}), false, false, false),
            "Description",
        ),
        (
            update_body(
                "Ok",
                json!({"Content": "x", "Type": "Markdown"}),
                false,
                false,
                false,
            ),
            "Description",
        ),
        (
            json!({"Name": "Ok", "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false}),
            "AutoEnroll",
        ),
        (
            json!({"Name": "Ok", "AutoEnroll": "yes", "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false}),
            "AutoEnroll",
        ),
        (
            json!({"AutoEnroll": false, "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false}),
            "Name",
        ),
    ];
    for (body, field) in cases {
        let detail = problem(app.put(&url, &app.admin, &body).await, 400).await;
        assert!(detail.contains(field), "{body}: {detail}");
    }
    let fetched = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(fetched["Name"], "Sections");
}

// ---------------------------------------------------------------------------------------------
// Sections: create, read, update, delete
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn post_section_creates_one_more_and_get_answers_it() {
    let app = app().await;
    let course = app.create_course("CRUD").await;
    learners(&app, course, "crud.l", 2).await;
    initialize_as(&app, course, 2, 1, false).await;

    let created = create_section(
        &app,
        course,
        &section_body("Evening", "EVE-01", text("Late classes")),
    )
    .await;
    assert_eq!(created["Name"], "Evening");
    assert_eq!(created["Code"], "EVE-01");
    assert_eq!(
        created["Description"],
        json!({"Text": "Late classes", "Html": "Late classes"})
    );
    assert_eq!(created["Enrollments"], json!([]));
    let id = section_id(&created);

    let one = json_ok(
        app.get(&sec(&app, course, &format!("/{id}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(one, created);
    let all = list(&app, course).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], created);
    assert_eq!(roster(&app, course, id).await, Vec::<i64>::new());

    // Description may be left out.
    let bare = create_section(&app, course, &json!({"Name": "Bare", "Code": "BARE"})).await;
    assert_eq!(bare["Description"], json!({"Text": "", "Html": ""}));
    // The settings are unchanged by new sections.
    let settings = json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
    assert_eq!(settings["EnrollmentQuantity"], 1);
}

#[actix_web::test]
async fn put_section_updates_name_code_description_and_keeps_members() {
    let app = app().await;
    let course = app.create_course("UPD").await;
    let ids = learners(&app, course, "upd.l", 2).await;
    let s = one_section(&app, course).await;
    let url = sec(&app, course, &format!("/{s}"));

    let updated = json_ok(
        app.put(
            &url,
            &app.admin,
            &section_body("Morning", "AM-1", text("Early")),
        )
        .await,
    )
    .await;
    assert_section_fetch(&updated);
    assert_eq!(
        updated,
        json!({
            "SectionId": s, "Name": "Morning", "Code": "AM-1",
            "Description": {"Text": "Early", "Html": "Early"}, "Enrollments": ids
        })
    );
    assert_eq!(json_ok(app.get(&url, &app.admin).await).await, updated);

    // Its own code again, in another case, is fine.
    let updated = json_ok(
        app.put(&url, &app.admin, &section_body("Morning", "am-1", text("")))
            .await,
    )
    .await;
    assert_eq!(updated["Code"], "am-1");
    assert_eq!(updated["Description"], json!({"Text": "", "Html": ""}));
    assert_eq!(updated["Enrollments"], json!(ids));

    // Unknown section: 404.
    problem(
        app.put(
            &sec(&app, course, "/999999"),
            &app.admin,
            &section_body("X", "X", text("")),
        )
        .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn delete_section_removes_it_and_its_memberships() {
    let app = app().await;
    let course = app.create_course("DEL").await;
    let ids = learners(&app, course, "del.l", 4).await;
    initialize(
        &app,
        course,
        &section_settings(json!(2), 2, false, false, true),
    )
    .await;
    let all = list(&app, course).await;
    let (s1, s2) = (section_id(&all[0]), section_id(&all[1]));
    assert_eq!(member_rows(&app, s1), 2);

    let res = app
        .delete(&sec(&app, course, &format!("/{s1}")), &app.admin)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(member_rows(&app, s1), 0, "memberships go with the section");
    problem(
        app.get(&sec(&app, course, &format!("/{s1}")), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.get(
            &sec(&app, course, &format!("/{s1}/enrollments/")),
            &app.admin,
        )
        .await,
        404,
    )
    .await;
    problem(add_to_section(&app, course, s1, ids[0]).await, 404).await;
    problem(
        app.delete(&sec(&app, course, &format!("/{s1}")), &app.admin)
            .await,
        404,
    )
    .await;
    let left = list(&app, course).await;
    assert_eq!(left.len(), 1);
    assert_eq!(section_id(&left[0]), s2);
    assert_eq!(rosters(&left), vec![vec![ids[1], ids[3]]]);

    // Its former member has no sections left.
    let token = app.token_for("del.l00", OWN);
    let mine = json_ok(app.get(&sec(&app, course, "/mysections/"), &token).await).await;
    assert_eq!(mine, json!([]));

    // The code of the deleted section is free again.
    create_section(&app, course, &section_body("Again", "Section 1", text(""))).await;

    // Deleting the last section leaves the course initialized with no sections.
    ok_empty(
        app.delete(&sec(&app, course, &format!("/{s2}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(member_rows(&app, s2), 0);
    assert_eq!(list(&app, course).await.len(), 1);
    json_ok(app.get(&sec(&app, course, "/settings"), &app.admin).await).await;
}

#[actix_web::test]
async fn section_codes_and_names_follow_the_rules() {
    let app = app().await;
    let course = app.create_course("CODES").await;
    let first = one_section(&app, course).await;
    let post_url = sec(&app, course, "/");
    let put_url = sec(&app, course, &format!("/{first}"));

    let mut bad: Vec<(Value, &str)> = vec![
        (section_body("Long", &"c".repeat(51), text("")), "Code"),
        (section_body("Empty", "", text("")), "Code"),
        (section_body("Blank", "   ", text("")), "Code"),
        (section_body("", "NONAME", text("")), "Name"),
        (section_body("  ", "NONAME", text("")), "Name"),
        (json!({"Code": "NONAME"}), "Name"),
        (json!({"Name": "No code"}), "Code"),
        (
            section_body("Shape", "SHAPE", json!({"Text": "t", "Html": "t"})),
            "Description",
        ),
    ];
    for c in [
        '\\', ':', '*', '?', '"', '<', '>', '|', '\'', '#', ',', '%', '&', '\u{201c}', '\u{201d}',
        '\u{2018}', '\u{2019}',
    ] {
        bad.push((section_body("Bad", &format!("AB{c}CD"), text("")), "Code"));
    }
    // Unique in the course, regardless of case: the first section is coded "Section 1".
    bad.push((section_body("Dup", "section 1", text("")), "Code"));
    bad.push((section_body("Dup", "SECTION 1", text("")), "Code"));

    for (body, field) in &bad {
        let detail = problem(app.post(&post_url, &app.admin, body).await, 400).await;
        assert!(detail.contains(field), "POST {body}: {detail}");
    }
    assert_eq!(
        list(&app, course).await.len(),
        1,
        "no bad section was created"
    );

    // 50 characters is the limit; the same rules apply on PUT.
    let fifty = "c".repeat(50);
    let ok = create_section(&app, course, &section_body("Fifty", &fifty, text(""))).await;
    assert_eq!(ok["Code"], fifty.as_str());
    let mut put_bad = bad.clone();
    put_bad.retain(|(b, _)| b["Code"] != "section 1" && b["Code"] != "SECTION 1");
    put_bad.push((section_body("Dup", &fifty.to_uppercase(), text("")), "Code"));
    for (body, field) in &put_bad {
        let detail = problem(app.put(&put_url, &app.admin, body).await, 400).await;
        assert!(detail.contains(field), "PUT {body}: {detail}");
    }
    let unchanged = json_ok(app.get(&put_url, &app.admin).await).await;
    assert_eq!(unchanged["Code"], "Section 1");
    assert_eq!(unchanged["Name"], "Section 1");

    // Codes are per course: another course may reuse one.
    let other = app.create_course("CODES-2").await;
    initialize_as(&app, other, 2, 1, false).await;
    create_section(&app, other, &section_body("Fifty", &fifty, text(""))).await;
}

#[actix_web::test]
async fn rich_text_html_is_sanitized_and_plain_text_is_escaped() {
    let app = app().await;
    let course = app.create_course("RICH").await;
    let student = member(&app, course, "rich.student", "Student").await;
    initialize(
        &app,
        course,
        &section_settings(json!(2), 1, false, false, true),
    )
    .await;
    let dirty = r#"<p onclick="x()">Hi <b>there</b></p><script>alert(1)</script><img src=x onerror=alert(2)>"#;

    let check_html = |d: &Value| {
        assert_keys(d, RICH_TEXT_KEYS);
        let h = d["Html"].as_str().expect("Html");
        assert!(!h.to_lowercase().contains("<script"), "{h}");
        assert!(!h.contains("alert"), "{h}");
        assert!(!h.contains("onclick") && !h.contains("onerror"), "{h}");
        assert!(h.contains("<b>there</b>"), "{h}");
        assert_eq!(d["Text"], "Hi there", "{d}");
    };
    let check_text = |d: &Value| {
        assert_eq!(
            d,
            &json!({"Text": r#"a < b & "c" 'd'"#, "Html": "a &lt; b &amp; &quot;c&quot; &#39;d&#39;"})
        );
    };

    // POST /sections/
    let created = create_section(&app, course, &section_body("H", "H", html(dirty))).await;
    check_html(&created["Description"]);
    let s = section_id(&created);
    let upper = create_section(
        &app,
        course,
        &section_body(
            "U",
            "U",
            json!({"Content": "<i>x</i><script>y</script>", "Type": "HTML"}),
        ),
    )
    .await;
    assert_eq!(
        upper["Description"],
        json!({"Text": "x", "Html": "<i>x</i>"})
    );
    let plain = create_section(
        &app,
        course,
        &section_body("T", "T", text(r#"a < b & "c" 'd'"#)),
    )
    .await;
    check_text(&plain["Description"]);
    // Stored that way: GET answers the same.
    let got = json_ok(
        app.get(&sec(&app, course, &format!("/{s}")), &app.admin)
            .await,
    )
    .await;
    check_html(&got["Description"]);

    // PUT /sections/(id)
    let updated = json_ok(
        app.put(
            &sec(&app, course, &format!("/{}", section_id(&plain))),
            &app.admin,
            &section_body("T", "T", html(dirty)),
        )
        .await,
    )
    .await;
    check_html(&updated["Description"]);
    let updated = json_ok(
        app.put(
            &sec(&app, course, &format!("/{s}")),
            &app.admin,
            &section_body("H", "H", text(r#"a < b & "c" 'd'"#)),
        )
        .await,
    )
    .await;
    check_text(&updated["Description"]);

    // PUT /sections/settings
    let settings = json_ok(
        app.put(
            &sec(&app, course, "/settings"),
            &app.admin,
            &update_body("S", html(dirty), false, false, true),
        )
        .await,
    )
    .await;
    check_html(&settings["Description"]);
    let settings = json_ok(
        app.put(
            &sec(&app, course, "/settings"),
            &app.admin,
            &update_body("S", text(r#"a < b & "c" 'd'"#), false, false, true),
        )
        .await,
    )
    .await;
    check_text(&settings["Description"]);

    // mysections shows the stored description too.
    ok_empty(add_to_section(&app, course, s, student).await).await;
    let token = app.token_for("rich.student", OWN);
    let mine = json_ok(app.get(&sec(&app, course, "/mysections/"), &token).await).await;
    let entry = mine
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["SectionId"] == s)
        .expect("own section listed")
        .clone();
    check_text(&entry["Description"]);
}

// ---------------------------------------------------------------------------------------------
// Section members
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn section_enrollment_takes_course_members_only_and_twice_is_harmless() {
    let app = app().await;
    let course = app.create_course("SENR").await;
    let s = one_section(&app, course).await;
    // Enrolled after initialization with AutoEnroll off: in no section.
    let learner = member(&app, course, "senr.learner", "Student").await;
    let ta = member(&app, course, "senr.ta", "Teaching Assistant").await;
    let outsider = app.create_user("senr.outsider", "Student").await;
    assert_eq!(roster(&app, course, s).await, Vec::<i64>::new());

    let res = add_to_section(&app, course, s, learner).await;
    assert_eq!(res.status(), 200);
    ok_empty(add_to_section(&app, course, s, learner).await).await;
    assert_eq!(roster(&app, course, s).await, vec![learner]);
    assert_eq!(
        member_rows(&app, s),
        1,
        "posting twice makes one membership"
    );

    // Any enrolled user can be put in a section, whatever their role.
    ok_empty(add_to_section(&app, course, s, ta).await).await;
    assert_eq!(roster(&app, course, s).await, vec![learner, ta]);

    // A user not enrolled in the course, or no such user: 404.
    for user in [outsider, 999_999] {
        let detail = problem(add_to_section(&app, course, s, user).await, 404).await;
        assert!(detail.contains(&user.to_string()), "{detail}");
    }
    // No such section: 404.
    problem(add_to_section(&app, course, 999_999, learner).await, 404).await;
    // A malformed block: 400 naming the field.
    for body in [json!({"UserId": "x"}), json!({"UserId": -1.5})] {
        let detail = problem(
            app.post(
                &sec(&app, course, &format!("/{s}/enrollments/")),
                &app.admin,
                &body,
            )
            .await,
            400,
        )
        .await;
        assert!(detail.contains("UserId"), "{body}: {detail}");
    }
    assert_eq!(roster(&app, course, s).await, vec![learner, ta]);
    // The fetch form lists the same members.
    let one = json_ok(
        app.get(&sec(&app, course, &format!("/{s}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(one["Enrollments"], json!([learner, ta]));
}

#[actix_web::test]
async fn section_enrollment_without_a_user_id_is_404_as_the_reference_says() {
    let app = app().await;
    let course = app.create_course("SENR-NOPARAM").await;
    let s = one_section(&app, course).await;
    let url = sec(&app, course, &format!("/{s}/enrollments/"));
    problem(app.post(&url, &app.admin, &json!({})).await, 404).await;
    problem(
        app.send(Method::POST, &url, Some(&app.admin), None).await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn sections_of_another_course_are_not_found_under_this_one() {
    let app = app().await;
    let a = app.create_course("OWN-A").await;
    let b = app.create_course("OWN-B").await;
    let learner = member(&app, a, "own.learner", "Student").await;
    app.enroll(learner, b, "Student").await;
    initialize_as(&app, a, 2, 1, false).await;
    initialize_as(&app, b, 2, 1, false).await;
    let sa = section_id(&list(&app, a).await[0]);

    for (method, url, body) in every_route(&app, b, sa) {
        if !url.contains(&format!("/{sa}")) {
            continue;
        }
        let body = body.map(|mut b| {
            if b.get("UserId").is_some() {
                b["UserId"] = json!(learner);
            }
            b
        });
        problem(
            app.send(method.clone(), &url, Some(&app.admin), body.as_ref())
                .await,
            404,
        )
        .await;
    }
    // The course id itself is no section of the course.
    problem(
        app.get(&sec(&app, a, &format!("/{a}")), &app.admin).await,
        404,
    )
    .await;
    // Section a still intact.
    assert_eq!(rosters(&list(&app, a).await), vec![vec![learner]]);
}

// ---------------------------------------------------------------------------------------------
// mysections
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn mysections_answers_the_enrolled_form_and_hides_descriptions_when_asked() {
    let app = app().await;
    let course = app.create_course("MINE").await;
    let ids = learners(&app, course, "mine.l", 4).await;
    let teacher = member(&app, course, "mine.teacher", "Instructor").await;
    app.create_user("mine.outsider", "Student").await;
    initialize_as(&app, course, 2, 2, false).await;
    let all = list(&app, course).await;
    let (s1, s2) = (section_id(&all[0]), section_id(&all[1]));
    json_ok(
        app.put(
            &sec(&app, course, &format!("/{s1}")),
            &app.admin,
            &section_body("Alpha", "ALPHA", text("First")),
        )
        .await,
    )
    .await;
    let extra = create_section(
        &app,
        course,
        &section_body("Extra", "EXTRA", html("<b>X</b>")),
    )
    .await;
    ok_empty(add_to_section(&app, course, section_id(&extra), ids[0]).await).await;

    let token0 = app.token_for("mine.l00", OWN);
    let token1 = app.token_for("mine.l01", OWN);
    let url = sec(&app, course, "/mysections/");

    // Hidden descriptions: null.
    let mine = json_ok(app.get(&url, &token0).await).await;
    let mine = mine.as_array().expect("array").clone();
    assert_eq!(mine.len(), 2);
    for m in &mine {
        assert_keys(m, ENROLLED_KEYS);
        assert!(m["Description"].is_null(), "{m}");
    }
    assert_eq!(
        mine[0],
        json!({"SectionId": s1, "Name": "Alpha", "Code": "ALPHA", "Description": null})
    );
    assert_eq!(
        mine[1],
        json!({"SectionId": section_id(&extra), "Name": "Extra", "Code": "EXTRA", "Description": null})
    );
    let other = json_ok(app.get(&url, &token1).await).await;
    assert_eq!(
        other,
        json!([{"SectionId": s2, "Name": "Section 2", "Code": "Section 2", "Description": null}])
    );

    // Visible descriptions: RichText.
    json_ok(
        app.put(
            &sec(&app, course, "/settings"),
            &app.admin,
            &update_body("Sections", text(""), false, false, true),
        )
        .await,
    )
    .await;
    let mine = json_ok(app.get(&url, &token0).await).await;
    assert_eq!(
        mine,
        json!([
            {"SectionId": s1, "Name": "Alpha", "Code": "ALPHA",
             "Description": {"Text": "First", "Html": "First"}},
            {"SectionId": section_id(&extra), "Name": "Extra", "Code": "EXTRA",
             "Description": {"Text": "X", "Html": "<b>X</b>"}}
        ])
    );
    let other = json_ok(app.get(&url, &token1).await).await;
    assert_eq!(
        other[0]["Description"],
        json!({"Text": "", "Html": ""}),
        "{other}"
    );

    // Enrolled but in no section: an empty list. Not enrolled: 403.
    let teacher_token = app.token_for("mine.teacher", OWN);
    assert_eq!(
        json_ok(app.get(&url, &teacher_token).await).await,
        json!([])
    );
    assert!(teacher > 0);
    let outsider = app.token_for("mine.outsider", OWN);
    let detail = problem(app.get(&url, &outsider).await, 403).await;
    assert!(detail.contains("not enrolled"), "{detail}");
    // The admin manages everything but is not enrolled in the course: 403 too.
    problem(app.get(&url, &app.admin).await, 403).await;
}

#[actix_web::test]
async fn removing_a_course_enrollment_removes_section_memberships() {
    let app = app().await;
    let course = app.create_course("UNENROLL").await;
    let ids = learners(&app, course, "unenr.l", 4).await;
    initialize_as(&app, course, 2, 2, false).await;
    let all = list(&app, course).await;
    let (s1, s2) = (section_id(&all[0]), section_id(&all[1]));
    // ids[0] is also put in section 2 by hand.
    ok_empty(add_to_section(&app, course, s2, ids[0]).await).await;
    // Memberships in another course's sections stay.
    let other = app.create_course("UNENROLL-2").await;
    app.enroll(ids[0], other, "Student").await;
    let other_s = one_section(&app, other).await;

    app.unenroll(ids[0], course).await;
    assert_eq!(roster(&app, course, s1).await, vec![ids[2]]);
    assert_eq!(roster(&app, course, s2).await, vec![ids[1], ids[3]]);
    assert_eq!(roster(&app, other, other_s).await, vec![ids[0]]);

    // The mirror route does the same.
    json_ok(
        app.delete(
            &app.lp(&format!("/enrollments/orgUnits/{course}/users/{}", ids[3])),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(roster(&app, course, s2).await, vec![ids[1]]);
    // No longer enrolled: cannot be put back in a section, and mysections is 403.
    problem(add_to_section(&app, course, s1, ids[3]).await, 404).await;
    let token = app.token_for("unenr.l03", OWN);
    problem(
        app.get(&sec(&app, course, "/mysections/"), &token).await,
        403,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Permissions, scopes, org units, authentication, rate limits, versions
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn instructors_and_administrators_manage_sections() {
    let app = app().await;
    for (i, (name, role)) in [
        ("perm.instructor", "Instructor"),
        ("perm.admin", "Administrator"),
    ]
    .into_iter()
    .enumerate()
    {
        let course = app.create_course(&format!("MANAGE-{i}")).await;
        if role == "Instructor" {
            member(&app, course, name, role).await;
        } else {
            // The Administrator role cascades from the root enrollment.
            app.create_user(name, role).await;
        }
        let learner = member(&app, course, &format!("perm.learner{i}"), "Student").await;
        let token = app.token_for(name, "sections:*:*");

        let settings = json_ok(
            app.post(
                &sec(&app, course, "/settings"),
                &token,
                &section_settings(json!(2), 1, false, false, false),
            )
            .await,
        )
        .await;
        assert_eq!(settings["EnrollmentStyle"], NUMBER_STYLE_ANSWERED, "{role}");
        json_ok(app.get(&sec(&app, course, "/settings"), &token).await).await;
        json_ok(
            app.put(
                &sec(&app, course, "/settings"),
                &token,
                &update_body("Mine", text(""), true, false, true),
            )
            .await,
        )
        .await;
        let created = json_ok(
            app.post(
                &sec(&app, course, "/"),
                &token,
                &section_body("New", "NEW", text("")),
            )
            .await,
        )
        .await;
        let s = section_id(&created);
        json_ok(app.get(&sec(&app, course, "/"), &token).await).await;
        json_ok(app.get(&sec(&app, course, &format!("/{s}")), &token).await).await;
        json_ok(
            app.put(
                &sec(&app, course, &format!("/{s}")),
                &token,
                &section_body("Renamed", "NEW2", text("")),
            )
            .await,
        )
        .await;
        let res = app
            .post(
                &sec(&app, course, &format!("/{s}/enrollments/")),
                &token,
                &json!({"UserId": learner}),
            )
            .await;
        assert_eq!(res.status(), 200, "{role}");
        let members = json_ok(
            app.get(&sec(&app, course, &format!("/{s}/enrollments/")), &token)
                .await,
        )
        .await;
        assert_eq!(members, json!([learner]), "{role}");
        let res = app
            .delete(&sec(&app, course, &format!("/{s}")), &token)
            .await;
        assert_eq!(res.status(), 200, "{role}");
    }
}

#[actix_web::test]
async fn teaching_assistants_read_and_students_only_see_their_own() {
    let app = app().await;
    let course = app.create_course("ROLES").await;
    let fresh = app.create_course("ROLES-FRESH").await;
    let learner = member(&app, course, "roles.learner", "Student").await;
    let ta = member(&app, course, "roles.ta", "Teaching Assistant").await;
    app.enroll(ta, fresh, "Teaching Assistant").await;
    app.enroll(learner, fresh, "Student").await;
    initialize(
        &app,
        course,
        &section_settings(json!(2), 1, false, false, true),
    )
    .await;
    let s = section_id(&list(&app, course).await[0]);

    let ta_token = app.token_for("roles.ta", "*:*:*");
    let student_token = app.token_for("roles.learner", "*:*:*");

    // The TA reads every GET route.
    for path in [
        "/settings".to_string(),
        "/".to_string(),
        format!("/{s}"),
        format!("/{s}/enrollments/"),
    ] {
        json_ok(app.get(&sec(&app, course, &path), &ta_token).await).await;
    }
    assert_eq!(
        json_ok(app.get(&sec(&app, course, "/mysections/"), &ta_token).await).await,
        json!([])
    );
    // The learner sees their own sections only.
    let mine = json_ok(
        app.get(&sec(&app, course, "/mysections/"), &student_token)
            .await,
    )
    .await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["SectionId"], s);

    for (method, url, body) in every_route(&app, course, s) {
        if url.ends_with("/mysections/") {
            continue;
        }
        let body = body.map(|mut b| {
            if b.get("UserId").is_some() {
                b["UserId"] = json!(learner);
            }
            b
        });
        let is_read = method == Method::GET;
        let res = app
            .send(method.clone(), &url, Some(&ta_token), body.as_ref())
            .await;
        if is_read {
            json_ok(res).await;
        } else {
            let detail = problem(res, 403).await;
            assert!(detail.contains("permission"), "TA {method} {url}: {detail}");
        }
        let res = app
            .send(method.clone(), &url, Some(&student_token), body.as_ref())
            .await;
        let detail = problem(res, 403).await;
        assert!(
            detail.contains("permission"),
            "Student {method} {url}: {detail}"
        );
    }
    // Neither can initialize an uninitialized course either.
    for token in [&ta_token, &student_token] {
        problem(
            app.post(
                &sec(&app, fresh, "/settings"),
                token,
                &section_settings(json!(2), 1, false, false, false),
            )
            .await,
            403,
        )
        .await;
    }
    // Nothing changed.
    assert_eq!(rosters(&list(&app, course).await), vec![vec![learner]]);
    problem(
        app.get(&sec(&app, fresh, "/settings"), &app.admin).await,
        404,
    )
    .await;

    // An Instructor of another course has no say here.
    let elsewhere = app.create_course("ROLES-ELSEWHERE").await;
    member(&app, elsewhere, "roles.other.teacher", "Instructor").await;
    let token = app.token_for("roles.other.teacher", "*:*:*");
    problem(app.get(&sec(&app, course, "/"), &token).await, 403).await;
    problem(
        app.get(&sec(&app, course, "/mysections/"), &token).await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn each_route_requires_exactly_its_reference_scope() {
    let app = app().await;
    let course = app.create_course("SCOPES").await;
    let fresh = app.create_course("SCOPES-FRESH").await;
    // The admin is enrolled in the course too, so mysections answers.
    let admin_id: i64 = json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await
        ["Identifier"]
        .as_str()
        .expect("Identifier")
        .parse()
        .expect("numeric id");
    let learner = member(&app, course, "scopes.learner", "Student").await;
    app.enroll(admin_id, course, "Instructor").await;
    initialize_as(&app, course, 2, 1, false).await;
    let spare = create_section(&app, course, &section_body("Spare", "SPARE", text(""))).await;
    let s = section_id(&list(&app, course).await[0]);

    let mut routes = every_route(&app, course, s);
    // Initialize the fresh course; delete the spare section.
    routes[1].1 = sec(&app, fresh, "/settings");
    routes[8].1 = sec(&app, course, &format!("/{}", section_id(&spare)));
    routes[9].2 = Some(json!({"UserId": learner}));
    let scopes = [
        READ, CREATE, UPDATE, OWN, READ, CREATE, READ, UPDATE, DELETE, ENROLL, READ,
    ];
    assert_eq!(routes.len(), scopes.len());

    for ((method, url, body), scope) in routes.iter().zip(scopes) {
        // Every other sections scope together is not enough.
        let others: Vec<&str> = ALL_SECTION_SCOPES
            .iter()
            .copied()
            .filter(|s| *s != scope)
            .collect();
        let wrong = app.token_for("admin", &others.join(" "));
        let detail = problem(
            app.send(method.clone(), url, Some(&wrong), body.as_ref())
                .await,
            403,
        )
        .await;
        assert!(
            detail.contains("Insufficient scope to call"),
            "{method} {url}: {detail}"
        );
        assert!(detail.contains(scope), "{method} {url}: {detail}");
    }
    // The route's own scope alone is enough (run after the 403s: they changed nothing).
    for ((method, url, body), scope) in routes.iter().zip(scopes) {
        let right = app.token_for("admin", scope);
        let res = app
            .send(method.clone(), url, Some(&right), body.as_ref())
            .await;
        assert_eq!(status_of(res).await, 200, "{method} {url} with {scope}");
    }
    // The brief's example: read-only can list but not create.
    let read_only = app.token_for("admin", READ);
    json_ok(app.get(&sec(&app, course, "/"), &read_only).await).await;
    let detail = problem(
        app.post(
            &sec(&app, course, "/"),
            &read_only,
            &section_body("No", "NO", text("")),
        )
        .await,
        403,
    )
    .await;
    assert!(detail.contains("Insufficient scope to call"), "{detail}");
    // Wildcards and action lists.
    for scope in ["sections:*:*", "*:*:read", "sections:section:read,create"] {
        let token = app.token_for("admin", scope);
        json_ok(app.get(&sec(&app, course, "/"), &token).await).await;
    }
    // Scopes of other groups do not reach sections.
    let token = app.token_for("admin", "groups:*:* enrollment:orgunit:read");
    problem(app.get(&sec(&app, course, "/"), &token).await, 403).await;
}

#[actix_web::test]
async fn foreign_non_course_and_unknown_org_units_are_404() {
    let app = app().await;
    let course = app.create_course("FOREIGN").await;
    member(&app, course, "foreign.learner", "Student").await;
    let s = one_section(&app, course).await;

    let key = d2l_groups::auth::tokens::generate_key_row(0).expect("signing key");
    app.state
        .db
        .write_sync(|conn| {
            d2l_groups::bootstrap::create_institution(
                conn,
                "UOC",
                "Other University",
                None,
                "Student",
                key.clone(),
            )
        })
        .expect("create institution");
    let other = mint_in(&app.state, "UOC", "admin", "*:*:*", 3600);

    for (method, url, body) in every_route(&app, course, s) {
        problem(
            app.send(method.clone(), &url, Some(&other), body.as_ref())
                .await,
            404,
        )
        .await;
    }
    // The root org unit is no course: 404 on every route, POST /settings included.
    for (method, url, body) in every_route(&app, ROOT, s) {
        let detail = problem(
            app.send(method.clone(), &url, Some(&app.admin), body.as_ref())
                .await,
            404,
        )
        .await;
        assert!(
            detail.contains(&ROOT.to_string()),
            "{method} {url}: {detail}"
        );
    }
    // A section is no course either.
    problem(
        app.post(
            &sec(&app, s, "/settings"),
            &app.admin,
            &section_settings(json!(2), 1, false, false, false),
        )
        .await,
        404,
    )
    .await;
    // An unknown org unit.
    for (method, url, body) in every_route(&app, 987_654, s) {
        problem(
            app.send(method.clone(), &url, Some(&app.admin), body.as_ref())
                .await,
            404,
        )
        .await;
    }
    // Nothing of the default institution's course changed.
    assert_eq!(list(&app, course).await.len(), 1);
}

/// An org unit that is not a course offering is 404 whatever the caller's role there: the
/// course is looked up before the permission is checked, so an instructor who holds nothing at
/// the root learns nothing from a 403 (docs/compatibility.md).
#[actix_web::test]
async fn a_non_course_org_unit_is_404_even_without_the_permission_there() {
    let app = app().await;
    let course = app.create_course("NOPERM").await;
    let s = one_section(&app, course).await;
    let instructor = app.create_user("noperm.instructor", "Instructor").await;
    app.enroll(instructor, course, "Instructor").await;
    let token = app.token_for("noperm.instructor", "*:*:*");
    // The instructor's role holds the permissions in the course, so each route answers there.
    assert_eq!(list(&app, course).await.len(), 1);
    for (method, url, body) in every_route(&app, ROOT, s) {
        problem(
            app.send(method.clone(), &url, Some(&token), body.as_ref())
                .await,
            404,
        )
        .await;
    }
    let res = app.get(&app.lp(&format!("/courses/{ROOT}")), &token).await;
    problem(res, 404).await;
}

#[actix_web::test]
async fn calls_without_a_valid_token_are_401() {
    let app = app().await;
    let course = app.create_course("ANON").await;
    let s = one_section(&app, course).await;
    for (method, url, body) in every_route(&app, course, s) {
        problem(
            app.send(method.clone(), &url, None, body.as_ref()).await,
            401,
        )
        .await;
        problem(
            app.send(method.clone(), &url, Some("not-a-jwt"), body.as_ref())
                .await,
            401,
        )
        .await;
    }
    let expired = mint(&app.state, "admin", "*:*:*", -120);
    problem(app.get(&sec(&app, course, "/"), &expired).await, 401).await;
    assert_eq!(list(&app, course).await.len(), 1);
}

#[actix_web::test]
async fn section_routes_are_rate_limited() {
    // Three calls' worth of credits.
    let app = spawn_app_with_rate_limit(30, 10).await;
    let course = app.create_course("RATE").await;
    let res = app
        .post(
            &sec(&app, course, "/settings"),
            &app.admin,
            &section_settings(json!(2), 1, false, false, false),
        )
        .await;
    assert_eq!(
        res.headers()
            .get("x-request-cost")
            .and_then(|v| v.to_str().ok()),
        Some("10")
    );
    json_ok(res).await;
    let res = app.get(&sec(&app, course, "/"), &app.admin).await;
    assert!(res.headers().get("x-rate-limit-remaining").is_some());
    json_ok(res).await;
    let res = app.get(&sec(&app, course, "/"), &app.admin).await;
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("429 carries Retry-After");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let detail = problem(res, 429).await;
    assert!(detail.to_lowercase().contains("rate"), "{detail}");
    problem(
        app.post(
            &sec(&app, course, "/"),
            &app.admin,
            &section_body("X", "X", text("")),
        )
        .await,
        429,
    )
    .await;
}

#[actix_web::test]
async fn legacy_put_sections_is_404_on_every_version() {
    let app = app().await;
    let course = app.create_course("LEGACY").await;
    let ids = learners(&app, course, "legacy.l", 2).await;
    let body = section_settings(json!(2), 2, false, false, false);
    let versions = [
        "1.0", "1.10", "1.38", "1.39", "1.42", "1.43", "1.45", "1.46", "1.47", "1.63", "1.64",
        "unstable",
    ];
    for v in versions {
        for path in [
            format!("/{course}/sections/"),
            format!("/{course}/sections"),
        ] {
            let url = app.url(&format!("/d2l/api/lp/{v}{path}"));
            problem(app.put(&url, &app.admin, &body).await, 404).await;
        }
    }
    // It initialized nothing.
    problem(
        app.get(&sec(&app, course, "/settings"), &app.admin).await,
        404,
    )
    .await;
    initialize(&app, course, &body).await;
    for v in versions {
        let url = app.url(&format!("/d2l/api/lp/{v}/{course}/sections/"));
        problem(app.put(&url, &app.admin, &body).await, 404).await;
    }
    assert_eq!(
        rosters(&list(&app, course).await),
        vec![vec![ids[0]], vec![ids[1]]]
    );
}

#[actix_web::test]
async fn section_routes_follow_version_and_trailing_slash_rules() {
    let app = app().await;
    let course = app.create_course("VERS").await;
    let s = one_section(&app, course).await;
    // Supported, deprecated and obsolete versions answer; unknown ones are 404.
    for v in ["1.43", "1.46", "1.47", "1.63", "1.42"] {
        let res = app
            .get(
                &app.url(&format!("/d2l/api/lp/{v}/{course}/sections/")),
                &app.admin,
            )
            .await;
        let deprecated = res.headers().get("deprecation").is_some();
        assert_eq!(deprecated, v == "1.43" || v == "1.42", "{v}");
        assert_eq!(json_ok(res).await.as_array().map(Vec::len), Some(1), "{v}");
    }
    for v in ["1.64", "2.0"] {
        problem(
            app.get(
                &app.url(&format!("/d2l/api/lp/{v}/{course}/sections/")),
                &app.admin,
            )
            .await,
            404,
        )
        .await;
    }
    // Trailing slashes are optional.
    for path in [
        "".to_string(),
        "/settings/".to_string(),
        format!("/{s}/"),
        format!("/{s}/enrollments"),
    ] {
        json_ok(app.get(&sec(&app, course, &path), &app.admin).await).await;
    }
}

// Concurrency. SQLite has one writer, so these hold there by construction; on PostgreSQL the
// check-then-insert handlers race (see the ignore reasons). Each runs several rounds, as one
// round may happen to serialize.

const ROUNDS: usize = 5;
const CONCURRENT: usize = 8;

async fn statuses_of<F>(calls: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Response>,
{
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|res| res.status().as_u16())
        .collect()
}

/// Asserts that one racing call of a round won (200) and the others were refused (400).
fn assert_one_200_and_400s(statuses: &[u16], round: usize) {
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "round {round}: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "round {round}: {statuses:?}"
    );
}

#[actix_web::test]
async fn concurrent_initializations_answer_one_200_and_400s() {
    let app = app().await;
    let first = app.create_course("RACE-INIT-0").await;
    let ids = learners(&app, first, "race.l", 4).await;
    let mut courses = vec![first];
    for round in 1..ROUNDS {
        let course = app.create_course(&format!("RACE-INIT-{round}")).await;
        for id in &ids {
            app.enroll(*id, course, "Student").await;
        }
        courses.push(course);
    }
    for (round, course) in courses.into_iter().enumerate() {
        let body = section_settings(json!(2), 2, false, false, false);
        let url = sec(&app, course, "/settings");
        let statuses =
            statuses_of((0..CONCURRENT).map(|_| app.post(&url, &app.admin, &body))).await;
        assert_one_200_and_400s(&statuses, round);
        assert_eq!(
            rosters(&list(&app, course).await),
            vec![vec![ids[0], ids[2]], vec![ids[1], ids[3]]],
            "round {round}"
        );
    }
}

#[actix_web::test]
async fn concurrent_posts_of_one_code_create_one_section() {
    let app = app().await;
    let course = app.create_course("RACE-CODE").await;
    initialize_as(&app, course, 2, 1, false).await;
    for round in 0..ROUNDS {
        let code = format!("SAME-{round}");
        let body = section_body("Same", &code, text(""));
        let url = sec(&app, course, "/");
        let statuses =
            statuses_of((0..CONCURRENT).map(|_| app.post(&url, &app.admin, &body))).await;
        assert_one_200_and_400s(&statuses, round);
        let with_code = list(&app, course)
            .await
            .iter()
            .filter(|s| s["Code"] == code.as_str())
            .count();
        assert_eq!(with_code, 1, "round {round}");
    }
}

#[actix_web::test]
async fn concurrent_section_enrollments_of_one_user_are_all_harmless() {
    let app = app().await;
    let course = app.create_course("RACE-MEMBER").await;
    let s = one_section(&app, course).await;
    for round in 0..ROUNDS {
        let learner = member(&app, course, &format!("race.member{round}"), "Student").await;
        let statuses =
            statuses_of((0..CONCURRENT).map(|_| add_to_section(&app, course, s, learner))).await;
        assert!(
            statuses.iter().all(|s| *s == 200),
            "round {round}: {statuses:?}"
        );
    }
    assert_eq!(member_rows(&app, s), ROUNDS as i64);
}

#[actix_web::test]
async fn enrollment_bodies_must_be_json_objects() {
    let app = spawn_app().await;
    let course = app.create_course("ARRAY-1").await;
    let user = app.create_user("array.learner", "Student").await;
    app.enroll(user, course, "Student").await;
    let settings = serde_json::json!({"EnrollmentStyle": 2, "EnrollmentQuantity": 1});
    json_ok(
        app.post(
            &app.lp(&format!("/{course}/sections/settings")),
            &app.admin,
            &settings,
        )
        .await,
    )
    .await;
    let sections = json_ok(
        app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
            .await,
    )
    .await;
    let section = sections[0]["SectionId"].as_i64().expect("SectionId");
    let url = app.lp(&format!("/{course}/sections/{section}/enrollments/"));
    // serde would read a one-element array as the struct; the wire takes objects only.
    let detail = problem(
        app.post(&url, &app.admin, &serde_json::json!([user])).await,
        400,
    )
    .await;
    assert!(detail.contains("JSON object"), "{detail}");
    let detail = problem(
        app.post(&url, &app.admin, &serde_json::json!({"UserId": "x"}))
            .await,
        400,
    )
    .await;
    assert!(detail.starts_with("UserId"), "{detail}");
    let res = app
        .post(&url, &app.admin, &serde_json::json!({"UserId": user}))
        .await;
    assert_eq!(res.status(), 200);
}
