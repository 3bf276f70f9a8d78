//! Set-ups that tests build on: users and their enrollments, sections dealt, OAuth clients,
//! signed tokens, other institutions, passwords; and counts read straight from the database.

use std::io::Write as _;

use chrono::Utc;
use d2l_groups::auth::scopes::ScopeSet;
use d2l_groups::auth::secrets::{generate_secret, hash_secret};
use d2l_groups::bootstrap::{find_institution, find_user_by_name_or_id, DEFAULT_ACRONYM};
use d2l_groups::db::rows::OAuthClient;
use d2l_groups::error::ApiError;
use d2l_groups::schema::{enrollments, oauth_clients};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::CONTENT_TYPE;
use reqwest::Response;
use serde_json::Value;

use super::{json_ok, section_settings, signing_key, TestApp};

/// Creates `n` users named `{prefix}{i:02}` with the Student role and enrolls them as Students
/// in `course`; answers their ids, ascending.
pub async fn learners(app: &TestApp, course: i64, prefix: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = app.create_user(&format!("{prefix}{i:02}"), "Student").await;
        app.enroll(id, course, "Student").await;
        ids.push(id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend: {ids:?}");
    ids
}

/// A user holding `role` in `course` (and at the root, as `POST /users/` does).
pub async fn member(app: &TestApp, course: i64, name: &str, role: &str) -> i64 {
    let id = app.create_user(name, role).await;
    app.enroll(id, course, role).await;
    id
}

/// Initializes `course`'s sections as the admin, `quantity` sections dealt round robin
/// (style 2, no auto-enrollment); answers the section list.
pub async fn deal_sections(app: &TestApp, course: i64, quantity: i64) -> Vec<Value> {
    let settings = section_settings(serde_json::json!(2), quantity, false, false, false);
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
    sections.as_array().expect("sections").clone()
}

/// Membership rows of one org unit (section or group), read from the database.
pub fn member_rows(app: &TestApp, unit: i64) -> i64 {
    app.state
        .db
        .read_sync(|conn| {
            Ok(enrollments::table
                .filter(enrollments::org_unit_id.eq(unit))
                .count()
                .get_result::<i64>(conn)?)
        })
        .expect("count members")
}

/// Creates an institution in the app's database; answers its id.
pub fn add_institution(app: &TestApp, acronym: &str, name: &str) -> i64 {
    let key = d2l_groups::auth::tokens::generate_key_row(0).expect("key");
    app.state
        .db
        .write_sync(|conn| {
            d2l_groups::bootstrap::create_institution(
                conn,
                acronym,
                name,
                None,
                "Student",
                key.clone(),
            )
        })
        .expect("create institution")
        .institution
        .id
}

/// Registers an OAuth client named `name` for the admin, as `d2l-groups client add` does;
/// answers (client_id, client_secret).
pub fn register_client(app: &TestApp, scope: &str, name: &str) -> (String, String) {
    let scopes = ScopeSet::parse(scope).expect("scope");
    let secret = generate_secret();
    let secret_hash = hash_secret(&secret).expect("hash secret");
    let client_id = uuid::Uuid::new_v4().to_string();
    app.state
        .db
        .write_sync(|conn| {
            let institution = find_institution(conn, DEFAULT_ACRONYM)?;
            let user = find_user_by_name_or_id(conn, institution.id, "admin")?;
            diesel::insert_into(oauth_clients::table)
                .values(OAuthClient::acting_as(
                    user.id,
                    institution.id,
                    client_id.clone(),
                    name.into(),
                    secret_hash.clone(),
                    scopes.to_string(),
                    Utc::now().naive_utc(),
                ))
                .execute(conn)
                .map_err(ApiError::from)
        })
        .expect("insert OAuth client");
    (client_id, secret)
}

/// `POST /core/connect/token` with a form body and optional HTTP Basic credentials.
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Response {
    let mut req = app
        .client
        .post(app.url("/core/connect/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).expect("form"));
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.expect("token request")
}

/// Signs `claims` RS256 with the default institution's real key, naming its real kid.
pub fn sign_real(app: &TestApp, claims: &Value) -> String {
    let (row, _) = signing_key(&app.state);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(row.kid.clone());
    let key = EncodingKey::from_rsa_pem(row.private_key_pem.as_bytes()).expect("RSA PEM");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// Sets `user`'s password with the command line, as an operator does (`user password` reads
/// it from standard input).
pub fn set_password(app: &TestApp, user: &str, password: &str) -> std::process::Output {
    let mut child = std::process::Command::new(super::BIN)
        .args(["user", "password", "--user", user])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run d2l-groups");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

/// Runs the binary against the app's database, as an operator would.
pub fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(super::BIN)
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        // The server's own secret, as an operator's CLI shares the server's configuration:
        // an ID key sealed under another secret could not be opened by the server.
        .env("SECRET_KEY_FILE", app.state.settings.secret_key_file.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups")
}

/// The value of the `key=value` line a command printed.
pub fn printed(out: &std::process::Output, key: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {text} / {}", String::from_utf8_lossy(&out.stderr)))
        .to_string()
}

/// Posts a group category Create form at LP `version` as the admin and waits for its creation
/// job; answers the category's id and its groups' ids, ascending.
pub async fn category_ready(
    app: &TestApp,
    version: &str,
    course: i64,
    form: &Value,
) -> (i64, Vec<i64>) {
    let at = |rest: String| app.url(&format!("/d2l/api/lp/{version}{rest}"));
    let job = super::json_typed(
        app.post(&at(format!("/{course}/groupcategories/")), &app.admin, form)
            .await,
        202,
    )
    .await;
    let id = job["CategoryId"].as_i64().expect("CategoryId");
    let status = at(format!("/{course}/groupcategories/{id}/status"));
    for _ in 0..400 {
        if json_ok(app.get(&status, &app.admin).await).await["Status"] == 1 {
            let groups = at(format!("/{course}/groupcategories/{id}/groups/"));
            let groups = json_ok(app.get(&groups, &app.admin).await).await;
            let mut ids: Vec<i64> = groups
                .as_array()
                .expect("groups")
                .iter()
                .map(|g| g["GroupId"].as_i64().expect("GroupId"))
                .collect();
            ids.sort_unstable();
            return (id, ids);
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("category {id} still processing");
}

/// `base64url(HMAC-SHA256(key, text))` without padding, as D2L's SDKs sign an ID-key call or
/// flow target (computed here, not with the server's code, so a server that signs wrongly
/// cannot agree with itself).
pub fn id_key_signature(key: &str, text: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}
