//! The LE classlist (`/d2l/api/le/(version)/(orgUnitId)/classlist/` and `/paged/`): the 13-key
//! ClasslistUser, filters, ObjectListPage paging with absolute `Next` URLs, the learner's
//! restricted view, and LE version gating. At course level only (group and section
//! classlists come with their memberships as enrollments).

use crate::common;
use common::*;

use chrono::NaiveDate;
use d2l_groups::schema::users;
use diesel::prelude::*;
use serde_json::{json, Value};

const CLASSLIST_USER_KEYS: &[&str] = &[
    "Identifier",
    "ProfileIdentifier",
    "DisplayName",
    "Username",
    "OrgDefinedId",
    "Email",
    "FirstName",
    "LastName",
    "RoleId",
    "LastAccessed",
    "IsOnline",
    "ClasslistRoleDisplayName",
    "Pronouns",
];
const LE: &str = "1.99";
const SCOPE: &str = "enrollment:orgunit:read";

fn classlist_at(app: &TestApp, version: &str, ou: i64, rest: &str) -> String {
    app.url(&format!("/d2l/api/le/{version}/{ou}/classlist{rest}"))
}

fn classlist(app: &TestApp, ou: i64, rest: &str) -> String {
    classlist_at(app, LE, ou, rest)
}

/// Creates a user with names, org-defined id and pronouns of our choosing, enrolled at the
/// root with `role` and then in `course` with it; answers the id.
async fn person(
    app: &TestApp,
    course: i64,
    user_name: &str,
    (first, last): (&str, &str),
    org_defined_id: &str,
    pronouns: Option<&str>,
    role: &str,
) -> i64 {
    let role_id = app.role_id(role).await;
    let body = json!({
        "OrgDefinedId": org_defined_id, "FirstName": first, "MiddleName": null, "LastName": last,
        "ExternalEmail": format!("{user_name}@example.edu"), "UserName": user_name,
        "RoleId": role_id, "IsActive": true, "SendCreationEmail": false, "Pronouns": pronouns
    });
    let user = json_ok(app.post(&app.lp("/users/"), &app.admin, &body).await).await;
    let id = user["UserId"].as_i64().expect("UserId");
    app.enroll(id, course, role).await;
    id
}

/// Asserts a ClasslistUser array (13 keys each, in user id order) and answers the ids.
fn people(v: &Value) -> Vec<i64> {
    let ids: Vec<i64> = v
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|u| {
            assert_keys(u, CLASSLIST_USER_KEYS);
            assert_eq!(u["IsOnline"], false, "{u}");
            u["Identifier"]
                .as_str()
                .unwrap_or_else(|| panic!("Identifier is a string: {u}"))
                .parse()
                .expect("numeric Identifier")
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "by user id: {ids:?}");
    ids
}

/// A ObjectListPage's users (shapes asserted) and its `Next`.
fn page_of(v: &Value) -> (Vec<i64>, Option<String>) {
    assert_keys(v, &["Objects", "Next"]);
    let next = match &v["Next"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => panic!("Next is a string or null: {other}"),
    };
    (people(&v["Objects"]), next)
}

/// A course with an instructor and two learners: (course, teacher, ada, bob).
async fn course_with_people(app: &TestApp) -> (i64, i64, i64, i64) {
    let course = app.create_course("BIO-101").await;
    let teacher = person(
        app,
        course,
        "tgrace",
        ("Grace", "Hopper"),
        "T-1",
        None,
        "Instructor",
    )
    .await;
    let ada = person(
        app,
        course,
        "alovelace",
        ("Ada", "Lovelace"),
        "S-1",
        Some("she/her"),
        "Student",
    )
    .await;
    let bob = person(
        app,
        course,
        "bbabbage",
        ("Charles", "Babbage"),
        "S-2",
        None,
        "Student",
    )
    .await;
    (course, teacher, ada, bob)
}

// ---------------------------------------------------------------------------------------------
// Shapes

#[actix_web::test]
async fn the_classlist_lists_every_enrolled_user_with_thirteen_keys() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (course, teacher, ada, bob) = course_with_people(&app).await;
    // Not enrolled in the course: not listed (the admin reaches it by cascading only).
    app.create_user("outsider", "Student").await;
    let student_role = app.role_id("Student").await;
    let instructor_role = app.role_id("Instructor").await;

    let v = json_ok(app.get(&classlist(&app, course, "/"), &app.admin).await).await;
    assert_eq!(people(&v), vec![teacher, ada, bob]);
    assert_eq!(
        v[1],
        json!({
            "Identifier": ada.to_string(), "ProfileIdentifier": format!("P{ada}"),
            "DisplayName": "Ada Lovelace", "Username": "alovelace", "OrgDefinedId": "S-1",
            "Email": "alovelace@example.edu", "FirstName": "Ada", "LastName": "Lovelace",
            "RoleId": student_role, "LastAccessed": null, "IsOnline": false,
            "ClasslistRoleDisplayName": "Student", "Pronouns": "she/her"
        })
    );
    assert_eq!(v[0]["ClasslistRoleDisplayName"], "Instructor");
    assert_eq!(v[0]["RoleId"], instructor_role);
    assert_eq!(v[0]["Pronouns"], Value::Null);

    // LastAccessed is the user's, as a UTC date-time with milliseconds.
    let at = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_milli_opt(8, 15, 0, 250))
        .expect("date");
    app.state
        .db
        .write_sync(|conn| {
            diesel::update(users::table.find(bob))
                .set(users::last_accessed.eq(Some(at)))
                .execute(conn)?;
            Ok(())
        })
        .expect("set last accessed");
    let v = json_ok(app.get(&classlist(&app, course, ""), &app.admin).await).await;
    assert_eq!(v[2]["LastAccessed"], "2026-11-30T08:15:00.250Z");

    // Both forms answer the same users.
    let (ids, next) = page_of(
        &json_ok(
            app.get(&classlist(&app, course, "/paged/"), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!((ids, next), (vec![teacher, ada, bob], None));
    let paged = json_ok(
        app.get(&classlist(&app, course, "/paged"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(paged["Objects"], v);

    // A course with nobody in it.
    let empty = app.create_course("EMPTY-1").await;
    assert_eq!(
        json_ok(app.get(&classlist(&app, empty, "/"), &app.admin).await).await,
        json!([])
    );
    assert_eq!(
        json_ok(
            app.get(&classlist(&app, empty, "/paged/"), &app.admin)
                .await
        )
        .await,
        json!({"Objects": [], "Next": null})
    );
}

// ---------------------------------------------------------------------------------------------
// Filters

#[actix_web::test]
async fn filters_keep_learners_a_role_or_a_search_term() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (course, teacher, ada, bob) = course_with_people(&app).await;
    let instructor_role = app.role_id("Instructor").await;
    let student_role = app.role_id("Student").await;
    for form in ["/", "/paged/"] {
        let get = |query: String| {
            let url = classlist(&app, course, &format!("{form}?{query}"));
            let app = &app;
            async move {
                let v = json_ok(app.get(&url, &app.admin).await).await;
                if form == "/" {
                    people(&v)
                } else {
                    let (ids, next) = page_of(&v);
                    assert_eq!(next, None);
                    ids
                }
            }
        };
        assert_eq!(
            get("onlyShowShownInGrades=true".into()).await,
            vec![ada, bob],
            "{form}"
        );
        assert_eq!(
            get("onlyShowShownInGrades=false".into()).await,
            vec![teacher, ada, bob]
        );
        assert_eq!(
            get(format!("roleId={instructor_role}")).await,
            vec![teacher]
        );
        assert_eq!(
            get(format!("roleId={student_role}&searchTerm=babb")).await,
            vec![bob]
        );
        assert_eq!(
            get(format!(
                "roleId={instructor_role}&onlyShowShownInGrades=true"
            ))
            .await,
            Vec::<i64>::new()
        );
        // The search term: user name, first name, last name or org-defined id, any case.
        assert_eq!(get("searchTerm=LOVE".into()).await, vec![ada], "last name");
        assert_eq!(
            get("searchTerm=grace".into()).await,
            vec![teacher],
            "first name"
        );
        assert_eq!(get("searchTerm=bbab".into()).await, vec![bob], "user name");
        assert_eq!(
            get("searchTerm=s-".into()).await,
            vec![ada, bob],
            "org-defined id"
        );
        assert_eq!(
            get("searchTerm=%25".into()).await,
            Vec::<i64>::new(),
            "% is no wildcard"
        );
        assert_eq!(
            get("searchTerm=".into()).await,
            vec![teacher, ada, bob],
            "empty: none"
        );
        assert_eq!(
            get("SEARCHTERM=ada&ONLYSHOWSHOWNINGRADES=True".into()).await,
            vec![ada]
        );
    }
    for bad in ["roleId=x", "onlyShowShownInGrades=maybe", "bookmark=x"] {
        let detail = problem(
            app.get(
                &classlist(&app, course, &format!("/paged/?{bad}")),
                &app.admin,
            )
            .await,
            400,
        )
        .await;
        let name = bad.split('=').next().expect("name");
        assert!(detail.contains(name), "{bad}: {detail}");
    }
}

// ---------------------------------------------------------------------------------------------
// Paging

#[actix_web::test]
async fn paged_classlists_link_the_next_page_with_the_filters() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    let learners = learners(&app, course, "learner", 101).await;
    let teacher = member(&app, course, "teacher", "Instructor").await;
    let base = format!("{}/d2l/api/le/{LE}/{course}/classlist/paged/", app.address);

    let (first, next) = page_of(
        &json_ok(
            app.get(&classlist(&app, course, "/paged/"), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!(first, learners[..100].to_vec());
    let next = next.expect("a next page");
    assert_eq!(next, format!("{base}?bookmark={}", learners[99]));
    let (rest, last) = page_of(&json_ok(app.get(&next, &app.admin).await).await);
    assert_eq!((rest, last), (vec![learners[100], teacher], None));

    // The filters ride along, and the version segment as sent.
    let url = classlist_at(
        &app,
        "unstable",
        course,
        "/paged/?onlyShowShownInGrades=true&searchTerm=Learner",
    );
    let (first, next) = page_of(&json_ok(app.get(&url, &app.admin).await).await);
    assert_eq!(first.len(), 100);
    let next = next.expect("a next page");
    assert_eq!(
        next,
        format!(
            "{}/d2l/api/le/unstable/{course}/classlist/paged/?onlyShowShownInGrades=true&searchTerm=Learner&bookmark={}",
            app.address, learners[99]
        )
    );
    let (rest, last) = page_of(&json_ok(app.get(&next, &app.admin).await).await);
    assert_eq!(
        (rest, last),
        (vec![learners[100]], None),
        "the teacher is no learner"
    );

    // A filter that leaves one page has no next; the unpaged form answers everyone.
    let (few, next) = page_of(
        &json_ok(
            app.get(
                &classlist(&app, course, "/paged/?searchTerm=learner100"),
                &app.admin,
            )
            .await,
        )
        .await,
    );
    assert_eq!((few, next), (vec![learners[100]], None));
    let all = json_ok(app.get(&classlist(&app, course, "/"), &app.admin).await).await;
    assert_eq!(people(&all).len(), 102);
}

// ---------------------------------------------------------------------------------------------
// Who may read

#[actix_web::test]
async fn learners_see_their_classlist_without_others_private_fields() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (course, teacher, ada, bob) = course_with_people(&app).await;
    let token = app.token_for("alovelace", SCOPE);

    let v = json_ok(app.get(&classlist(&app, course, "/"), &token).await).await;
    assert_eq!(people(&v), vec![teacher, ada, bob]);
    let me = &v[1];
    assert_eq!(
        (&me["Username"], &me["OrgDefinedId"], &me["Email"]),
        (
            &json!("alovelace"),
            &json!("S-1"),
            &json!("alovelace@example.edu")
        ),
        "their own: {me}"
    );
    for other in [&v[0], &v[2]] {
        assert_eq!(
            (&other["Username"], &other["OrgDefinedId"], &other["Email"]),
            (&Value::Null, &Value::Null, &Value::Null),
            "{other}"
        );
        assert!(
            other["DisplayName"].is_string() && other["FirstName"].is_string(),
            "{other}"
        );
        assert!(
            other["LastName"].is_string() && other["RoleId"].is_i64(),
            "{other}"
        );
    }
    assert_eq!(v[2]["DisplayName"], "Charles Babbage");
    // The paged form hides the same; the search cannot find people by what is hidden.
    let paged = json_ok(app.get(&classlist(&app, course, "/paged/"), &token).await).await;
    assert_eq!(paged["Objects"], v);
    let search = |term: &str| {
        let url = classlist(&app, course, &format!("/paged/?searchTerm={term}"));
        let (app, token) = (&app, &token);
        async move { page_of(&json_ok(app.get(&url, token).await).await).0 }
    };
    assert_eq!(
        search("bbab").await,
        Vec::<i64>::new(),
        "another's user name"
    );
    assert_eq!(
        search("S-2").await,
        Vec::<i64>::new(),
        "another's org-defined id"
    );
    assert_eq!(search("babbage").await, vec![bob], "a last name");
    assert_eq!(
        search("alove").await,
        Vec::<i64>::new(),
        "user names are not searched at all"
    );

    // A Teaching Assistant (enrollments.read) sees everything.
    member(&app, course, "assistant", "Teaching Assistant").await;
    let ta = app.token_for("assistant", SCOPE);
    let v = json_ok(app.get(&classlist(&app, course, "/"), &ta).await).await;
    assert_eq!(v[2]["Username"], "bbabbage");
    assert_eq!(v[2]["OrgDefinedId"], "S-2");

    // A learner of another course is refused; so is a token without the scope.
    let other = app.create_course("CHEM-101").await;
    member(&app, other, "stranger", "Student").await;
    let stranger = app.token_for("stranger", SCOPE);
    for form in ["/", "/paged/"] {
        let detail = problem(
            app.get(&classlist(&app, course, form), &stranger).await,
            403,
        )
        .await;
        assert!(detail.contains("enrollments.read"), "{detail}");
    }
    json_ok(app.get(&classlist(&app, other, "/"), &stranger).await).await;
    let unscoped = app.token_for("alovelace", "organizations:organization:read");
    let detail = problem(app.get(&classlist(&app, course, "/"), &unscoped).await, 403).await;
    assert!(detail.starts_with("Insufficient scope to call"), "{detail}");
}

#[actix_web::test]
async fn another_institutions_org_unit_is_not_found() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (course, ..) = course_with_people(&app).await;
    add_institution(&app, "OTHER", "Other University");
    let theirs = mint_in(&app.state, "OTHER", "admin", SCOPE, 600);
    for form in ["/", "/paged/"] {
        problem(app.get(&classlist(&app, course, form), &theirs).await, 404).await;
        problem(
            app.get(&classlist(&app, 987_654, form), &app.admin).await,
            404,
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// LE versions

#[actix_web::test]
async fn the_classlist_is_served_at_le_versions_only() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (course, ..) = course_with_people(&app).await;
    let latest = json_ok(app.get(&classlist(&app, course, "/"), &app.admin).await).await;

    let res = app
        .get(&classlist_at(&app, "unstable", course, "/"), &app.admin)
        .await;
    assert_eq!(header(&res, "deprecation"), None);
    assert_eq!(json_ok(res).await, latest, "unstable is the latest");
    // Deprecated (1.75–1.81) and obsolete (1.74 and below) versions are served, marked.
    let res = app
        .get(&classlist_at(&app, "1.75", course, "/"), &app.admin)
        .await;
    assert_eq!(header(&res, "deprecation").as_deref(), Some("true"));
    assert_eq!(json_ok(res).await, latest);
    let res = app
        .get(&classlist_at(&app, "1.74", course, "/paged/"), &app.admin)
        .await;
    assert!(header(&res, "sunset").is_some());
    json_ok(res).await;
    for version in ["1.100", "2.0", "1.075", "Unstable"] {
        let detail = problem(
            app.get(&classlist_at(&app, version, course, "/"), &app.admin)
                .await,
            404,
        )
        .await;
        assert!(detail.contains("LE API version"), "{version}: {detail}");
    }
    // Not an LP route.
    problem(
        app.get(&app.lp(&format!("/{course}/classlist/")), &app.admin)
            .await,
        404,
    )
    .await;
}
