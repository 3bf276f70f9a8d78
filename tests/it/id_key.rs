//! D2L's ID-key signing (brightspace-2026.md §10): calls signed with `x_a` ... `x_t` instead of
//! a bearer token, on both backends: what a good signature reaches, the plain-text 403s of a
//! bad one (`Invalid token`, `Timestamp out of range` with the server time), anonymous signing,
//! revocation, scopes, permissions, rate-limit buckets; and the `app` commands of the binary.
//!
//! Signatures are computed here with `hmac` and `sha2` directly, not with the server's code, so
//! that a server that signs wrongly cannot agree with itself.

use crate::common::*;

use std::process::{Command, Output};

use d2l_groups::auth::id_key::SecretKeyFile;
use d2l_groups::auth::scopes::ScopeSet;
use d2l_groups::bootstrap::{find_institution, DEFAULT_ACRONYM};
use d2l_groups::services::id_keys;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::common::id_key_signature as hmac_sign;

/// The signature of a call: `METHOD&lower(path)&t`.
fn call_signature(key: &str, method: &str, path: &str, t: i64) -> String {
    hmac_sign(key, &format!("{method}&{}&{t}", path.to_lowercase()))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An app's id and key, and a user's pair for it when the calls are a user's.
#[derive(Clone)]
struct Keys {
    app_id: String,
    app_key: String,
    user: Option<(String, String)>,
}

/// Registers an app of the default institution with `scope`, as `app add` does.
fn register_app(app: &TestApp, scope: &str) -> Keys {
    register_app_under(app, scope, &app.state.settings.secret_key_file)
}

fn register_app_under(app: &TestApp, scope: &str, secret: &SecretKeyFile) -> Keys {
    let scopes = ScopeSet::parse(scope).expect("scope");
    let made = app
        .state
        .db
        .write_sync(|conn| {
            let institution = find_institution(conn, DEFAULT_ACRONYM)?;
            id_keys::create_app(conn, secret, institution.id, "test app", &scopes, None)
        })
        .expect("app");
    Keys {
        app_id: made.app_id,
        app_key: made.app_key,
        user: None,
    }
}

/// `keys` acting as user `user_id` (the user's pair, made or fetched as `app user-key` does).
fn as_user(app: &TestApp, keys: &Keys, user_id: i64) -> Keys {
    let secret = app.state.settings.secret_key_file.clone();
    let pair = app
        .state
        .db
        .write_sync(|conn| id_keys::user_key(conn, &secret, &keys.app_id, user_id))
        .expect("user key");
    Keys {
        user: Some(pair),
        ..keys.clone()
    }
}

/// The admin's keys for a new app with every scope.
fn admin_keys(app: &TestApp) -> Keys {
    let keys = register_app(app, "*:*:*");
    as_user(app, &keys, admin_id())
}

/// The bootstrap admin's UserId.
fn admin_id() -> i64 {
    1000
}

/// `path` (and `query`, without `?`) with the signing parameters for `method` at time `t`,
/// the signed path being `signed_path` (the path itself, unless a test replays a signature).
fn signed_as(
    app: &TestApp,
    method: &str,
    path: &str,
    signed_path: &str,
    query: &str,
    keys: &Keys,
    t: i64,
) -> String {
    let x_c = call_signature(&keys.app_key, method, signed_path, t);
    let user = match &keys.user {
        Some((user_id, user_key)) => format!(
            "&x_b={user_id}&x_d={}",
            call_signature(user_key, method, signed_path, t)
        ),
        None => String::new(),
    };
    let sep = if query.is_empty() { "" } else { "&" };
    app.url(&format!(
        "{path}?{query}{sep}x_a={}&x_c={x_c}{user}&x_t={t}",
        keys.app_id
    ))
}

/// `path` signed for `method`, now.
fn signed(app: &TestApp, method: &str, path: &str, keys: &Keys) -> String {
    signed_as(app, method, path, path, "", keys, now())
}

async fn call(app: &TestApp, method: Method, url: &str, body: Option<&Value>) -> Response {
    app.send(method, url, None, body).await
}

/// The plain-text 403 the SDKs compare exactly.
async fn assert_invalid_token(res: Response, label: &str) {
    let status = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let body = res.text().await.expect("body");
    assert_eq!(status, 403, "{label}: {body}");
    assert!(ctype.starts_with("text/plain"), "{label}: {ctype}");
    assert_eq!(body, "Invalid token", "{label}");
}

/// The plain-text 403 for a timestamp outside the window; answers the server time it gives.
async fn timestamp_refusal(res: Response) -> i64 {
    let status = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let body = res.text().await.expect("body");
    assert_eq!(status, 403, "{body}");
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    let time = body
        .strip_prefix("Timestamp out of range\r\n")
        .and_then(|rest| rest.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("body {body:?}"));
    assert!(time.chars().all(|c| c.is_ascii_digit()), "{body:?}");
    time.parse().expect("seconds")
}

fn lp_path(rest: &str) -> String {
    format!("/d2l/api/lp/{V}{rest}")
}

/// A course with a complete category of two groups (no enrollment); answers (course,
/// category, the first group).
async fn course_with_groups(app: &TestApp, code: &str) -> (i64, i64, i64) {
    let course = app.create_course(code).await;
    let form = category_form("Teams", json!(0), json!({"NumberOfGroups": 2}));
    let res = app
        .post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &form,
        )
        .await;
    let job = json_typed(res, 202).await;
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    let status_url = app.lp(&format!("/{course}/groupcategories/{category}/status"));
    let started = std::time::Instant::now();
    loop {
        let status = json_ok(app.get(&status_url, &app.admin).await).await;
        if status["Status"] == 1 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "category still processing"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
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
    (course, category, group)
}

#[actix_web::test]
async fn a_signed_get_answers_what_a_bearer_token_does() {
    let app = spawn_app().await;
    let (course, _, _) = course_with_groups(&app, "IDKEY-GET").await;
    let keys = admin_keys(&app);
    let path = lp_path(&format!("/{course}/groupcategories/"));
    let by_bearer = json_ok(app.get(&app.url(&path), &app.admin).await).await;
    assert_eq!(by_bearer.as_array().map(Vec::len), Some(1), "{by_bearer}");
    let res = call(&app, Method::GET, &signed(&app, "GET", &path, &keys), None).await;
    assert!(header(&res, "x-rate-limit-remaining").is_some());
    let by_key = json_ok(res).await;
    assert_eq!(by_key, by_bearer);
    // The SDKs order the parameters differently; SDK-js puts x_t first.
    let t = now();
    let (user_id, user_key) = keys.user.clone().expect("user");
    let url = app.url(&format!(
        "{path}?x_t={t}&x_a={}&x_c={}&x_b={user_id}&x_d={}",
        keys.app_id,
        call_signature(&keys.app_key, "GET", &path, t),
        call_signature(&user_key, "GET", &path, t),
    ));
    assert_eq!(
        json_ok(call(&app, Method::GET, &url, None).await).await,
        by_bearer
    );
    // The answer was remembered under the path alone: the signing parameters, which change
    // with every call, are not part of the key.
    let institution = app
        .state
        .db
        .read_sync(|conn| find_institution(conn, DEFAULT_ACRONYM))
        .expect("institution");
    let remembered = app.state.caches.answers.get(&d2l_groups::state::AnswerKey {
        institution_id: institution.id,
        user_id: admin_id(),
        client_id: Some(format!("id-key:{}", keys.app_id)),
        target: path.clone(),
        revalidate: false,
    });
    assert!(remembered.is_some(), "remembered under {path}");
}

#[actix_web::test]
async fn a_signed_post_enrolls_a_member_of_a_group() {
    let app = spawn_app().await;
    let (course, category, group) = course_with_groups(&app, "IDKEY-POST").await;
    let learner = member(&app, course, "idkey.member", "Student").await;
    let keys = admin_keys(&app);
    let members = lp_path(&format!(
        "/{course}/groupcategories/{category}/groups/{group}/enrollments/"
    ));
    let res = call(
        &app,
        Method::POST,
        &signed(&app, "POST", &members, &keys),
        Some(&json!({"UserId": learner})),
    )
    .await;
    ok_empty(res).await;
    let fetched = json_ok(
        app.get(
            &app.lp(&format!(
                "/{course}/groupcategories/{category}/groups/{group}"
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(fetched["Enrollments"], json!([learner]), "{fetched}");
}

#[actix_web::test]
async fn tampered_and_replayed_signatures_are_invalid_tokens() {
    let app = spawn_app().await;
    let keys = admin_keys(&app);
    let whoami = lp_path("/users/whoami");
    let t = now();
    let good = signed_as(&app, "GET", &whoami, &whoami, "", &keys, t);
    assert_eq!(
        status_of(call(&app, Method::GET, &good, None).await).await,
        200
    );

    let (user_id, user_key) = keys.user.clone().expect("user");
    let x_c = call_signature(&keys.app_key, "GET", &whoami, t);
    let x_d = call_signature(&user_key, "GET", &whoami, t);
    let with = |x_a: &str, x_b: &str, x_c: &str, x_d: &str| {
        app.url(&format!(
            "{whoami}?x_a={x_a}&x_b={x_b}&x_c={x_c}&x_d={x_d}&x_t={t}"
        ))
    };
    let flip = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let other = register_app(&app, "*:*:*");
    let others_user = as_user(&app, &other, admin_id()).user.expect("pair").0;
    let cases = [
        (
            "tampered x_c",
            with(&keys.app_id, &user_id, &flip(&x_c), &x_d),
        ),
        (
            "tampered x_d",
            with(&keys.app_id, &user_id, &x_c, &flip(&x_d)),
        ),
        (
            "x_c and x_d swapped",
            with(&keys.app_id, &user_id, &x_d, &x_c),
        ),
        ("unknown app", with("nope", &user_id, &x_c, &x_d)),
        ("unknown user", with(&keys.app_id, "nope", &x_c, &x_d)),
        (
            "another app's user",
            with(&keys.app_id, &others_user, &x_c, &x_d),
        ),
        (
            "no x_t",
            app.url(&format!("{whoami}?x_a={}&x_c={x_c}", keys.app_id)),
        ),
        (
            "x_t not a number",
            app.url(&format!("{whoami}?x_a={}&x_c={x_c}&x_t=soon", keys.app_id)),
        ),
        ("x_b without x_d", with(&keys.app_id, &user_id, &x_c, "")),
        // Signed for whoami, sent elsewhere.
        (
            "replayed on another path",
            signed_as(&app, "GET", &lp_path("/users/"), &whoami, "", &keys, t),
        ),
    ];
    for (label, url) in cases {
        assert_invalid_token(call(&app, Method::GET, &url, None).await, label).await;
    }
    // Signed for GET, sent as another method.
    assert_invalid_token(
        call(&app, Method::DELETE, &good, None).await,
        "replayed as DELETE",
    )
    .await;
    let users = lp_path("/users/");
    let get_users = signed_as(&app, "GET", &users, &users, "", &keys, t);
    assert_invalid_token(
        call(&app, Method::POST, &get_users, Some(&json!({}))).await,
        "replayed as POST",
    )
    .await;
    // Only x_a and no signature is not a signed call at all: no credentials, 401 as ever.
    let bare = app.url(&format!("{whoami}?x_a={}", keys.app_id));
    problem(call(&app, Method::GET, &bare, None).await, 401).await;
}

#[actix_web::test]
async fn timestamps_outside_five_minutes_answer_the_server_time() {
    let app = spawn_app().await;
    let keys = admin_keys(&app);
    let whoami = lp_path("/users/whoami");
    for offset in [-600, 600, -301, 301] {
        let url = signed_as(&app, "GET", &whoami, &whoami, "", &keys, now() + offset);
        let server = timestamp_refusal(call(&app, Method::GET, &url, None).await).await;
        assert!(
            (server - now()).abs() <= 5,
            "server time {server} at offset {offset}"
        );
    }
    // Inside the window either way.
    for offset in [-290, 290] {
        let url = signed_as(&app, "GET", &whoami, &whoami, "", &keys, now() + offset);
        let me = json_ok(call(&app, Method::GET, &url, None).await).await;
        assert_eq!(me["Identifier"], admin_id().to_string(), "{me}");
    }
    // The refusal is the same on an anonymous route.
    let versions = "/d2l/api/versions/";
    let app_only = Keys { user: None, ..keys };
    let url = signed_as(&app, "GET", versions, versions, "", &app_only, now() - 600);
    timestamp_refusal(call(&app, Method::GET, &url, None).await).await;
}

#[actix_web::test]
async fn app_only_signing_reaches_anonymous_routes_only() {
    let app = spawn_app().await;
    let keys = register_app(&app, "*:*:*");
    let versions = "/d2l/api/versions/";
    let t = now();
    let x_c = call_signature(&keys.app_key, "GET", versions, t);
    // SDK-net leaves x_b and x_d out; SDK-py sends them empty.
    for query in [
        format!("x_a={}&x_c={x_c}&x_t={t}", keys.app_id),
        format!("x_a={}&x_c={x_c}&x_b=&x_d=&x_t={t}", keys.app_id),
    ] {
        let res = call(
            &app,
            Method::GET,
            &app.url(&format!("{versions}?{query}")),
            None,
        )
        .await;
        let products = json_ok(res).await;
        assert!(
            products.as_array().is_some_and(|p| !p.is_empty()),
            "{products}"
        );
    }
    // The app's signature is checked there too.
    let forged = format!(
        "{versions}?x_a={}&x_c={}&x_t={t}",
        keys.app_id,
        call_signature("not the key", "GET", versions, t)
    );
    assert_invalid_token(
        call(&app, Method::GET, &app.url(&forged), None).await,
        "forged app-only signature",
    )
    .await;
    // A route that needs a user.
    for path in [lp_path("/users/whoami"), lp_path("/roles/")] {
        let url = signed(&app, "GET", &path, &keys);
        assert_invalid_token(call(&app, Method::GET, &url, None).await, &path).await;
        let t = now();
        let empty = app.url(&format!(
            "{path}?x_a={}&x_c={}&x_b=&x_d=&x_t={t}",
            keys.app_id,
            call_signature(&keys.app_key, "GET", &path, t)
        ));
        assert_invalid_token(call(&app, Method::GET, &empty, None).await, &path).await;
    }
}

#[actix_web::test]
async fn a_revoked_app_and_an_inactive_user_are_invalid_tokens() {
    let app = spawn_app().await;
    let keys = admin_keys(&app);
    let learner = app.create_user("idkey.leaver", "Student").await;
    let learner_keys = as_user(&app, &keys, learner);
    let whoami = lp_path("/users/whoami");
    let me = json_ok(
        call(
            &app,
            Method::GET,
            &signed(&app, "GET", &whoami, &learner_keys),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(me["Identifier"], learner.to_string());

    app.state
        .db
        .write_sync(|conn| d2l_groups::db::users::deactivate(conn, learner))
        .expect("deactivate");
    let url = signed(&app, "GET", &whoami, &learner_keys);
    assert_invalid_token(call(&app, Method::GET, &url, None).await, "inactive user").await;

    let url = signed(&app, "GET", &whoami, &keys);
    assert_eq!(
        status_of(call(&app, Method::GET, &url, None).await).await,
        200
    );
    app.state
        .db
        .write_sync(|conn| id_keys::revoke_app(conn, &keys.app_id))
        .expect("revoke");
    for (label, path, keys) in [
        ("revoked app", whoami.clone(), keys.clone()),
        (
            "revoked app, app only",
            "/d2l/api/versions/".to_string(),
            Keys {
                user: None,
                ..keys.clone()
            },
        ),
    ] {
        let url = signed(&app, "GET", &path, &keys);
        assert_invalid_token(call(&app, Method::GET, &url, None).await, label).await;
    }
    // A revoked app hands out no user keys.
    let secret = app.state.settings.secret_key_file.clone();
    let refused = app
        .state
        .db
        .write_sync(|conn| id_keys::user_key(conn, &secret, &keys.app_id, admin_id()));
    assert!(refused.is_err());
}

#[actix_web::test]
async fn a_learners_key_meets_the_permission_checks_of_the_learner() {
    let app = spawn_app().await;
    let course = app.create_course("IDKEY-PERM").await;
    let learner = member(&app, course, "idkey.learner", "Student").await;
    let keys = as_user(&app, &register_app(&app, "*:*:*"), learner);
    let classlist = lp_path(&format!("/enrollments/orgUnits/{course}/users/"));
    let res = call(
        &app,
        Method::GET,
        &signed(&app, "GET", &classlist, &keys),
        None,
    )
    .await;
    let detail = problem(res, 403).await;
    assert!(!detail.contains("Insufficient scope"), "{detail}");
    let category = lp_path(&format!("/{course}/groupcategories/"));
    let res = call(
        &app,
        Method::POST,
        &signed(&app, "POST", &category, &keys),
        Some(&category_form(
            "Mine",
            json!(0),
            json!({"NumberOfGroups": 1}),
        )),
    )
    .await;
    let body = problem_body(res, 403).await;
    assert_eq!(body["type"], "about:blank", "{body}");
}

#[actix_web::test]
async fn an_apps_calls_hold_its_registered_scope() {
    let app = spawn_app().await;
    let keys = as_user(
        &app,
        &register_app(&app, "users:own_profile:read"),
        admin_id(),
    );
    let whoami = lp_path("/users/whoami");
    let me = json_ok(
        call(
            &app,
            Method::GET,
            &signed(&app, "GET", &whoami, &keys),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(me["Identifier"], admin_id().to_string());
    let roles = lp_path("/roles/");
    let res = call(&app, Method::GET, &signed(&app, "GET", &roles, &keys), None).await;
    let detail = problem(res, 403).await;
    assert!(detail.starts_with("Insufficient scope to call"), "{detail}");
}

#[actix_web::test]
async fn capital_letters_of_the_path_are_signed_lower_case() {
    let app = spawn_app().await;
    let course = app.create_course("IDKEY-CAPS").await;
    let keys = admin_keys(&app);
    let path = lp_path(&format!("/enrollments/orgUnits/{course}/users/"));
    let lower = path.to_lowercase();
    assert_ne!(path, lower);
    let by_bearer = json_ok(app.get(&app.url(&path), &app.admin).await).await;
    let url = signed_as(&app, "GET", &path, &lower, "", &keys, now());
    assert_eq!(
        json_ok(call(&app, Method::GET, &url, None).await).await,
        by_bearer
    );
}

#[actix_web::test]
async fn signing_parameters_never_reach_the_route() {
    let app = spawn_app().await;
    let keys = admin_keys(&app);
    // The operator API's pages link to their neighbours with the query they were given.
    let path = "/api/v2/institution/";
    let url = signed_as(&app, "GET", path, path, "limit=1&offset=1", &keys, now());
    let page = json_ok(call(&app, Method::GET, &url, None).await).await;
    let previous = page["previous"]
        .as_str()
        .unwrap_or_else(|| panic!("previous: {page}"));
    assert!(previous.contains("limit=1"), "{previous}");
    for name in ["x_a", "x_b", "x_c", "x_d", "x_t"] {
        assert!(!previous.contains(name), "{previous}");
    }
    // A route's own parameters still count.
    let course = app.create_course("IDKEY-Q").await;
    let learner = member(&app, course, "idkey.q", "Student").await;
    member(&app, course, "idkey.ta", "Teaching Assistant").await;
    let student = app.role_id("Student").await;
    let classlist = lp_path(&format!("/enrollments/orgUnits/{course}/users/"));
    let url = signed_as(
        &app,
        "GET",
        &classlist,
        &classlist,
        &format!("roleId={student}"),
        &keys,
        now(),
    );
    let page = json_ok(call(&app, Method::GET, &url, None).await).await;
    let users: Vec<Value> = page["Items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|i| i["User"]["Identifier"].clone())
        .collect();
    assert_eq!(users, vec![json!(learner.to_string())], "{page}");
}

#[actix_web::test]
async fn each_app_has_its_own_rate_limit_bucket() {
    let app = spawn_app_with_rate_limit(100, 10).await;
    let first = admin_keys(&app);
    let second = admin_keys(&app);
    let whoami = lp_path("/users/whoami");
    let remaining = |res: &Response| {
        header(res, "x-rate-limit-remaining")
            .and_then(|v| v.parse::<i64>().ok())
            .expect("remaining")
    };
    let res = call(
        &app,
        Method::GET,
        &signed(&app, "GET", &whoami, &first),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let after_one = remaining(&res);
    // The app's app-only calls draw on the same bucket as its users' calls.
    let versions = "/d2l/api/versions/";
    let app_only = Keys {
        user: None,
        ..first.clone()
    };
    let res = call(
        &app,
        Method::GET,
        &signed(&app, "GET", versions, &app_only),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(remaining(&res), after_one - 10);
    // Another app of the same user and tenant starts full, and so does the user's bearer token.
    let res = call(
        &app,
        Method::GET,
        &signed(&app, "GET", &whoami, &second),
        None,
    )
    .await;
    assert_eq!(remaining(&res), after_one);
    let res = app.get(&app.url(&whoami), &app.admin).await;
    assert_eq!(remaining(&res), after_one);
}

#[actix_web::test]
async fn keys_the_secret_cannot_open_are_a_server_fault() {
    let app = spawn_app().await;
    let other = SecretKeyFile::new(std::env::temp_dir().join(format!(
        "d2l-groups-tests/{}.secret",
        uuid::Uuid::new_v4().simple()
    )));
    let keys = register_app_under(&app, "*:*:*", &other);
    let app_only = Keys { user: None, ..keys };
    let url = signed(&app, "GET", "/d2l/api/versions/", &app_only);
    let detail = problem(call(&app, Method::GET, &url, None).await, 500).await;
    assert_eq!(detail, "An unexpected error occurred.");
}

// The binary's `app` commands.

fn run(database_url: &str, secret: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY_FILE", secret)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups")
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `name=value` lines: the values, in order, after checking the names.
fn values(o: &Output, names: &[&str]) -> Vec<String> {
    assert!(o.status.success(), "{}", stderr(o));
    let lines = lines(o);
    assert_eq!(lines.len(), names.len(), "{lines:?}");
    lines
        .iter()
        .zip(names)
        .map(|(line, name)| {
            line.strip_prefix(&format!("{name}="))
                .unwrap_or_else(|| panic!("{line:?} is not {name}=..."))
                .to_string()
        })
        .collect()
}

#[actix_web::test]
async fn cli_app_keys_sign_calls_the_server_accepts_until_revoked() {
    let app = spawn_app().await;
    let secret = app.state.settings.secret_key_file.path().to_path_buf();
    let url = &app.database_url;
    let out = run(url, &secret, &["app", "add", "--name", "my sdk"]);
    let [app_id, app_key]: [String; 2] = values(&out, &["app_id", "app_key"])
        .try_into()
        .expect("two");
    assert!(
        app_id.len() >= 22 && app_key.len() >= 22,
        "{app_id} {app_key}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret)
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let first = values(
        &run(
            url,
            &secret,
            &["app", "user-key", "--app", &app_id, "--user", "admin"],
        ),
        &["user_id", "user_key"],
    );
    let again = values(
        &run(
            url,
            &secret,
            &["app", "user-key", "--app", &app_id, "--user", "1000"],
        ),
        &["user_id", "user_key"],
    );
    assert_eq!(first, again, "the same pair each time");
    assert_ne!(first[1], app_key);

    let keys = Keys {
        app_id: app_id.clone(),
        app_key: app_key.clone(),
        user: Some((first[0].clone(), first[1].clone())),
    };
    let whoami = lp_path("/users/whoami");
    let me = json_ok(
        call(
            &app,
            Method::GET,
            &signed(&app, "GET", &whoami, &keys),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(me["Identifier"], admin_id().to_string());

    let listed = run(url, &secret, &["app", "list"]);
    let listed = lines(&listed);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].starts_with(&format!("app_id={app_id} ")),
        "{listed:?}"
    );
    assert!(listed[0].contains("\"my sdk\""), "{listed:?}");
    assert!(!listed[0].contains(&app_key), "no keys in the list");
    assert!(!listed[0].contains("revoked_at"), "{listed:?}");

    let out = run(url, &secret, &["app", "revoke", "--app", &app_id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_invalid_token(
        call(
            &app,
            Method::GET,
            &signed(&app, "GET", &whoami, &keys),
            None,
        )
        .await,
        "revoked by the CLI",
    )
    .await;
    let listed = lines(&run(url, &secret, &["app", "list"]));
    assert!(listed[0].contains("revoked_at="), "{listed:?}");
}

#[test]
fn cli_app_commands_refuse_unknown_apps_users_and_revoked_apps() {
    let url = fresh_database_url();
    let dir = std::env::temp_dir().join("d2l-groups-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let secret = dir.join(format!("{}.secret", uuid::Uuid::new_v4().simple()));
    let migrated = run(&url, &secret, &["migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let refused = |args: &[&str], says: &str| {
        let out = run(&url, &secret, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    };
    refused(
        &["app", "user-key", "--app", "no-such-app", "--user", "admin"],
        "no-such-app",
    );
    refused(&["app", "revoke", "--app", "no-such-app"], "no-such-app");
    refused(
        &["app", "add", "--name", "x", "--scope", "not-a-scope"],
        "not-a-scope",
    );
    refused(&["app", "add", "--name", " "], "--name");
    refused(
        &["app", "add", "--name", "x", "--trusted-url", "ftp://a/"],
        "--trusted-url",
    );
    refused(
        &["app", "add", "--name", "x", "--institution", "NOPE"],
        "NOPE",
    );
    let out = run(
        &url,
        &secret,
        &[
            "app",
            "add",
            "--name",
            "x",
            "--trusted-url",
            "https://client.example.edu/cb",
        ],
    );
    let [app_id, _]: [String; 2] = values(&out, &["app_id", "app_key"])
        .try_into()
        .expect("two");
    refused(
        &["app", "user-key", "--app", &app_id, "--user", "nobody"],
        "nobody",
    );
    assert!(run(&url, &secret, &["app", "revoke", "--app", &app_id])
        .status
        .success());
    refused(
        &["app", "user-key", "--app", &app_id, "--user", "admin"],
        "revoked",
    );
    // Another secret cannot open what this one sealed.
    let out = run(&url, &secret, &["app", "add", "--name", "y"]);
    let [other_app, _]: [String; 2] = values(&out, &["app_id", "app_key"])
        .try_into()
        .expect("two");
    values(
        &run(
            &url,
            &secret,
            &["app", "user-key", "--app", &other_app, "--user", "admin"],
        ),
        &["user_id", "user_key"],
    );
    let wrong = dir.join(format!("{}.secret", uuid::Uuid::new_v4().simple()));
    let out = run(
        &url,
        &wrong,
        &["app", "user-key", "--app", &other_app, "--user", "admin"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SECRET_KEY_FILE"), "{}", stderr(&out));
}

/// The browser flow's route is the integrator's; its checks are here already, run as the route
/// will run them: the callback signed with the app key, and of the trusted URL's origin.
#[actix_web::test]
async fn the_browser_flows_checks_accept_only_a_signed_trusted_callback() {
    use d2l_groups::error::{ApiError, IdKeyRefusal};
    let app = spawn_app().await;
    let secret = app.state.settings.secret_key_file.clone();
    let scopes = ScopeSet::parse("*:*:*").expect("scope");
    let register = |trusted: Option<&'static str>| {
        let secret = secret.clone();
        let scopes = scopes.clone();
        app.state
            .db
            .write_sync(move |conn| {
                let institution = find_institution(conn, DEFAULT_ACRONYM)?;
                id_keys::create_app(conn, &secret, institution.id, "web", &scopes, trusted)
            })
            .expect("app")
    };
    let trusted = register(Some("https://client.example.edu/callback"));
    let untrusted = register(None);
    let check = |app_id: &str, target: &str, signature: &str| {
        let (secret, app_id, target, signature) = (
            secret.clone(),
            app_id.to_string(),
            target.to_string(),
            signature.to_string(),
        );
        app.state.db.read_sync(move |conn| {
            id_keys::app_for_target(conn, &secret, &app_id, &target, &signature)
        })
    };
    let target = "https://client.example.edu/callback?state=abc";
    let found = check(
        &trusted.app_id,
        target,
        &hmac_sign(&trusted.app_key, target),
    )
    .expect("a signed trusted callback");
    assert_eq!(found.app_id, trusted.app_id);
    let elsewhere = "https://evil.example.org/callback";
    let refusals = [
        (
            "wrong signature",
            check(&trusted.app_id, target, &hmac_sign("nope", target)),
        ),
        (
            "another origin",
            check(
                &trusted.app_id,
                elsewhere,
                &hmac_sign(&trusted.app_key, elsewhere),
            ),
        ),
        (
            "no trusted URL",
            check(
                &untrusted.app_id,
                target,
                &hmac_sign(&untrusted.app_key, target),
            ),
        ),
        (
            "unknown app",
            check("nope", target, &hmac_sign(&trusted.app_key, target)),
        ),
    ];
    for (label, outcome) in refusals {
        assert!(
            matches!(outcome, Err(ApiError::IdKey(IdKeyRefusal::InvalidToken))),
            "{label}: {outcome:?}"
        );
    }
    app.state
        .db
        .write_sync(|conn| id_keys::revoke_app(conn, &trusted.app_id))
        .expect("revoke");
    let outcome = check(
        &trusted.app_id,
        target,
        &hmac_sign(&trusted.app_key, target),
    );
    assert!(
        matches!(outcome, Err(ApiError::IdKey(IdKeyRefusal::InvalidToken))),
        "revoked: {outcome:?}"
    );
    // The pair the flow hands out is the one `app user-key` prints, again and again.
    let keys = Keys {
        app_id: untrusted.app_id,
        app_key: untrusted.app_key,
        user: None,
    };
    assert_eq!(
        as_user(&app, &keys, admin_id()).user,
        as_user(&app, &keys, admin_id()).user
    );
}

// ---------------------------------------------------------------------------------------------
// The user-context flow: /d2l/auth/api/token

const CALLBACK: &str = "https://client.example.edu/callback?state=abc";

/// An app trusting `https://client.example.edu`, as `app add --trusted-url` registers it.
fn trusting_app(app: &TestApp) -> Keys {
    let scopes = ScopeSet::parse("*:*:*").expect("scope");
    let secret = app.state.settings.secret_key_file.clone();
    let made = app
        .state
        .db
        .write_sync(|conn| {
            let institution = find_institution(conn, DEFAULT_ACRONYM)?;
            id_keys::create_app(
                conn,
                &secret,
                institution.id,
                "flow app",
                &scopes,
                Some("https://client.example.edu/"),
            )
        })
        .expect("app");
    Keys {
        app_id: made.app_id,
        app_key: made.app_key,
        user: None,
    }
}

/// The flow's URL for `target`, signed with `key` (the app's, unless a test forges it).
fn flow_url(app: &TestApp, route: &str, keys: &Keys, key: &str, target: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("x_a", &keys.app_id)
        .append_pair("x_b", &hmac_sign(key, target))
        .append_pair("x_target", target)
        .finish();
    app.url(&format!("{route}?{query}"))
}

fn location_of(res: &Response) -> String {
    header(res, "location").expect("location")
}

#[actix_web::test]
async fn the_browser_flow_signs_in_and_hands_the_callback_the_users_pair() {
    use crate::sign_in::{browser, session_header, sign_in_at, PASSWORD};
    use reqwest::header::COOKIE;
    let app = spawn_app().await;
    let keys = trusting_app(&app);
    let client = browser();
    let start = flow_url(&app, "/d2l/auth/api/token", &keys, &keys.app_key, CALLBACK);
    let res = client.get(&start).send().await.expect("flow");
    assert_eq!(res.status(), 302, "no session: to the sign-in page");
    let login = location_of(&res);
    assert!(
        login.starts_with("/d2l/login?target=%2Fd2l%2Fauth%2Fapi%2Ftoken%3F"),
        "{login}"
    );

    // Sign in through the page it names; the form brings the browser back to the flow.
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let res = sign_in_at(&app, &client, &login, "admin").await;
    assert_eq!(res.status(), 302);
    let back = location_of(&res);
    assert!(back.starts_with("/d2l/auth/api/token?"), "{back}");
    let cookies = session_header(res.headers());
    let res = client
        .get(app.url(&back))
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("flow, signed in");
    assert_eq!(res.status(), 302);
    let callback = url::Url::parse(&location_of(&res)).expect("callback");
    assert_eq!(callback.host_str(), Some("client.example.edu"));
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs[0],
        ("state".to_string(), "abc".to_string()),
        "its own query kept"
    );
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["state", "x_a", "x_b"], "nothing else is sent");
    let user = Keys {
        user: Some((pairs[1].1.clone(), pairs[2].1.clone())),
        ..keys.clone()
    };
    // The pair signs the user's calls.
    let me = json_ok(
        call(
            &app,
            Method::GET,
            &signed(&app, "GET", &lp_path("/users/whoami"), &user),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(me["UniqueName"], "admin", "{me}");
    // Again: the same pair.
    let res = client
        .get(&start)
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("flow again");
    assert_eq!(res.status(), 302);
    let again = location_of(&res);
    assert!(again.contains(&format!("x_b={}", pairs[2].1)), "{again}");

    // Cancel goes back without keys.
    let cancel = flow_url(&app, "/d2l/auth/api/cancel", &keys, &keys.app_key, CALLBACK);
    let res = client.get(&cancel).send().await.expect("cancel");
    assert_eq!(res.status(), 302);
    assert_eq!(location_of(&res), CALLBACK);
}

#[actix_web::test]
async fn the_browser_flow_refuses_a_forged_or_untrusted_callback_as_invalid_token() {
    let app = spawn_app().await;
    let keys = trusting_app(&app);
    let client = crate::sign_in::browser();
    let cases = [
        (
            "forged x_b",
            flow_url(&app, "/d2l/auth/api/token", &keys, "not-the-key", CALLBACK),
        ),
        (
            "another host",
            flow_url(
                &app,
                "/d2l/auth/api/token",
                &keys,
                &keys.app_key,
                "https://evil.example/callback",
            ),
        ),
        (
            "another scheme",
            flow_url(
                &app,
                "/d2l/auth/api/token",
                &keys,
                &keys.app_key,
                "http://client.example.edu/callback",
            ),
        ),
        (
            "cancel, forged",
            flow_url(&app, "/d2l/auth/api/cancel", &keys, "not-the-key", CALLBACK),
        ),
        ("no parameters", app.url("/d2l/auth/api/token")),
    ];
    for (label, url) in cases {
        let res = client.get(&url).send().await.expect("flow");
        assert!(header(&res, "location").is_none(), "{label}: sent nowhere");
        assert_invalid_token(res, label).await;
    }
}
