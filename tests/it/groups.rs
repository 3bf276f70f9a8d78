use crate::common;
use common::*;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

/// GroupCategoryData, Fetch form: all 13 keys.
pub(crate) const FETCH_KEYS: &[&str] = &[
    "GroupCategoryId",
    "Name",
    "Description",
    "EnrollmentStyle",
    "EnrollmentQuantity",
    "MaxUsersPerGroup",
    "AutoEnroll",
    "RandomizeEnrollments",
    "Groups",
    "AllocateAfterExpiry",
    "SelfEnrollmentExpiryDate",
    "RestrictedByOrgUnitId",
    "DescriptionsVisibleToEnrolees",
];
const GROUP_KEYS: &[&str] = &["GroupId", "Name", "Code", "Description", "Enrollments"];
const JOB_KEYS: &[&str] = &["OrgUnitId", "CategoryId", "SubmitDate", "Status"];
const RICH_TEXT_KEYS: &[&str] = &["Text", "Html"];
const STYLES: [&str; 7] = [
    "NumberOfGroupsNoEnrollment",
    "PeoplePerGroupAutoEnrollment",
    "NumberOfGroupsAutoEnrollment",
    "PeoplePerGroupSelfEnrollment",
    "SelfEnrollmentNumberOfGroups",
    "PeoplePerNumberOfGroupsSelfEnrollment",
    "SingleUserMemberSpecificGroup",
];
const ALL: &str = "*:*:*";
/// How long a creation job may take before a test gives up.
const JOB_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn assert_fetch(v: &Value) {
    assert_keys(v, FETCH_KEYS);
    assert_keys(&v["Description"], RICH_TEXT_KEYS);
    assert!(v["GroupCategoryId"].is_i64(), "{v}");
    assert!(v["Groups"].is_array(), "{v}");
    assert!(
        v["EnrollmentStyle"]
            .as_i64()
            .is_some_and(|n| (0..7).contains(&n)),
        "EnrollmentStyle answered as a GRPENROLL_T number: {v}"
    );
}

fn assert_group(v: &Value) {
    assert_keys(v, GROUP_KEYS);
    assert_keys(&v["Description"], RICH_TEXT_KEYS);
    assert!(v["GroupId"].is_i64(), "{v}");
    assert!(v["Enrollments"].is_array(), "{v}");
}

/// `/d2l/api/lp/1.47/{ou}/groupcategories{rest}`
fn gc(app: &TestApp, ou: i64, rest: &str) -> String {
    app.lp(&format!("/{ou}/groupcategories{rest}"))
}

fn cat_url(app: &TestApp, ou: i64, cat: i64, rest: &str) -> String {
    gc(app, ou, &format!("/{cat}{rest}"))
}

fn group_url(app: &TestApp, ou: i64, cat: i64, group: i64, rest: &str) -> String {
    cat_url(app, ou, cat, &format!("/groups/{group}{rest}"))
}

fn update_form(name: &str, description: Value, auto: bool, random: bool, visible: bool) -> Value {
    json!({
        "Name": name, "Description": description, "AutoEnroll": auto,
        "RandomizeEnrollments": random, "DescriptionsVisibleToEnrolees": visible
    })
}

fn group_form(name: &str, code: &str, description: Value) -> Value {
    json!({"Name": name, "Code": code, "Description": description})
}

fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `yyyy-MM-ddTHH:mm:ss.fffZ`
fn assert_utc_ms(v: &Value) -> DateTime<Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a date string, got {v}"));
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z'), "{s}");
    assert_eq!(&s[19..20], ".", "milliseconds present: {s}");
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// Posts a Create form; asserts the 202 with GroupsJobData (Status 0) and answers it.
async fn post_category(app: &TestApp, token: &str, ou: i64, body: &Value) -> Value {
    let job = json_typed(app.post(&gc(app, ou, "/"), token, body).await, 202).await;
    assert_keys(&job, JOB_KEYS);
    assert_eq!(job["OrgUnitId"], ou, "{job}");
    assert!(job["CategoryId"].is_i64(), "{job}");
    assert_eq!(job["Status"], 0, "{job}");
    let submitted = assert_utc_ms(&job["SubmitDate"]);
    let skew = (Utc::now() - submitted).num_seconds().abs();
    assert!(skew < 60, "SubmitDate is now: {job}");
    job
}

/// Polls the status route until the creation job is Complete (1); panics after 20 s.
async fn wait_complete(app: &TestApp, ou: i64, cat: i64) {
    let start = Instant::now();
    loop {
        let status = json_ok(app.get(&cat_url(app, ou, cat, "/status"), &app.admin).await).await;
        assert_keys(&status, &["Status"]);
        match status["Status"].as_i64() {
            Some(1) => return,
            Some(0) => {}
            other => panic!("unexpected status {other:?}"),
        }
        assert!(
            start.elapsed() < JOB_TIMEOUT,
            "category {cat} still processing after {JOB_TIMEOUT:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a category as the admin and waits until it is complete; answers its id.
async fn create_category(app: &TestApp, ou: i64, body: &Value) -> i64 {
    let job = post_category(app, &app.admin, ou, body).await;
    let cat = job["CategoryId"].as_i64().expect("CategoryId");
    wait_complete(app, ou, cat).await;
    cat
}

/// Creates a category of enrollment style `style` (by number) from the neutral Create form
/// with `extra` fields, as the admin, and waits until it is complete; answers its id.
async fn make_category(app: &TestApp, ou: i64, name: &str, style: i64, extra: Value) -> i64 {
    create_category(app, ou, &category_form(name, json!(style), extra)).await
}

async fn category(app: &TestApp, ou: i64, cat: i64) -> Value {
    let v = json_ok(app.get(&cat_url(app, ou, cat, ""), &app.admin).await).await;
    assert_fetch(&v);
    v
}

async fn groups(app: &TestApp, ou: i64, cat: i64) -> Vec<Value> {
    let all = json_ok(
        app.get(&cat_url(app, ou, cat, "/groups/"), &app.admin)
            .await,
    )
    .await;
    let all = all.as_array().expect("groups array").clone();
    for g in &all {
        assert_group(g);
    }
    all
}

fn group_ids(groups: &[Value]) -> Vec<i64> {
    groups
        .iter()
        .map(|g| g["GroupId"].as_i64().expect("GroupId"))
        .collect()
}

fn names(groups: &[Value]) -> Vec<String> {
    groups
        .iter()
        .map(|g| g["Name"].as_str().expect("Name").to_string())
        .collect()
}

async fn add_member(
    app: &TestApp,
    token: &str,
    ou: i64,
    cat: i64,
    group: i64,
    user: i64,
) -> reqwest::Response {
    app.post(
        &group_url(app, ou, cat, group, "/enrollments/"),
        token,
        &json!({"UserId": user}),
    )
    .await
}

async fn members(app: &TestApp, ou: i64, cat: i64, group: i64) -> Vec<i64> {
    let v = json_ok(
        app.get(&group_url(app, ou, cat, group, "/enrollments"), &app.admin)
            .await,
    )
    .await;
    ids(&v)
}

/// Membership rows a user holds in a course, read from the database.
fn course_member_rows(app: &TestApp, course: i64, user: i64) -> i64 {
    use d2l_groups::schema::{enrollments, org_units};
    app.state
        .db
        .read_sync(|conn| {
            let parts = org_units::table
                .filter(org_units::parent_id.eq(course))
                .select(org_units::id);
            Ok(enrollments::table
                .filter(enrollments::org_unit_id.eq_any(parts))
                .filter(enrollments::user_id.eq(user))
                .count()
                .get_result::<i64>(conn)?)
        })
        .expect("count members")
}

/// Creates a second institution with its own course; answers (its admin token, its course).
async fn other_institution(app: &TestApp) -> (String, i64) {
    add_institution(app, "UOC", "Other University");
    let other = mint_in(&app.state, "UOC", "admin", ALL, 3600);
    let body = course_named(json!("Other course"), "OTHER");
    let course = json_ok(app.post(&app.lp("/courses/"), &other, &body).await).await;
    let id = course["Identifier"]
        .as_str()
        .expect("Identifier")
        .parse()
        .expect("numeric");
    (other, id)
}

/// One call of a groups route, with the scope the reference gives it.
struct Call {
    name: &'static str,
    method: Method,
    url: String,
    body: Option<Value>,
    scope: &'static str,
    /// What "no such org unit" answers on this route, per the reference.
    no_such_org_unit: u16,
}

/// Every groups route, for org unit `ou`, category `cat`, group `group` and user `user`.
fn every_route(app: &TestApp, ou: i64, cat: i64, group: i64, user: i64) -> Vec<Call> {
    let create = category_form("Every", json!(0), json!({"NumberOfGroups": 1}));
    let update = update_form("Every", text(""), false, false, false);
    let group_body = group_form("G", "EVERY-G", text(""));
    let group_update = group_form("G2", "EVERY-P", text(""));
    let call = |name, method, url: String, body: Option<Value>, scope, no_such_org_unit| Call {
        name,
        method,
        url,
        body,
        scope,
        no_such_org_unit,
    };
    vec![
        call(
            "GET categories",
            Method::GET,
            gc(app, ou, "/"),
            None,
            "groups:group:read",
            400,
        ),
        call(
            "POST category",
            Method::POST,
            gc(app, ou, "/"),
            Some(create),
            "groups:group:create",
            400,
        ),
        call(
            "GET category",
            Method::GET,
            cat_url(app, ou, cat, ""),
            None,
            "groups:group:read",
            400,
        ),
        call(
            "PUT category",
            Method::PUT,
            cat_url(app, ou, cat, ""),
            Some(update),
            "groups:group:update",
            404,
        ),
        call(
            "DELETE category",
            Method::DELETE,
            cat_url(app, ou, cat, ""),
            None,
            "groups:group:delete",
            400,
        ),
        call(
            "GET status",
            Method::GET,
            cat_url(app, ou, cat, "/status"),
            None,
            "groups:group:read",
            400,
        ),
        call(
            "GET groups",
            Method::GET,
            cat_url(app, ou, cat, "/groups/"),
            None,
            "groups:group:read",
            404,
        ),
        call(
            "POST group",
            Method::POST,
            cat_url(app, ou, cat, "/groups/"),
            Some(group_body),
            "groups:group:create",
            404,
        ),
        call(
            "GET group",
            Method::GET,
            group_url(app, ou, cat, group, ""),
            None,
            "groups:group:read",
            400,
        ),
        call(
            "PUT group",
            Method::PUT,
            group_url(app, ou, cat, group, ""),
            Some(group_update),
            "groups:group:update",
            404,
        ),
        call(
            "DELETE group",
            Method::DELETE,
            group_url(app, ou, cat, group, ""),
            None,
            "groups:group:delete",
            400,
        ),
        call(
            "POST enrollment",
            Method::POST,
            group_url(app, ou, cat, group, "/enrollments/"),
            Some(json!({"UserId": user})),
            "groups:enrollment:create",
            404,
        ),
        call(
            "GET enrollments",
            Method::GET,
            group_url(app, ou, cat, group, "/enrollments"),
            None,
            "groups:group:read",
            // Not in the reference; the implementation answers as GET group does.
            400,
        ),
        call(
            "DELETE enrollment",
            Method::DELETE,
            group_url(app, ou, cat, group, &format!("/enrollments/{user}")),
            None,
            "groups:enrollment:delete",
            400,
        ),
    ]
}

async fn send(app: &TestApp, call: &Call, token: Option<&str>) -> reqwest::Response {
    app.send(call.method.clone(), &call.url, token, call.body.as_ref())
        .await
}

/// A course with one complete category (style 2, one group) holding one learner; answers
/// (course, category, group, learner).
async fn populated_course(app: &TestApp, code: &str) -> (i64, i64, i64, i64) {
    let course = app.create_course(code).await;
    let learner = learners(app, course, &format!("{}.l", code.to_lowercase()), 1).await[0];
    let cat = make_category(app, course, "Base", 2, json!({"NumberOfGroups": 1})).await;
    let group = group_ids(&groups(app, course, cat).await)[0];
    (course, cat, group, learner)
}

// ---------------------------------------------------------------------------------------------
// Creation: 202, the job, the status route, the Fetch form
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn post_category_answers_202_with_job_data_and_status_becomes_complete() {
    let app = spawn_app().await;
    let course = app.create_course("CREATE").await;
    let l = learners(&app, course, "create.l", 2).await;
    let body = category_form(
        "Projects",
        json!(2),
        json!({"NumberOfGroups": 2, "Description": text("Team projects")}),
    );
    let job = post_category(&app, &app.admin, course, &body).await;
    let cat = job["CategoryId"].as_i64().expect("id");
    wait_complete(&app, course, cat).await;
    let status = json_ok(
        app.get(&cat_url(&app, course, cat, "/status"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(status, json!({"Status": 1}));

    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["GroupCategoryId"], cat);
    assert_eq!(fetch["Name"], "Projects");
    assert_eq!(
        fetch["Description"],
        json!({"Text": "Team projects", "Html": "Team projects"})
    );
    assert_eq!(fetch["EnrollmentStyle"], 2);
    assert!(fetch["EnrollmentQuantity"].is_null(), "{fetch}");
    assert!(
        fetch["MaxUsersPerGroup"].is_null(),
        "style 2 has no cap: {fetch}"
    );
    assert_eq!(fetch["AutoEnroll"], false);
    assert_eq!(fetch["RandomizeEnrollments"], false);
    assert_eq!(fetch["AllocateAfterExpiry"], false);
    assert!(fetch["SelfEnrollmentExpiryDate"].is_null());
    assert!(fetch["RestrictedByOrgUnitId"].is_null());
    assert_eq!(fetch["DescriptionsVisibleToEnrolees"], false);
    let all = groups(&app, course, cat).await;
    assert_eq!(ids(&fetch["Groups"]), group_ids(&all));
    assert_eq!(rosters(&all), vec![vec![l[0]], vec![l[1]]]);

    // The list answers the same Fetch form, trailing slash or not.
    for url in [gc(&app, course, "/"), gc(&app, course, "")] {
        let list = json_ok(app.get(&url, &app.admin).await).await;
        let list = list.as_array().expect("array");
        assert_eq!(list.len(), 1);
        assert_fetch(&list[0]);
        assert_eq!(list[0], fetch);
    }
    // The status route with a trailing slash too.
    let status = json_ok(
        app.get(&cat_url(&app, course, cat, "/status/"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(status["Status"], 1);
}

#[actix_web::test]
async fn a_course_with_no_categories_lists_none() {
    let app = spawn_app().await;
    let course = app.create_course("EMPTY").await;
    let list = json_ok(app.get(&gc(&app, course, "/"), &app.admin).await).await;
    assert_eq!(list, json!([]));
}

#[actix_web::test]
async fn enrollment_style_is_accepted_as_number_or_name_and_answered_by_number() {
    let app = spawn_app().await;
    let course = app.create_course("STYLES").await;
    learners(&app, course, "styles.l", 2).await;
    let quantities = json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 2});
    for (n, name) in STYLES.iter().enumerate() {
        let numeric_string = json!(n.to_string());
        for style in [
            json!(n),
            json!(name),
            json!(name.to_lowercase()),
            numeric_string,
        ] {
            let cat = create_category(
                &app,
                course,
                &category_form(&format!("S{n} {style}"), style.clone(), quantities.clone()),
            )
            .await;
            let fetch = category(&app, course, cat).await;
            assert_eq!(fetch["EnrollmentStyle"], n, "sent {style}");
        }
    }
    // The old misspelling of style 0 (LE 1.9 and before).
    let cat = create_category(
        &app,
        course,
        &category_form(
            "Misspelt",
            json!("NumerOfGroupsNoEnrollment"),
            quantities.clone(),
        ),
    )
    .await;
    assert_eq!(category(&app, course, cat).await["EnrollmentStyle"], 0);
    for bad in [
        json!(7),
        json!(-1),
        json!("Bogus"),
        json!(null),
        json!(true),
    ] {
        let detail = problem(
            app.post(
                &gc(&app, course, "/"),
                &app.admin,
                &category_form("Bad", bad.clone(), quantities.clone()),
            )
            .await,
            400,
        )
        .await;
        assert!(detail.contains("EnrollmentStyle"), "{bad}: {detail}");
    }
    let mut missing = category_form("Missing", json!(0), quantities);
    missing
        .as_object_mut()
        .expect("obj")
        .remove("EnrollmentStyle");
    let detail = problem(
        app.post(&gc(&app, course, "/"), &app.admin, &missing).await,
        400,
    )
    .await;
    assert!(detail.contains("EnrollmentStyle"), "{detail}");
}

#[actix_web::test]
async fn optional_create_fields_may_be_absent_and_unknown_ones_are_ignored() {
    let app = spawn_app().await;
    let course = app.create_course("MINIMAL").await;
    let cat = create_category(
        &app,
        course,
        &json!({"Name": "Minimal", "EnrollmentStyle": 0, "NumberOfGroups": 1, "Whatever": [1]}),
    )
    .await;
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["Description"], json!({"Text": "", "Html": ""}));
    assert_eq!(fetch["AutoEnroll"], false);
    assert_eq!(fetch["RandomizeEnrollments"], false);
    assert_eq!(fetch["AllocateAfterExpiry"], false);
    assert_eq!(fetch["DescriptionsVisibleToEnrolees"], false);
    assert_eq!(ids(&fetch["Groups"]).len(), 1);
}

#[actix_web::test]
async fn descriptions_visible_to_enrolees_is_spelled_with_one_l() {
    let app = spawn_app().await;
    let course = app.create_course("SPELL").await;
    let one_l = make_category(
        &app,
        course,
        "One",
        0,
        json!({"NumberOfGroups": 1, "DescriptionsVisibleToEnrolees": true}),
    )
    .await;
    assert_eq!(
        category(&app, course, one_l).await["DescriptionsVisibleToEnrolees"],
        true
    );
    // The sections spelling is not this field: ignored, so the default false stands.
    let mut body = category_form("Two", json!(0), json!({"NumberOfGroups": 1}));
    let fields = body.as_object_mut().expect("obj");
    fields.remove("DescriptionsVisibleToEnrolees");
    fields.insert("DescriptionsVisibleToEnrollees".into(), json!(true));
    let two_l = create_category(&app, course, &body).await;
    let fetch = category(&app, course, two_l).await;
    assert_eq!(fetch["DescriptionsVisibleToEnrolees"], false);
    assert!(fetch.get("DescriptionsVisibleToEnrollees").is_none());
}

#[actix_web::test]
async fn html_descriptions_are_sanitized() {
    let app = spawn_app().await;
    let course = app.create_course("HTML").await;
    let cat = make_category(
        &app,
        course,
        "Html",
        0,
        json!({"NumberOfGroups": 1,
                   "Description": html("<p>Hello <b>all</b></p><script>alert(1)</script>")}),
    )
    .await;
    let fetch = category(&app, course, cat).await;
    let out = fetch["Description"]["Html"].as_str().expect("Html");
    assert!(!out.to_lowercase().contains("<script"), "{out}");
    assert!(out.contains("<b>all</b>"), "{out}");
    let text_out = fetch["Description"]["Text"].as_str().expect("Text");
    assert!(text_out.contains("Hello all"), "{text_out}");
    assert!(!text_out.contains('<'), "{text_out}");

    // The Type is matched case-insensitively; the output shape is refused as input.
    let fetch = json_ok(
        app.put(
            &cat_url(&app, course, cat, ""),
            &app.admin,
            &update_form(
                "Html",
                json!({"Content": "<i>x</i><script>bad()</script>", "Type": "HTML"}),
                false,
                false,
                false,
            ),
        )
        .await,
    )
    .await;
    let out = fetch["Description"]["Html"].as_str().expect("Html");
    assert!(out.contains("<i>x</i>") && !out.contains("script"), "{out}");
    problem(
        app.post(
            &gc(&app, course, "/"),
            &app.admin,
            &category_form(
                "Wrong shape",
                json!(0),
                json!({"NumberOfGroups": 1, "Description": {"Text": "a", "Html": "a"}}),
            ),
        )
        .await,
        400,
    )
    .await;

    // Groups too.
    let g = json_ok(
        app.post(
            &cat_url(&app, course, cat, "/groups/"),
            &app.admin,
            &group_form(
                "G",
                "HTML-G",
                html("<p onclick=\"x()\">hi</p><script>x()</script>"),
            ),
        )
        .await,
    )
    .await;
    let out = g["Description"]["Html"].as_str().expect("Html");
    assert!(!out.contains("script") && !out.contains("onclick"), "{out}");
    assert_eq!(g["Description"]["Text"], "hi");
}

#[actix_web::test]
async fn self_enrollment_expiry_date_is_answered_in_utc_with_milliseconds() {
    let app = spawn_app().await;
    let course = app.create_course("EXPIRY-FMT").await;
    let cat = make_category(
        &app,
        course,
        "Dated",
        3,
        json!({"MaxUsersPerGroup": 2,
                   "SelfEnrollmentExpiryDate": "2031-01-31T06:00:00.250+01:00"}),
    )
    .await;
    let fetch = category(&app, course, cat).await;
    assert_eq!(
        fetch["SelfEnrollmentExpiryDate"],
        "2031-01-31T05:00:00.250Z"
    );
    assert_eq!(fetch["AllocateAfterExpiry"], false);
    let cat = make_category(
        &app,
        course,
        "Dated 2",
        5,
        json!({"NumberOfGroups": 1, "MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                   "SelfEnrollmentExpiryDate": "2031-01-31T05:00:00Z"}),
    )
    .await;
    let fetch = category(&app, course, cat).await;
    assert_eq!(
        fetch["SelfEnrollmentExpiryDate"],
        "2031-01-31T05:00:00.000Z"
    );
    assert_eq!(fetch["AllocateAfterExpiry"], true);
}

// ---------------------------------------------------------------------------------------------
// The seven styles
// ---------------------------------------------------------------------------------------------

/// A course with 7 learners, plus an Instructor and a Teaching Assistant enrolled in it and a
/// Student of the institution who is not enrolled in it: none of those three is allocated.
async fn seven_learners(app: &TestApp, code: &str) -> (i64, Vec<i64>) {
    let course = app.create_course(code).await;
    let prefix = code.to_lowercase();
    member(app, course, &format!("{prefix}.inst"), "Instructor").await;
    member(app, course, &format!("{prefix}.ta"), "Teaching Assistant").await;
    app.create_user(&format!("{prefix}.outsider"), "Student")
        .await;
    let ids = learners(app, course, &format!("{prefix}.l"), 7).await;
    (course, ids)
}

#[actix_web::test]
async fn style_0_creates_number_of_groups_empty_groups() {
    let app = spawn_app().await;
    let (course, _) = seven_learners(&app, "S0").await;
    let cat = make_category(
        &app,
        course,
        "Empty",
        0,
        json!({"NumberOfGroups": 3, "MaxUsersPerGroup": 9}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![Vec::<i64>::new(); 3]);
    assert_eq!(names(&all), ["Empty 1", "Empty 2", "Empty 3"]);
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 0);
    assert!(fetch["MaxUsersPerGroup"].is_null(), "{fetch}");
    assert_eq!(ids(&fetch["Groups"]), group_ids(&all));

    // With EnrollmentQuantity, NumberOfGroups is ignored.
    let cat = make_category(
        &app,
        course,
        "EQ",
        0,
        json!({"EnrollmentQuantity": 2, "NumberOfGroups": 5}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![Vec::<i64>::new(); 2]);
    assert_eq!(category(&app, course, cat).await["EnrollmentQuantity"], 2);
}

#[actix_web::test]
async fn style_1_counts_learners_off_max_users_per_group_at_a_time() {
    let app = spawn_app().await;
    let (course, l) = seven_learners(&app, "S1").await;
    let cat = make_category(
        &app,
        course,
        "People",
        1,
        json!({"MaxUsersPerGroup": 3, "NumberOfGroups": 9}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(
        rosters(&all),
        vec![vec![l[0], l[1], l[2]], vec![l[3], l[4], l[5]], vec![l[6]]]
    );
    assert_eq!(names(&all), ["People 1", "People 2", "People 3"]);
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 1);
    assert_eq!(fetch["MaxUsersPerGroup"], 3);
    assert!(fetch["EnrollmentQuantity"].is_null());

    // With EnrollmentQuantity 2: two groups, the cap ceil(7/2) = 4, MaxUsersPerGroup ignored.
    let cat = make_category(
        &app,
        course,
        "PeopleEQ",
        1,
        json!({"EnrollmentQuantity": 2, "MaxUsersPerGroup": 10, "NumberOfGroups": 9}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(
        rosters(&all),
        vec![vec![l[0], l[1], l[2], l[3]], vec![l[4], l[5], l[6]]]
    );
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["MaxUsersPerGroup"], 4);
    assert_eq!(fetch["EnrollmentQuantity"], 2);
}

#[actix_web::test]
async fn style_2_deals_learners_round_robin() {
    let app = spawn_app().await;
    let (course, l) = seven_learners(&app, "S2").await;
    let cat = make_category(
        &app,
        course,
        "Dealt",
        2,
        json!({"NumberOfGroups": 3, "MaxUsersPerGroup": 1}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(
        rosters(&all),
        vec![vec![l[0], l[3], l[6]], vec![l[1], l[4]], vec![l[2], l[5]]]
    );
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 2);
    assert!(fetch["MaxUsersPerGroup"].is_null(), "{fetch}");

    let cat = make_category(
        &app,
        course,
        "DealtEQ",
        2,
        json!({"EnrollmentQuantity": 2, "NumberOfGroups": 9}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(
        rosters(&all),
        vec![vec![l[0], l[2], l[4], l[6]], vec![l[1], l[3], l[5]]]
    );
}

#[actix_web::test]
async fn style_3_creates_enough_empty_groups_for_the_cap() {
    let app = spawn_app().await;
    let (course, _) = seven_learners(&app, "S3").await;
    let cat = make_category(
        &app,
        course,
        "Self",
        3,
        json!({"MaxUsersPerGroup": 3, "NumberOfGroups": 9}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![Vec::<i64>::new(); 3], "ceil(7/3) = 3");
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 3);
    assert_eq!(fetch["MaxUsersPerGroup"], 3);

    let cat = make_category(
        &app,
        course,
        "SelfEQ",
        3,
        json!({"EnrollmentQuantity": 4, "MaxUsersPerGroup": 3}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![Vec::<i64>::new(); 4]);
    assert_eq!(
        category(&app, course, cat).await["MaxUsersPerGroup"],
        2,
        "ceil(7/4)"
    );
}

#[actix_web::test]
async fn style_4_creates_number_of_groups_empty_groups() {
    let app = spawn_app().await;
    let (course, _) = seven_learners(&app, "S4").await;
    let cat = make_category(&app, course, "SelfN", 4, json!({"NumberOfGroups": 4})).await;
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![Vec::<i64>::new(); 4]
    );
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 4);
    assert!(fetch["MaxUsersPerGroup"].is_null());

    let cat = make_category(
        &app,
        course,
        "SelfNEQ",
        4,
        json!({"EnrollmentQuantity": 2, "NumberOfGroups": 4}),
    )
    .await;
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![Vec::<i64>::new(); 2]
    );
}

#[actix_web::test]
async fn style_5_creates_number_of_groups_empty_groups_with_a_cap() {
    let app = spawn_app().await;
    let (course, _) = seven_learners(&app, "S5").await;
    let cat = make_category(
        &app,
        course,
        "Capped",
        5,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 3}),
    )
    .await;
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![Vec::<i64>::new(); 2]
    );
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 5);
    assert_eq!(fetch["MaxUsersPerGroup"], 3);

    let cat = make_category(
        &app,
        course,
        "CappedEQ",
        5,
        json!({"EnrollmentQuantity": 4, "NumberOfGroups": 2, "MaxUsersPerGroup": 3}),
    )
    .await;
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![Vec::<i64>::new(); 4]
    );
    assert_eq!(
        category(&app, course, cat).await["MaxUsersPerGroup"],
        2,
        "ceil(7/4)"
    );
}

#[actix_web::test]
async fn style_6_makes_one_group_per_learner() {
    let app = spawn_app().await;
    let (course, l) = seven_learners(&app, "S6").await;
    let cat = make_category(
        &app,
        course,
        "Solo",
        6,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 3}),
    )
    .await;
    let all = groups(&app, course, cat).await;
    assert_eq!(
        rosters(&all),
        l.iter().map(|id| vec![*id]).collect::<Vec<_>>()
    );
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["EnrollmentStyle"], 6);
    assert!(fetch["MaxUsersPerGroup"].is_null());

    // With EnrollmentQuantity too: still one per learner.
    let cat = make_category(&app, course, "SoloEQ", 6, json!({"EnrollmentQuantity": 2})).await;
    assert_eq!(groups(&app, course, cat).await.len(), 7);

    // No learners: no groups.
    let empty = app.create_course("S6-EMPTY").await;
    let cat = make_category(&app, empty, "None", 6, json!({})).await;
    assert!(groups(&app, empty, cat).await.is_empty());
}

#[actix_web::test]
async fn people_per_group_styles_with_no_learners_still_get_one_group() {
    let app = spawn_app().await;
    let course = app.create_course("NOBODY").await;
    for style in [1, 3] {
        let cat = create_category(
            &app,
            course,
            &category_form(
                &format!("P{style}"),
                json!(style),
                json!({"MaxUsersPerGroup": 4}),
            ),
        )
        .await;
        assert_eq!(
            rosters(&groups(&app, course, cat).await),
            vec![Vec::<i64>::new()]
        );
    }
}

#[actix_web::test]
async fn randomized_enrollment_keeps_every_learner_once_in_the_planned_sizes() {
    let app = spawn_app().await;
    let course = app.create_course("RANDOM").await;
    let l = learners(&app, course, "random.l", 30).await;
    let cat = create_category(
        &app,
        course,
        &category_form(
            "Shuffled",
            json!("NumberOfGroupsAutoEnrollment"),
            json!({"NumberOfGroups": 3, "RandomizeEnrollments": true}),
        ),
    )
    .await;
    assert_eq!(
        category(&app, course, cat).await["RandomizeEnrollments"],
        true
    );
    let dealt = rosters(&groups(&app, course, cat).await);
    assert_eq!(
        dealt.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![10, 10, 10]
    );
    assert_eq!(sorted(dealt.concat()), l, "every learner exactly once");
    let in_order: Vec<Vec<i64>> = (0..3)
        .map(|g| l.iter().skip(g).step_by(3).copied().collect())
        .collect();
    assert_ne!(
        dealt, in_order,
        "30 learners shuffled into the id-order deal is all but impossible"
    );

    let cat = make_category(
        &app,
        course,
        "Shuffled people",
        1,
        json!({"MaxUsersPerGroup": 7, "RandomizeEnrollments": true}),
    )
    .await;
    let counted = rosters(&groups(&app, course, cat).await);
    assert_eq!(
        counted.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![7, 7, 7, 7, 2]
    );
    assert_eq!(sorted(counted.concat()), l);
    let chunks: Vec<Vec<i64>> = l.chunks(7).map(<[i64]>::to_vec).collect();
    assert_ne!(counted, chunks);

    let cat = make_category(
        &app,
        course,
        "Shuffled solo",
        6,
        json!({"RandomizeEnrollments": true}),
    )
    .await;
    let solo = rosters(&groups(&app, course, cat).await);
    assert!(solo.iter().all(|r| r.len() == 1));
    assert_eq!(sorted(solo.concat()), l);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_form_validation_failures_are_400_naming_the_field() {
    let app = spawn_app().await;
    let course = app.create_course("VALID").await;
    let other = app.create_course("VALID-OTHER").await;
    let other_cat = make_category(&app, other, "Elsewhere", 0, json!({"NumberOfGroups": 1})).await;
    let other_group = group_ids(&groups(&app, other, other_cat).await)[0];
    let soon = utc_text(Utc::now() + chrono::Duration::days(1));
    let cases: Vec<(Value, &str)> = vec![
        (
            category_form("", json!(0), json!({"NumberOfGroups": 1})),
            "Name",
        ),
        (
            category_form("   ", json!(0), json!({"NumberOfGroups": 1})),
            "Name",
        ),
        (
            category_form(&"n".repeat(201), json!(0), json!({"NumberOfGroups": 1})),
            "Name",
        ),
        (category_form("X", json!(0), json!({})), "NumberOfGroups"),
        (
            category_form("X", json!(2), json!({"MaxUsersPerGroup": 3})),
            "NumberOfGroups",
        ),
        (category_form("X", json!(4), json!({})), "NumberOfGroups"),
        (
            category_form("X", json!(5), json!({"MaxUsersPerGroup": 3})),
            "NumberOfGroups",
        ),
        (
            category_form("X", json!(5), json!({"NumberOfGroups": 3})),
            "MaxUsersPerGroup",
        ),
        (
            category_form("X", json!(1), json!({"NumberOfGroups": 3})),
            "MaxUsersPerGroup",
        ),
        (category_form("X", json!(3), json!({})), "MaxUsersPerGroup"),
        (
            category_form("X", json!(0), json!({"NumberOfGroups": 0})),
            "NumberOfGroups",
        ),
        (
            category_form("X", json!(2), json!({"NumberOfGroups": -2})),
            "NumberOfGroups",
        ),
        (
            category_form("X", json!(0), json!({"NumberOfGroups": 10_001})),
            "NumberOfGroups",
        ),
        (
            category_form("X", json!(1), json!({"MaxUsersPerGroup": 0})),
            "MaxUsersPerGroup",
        ),
        (
            category_form(
                "X",
                json!(2),
                json!({"EnrollmentQuantity": 0, "NumberOfGroups": 3}),
            ),
            "EnrollmentQuantity",
        ),
        (
            category_form(
                "X",
                json!(1),
                json!({"NumberOfGroups": "three", "MaxUsersPerGroup": 2}),
            ),
            "NumberOfGroups",
        ),
        // AllocateAfterExpiry needs a date, and both belong to styles 1, 3 and 5 only.
        (
            category_form(
                "X",
                json!(3),
                json!({"MaxUsersPerGroup": 2, "AllocateAfterExpiry": true}),
            ),
            "AllocateAfterExpiry",
        ),
        (
            category_form(
                "X",
                json!(2),
                json!({"NumberOfGroups": 2, "AllocateAfterExpiry": true,
                       "SelfEnrollmentExpiryDate": soon}),
            ),
            "AllocateAfterExpiry",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 2, "SelfEnrollmentExpiryDate": soon}),
            ),
            "SelfEnrollmentExpiryDate",
        ),
        (
            category_form(
                "X",
                json!(4),
                json!({"NumberOfGroups": 2, "SelfEnrollmentExpiryDate": soon}),
            ),
            "SelfEnrollmentExpiryDate",
        ),
        (
            category_form("X", json!(6), json!({"SelfEnrollmentExpiryDate": soon})),
            "SelfEnrollmentExpiryDate",
        ),
        (
            category_form(
                "X",
                json!(3),
                json!({"MaxUsersPerGroup": 2, "SelfEnrollmentExpiryDate": "next tuesday"}),
            ),
            "SelfEnrollmentExpiryDate",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "GroupPrefix": "p".repeat(201)}),
            ),
            "GroupPrefix",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "Description": "plain string"}),
            ),
            "Description",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "AutoEnroll": "yes"}),
            ),
            "AutoEnroll",
        ),
        // RestrictedByOrgUnitId must be a section or group of this course.
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "RestrictedByOrgUnitId": 999_999}),
            ),
            "RestrictedByOrgUnitId",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "RestrictedByOrgUnitId": course}),
            ),
            "RestrictedByOrgUnitId",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "RestrictedByOrgUnitId": ROOT}),
            ),
            "RestrictedByOrgUnitId",
        ),
        (
            category_form(
                "X",
                json!(0),
                json!({"NumberOfGroups": 1, "RestrictedByOrgUnitId": other_group}),
            ),
            "RestrictedByOrgUnitId",
        ),
    ];
    for (body, field) in &cases {
        let detail = problem(
            app.post(&gc(&app, course, "/"), &app.admin, body).await,
            400,
        )
        .await;
        assert!(
            detail.contains(field),
            "{field} expected in {detail:?} for {body}"
        );
    }
    let mut nameless = category_form("X", json!(0), json!({"NumberOfGroups": 1}));
    nameless.as_object_mut().expect("obj").remove("Name");
    let detail = problem(
        app.post(&gc(&app, course, "/"), &app.admin, &nameless)
            .await,
        400,
    )
    .await;
    assert!(detail.contains("Name"), "{detail}");
    problem(
        app.send(
            Method::POST,
            &gc(&app, course, "/"),
            Some(&app.admin),
            Some(&json!([1, 2])),
        )
        .await,
        400,
    )
    .await;

    // Nothing was recorded.
    let list = json_ok(app.get(&gc(&app, course, "/"), &app.admin).await).await;
    assert_eq!(list, json!([]));
}

#[actix_web::test]
async fn allocate_after_expiry_is_accepted_for_styles_1_3_and_5_only() {
    let app = spawn_app().await;
    let course = app.create_course("AAE").await;
    let later = utc_text(Utc::now() + chrono::Duration::days(3));
    for style in [1, 3, 5] {
        let cat = create_category(
            &app,
            course,
            &category_form(
                &format!("AAE {style}"),
                json!(style),
                json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                       "SelfEnrollmentExpiryDate": later}),
            ),
        )
        .await;
        let fetch = category(&app, course, cat).await;
        assert_eq!(fetch["AllocateAfterExpiry"], true);
        assert_eq!(fetch["SelfEnrollmentExpiryDate"], later.as_str());
    }
    for style in [0, 2, 4, 6] {
        for extra in [
            json!({"AllocateAfterExpiry": true, "SelfEnrollmentExpiryDate": later}),
            json!({"SelfEnrollmentExpiryDate": later}),
        ] {
            let mut body = category_form("Nope", json!(style), json!({"NumberOfGroups": 2}));
            for (k, v) in extra.as_object().expect("obj") {
                body[k] = v.clone();
            }
            let detail = problem(
                app.post(&gc(&app, course, "/"), &app.admin, &body).await,
                400,
            )
            .await;
            assert!(
                detail.contains("AllocateAfterExpiry")
                    || detail.contains("SelfEnrollmentExpiryDate"),
                "style {style}: {detail}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GroupPrefix, names and codes
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn group_prefix_names_groups_and_codes_stay_unique_in_the_course() {
    let app = spawn_app().await;
    let course = app.create_course("PREFIX").await;
    // Default prefix: the category name.
    let cat = make_category(&app, course, "Projects", 0, json!({"NumberOfGroups": 2})).await;
    let all = groups(&app, course, cat).await;
    assert_eq!(names(&all), ["Projects 1", "Projects 2"]);
    assert_eq!(
        all.iter().map(|g| g["Code"].clone()).collect::<Vec<_>>(),
        [json!("Projects 1"), json!("Projects 2")]
    );
    // An explicit prefix.
    let cat = make_category(
        &app,
        course,
        "Labs",
        0,
        json!({"NumberOfGroups": 3, "GroupPrefix": "Team"}),
    )
    .await;
    assert_eq!(
        names(&groups(&app, course, cat).await),
        ["Team 1", "Team 2", "Team 3"]
    );
    // The same prefix again, and a hand-made group holding "team 5" in another case: codes
    // never clash in the course.
    json_ok(
        app.post(
            &cat_url(&app, course, cat, "/groups/"),
            &app.admin,
            &group_form("Hand made", "TEAM 5", text("")),
        )
        .await,
    )
    .await;
    let again = make_category(
        &app,
        course,
        "Labs again",
        0,
        json!({"NumberOfGroups": 3, "GroupPrefix": "Team"}),
    )
    .await;
    for g in groups(&app, course, again).await {
        assert!(
            g["Name"].as_str().expect("name").starts_with("Team "),
            "{g}"
        );
    }
    // A prefix with characters codes may not hold, and a long one.
    let odd = make_category(
        &app,
        course,
        "Odd",
        0,
        json!({"NumberOfGroups": 2, "GroupPrefix": "Lab: A&B, \"x\""}),
    )
    .await;
    assert_eq!(
        names(&groups(&app, course, odd).await),
        ["Lab: A&B, \"x\" 1", "Lab: A&B, \"x\" 2"]
    );
    let long = make_category(
        &app,
        course,
        "Long",
        0,
        json!({"NumberOfGroups": 2, "GroupPrefix": "L".repeat(120)}),
    )
    .await;
    assert_eq!(groups(&app, course, long).await.len(), 2);

    // Every code in the course: valid, at most 50 characters, unique regardless of case.
    let cats = json_ok(app.get(&gc(&app, course, "/"), &app.admin).await).await;
    let mut codes = BTreeSet::new();
    let mut count = 0;
    for c in cats.as_array().expect("array") {
        let id = c["GroupCategoryId"].as_i64().expect("id");
        for g in groups(&app, course, id).await {
            let code = g["Code"].as_str().expect("code").to_string();
            assert!(!code.is_empty() && code.chars().count() <= 50, "{code:?}");
            assert!(
                !code.contains(['\\', ':', '*', '?', '"', '<', '>', '|', '\'', '#', ',', '%', '&']),
                "{code:?}"
            );
            codes.insert(code.to_lowercase());
            count += 1;
        }
    }
    assert_eq!(codes.len(), count, "codes unique in the course: {codes:?}");
    assert_eq!(count, 2 + 3 + 1 + 3 + 2 + 2);
    // A blank prefix falls back to the category name.
    for blank in ["", "   "] {
        let cat = make_category(
            &app,
            course,
            &format!("Blank{}", blank.len()),
            0,
            json!({"NumberOfGroups": 1, "GroupPrefix": blank}),
        )
        .await;
        assert_eq!(
            names(&groups(&app, course, cat).await),
            [format!("Blank{} 1", blank.len())]
        );
    }
    // Codes are per course: another course may reuse them.
    let other = app.create_course("PREFIX-2").await;
    let cat = make_category(&app, other, "Projects", 0, json!({"NumberOfGroups": 1})).await;
    assert_eq!(groups(&app, other, cat).await[0]["Code"], "Projects 1");
}

// ---------------------------------------------------------------------------------------------
// RestrictedByOrgUnitId
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn restricted_by_a_section_allocates_only_its_members() {
    let app = spawn_app().await;
    let course = app.create_course("RESTRICT").await;
    let l = learners(&app, course, "restrict.l", 4).await;
    // Two sections, dealt: [l0, l2] and [l1, l3].
    let sections = deal_sections(&app, course, 2).await;
    let first = sections[0]["SectionId"].as_i64().expect("id");
    assert_eq!(ids(&sections[0]["Enrollments"]), vec![l[0], l[2]]);

    let cat = make_category(
        &app,
        course,
        "Restricted",
        2,
        json!({"NumberOfGroups": 2, "RestrictedByOrgUnitId": first}),
    )
    .await;
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["RestrictedByOrgUnitId"], first);
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![vec![l[0]], vec![l[2]]]);
    let g = group_ids(&all);

    // Only the restricting section's members may be put in its groups.
    let detail = problem(
        add_member(&app, &app.admin, course, cat, g[0], l[1]).await,
        404,
    )
    .await;
    assert!(detail.contains(&l[1].to_string()), "{detail}");
    assert!(members(&app, course, cat, g[0]).await == vec![l[0]]);
    ok_empty(add_member(&app, &app.admin, course, cat, g[0], l[2]).await).await;
    assert_eq!(members(&app, course, cat, g[0]).await, vec![l[0], l[2]]);

    // Style 6 restricted: one group per member of the section only.
    let solo = make_category(
        &app,
        course,
        "Solo",
        6,
        json!({"RestrictedByOrgUnitId": first}),
    )
    .await;
    assert_eq!(
        rosters(&groups(&app, course, solo).await),
        vec![vec![l[0]], vec![l[2]]]
    );
}

#[actix_web::test]
async fn restricted_by_a_group_allocates_only_its_members_and_auto_enroll_respects_it() {
    let app = spawn_app().await;
    let course = app.create_course("RESTRICT-G").await;
    let l = learners(&app, course, "restrictg.l", 4).await;
    let base = make_category(&app, course, "Base", 0, json!({"NumberOfGroups": 1})).await;
    let restriction = group_ids(&groups(&app, course, base).await)[0];
    for user in [l[1], l[3]] {
        ok_empty(add_member(&app, &app.admin, course, base, restriction, user).await).await;
    }
    let cat = make_category(
        &app,
        course,
        "By group",
        1,
        json!({"MaxUsersPerGroup": 5, "AutoEnroll": true,
                   "RestrictedByOrgUnitId": restriction}),
    )
    .await;
    assert_eq!(
        category(&app, course, cat).await["RestrictedByOrgUnitId"],
        restriction
    );
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![vec![l[1], l[3]]]);
    // A new learner of the course is not in the restricting group: AutoEnroll leaves them out.
    let late = learners(&app, course, "restrictg.late", 1).await[0];
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![vec![l[1], l[3]]]
    );
    problem(
        add_member(&app, &app.admin, course, cat, group_ids(&all)[0], late).await,
        404,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// AutoEnroll
// ---------------------------------------------------------------------------------------------

/// Enrolls one new learner in the course; answers their id.
async fn new_learner(app: &TestApp, course: i64, name: &str) -> i64 {
    member(app, course, name, "Student").await
}

#[actix_web::test]
async fn auto_enroll_number_of_groups_styles_fill_the_smallest_group() {
    let app = spawn_app().await;
    let course = app.create_course("AUTO-N").await;
    let l = learners(&app, course, "auton.l", 3).await;
    let dealt = make_category(
        &app,
        course,
        "Dealt",
        2,
        json!({"NumberOfGroups": 2, "AutoEnroll": true}),
    )
    .await;
    let none = make_category(
        &app,
        course,
        "None",
        0,
        json!({"NumberOfGroups": 2, "AutoEnroll": true}),
    )
    .await;
    let selfn = make_category(
        &app,
        course,
        "SelfN",
        4,
        json!({"NumberOfGroups": 2, "AutoEnroll": true}),
    )
    .await;
    let off = make_category(&app, course, "Off", 2, json!({"NumberOfGroups": 2})).await;
    assert_eq!(
        rosters(&groups(&app, course, dealt).await),
        vec![vec![l[0], l[2]], vec![l[1]]]
    );
    let a = new_learner(&app, course, "auton.a").await;
    let b = new_learner(&app, course, "auton.b").await;
    let c = new_learner(&app, course, "auton.c").await;
    // Dealt [l0,l2],[l1]: a goes to the smaller second group, then b and c alternate from the
    // first (earliest among equals).
    assert_eq!(
        rosters(&groups(&app, course, dealt).await),
        vec![vec![l[0], l[2], b], vec![l[1], a, c]]
    );
    for cat in [none, selfn] {
        assert_eq!(
            rosters(&groups(&app, course, cat).await),
            vec![vec![a, c], vec![b]],
            "category {cat}"
        );
    }
    assert_eq!(
        rosters(&groups(&app, course, off).await),
        vec![vec![l[0], l[2]], vec![l[1]]],
        "AutoEnroll off: later learners are not placed"
    );

    // Non-learner roles are not placed; a role change to Student is.
    let inst = member(&app, course, "auton.inst", "Instructor").await;
    assert!(!rosters(&groups(&app, course, none).await)
        .concat()
        .contains(&inst));
    app.enroll(inst, course, "Student").await;
    assert_eq!(
        rosters(&groups(&app, course, none).await),
        vec![vec![a, c], vec![b, inst]]
    );
    // Posting the same Student enrollment again places nobody twice.
    app.enroll(a, course, "Student").await;
    assert_eq!(course_member_rows(&app, course, a), 3, "dealt, none, selfn");
    // Enrolling a learner in another org unit places nobody here.
    let elsewhere = app.create_course("AUTO-N-2").await;
    let d = new_learner(&app, elsewhere, "auton.d").await;
    assert!(!rosters(&groups(&app, course, none).await)
        .concat()
        .contains(&d));

    // Turning AutoEnroll on later through PUT: later learners are placed from then on.
    let fetch = json_ok(
        app.put(
            &cat_url(&app, course, off, ""),
            &app.admin,
            &update_form("Off", text(""), true, false, false),
        )
        .await,
    )
    .await;
    assert_eq!(fetch["AutoEnroll"], true);
    let e = new_learner(&app, course, "auton.e").await;
    assert_eq!(
        rosters(&groups(&app, course, off).await),
        vec![vec![l[0], l[2]], vec![l[1], e]]
    );
}

#[actix_web::test]
async fn auto_enroll_people_per_group_fills_the_first_not_full_and_creates_groups() {
    let app = spawn_app().await;
    let course = app.create_course("AUTO-P").await;
    let l = learners(&app, course, "autop.l", 3).await;
    let counted = make_category(
        &app,
        course,
        "Counted",
        1,
        json!({"MaxUsersPerGroup": 2, "AutoEnroll": true}),
    )
    .await;
    let selfp = make_category(
        &app,
        course,
        "SelfP",
        3,
        json!({"MaxUsersPerGroup": 2, "AutoEnroll": true, "GroupPrefix": "Pod"}),
    )
    .await;
    let counted_groups = groups(&app, course, counted).await;
    assert_eq!(rosters(&counted_groups), vec![vec![l[0], l[1]], vec![l[2]]]);
    assert_eq!(rosters(&groups(&app, course, selfp).await).len(), 2);

    let a = new_learner(&app, course, "autop.a").await;
    assert_eq!(
        rosters(&groups(&app, course, counted).await),
        vec![vec![l[0], l[1]], vec![l[2], a]]
    );
    let b = new_learner(&app, course, "autop.b").await;
    let all = groups(&app, course, counted).await;
    assert_eq!(
        rosters(&all),
        vec![vec![l[0], l[1]], vec![l[2], a], vec![b]],
        "all full: a group is created"
    );
    assert_eq!(names(&all)[2], "Counted 3");
    assert_eq!(
        ids(&category(&app, course, counted).await["Groups"]),
        group_ids(&all)
    );
    // Style 3 started empty: a, b fill its first group.
    let c = new_learner(&app, course, "autop.c").await;
    let d = new_learner(&app, course, "autop.d").await;
    let e = new_learner(&app, course, "autop.e").await;
    let pods = groups(&app, course, selfp).await;
    assert_eq!(
        rosters(&pods),
        vec![vec![a, b], vec![c, d], vec![e]],
        "first not full, then a new group"
    );
    assert_eq!(names(&pods), ["Pod 1", "Pod 2", "Pod 3"]);
}

#[actix_web::test]
async fn auto_enroll_with_enrollment_quantity_uses_the_computed_cap() {
    let app = spawn_app().await;
    let course = app.create_course("AUTO-EQ").await;
    let l = learners(&app, course, "autoeq.l", 3).await;
    // ceil(3/2) = 2 per group.
    let cat = make_category(
        &app,
        course,
        "EQ",
        1,
        json!({"EnrollmentQuantity": 2, "MaxUsersPerGroup": 50, "AutoEnroll": true}),
    )
    .await;
    assert_eq!(category(&app, course, cat).await["MaxUsersPerGroup"], 2);
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![vec![l[0], l[1]], vec![l[2]]]
    );
    let a = new_learner(&app, course, "autoeq.a").await;
    let b = new_learner(&app, course, "autoeq.b").await;
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![vec![l[0], l[1]], vec![l[2], a], vec![b]]
    );
}

#[actix_web::test]
async fn auto_enroll_style_5_stays_out_when_all_groups_are_full() {
    let app = spawn_app().await;
    let course = app.create_course("AUTO-5").await;
    let cat = make_category(
        &app,
        course,
        "Fixed",
        5,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 1, "AutoEnroll": true}),
    )
    .await;
    let a = new_learner(&app, course, "auto5.a").await;
    let b = new_learner(&app, course, "auto5.b").await;
    let c = new_learner(&app, course, "auto5.c").await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![vec![a], vec![b]]);
    assert_eq!(
        course_member_rows(&app, course, c),
        0,
        "no room: c stays out"
    );
    assert_eq!(
        category(&app, course, cat).await["Groups"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[actix_web::test]
async fn auto_enroll_style_6_gives_each_new_learner_a_group() {
    let app = spawn_app().await;
    let course = app.create_course("AUTO-6").await;
    let l = learners(&app, course, "auto6.l", 2).await;
    let cat = make_category(&app, course, "Own", 6, json!({"AutoEnroll": true})).await;
    let a = new_learner(&app, course, "auto6.a").await;
    let all = groups(&app, course, cat).await;
    assert_eq!(rosters(&all), vec![vec![l[0]], vec![l[1]], vec![a]]);
    let codes: BTreeSet<String> = all
        .iter()
        .map(|g| g["Code"].as_str().expect("code").to_lowercase())
        .collect();
    assert_eq!(codes.len(), 3);
    // Without AutoEnroll, nothing.
    let off = make_category(&app, course, "Own off", 6, json!({})).await;
    new_learner(&app, course, "auto6.b").await;
    assert_eq!(groups(&app, course, off).await.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Allocation after expiry
// ---------------------------------------------------------------------------------------------

async fn wait_for<F: Fn(&[Vec<i64>]) -> bool>(
    app: &TestApp,
    ou: i64,
    cat: i64,
    done: F,
) -> Vec<Vec<i64>> {
    let start = Instant::now();
    loop {
        let now = rosters(&groups(app, ou, cat).await);
        if done(&now) || start.elapsed() > JOB_TIMEOUT {
            return now;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn allocation_after_expiry_places_unplaced_learners_in_groups_with_room() {
    let app = spawn_app().await;
    let course = app.create_course("EXPIRE").await;
    let l = learners(&app, course, "expire.l", 5).await;
    let expiry = Utc::now() + chrono::Duration::seconds(2);
    let cat = make_category(
        &app,
        course,
        "Expiring",
        3,
        json!({"MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                   "SelfEnrollmentExpiryDate": utc_text(expiry)}),
    )
    .await;
    let before = groups(&app, course, cat).await;
    let g = group_ids(&before);
    assert_eq!(g.len(), 3, "ceil(5/2) empty groups");
    if Utc::now() < expiry - chrono::Duration::milliseconds(500) {
        assert!(rosters(&before).concat().is_empty(), "nobody placed yet");
    }
    // One learner picks their own group before the date; they are left there.
    ok_empty(add_member(&app, &app.admin, course, cat, g[2], l[4]).await).await;

    actix_web::rt::time::sleep(Duration::from_secs(4)).await;
    let after = wait_for(&app, course, cat, |r| r.concat().len() == 5).await;
    assert_eq!(sorted(after.concat()), l, "all placed once: {after:?}");
    assert!(after.iter().all(|r| r.len() <= 2), "{after:?}");
    assert!(
        after[2].contains(&l[4]),
        "kept in their own choice: {after:?}"
    );
    assert_eq!(after, vec![vec![l[0], l[1]], vec![l[2], l[3]], vec![l[4]]]);
}

#[actix_web::test]
async fn allocation_after_expiry_creates_a_group_when_all_are_full() {
    let app = spawn_app().await;
    let course = app.create_course("EXPIRE-GROW").await;
    let l = learners(&app, course, "grow.l", 4).await;
    let expiry = Utc::now() + chrono::Duration::seconds(2);
    let cat = make_category(
        &app,
        course,
        "Grow",
        3,
        json!({"MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                   "SelfEnrollmentExpiryDate": utc_text(expiry)}),
    )
    .await;
    assert_eq!(groups(&app, course, cat).await.len(), 2, "ceil(4/2)");
    // A fifth learner joins after creation (no AutoEnroll): there are now more learners than
    // seats, so allocation must create a third group.
    let late = new_learner(&app, course, "grow.late").await;
    actix_web::rt::time::sleep(Duration::from_secs(4)).await;
    let after = wait_for(&app, course, cat, |r| r.concat().len() == 5).await;
    let mut everyone = l.clone();
    everyone.push(late);
    assert_eq!(sorted(after.concat()), everyone, "{after:?}");
    assert!(after.iter().all(|r| r.len() <= 2), "{after:?}");
    assert_eq!(after.len(), 3, "a third group was created: {after:?}");
    let fetch = category(&app, course, cat).await;
    assert_eq!(ids(&fetch["Groups"]).len(), 3);
}

#[actix_web::test]
async fn allocation_after_expiry_for_style_5_never_exceeds_its_groups() {
    let app = spawn_app().await;
    let course = app.create_course("EXPIRE-5").await;
    let l = learners(&app, course, "exp5.l", 5).await;
    let expiry = Utc::now() + chrono::Duration::seconds(1);
    let cat = make_category(
        &app,
        course,
        "Five",
        5,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 2, "AllocateAfterExpiry": true,
                   "SelfEnrollmentExpiryDate": utc_text(expiry)}),
    )
    .await;
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let after = wait_for(&app, course, cat, |r| r.concat().len() == 4).await;
    assert_eq!(after, vec![vec![l[0], l[1]], vec![l[2], l[3]]]);
    assert_eq!(course_member_rows(&app, course, l[4]), 0);
}

#[actix_web::test]
async fn without_allocate_after_expiry_nobody_is_placed_when_the_date_passes() {
    let app = spawn_app().await;
    let course = app.create_course("EXPIRE-OFF").await;
    learners(&app, course, "expoff.l", 3).await;
    let cat = make_category(&app, course, "Off", 3, json!({"MaxUsersPerGroup": 2,
                   "SelfEnrollmentExpiryDate": utc_text(Utc::now() + chrono::Duration::seconds(1))}))
    .await;
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    assert!(rosters(&groups(&app, course, cat).await)
        .concat()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// 409 while processing
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_write_is_409_while_the_category_is_processing_and_reads_answer_200() {
    let app = spawn_app_with(|settings| settings.job_worker = false).await;
    let course = app.create_course("BUSY").await;
    let l = learners(&app, course, "busy.l", 2).await;
    let job = post_category(
        &app,
        &app.admin,
        course,
        &category_form(
            "Busy",
            json!(2),
            json!({"NumberOfGroups": 2, "AutoEnroll": true}),
        ),
    )
    .await;
    let cat = job["CategoryId"].as_i64().expect("id");
    let status = json_ok(
        app.get(&cat_url(&app, course, cat, "/status"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(status, json!({"Status": 0}));

    // Reads.
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["Groups"], json!([]));
    assert_eq!(fetch["Name"], "Busy");
    let list = json_ok(app.get(&gc(&app, course, "/"), &app.admin).await).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(
        json_ok(
            app.get(&cat_url(&app, course, cat, "/groups/"), &app.admin)
                .await
        )
        .await,
        json!([])
    );

    // Writes: 409, with the group id mattering not at all.
    let some_group = 999_999;
    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PUT,
            cat_url(&app, course, cat, ""),
            Some(update_form("Renamed", text(""), false, false, false)),
        ),
        (Method::DELETE, cat_url(&app, course, cat, ""), None),
        (
            Method::POST,
            cat_url(&app, course, cat, "/groups/"),
            Some(group_form("G", "BUSY-G", text(""))),
        ),
        (
            Method::PUT,
            group_url(&app, course, cat, some_group, ""),
            Some(group_form("G", "BUSY-G", text(""))),
        ),
        (
            Method::DELETE,
            group_url(&app, course, cat, some_group, ""),
            None,
        ),
        (
            Method::POST,
            group_url(&app, course, cat, some_group, "/enrollments/"),
            Some(json!({"UserId": l[0]})),
        ),
        (
            Method::DELETE,
            group_url(
                &app,
                course,
                cat,
                some_group,
                &format!("/enrollments/{}", l[0]),
            ),
            None,
        ),
    ];
    for (method, url, body) in &writes {
        let detail = problem(
            app.send(method.clone(), url, Some(&app.admin), body.as_ref())
                .await,
            409,
        )
        .await;
        assert!(!detail.is_empty(), "{method} {url}");
    }
    // Nothing changed; a new learner is not placed in a category that has no groups yet.
    new_learner(&app, course, "busy.new").await;
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["Name"], "Busy");
    assert_eq!(fetch["Groups"], json!([]));
    assert_eq!(
        json_ok(
            app.get(&cat_url(&app, course, cat, "/status"), &app.admin)
                .await
        )
        .await,
        json!({"Status": 0})
    );
}

// ---------------------------------------------------------------------------------------------
// Deleting
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn deleting_a_category_deletes_its_groups_and_their_memberships_with_their_history() {
    let app = spawn_app().await;
    let course = app.create_course("DELCAT").await;
    let l = learners(&app, course, "delcat.l", 4).await;
    let cat = make_category(&app, course, "Doomed", 1, json!({"MaxUsersPerGroup": 2})).await;
    let other = make_category(&app, course, "Kept", 1, json!({"MaxUsersPerGroup": 4})).await;
    let g = group_ids(&groups(&app, course, cat).await);
    let kept = group_ids(&groups(&app, course, other).await);
    assert_eq!((g.len(), member_rows(&app, g[0])), (2, 2));
    // The learner history before: 4 placements in each category.
    let history = app.lp(&format!("/{course}/memberships/history/"));
    let before = json_ok(app.get(&history, &app.admin).await).await["Items"]
        .as_array()
        .expect("Items")
        .len();
    ok_empty(
        app.delete(&cat_url(&app, course, cat, ""), &app.admin)
            .await,
    )
    .await;
    // Its groups and their memberships are gone; the other category is untouched.
    assert_eq!((member_rows(&app, g[0]), member_rows(&app, g[1])), (0, 0));
    assert_eq!(member_rows(&app, kept[0]), 4);
    for id in &g {
        problem(
            app.get(&group_url(&app, course, cat, *id, ""), &app.admin)
                .await,
            404,
        )
        .await;
    }
    problem(
        app.get(&cat_url(&app, course, cat, ""), &app.admin).await,
        404,
    )
    .await;
    problem(
        app.get(&cat_url(&app, course, cat, "/status"), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&cat_url(&app, course, cat, ""), &app.admin)
            .await,
        404,
    )
    .await;
    let left = json_ok(app.get(&gc(&app, course, "/"), &app.admin).await).await;
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left[0]["GroupCategoryId"], json!(other));
    // The history says who left which group, and by whom.
    let items = json_ok(app.get(&history, &app.admin).await).await["Items"]
        .as_array()
        .expect("Items")
        .clone();
    assert_eq!(items.len(), before + 4);
    let mut removed: Vec<(i64, i64)> = items[..4]
        .iter()
        .map(|e| {
            assert_eq!(e["Change"], "Removed", "{e}");
            assert_eq!(e["Via"], "Api", "{e}");
            (
                e["OrgUnitId"].as_i64().expect("unit"),
                e["UserId"].as_i64().expect("user"),
            )
        })
        .collect();
    removed.sort();
    let mut members: Vec<i64> = removed.iter().map(|(_, user)| *user).collect();
    members.sort();
    let mut want = l.clone();
    want.sort();
    assert_eq!(members, want);
    assert!(
        removed.iter().all(|(unit, _)| g.contains(unit)),
        "{removed:?}"
    );
}

#[actix_web::test]
async fn deleting_a_group_removes_it_and_its_memberships() {
    let app = spawn_app().await;
    let course = app.create_course("DELGRP").await;
    let l = learners(&app, course, "delgrp.l", 4).await;
    let cat = make_category(&app, course, "Pairs", 1, json!({"MaxUsersPerGroup": 2})).await;
    let g = group_ids(&groups(&app, course, cat).await);
    assert_eq!(member_rows(&app, g[0]), 2);
    ok_empty(
        app.delete(&group_url(&app, course, cat, g[0], ""), &app.admin)
            .await,
    )
    .await;
    assert_eq!(member_rows(&app, g[0]), 0);
    problem(
        app.get(&group_url(&app, course, cat, g[0], ""), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.get(
            &group_url(&app, course, cat, g[0], "/enrollments"),
            &app.admin,
        )
        .await,
        404,
    )
    .await;
    problem(
        app.delete(&group_url(&app, course, cat, g[0], ""), &app.admin)
            .await,
        404,
    )
    .await;
    let left = groups(&app, course, cat).await;
    assert_eq!(rosters(&left), vec![vec![l[2], l[3]]]);
    assert_eq!(
        ids(&category(&app, course, cat).await["Groups"]),
        vec![g[1]]
    );
    // The learners stay enrolled in the course.
    for user in [l[0], l[1]] {
        json_ok(
            app.get(
                &app.lp(&format!("/enrollments/orgUnits/{course}/users/{user}")),
                &app.admin,
            )
            .await,
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Groups: create, read, update
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn post_group_creates_one_and_get_answers_it() {
    let app = spawn_app().await;
    let course = app.create_course("NEWGRP").await;
    let cat = make_category(&app, course, "Cat", 0, json!({"NumberOfGroups": 1})).await;
    for url in [
        cat_url(&app, course, cat, "/groups/"),
        cat_url(&app, course, cat, "/groups"),
    ] {
        let code = format!("G-{}", url.len());
        let created = json_ok(
            app.post(&url, &app.admin, &group_form("Extra", &code, text("About")))
                .await,
        )
        .await;
        assert_group(&created);
        assert_eq!(created["Name"], "Extra");
        assert_eq!(created["Code"], code.as_str());
        assert_eq!(
            created["Description"],
            json!({"Text": "About", "Html": "About"})
        );
        assert_eq!(created["Enrollments"], json!([]));
        let id = created["GroupId"].as_i64().expect("id");
        for suffix in ["", "/"] {
            let got = json_ok(
                app.get(&group_url(&app, course, cat, id, suffix), &app.admin)
                    .await,
            )
            .await;
            assert_eq!(got, created);
        }
        assert!(ids(&category(&app, course, cat).await["Groups"]).contains(&id));
    }
    assert_eq!(groups(&app, course, cat).await.len(), 3);
    // Without a description.
    let bare = json_ok(
        app.post(
            &cat_url(&app, course, cat, "/groups/"),
            &app.admin,
            &json!({"Name": "Bare", "Code": "BARE"}),
        )
        .await,
    )
    .await;
    assert_eq!(bare["Description"], json!({"Text": "", "Html": ""}));
}

#[actix_web::test]
async fn put_group_updates_name_code_and_description_and_keeps_members() {
    let app = spawn_app().await;
    let course = app.create_course("PUTGRP").await;
    let l = learners(&app, course, "putgrp.l", 2).await;
    let cat = make_category(&app, course, "Cat", 2, json!({"NumberOfGroups": 2})).await;
    let g = group_ids(&groups(&app, course, cat).await);
    let updated = json_ok(
        app.put(
            &group_url(&app, course, cat, g[0], ""),
            &app.admin,
            &group_form("Renamed", "RENAMED", html("<em>new</em>")),
        )
        .await,
    )
    .await;
    assert_group(&updated);
    assert_eq!(updated["GroupId"], g[0]);
    assert_eq!(updated["Name"], "Renamed");
    assert_eq!(updated["Code"], "RENAMED");
    assert_eq!(updated["Description"]["Text"], "new");
    assert_eq!(updated["Enrollments"], json!([l[0]]));
    assert_eq!(
        json_ok(
            app.get(&group_url(&app, course, cat, g[0], ""), &app.admin)
                .await
        )
        .await,
        updated
    );
    // Its own code again, in another case: fine.
    json_ok(
        app.put(
            &group_url(&app, course, cat, g[0], "/"),
            &app.admin,
            &group_form("Renamed", "renamed", text("")),
        )
        .await,
    )
    .await;
    // The other group's code: 400.
    let detail = problem(
        app.put(
            &group_url(&app, course, cat, g[1], ""),
            &app.admin,
            &group_form("Clash", "RENAMED", text("")),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("Code"), "{detail}");
    problem(
        app.put(
            &group_url(&app, course, cat, 999_999, ""),
            &app.admin,
            &group_form("X", "X", text("")),
        )
        .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn group_names_and_codes_follow_the_rules() {
    let app = spawn_app().await;
    let course = app.create_course("RULES").await;
    let cat = make_category(&app, course, "Cat", 0, json!({"NumberOfGroups": 1})).await;
    let existing = group_ids(&groups(&app, course, cat).await)[0];
    let post = |body: Value| {
        let url = cat_url(&app, course, cat, "/groups/");
        let app = &app;
        async move { app.post(&url, &app.admin, &body).await }
    };
    let put = |body: Value| {
        let url = group_url(&app, course, cat, existing, "");
        let app = &app;
        async move { app.put(&url, &app.admin, &body).await }
    };
    let mut bad: Vec<(Value, &str)> = vec![
        (group_form("", "OK1", text("")), "Name"),
        (group_form("  ", "OK1", text("")), "Name"),
        (group_form("N", "", text("")), "Code"),
        (group_form("N", &"c".repeat(51), text("")), "Code"),
        (group_form("N", " lead", text("")), "Code"),
        (json!({"Name": "N"}), "Code"),
        (json!({"Code": "OK2"}), "Name"),
        (
            group_form("N", "OK3", json!({"Text": "x", "Html": "x"})),
            "Description",
        ),
        // The category's generated group holds "Cat 1".
        (group_form("N", "cat 1", text("")), "Code"),
    ];
    for c in [
        '\\', ':', '*', '?', '"', '<', '>', '|', '\'', '#', ',', '%', '&', '\u{201c}', '\u{201d}',
        '\u{2018}', '\u{2019}',
    ] {
        bad.push((group_form("N", &format!("A{c}B"), text("")), "Code"));
    }
    for (body, field) in &bad {
        let detail = problem(post(body.clone()).await, 400).await;
        assert!(detail.contains(field), "POST {body}: {detail}");
        if body.get("Code").is_some_and(|c| *c != "cat 1") {
            let detail = problem(put(body.clone()).await, 400).await;
            assert!(detail.contains(field), "PUT {body}: {detail}");
        }
    }
    assert_eq!(groups(&app, course, cat).await.len(), 1, "nothing created");
    // Fifty characters and characters outside the list are fine.
    let fifty = "c".repeat(50);
    json_ok(post(group_form("N", &fifty, text(""))).await).await;
    json_ok(post(group_form("N", "a-b_c.d (e) [f] @g", text(""))).await).await;
    // Codes are unique regardless of case, against sections too.
    let detail = problem(
        post(group_form("N", &fifty.to_uppercase(), text(""))).await,
        400,
    )
    .await;
    assert!(detail.contains("Code"), "{detail}");
    let sections = deal_sections(&app, course, 1).await;
    let section_code = sections[0]["Code"].as_str().expect("code").to_string();
    let detail = problem(post(group_form("N", &section_code, text(""))).await, 400).await;
    assert!(detail.contains("Code"), "{detail}");
}

// ---------------------------------------------------------------------------------------------
// PUT category
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn put_category_takes_the_update_form_and_answers_the_fetch_form() {
    let app = spawn_app().await;
    let course = app.create_course("PUTCAT").await;
    let l = learners(&app, course, "putcat.l", 3).await;
    let cat = make_category(
        &app,
        course,
        "Before",
        1,
        json!({"MaxUsersPerGroup": 2, "Description": text("old")}),
    )
    .await;
    let before = category(&app, course, cat).await;
    // Create-form fields in the body are not part of the Update form: ignored.
    let mut body = update_form("After", html("<b>new</b>"), true, true, true);
    body["EnrollmentStyle"] = json!(0);
    body["MaxUsersPerGroup"] = json!(9);
    body["NumberOfGroups"] = json!(9);
    body["RestrictedByOrgUnitId"] = json!(12345);
    let res = app
        .put(&cat_url(&app, course, cat, ""), &app.admin, &body)
        .await;
    let after = json_ok(res).await;
    assert_fetch(&after);
    assert_eq!(after["GroupCategoryId"], cat);
    assert_eq!(after["Name"], "After");
    assert_eq!(
        after["Description"],
        json!({"Text": "new", "Html": "<b>new</b>"})
    );
    assert_eq!(after["AutoEnroll"], true);
    assert_eq!(after["RandomizeEnrollments"], true);
    assert_eq!(after["DescriptionsVisibleToEnrolees"], true);
    for unchanged in [
        "EnrollmentStyle",
        "EnrollmentQuantity",
        "MaxUsersPerGroup",
        "Groups",
        "AllocateAfterExpiry",
        "SelfEnrollmentExpiryDate",
        "RestrictedByOrgUnitId",
    ] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
    }
    assert_eq!(category(&app, course, cat).await, after);
    // Members were not re-dealt.
    assert_eq!(
        rosters(&groups(&app, course, cat).await),
        vec![vec![l[0], l[1]], vec![l[2]]]
    );
    // DescriptionsVisibleToEnrolees defaults to false; Description may be absent.
    let after = json_ok(
        app.put(
            &cat_url(&app, course, cat, "/"),
            &app.admin,
            &json!({"Name": "Again", "AutoEnroll": false, "RandomizeEnrollments": false}),
        )
        .await,
    )
    .await;
    assert_eq!(after["DescriptionsVisibleToEnrolees"], false);
    assert_eq!(after["Name"], "Again");

    // Invalid Update forms: 400 naming the field.
    for (bad, field) in [
        (update_form("", text(""), false, false, false), "Name"),
        (
            update_form(&"n".repeat(201), text(""), false, false, false),
            "Name",
        ),
        (
            json!({"Name": "X", "RandomizeEnrollments": false}),
            "AutoEnroll",
        ),
        (
            json!({"Name": "X", "AutoEnroll": false}),
            "RandomizeEnrollments",
        ),
        (
            json!({"Name": "X", "AutoEnroll": "no", "RandomizeEnrollments": false}),
            "AutoEnroll",
        ),
        (
            update_form("X", json!({"Text": "t", "Html": "t"}), false, false, false),
            "Description",
        ),
    ] {
        let detail = problem(
            app.put(&cat_url(&app, course, cat, ""), &app.admin, &bad)
                .await,
            400,
        )
        .await;
        assert!(detail.contains(field), "{bad}: {detail}");
    }
    assert_eq!(category(&app, course, cat).await["Name"], "Again");
    problem(
        app.put(
            &cat_url(&app, course, 999_999, ""),
            &app.admin,
            &update_form("X", text(""), false, false, false),
        )
        .await,
        404,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Group members
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn group_enrollment_rules() {
    let app = spawn_app().await;
    let course = app.create_course("MEMBERS").await;
    let l = learners(&app, course, "members.l", 2).await;
    let inst = member(&app, course, "members.inst", "Instructor").await;
    let outsider = app.create_user("members.out", "Student").await;
    let cat = make_category(&app, course, "Cat", 0, json!({"NumberOfGroups": 2})).await;
    let g = group_ids(&groups(&app, course, cat).await);

    ok_empty(add_member(&app, &app.admin, course, cat, g[0], l[0]).await).await;
    // Twice: 200, still one membership.
    ok_empty(add_member(&app, &app.admin, course, cat, g[0], l[0]).await).await;
    assert_eq!(member_rows(&app, g[0]), 1);
    // Any user enrolled in the course may be added explicitly (the Instructor too), and a user
    // may be in several groups of a category when added by hand; no trailing slash works too.
    let res = app
        .post(
            &group_url(&app, course, cat, g[0], "/enrollments"),
            &app.admin,
            &json!({"UserId": inst}),
        )
        .await;
    ok_empty(res).await;
    ok_empty(add_member(&app, &app.admin, course, cat, g[1], l[0]).await).await;
    for suffix in ["/enrollments", "/enrollments/"] {
        let got = json_ok(
            app.get(&group_url(&app, course, cat, g[0], suffix), &app.admin)
                .await,
        )
        .await;
        assert_eq!(got, json!([l[0], inst]), "{suffix}");
    }
    let fetched = json_ok(
        app.get(&group_url(&app, course, cat, g[0], ""), &app.admin)
            .await,
    )
    .await;
    assert_eq!(fetched["Enrollments"], json!([l[0], inst]));

    // Not enrolled in the course, nonexistent, another institution's user: 404.
    for user in [outsider, 999_999] {
        problem(
            add_member(&app, &app.admin, course, cat, g[0], user).await,
            404,
        )
        .await;
    }
    // No UserId (or no body at all): "no enrollment parameter", 404 as the reference lists it
    // (compatibility.md); malformed bodies: 400. Nobody was added.
    let url = group_url(&app, course, cat, g[0], "/enrollments/");
    for none in [json!({}), json!({"UserId": null})] {
        problem(app.post(&url, &app.admin, &none).await, 404).await;
    }
    problem(
        app.send(Method::POST, &url, Some(&app.admin), None).await,
        404,
    )
    .await;
    for bad in [json!({"UserId": "x"}), json!({"UserId": -3.5}), json!("x")] {
        problem(app.post(&url, &app.admin, &bad).await, 400).await;
    }
    let res = app
        .client
        .post(&url)
        .bearer_auth(&app.admin)
        .body("{not json")
        .send()
        .await
        .expect("request");
    problem(res, 400).await;
    assert_eq!(member_rows(&app, g[0]), 2);
    // Unknown group, group of another category, unknown category: 404.
    let other = make_category(&app, course, "Other", 0, json!({"NumberOfGroups": 1})).await;
    let other_group = group_ids(&groups(&app, course, other).await)[0];
    for (c, grp) in [
        (cat, 999_999),
        (cat, other_group),
        (999_999, g[0]),
        (other, g[0]),
    ] {
        problem(
            add_member(&app, &app.admin, course, c, grp, l[1]).await,
            404,
        )
        .await;
        problem(
            app.delete(
                &group_url(&app, course, c, grp, &format!("/enrollments/{}", l[0])),
                &app.admin,
            )
            .await,
            404,
        )
        .await;
        problem(
            app.get(&group_url(&app, course, c, grp, "/enrollments"), &app.admin)
                .await,
            404,
        )
        .await;
        problem(
            app.get(&group_url(&app, course, c, grp, ""), &app.admin)
                .await,
            404,
        )
        .await;
    }

    // Removing: a member 200, then 404; a non-member 404.
    let remove = |user: i64| group_url(&app, course, cat, g[0], &format!("/enrollments/{user}"));
    ok_empty(app.delete(&remove(l[0]), &app.admin).await).await;
    problem(app.delete(&remove(l[0]), &app.admin).await, 404).await;
    problem(app.delete(&remove(l[1]), &app.admin).await, 404).await;
    problem(app.delete(&remove(999_999), &app.admin).await, 404).await;
    ok_empty(app.delete(&format!("{}/", remove(inst)), &app.admin).await).await;
    assert_eq!(members(&app, course, cat, g[0]).await, Vec::<i64>::new());
    assert_eq!(members(&app, course, cat, g[1]).await, vec![l[0]]);
}

#[actix_web::test]
async fn removing_a_course_enrollment_removes_group_memberships() {
    let app = spawn_app().await;
    let course = app.create_course("UNENROL").await;
    let l = learners(&app, course, "unenrol.l", 3).await;
    let dealt = make_category(&app, course, "Dealt", 2, json!({"NumberOfGroups": 2})).await;
    let solo = make_category(&app, course, "Solo", 6, json!({})).await;
    assert_eq!(course_member_rows(&app, course, l[0]), 2);
    app.unenroll(l[0], course).await;
    assert_eq!(course_member_rows(&app, course, l[0]), 0);
    assert_eq!(
        rosters(&groups(&app, course, dealt).await),
        vec![vec![l[2]], vec![l[1]]]
    );
    assert_eq!(
        rosters(&groups(&app, course, solo).await),
        vec![vec![], vec![l[1]], vec![l[2]]]
    );
    // No longer in the course: cannot be added back.
    let g = group_ids(&groups(&app, course, dealt).await);
    problem(
        add_member(&app, &app.admin, course, dealt, g[0], l[0]).await,
        404,
    )
    .await;
    // The mirror route too.
    json_ok(
        app.delete(
            &app.lp(&format!("/enrollments/orgUnits/{course}/users/{}", l[1])),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(course_member_rows(&app, course, l[1]), 0);
}

// ---------------------------------------------------------------------------------------------
// Status codes: unknown org units, categories, other courses
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn no_such_org_unit_is_400_or_404_as_the_reference_lists() {
    let app = spawn_app().await;
    let (course, cat, group, learner) = populated_course(&app, "NOSUCH").await;
    let (other_admin, other_course) = other_institution(&app).await;
    // Unknown; another institution's course; the root (not a course offering); a group.
    for ou in [999_999, other_course, ROOT, group] {
        for call in every_route(&app, ou, cat, group, learner) {
            let res = send(&app, &call, Some(&app.admin)).await;
            let detail = problem(res, call.no_such_org_unit).await;
            assert!(!detail.is_empty(), "{} on {ou}", call.name);
        }
    }
    // The other institution's admin cannot reach this institution's course either.
    for call in every_route(&app, course, cat, group, learner) {
        let res = send(&app, &call, Some(&other_admin)).await;
        problem(res, call.no_such_org_unit).await;
    }
    // Nothing changed.
    assert_eq!(members(&app, course, cat, group).await, vec![learner]);
}

#[actix_web::test]
async fn unknown_or_foreign_categories_are_404_on_every_category_route() {
    let app = spawn_app().await;
    let (course, cat, group, learner) = populated_course(&app, "FOREIGN").await;
    let other_course = app.create_course("FOREIGN-2").await;
    app.enroll(learner, other_course, "Student").await;
    let other_cat =
        make_category(&app, other_course, "There", 0, json!({"NumberOfGroups": 1})).await;
    let other_group = group_ids(&groups(&app, other_course, other_cat).await)[0];
    // An unknown category; a category of another course named through this one; this course's
    // category named through the other course.
    for (ou, c, g) in [
        (course, 999_999, group),
        (course, other_cat, other_group),
        (other_course, cat, group),
    ] {
        for call in every_route(&app, ou, c, g, learner)
            .into_iter()
            .filter(|c| !c.name.contains("categories") && c.name != "POST category")
        {
            let res = send(&app, &call, Some(&app.admin)).await;
            problem(res, 404).await;
        }
    }
    // The category routes with an unknown group: 404 on the group routes.
    for call in every_route(&app, course, cat, 999_999, learner)
        .into_iter()
        .filter(|c| c.url.contains("/groups/999999"))
    {
        let res = send(&app, &call, Some(&app.admin)).await;
        problem(res, 404).await;
    }
    assert_eq!(members(&app, course, cat, group).await, vec![learner]);
    assert_eq!(category(&app, course, cat).await["Name"], "Base");
}

#[actix_web::test]
async fn ids_that_are_not_positive_integers_name_nothing() {
    let app = spawn_app().await;
    let (course, cat, _, _) = populated_course(&app, "BADIDS").await;
    for url in [
        app.lp("/abc/groupcategories/"),
        app.lp(&format!("/{course}/groupcategories/abc")),
        app.lp(&format!("/{course}/groupcategories/0/status")),
        app.lp(&format!("/{course}/groupcategories/-1")),
        app.lp(&format!("/{course}/groupcategories/{cat}/groups/xyz")),
        app.lp(&format!(
            "/{course}/groupcategories/{cat}/groups/1.5/enrollments"
        )),
    ] {
        let status = status_of(app.get(&url, &app.admin).await).await;
        assert_eq!(status, 404, "{url}");
    }
}

// ---------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_instructor_manages_categories_groups_and_members() {
    let app = spawn_app().await;
    let course = app.create_course("INSTR").await;
    let l = learners(&app, course, "instr.l", 2).await;
    member(&app, course, "instr.i", "Instructor").await;
    let token = app.token_for("instr.i", ALL);
    let job = post_category(
        &app,
        &token,
        course,
        &category_form("Mine", json!(2), json!({"NumberOfGroups": 1})),
    )
    .await;
    let cat = job["CategoryId"].as_i64().expect("id");
    wait_complete(&app, course, cat).await;
    json_ok(app.get(&gc(&app, course, "/"), &token).await).await;
    json_ok(app.get(&cat_url(&app, course, cat, ""), &token).await).await;
    json_ok(
        app.get(&cat_url(&app, course, cat, "/status"), &token)
            .await,
    )
    .await;
    json_ok(
        app.put(
            &cat_url(&app, course, cat, ""),
            &token,
            &update_form("Mine!", text(""), false, false, false),
        )
        .await,
    )
    .await;
    let all = json_ok(
        app.get(&cat_url(&app, course, cat, "/groups/"), &token)
            .await,
    )
    .await;
    let first = all[0]["GroupId"].as_i64().expect("id");
    let g = json_ok(
        app.post(
            &cat_url(&app, course, cat, "/groups/"),
            &token,
            &group_form("Extra", "INSTR-X", text("")),
        )
        .await,
    )
    .await;
    let g = g["GroupId"].as_i64().expect("id");
    json_ok(app.get(&group_url(&app, course, cat, g, ""), &token).await).await;
    json_ok(
        app.put(
            &group_url(&app, course, cat, g, ""),
            &token,
            &group_form("Extra!", "INSTR-Y", text("")),
        )
        .await,
    )
    .await;
    ok_empty(add_member(&app, &token, course, cat, g, l[0]).await).await;
    json_ok(
        app.get(&group_url(&app, course, cat, g, "/enrollments"), &token)
            .await,
    )
    .await;
    ok_empty(
        app.delete(
            &group_url(&app, course, cat, g, &format!("/enrollments/{}", l[0])),
            &token,
        )
        .await,
    )
    .await;
    for id in [g, first] {
        ok_empty(
            app.delete(&group_url(&app, course, cat, id, ""), &token)
                .await,
        )
        .await;
    }
    ok_empty(app.delete(&cat_url(&app, course, cat, ""), &token).await).await;
    problem(app.get(&cat_url(&app, course, cat, ""), &token).await, 404).await;
}

#[actix_web::test]
async fn a_teaching_assistant_reads_and_manages_members_but_not_categories_or_groups() {
    let app = spawn_app().await;
    let (course, cat, group, learner) = populated_course(&app, "TA").await;
    member(&app, course, "ta.user", "Teaching Assistant").await;
    let token = app.token_for("ta.user", ALL);
    for call in every_route(&app, course, cat, group, learner) {
        let res = send(&app, &call, Some(&token)).await;
        match call.method {
            Method::GET => {
                json_ok(res).await;
            }
            _ if call.name.contains("enrollment") => {
                ok_empty(res).await;
            }
            _ => {
                let detail = problem(res, 403).await;
                assert!(detail.contains("groups.manage"), "{}: {detail}", call.name);
            }
        }
    }
    // The member was removed again (POST then DELETE); nothing else changed.
    assert_eq!(members(&app, course, cat, group).await, Vec::<i64>::new());
    let fetch = category(&app, course, cat).await;
    assert_eq!(fetch["Name"], "Base");
    assert_eq!(ids(&fetch["Groups"]), vec![group]);
    assert_eq!(
        json_ok(app.get(&gc(&app, course, "/"), &app.admin).await)
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[actix_web::test]
async fn students_and_users_outside_the_course_get_403_on_every_groups_route() {
    let app = spawn_app().await;
    let (course, cat, group, learner) = populated_course(&app, "STUDENT").await;
    let student = app.token_for("student.l00", ALL);
    // An Instructor of another course, and an Administrator-free user of no course.
    let elsewhere = app.create_course("STUDENT-2").await;
    member(&app, elsewhere, "student.inst", "Instructor").await;
    let outsider_instructor = app.token_for("student.inst", ALL);
    app.create_user("student.nobody", "Student").await;
    let nobody = app.token_for("student.nobody", ALL);
    for token in [&student, &outsider_instructor, &nobody] {
        for call in every_route(&app, course, cat, group, learner) {
            let res = send(&app, &call, Some(token)).await;
            let detail = problem(res, 403).await;
            assert!(
                !detail.contains("Insufficient scope"),
                "{}: {detail}",
                call.name
            );
        }
    }
    assert_eq!(members(&app, course, cat, group).await, vec![learner]);
    assert_eq!(groups(&app, course, cat).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Scopes, authentication, rate limits
// ---------------------------------------------------------------------------------------------

const GROUP_SCOPES: [&str; 6] = [
    "groups:group:read",
    "groups:group:create",
    "groups:group:update",
    "groups:group:delete",
    "groups:enrollment:create",
    "groups:enrollment:delete",
];

#[actix_web::test]
async fn each_route_needs_exactly_its_scope() {
    let app = spawn_app().await;
    let course = app.create_course("SCOPES").await;
    let learner = learners(&app, course, "scopes.l", 1).await[0];

    // Only groups:group:read: reads work, POST is refused.
    let read_only = app.token_for("admin", "groups:group:read");
    json_ok(app.get(&gc(&app, course, "/"), &read_only).await).await;
    let detail = problem(
        app.post(
            &gc(&app, course, "/"),
            &read_only,
            &category_form("No", json!(0), json!({"NumberOfGroups": 1})),
        )
        .await,
        403,
    )
    .await;
    assert!(detail.contains("Insufficient scope to call"), "{detail}");

    // Walk every route in an order where each succeeds, first refused with every groups scope
    // but its own, then accepted with its own alone.
    let job = post_category(
        &app,
        &app.token_for("admin", "groups:group:create"),
        course,
        &category_form("Scoped", json!(0), json!({"NumberOfGroups": 1})),
    )
    .await;
    let cat = job["CategoryId"].as_i64().expect("id");
    wait_complete(&app, course, cat).await;
    let first = group_ids(&groups(&app, course, cat).await)[0];
    let created = json_ok(
        app.post(
            &cat_url(&app, course, cat, "/groups/"),
            &app.token_for("admin", "groups:group:create"),
            &group_form("Made", "SCOPES-M", text("")),
        )
        .await,
    )
    .await;
    let group = created["GroupId"].as_i64().expect("id");
    let routes = every_route(&app, course, cat, group, learner);
    let order = [
        "GET categories",
        "POST category",
        "GET category",
        "GET status",
        "PUT category",
        "GET groups",
        "POST group",
        "GET group",
        "PUT group",
        "POST enrollment",
        "GET enrollments",
        "DELETE enrollment",
        "DELETE group",
    ];
    for name in order {
        let call = routes.iter().find(|c| c.name == name).expect("route");
        let others: Vec<&str> = GROUP_SCOPES
            .iter()
            .copied()
            .filter(|s| *s != call.scope)
            .collect();
        let denied = app.token_for("admin", &others.join(" "));
        let detail = problem(send(&app, call, Some(&denied)).await, 403).await;
        assert!(
            detail.contains("Insufficient scope to call"),
            "{name}: {detail}"
        );
        let allowed = app.token_for("admin", call.scope);
        let res = send(&app, call, Some(&allowed)).await;
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let want = if name == "POST category" { 202 } else { 200 };
        assert_eq!(status, want, "{name} with {}: {text}", call.scope);
    }
    // Delete the remaining groups (the generated one and the one POST group made) and the
    // category with the delete scope alone.
    let delete = app.token_for("admin", "groups:group:delete");
    let left = group_ids(&groups(&app, course, cat).await);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&first) && !left.contains(&group));
    for id in left {
        ok_empty(
            app.delete(&group_url(&app, course, cat, id, ""), &delete)
                .await,
        )
        .await;
    }
    let call = routes
        .iter()
        .find(|c| c.name == "DELETE category")
        .expect("route");
    let others: Vec<&str> = GROUP_SCOPES
        .iter()
        .copied()
        .filter(|s| *s != call.scope)
        .collect();
    problem(
        send(&app, call, Some(&app.token_for("admin", &others.join(" ")))).await,
        403,
    )
    .await;
    ok_empty(send(&app, call, Some(&delete)).await).await;

    // Wildcards and the comma form.
    for scope in [
        "groups:*:*",
        "*:*:read",
        "groups:group:read,create",
        "core:*:*",
    ] {
        json_ok(
            app.get(&gc(&app, course, "/"), &app.token_for("admin", scope))
                .await,
        )
        .await;
    }
    let comma = app.token_for("admin", "groups:group:read,update");
    problem(
        app.post(
            &gc(&app, course, "/"),
            &comma,
            &category_form("No", json!(0), json!({"NumberOfGroups": 1})),
        )
        .await,
        403,
    )
    .await;
    // Other products' scopes do not reach groups.
    let sections_only = app.token_for("admin", "sections:*:*");
    problem(app.get(&gc(&app, course, "/"), &sections_only).await, 403).await;
}

#[actix_web::test]
async fn every_groups_route_is_401_without_a_valid_token() {
    let app = spawn_app().await;
    let (course, cat, group, learner) = populated_course(&app, "ANON").await;
    let expired = mint(&app.state, "admin", ALL, -120);
    for call in every_route(&app, course, cat, group, learner) {
        problem(send(&app, &call, None).await, 401).await;
        problem(send(&app, &call, Some("not-a-token")).await, 401).await;
        problem(send(&app, &call, Some(&expired)).await, 401).await;
    }
    assert_eq!(members(&app, course, cat, group).await, vec![learner]);
}

#[actix_web::test]
async fn groups_routes_are_rate_limited() {
    let app = spawn_app_with_rate_limit(40, 10).await;
    let course = app.create_course("RATE").await;
    let mut answered = 0;
    let mut limited = None;
    for _ in 0..10 {
        let res = app.get(&gc(&app, course, "/"), &app.admin).await;
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
        assert_eq!(
            res.headers()
                .get("x-request-cost")
                .and_then(|v| v.to_str().ok()),
            Some("10")
        );
        assert!(res.headers().get("x-rate-limit-remaining").is_some());
        json_ok(res).await;
        answered += 1;
    }
    assert!(answered >= 1, "some calls pass before the limit");
    let res = limited.expect("the bucket runs dry within ten calls");
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("429 carries Retry-After");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    problem(res, 429).await;
    let res = app
        .post(
            &gc(&app, course, "/"),
            &app.admin,
            &category_form("Late", json!(0), json!({"NumberOfGroups": 1})),
        )
        .await;
    problem(res, 429).await;
    problem(
        app.get(&cat_url(&app, course, 1, "/status"), &app.admin)
            .await,
        429,
    )
    .await;
}

#[actix_web::test]
async fn groups_routes_answer_on_every_served_version_and_404_above_the_latest() {
    let app = spawn_app().await;
    let (course, cat, _, _) = populated_course(&app, "VERSIONS").await;
    // Supported, unstable, deprecated, and obsolete (LP 1.31, which Hypothesis calls).
    for version in ["1.46", "1.63", "unstable", "1.43", "1.31"] {
        let url = app.url(&format!(
            "/d2l/api/lp/{version}/{course}/groupcategories/{cat}"
        ));
        let mut fetch = json_ok(app.get(&url, &app.admin).await).await;
        // LP 1.53 and later add two keys (tests/it/categories_2026.rs).
        if matches!(version, "1.63" | "unstable") {
            let fields = fetch.as_object_mut().expect("object");
            assert!(
                fields.remove("SelfEnrollmentStartDate").is_some(),
                "{version}"
            );
            assert!(fields.remove("GroupPrefix").is_some(), "{version}");
        }
        assert_fetch(&fetch);
    }
    for version in ["1.64", "2.0", "abc"] {
        let url = app.url(&format!("/d2l/api/lp/{version}/{course}/groupcategories/"));
        problem(app.get(&url, &app.admin).await, 404).await;
    }
}
