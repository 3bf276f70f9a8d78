//! The operator API over HTTP: `/api/v2/institution/` and its VLE registrations — every route,
//! list pages (limit, offset, search, ordering), the write-once client secret, the institution
//! flags that bind VLE clients, tenant isolation between two institutions, revocation, and the
//! `institution add` command against a served process.

use crate::common;
use common::*;

use base64::Engine;
use d2l_groups::auth::scopes::ScopeSet;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response};
use serde_json::{json, Value};

const INSTITUTION_KEYS: &[&str] = &[
    "id",
    "acronym",
    "name",
    "external_ic",
    "mail_domain",
    "disable_vle_learner_creation",
    "disable_vle_instructor_creation",
    "disable_vle_user_creation",
    "allow_learner_report",
    "allow_learner_audit",
    "allow_valid_audit",
    "created_at",
    "updated_at",
];

const VLE_KEYS: &[&str] = &[
    "id",
    "type",
    "lti",
    "name",
    "credentials",
    "url",
    "client_id",
];

// ---------------------------------------------------------------------------------------------
// Helpers

fn institutions_url(app: &TestApp) -> String {
    app.url("/api/v2/institution/")
}

fn institution_url(app: &TestApp, id: i64) -> String {
    app.url(&format!("/api/v2/institution/{id}/"))
}

fn vles_url(app: &TestApp, institution: i64) -> String {
    app.url(&format!("/api/v2/institution/{institution}/vle/"))
}

fn vle_url(app: &TestApp, institution: i64, vle: i64) -> String {
    app.url(&format!("/api/v2/institution/{institution}/vle/{vle}/"))
}

async fn patch(app: &TestApp, url: &str, token: &str, body: &Value) -> Response {
    app.send(Method::PATCH, url, Some(token), Some(body)).await
}

/// The caller's own institution, as the list answers it.
async fn own_institution(app: &TestApp, token: &str) -> Value {
    let page = json_ok(app.get(&institutions_url(app), token).await).await;
    assert_eq!(page["count"], 1, "{page}");
    page["results"][0].clone()
}

async fn default_institution_id(app: &TestApp) -> i64 {
    own_institution(app, &app.admin).await["id"]
        .as_i64()
        .expect("id")
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

/// Registers a VLE as `token`'s admin; answers the 201 body.
async fn create_vle(app: &TestApp, token: &str, institution: i64, name: &str, url: &str) -> Value {
    let body = json!({"type": 1, "lti": {"version": "1.3"}, "name": name, "url": url});
    let res = app.post(&vles_url(app, institution), token, &body).await;
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).expect("JSON")
}

/// A client-credentials token for a VLE registration (its `client_id` and `credentials`).
async fn vle_token(app: &TestApp, vle: &Value) -> String {
    let id = vle["client_id"].as_str().expect("client_id");
    let secret = vle["credentials"].as_str().expect("credentials");
    let res = token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((id, secret)),
    )
    .await;
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// The claims of a JWT, unverified.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

/// The query pairs of an absolute page link, after checking it points at `path` on this server.
fn link(app: &TestApp, value: &Value, path: &str) -> Vec<(String, String)> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a link, got {value}"));
    assert!(
        text.starts_with(&app.url(path)),
        "{text} should start with {}",
        app.url(path)
    );
    assert!(text.starts_with("http://127.0.0.1:"), "{text}");
    let url = url::Url::parse(text).expect("absolute URL");
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|v| v["name"].as_str().expect("name").to_string())
        .collect()
}

/// A full institution body for PUT.
fn institution_put_body(acronym: &str, name: &str) -> Value {
    json!({
        "acronym": acronym,
        "name": name,
        "external_ic": true,
        "mail_domain": "example.edu",
        "disable_vle_learner_creation": true,
        "disable_vle_instructor_creation": false,
        "disable_vle_user_creation": true,
        "allow_learner_report": true,
        "allow_learner_audit": false,
        "allow_valid_audit": true
    })
}

// ---------------------------------------------------------------------------------------------
// Institutions

#[actix_web::test]
async fn list_answers_only_the_callers_institution_as_a_page() {
    let app = spawn_app().await;
    let page = json_ok(app.get(&institutions_url(&app), &app.admin).await).await;
    assert_eq!(
        keys_of(&page),
        sorted(vec!["count", "next", "previous", "results"])
    );
    assert_eq!(page["count"], 1);
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["previous"], Value::Null);
    let inst = &page["results"][0];
    assert_eq!(keys_of(inst), sorted(INSTITUTION_KEYS.to_vec()));
    assert_eq!(inst["acronym"], d2l_groups::bootstrap::DEFAULT_ACRONYM);
    assert!(inst["id"].is_i64());
    assert_eq!(inst["external_ic"], false);
    assert_eq!(inst["mail_domain"], Value::Null);
    for flag in [
        "disable_vle_learner_creation",
        "disable_vle_instructor_creation",
        "disable_vle_user_creation",
        "allow_learner_report",
        "allow_learner_audit",
        "allow_valid_audit",
    ] {
        assert!(inst[flag].is_boolean(), "{flag}: {inst}");
    }
    for stamp in ["created_at", "updated_at"] {
        let text = inst[stamp].as_str().expect("timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{stamp}: {text}"
        );
    }
    // Without the trailing slash too.
    let bare = json_ok(app.get(&app.url("/api/v2/institution"), &app.admin).await).await;
    assert_eq!(bare["results"][0]["id"], inst["id"]);
}

#[actix_web::test]
async fn institution_list_search_ordering_and_pages() {
    let app = spawn_app().await;
    let base = institutions_url(&app);
    let id = default_institution_id(&app).await;
    // Search: case-insensitive substring of acronym or name.
    for term in ["default", "DEF", "institution", "INSTITUTION"] {
        let page = json_ok(app.get(&format!("{base}?search={term}"), &app.admin).await).await;
        assert_eq!(page["count"], 1, "search={term}: {page}");
        assert_eq!(page["results"][0]["id"], id);
    }
    let page = json_ok(app.get(&format!("{base}?search=nomatch"), &app.admin).await).await;
    assert_eq!(page["count"], 0);
    assert_eq!(page["results"], json!([]));
    // Ordering by a field, either way; unknown fields are refused.
    for o in ["name", "-name", "id", "-created_at", "acronym"] {
        let page = json_ok(app.get(&format!("{base}?ordering={o}"), &app.admin).await).await;
        assert_eq!(page["count"], 1, "ordering={o}");
    }
    let detail = problem(
        app.get(&format!("{base}?ordering=password"), &app.admin)
            .await,
        400,
    )
    .await;
    assert!(detail.contains("ordering"), "{detail}");
    // Offset past the end: no results, the count kept, a previous link.
    let page = json_ok(app.get(&format!("{base}?offset=5"), &app.admin).await).await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["results"], json!([]));
    assert_eq!(page["next"], Value::Null);
    assert_eq!(
        link(&app, &page["previous"], "/api/v2/institution/"),
        pairs(&[("limit", "20")])
    );
    // limit=0 means the default; non-numbers are refused.
    let page = json_ok(app.get(&format!("{base}?limit=0"), &app.admin).await).await;
    assert_eq!(page["results"].as_array().expect("results").len(), 1);
    for bad in ["limit=abc", "limit=-1", "offset=x", "offset=-3"] {
        let detail = problem(app.get(&format!("{base}?{bad}"), &app.admin).await, 400).await;
        let field = bad.split('=').next().expect("name");
        assert!(detail.contains(field), "{bad}: {detail}");
    }
}

#[actix_web::test]
async fn get_answers_the_own_institution_and_404_otherwise() {
    let app = spawn_app().await;
    let mine = own_institution(&app, &app.admin).await;
    let id = mine["id"].as_i64().expect("id");
    let got = json_ok(app.get(&institution_url(&app, id), &app.admin).await).await;
    assert_eq!(got, mine);
    let bare = json_ok(
        app.get(&app.url(&format!("/api/v2/institution/{id}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(bare, mine);
    for other in [
        (id + 1000).to_string(),
        "0".to_string(),
        "-1".to_string(),
        "abc".to_string(),
    ] {
        let url = app.url(&format!("/api/v2/institution/{other}/"));
        problem(app.get(&url, &app.admin).await, 404).await;
    }
}

#[actix_web::test]
async fn put_replaces_every_writable_field_and_requires_them_all() {
    let app = spawn_app().await;
    let before = own_institution(&app, &app.admin).await;
    let id = before["id"].as_i64().expect("id");
    let url = institution_url(&app, id);
    let mut body = institution_put_body("NEWACR", "New Name");
    // Read-only fields are ignored.
    body["id"] = json!(id + 77);
    body["created_at"] = json!("2000-01-01T00:00:00Z");
    body["updated_at"] = json!("2000-01-01T00:00:00Z");
    let after = json_ok(app.put(&url, &app.admin, &body).await).await;
    assert_eq!(keys_of(&after), sorted(INSTITUTION_KEYS.to_vec()));
    assert_eq!(after["id"], id);
    assert_eq!(after["created_at"], before["created_at"]);
    assert_ne!(after["updated_at"], json!("2000-01-01T00:00:00Z"));
    assert_eq!(after["acronym"], "NEWACR");
    assert_eq!(after["name"], "New Name");
    assert_eq!(after["external_ic"], true);
    assert_eq!(after["mail_domain"], "example.edu");
    assert_eq!(after["disable_vle_learner_creation"], true);
    assert_eq!(after["disable_vle_instructor_creation"], false);
    assert_eq!(after["disable_vle_user_creation"], true);
    assert_eq!(after["allow_learner_report"], true);
    assert_eq!(after["allow_learner_audit"], false);
    assert_eq!(after["allow_valid_audit"], true);
    // Stored: GET answers the same.
    let got = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(got, after);

    // Every writable field is required by PUT.
    for field in INSTITUTION_KEYS
        .iter()
        .filter(|f| !matches!(**f, "id" | "created_at" | "updated_at"))
    {
        let mut partial = institution_put_body("NEWACR", "New Name");
        partial.as_object_mut().expect("object").remove(*field);
        let detail = problem(app.put(&url, &app.admin, &partial).await, 400).await;
        assert!(detail.contains(field), "{field}: {detail}");
    }
    // Nothing was changed by the refused PUTs.
    assert_eq!(
        json_ok(app.get(&url, &app.admin).await).await["name"],
        "New Name"
    );
    // Not a JSON object.
    problem(app.put(&url, &app.admin, &json!([1, 2])).await, 400).await;
}

#[actix_web::test]
async fn patch_changes_any_subset_and_names_wrong_fields() {
    let app = spawn_app().await;
    let before = own_institution(&app, &app.admin).await;
    let id = before["id"].as_i64().expect("id");
    let url = institution_url(&app, id);

    let after = json_ok(patch(&app, &url, &app.admin, &json!({"name": "Renamed"})).await).await;
    assert_eq!(after["name"], "Renamed");
    assert_eq!(after["acronym"], before["acronym"]);
    assert_eq!(after["mail_domain"], Value::Null);
    // An empty PATCH changes nothing that matters.
    let same = json_ok(patch(&app, &url, &app.admin, &json!({})).await).await;
    assert_eq!(same["name"], "Renamed");
    // Each flag alone.
    for flag in [
        "disable_vle_learner_creation",
        "disable_vle_instructor_creation",
        "disable_vle_user_creation",
        "allow_learner_report",
        "allow_learner_audit",
        "allow_valid_audit",
        "external_ic",
    ] {
        let current = json_ok(app.get(&url, &app.admin).await).await;
        let flipped = !current[flag].as_bool().expect("bool");
        let out = json_ok(patch(&app, &url, &app.admin, &json!({ flag: flipped })).await).await;
        assert_eq!(out[flag], flipped, "{flag}");
        for other in INSTITUTION_KEYS
            .iter()
            .filter(|k| **k != flag && **k != "updated_at")
        {
            assert_eq!(out[*other], current[*other], "{flag} changed {other}");
        }
    }
    // mail_domain: set (normalised), then cleared with null.
    let out = json_ok(
        patch(
            &app,
            &url,
            &app.admin,
            &json!({"mail_domain": "Example.EDU"}),
        )
        .await,
    )
    .await;
    assert_eq!(out["mail_domain"], "example.edu");
    let out = json_ok(patch(&app, &url, &app.admin, &json!({"mail_domain": null})).await).await;
    assert_eq!(out["mail_domain"], Value::Null);
    // Read-only fields ignored.
    let out = json_ok(
        patch(
            &app,
            &url,
            &app.admin,
            &json!({"id": 424242, "created_at": "1999-01-01T00:00:00Z"}),
        )
        .await,
    )
    .await;
    assert_eq!(out["id"], id);
    assert_eq!(out["created_at"], before["created_at"]);

    // Wrong types and values name the field.
    for (body, field) in [
        (json!({"external_ic": "yes"}), "external_ic"),
        (
            json!({"disable_vle_user_creation": 1}),
            "disable_vle_user_creation",
        ),
        (json!({"allow_valid_audit": null}), "allow_valid_audit"),
        (json!({"name": 5}), "name"),
        (json!({"name": null}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"acronym": 7}), "acronym"),
        (json!({"acronym": "has space"}), "acronym"),
        (json!({"acronym": ""}), "acronym"),
        (json!({"mail_domain": 3}), "mail_domain"),
        (json!({"mail_domain": "not a domain"}), "mail_domain"),
        (json!({"mail_domain": "nodot"}), "mail_domain"),
    ] {
        let detail = problem(patch(&app, &url, &app.admin, &body).await, 400).await;
        assert!(detail.contains(field), "{body}: {detail}");
    }
    // Not JSON at all.
    let res = app
        .client
        .patch(&url)
        .bearer_auth(&app.admin)
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    problem(res, 400).await;
    let after_all = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(after_all["name"], "Renamed");
}

#[actix_web::test]
async fn acronyms_are_unique_across_institutions() {
    let app = spawn_app().await;
    add_institution(&app, "UOC", "Other University");
    let id = default_institution_id(&app).await;
    let url = institution_url(&app, id);
    for taken in ["UOC", "uoc"] {
        let detail = problem(
            patch(&app, &url, &app.admin, &json!({"acronym": taken})).await,
            400,
        )
        .await;
        assert!(detail.contains("acronym"), "{detail}");
    }
    let detail = problem(
        app.put(&url, &app.admin, &institution_put_body("UOC", "X"))
            .await,
        400,
    )
    .await;
    assert!(detail.contains("acronym"), "{detail}");
    // Its own acronym (any case) and a free one are fine.
    let out = json_ok(patch(&app, &url, &app.admin, &json!({"acronym": "DEFAULT"})).await).await;
    assert_eq!(out["acronym"], "DEFAULT");
    let out = json_ok(patch(&app, &url, &app.admin, &json!({"acronym": "UOA-1_x"})).await).await;
    assert_eq!(out["acronym"], "UOA-1_x");
}

#[actix_web::test]
async fn unsupported_methods_answer_405() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let res = app
        .send(
            Method::POST,
            &institutions_url(&app),
            Some(&app.admin),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), 405);
    let res = app.delete(&institution_url(&app, id), &app.admin).await;
    assert_eq!(res.status(), 405);
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
}

// ---------------------------------------------------------------------------------------------
// Who may call

#[actix_web::test]
async fn only_administrators_with_the_scope_may_call() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let vle = create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let vid = vle["id"].as_i64().expect("id");
    app.create_user("stu", "Student").await;
    app.create_user("ins", "Instructor").await;
    let student = app.token_for("stu", "*:*:*");
    let instructor = app.token_for("ins", "*:*:*");
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, institutions_url(&app), None),
        (Method::GET, institution_url(&app, id), None),
        (
            Method::PUT,
            institution_url(&app, id),
            Some(institution_put_body("X", "Y")),
        ),
        (
            Method::PATCH,
            institution_url(&app, id),
            Some(json!({"name": "Y"})),
        ),
        (Method::GET, vles_url(&app, id), None),
        (
            Method::POST,
            vles_url(&app, id),
            Some(json!({"type": 0, "name": "X", "url": "https://x.example"})),
        ),
        (Method::GET, vle_url(&app, id, vid), None),
        (
            Method::PUT,
            vle_url(&app, id, vid),
            Some(json!({"type": 0, "lti": {}, "name": "X", "url": "https://x.example"})),
        ),
        (
            Method::PATCH,
            vle_url(&app, id, vid),
            Some(json!({"name": "X"})),
        ),
        (Method::DELETE, vle_url(&app, id, vid), None),
    ];
    for (method, url, body) in &routes {
        // No token: 401.
        problem(
            app.send(method.clone(), url, None, body.as_ref()).await,
            401,
        )
        .await;
        // A garbage token: 401.
        problem(
            app.send(method.clone(), url, Some("not.a.jwt"), body.as_ref())
                .await,
            401,
        )
        .await;
        // Non-administrators: 403.
        for token in [&student, &instructor] {
            problem(
                app.send(method.clone(), url, Some(token), body.as_ref())
                    .await,
                403,
            )
            .await;
        }
        // The administrator without the route's scope: 403 naming the scope check.
        let wrong = app.token_for("admin", "users:*:* orgunits:*:*");
        let detail = problem(
            app.send(method.clone(), url, Some(&wrong), body.as_ref())
                .await,
            403,
        )
        .await;
        assert!(detail.contains("Insufficient scope to call"), "{detail}");
    }
    // Each route's own scope is enough; a neighbouring one is not.
    let read = app.token_for("admin", "institutions:institution:read");
    json_ok(app.get(&institution_url(&app, id), &read).await).await;
    let detail = problem(
        patch(
            &app,
            &institution_url(&app, id),
            &read,
            &json!({"name": "Y"}),
        )
        .await,
        403,
    )
    .await;
    assert!(detail.contains("Insufficient scope to call"), "{detail}");
    problem(app.get(&vles_url(&app, id), &read).await, 403).await;
    let update = app.token_for("admin", "institutions:institution:update");
    json_ok(
        patch(
            &app,
            &institution_url(&app, id),
            &update,
            &json!({"name": "Y"}),
        )
        .await,
    )
    .await;
    let vle_read = app.token_for("admin", "institutions:vle:read");
    json_ok(app.get(&vles_url(&app, id), &vle_read).await).await;
    json_ok(app.get(&vle_url(&app, id, vid), &vle_read).await).await;
    problem(app.delete(&vle_url(&app, id, vid), &vle_read).await, 403).await;
    let vle_update = app.token_for("admin", "institutions:vle:update");
    json_ok(
        patch(
            &app,
            &vle_url(&app, id, vid),
            &vle_update,
            &json!({"name": "M2"}),
        )
        .await,
    )
    .await;
    let vle_create = app.token_for("admin", "institutions:vle:create");
    create_vle(
        &app,
        &vle_create,
        id,
        "Canvas",
        "https://canvas.example.edu",
    )
    .await;
    let vle_delete = app.token_for("admin", "institutions:vle:delete");
    let res = app.delete(&vle_url(&app, id, vid), &vle_delete).await;
    assert_eq!(res.status(), 204);
}

#[actix_web::test]
async fn vle_clients_may_not_call_the_operator_api() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let vle = create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let vid = vle["id"].as_i64().expect("id");
    let token = vle_token(&app, &vle).await;
    // Its registered scope does not reach the operator API.
    for url in [
        institutions_url(&app),
        institution_url(&app, id),
        vles_url(&app, id),
        vle_url(&app, id, vid),
    ] {
        problem(app.get(&url, &token).await, 403).await;
    }
    // Even a token of the VLE's client carrying every scope is refused.
    let service_user: i64 = json_ok(app.get(&app.lp("/users/whoami"), &token).await).await
        ["Identifier"]
        .as_str()
        .expect("Identifier")
        .parse()
        .expect("numeric");
    let client_id = vle["client_id"].as_str().expect("client_id").to_string();
    let all_scopes = app
        .state
        .db
        .read_sync(|conn| {
            let key = app.state.tokens.signing_key(conn, id)?;
            app.state.tokens.issue(
                &key,
                service_user,
                &ScopeSet::parse("*:*:*").expect("scope"),
                &client_id,
                600,
            )
        })
        .expect("issue")
        .0;
    for url in [
        institutions_url(&app),
        institution_url(&app, id),
        vles_url(&app, id),
        vle_url(&app, id, vid),
    ] {
        let detail = problem(app.get(&url, &all_scopes).await, 403).await;
        assert!(detail.contains("VLE"), "{detail}");
    }
    let detail = problem(
        app.post(
            &vles_url(&app, id),
            &all_scopes,
            &json!({"type": 0, "name": "Sneaky", "url": "https://x.example"}),
        )
        .await,
        403,
    )
    .await;
    assert!(detail.contains("VLE"), "{detail}");
    problem(app.delete(&vle_url(&app, id, vid), &all_scopes).await, 403).await;
    // Still registered.
    json_ok(app.get(&vle_url(&app, id, vid), &app.admin).await).await;
}

// ---------------------------------------------------------------------------------------------
// VLEs

#[actix_web::test]
async fn vle_create_answers_the_secret_once() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let body = json!({
        "type": 3, "lti": {"deployment_id": "d1", "issuer": "https://canvas.example.edu"},
        "name": "Canvas", "url": "https://canvas.example.edu/",
        "client_id": "chosen-by-me", "credentials": "chosen-secret", "id": 999
    });
    let res = app.post(&vles_url(&app, id), &app.admin, &body).await;
    assert_eq!(res.status(), 201);
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let created: Value = res.json().await.expect("JSON");
    assert_eq!(keys_of(&created), sorted(VLE_KEYS.to_vec()));
    assert_eq!(created["type"], 3);
    assert_eq!(created["name"], "Canvas");
    assert_eq!(created["url"], "https://canvas.example.edu/");
    assert_eq!(
        created["lti"],
        json!({"deployment_id": "d1", "issuer": "https://canvas.example.edu"})
    );
    // client_id and credentials are the server's, not the caller's.
    let client_id = created["client_id"].as_str().expect("client_id");
    assert_ne!(client_id, "chosen-by-me");
    assert!(!client_id.is_empty());
    let secret = created["credentials"].as_str().expect("credentials");
    assert_ne!(secret, "chosen-secret");
    assert!(secret.len() >= 16, "{secret}");
    assert_ne!(created["id"], 999);
    let vid = created["id"].as_i64().expect("id");

    // From now on the secret is never shown again.
    let got = json_ok(app.get(&vle_url(&app, id, vid), &app.admin).await).await;
    assert_eq!(got["credentials"], Value::Null);
    assert_eq!(got["client_id"], client_id);
    let mut expected = created.clone();
    expected["credentials"] = Value::Null;
    assert_eq!(got, expected);
    let list = json_ok(app.get(&vles_url(&app, id), &app.admin).await).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0], expected);
    let patched = json_ok(
        patch(
            &app,
            &vle_url(&app, id, vid),
            &app.admin,
            &json!({"credentials": "x", "client_id": "other"}),
        )
        .await,
    )
    .await;
    assert_eq!(patched["credentials"], Value::Null);
    assert_eq!(patched["client_id"], client_id, "client_id is read-only");
    let put = json_ok(
        app.put(
            &vle_url(&app, id, vid),
            &app.admin,
            &json!({"type": 3, "lti": {}, "name": "Canvas", "url": "https://canvas.example.edu/",
                    "client_id": "other"}),
        )
        .await,
    )
    .await;
    assert_eq!(put["credentials"], Value::Null);
    assert_eq!(put["client_id"], client_id);

    // The secret authenticates the VLE's client; its token names the VLE's client.
    let token = vle_token(&app, &created).await;
    assert_eq!(claims(&token)["client_id"], client_id);
    let me = json_ok(app.get(&app.lp("/users/whoami"), &token).await).await;
    assert!(me["Identifier"].is_string(), "{me}");
    assert_eq!(me["FirstName"], "Canvas");
    // A wrong secret is refused.
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((client_id, "wrong")),
    )
    .await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_client");
}

#[actix_web::test]
async fn vle_fields_are_validated_and_named() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let url = vles_url(&app, id);
    // Every type 0..=5 is accepted; lti defaults to an empty object.
    for kind in 0..=5 {
        let res = app
            .post(
                &url,
                &app.admin,
                &json!({"type": kind, "name": format!("VLE {kind}"), "url": "http://lms.example"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.expect("JSON");
        assert_eq!(v["type"], kind);
        assert_eq!(v["lti"], json!({}));
    }
    let valid = json!({"type": 1, "lti": {}, "name": "Fresh", "url": "https://lms.example"});
    let with = |field: &str, value: Value| {
        let mut b = valid.clone();
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = valid.clone();
        b.as_object_mut().expect("object").remove(field);
        b
    };
    for (body, field) in [
        (with("type", json!(6)), "type"),
        (with("type", json!(-1)), "type"),
        (with("type", json!("1")), "type"),
        (with("type", json!(1.5)), "type"),
        (with("lti", json!([])), "lti"),
        (with("lti", json!("x")), "lti"),
        (with("name", json!(5)), "name"),
        (with("name", json!("")), "name"),
        (with("name", json!("vle 3")), "name"),
        (with("name", json!("VLE 3")), "name"),
        (with("url", json!("not a url")), "url"),
        (with("url", json!("ftp://lms.example")), "url"),
        (with("url", json!("mailto:a@b.example")), "url"),
        (with("url", json!(12)), "url"),
        (without("type"), "type"),
        (without("name"), "name"),
        (without("url"), "url"),
    ] {
        let detail = problem(app.post(&url, &app.admin, &body).await, 400).await;
        assert!(detail.contains(field), "{body}: {detail}");
    }
    problem(app.post(&url, &app.admin, &json!("x")).await, 400).await;
    // Nothing was created by the refused requests.
    let list = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(list["count"], 6);
}

#[actix_web::test]
async fn vle_put_requires_every_field_and_patch_any() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let a = create_vle(&app, &app.admin, id, "Alpha", "https://alpha.example").await;
    create_vle(&app, &app.admin, id, "Beta", "https://beta.example").await;
    let aid = a["id"].as_i64().expect("id");
    let url = vle_url(&app, id, aid);
    let full =
        json!({"type": 4, "lti": {"k": "v"}, "name": "Alpha Prime", "url": "http://sakai.example"});
    let out = json_ok(app.put(&url, &app.admin, &full).await).await;
    assert_eq!(out["id"], aid);
    assert_eq!(out["type"], 4);
    assert_eq!(out["lti"], json!({"k": "v"}));
    assert_eq!(out["name"], "Alpha Prime");
    assert_eq!(out["url"], "http://sakai.example");
    assert_eq!(out["client_id"], a["client_id"]);
    assert_eq!(json_ok(app.get(&url, &app.admin).await).await, out);
    // PUT: each writable field is required.
    for field in ["type", "lti", "name", "url"] {
        let mut partial = full.clone();
        partial.as_object_mut().expect("object").remove(field);
        let detail = problem(app.put(&url, &app.admin, &partial).await, 400).await;
        assert!(detail.contains(field), "{field}: {detail}");
    }
    // PATCH: any subset.
    let out = json_ok(patch(&app, &url, &app.admin, &json!({"type": 5})).await).await;
    assert_eq!(out["type"], 5);
    assert_eq!(out["name"], "Alpha Prime");
    let out = json_ok(
        patch(
            &app,
            &url,
            &app.admin,
            &json!({"url": "https://bb.example/x"}),
        )
        .await,
    )
    .await;
    assert_eq!(out["url"], "https://bb.example/x");
    assert_eq!(out["type"], 5);
    // Renaming to its own name in another case is fine; to another VLE's name is not.
    let out = json_ok(patch(&app, &url, &app.admin, &json!({"name": "ALPHA PRIME"})).await).await;
    assert_eq!(out["name"], "ALPHA PRIME");
    for taken in ["Beta", "beta", "BETA"] {
        let detail = problem(
            patch(&app, &url, &app.admin, &json!({"name": taken})).await,
            400,
        )
        .await;
        assert!(detail.contains("name"), "{detail}");
    }
    let mut clash = full.clone();
    clash["name"] = json!("beta");
    problem(app.put(&url, &app.admin, &clash).await, 400).await;
    for (body, field) in [
        (json!({"type": 9}), "type"),
        (json!({"lti": 1}), "lti"),
        (json!({"url": "nope"}), "url"),
        (json!({"name": null}), "name"),
    ] {
        let detail = problem(patch(&app, &url, &app.admin, &body).await, 400).await;
        assert!(detail.contains(field), "{body}: {detail}");
    }
    // Unknown VLE ids are 404.
    for other in [(aid + 1000).to_string(), "abc".to_string()] {
        let u = app.url(&format!("/api/v2/institution/{id}/vle/{other}/"));
        problem(app.get(&u, &app.admin).await, 404).await;
        problem(patch(&app, &u, &app.admin, &json!({"type": 1})).await, 404).await;
        problem(app.put(&u, &app.admin, &full).await, 404).await;
        problem(app.delete(&u, &app.admin).await, 404).await;
    }
    // Without the trailing slash too.
    let bare = app.url(&format!("/api/v2/institution/{id}/vle/{aid}"));
    json_ok(app.get(&bare, &app.admin).await).await;
    json_ok(
        app.get(
            &app.url(&format!("/api/v2/institution/{id}/vle")),
            &app.admin,
        )
        .await,
    )
    .await;
}

#[actix_web::test]
async fn vle_list_pages_search_and_ordering() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let base = vles_url(&app, id);
    let path = format!("/api/v2/institution/{id}/vle/");
    for i in 0..25 {
        let host = if i % 5 == 0 { "moodle" } else { "canvas" };
        let body = json!({
            "type": i % 6, "name": format!("VLE {i:02}"),
            "url": format!("https://{host}{i}.example.org")
        });
        let res = app.post(&base, &app.admin, &body).await;
        assert_eq!(res.status(), 201);
    }
    // Default limit 20.
    let page = json_ok(app.get(&base, &app.admin).await).await;
    assert_eq!(page["count"], 25);
    assert_eq!(page["results"].as_array().expect("results").len(), 20);
    assert_eq!(
        link(&app, &page["next"], &path),
        pairs(&[("limit", "20"), ("offset", "20")])
    );
    assert_eq!(page["previous"], Value::Null);
    // Ordered by id by default.
    let ids: Vec<i64> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Following next reaches the rest.
    let next = page["next"].as_str().expect("next").to_string();
    let page2 = json_ok(app.get(&next, &app.admin).await).await;
    assert_eq!(page2["results"].as_array().expect("results").len(), 5);
    assert_eq!(page2["next"], Value::Null);
    assert_eq!(
        link(&app, &page2["previous"], &path),
        pairs(&[("limit", "20")])
    );
    // limit=10&offset=20: the last 5.
    let page = json_ok(
        app.get(&format!("{base}?limit=10&offset=20"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(page["count"], 25);
    assert_eq!(
        names(&page),
        (20..25).map(|i| format!("VLE {i}")).collect::<Vec<_>>()
    );
    assert_eq!(page["next"], Value::Null);
    assert_eq!(
        link(&app, &page["previous"], &path),
        pairs(&[("limit", "10"), ("offset", "10")])
    );
    // limit=10&offset=10: both links.
    let page = json_ok(
        app.get(&format!("{base}?limit=10&offset=10"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(
        link(&app, &page["next"], &path),
        pairs(&[("limit", "10"), ("offset", "20")])
    );
    assert_eq!(
        link(&app, &page["previous"], &path),
        pairs(&[("limit", "10")])
    );
    // Above the maximum: the maximum (500), so all 25.
    let page = json_ok(app.get(&format!("{base}?limit=1000"), &app.admin).await).await;
    assert_eq!(page["results"].as_array().expect("results").len(), 25);
    assert_eq!(page["next"], Value::Null);
    // limit=0: the default.
    let page = json_ok(app.get(&format!("{base}?limit=0"), &app.admin).await).await;
    assert_eq!(page["results"].as_array().expect("results").len(), 20);
    assert_eq!(
        link(&app, &page["next"], &path),
        pairs(&[("limit", "20"), ("offset", "20")])
    );
    // Offset past the end: empty, with the count and a previous link.
    let page = json_ok(
        app.get(&format!("{base}?offset=100&limit=10"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(page["count"], 25);
    assert_eq!(page["results"], json!([]));
    assert_eq!(page["next"], Value::Null);
    assert_eq!(
        link(&app, &page["previous"], &path),
        pairs(&[("limit", "10"), ("offset", "90")])
    );
    let page = json_ok(app.get(&format!("{base}?offset=25"), &app.admin).await).await;
    assert_eq!(page["results"], json!([]));
    assert_eq!(page["count"], 25);

    // Search: name or url, case-insensitive.
    let page = json_ok(app.get(&format!("{base}?search=MOODLE"), &app.admin).await).await;
    assert_eq!(page["count"], 5);
    assert_eq!(
        names(&page),
        ["VLE 00", "VLE 05", "VLE 10", "VLE 15", "VLE 20"]
    );
    let page = json_ok(app.get(&format!("{base}?search=vle%201"), &app.admin).await).await;
    assert_eq!(page["count"], 10);
    let page = json_ok(app.get(&format!("{base}?search=vle 07"), &app.admin).await).await;
    assert_eq!(names(&page), ["VLE 07"]);
    let page = json_ok(app.get(&format!("{base}?search=zzz"), &app.admin).await).await;
    assert_eq!(page["count"], 0);
    // Search keeps its term in the page links.
    let page = json_ok(
        app.get(&format!("{base}?search=canvas&limit=5"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(page["count"], 20);
    assert_eq!(
        link(&app, &page["next"], &path),
        pairs(&[("search", "canvas"), ("limit", "5"), ("offset", "5")])
    );

    // Ordering.
    let page = json_ok(
        app.get(&format!("{base}?ordering=-name&limit=3"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(names(&page), ["VLE 24", "VLE 23", "VLE 22"]);
    let page = json_ok(
        app.get(&format!("{base}?ordering=name&limit=3"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(names(&page), ["VLE 00", "VLE 01", "VLE 02"]);
    let page = json_ok(
        app.get(&format!("{base}?ordering=-id&limit=2"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(names(&page), ["VLE 24", "VLE 23"]);
    let page = json_ok(
        app.get(&format!("{base}?ordering=type&limit=100"), &app.admin)
            .await,
    )
    .await;
    let types: Vec<i64> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|v| v["type"].as_i64().expect("type"))
        .collect();
    assert!(types.windows(2).all(|w| w[0] <= w[1]), "{types:?}");
    let page = json_ok(
        app.get(&format!("{base}?ordering=-url&limit=1"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(page["results"][0]["url"], "https://moodle5.example.org");
    let page = json_ok(
        app.get(&format!("{base}?ordering=-name&search=moodle"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(
        names(&page),
        ["VLE 20", "VLE 15", "VLE 10", "VLE 05", "VLE 00"]
    );
    for bad in ["secret", "-credentials", "lti", "nope"] {
        let detail = problem(
            app.get(&format!("{base}?ordering={bad}"), &app.admin).await,
            400,
        )
        .await;
        assert!(detail.contains("ordering"), "{bad}: {detail}");
    }
    problem(app.get(&format!("{base}?limit=ten"), &app.admin).await, 400).await;
}

#[actix_web::test]
async fn vle_client_works_against_the_lp_api() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let vle = create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let token = vle_token(&app, &vle).await;
    let c = claims(&token);
    assert_eq!(c["client_id"], vle["client_id"]);
    let me = json_ok(app.get(&app.lp("/users/whoami"), &token).await).await;
    let service_user = me["Identifier"].as_str().expect("Identifier").to_string();
    assert_eq!(c["sub"], service_user.as_str());
    assert_eq!(me["FirstName"], "Moodle");
    // It provisions users and enrollments.
    let student = app.role_id("Student").await;
    let instructor = app.role_id("Instructor").await;
    let user = json_ok(
        app.post(
            &app.lp("/users/"),
            &token,
            &user_with_email("learner1", "learner1@example.edu", student),
        )
        .await,
    )
    .await;
    let user_id = user["UserId"].as_i64().expect("UserId");
    let course = app.create_course("MOD101").await;
    json_ok(
        app.post(
            &app.lp("/enrollments/"),
            &token,
            &json!({"OrgUnitId": course, "UserId": user_id, "RoleId": instructor}),
        )
        .await,
    )
    .await;
    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &token)
            .await,
    )
    .await;
    // It may not assign the Administrator role (its role lacks permissions).
    let admin_role = app.role_id("Administrator").await;
    problem(
        app.post(
            &app.lp("/users/"),
            &token,
            &user_with_email("sneaky", "sneaky@example.edu", admin_role),
        )
        .await,
        403,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Flags

/// The default institution's id, a VLE's token, and the roles' ids.
struct FlagSetup {
    app: TestApp,
    id: i64,
    token: String,
    student: i64,
    instructor: i64,
}

async fn flag_setup() -> FlagSetup {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let vle = create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let token = vle_token(&app, &vle).await;
    let student = app.role_id("Student").await;
    let instructor = app.role_id("Instructor").await;
    FlagSetup {
        app,
        id,
        token,
        student,
        instructor,
    }
}

async fn set_flags(s: &FlagSetup, body: Value) {
    json_ok(patch(&s.app, &institution_url(&s.app, s.id), &s.app.admin, &body).await).await;
}

#[actix_web::test]
async fn disable_vle_user_creation_binds_vle_clients_only() {
    let s = flag_setup().await;
    let app = &s.app;
    // Allowed by default.
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("before", "before@example.edu", s.student),
        )
        .await,
    )
    .await;
    set_flags(&s, json!({"disable_vle_user_creation": true})).await;
    problem(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("during", "during@example.edu", s.student),
        )
        .await,
        403,
    )
    .await;
    // The administrator is not bound by it.
    json_ok(
        app.post(
            &app.lp("/users/"),
            &app.admin,
            &user_with_email("byadmin", "byadmin@example.edu", s.student),
        )
        .await,
    )
    .await;
    // Cleared: allowed again.
    set_flags(&s, json!({"disable_vle_user_creation": false})).await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("after", "after@example.edu", s.student),
        )
        .await,
    )
    .await;
}

#[actix_web::test]
async fn disable_vle_learner_creation_refuses_student_enrollments() {
    let s = flag_setup().await;
    let app = &s.app;
    let course = app.create_course("BIO101").await;
    let u1 = app.create_user("u1", "Student").await;
    let u2 = app.create_user("u2", "Student").await;
    let u3 = app.create_user("u3", "Student").await;
    let enroll =
        |user: i64, role: i64| json!({"OrgUnitId": course, "UserId": user, "RoleId": role});
    json_ok(
        app.post(&app.lp("/enrollments/"), &s.token, &enroll(u1, s.student))
            .await,
    )
    .await;
    set_flags(&s, json!({"disable_vle_learner_creation": true})).await;
    let detail = problem(
        app.post(&app.lp("/enrollments/"), &s.token, &enroll(u2, s.student))
            .await,
        403,
    )
    .await;
    assert!(detail.contains("Student"), "{detail}");
    // Instructors still may be enrolled by the VLE; students by the administrator.
    json_ok(
        app.post(
            &app.lp("/enrollments/"),
            &s.token,
            &enroll(u3, s.instructor),
        )
        .await,
    )
    .await;
    json_ok(
        app.post(&app.lp("/enrollments/"), &app.admin, &enroll(u2, s.student))
            .await,
    )
    .await;
}

#[actix_web::test]
async fn disable_vle_instructor_creation_refuses_instructor_enrollments() {
    let s = flag_setup().await;
    let app = &s.app;
    let course = app.create_course("CHEM101").await;
    let u1 = app.create_user("u1", "Student").await;
    let u2 = app.create_user("u2", "Student").await;
    let u3 = app.create_user("u3", "Student").await;
    let enroll =
        |user: i64, role: i64| json!({"OrgUnitId": course, "UserId": user, "RoleId": role});
    json_ok(
        app.post(
            &app.lp("/enrollments/"),
            &s.token,
            &enroll(u1, s.instructor),
        )
        .await,
    )
    .await;
    set_flags(&s, json!({"disable_vle_instructor_creation": true})).await;
    let detail = problem(
        app.post(
            &app.lp("/enrollments/"),
            &s.token,
            &enroll(u2, s.instructor),
        )
        .await,
        403,
    )
    .await;
    assert!(detail.contains("Instructor"), "{detail}");
    json_ok(
        app.post(&app.lp("/enrollments/"), &s.token, &enroll(u3, s.student))
            .await,
    )
    .await;
    json_ok(
        app.post(
            &app.lp("/enrollments/"),
            &app.admin,
            &enroll(u2, s.instructor),
        )
        .await,
    )
    .await;
}

#[actix_web::test]
async fn mail_domain_binds_vle_created_users() {
    let s = flag_setup().await;
    let app = &s.app;
    set_flags(&s, json!({"mail_domain": "uni.example.edu"})).await;
    let detail = problem(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("out1", "out1@elsewhere.org", s.student),
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("ExternalEmail"), "{detail}");
    // A subdomain is another domain.
    problem(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("out2", "out2@x.uni.example.edu", s.student),
        )
        .await,
        400,
    )
    .await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("in1", "in1@uni.example.edu", s.student),
        )
        .await,
    )
    .await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("in2", "in2@UNI.Example.EDU", s.student),
        )
        .await,
    )
    .await;
    // The administrator is not bound.
    json_ok(
        app.post(
            &app.lp("/users/"),
            &app.admin,
            &user_with_email("adm1", "adm1@elsewhere.org", s.student),
        )
        .await,
    )
    .await;
    // Cleared: any domain again.
    set_flags(&s, json!({"mail_domain": null})).await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("out3", "out3@elsewhere.org", s.student),
        )
        .await,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Revocation

#[actix_web::test]
async fn deleting_a_vle_revokes_its_client_at_once() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let vle = create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let keep = create_vle(&app, &app.admin, id, "Canvas", "https://canvas.example.edu").await;
    let vid = vle["id"].as_i64().expect("id");
    let token = vle_token(&app, &vle).await;
    let kept_token = vle_token(&app, &keep).await;
    // The token works (and is now cached).
    json_ok(app.get(&app.lp("/users/whoami"), &token).await).await;

    let res = app.delete(&vle_url(&app, id, vid), &app.admin).await;
    assert_eq!(res.status(), 204);
    assert!(res.text().await.expect("body").is_empty());

    let detail = problem(app.get(&app.lp("/users/whoami"), &token).await, 401).await;
    assert!(detail.contains("revoked"), "{detail}");
    problem(
        app.post(
            &app.lp("/users/"),
            &token,
            &user_with_email("late", "late@example.edu", app.role_id("Student").await),
        )
        .await,
        401,
    )
    .await;
    // Its credentials are refused.
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((
            vle["client_id"].as_str().expect("id"),
            vle["credentials"].as_str().expect("secret"),
        )),
    )
    .await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_client");
    // Gone from the API.
    problem(app.get(&vle_url(&app, id, vid), &app.admin).await, 404).await;
    problem(app.delete(&vle_url(&app, id, vid), &app.admin).await, 404).await;
    problem(
        patch(
            &app,
            &vle_url(&app, id, vid),
            &app.admin,
            &json!({"type": 1}),
        )
        .await,
        404,
    )
    .await;
    let list = json_ok(app.get(&vles_url(&app, id), &app.admin).await).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["name"], "Canvas");
    // The other VLE is untouched.
    json_ok(app.get(&app.lp("/users/whoami"), &kept_token).await).await;
    // Its name is free again.
    create_vle(
        &app,
        &app.admin,
        id,
        "moodle",
        "https://moodle2.example.edu",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Tenant isolation

#[actix_web::test]
async fn two_institutions_see_nothing_of_each_other() {
    let app = spawn_app().await;
    let a = default_institution_id(&app).await;
    let b = add_institution(&app, "UOC", "Other University");
    assert_ne!(a, b);
    let admin_b = mint_in(&app.state, "UOC", "admin", "*:*:*", 3600);

    // Each admin's list shows only their own institution.
    let mine_a = own_institution(&app, &app.admin).await;
    assert_eq!(mine_a["id"], a);
    let mine_b = own_institution(&app, &admin_b).await;
    assert_eq!(mine_b["id"], b);
    assert_eq!(mine_b["acronym"], "UOC");
    assert_eq!(mine_b["name"], "Other University");
    let page = json_ok(
        app.get(
            &format!("{}?search=UOC", institutions_url(&app)),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(page["count"], 0);

    let vle_a = create_vle(&app, &app.admin, a, "Moodle A", "https://a.example").await;
    let vle_b = create_vle(&app, &admin_b, b, "Moodle B", "https://b.example").await;
    let va = vle_a["id"].as_i64().expect("id");
    let vb = vle_b["id"].as_i64().expect("id");
    // The same name may be used in both institutions.
    create_vle(&app, &admin_b, b, "Moodle A", "https://b2.example").await;

    for (token, own, other, other_vle) in [(&app.admin, a, b, vb), (&admin_b, b, a, va)] {
        problem(app.get(&institution_url(&app, other), token).await, 404).await;
        problem(
            app.put(
                &institution_url(&app, other),
                token,
                &institution_put_body("HIJACK", "X"),
            )
            .await,
            404,
        )
        .await;
        problem(
            patch(
                &app,
                &institution_url(&app, other),
                token,
                &json!({"name": "X"}),
            )
            .await,
            404,
        )
        .await;
        problem(app.get(&vles_url(&app, other), token).await, 404).await;
        problem(
            app.post(
                &vles_url(&app, other),
                token,
                &json!({"type": 0, "name": "Intruder", "url": "https://x.example"}),
            )
            .await,
            404,
        )
        .await;
        problem(app.get(&vle_url(&app, other, other_vle), token).await, 404).await;
        problem(
            patch(
                &app,
                &vle_url(&app, other, other_vle),
                token,
                &json!({"name": "X"}),
            )
            .await,
            404,
        )
        .await;
        problem(
            app.delete(&vle_url(&app, other, other_vle), token).await,
            404,
        )
        .await;
        // The other's VLE through one's own institution: not found either.
        problem(app.get(&vle_url(&app, own, other_vle), token).await, 404).await;
        problem(app.delete(&vle_url(&app, own, other_vle), token).await, 404).await;
        // One's own VLE list holds only one's own.
        let list = json_ok(app.get(&vles_url(&app, own), token).await).await;
        assert!(
            list["results"]
                .as_array()
                .expect("results")
                .iter()
                .all(|v| v["id"] != other_vle),
            "{list}"
        );
    }
    let list_a = json_ok(app.get(&vles_url(&app, a), &app.admin).await).await;
    assert_eq!(list_a["count"], 1);
    let list_b = json_ok(app.get(&vles_url(&app, b), &admin_b).await).await;
    assert_eq!(list_b["count"], 2);
    // Nothing changed hands.
    assert_eq!(own_institution(&app, &app.admin).await, mine_a);
    assert_eq!(own_institution(&app, &admin_b).await, mine_b);
    json_ok(app.get(&vle_url(&app, a, va), &app.admin).await).await;
    json_ok(app.get(&vle_url(&app, b, vb), &admin_b).await).await;

    // Org units and users of A are invisible to B's admin and to B's VLE.
    let course_a = app.create_course("SECRET101").await;
    let user_a = app.create_user("alice", "Student").await;
    let token_b = vle_token(&app, &vle_b).await;
    assert_eq!(claims(&token_b)["client_id"], vle_b["client_id"]);
    for token in [&admin_b, &token_b] {
        problem(
            app.get(&app.lp(&format!("/courses/{course_a}")), token)
                .await,
            404,
        )
        .await;
        problem(
            app.get(
                &app.lp(&format!("/enrollments/orgUnits/{ROOT}/users/")),
                token,
            )
            .await,
            404,
        )
        .await;
        problem(
            app.get(&app.lp(&format!("/users/{user_a}")), token).await,
            404,
        )
        .await;
        let found = app.get(&app.lp("/users/?userName=alice"), token).await;
        assert_ne!(found.status(), 200, "B found A's user");
        problem(
            app.get(
                &app.lp(&format!("/enrollments/orgUnits/{course_a}/users/")),
                token,
            )
            .await,
            404,
        )
        .await;
    }
    // B's VLE may not enroll A's user in A's course.
    let student_b = {
        let roles = json_ok(app.get(&app.lp("/roles/"), &admin_b).await).await;
        roles
            .as_array()
            .expect("roles")
            .iter()
            .find(|r| r["DisplayName"] == "Student")
            .and_then(|r| r["Identifier"].as_str())
            .and_then(|s| s.parse::<i64>().ok())
            .expect("Student role")
    };
    problem(
        app.post(
            &app.lp("/enrollments/"),
            &token_b,
            &json!({"OrgUnitId": course_a, "UserId": user_a, "RoleId": student_b}),
        )
        .await,
        404,
    )
    .await;
    // And A's VLE sees nothing of B: B's VLE service user is not among A's users.
    let token_a = vle_token(&app, &vle_a).await;
    let me_b = json_ok(app.get(&app.lp("/users/whoami"), &token_b).await).await;
    let b_user = me_b["Identifier"].as_str().expect("Identifier");
    problem(
        app.get(&app.lp(&format!("/users/{b_user}")), &token_a)
            .await,
        404,
    )
    .await;
    problem(
        app.get(&app.lp(&format!("/users/{b_user}")), &app.admin)
            .await,
        404,
    )
    .await;
    // And B's org units are invisible to A's admin and A's VLE.
    let course_b = json_ok(
        app.post(&app.lp("/courses/"), &admin_b, &course_body("UOC101"))
            .await,
    )
    .await["Identifier"]
        .as_str()
        .expect("Identifier")
        .to_string();
    json_ok(
        app.get(&app.lp(&format!("/courses/{course_b}")), &token_b)
            .await,
    )
    .await;
    for token in [&app.admin, &token_a] {
        problem(
            app.get(&app.lp(&format!("/courses/{course_b}")), token)
                .await,
            404,
        )
        .await;
    }
    // B's VLE can work in its own institution.
    let created = json_ok(
        app.post(
            &app.lp("/users/"),
            &token_b,
            &user_with_email("bob", "bob@uoc.example", student_b),
        )
        .await,
    )
    .await;
    let bob = created["UserId"].as_i64().expect("UserId");
    problem(
        app.get(&app.lp(&format!("/users/{bob}")), &app.admin).await,
        404,
    )
    .await;
    json_ok(app.get(&app.lp(&format!("/users/{bob}")), &admin_b).await).await;
}

#[actix_web::test]
async fn flags_of_one_institution_do_not_bind_the_others_vles() {
    let app = spawn_app().await;
    let a = default_institution_id(&app).await;
    let b = add_institution(&app, "UOC", "Other University");
    let admin_b = mint_in(&app.state, "UOC", "admin", "*:*:*", 3600);
    let vle_a = create_vle(&app, &app.admin, a, "Moodle", "https://a.example").await;
    let vle_b = create_vle(&app, &admin_b, b, "Moodle", "https://b.example").await;
    let token_a = vle_token(&app, &vle_a).await;
    let token_b = vle_token(&app, &vle_b).await;
    // B forbids its VLEs to create users; A does not.
    json_ok(
        patch(
            &app,
            &institution_url(&app, b),
            &admin_b,
            &json!({"disable_vle_user_creation": true}),
        )
        .await,
    )
    .await;
    let student_a = app.role_id("Student").await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &token_a,
            &user_with_email("fromA", "a@example.edu", student_a),
        )
        .await,
    )
    .await;
    let roles_b = json_ok(app.get(&app.lp("/roles/"), &admin_b).await).await;
    let student_b: i64 = roles_b
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["DisplayName"] == "Student")
        .and_then(|r| r["Identifier"].as_str())
        .and_then(|s| s.parse().ok())
        .expect("Student role");
    problem(
        app.post(
            &app.lp("/users/"),
            &token_b,
            &user_with_email("fromB", "b@example.edu", student_b),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(
        own_institution(&app, &app.admin).await["disable_vle_user_creation"],
        false
    );
}

// ---------------------------------------------------------------------------------------------
// The command line

fn run(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups")
}

fn stdout_value(out: &std::process::Output, key: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {text}"))
        .to_string()
}

#[actix_web::test]
async fn cli_institution_add_then_serve() {
    let url = fresh_database_url();
    let out = run(&url, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &url,
        &[
            "institution",
            "add",
            "--acronym",
            "UOC",
            "--name",
            "Other University",
            "--mail-domain",
            "uoc.example.edu",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let institution_id: i64 = stdout_value(&out, "institution_id").parse().expect("id");
    let tenant_id = stdout_value(&out, "tenant_id");
    assert!(uuid::Uuid::parse_str(&tenant_id).is_ok(), "{tenant_id}");
    let root: i64 = stdout_value(&out, "root_org_unit_id")
        .parse()
        .expect("root");
    let admin_user: i64 = stdout_value(&out, "admin_user_id").parse().expect("admin");
    assert!(root > 0 && admin_user > 0);
    // The same acronym again (any case) is refused.
    for again in ["UOC", "uoc"] {
        let out = run(
            &url,
            &["institution", "add", "--acronym", again, "--name", "Again"],
        );
        assert_eq!(out.status.code(), Some(1), "{again}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("exists"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Bad arguments are refused.
    let out = run(
        &url,
        &[
            "institution",
            "add",
            "--acronym",
            "bad acronym",
            "--name",
            "X",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(
        &url,
        &[
            "institution",
            "add",
            "--acronym",
            "UOX",
            "--name",
            "X",
            "--mail-domain",
            "nodot",
        ],
    );
    assert_eq!(out.status.code(), Some(1));

    let out = run(&url, &["token", "--institution", "UOC", "--user", "admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token_b = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = run(&url, &["token", "--user", "admin"]);
    assert!(out.status.success());
    let token_a = String::from_utf8_lossy(&out.stdout).trim().to_string();

    let server = ServerProcess::start(&url, &[]);
    let client = reqwest::Client::new();
    let get = |path: String, token: String| {
        let client = client.clone();
        let url = server.url(&path);
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("request")
        }
    };
    let page = json_ok(get("/api/v2/institution/".into(), token_b.clone()).await).await;
    assert_eq!(page["count"], 1);
    let inst = &page["results"][0];
    assert_eq!(inst["id"], institution_id);
    assert_eq!(inst["acronym"], "UOC");
    assert_eq!(inst["name"], "Other University");
    assert_eq!(inst["mail_domain"], "uoc.example.edu");
    let whoami = json_ok(get(format!("/d2l/api/lp/{V}/users/whoami"), token_b.clone()).await).await;
    assert_eq!(whoami["Identifier"], admin_user.to_string());
    json_ok(
        get(
            format!("/d2l/api/lp/{V}/enrollments/orgUnits/{root}/users/"),
            token_b.clone(),
        )
        .await,
    )
    .await;
    // The default institution's admin sees only its own, and not UOC.
    let page = json_ok(get("/api/v2/institution/".into(), token_a.clone()).await).await;
    assert_eq!(page["count"], 1);
    assert_ne!(page["results"][0]["id"], institution_id);
    problem(
        get(
            format!("/api/v2/institution/{institution_id}/"),
            token_a.clone(),
        )
        .await,
        404,
    )
    .await;
    problem(
        get(
            format!("/d2l/api/lp/{V}/enrollments/orgUnits/{root}/users/"),
            token_a.clone(),
        )
        .await,
        404,
    )
    .await;
    drop(server);
}

#[actix_web::test]
async fn concurrent_vles_with_one_name_yield_one_registration() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let url = vles_url(&app, id);
    let attempts = (0..8).map(|i| {
        let body =
            json!({"type": 1, "name": "Same Name", "url": format!("https://lms{i}.example")});
        let app = &app;
        let url = url.clone();
        async move {
            let res = app.post(&url, &app.admin, &body).await;
            let status = res.status().as_u16();
            (status, res.text().await.expect("body"))
        }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{outcomes:?}");
    for (status, text) in &outcomes {
        assert!(*status == 201 || *status == 400, "{status}: {text}");
    }
    let list = json_ok(app.get(&url, &app.admin).await).await;
    assert_eq!(list["count"], 1);
}

/// PostgreSQL only (SQLite serializes writers): a VLE name taken by a transaction that commits
/// while the request is being written must still answer 400 naming `name`, not 500.
#[actix_web::test]
async fn a_name_taken_concurrently_is_400_not_500() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if !is_postgres() {
        return;
    }
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    let other = create_vle(&app, &app.admin, id, "Other", "https://other.example").await;
    let other_id = other["id"].as_i64().expect("id");
    let victim = create_vle(&app, &app.admin, id, "Victim", "https://victim.example").await;
    let victim_id = victim["id"].as_i64().expect("id");
    for (n, send_patch) in [(1, false), (2, true)] {
        let name = format!("Race{n}");
        // Another transaction takes the name, uncommitted: the server's check cannot see it,
        // and its write waits on the unique index.
        let mut conn = diesel::PgConnection::establish(&app.database_url).expect("connect");
        conn.batch_execute(&format!(
            "BEGIN; UPDATE vles SET name = '{name}', name_key = '{}' WHERE id = {other_id}",
            name.to_lowercase()
        ))
        .expect("hold the name");
        let request = {
            let client = app.client.clone();
            let token = app.admin.clone();
            let (method, url, body) = if send_patch {
                (
                    Method::PATCH,
                    vle_url(&app, id, victim_id),
                    json!({"name": name}),
                )
            } else {
                (
                    Method::POST,
                    vles_url(&app, id),
                    json!({"type": 1, "name": name, "url": "https://race.example"}),
                )
            };
            actix_web::rt::spawn(async move {
                client
                    .request(method, url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("request")
            })
        };
        actix_web::rt::time::sleep(std::time::Duration::from_millis(800)).await;
        conn.batch_execute("COMMIT").expect("commit");
        let res = request.await.expect("task");
        let detail = problem(res, 400).await;
        assert!(detail.contains("name"), "{detail}");
        // Give "Other" its name back for the next round.
        conn.batch_execute(&format!(
            "UPDATE vles SET name = 'Other', name_key = 'other' WHERE id = {other_id}"
        ))
        .expect("restore");
    }
}

/// `POST /users/` enrolls the new user at the root with its `RoleId`: that is an enrollment as
/// that role too, so the learner and instructor flags must refuse it for VLE clients.
#[actix_web::test]
async fn role_flags_also_bind_user_creation() {
    let s = flag_setup().await;
    let app = &s.app;
    set_flags(
        &s,
        json!({"disable_vle_learner_creation": true, "disable_vle_instructor_creation": true}),
    )
    .await;
    problem(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("learner", "learner@example.edu", s.student),
        )
        .await,
        403,
    )
    .await;
    problem(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("teacher", "teacher@example.edu", s.instructor),
        )
        .await,
        403,
    )
    .await;
    // Another role is still fine.
    let ta = app.role_id("Teaching Assistant").await;
    json_ok(
        app.post(
            &app.lp("/users/"),
            &s.token,
            &user_with_email("assistant", "assistant@example.edu", ta),
        )
        .await,
    )
    .await;
}

/// An offset near the top of the integer range is past the end like any other.
#[actix_web::test]
async fn huge_offsets_are_past_the_end() {
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    create_vle(&app, &app.admin, id, "Moodle", "https://moodle.example.edu").await;
    let max = u64::MAX.to_string();
    for base in [institutions_url(&app), vles_url(&app, id)] {
        for query in [format!("offset={max}"), format!("offset={max}&limit=500")] {
            let res = app.get(&format!("{base}?{query}"), &app.admin).await;
            let page = json_ok(res).await;
            assert_eq!(page["count"], 1, "{query}: {page}");
            assert_eq!(page["results"], json!([]), "{query}");
            assert_eq!(page["next"], Value::Null, "{query}");
            assert!(page["previous"].is_string(), "{query}");
        }
    }
    // Beyond the integer range: refused, naming the parameter.
    let detail = problem(
        app.get(&format!("{}?offset=1{max}", vles_url(&app, id)), &app.admin)
            .await,
        400,
    )
    .await;
    assert!(detail.contains("offset"), "{detail}");
}

/// Renaming the default institution's acronym must not make the next start (`migrate`, `serve`)
/// create a second, empty "DEFAULT" institution with an admin of its own.
#[actix_web::test]
async fn renaming_the_default_institution_does_not_recreate_it() {
    use d2l_groups::schema::institutions;
    use diesel::prelude::*;
    let app = spawn_app().await;
    let id = default_institution_id(&app).await;
    json_ok(
        patch(
            &app,
            &institution_url(&app, id),
            &app.admin,
            &json!({"acronym": "UOA"}),
        )
        .await,
    )
    .await;
    let state = app.state.clone();
    let created = actix_web::rt::task::spawn_blocking(move || {
        d2l_groups::bootstrap::ensure_default_institution(&state.db, "Student")
    })
    .await
    .expect("thread")
    .expect("ensure default institution");
    assert!(
        created.is_none(),
        "a second default institution was created"
    );
    let count: i64 = app
        .state
        .db
        .read_sync(|conn| Ok(institutions::table.count().get_result(conn)?))
        .expect("count");
    assert_eq!(count, 1);
}
