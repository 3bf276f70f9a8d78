use crate::common;
use common::*;

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;
use serde_json::{json, Value};

const WHOAMI_KEYS: &[&str] = &[
    "Identifier",
    "FirstName",
    "LastName",
    "UniqueName",
    "ProfileIdentifier",
    "Pronouns",
];
const USER_DATA_KEYS: &[&str] = &[
    "OrgId",
    "UserId",
    "FirstName",
    "MiddleName",
    "LastName",
    "UserName",
    "ExternalEmail",
    "OrgDefinedId",
    "UniqueIdentifier",
    "Activation",
    "LastAccessedDate",
    "Pronouns",
    "DisplayName",
];
const COURSE_KEYS: &[&str] = &[
    "Identifier",
    "Name",
    "Code",
    "IsActive",
    "CanSelfRegister",
    "Description",
    "Path",
    "StartDate",
    "EndDate",
    "CourseTemplate",
    "Semester",
    "Department",
];
const ENROLLMENT_KEYS: &[&str] = &["OrgUnitId", "UserId", "RoleId", "IsCascading"];
const PAGED_KEYS: &[&str] = &["PagingInfo", "Items"];
const PAGING_INFO_KEYS: &[&str] = &["Bookmark", "HasMoreItems"];
const ORG_UNIT_USER_KEYS: &[&str] = &["User", "Role"];
const OU_USER_INFO_KEYS: &[&str] = &[
    "Identifier",
    "DisplayName",
    "EmailAddress",
    "OrgDefinedId",
    "ProfileBadgeUrl",
    "ProfileIdentifier",
    "UserName",
];
const ROLE_INFO_KEYS: &[&str] = &["Id", "Code", "Name"];
const MY_ORG_UNIT_KEYS: &[&str] = &["OrgUnit", "Access", "PinDate"];
const MY_OU_KEYS: &[&str] = &["Id", "Type", "Name", "Code", "HomeUrl", "ImageUrl"];
const ACCESS_KEYS: &[&str] = &[
    "IsActive",
    "StartDate",
    "EndDate",
    "CanAccess",
    "ClasslistRoleName",
    "LISRoles",
    "LastAccessed",
];
const ROLE_KEYS: &[&str] = &["Identifier", "DisplayName", "Code"];

const ALL: &str = "*:*:*";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn items(page: &Value) -> &Vec<Value> {
    page["Items"].as_array().expect("Items array")
}

fn id_of(v: &Value) -> i64 {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string id, got {v}"))
        .parse()
        .expect("numeric id")
}

/// Posts a user with a known role id (no role lookup), answering the UserData.
async fn post_user(app: &TestApp, token: &str, body: &Value) -> Value {
    json_ok(app.post(&app.lp("/users/"), token, body).await).await
}

async fn enroll_as(app: &TestApp, token: &str, ou: i64, user: i64, role: i64) -> reqwest::Response {
    let body = json!({"OrgUnitId": ou, "UserId": user, "RoleId": role});
    app.post(&app.lp("/enrollments/"), token, &body).await
}

fn enrollments_url(app: &TestApp, ou: i64) -> String {
    app.lp(&format!("/enrollments/orgUnits/{ou}/users/"))
}

fn enrollment_url(app: &TestApp, ou: i64, user: i64) -> String {
    app.lp(&format!("/enrollments/orgUnits/{ou}/users/{user}"))
}

/// User ids listed on one page of an org unit's enrollments.
fn listed_users(page: &Value) -> BTreeSet<i64> {
    items(page)
        .iter()
        .map(|i| id_of(&i["User"]["Identifier"]))
        .collect()
}

async fn role_ids(app: &TestApp) -> HashMap<String, i64> {
    let roles = json_ok(app.get(&app.lp("/roles/"), &app.admin).await).await;
    roles
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| {
            (
                r["DisplayName"].as_str().expect("name").to_string(),
                id_of(&r["Identifier"]),
            )
        })
        .collect()
}

fn enrollment_rows_in(app: &TestApp, ou: i64) -> i64 {
    use d2l_groups::schema::enrollments;
    app.state
        .db
        .read_sync(|conn| {
            Ok(enrollments::table
                .filter(enrollments::org_unit_id.eq(ou))
                .count()
                .get_result::<i64>(conn)?)
        })
        .expect("count enrollments")
}

// ---------------------------------------------------------------------------------------------
// 1. Users
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn whoami_has_exactly_the_six_keys_and_a_string_identifier() {
    let app = spawn_app().await;
    let me = json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    assert_keys(&me, WHOAMI_KEYS);
    assert!(me["Identifier"].is_string(), "{me}");
    assert_eq!(me["UniqueName"], "admin");
    assert_eq!(me["FirstName"], "Admin");
    assert_eq!(me["LastName"], "User");
    assert!(me["ProfileIdentifier"].is_string(), "{me}");
    assert!(me["Pronouns"].is_null(), "{me}");

    // Another user's whoami names that user.
    let id = app.create_user("whoami.student", "Student").await;
    let token = app.token_for("whoami.student", "users:own_profile:read");
    let me = json_ok(app.get(&app.lp("/users/whoami"), &token).await).await;
    assert_keys(&me, WHOAMI_KEYS);
    assert_eq!(me["Identifier"], id.to_string());
    assert_eq!(me["UniqueName"], "whoami.student");
}

#[actix_web::test]
async fn create_user_answers_user_data_and_get_by_id_matches() {
    let app = spawn_app().await;
    let student = app.role_id("Student").await;
    let body = json!({
        "OrgDefinedId": "ODI-7", "FirstName": "Ada", "MiddleName": "King", "LastName": "Lovelace",
        "ExternalEmail": "ada@example.edu", "UserName": "Ada.Lovelace", "RoleId": student,
        "IsActive": true, "SendCreationEmail": false, "Pronouns": "she/her"
    });
    let user = post_user(&app, &app.admin, &body).await;
    assert_keys(&user, USER_DATA_KEYS);
    assert_keys(&user["Activation"], &["IsActive"]);
    assert_eq!(user["Activation"]["IsActive"], true);
    assert_eq!(user["DisplayName"], "Ada Lovelace");
    assert_eq!(user["OrgId"], ROOT);
    assert_eq!(user["UserName"], "Ada.Lovelace");
    assert_eq!(user["UniqueIdentifier"], "Ada.Lovelace");
    assert_eq!(user["FirstName"], "Ada");
    assert_eq!(user["MiddleName"], "King");
    assert_eq!(user["LastName"], "Lovelace");
    assert_eq!(user["ExternalEmail"], "ada@example.edu");
    assert_eq!(user["OrgDefinedId"], "ODI-7");
    assert_eq!(user["Pronouns"], "she/her");
    assert!(user["LastAccessedDate"].is_null(), "{user}");
    let id = user["UserId"].as_i64().expect("UserId is a number");

    let fetched = json_ok(app.get(&app.lp(&format!("/users/{id}")), &app.admin).await).await;
    assert_eq!(fetched, user);

    // The new user was enrolled at the root with the role given.
    let root_enrollment = json_ok(app.get(&enrollment_url(&app, ROOT, id), &app.admin).await).await;
    assert_eq!(root_enrollment["RoleId"], student);
}

#[actix_web::test]
async fn user_name_lookup_is_case_insensitive_and_unknown_is_404() {
    let app = spawn_app().await;
    let id = app.create_user("Grace.Hopper", "Student").await;
    for name in ["Grace.Hopper", "grace.hopper", "GRACE.HOPPER"] {
        let user = json_ok(
            app.get(&app.lp(&format!("/users/?userName={name}")), &app.admin)
                .await,
        )
        .await;
        assert_keys(&user, USER_DATA_KEYS);
        assert_eq!(user["UserId"], id, "{name}");
        assert_eq!(user["UserName"], "Grace.Hopper");
    }
    let detail = problem(
        app.get(&app.lp("/users/?userName=nobody.here"), &app.admin)
            .await,
        404,
    )
    .await;
    assert!(detail.contains("nobody.here"), "{detail}");
}

#[actix_web::test]
async fn user_list_without_filter_is_a_paged_result_set() {
    let app = spawn_app().await;
    let a = app.create_user("list.a", "Student").await;
    let b = app.create_user("list.b", "Instructor").await;
    let page = json_ok(app.get(&app.lp("/users/"), &app.admin).await).await;
    assert_keys(&page, PAGED_KEYS);
    assert_keys(&page["PagingInfo"], PAGING_INFO_KEYS);
    assert_eq!(page["PagingInfo"]["HasMoreItems"], false);
    let list = items(&page);
    assert_eq!(list.len(), 3, "admin, list.a, list.b: {page}");
    for u in list {
        assert_keys(u, USER_DATA_KEYS);
    }
    let ids: Vec<i64> = list
        .iter()
        .map(|u| u["UserId"].as_i64().expect("integer"))
        .collect();
    assert!(ids.contains(&a) && ids.contains(&b), "{ids:?}");
    assert_eq!(list[0]["UserName"], "admin");
    assert_eq!(
        page["PagingInfo"]["Bookmark"],
        list.last().expect("an item")["UserId"].to_string()
    );
}

#[actix_web::test]
async fn user_search_by_org_defined_id_answers_an_array() {
    let app = spawn_app().await;
    let student = app.role_id("Student").await;
    let mut ids = Vec::new();
    for (name, odi) in [
        ("odi.a", "SHARED1"),
        ("odi.b", "SHARED1"),
        ("odi.c", "OTHER2"),
    ] {
        let mut body = user_body(name, student);
        body["OrgDefinedId"] = json!(odi);
        ids.push(post_user(&app, &app.admin, &body).await["UserId"].clone());
    }
    let found = json_ok(
        app.get(&app.lp("/users/?orgDefinedId=SHARED1"), &app.admin)
            .await,
    )
    .await;
    let found = found.as_array().expect("an array, not a paged set");
    assert_eq!(found.len(), 2, "{found:?}");
    for u in found {
        assert_keys(u, USER_DATA_KEYS);
        assert_eq!(u["OrgDefinedId"], "SHARED1");
    }
    assert_eq!(found[0]["UserId"], ids[0]);
    assert_eq!(found[1]["UserId"], ids[1]);

    let none = json_ok(
        app.get(&app.lp("/users/?orgDefinedId=NOPE9"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(none, json!([]));
}

#[actix_web::test]
async fn create_user_rejects_invalid_input_naming_the_field() {
    let app = spawn_app().await;
    let student = app.role_id("Student").await;
    post_user(&app, &app.admin, &user_body("Dup.User", student)).await;

    let detail = problem(
        app.post(
            &app.lp("/users/"),
            &app.admin,
            &user_body("dup.USER", student),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("UserName"), "{detail}");

    let mut bad_email = user_body("bad.email", student);
    bad_email["ExternalEmail"] = json!("not-an-address");
    let detail = problem(
        app.post(&app.lp("/users/"), &app.admin, &bad_email).await,
        400,
    )
    .await;
    assert!(detail.contains("ExternalEmail"), "{detail}");

    let detail = problem(
        app.post(
            &app.lp("/users/"),
            &app.admin,
            &user_body("bad.role", 999_999),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("RoleId"), "{detail}");

    let mut missing = user_body("no.first", student);
    missing.as_object_mut().expect("object").remove("FirstName");
    let detail = problem(
        app.post(&app.lp("/users/"), &app.admin, &missing).await,
        400,
    )
    .await;
    assert!(detail.contains("FirstName"), "{detail}");

    let mut blank = user_body("blank.first", student);
    blank["FirstName"] = json!("   ");
    let detail = problem(app.post(&app.lp("/users/"), &app.admin, &blank).await, 400).await;
    assert!(detail.contains("FirstName"), "{detail}");

    // None of the rejected users exists.
    for name in ["bad.email", "bad.role", "no.first", "blank.first"] {
        problem(
            app.get(&app.lp(&format!("/users/?userName={name}")), &app.admin)
                .await,
            404,
        )
        .await;
    }
    let page = json_ok(app.get(&app.lp("/users/"), &app.admin).await).await;
    assert_eq!(items(&page).len(), 2, "admin and Dup.User only: {page}");
}

#[actix_web::test]
async fn student_reads_itself_but_not_others_and_cannot_create_users() {
    let app = spawn_app().await;
    let me = app.create_user("self.reader", "Student").await;
    let other = app.create_user("other.person", "Student").await;
    let token = app.token_for("self.reader", ALL);

    let user = json_ok(app.get(&app.lp(&format!("/users/{me}")), &token).await).await;
    assert_keys(&user, USER_DATA_KEYS);
    assert_eq!(user["UserId"], me);
    assert_eq!(user["UserName"], "self.reader");

    problem(
        app.get(&app.lp(&format!("/users/{other}")), &token).await,
        403,
    )
    .await;
    let student = app.role_id("Student").await;
    problem(
        app.post(&app.lp("/users/"), &token, &user_body("sneaky", student))
            .await,
        403,
    )
    .await;
    problem(
        app.get(&app.lp("/users/?userName=sneaky"), &app.admin)
            .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn unknown_user_id_is_404() {
    let app = spawn_app().await;
    let detail = problem(app.get(&app.lp("/users/98765432"), &app.admin).await, 404).await;
    assert!(detail.contains("98765432"), "{detail}");
    problem(
        app.get(&app.lp("/users/not-a-number"), &app.admin).await,
        404,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 2. Courses
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_course_answers_course_offering_with_sanitized_description() {
    let app = spawn_app().await;
    let mut body = course_body("BIO-101_A.2026");
    body["Name"] = json!("Biology 101");
    body["Path"] = json!("/content/bio101/");
    body["StartDate"] = json!("2026-01-31T05:00:00Z");
    body["EndDate"] = json!("2026-06-30T04:00:00.250Z");
    body["Description"] = json!({
        "Content": "<p onclick=\"x()\">Hello <b>world</b><script>alert(1)</script></p>",
        "Type": "Html"
    });
    let course = json_ok(app.post(&app.lp("/courses/"), &app.admin, &body).await).await;
    assert_keys(&course, COURSE_KEYS);
    let id = id_of(&course["Identifier"]);
    assert!(id > ROOT, "{course}");
    assert_eq!(course["Name"], "Biology 101");
    assert_eq!(course["Code"], "BIO-101_A.2026");
    assert_eq!(course["IsActive"], true);
    assert_eq!(course["CanSelfRegister"], false);
    assert_eq!(course["Path"], "/content/bio101/");
    assert_eq!(course["StartDate"], "2026-01-31T05:00:00.000Z");
    assert_eq!(course["EndDate"], "2026-06-30T04:00:00.250Z");
    assert!(course["CourseTemplate"].is_null(), "{course}");
    assert!(course["Semester"].is_null(), "{course}");
    assert!(course["Department"].is_null(), "{course}");
    let description = &course["Description"];
    assert_keys(description, &["Text", "Html"]);
    let html = description["Html"].as_str().expect("Html");
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("alert"), "{html}");
    assert!(!html.contains("onclick"), "{html}");
    assert!(html.contains("<b>world</b>"), "{html}");
    assert_eq!(description["Text"], "Hello world");

    let fetched = json_ok(
        app.get(&app.lp(&format!("/courses/{id}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(fetched, course);

    // A plain-text description is escaped into its HTML form.
    let mut text = course_body("TXT-1");
    text["Description"] = json!({"Content": "a < b & c", "Type": "Text"});
    let course = json_ok(app.post(&app.lp("/courses/"), &app.admin, &text).await).await;
    assert_eq!(course["Description"]["Text"], "a < b & c");
    assert_eq!(course["Description"]["Html"], "a &lt; b &amp; c");
    assert!(course["StartDate"].is_null() && course["EndDate"].is_null());
}

#[actix_web::test]
async fn course_codes_follow_brightspace_rules() {
    let app = spawn_app().await;
    let fifty = "C".repeat(50);
    let ok = json_ok(
        app.post(&app.lp("/courses/"), &app.admin, &course_body(&fifty))
            .await,
    )
    .await;
    assert_eq!(ok["Code"], fifty.as_str());

    let mut bad: Vec<String> = vec![String::new(), "C".repeat(51), "A\nB".into()];
    for c in [
        '\\', ':', '*', '?', '"', '<', '>', '|', '\'', '#', ',', '%', '&', '\u{201c}', '\u{201d}',
        '\u{2018}', '\u{2019}',
    ] {
        bad.push(format!("BAD{c}CODE"));
    }
    for code in &bad {
        let detail = problem(
            app.post(&app.lp("/courses/"), &app.admin, &course_body(code))
                .await,
            400,
        )
        .await;
        assert!(detail.contains("Code"), "{code:?}: {detail}");
    }
    // Only the valid offering exists.
    let mine = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=3"),
            &app.admin,
        )
        .await,
    )
    .await;
    assert!(items(&mine).is_empty(), "admin has no course enrollments");
    let next = app.create_course("NEXT-1").await;
    assert_eq!(
        next,
        id_of(&ok["Identifier"]) + 1,
        "no rejected code was inserted"
    );
}

#[actix_web::test]
async fn course_duplicate_code_unknown_template_and_reversed_dates_are_400() {
    let app = spawn_app().await;
    app.create_course("DUP-1").await;
    let detail = problem(
        app.post(&app.lp("/courses/"), &app.admin, &course_body("DUP-1"))
            .await,
        400,
    )
    .await;
    assert!(detail.contains("Code"), "{detail}");
    // Codes are unique regardless of case, and may not be padded with spaces.
    for clash in ["dup-1", " DUP-2"] {
        let detail = problem(
            app.post(&app.lp("/courses/"), &app.admin, &course_body(clash))
                .await,
            400,
        )
        .await;
        assert!(detail.starts_with("Code:"), "{clash:?}: {detail}");
    }

    let mut template = course_body("TPL-1");
    template["CourseTemplateId"] = json!(999_999);
    let detail = problem(
        app.post(&app.lp("/courses/"), &app.admin, &template).await,
        400,
    )
    .await;
    assert!(detail.contains("CourseTemplateId"), "{detail}");

    let mut dates = course_body("DATES-1");
    dates["StartDate"] = json!("2026-06-01T00:00:00.000Z");
    dates["EndDate"] = json!("2026-01-01T00:00:00.000Z");
    let detail = problem(
        app.post(&app.lp("/courses/"), &app.admin, &dates).await,
        400,
    )
    .await;
    assert!(detail.contains("EndDate"), "{detail}");

    // Rejected codes remain free.
    app.create_course("TPL-1").await;
    app.create_course("DATES-1").await;
}

#[actix_web::test]
async fn root_org_unit_is_not_a_course() {
    let app = spawn_app().await;
    problem(
        app.get(&app.lp(&format!("/courses/{ROOT}")), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&app.lp(&format!("/courses/{ROOT}")), &app.admin)
            .await,
        404,
    )
    .await;
    // The root is still there: the admin still works.
    json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    app.create_course("AFTER-ROOT").await;
    problem(app.get(&app.lp("/courses/99999999"), &app.admin).await, 404).await;
}

#[actix_web::test]
async fn delete_course_removes_it_and_its_enrollments() {
    let app = spawn_app().await;
    let course = app.create_course("DEL-1").await;
    let keep = app.create_course("KEEP-1").await;
    let student = app.create_user("del.student", "Student").await;
    app.enroll(student, course, "Student").await;
    app.enroll(student, keep, "Student").await;
    assert_eq!(enrollment_rows_in(&app, course), 1);

    let res = app
        .delete(&app.lp(&format!("/courses/{course}")), &app.admin)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "");

    problem(
        app.get(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.get(&enrollments_url(&app, course), &app.admin).await,
        404,
    )
    .await;
    assert_eq!(enrollment_rows_in(&app, course), 0);

    let token = app.token_for("del.student", ALL);
    let mine = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=3"),
            &token,
        )
        .await,
    )
    .await;
    let ids: Vec<i64> = items(&mine)
        .iter()
        .map(|i| i["OrgUnit"]["Id"].as_i64().expect("integer"))
        .collect();
    assert_eq!(ids, vec![keep]);
    // The other course is untouched.
    json_ok(
        app.get(&app.lp(&format!("/courses/{keep}")), &app.admin)
            .await,
    )
    .await;
}

#[actix_web::test]
async fn enrolled_student_reads_course_but_cannot_delete_it() {
    let app = spawn_app().await;
    let course = app.create_course("STU-1").await;
    let student = app.create_user("course.student", "Student").await;
    app.enroll(student, course, "Student").await;
    let token = app.token_for("course.student", ALL);

    let got = json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &token)
            .await,
    )
    .await;
    assert_keys(&got, COURSE_KEYS);
    assert_eq!(got["Identifier"], course.to_string());
    problem(
        app.delete(&app.lp(&format!("/courses/{course}")), &token)
            .await,
        403,
    )
    .await;
    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
    )
    .await;
}

#[actix_web::test]
async fn instructor_cannot_delete_or_create_courses() {
    let app = spawn_app().await;
    let course = app.create_course("INS-1").await;
    let instructor = app.create_user("course.instructor", "Student").await;
    app.enroll(instructor, course, "Instructor").await;
    let token = app.token_for("course.instructor", ALL);

    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &token)
            .await,
    )
    .await;
    problem(
        app.delete(&app.lp(&format!("/courses/{course}")), &token)
            .await,
        403,
    )
    .await;
    problem(
        app.post(&app.lp("/courses/"), &token, &course_body("INS-NEW"))
            .await,
        403,
    )
    .await;
    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
    )
    .await;
    // INS-NEW was not created: the admin may still use the code.
    app.create_course("INS-NEW").await;
}

// ---------------------------------------------------------------------------------------------
// 3. Enrollments
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn enroll_answers_enrollment_data_and_posting_again_changes_the_role() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("ENR-1").await;
    let user = app.create_user("enr.user", "Student").await;

    let e = json_ok(enroll_as(&app, &app.admin, course, user, roles["Student"]).await).await;
    assert_keys(&e, ENROLLMENT_KEYS);
    assert_eq!(
        e,
        json!({"OrgUnitId": course, "UserId": user, "RoleId": roles["Student"], "IsCascading": false})
    );

    let e =
        json_ok(enroll_as(&app, &app.admin, course, user, roles["Teaching Assistant"]).await).await;
    assert_eq!(e["RoleId"], roles["Teaching Assistant"]);

    let got = json_ok(
        app.get(&enrollment_url(&app, course, user), &app.admin)
            .await,
    )
    .await;
    assert_keys(&got, ENROLLMENT_KEYS);
    assert_eq!(
        got,
        json!({"OrgUnitId": course, "UserId": user, "RoleId": roles["Teaching Assistant"], "IsCascading": false})
    );
    let list = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert_eq!(
        items(&list).len(),
        1,
        "re-posting does not duplicate: {list}"
    );
    assert_eq!(items(&list)[0]["Role"]["Name"], "Teaching Assistant");

    // The Administrator role cascades.
    let e = json_ok(enroll_as(&app, &app.admin, course, user, roles["Administrator"]).await).await;
    assert_eq!(e["IsCascading"], true);
}

#[actix_web::test]
async fn enroll_unknown_user_or_org_unit_is_404_and_unknown_role_is_400() {
    let app = spawn_app().await;
    let student = app.role_id("Student").await;
    let course = app.create_course("ENR-404").await;
    let user = app.create_user("enr.404", "Student").await;

    let detail = problem(
        enroll_as(&app, &app.admin, course, 98_765_432, student).await,
        404,
    )
    .await;
    assert!(detail.contains("98765432"), "{detail}");
    let detail = problem(
        enroll_as(&app, &app.admin, 98_765_431, user, student).await,
        404,
    )
    .await;
    assert!(detail.contains("98765431"), "{detail}");
    let detail = problem(
        enroll_as(&app, &app.admin, course, user, 999_999).await,
        400,
    )
    .await;
    assert!(detail.contains("RoleId"), "{detail}");
    let detail = problem(
        app.post(
            &app.lp("/enrollments/"),
            &app.admin,
            &json!({"OrgUnitId": course, "UserId": user}),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("RoleId"), "{detail}");

    let list = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert!(items(&list).is_empty(), "{list}");
}

#[actix_web::test]
async fn enrollment_list_is_a_paged_result_set_of_org_unit_users() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("LIST-1").await;
    let mut body = user_body("list.member", roles["Student"]);
    body["FirstName"] = json!("Lin");
    body["LastName"] = json!("Member");
    body["OrgDefinedId"] = json!("S-42");
    let user = post_user(&app, &app.admin, &body).await["UserId"]
        .as_i64()
        .expect("UserId");
    app.enroll(user, course, "Student").await;

    let page = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert_keys(&page, PAGED_KEYS);
    assert_keys(&page["PagingInfo"], PAGING_INFO_KEYS);
    assert_eq!(page["PagingInfo"]["HasMoreItems"], false);
    let list = items(&page);
    assert_eq!(list.len(), 1, "{page}");
    let item = &list[0];
    assert_keys(item, ORG_UNIT_USER_KEYS);
    assert_keys(&item["User"], OU_USER_INFO_KEYS);
    assert_keys(&item["Role"], ROLE_INFO_KEYS);
    assert_eq!(item["User"]["Identifier"], user.to_string());
    assert_eq!(item["User"]["DisplayName"], "Lin Member");
    assert_eq!(item["User"]["EmailAddress"], "list.member@example.edu");
    assert_eq!(item["User"]["OrgDefinedId"], "S-42");
    assert!(item["User"]["ProfileIdentifier"].is_string(), "{item}");
    assert_eq!(item["User"]["UserName"], "list.member");
    assert_eq!(
        item["Role"],
        json!({"Id": roles["Student"], "Code": "Student", "Name": "Student"})
    );
    // Both path forms (with and without a trailing slash) answer the same.
    let bare = json_ok(
        app.get(
            &app.lp(&format!("/enrollments/orgUnits/{course}/users")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(bare, page);
}

#[actix_web::test]
async fn enrollment_list_pages_through_105_users_by_bookmark() {
    let app = spawn_app().await;
    let student = app.role_id("Student").await;
    let course = app.create_course("PAGE-1").await;
    let mut expected = BTreeSet::new();
    for i in 0..105 {
        let user = post_user(
            &app,
            &app.admin,
            &user_body(&format!("pager{i:03}"), student),
        )
        .await;
        let id = user["UserId"].as_i64().expect("integer");
        json_ok(enroll_as(&app, &app.admin, course, id, student).await).await;
        expected.insert(id);
    }

    let first = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert_eq!(items(&first).len(), 100);
    assert_eq!(first["PagingInfo"]["HasMoreItems"], true);
    let bookmark = first["PagingInfo"]["Bookmark"]
        .as_str()
        .expect("bookmark string")
        .to_string();
    assert!(!bookmark.is_empty());

    let url = format!("{}?bookmark={bookmark}", enrollments_url(&app, course));
    let second = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(items(&second).len(), 5, "{second}");
    assert_eq!(second["PagingInfo"]["HasMoreItems"], false);

    let a = listed_users(&first);
    let b = listed_users(&second);
    assert!(a.is_disjoint(&b), "pages overlap");
    let all: BTreeSet<i64> = a.union(&b).copied().collect();
    assert_eq!(all, expected);

    let detail = problem(
        app.get(
            &format!("{}?bookmark=garbage", enrollments_url(&app, course)),
            &app.admin,
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("bookmark"), "{detail}");
}

#[actix_web::test]
async fn enrollment_list_filters_by_role_and_activity() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("FILT-1").await;
    let active = app.create_user("filt.active", "Student").await;
    let mut body = user_body("filt.inactive", roles["Student"]);
    body["IsActive"] = json!(false);
    let inactive_user = post_user(&app, &app.admin, &body).await;
    assert_eq!(inactive_user["Activation"]["IsActive"], false);
    let inactive = inactive_user["UserId"].as_i64().expect("integer");
    let ta = app.create_user("filt.ta", "Student").await;
    app.enroll(active, course, "Student").await;
    app.enroll(inactive, course, "Student").await;
    app.enroll(ta, course, "Teaching Assistant").await;
    let base = enrollments_url(&app, course);

    let by_role = json_ok(
        app.get(
            &format!("{base}?roleId={}", roles["Teaching Assistant"]),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(listed_users(&by_role), BTreeSet::from([ta]));
    let by_role = json_ok(
        app.get(&format!("{base}?roleId={}", roles["Student"]), &app.admin)
            .await,
    )
    .await;
    assert_eq!(listed_users(&by_role), BTreeSet::from([active, inactive]));

    for t in ["true", "True", "1"] {
        let page = json_ok(app.get(&format!("{base}?isActive={t}"), &app.admin).await).await;
        assert_eq!(
            listed_users(&page),
            BTreeSet::from([active, ta]),
            "isActive={t}"
        );
    }
    for f in ["false", "False", "0"] {
        let page = json_ok(app.get(&format!("{base}?isActive={f}"), &app.admin).await).await;
        assert_eq!(
            listed_users(&page),
            BTreeSet::from([inactive]),
            "isActive={f}"
        );
    }
    let both = json_ok(
        app.get(
            &format!("{base}?roleId={}&isActive=True", roles["Student"]),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(listed_users(&both), BTreeSet::from([active]));

    let detail = problem(
        app.get(&format!("{base}?isActive=yes"), &app.admin).await,
        400,
    )
    .await;
    assert!(detail.contains("isActive"), "{detail}");
    let detail = problem(
        app.get(&format!("{base}?roleId=abc"), &app.admin).await,
        400,
    )
    .await;
    assert!(detail.contains("roleId"), "{detail}");
}

#[actix_web::test]
async fn myenrollments_lists_a_students_courses_and_filters_by_type() {
    let app = spawn_app().await;
    let course = app.create_course("MINE-1").await;
    let student = app.create_user("mine.student", "Student").await;
    app.enroll(student, course, "Student").await;
    let token = app.token_for("mine.student", "enrollment:own_enrollment:read");

    let page = json_ok(
        app.get(&app.lp("/enrollments/myenrollments/"), &token)
            .await,
    )
    .await;
    assert_keys(&page, PAGED_KEYS);
    assert_keys(&page["PagingInfo"], PAGING_INFO_KEYS);
    assert_eq!(page["PagingInfo"]["HasMoreItems"], false);
    let list = items(&page);
    assert_eq!(list.len(), 2, "the root and the course: {page}");
    for item in list {
        assert_keys(item, MY_ORG_UNIT_KEYS);
        assert_keys(&item["OrgUnit"], MY_OU_KEYS);
        assert_keys(&item["OrgUnit"]["Type"], &["Id", "Code", "Name"]);
        assert_keys(&item["Access"], ACCESS_KEYS);
    }
    let entry = list
        .iter()
        .find(|i| i["OrgUnit"]["Id"] == course)
        .unwrap_or_else(|| panic!("course {course} missing: {page}"));
    assert_eq!(
        entry["OrgUnit"]["Type"],
        json!({"Id": 3, "Code": "Course Offering", "Name": "Course Offering"})
    );
    assert_eq!(entry["OrgUnit"]["Code"], "MINE-1");
    assert_eq!(entry["OrgUnit"]["Name"], "Course MINE-1");
    assert_eq!(entry["Access"]["ClasslistRoleName"], "Student");
    assert_eq!(entry["Access"]["IsActive"], true);
    assert_eq!(entry["Access"]["CanAccess"], true);
    // As a live tenant answers: an absolute HomeUrl, no image, the learner's two URNs.
    assert_eq!(
        entry["OrgUnit"]["HomeUrl"],
        app.url(&format!("/d2l/home/{course}"))
    );
    assert_eq!(entry["OrgUnit"]["ImageUrl"], Value::Null);
    assert_eq!(
        entry["Access"]["LISRoles"],
        json!([
            "urn:lti:instrole:ims/lis/Student",
            "urn:lti:instrole:ims/lis/Learner"
        ])
    );

    // A course that has ended cannot be accessed: no HomeUrl.
    let mut ended = course_body("MINE-ENDED");
    ended["EndDate"] = json!("2020-01-31T00:00:00.000Z");
    let ended = json_ok(app.post(&app.lp("/courses/"), &app.admin, &ended).await).await;
    let ended: i64 = ended["Identifier"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a course: {ended}"));
    app.enroll(student, ended, "Student").await;
    let page = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=3"),
            &token,
        )
        .await,
    )
    .await;
    let entry = items(&page)
        .iter()
        .find(|i| i["OrgUnit"]["Id"] == ended)
        .cloned()
        .unwrap_or_else(|| panic!("course {ended} missing: {page}"));
    assert_eq!(entry["Access"]["CanAccess"], false, "{entry}");
    assert_eq!(entry["OrgUnit"]["HomeUrl"], Value::Null, "{entry}");
    let listed: Vec<&Value> = items(&page).iter().map(|i| &i["OrgUnit"]["Id"]).collect();
    assert_eq!(
        listed,
        vec![&json!(course), &json!(ended)],
        "orgUnitTypeId=3: courses only"
    );

    let orgs = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=1"),
            &token,
        )
        .await,
    )
    .await;
    let ids: Vec<&Value> = items(&orgs).iter().map(|i| &i["OrgUnit"]["Id"]).collect();
    assert_eq!(ids, vec![&json!(ROOT)]);

    // Someone else's enrollments do not show up.
    let other = app.create_user("mine.other", "Student").await;
    let course2 = app.create_course("MINE-2").await;
    app.enroll(other, course2, "Student").await;
    let again = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=3"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(
        items(&again).len(),
        2,
        "the two courses of mine.student: {again}"
    );
}

#[actix_web::test]
async fn both_delete_forms_answer_the_enrollment_then_404() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("UNENR-1").await;
    let user = app.create_user("unenr.user", "Student").await;

    app.enroll(user, course, "Student").await;
    let url = app.lp(&format!("/enrollments/users/{user}/orgUnits/{course}"));
    let removed = json_ok(app.delete(&url, &app.admin).await).await;
    assert_eq!(
        removed,
        json!({"OrgUnitId": course, "UserId": user, "RoleId": roles["Student"], "IsCascading": false})
    );
    problem(
        app.get(&enrollment_url(&app, course, user), &app.admin)
            .await,
        404,
    )
    .await;
    problem(app.delete(&url, &app.admin).await, 404).await;

    app.enroll(user, course, "Teaching Assistant").await;
    let url = enrollment_url(&app, course, user);
    let removed = json_ok(app.delete(&url, &app.admin).await).await;
    assert_eq!(
        removed,
        json!({"OrgUnitId": course, "UserId": user, "RoleId": roles["Teaching Assistant"], "IsCascading": false})
    );
    problem(app.delete(&url, &app.admin).await, 404).await;
    let list = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert!(items(&list).is_empty(), "{list}");
    // The user's root enrollment is untouched.
    json_ok(app.get(&enrollment_url(&app, ROOT, user), &app.admin).await).await;
}

// ---------------------------------------------------------------------------------------------
// 4. Permissions and roles
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn instructor_manages_enrollments_in_own_course_only() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course_a = app.create_course("PERM-A").await;
    let course_b = app.create_course("PERM-B").await;
    let instructor = app.create_user("perm.instructor", "Student").await;
    let student = app.create_user("perm.student", "Student").await;
    app.enroll(instructor, course_a, "Instructor").await;
    let token = app.token_for("perm.instructor", ALL);

    let e = json_ok(enroll_as(&app, &token, course_a, student, roles["Student"]).await).await;
    assert_eq!(
        e,
        json!({"OrgUnitId": course_a, "UserId": student, "RoleId": roles["Student"], "IsCascading": false})
    );

    problem(
        enroll_as(&app, &token, course_a, student, roles["Administrator"]).await,
        403,
    )
    .await;
    let still = json_ok(
        app.get(&enrollment_url(&app, course_a, student), &app.admin)
            .await,
    )
    .await;
    assert_eq!(still["RoleId"], roles["Student"], "the role did not change");

    problem(
        enroll_as(&app, &token, course_b, student, roles["Student"]).await,
        403,
    )
    .await;
    let b = json_ok(app.get(&enrollments_url(&app, course_b), &app.admin).await).await;
    assert!(items(&b).is_empty(), "{b}");
    problem(app.get(&enrollments_url(&app, course_b), &token).await, 403).await;

    let list = json_ok(app.get(&enrollments_url(&app, course_a), &token).await).await;
    assert_eq!(listed_users(&list), BTreeSet::from([instructor, student]));

    // An Administrator enrolled in A cannot be removed by the Instructor.
    let admin_like = app.create_user("perm.adminlike", "Student").await;
    app.enroll(admin_like, course_a, "Administrator").await;
    problem(
        app.delete(&enrollment_url(&app, course_a, admin_like), &token)
            .await,
        403,
    )
    .await;
    // But the Student can be.
    let removed = json_ok(
        app.delete(&enrollment_url(&app, course_a, student), &token)
            .await,
    )
    .await;
    assert_eq!(removed["UserId"], student);
}

#[actix_web::test]
async fn teaching_assistant_lists_but_cannot_enroll() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("TA-1").await;
    let ta = app.create_user("perm.ta", "Student").await;
    let student = app.create_user("perm.ta.student", "Student").await;
    app.enroll(ta, course, "Teaching Assistant").await;
    let token = app.token_for("perm.ta", ALL);

    let list = json_ok(app.get(&enrollments_url(&app, course), &token).await).await;
    assert_eq!(listed_users(&list), BTreeSet::from([ta]));
    problem(
        enroll_as(&app, &token, course, student, roles["Student"]).await,
        403,
    )
    .await;
    problem(
        app.get(&enrollment_url(&app, course, student), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&enrollment_url(&app, course, ta), &token).await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn student_cannot_list_enrollments_but_reads_own_record() {
    let app = spawn_app().await;
    let roles = role_ids(&app).await;
    let course = app.create_course("STU-ENR").await;
    let student = app.create_user("perm.stu", "Student").await;
    let classmate = app.create_user("perm.classmate", "Student").await;
    app.enroll(student, course, "Student").await;
    app.enroll(classmate, course, "Student").await;
    let token = app.token_for("perm.stu", ALL);

    problem(app.get(&enrollments_url(&app, course), &token).await, 403).await;
    let own = json_ok(
        app.get(&enrollment_url(&app, course, student), &token)
            .await,
    )
    .await;
    assert_eq!(
        own,
        json!({"OrgUnitId": course, "UserId": student, "RoleId": roles["Student"], "IsCascading": false})
    );
    problem(
        app.get(&enrollment_url(&app, course, classmate), &token)
            .await,
        403,
    )
    .await;
    problem(
        app.delete(&enrollment_url(&app, course, student), &token)
            .await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn user_without_enrollment_cannot_read_course() {
    let app = spawn_app().await;
    let course = app.create_course("NOENR-1").await;
    app.create_user("perm.outsider", "Student").await;
    let token = app.token_for("perm.outsider", ALL);
    problem(
        app.get(&app.lp(&format!("/courses/{course}")), &token)
            .await,
        403,
    )
    .await;
    // The same token reads a course it is enrolled in.
    let other = app.create_course("NOENR-2").await;
    let outsider = app.create_user("perm.insider", "Student").await;
    app.enroll(outsider, other, "Student").await;
    let insider = app.token_for("perm.insider", ALL);
    json_ok(
        app.get(&app.lp(&format!("/courses/{other}")), &insider)
            .await,
    )
    .await;
    problem(
        app.get(&app.lp(&format!("/courses/{course}")), &insider)
            .await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn roles_list_and_get() {
    let app = spawn_app().await;
    let roles = json_ok(app.get(&app.lp("/roles/"), &app.admin).await).await;
    let list = roles.as_array().expect("array");
    let mut names = BTreeSet::new();
    for r in list {
        assert_keys(r, ROLE_KEYS);
        assert!(r["Identifier"].is_string(), "{r}");
        id_of(&r["Identifier"]);
        names.insert(r["DisplayName"].as_str().expect("string"));
    }
    assert_eq!(
        names,
        BTreeSet::from([
            "Administrator",
            "Instructor",
            "Teaching Assistant",
            "Student"
        ])
    );
    let ta = list
        .iter()
        .find(|r| r["DisplayName"] == "Teaching Assistant")
        .expect("a TA role");
    assert_eq!(ta["Code"], "TA");

    for r in list {
        let id = id_of(&r["Identifier"]);
        let one = json_ok(app.get(&app.lp(&format!("/roles/{id}")), &app.admin).await).await;
        assert_eq!(&one, r);
    }
    problem(app.get(&app.lp("/roles/999999"), &app.admin).await, 404).await;
    problem(app.get(&app.lp("/roles/abc"), &app.admin).await, 404).await;
}

#[actix_web::test]
async fn course_roles_for_instructor_exclude_administrator() {
    let app = spawn_app().await;
    let course = app.create_course("ROLES-1").await;
    let instructor = app.create_user("roles.instructor", "Student").await;
    let student = app.create_user("roles.student", "Student").await;
    app.enroll(instructor, course, "Instructor").await;
    app.enroll(student, course, "Student").await;
    let token = app.token_for("roles.instructor", ALL);
    let url = app.lp(&format!("/{course}/roles/"));

    let roles = json_ok(app.get(&url, &token).await).await;
    let mut names = BTreeSet::new();
    for r in roles.as_array().expect("array") {
        assert_keys(r, ROLE_KEYS);
        assert!(r["Identifier"].is_string(), "{r}");
        names.insert(r["DisplayName"].as_str().expect("string").to_string());
    }
    assert_eq!(
        names,
        BTreeSet::from([
            "Instructor".to_string(),
            "Student".to_string(),
            "Teaching Assistant".to_string()
        ])
    );

    // The admin may hand out every role there.
    let all = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(all.as_array().expect("array").len(), 4, "{all}");

    // An Instructor of a course cannot list the institution's roles, nor can a Student.
    problem(app.get(&app.lp("/roles/"), &token).await, 403).await;
    let student_token = app.token_for("roles.student", ALL);
    problem(app.get(&url, &student_token).await, 403).await;
    problem(app.get(&app.lp("/roles/"), &student_token).await, 403).await;
    problem(app.get(&app.lp("/99999999/roles/"), &app.admin).await, 404).await;
}

// ---------------------------------------------------------------------------------------------
// 5. Tenant isolation
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn second_institution_cannot_see_or_touch_the_default_one() {
    let app = spawn_app().await;
    let default_roles = role_ids(&app).await;
    let course = app.create_course("SHARED-CODE").await;
    let student = app.create_user("tenant.student", "Student").await;
    app.enroll(student, course, "Student").await;
    let default_admin = json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;

    let key = d2l_groups::auth::tokens::generate_key_row(0).expect("signing key");
    let created = app
        .state
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
    let other_root = created.root.id;
    assert_ne!(other_root, ROOT);
    let other = mint_in(&app.state, "UOC", "admin", ALL, 3600);

    // Its whoami works and names its own admin.
    let me = json_ok(app.get(&app.lp("/users/whoami"), &other).await).await;
    assert_keys(&me, WHOAMI_KEYS);
    assert_eq!(me["UniqueName"], "admin");
    assert_eq!(me["Identifier"], created.admin.id.to_string());
    assert_ne!(me["Identifier"], default_admin["Identifier"]);

    // Its user-name lookup finds its own admin.
    let admin = json_ok(app.get(&app.lp("/users/?userName=admin"), &other).await).await;
    assert_eq!(admin["UserId"], created.admin.id);
    assert_eq!(admin["OrgId"], other_root);
    problem(
        app.get(&app.lp("/users/?userName=tenant.student"), &other)
            .await,
        404,
    )
    .await;
    let all_users = json_ok(app.get(&app.lp("/users/"), &other).await).await;
    assert_eq!(items(&all_users).len(), 1, "{all_users}");

    // The default institution's course, users and enrollments are not found.
    problem(
        app.get(&app.lp(&format!("/courses/{course}")), &other)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&app.lp(&format!("/courses/{course}")), &other)
            .await,
        404,
    )
    .await;
    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
    )
    .await;
    problem(
        app.get(&app.lp(&format!("/users/{student}")), &other).await,
        404,
    )
    .await;
    problem(app.get(&enrollments_url(&app, course), &other).await, 404).await;
    problem(
        app.get(&enrollment_url(&app, course, student), &other)
            .await,
        404,
    )
    .await;
    problem(
        app.delete(&enrollment_url(&app, course, student), &other)
            .await,
        404,
    )
    .await;
    json_ok(
        app.get(&enrollment_url(&app, course, student), &app.admin)
            .await,
    )
    .await;
    problem(
        app.get(&app.lp(&format!("/{course}/roles/")), &other).await,
        404,
    )
    .await;

    // Its roles are its own.
    let roles = json_ok(app.get(&app.lp("/roles/"), &other).await).await;
    let other_roles: HashMap<String, i64> = roles
        .as_array()
        .expect("roles array")
        .iter()
        .map(|r| {
            assert_keys(r, ROLE_KEYS);
            (
                r["DisplayName"].as_str().expect("string").to_string(),
                id_of(&r["Identifier"]),
            )
        })
        .collect();
    assert_eq!(other_roles.len(), 4);
    for (name, id) in &other_roles {
        assert!(default_roles.contains_key(name), "{name}");
        assert!(
            !default_roles.values().any(|d| d == id),
            "role id {id} belongs to the default institution"
        );
    }
    problem(
        app.get(
            &app.lp(&format!("/roles/{}", default_roles["Student"])),
            &other,
        )
        .await,
        404,
    )
    .await;

    // Its own users and courses, even with names and codes the default institution uses.
    let other_user = post_user(
        &app,
        &other,
        &user_body("tenant.student", other_roles["Student"]),
    )
    .await;
    assert_eq!(other_user["OrgId"], other_root);
    let other_user = other_user["UserId"].as_i64().expect("integer");
    let other_course = json_ok(
        app.post(&app.lp("/courses/"), &other, &course_body("SHARED-CODE"))
            .await,
    )
    .await;
    let other_course = id_of(&other_course["Identifier"]);

    // It cannot enroll its users in the default course, nor default users in its course,
    // nor use the default institution's roles.
    problem(
        enroll_as(&app, &other, course, other_user, other_roles["Student"]).await,
        404,
    )
    .await;
    problem(
        enroll_as(&app, &other, other_course, student, other_roles["Student"]).await,
        404,
    )
    .await;
    let detail = problem(
        enroll_as(
            &app,
            &other,
            other_course,
            other_user,
            default_roles["Student"],
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("RoleId"), "{detail}");
    json_ok(
        enroll_as(
            &app,
            &other,
            other_course,
            other_user,
            other_roles["Student"],
        )
        .await,
    )
    .await;

    // And the default admin cannot see the other institution either.
    problem(
        app.get(&app.lp(&format!("/courses/{other_course}")), &app.admin)
            .await,
        404,
    )
    .await;
    problem(
        app.get(&app.lp(&format!("/users/{other_user}")), &app.admin)
            .await,
        404,
    )
    .await;
    let list = json_ok(app.get(&enrollments_url(&app, course), &app.admin).await).await;
    assert_eq!(listed_users(&list), BTreeSet::from([student]));
}

#[actix_web::test]
async fn org_level_instructor_has_no_institution_wide_powers() {
    let app = spawn_app().await;
    let instructor_role = app.role_id("Instructor").await;
    app.create_user("org.instructor", "Instructor").await;
    let other = app.create_user("org.other", "Student").await;
    let token = app.token_for("org.instructor", ALL);

    problem(app.get(&app.lp("/roles/"), &token).await, 403).await;
    problem(app.get(&enrollments_url(&app, ROOT), &token).await, 403).await;
    problem(
        enroll_as(&app, &token, ROOT, other, instructor_role).await,
        403,
    )
    .await;
}
