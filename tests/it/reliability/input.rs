//! Hostile input never reaches the database, ids are canonical, HEAD works.
//!
//! The walks below take every route from `served()`, so a route added later
//! is checked without touching this file (a new write route needs a valid body in `body_for`,
//! and the walk says so).

use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::common::*;

/// One of everything a route can name, so that every path can be filled with real ids.
struct Fixture {
    app: TestApp,
    course: i64,
    learner: i64,
    student_role: i64,
    section: i64,
    category: i64,
    group: i64,
    institution: i64,
    vle: i64,
    kid: String,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let course = app.create_course("IN-101").await;
    let learner = app.create_user("learner", "Student").await;
    app.enroll(learner, course, "Student").await;
    let student_role = app.role_id("Student").await;

    let sections = deal_sections(&app, course, 1).await;
    let section = sections[0]["SectionId"].as_i64().expect("SectionId");

    let res = app
        .post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &teams("Teams"),
        )
        .await;
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.expect("job JSON");
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    let status_url = app.lp(&format!("/{course}/groupcategories/{category}/status"));
    let started = Instant::now();
    while json_ok(app.get(&status_url, &app.admin).await).await["Status"] != 1 {
        assert!(started.elapsed() < Duration::from_secs(20), "category job");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let groups = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/{category}/groups/")),
            &app.admin,
        )
        .await,
    )
    .await;
    let group = groups[0]["GroupId"].as_i64().expect("GroupId");

    let institutions = json_ok(app.get(&app.url("/api/v2/institution/"), &app.admin).await).await;
    let institution = institutions["results"][0]["id"].as_i64().expect("id");
    let res = app
        .post(
            &app.url(&format!("/api/v2/institution/{institution}/vle/")),
            &app.admin,
            &vle_body("Moodle"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let vle = res.json::<Value>().await.expect("VLE JSON")["id"]
        .as_i64()
        .expect("VLE id");

    let jwks = json_ok(
        app.get(&app.url("/core/.well-known/jwks"), &app.admin)
            .await,
    )
    .await;
    let kid = jwks["keys"][0]["kid"].as_str().expect("kid").to_string();
    Fixture {
        app,
        course,
        learner,
        student_role,
        section,
        category,
        group,
        institution,
        vle,
        kid,
    }
}

/// A category of one dealt group, prefixed "Team".
fn teams(name: &str) -> Value {
    category_form(
        name,
        json!(2),
        json!({"Description": text("d"), "NumberOfGroups": 1, "GroupPrefix": "Team"}),
    )
}

fn vle_body(name: &str) -> Value {
    json!({"type": 1, "lti": {"version": "1.3"}, "name": name, "url": "https://lms.example.edu"})
}

impl Fixture {
    /// A real value for route parameter `name`.
    fn value(&self, name: &str) -> String {
        match name {
            "version" => V.to_string(),
            "productCode" => "lp".to_string(),
            "kid" => self.kid.clone(),
            "orgUnitId" => self.course.to_string(),
            "userId" => self.learner.to_string(),
            "roleId" => self.student_role.to_string(),
            "sectionId" => self.section.to_string(),
            "groupCategoryId" => self.category.to_string(),
            "groupId" => self.group.to_string(),
            "orgUnitTypeId" => "4".to_string(),
            "institution_id" | "parent_lookup_institution_id" => self.institution.to_string(),
            "id" => self.vle.to_string(),
            other => panic!("route parameter {{{other}}} is new: give the fixture a value for it"),
        }
    }

    /// `pattern` (as `routes::served` writes it) with `{param}` set to `raw` (already
    /// percent-encoded as it goes on the wire) and every other parameter to a real value.
    fn url(&self, pattern: &str, param: Option<&str>, raw: &str) -> String {
        let mut path = String::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').expect("closing brace") + open;
            path.push_str(&rest[..open]);
            let name = &rest[open + 1..close];
            if Some(name) == param {
                path.push_str(raw);
            } else {
                path.push_str(&self.value(name));
            }
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        self.app.url(&path)
    }

    /// A valid body for a write route, so that the route's answer depends on the path alone.
    fn body_for(&self, method: &Method, pattern: &str) -> Option<Value> {
        if ![Method::POST, Method::PUT, Method::PATCH].contains(method) {
            return None;
        }
        let lp = pattern.strip_prefix("/d2l/api/lp/{version}");
        let body = match (method.as_str(), lp.unwrap_or(pattern)) {
            ("POST", "/d2l/api/versions/check") => {
                json!([{"ProductCode": "lp", "Version": V}, {"ProductCode": "le", "Version": "1.0"}])
            }
            ("POST", "/users/") => json!({
                "OrgDefinedId": "S-9", "FirstName": "Ada", "MiddleName": "B", "LastName": "Lovelace",
                "ExternalEmail": "ada@example.edu", "UserName": "ada", "RoleId": self.student_role,
                "IsActive": true, "SendCreationEmail": false, "Pronouns": "she/her"
            }),
            ("POST", "/courses/") => json!({
                "Name": "Biology", "Code": "BIO-1", "Path": "", "CourseTemplateId": null,
                "SemesterId": null, "StartDate": null, "EndDate": null, "LocaleId": null,
                "ForceLocale": false, "ShowAddressBook": false,
                "Description": {"Content": "<p>Cells</p>", "Type": "Html"}, "CanSelfRegister": false
            }),
            ("POST", "/enrollments/") => json!({
                "OrgUnitId": self.course, "UserId": self.learner, "RoleId": self.student_role
            }),
            // Removed in LP 1.39: the gate answers 404 on every version before any body is read.
            ("PUT", "/{orgUnitId}/sections/") => return None,
            ("POST", "/{orgUnitId}/sections/settings") => {
                json!({
                    "EnrollmentStyle": "NumberOfSectionsAutoEnrollment", "EnrollmentQuantity": 1,
                    "AutoEnroll": false, "RandomizeEnrollments": false,
                    "DescriptionsVisibleToEnrollees": false
                })
            }
            ("PUT", "/{orgUnitId}/sections/settings") => json!({
                "Name": "Sections", "Description": text("d"), "AutoEnroll": false,
                "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false
            }),
            ("POST", "/{orgUnitId}/sections/")
            | ("PUT", "/{orgUnitId}/sections/{sectionId}")
            | ("POST", "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/")
            | ("PUT", "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}") => {
                json!({"Name": "Extra", "Code": "EXTRA-1", "Description": text("d")})
            }
            ("POST", "/{orgUnitId}/sections/{sectionId}/enrollments/")
            | (
                "POST",
                "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments/",
            ) => {
                json!({"UserId": self.learner})
            }
            ("POST", "/{orgUnitId}/groupcategories/") => teams("Other"),
            ("PUT", "/{orgUnitId}/groupcategories/{groupCategoryId}") => json!({
                "Name": "Teams", "Description": text("d"), "AutoEnroll": false,
                "RandomizeEnrollments": false, "DescriptionsVisibleToEnrolees": false
            }),
            ("PUT", "/api/v2/institution/{institution_id}/") => json!({
                "acronym": "ACME", "name": "Acme University", "external_ic": true,
                "mail_domain": "example.edu", "disable_vle_learner_creation": false,
                "disable_vle_instructor_creation": false, "disable_vle_user_creation": false,
                "allow_learner_report": true, "allow_learner_audit": false,
                "allow_valid_audit": true
            }),
            ("PATCH", "/api/v2/institution/{institution_id}/") => {
                json!({"name": "Acme", "mail_domain": "example.org"})
            }
            ("POST", "/api/v2/institution/{parent_lookup_institution_id}/vle/")
            | ("PUT", "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/") => {
                vle_body("Canvas")
            }
            ("PATCH", "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/") => {
                json!({"name": "Canvas", "lti": {"version": "1.3", "deployment": "d-1"}})
            }
            ("POST", "/core/connect/token") => return None,
            // Self-enrollment takes no body: the caller joins; tests/it/self_enrollment.rs.
            (
                "POST",
                "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/selfenrollment",
            ) => return None,
            // Form posts of the sign-in pages, not JSON; the tests of tests/it/sign_in.rs.
            ("POST", "/d2l/lp/auth/login/login.d2l")
            | ("POST", "/d2l/logout")
            | ("POST", "/oauth2/auth")
            | ("POST", "/d2l/apps/revoke") => return None,
            // The console's form posts (HTML, a session's CSRF token); tests/it/console.rs.
            ("POST", console) if console.starts_with("/console/") => return None,
            _ => panic!("{method} {pattern} is a new write route: give it a valid body here"),
        };
        Some(body)
    }

    async fn send(&self, method: &Method, url: &str, body: Option<&Value>) -> Response {
        self.app
            .send(method.clone(), url, Some(&self.app.admin), body)
            .await
    }
}

/// The route table's (method, path pattern) pairs, methods as reqwest spells them.
fn served() -> Vec<(Method, String)> {
    d2l_groups::routes::served()
        .into_iter()
        .map(|(m, p)| {
            (
                Method::from_bytes(m.as_str().as_bytes()).expect("method"),
                p,
            )
        })
        .collect()
}

/// The `{param}` names of a route pattern, in order.
fn params(pattern: &str) -> Vec<&str> {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Asserts the 400 for U+0000 at `field`, and that nothing of the database shows through.
async fn assert_nul_400(res: Response, field: &str, what: &str) {
    let detail = problem(res, 400).await;
    assert!(
        detail.starts_with(&format!("{field}: ")) && detail.contains("U+0000"),
        "{what}: expected a 400 naming {field}, got {detail:?}"
    );
    assert_no_database_text(&detail, what);
}

fn assert_no_database_text(text: &str, what: &str) {
    let lower = text.to_lowercase();
    for leak in [
        "database",
        "0x00",
        "invalid byte",
        "utf8",
        "diesel",
        "sqlite",
        "postgres",
    ] {
        assert!(
            !lower.contains(leak),
            "{what}: answer carries {leak:?}: {text}"
        );
    }
}

/// Every string in `value`, as (JSON path in serde_path_to_error's spelling, a copy of the
/// whole document with that one string holding U+0000).
fn nul_variants(value: &Value) -> Vec<(String, Value)> {
    fn walk(root: &Value, at: &Value, path: &str, pointer: &str, out: &mut Vec<(String, Value)>) {
        match at {
            Value::String(s) => {
                let mut copy = root.clone();
                *copy.pointer_mut(pointer).expect("pointer") = Value::String(format!("{s}\0x"));
                out.push((path.to_string(), copy));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(
                        root,
                        item,
                        &format!("{path}[{i}]"),
                        &format!("{pointer}/{i}"),
                        out,
                    );
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(root, item, &p, &format!("{pointer}/{k}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, value, "", "", &mut out);
    // A field no route reads is refused too: the rule is "no string anywhere".
    let mut extra = value.clone();
    let (target, path) = match &mut extra {
        Value::Array(items) => (&mut items[0], "[0].Unread.Deep"),
        other => (other, "Unread.Deep"),
    };
    target
        .as_object_mut()
        .expect("object body")
        .insert("Unread".into(), json!({"Deep": "\0"}));
    out.push((path.to_string(), extra));
    out
}

// ---------------------------------------------------------------------------------------------
// U+0000

#[actix_web::test]
async fn nul_in_any_json_string_of_any_route_is_400_naming_its_path() {
    let fx = fixture().await;
    let users_url = fx.app.lp("/users/");
    let vles_url = fx.url("/api/v2/institution/{institution_id}/vle/", None, "");
    let users_before = json_ok(fx.app.get(&users_url, &fx.app.admin).await).await;
    let vles_before = json_ok(fx.app.get(&vles_url, &fx.app.admin).await).await;
    let mut cases = 0;
    for (method, pattern) in served() {
        let Some(body) = fx.body_for(&method, &pattern) else {
            continue;
        };
        let url = fx.url(&pattern, None, "");
        for (path, hostile) in nul_variants(&body) {
            let res = fx.send(&method, &url, Some(&hostile)).await;
            assert_nul_400(
                res,
                &path,
                &format!("{method} {pattern} with NUL at {path}"),
            )
            .await;
            cases += 1;
        }
    }
    assert!(cases > 60, "only {cases} cases");

    // A NUL in a key is named too (escaped, so the detail stays printable).
    let res = fx
        .send(
            &Method::POST,
            &fx.app.lp("/enrollments/"),
            Some(&json!({"Role\u{0}Id": 1})),
        )
        .await;
    assert_nul_400(res, "Role\\0Id", "NUL in a key").await;

    // Nothing was written.
    let users_after = json_ok(fx.app.get(&users_url, &fx.app.admin).await).await;
    assert_eq!(users_after, users_before);
    let vles_after = json_ok(fx.app.get(&vles_url, &fx.app.admin).await).await;
    assert_eq!(vles_after, vles_before);
}

#[actix_web::test]
async fn the_text_backslash_u0000_is_not_a_nul() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let role = app.role_id("Student").await;
    // The JSON `"C:\\u0000"` is the six characters `C:\u0000`, which any backend stores.
    let body = json!({
        "OrgDefinedId": null, "FirstName": "C:\\u0000", "MiddleName": null, "LastName": "Path",
        "ExternalEmail": null, "UserName": "backslash", "RoleId": role, "IsActive": true,
        "SendCreationEmail": false, "Pronouns": null
    });
    let user = json_ok(app.post(&app.lp("/users/"), &app.admin, &body).await).await;
    assert_eq!(user["FirstName"], "C:\\u0000", "{user}");
}

#[actix_web::test]
async fn nul_in_any_path_segment_of_any_route_is_400_naming_the_route_parameter() {
    let fx = fixture().await;
    let mut cases = 0;
    for (method, pattern) in served() {
        let body = fx.body_for(&method, &pattern);
        for param in params(&pattern) {
            for raw in ["%00", "1%00", "a%00b"] {
                let url = fx.url(&pattern, Some(param), raw);
                let res = fx.send(&method, &url, body.as_ref()).await;
                assert_nul_400(res, param, &format!("{method} {url}")).await;
                cases += 1;
            }
        }
    }
    assert!(cases > 100, "only {cases} cases");
    // Named in the issue.
    let res = fx
        .app
        .get(&fx.app.url("/core/jwk/%00"), &fx.app.admin)
        .await;
    assert_nul_400(res, "kid", "/core/jwk/%00").await;
    // Anonymous: the route's own answer is not needed to see the input is malformed.
    let res = fx
        .app
        .send(
            Method::GET,
            &fx.app.url("/d2l/api/%00/versions/"),
            None,
            None,
        )
        .await;
    assert_nul_400(res, "productCode", "/d2l/api/%00/versions/").await;
}

#[actix_web::test]
async fn nul_in_any_query_parameter_of_any_route_is_400_naming_it() {
    let fx = fixture().await;
    // The parameters routes read...
    let read = [
        ("/d2l/api/lp/{version}/users/", "userName"),
        ("/d2l/api/lp/{version}/users/", "orgDefinedId"),
        ("/d2l/api/lp/{version}/users/", "bookmark"),
        (
            "/d2l/api/lp/{version}/enrollments/orgUnits/{orgUnitId}/users/",
            "roleId",
        ),
        (
            "/d2l/api/lp/{version}/enrollments/orgUnits/{orgUnitId}/users/",
            "isActive",
        ),
        (
            "/d2l/api/lp/{version}/enrollments/orgUnits/{orgUnitId}/users/",
            "bookmark",
        ),
        (
            "/d2l/api/lp/{version}/enrollments/myenrollments/",
            "orgUnitTypeId",
        ),
        (
            "/d2l/api/lp/{version}/enrollments/myenrollments/",
            "isActive",
        ),
        (
            "/d2l/api/lp/{version}/enrollments/myenrollments/",
            "bookmark",
        ),
        ("/api/v2/institution/", "search"),
        ("/api/v2/institution/", "ordering"),
        ("/api/v2/institution/", "limit"),
        ("/api/v2/institution/", "offset"),
        (
            "/api/v2/institution/{parent_lookup_institution_id}/vle/",
            "search",
        ),
        (
            "/api/v2/institution/{parent_lookup_institution_id}/vle/",
            "ordering",
        ),
    ];
    for (pattern, name) in read {
        for raw in ["%00", "x%00", "%00x"] {
            let url = format!("{}?{name}={raw}", fx.url(pattern, None, ""));
            let res = fx.app.get(&url, &fx.app.admin).await;
            assert_nul_400(res, name, &url).await;
        }
    }
    // ...and any other, on every route but the token endpoint (answered below in its own
    // shape): a NUL in a name is named escaped.
    let mut cases = 0;
    for (method, pattern) in served() {
        if pattern == "/core/connect/token" {
            continue;
        }
        let body = fx.body_for(&method, &pattern);
        for (query, field) in [("probe=%00", "probe"), ("ok=1&p%00=1", "p\\0")] {
            let url = format!("{}?{query}", fx.url(&pattern, None, ""));
            let res = fx.send(&method, &url, body.as_ref()).await;
            assert_nul_400(res, field, &format!("{method} {url}")).await;
            cases += 1;
        }
    }
    assert!(cases > 100, "only {cases} cases");
}

/// `POST /core/connect/token` with a raw form body and optional HTTP Basic credentials.
async fn token_request(app: &TestApp, query: &str, form: &str, basic: Option<&str>) -> Response {
    let mut req = app
        .client
        .post(app.url(&format!("/core/connect/token{query}")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form.to_string());
    if let Some(credentials) = basic {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        req = req.header("Authorization", format!("Basic {encoded}"));
    }
    req.send().await.expect("token request")
}

/// One hostile token request and what it must answer.
struct TokenCase {
    query: &'static str,
    form: String,
    basic: Option<&'static str>,
    status: u16,
    error: &'static str,
    /// The field the description starts with ("" for the credentials, which are not named).
    field: &'static str,
}

fn client_case(form: String, basic: Option<&'static str>) -> TokenCase {
    TokenCase {
        query: "",
        form,
        basic,
        status: 401,
        error: "invalid_client",
        field: "",
    }
}

fn request_case(query: &'static str, form: String, field: &'static str) -> TokenCase {
    TokenCase {
        query,
        form,
        basic: None,
        status: 400,
        error: "invalid_request",
        field,
    }
}

#[actix_web::test]
async fn the_token_endpoint_answers_nul_in_its_own_shape() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let grant = "grant_type=client_credentials";
    let cases = [
        client_case(format!("{grant}&client_id=%00&client_secret=s"), None),
        client_case(format!("{grant}&client_id=abc%00&client_secret=s"), None),
        client_case(format!("{grant}&client_id=abc&client_secret=%00"), None),
        client_case(format!("{grant}&client_id=abc\0&client_secret=s"), None),
        client_case(grant.to_string(), Some("%00:secret")),
        client_case(grant.to_string(), Some("abc:se%00cret")),
        client_case(grant.to_string(), Some("a\0bc:secret")),
        request_case(
            "",
            "grant_type=%00&client_id=a&client_secret=s".into(),
            "grant_type",
        ),
        request_case(
            "",
            format!("{grant}&scope=%00&client_id=a&client_secret=s"),
            "scope",
        ),
        request_case(
            "",
            format!("{grant}&client_id=a&client_secret=s&extra=%00"),
            "extra",
        ),
        request_case(
            "?x=%00",
            format!("{grant}&client_id=a&client_secret=s"),
            "x",
        ),
    ];
    for TokenCase {
        query,
        form,
        basic,
        status,
        error,
        field,
    } in cases
    {
        let what = format!("{query} {form:?} basic {basic:?}");
        let res = token_request(&app, query, &form, basic).await;
        assert_eq!(res.status(), status, "{what}");
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{what}"
        );
        if basic.is_some() {
            let challenge = res
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            assert!(challenge.starts_with("Basic"), "{what}: {challenge:?}");
        }
        let text = res.text().await.expect("body");
        let body: Value = serde_json::from_str(&text).expect("RFC 6749 error JSON");
        assert_eq!(body["error"], error, "{what}: {text}");
        let description = body["error_description"].as_str().expect("description");
        assert!(description.starts_with(field), "{what}: {text}");
        assert!(description.contains("U+0000"), "{what}: {text}");
        assert_no_database_text(&text, &what);
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical ids

#[actix_web::test]
async fn a_non_canonical_path_id_is_404_on_every_route_and_touches_nothing() {
    let fx = fixture().await;
    let not_ids = ["version", "productCode", "kid"];
    let mut cases = 0;
    for (method, pattern) in served() {
        let body = fx.body_for(&method, &pattern);
        for param in params(&pattern) {
            if not_ids.contains(&param) {
                continue;
            }
            let real = fx.value(param);
            let spellings = [
                format!("0{real}"),
                format!("00{real}"),
                format!("+{real}"),
                format!("%2B{real}"),
                format!("%20{real}"),
                format!("{real}%20"),
                format!("{real}.0"),
                format!("{real}e0"),
                "0".to_string(),
                "-1".to_string(),
                format!("-{real}"),
                "9223372036854775808".to_string(),
                "99999999999999999999".to_string(),
                "%EF%BC%91".to_string(), // a fullwidth digit one
            ];
            for raw in &spellings {
                let url = fx.url(&pattern, Some(param), raw);
                let res = fx.send(&method, &url, body.as_ref()).await;
                let what = format!("{method} {url}");
                let detail = if pattern.starts_with("/console/") {
                    // The console's pages answer an HTML page (tests/it/console.rs).
                    assert_eq!(res.status(), 404, "{what}");
                    assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
                    res.text().await.expect("body")
                } else {
                    problem(res, 404).await
                };
                assert_no_database_text(&detail, &what);
                cases += 1;
            }
        }
    }
    assert!(cases > 500, "only {cases} cases");

    // Every DELETE above named a real resource in a spelling that is not its id; all are still
    // there.
    let app = &fx.app;
    let still = [
        app.lp(&format!("/courses/{}", fx.course)),
        app.lp(&format!(
            "/enrollments/orgUnits/{}/users/{}",
            fx.course, fx.learner
        )),
        app.lp(&format!("/{}/sections/{}", fx.course, fx.section)),
        app.lp(&format!("/{}/groupcategories/{}", fx.course, fx.category)),
        app.lp(&format!(
            "/{}/groupcategories/{}/groups/{}",
            fx.course, fx.category, fx.group
        )),
        app.url(&format!(
            "/api/v2/institution/{}/vle/{}/",
            fx.institution, fx.vle
        )),
    ];
    for url in still {
        json_ok(app.get(&url, &app.admin).await).await;
    }
    let members = json_ok(
        app.get(
            &app.lp(&format!(
                "/{}/groupcategories/{}/groups/{}/enrollments",
                fx.course, fx.category, fx.group
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(members, json!([fx.learner]), "group roster untouched");
    // Nothing was renamed by a PUT or PATCH to a non-canonical id.
    let vle = json_ok(
        app.get(
            &app.url(&format!(
                "/api/v2/institution/{}/vle/{}/",
                fx.institution, fx.vle
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(vle["name"], "Moodle", "{vle}");
}

#[actix_web::test]
async fn a_non_canonical_query_id_is_400_naming_the_parameter() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("Q-1").await;
    let student = app.role_id("Student").await;
    let cases = [
        (format!("/enrollments/orgUnits/{course}/users/"), "roleId"),
        ("/enrollments/myenrollments/".to_string(), "orgUnitTypeId"),
    ];
    for (path, name) in &cases {
        for raw in [
            format!("0{student}"),
            format!("%2B{student}"),
            format!("%20{student}"),
            format!("{student}.0"),
            "0".to_string(),
            "-1".to_string(),
            "9223372036854775808".to_string(),
        ] {
            let url = app.lp(&format!("{path}?{name}={raw}"));
            let detail = problem(app.get(&url, &app.admin).await, 400).await;
            assert!(detail.starts_with(&format!("{name}: ")), "{url}: {detail}");
        }
        // The canonical spelling is served.
        let url = app.lp(&format!("{path}?{name}={student}"));
        json_ok(app.get(&url, &app.admin).await).await;
    }
    // Bookmarks are ids this server issued: also canonical.
    for path in ["/users/", "/enrollments/myenrollments/"] {
        for raw in ["01", "%2B1", "-1", "1.0"] {
            let url = app.lp(&format!("{path}?bookmark={raw}"));
            let detail = problem(app.get(&url, &app.admin).await, 400).await;
            assert!(detail.starts_with("bookmark: "), "{url}: {detail}");
        }
        json_ok(
            app.get(&app.lp(&format!("{path}?bookmark=1")), &app.admin)
                .await,
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// HEAD

/// Headers that differ between two calls by design.
const PER_CALL: &[&str] = &[
    "x-request-id",
    // A new trace (and always a new span) per call.
    "traceparent",
    "date",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
];

fn stable_headers(res: &Response) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(k, _)| !PER_CALL.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = v.to_str().unwrap_or("?");
            // A cookie's value is fresh each call (the sign-in form's CSRF token); its name
            // and attributes are not.
            let v = match (k.as_str(), v.split_once('=')) {
                ("set-cookie", Some((name, rest))) => {
                    format!("{name}=…{}", rest.find(';').map_or("", |i| &rest[i..]))
                }
                _ => v.to_string(),
            };
            (k.to_string(), v)
        })
        .collect();
    headers.sort();
    headers
}

#[actix_web::test]
async fn head_answers_as_get_does_without_a_body_on_every_get_route() {
    let fx = fixture().await;
    let app = &fx.app;
    let mut cases = 0;
    for (method, pattern) in served() {
        // `/metrics` counts every call, the GET just made included: its length changes.
        if method != Method::GET || pattern == "/metrics" {
            continue;
        }
        let url = fx.url(&pattern, None, "");
        // As the admin, anonymous (401 on gated routes), and on a path id that names nothing.
        let mut urls = vec![(url.clone(), Some(app.admin.as_str()))];
        urls.push((url.clone(), None));
        if let Some(param) = params(&pattern)
            .into_iter()
            .find(|p| !["version", "productCode"].contains(p))
        {
            urls.push((
                fx.url(&pattern, Some(param), "987654321"),
                Some(app.admin.as_str()),
            ));
        }
        for (url, token) in urls {
            let get = app.send(Method::GET, &url, token, None).await;
            let head = app.send(Method::HEAD, &url, token, None).await;
            let what = format!("HEAD {url} (token: {})", token.is_some());
            assert_eq!(head.status(), get.status(), "{what}");
            let (get_headers, head_headers) = (stable_headers(&get), stable_headers(&head));
            let get_body = get.bytes().await.expect("GET body");
            assert_eq!(head_headers, get_headers, "{what}");
            let length = head_headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map(|(_, v)| v.clone());
            assert_eq!(length, Some(get_body.len().to_string()), "{what}");
            assert!(head.bytes().await.expect("HEAD body").is_empty(), "{what}");
            cases += 1;
        }
    }
    assert!(cases > 60, "only {cases} cases");
}

#[actix_web::test]
async fn a_405_allows_head_where_get_is_served() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let allow = |res: &Response| {
        res.headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let res = app
        .put(&app.lp("/users/whoami"), &app.admin, &json!({}))
        .await;
    assert_eq!(allow(&res), "GET, HEAD");
    problem(res, 405).await;
    let res = app
        .send(Method::PATCH, &app.lp("/users/"), Some(&app.admin), None)
        .await;
    assert_eq!(allow(&res), "POST, GET, HEAD");
    problem(res, 405).await;
    // No GET, no HEAD.
    for method in [Method::GET, Method::HEAD] {
        let res = app
            .send(method.clone(), &app.url("/core/connect/token"), None, None)
            .await;
        assert_eq!(res.status(), 405, "{method}");
        assert_eq!(allow(&res), "POST", "{method}");
    }
}

#[actix_web::test]
async fn a_bearer_token_whose_kid_holds_nul_is_401_without_database_text() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let (row, tenant) = signing_key(&app.state);
    let key = EncodingKey::from_rsa_pem(row.private_key_pem.as_bytes()).expect("RSA PEM");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(format!("{}\0", row.kid));
    let token = jsonwebtoken::encode(&header, &standard_claims(&tenant, 1), &key).expect("sign");
    let res = app.get(&app.lp("/users/whoami"), &token).await;
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge:?}");
    assert_no_database_text(&challenge, "WWW-Authenticate");
    let detail = problem(res, 401).await;
    assert_no_database_text(&detail, "401 detail");
}
