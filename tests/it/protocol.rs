use crate::common;
use common::*;

// Protocol-level tests: versions API, version gating, bearer tokens, scopes, rate limits,
// error shapes, the OAuth token endpoint and key set, and health probes. Every test talks HTTP
// to a freshly spawned server.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use d2l_groups::bootstrap::{find_institution, find_user_by_name_or_id, DEFAULT_ACRONYM};
use d2l_groups::error::ApiError;
use d2l_groups::schema::oauth_clients;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Response};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The JSON in one segment (0 header, 1 payload) of a compact JWT.
fn jwt_segment(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).expect("JWT segment");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url segment");
    serde_json::from_slice(&bytes).expect("JSON segment")
}

/// An anonymous GET.
async fn anon_get(app: &TestApp, path: &str) -> Response {
    app.send(Method::GET, &app.url(path), None, None).await
}

/// `GET /d2l/api/lp/{version}/users/whoami` with `token`.
async fn whoami_at(app: &TestApp, version: &str, token: &str) -> Response {
    app.get(
        &app.url(&format!("/d2l/api/lp/{version}/users/whoami")),
        token,
    )
    .await
}

async fn whoami(app: &TestApp, token: &str) -> Response {
    whoami_at(app, V, token).await
}

/// The bootstrap admin's user id, read from the database (costs no rate-limit credit).
fn admin_id(app: &TestApp) -> i64 {
    app.state
        .db
        .read_sync(|conn| {
            let inst = find_institution(conn, DEFAULT_ACRONYM)?;
            Ok(find_user_by_name_or_id(conn, inst.id, "admin")?.id)
        })
        .expect("admin id")
}

/// Standard claims for the admin of the default institution, as JSON to alter before signing.
fn admin_claims(app: &TestApp) -> Value {
    let (_, tenant) = signing_key(&app.state);
    serde_json::to_value(standard_claims(&tenant, admin_id(app))).expect("claims JSON")
}

/// Asserts a 401 problem with a Bearer challenge; answers the detail.
/// A 401 as Brightspace sends it: a Bearer challenge, and the problem type production
/// clients match on to start OAuth again.
async fn assert_unauthorized(res: Response) -> String {
    let challenge = header(&res, "www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate should be a Bearer challenge, got {challenge:?}"
    );
    let body = problem_body(res, 401).await;
    assert_eq!(
        body["type"], "http://docs.valence.desire2learn.com/res/apiprop.html#invalid-token",
        "{body}"
    );
    assert_eq!(body["title"], "Unauthorized", "{body}");
    assert_eq!(body["status"], 401, "{body}");
    body["detail"].as_str().expect("detail").to_string()
}

/// Asserts the three rate-limit headers and the request id; answers (remaining, reset, cost).
fn rate_headers(res: &Response) -> (u32, u64, u32) {
    let what = format!("{} {}", res.status(), res.url());
    let remaining = header(res, "x-rate-limit-remaining")
        .unwrap_or_else(|| panic!("X-Rate-Limit-Remaining missing on {what}"))
        .parse()
        .expect("X-Rate-Limit-Remaining is an integer");
    let reset = header(res, "x-rate-limit-reset")
        .unwrap_or_else(|| panic!("X-Rate-Limit-Reset missing on {what}"))
        .parse()
        .expect("X-Rate-Limit-Reset is an integer");
    let cost = header(res, "x-request-cost")
        .unwrap_or_else(|| panic!("X-Request-Cost missing on {what}"))
        .parse()
        .expect("X-Request-Cost is an integer");
    let id =
        header(res, "x-request-id").unwrap_or_else(|| panic!("X-Request-Id missing on {what}"));
    assert!(!id.trim().is_empty(), "empty X-Request-Id on {what}");
    (remaining, reset, cost)
}

/// Asserts a 429 problem with an integral `Retry-After` of at least one second.
async fn assert_rate_limited(res: Response) {
    let retry = header(&res, "retry-after").expect("429 carries Retry-After");
    let secs: u64 = retry.parse().expect("Retry-After is whole seconds");
    assert!((1..=60).contains(&secs), "Retry-After {secs}");
    assert!(
        header(&res, "x-request-id").is_some(),
        "429 carries X-Request-Id"
    );
    let detail = problem(res, 429).await;
    assert!(detail.to_lowercase().contains("rate"), "{detail}");
}

/// Asserts an RFC 6749 error answer; answers the body.
async fn assert_oauth_error(res: Response, status: u16, error: &str) -> Value {
    let got = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let cache = header(&res, "cache-control").unwrap_or_default();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    assert!(ctype.starts_with("application/json"), "{ctype}: {text}");
    assert_eq!(cache, "no-store", "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON error");
    assert_eq!(body["error"], error, "{text}");
    assert!(body["error_description"].is_string(), "{text}");
    body
}

/// A client-credentials token through the `oauth2` crate.
async fn oauth2_token(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> Result<
    oauth2::basic::BasicTokenResponse,
    oauth2::RequestTokenError<
        oauth2::HttpClientError<oauth2::reqwest::Error>,
        oauth2::basic::BasicErrorResponse,
    >,
> {
    let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(client_id.to_string()))
        .set_client_secret(oauth2::ClientSecret::new(secret.to_string()))
        .set_token_uri(oauth2::TokenUrl::new(app.url("/core/connect/token")).expect("token URL"));
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    let mut request = client.exchange_client_credentials();
    if let Some(scope) = scope {
        request = request.add_scope(oauth2::Scope::new(scope.to_string()));
    }
    request.request_async(&http).await
}

// ---------------------------------------------------------------------------------------------
// 1. Versions API
// ---------------------------------------------------------------------------------------------

/// Every minor version from 1.0 to `latest`, as the versions API lists them.
fn every_version_to(latest: u32) -> Vec<String> {
    (0..=latest).map(|minor| format!("1.{minor}")).collect()
}

fn assert_lp_product(product: &Value) {
    assert_eq!(product["ProductCode"], "lp", "{product}");
    assert_eq!(product["LatestVersion"], "1.63", "{product}");
    assert_eq!(
        product["SupportedVersions"],
        json!(every_version_to(63)),
        "{product}"
    );
}

fn assert_le_product(product: &Value) {
    assert_eq!(product["ProductCode"], "le", "{product}");
    assert_eq!(product["LatestVersion"], "1.99", "{product}");
    assert_eq!(
        product["SupportedVersions"],
        json!(every_version_to(99)),
        "{product}"
    );
}

#[actix_web::test]
async fn versions_lists_lp_and_le_anonymously() {
    let app = spawn_app().await;
    for path in ["/d2l/api/versions/", "/d2l/api/versions"] {
        let res = anon_get(&app, path).await;
        assert_eq!(
            header(&res, "content-type").as_deref(),
            Some("application/json; charset=utf-8"),
            "{path}"
        );
        let all = json_ok(res).await;
        let products = all.as_array().expect("an array of products");
        let find = |code: &str| {
            products
                .iter()
                .find(|p| p["ProductCode"] == code)
                .unwrap_or_else(|| panic!("no {code} product in {all}"))
                .clone()
        };
        assert_lp_product(&find("lp"));
        assert_le_product(&find("le"));
        assert_eq!(products.len(), 2, "{all}");
    }
}

#[actix_web::test]
async fn versions_of_one_product_with_or_without_trailing_slash() {
    let app = spawn_app().await;
    for path in [
        "/d2l/api/lp/versions/",
        "/d2l/api/lp/versions",
        "/d2l/api/LP/versions/",
    ] {
        let lp = json_ok(anon_get(&app, path).await).await;
        assert!(lp.is_object(), "{path}: {lp}");
        assert_lp_product(&lp);
    }
    assert_le_product(&json_ok(anon_get(&app, "/d2l/api/le/versions/").await).await);
}

#[actix_web::test]
async fn version_support_of_one_version() {
    let app = spawn_app().await;
    for (version, supported) in [
        ("1.47", true),
        ("1.63", true),
        ("unstable", true),
        ("1.43", true),
        ("1.42", true),
        ("1.0", true),
        ("1.64", false),
        ("2.0", false),
        ("1.047", false),
        ("abc", false),
    ] {
        let body = json_ok(anon_get(&app, &format!("/d2l/api/lp/versions/{version}")).await).await;
        assert_eq!(
            body,
            json!({"Supported": supported, "LatestVersion": "1.63"}),
            "{version}"
        );
    }
    let le = json_ok(anon_get(&app, "/d2l/api/le/versions/1.79").await).await;
    assert_eq!(le, json!({"Supported": true, "LatestVersion": "1.99"}));
}

/// What bsapi's `check_versions()` and the MCP servers ask at start-up: lp and le together.
#[actix_web::test]
async fn bulk_version_check_ands_every_pair() {
    let app = spawn_app().await;
    let url = app.url("/d2l/api/versions/check");

    let all_good = json!([
        {"ProductCode": "lp", "Version": "1.47"},
        {"ProductCode": "le", "Version": "1.79"},
        {"ProductCode": "lp", "Version": "1.63"},
    ]);
    let body = json_ok(app.send(Method::POST, &url, None, Some(&all_good)).await).await;
    assert_eq!(body["Supported"], true, "{body}");
    assert_eq!(body["Versions"].as_array().map(Vec::len), Some(3), "{body}");

    let mixed = json!([
        {"ProductCode": "lp", "Version": "1.47"},
        {"ProductCode": "lp", "Version": "1.64"},
        {"ProductCode": "le", "Version": "1.99"},
        {"ProductCode": "xyz", "Version": "1.0"},
    ]);
    let body = json_ok(app.send(Method::POST, &url, None, Some(&mixed)).await).await;
    assert_eq!(
        body,
        json!({
            "Supported": false,
            "Versions": [
                {"ProductCode": "lp", "Version": "1.47", "Supported": true, "LatestVersion": "1.63"},
                {"ProductCode": "lp", "Version": "1.64", "Supported": false, "LatestVersion": "1.63"},
                {"ProductCode": "le", "Version": "1.99", "Supported": true, "LatestVersion": "1.99"},
                {"ProductCode": "xyz", "Version": "1.0", "Supported": false, "LatestVersion": null},
            ]
        })
    );

    // The trailing slash is optional here too.
    let body = json_ok(
        app.send(
            Method::POST,
            &app.url("/d2l/api/versions/check/"),
            None,
            Some(&json!([{"ProductCode": "lp", "Version": "1.43"}])),
        )
        .await,
    )
    .await;
    assert_eq!(body["Supported"], true, "{body}");
}

#[actix_web::test]
async fn unknown_product_is_a_404_problem() {
    let app = spawn_app().await;
    for path in [
        "/d2l/api/xyz/versions/",
        "/d2l/api/xyz/versions",
        "/d2l/api/xyz/versions/1.0",
    ] {
        let detail = problem(anon_get(&app, path).await, 404).await;
        assert!(detail.contains("xyz"), "{path}: {detail}");
    }
}

#[actix_web::test]
async fn bulk_version_check_rejects_malformed_bodies() {
    let app = spawn_app().await;
    let url = app.url("/d2l/api/versions/check");
    let send_raw = |body: &'static str| {
        app.client
            .post(&url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    problem(send_raw("this is not JSON").await.expect("request"), 400).await;
    problem(send_raw("").await.expect("request"), 400).await;
    problem(
        send_raw(r#"{"ProductCode": "lp", "Version": "1.47"}"#)
            .await
            .expect("request"),
        400,
    )
    .await;
    let detail = problem(
        send_raw(r#"[{"ProductCode": "lp"}]"#)
            .await
            .expect("request"),
        400,
    )
    .await;
    assert!(detail.contains("Version"), "{detail}");
}

// ---------------------------------------------------------------------------------------------
// 2. Version gating
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn supported_versions_answer_without_deprecation() {
    let app = spawn_app().await;
    for version in ["1.46", "1.47", "1.50", "1.62", "1.63", "unstable"] {
        let res = whoami_at(&app, version, &app.admin).await;
        assert!(
            header(&res, "deprecation").is_none() && header(&res, "sunset").is_none(),
            "{version} should not be deprecated"
        );
        let me = json_ok(res).await;
        assert_eq!(me["UniqueName"], "admin", "{version}: {me}");
    }
}

#[actix_web::test]
async fn deprecated_versions_answer_with_deprecation_header() {
    let app = spawn_app().await;
    for version in ["1.43", "1.44", "1.45"] {
        let res = whoami_at(&app, version, &app.admin).await;
        assert_eq!(
            header(&res, "deprecation").as_deref(),
            Some("true"),
            "{version}"
        );
        assert!(header(&res, "sunset").is_none(), "{version}");
        let me = json_ok(res).await;
        assert_eq!(me["UniqueName"], "admin", "{version}: {me}");
    }
}

/// Brightspace still answers obsolete versions (Hypothesis calls LP 1.31 in production), so we
/// do, saying so in `Deprecation` and `Sunset`.
#[actix_web::test]
async fn obsolete_versions_are_served_with_deprecation_and_sunset() {
    let app = spawn_app().await;
    for version in ["1.42", "1.31", "1.5", "1.0"] {
        let res = whoami_at(&app, version, &app.admin).await;
        assert_eq!(
            header(&res, "deprecation").as_deref(),
            Some("true"),
            "{version}"
        );
        assert_eq!(
            header(&res, "sunset").as_deref(),
            Some("Fri, 01 Jan 2027 00:00:00 GMT"),
            "{version}"
        );
        let me = json_ok(res).await;
        assert_eq!(me["UniqueName"], "admin", "{version}: {me}");
    }
}

#[actix_web::test]
async fn unknown_versions_are_404() {
    let app = spawn_app().await;
    for version in ["1.64", "2.0", "abc", "1.047", "v1.47", "0.9", "Unstable"] {
        let res = whoami_at(&app, version, &app.admin).await;
        assert!(header(&res, "deprecation").is_none(), "{version}");
        let detail = problem(res, 404).await;
        assert!(detail.contains("1.0 to 1.63"), "{version}: {detail}");
    }
}

/// `--strict-versions`: obsolete versions are refused and no longer listed.
#[actix_web::test]
async fn strict_versions_refuse_obsolete_ones() {
    let app = spawn_app_with(|s| s.versions.strict = true).await;
    for version in ["1.42", "1.31"] {
        let detail = problem(whoami_at(&app, version, &app.admin).await, 404).await;
        assert!(detail.contains("1.43 to 1.63"), "{version}: {detail}");
    }
    let res = whoami_at(&app, "1.43", &app.admin).await;
    assert_eq!(header(&res, "deprecation").as_deref(), Some("true"));
    json_ok(res).await;
    let lp = json_ok(anon_get(&app, "/d2l/api/lp/versions/").await).await;
    assert_eq!(lp["SupportedVersions"][0], "1.43", "{lp}");
    let one = json_ok(anon_get(&app, "/d2l/api/lp/versions/1.42").await).await;
    assert_eq!(one["Supported"], false, "{one}");
}

/// `--brightspace-release 20.26.6`: D2L's June 2026 table (LP 1.49+, 1.46–1.48 deprecated).
#[actix_web::test]
async fn the_june_2026_release_moves_the_lines() {
    let release = d2l_groups::versions::release("20.26.6").expect("the 2026 release");
    let app = spawn_app_with(|s| s.versions.release = release).await;
    let deprecation = |res: &reqwest::Response| header(res, "deprecation");
    let sunset = |res: &reqwest::Response| header(res, "sunset");
    let res = whoami_at(&app, "1.49", &app.admin).await;
    assert_eq!((deprecation(&res), sunset(&res)), (None, None));
    json_ok(res).await;
    let res = whoami_at(&app, "1.47", &app.admin).await;
    assert_eq!(
        (deprecation(&res).as_deref(), sunset(&res)),
        (Some("true"), None)
    );
    json_ok(res).await;
    let res = whoami_at(&app, "1.45", &app.admin).await;
    assert!(sunset(&res).is_some(), "1.45 is obsolete in 20.26.6");
    json_ok(res).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Bearer tokens
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn missing_authorization_is_401() {
    let app = spawn_app().await;
    let res = app
        .send(Method::GET, &app.lp("/users/whoami"), None, None)
        .await;
    assert_unauthorized(res).await;
}

#[actix_web::test]
async fn non_bearer_authorization_is_401() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.lp("/users/whoami"))
        .header(AUTHORIZATION, "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .expect("request");
    assert_unauthorized(res).await;
}

#[actix_web::test]
async fn empty_bearer_token_is_401() {
    let app = spawn_app().await;
    for value in ["Bearer ", "Bearer", "Bearer    "] {
        let res = app
            .client
            .get(app.lp("/users/whoami"))
            .header(AUTHORIZATION, value)
            .send()
            .await
            .expect("request");
        assert_unauthorized(res).await;
    }
}

#[actix_web::test]
async fn garbage_bearer_token_is_401() {
    let app = spawn_app().await;
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "🦀"] {
        let res = app
            .client
            .get(app.lp("/users/whoami"))
            .header(AUTHORIZATION, format!("Bearer {garbage}"))
            .send()
            .await
            .expect("request");
        assert_unauthorized(res).await;
    }
}

#[actix_web::test]
async fn a_signed_token_of_an_unknown_or_revoked_client_is_401() {
    let app = spawn_app().await;
    let mut claims = admin_claims(&app);
    claims["client_id"] = json!("no-such-client");
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    assert!(detail.contains("revoked"), "{detail}");

    // A registered client's token works until the client is revoked, then at once it does not.
    let (client_id, _) = register_client(&app, "users:*:*", "protocol tests");
    claims["client_id"] = json!(client_id);
    let token = sign_real(&app, &claims);
    json_ok(whoami(&app, &token).await).await;
    app.state
        .db
        .write_sync(|conn| {
            use d2l_groups::schema::oauth_clients;
            use diesel::prelude::*;
            diesel::update(oauth_clients::table.find(&client_id))
                .set(oauth_clients::revoked_at.eq(Some(chrono::Utc::now().naive_utc())))
                .execute(conn)?;
            Ok(())
        })
        .expect("revoke");
    assert_unauthorized(whoami(&app, &token).await).await;
}

#[actix_web::test]
async fn crafted_valid_token_is_accepted() {
    let app = spawn_app().await;
    let token = sign_real(&app, &admin_claims(&app));
    let me = json_ok(whoami(&app, &token).await).await;
    assert_eq!(me["UniqueName"], "admin");
    assert_eq!(me["Identifier"], admin_id(&app).to_string());
    // The scheme is case-insensitive.
    let res = app
        .client
        .get(app.lp("/users/whoami"))
        .header(AUTHORIZATION, format!("bearer {token}"))
        .send()
        .await
        .expect("request");
    json_ok(res).await;
}

#[actix_web::test]
async fn expired_token_is_401() {
    let app = spawn_app().await;
    let now = Utc::now().timestamp();
    let mut claims = admin_claims(&app);
    claims["iat"] = json!(now - 700);
    claims["nbf"] = json!(now - 700);
    claims["exp"] = json!(now - 120);
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    assert!(detail.to_lowercase().contains("expired"), "{detail}");
}

#[actix_web::test]
async fn token_not_yet_valid_is_401() {
    let app = spawn_app().await;
    let now = Utc::now().timestamp();
    let mut claims = admin_claims(&app);
    claims["nbf"] = json!(now + 120);
    claims["exp"] = json!(now + 900);
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    let lower = detail.to_lowercase();
    assert!(
        lower.contains("immature") || lower.contains("not yet") || lower.contains("nbf"),
        "{detail}"
    );
}

#[actix_web::test]
async fn tampered_token_is_401() {
    let app = spawn_app().await;
    let token = sign_real(&app, &admin_claims(&app));
    json_ok(whoami(&app, &token).await).await;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // One character of the payload changed.
    let mut payload: Vec<char> = parts[1].chars().collect();
    let mid = payload.len() / 2;
    payload[mid] = if payload[mid] == 'A' { 'B' } else { 'A' };
    let payload: String = payload.into_iter().collect();
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_ne!(tampered, token);
    let detail = assert_unauthorized(whoami(&app, &tampered).await).await;
    assert!(
        detail.to_lowercase().contains("signature") || detail.contains("malformed"),
        "{detail}"
    );

    // A well-formed payload claiming another subject, under the original signature.
    let mut claims = jwt_segment(&token, 1);
    claims["sub"] = json!("1");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64url(claims.to_string().as_bytes()),
        parts[2]
    );
    let detail = assert_unauthorized(whoami(&app, &forged).await).await;
    assert!(detail.to_lowercase().contains("signature"), "{detail}");
}

#[actix_web::test]
async fn token_signed_by_a_foreign_key_is_401() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let foreign = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
    let pem = foreign
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .expect("PEM");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(row.kid.clone());
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("foreign key");
    let token = jsonwebtoken::encode(&header, &admin_claims(&app), &key).expect("sign");
    let detail = assert_unauthorized(whoami(&app, &token).await).await;
    assert!(detail.to_lowercase().contains("signature"), "{detail}");
}

#[actix_web::test]
async fn alg_none_token_is_401() {
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let header = json!({"alg": "none", "typ": "JWT", "kid": row.kid});
    let claims = admin_claims(&app);
    let unsigned = format!(
        "{}.{}.",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    assert_unauthorized(whoami(&app, &unsigned).await).await;
    // Also with a lowercase-insensitive variant and a bogus signature.
    let header = json!({"alg": "None", "typ": "JWT", "kid": row.kid});
    let unsigned = format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(b"x")
    );
    assert_unauthorized(whoami(&app, &unsigned).await).await;
}

#[actix_web::test]
async fn hs256_token_keyed_with_the_public_key_is_401() {
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::pkcs8::EncodePublicKey;
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let private = rsa::RsaPrivateKey::from_pkcs1_pem(&row.private_key_pem).expect("key");
    let public = rsa::RsaPublicKey::from(&private);
    let pkcs1 = public
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .expect("PKCS#1 PEM");
    let spki = public
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .expect("SPKI PEM");
    let claims = admin_claims(&app);
    for secret in [pkcs1.as_bytes(), spki.as_bytes(), row.modulus.as_bytes()] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(row.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret))
            .expect("sign HS256");
        let detail = assert_unauthorized(whoami(&app, &token).await).await;
        assert!(detail.contains("HS256"), "{detail}");
    }
}

#[actix_web::test]
async fn wrong_issuer_is_401() {
    let app = spawn_app().await;
    let mut claims = admin_claims(&app);
    claims["iss"] = json!("https://evil.example/auth");
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    assert!(detail.to_lowercase().contains("issuer"), "{detail}");
}

#[actix_web::test]
async fn wrong_audience_is_401() {
    let app = spawn_app().await;
    let mut claims = admin_claims(&app);
    claims["aud"] = json!("https://evil.example/token");
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    assert!(detail.to_lowercase().contains("audience"), "{detail}");
}

#[actix_web::test]
async fn wrong_tenant_or_subject_is_401() {
    let app = spawn_app().await;
    let mut claims = admin_claims(&app);
    claims["tenantid"] = json!(uuid::Uuid::new_v4().to_string());
    assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    let mut claims = admin_claims(&app);
    claims["sub"] = json!("admin");
    assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
}

#[actix_web::test]
async fn unknown_or_missing_kid_is_401() {
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let key = EncodingKey::from_rsa_pem(row.private_key_pem.as_bytes()).expect("key");
    let claims = admin_claims(&app);

    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("no-such-key".into());
    let token = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    let detail = assert_unauthorized(whoami(&app, &token).await).await;
    assert!(detail.contains("unknown key"), "{detail}");

    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).expect("sign");
    assert_unauthorized(whoami(&app, &token).await).await;
}

#[actix_web::test]
async fn token_without_exp_is_401() {
    let app = spawn_app().await;
    let mut claims = admin_claims(&app);
    claims.as_object_mut().expect("object").remove("exp");
    assert!(claims.get("exp").is_none());
    let detail = assert_unauthorized(whoami(&app, &sign_real(&app, &claims)).await).await;
    assert!(detail.contains("exp"), "{detail}");
}

#[actix_web::test]
async fn tokens_missing_other_required_claims_are_401() {
    let app = spawn_app().await;
    for claim in ["nbf", "iss", "aud", "sub", "tenantid"] {
        let mut claims = admin_claims(&app);
        claims.as_object_mut().expect("object").remove(claim);
        let res = whoami(&app, &sign_real(&app, &claims)).await;
        assert_eq!(res.status(), 401, "token without {claim}");
        assert_unauthorized(res).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Scopes
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn insufficient_scope_is_403() {
    let app = spawn_app().await;
    let token = app.token_for("admin", "users:userdata:read");
    let body = problem_body(whoami(&app, &token).await, 403).await;
    assert_eq!(
        body["type"], "http://docs.valence.desire2learn.com/res/apiprop.html#insufficient-scope",
        "{body}"
    );
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.starts_with("Insufficient scope to call"), "{detail}");
    assert!(
        detail.contains("users:own_profile:read or users:profile:read"),
        "{detail}"
    );
}

/// A 403 for a missing permission (not a scope) keeps `about:blank`: clients re-authorise
/// only on the scope phrase.
#[actix_web::test]
async fn a_permission_refusal_is_not_a_scope_refusal() {
    let app = spawn_app().await;
    let course = app.create_course("PROTO-PERM").await;
    app.create_user("proto.nobody", "Student").await;
    let token = app.token_for("proto.nobody", "*:*:*");
    let res = app
        .get(&app.lp(&format!("/{course}/groupcategories/")), &token)
        .await;
    let body = problem_body(res, 403).await;
    assert_eq!(body["type"], "about:blank", "{body}");
}

#[actix_web::test]
async fn matching_scopes_are_accepted() {
    let app = spawn_app().await;
    for scope in [
        "users:own_profile:read",
        "*:*:read",
        "users:*:*",
        "users:own_profile:create,read",
        "core:*:*",
        "groups:*:* users:own_profile:read",
        "users:profile:read",
    ] {
        let token = app.token_for("admin", scope);
        let res = whoami(&app, &token).await;
        assert_eq!(res.status(), 200, "scope {scope}");
        let me = json_ok(res).await;
        assert_eq!(me["UniqueName"], "admin", "{scope}");
    }
}

#[actix_web::test]
async fn non_matching_scopes_are_403() {
    let app = spawn_app().await;
    for scope in [
        "users:own_profile:create",
        "users:userdata:*",
        "*:*:create",
        "core:*:read",
        "groups:*:*",
    ] {
        let token = app.token_for("admin", scope);
        let detail = problem(whoami(&app, &token).await, 403).await;
        assert!(
            detail.contains("Insufficient scope to call"),
            "{scope}: {detail}"
        );
    }
}

#[actix_web::test]
async fn read_wildcard_scope_cannot_create() {
    let app = spawn_app().await;
    let token = app.token_for("admin", "*:*:read");
    let res = app
        .post(
            &app.lp("/courses/"),
            &token,
            &course_named(json!("Scoped"), "PROTO-1"),
        )
        .await;
    let detail = problem(res, 403).await;
    assert!(detail.contains("Insufficient scope to call"), "{detail}");
    assert!(detail.contains("orgunits:course:create"), "{detail}");
}

// ---------------------------------------------------------------------------------------------
// 5. Rate limiting
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn rate_limit_charges_each_call_then_answers_429() {
    let app = spawn_app_with_rate_limit(30, 10).await;
    let mut previous: Option<(u32, u64)> = None;
    for call in 0..3 {
        let res = whoami(&app, &app.admin).await;
        let (remaining, reset, cost) = rate_headers(&res);
        assert_eq!(cost, 10, "call {call}");
        assert!(remaining <= 30, "call {call}: remaining {remaining}");
        assert!((1..=60).contains(&reset), "call {call}: reset {reset}");
        if let Some((prev_remaining, prev_reset)) = previous {
            assert!(
                remaining < prev_remaining,
                "call {call}: remaining {remaining} after {prev_remaining}"
            );
            assert!(
                reset >= prev_reset,
                "call {call}: reset {reset} after {prev_reset}"
            );
        }
        previous = Some((remaining, reset));
        json_ok(res).await;
    }
    let (last_remaining, _) = previous.expect("three calls");
    assert!(
        last_remaining < 10,
        "remaining after three calls: {last_remaining}"
    );
    assert_rate_limited(whoami(&app, &app.admin).await).await;
}

#[actix_web::test]
async fn rate_limit_buckets_are_per_user() {
    let app = spawn_app_with_rate_limit(30, 10).await;
    // Two of the admin's three calls: the role lookup and the user creation.
    let student = app.create_user("ratelimited", "Student").await;
    let student_token = app.token_for("ratelimited", "*:*:*");
    json_ok(whoami(&app, &app.admin).await).await;
    assert_rate_limited(whoami(&app, &app.admin).await).await;

    let res = whoami(&app, &student_token).await;
    let (remaining, _, cost) = rate_headers(&res);
    assert_eq!(cost, 10);
    assert!(
        (20..=30).contains(&remaining),
        "a fresh bucket after one call, got {remaining}"
    );
    let me = json_ok(res).await;
    assert_eq!(me["Identifier"], student.to_string());
    // The admin is still limited.
    assert_rate_limited(whoami(&app, &app.admin).await).await;
}

#[actix_web::test]
async fn anonymous_calls_are_limited_per_ip_apart_from_tokens() {
    // Exhausting the anonymous (per-IP) bucket leaves token calls alone.
    let app = spawn_app_with_rate_limit(30, 10).await;
    for _ in 0..3 {
        let res = anon_get(&app, "/d2l/api/versions/").await;
        let (remaining, _, cost) = rate_headers(&res);
        assert!(remaining <= 20);
        assert_eq!(cost, 10);
        json_ok(res).await;
    }
    assert_rate_limited(anon_get(&app, "/d2l/api/versions/").await).await;
    assert_rate_limited(anon_get(&app, "/healthz").await).await;
    // A rejected token is charged to the IP as well.
    assert_rate_limited(whoami(&app, "garbage").await).await;
    let res = whoami(&app, &app.admin).await;
    let (remaining, _, _) = rate_headers(&res);
    assert!((20..=30).contains(&remaining), "{remaining}");
    json_ok(res).await;

    // And exhausting a token's bucket leaves anonymous calls alone.
    let app = spawn_app_with_rate_limit(30, 10).await;
    for _ in 0..3 {
        json_ok(whoami(&app, &app.admin).await).await;
    }
    assert_rate_limited(whoami(&app, &app.admin).await).await;
    let res = anon_get(&app, "/d2l/api/versions/").await;
    let (remaining, _, _) = rate_headers(&res);
    assert!((20..=30).contains(&remaining), "{remaining}");
    json_ok(res).await;
}

#[actix_web::test]
async fn every_non_429_answer_carries_rate_limit_headers() {
    let app = spawn_app().await;
    let put_body = json!({});
    let cases: Vec<(Response, u16)> = vec![
        (whoami(&app, &app.admin).await, 200),
        (anon_get(&app, "/d2l/api/versions/").await, 200),
        (anon_get(&app, "/healthz").await, 200),
        (whoami(&app, "garbage").await, 401),
        (
            app.send(Method::GET, &app.lp("/users/whoami"), None, None)
                .await,
            401,
        ),
        (
            whoami(&app, &app.token_for("admin", "groups:*:*")).await,
            403,
        ),
        (anon_get(&app, "/nope").await, 404),
        (whoami_at(&app, "1.64", &app.admin).await, 404),
        (
            app.put(&app.lp("/users/whoami"), &app.admin, &put_body)
                .await,
            405,
        ),
        (
            app.post(
                &app.lp("/courses/"),
                &app.admin,
                &course_named(json!(5), "PROTO-1"),
            )
            .await,
            400,
        ),
    ];
    let mut ids = std::collections::HashSet::new();
    for (res, status) in cases {
        assert_eq!(res.status(), status, "{}", res.url());
        let (remaining, reset, cost) = rate_headers(&res);
        assert_eq!(cost, 10, "{}", res.url());
        assert!(remaining < 50_000, "{}: {remaining}", res.url());
        assert!(reset <= 60, "{}: {reset}", res.url());
        assert!(ids.insert(header(&res, "x-request-id").expect("request id")));
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Errors and request handling
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/d2l/api/lp/1.47/nope",
        "/d2l/api/lp/1.47/users/whoami/extra",
    ] {
        let res = app
            .send(Method::GET, &app.url(path), Some(&app.admin), None)
            .await;
        let detail = problem(res, 404).await;
        assert!(!detail.is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn wrong_method_is_405_problem() {
    let app = spawn_app().await;
    let res = app
        .put(&app.lp("/users/whoami"), &app.admin, &json!({}))
        .await;
    let detail = problem(res, 405).await;
    assert!(detail.contains("PUT"), "{detail}");
    let res = app
        .send(Method::DELETE, &app.url("/d2l/api/versions/"), None, None)
        .await;
    problem(res, 405).await;
}

#[actix_web::test]
async fn wrong_method_names_the_allowed_methods() {
    let app = spawn_app().await;
    let res = app
        .put(&app.lp("/users/whoami"), &app.admin, &json!({}))
        .await;
    let allow = header(&res, "allow").unwrap_or_default();
    assert!(allow.contains("GET"), "Allow: {allow:?}");
    problem(res, 405).await;
}

#[actix_web::test]
async fn malformed_json_is_400_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.lp("/courses/"))
        .bearer_auth(&app.admin)
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"Name": "broken", "#)
        .send()
        .await
        .expect("request");
    let detail = problem(res, 400).await;
    assert!(!detail.is_empty());
}

#[actix_web::test]
async fn wrong_field_type_names_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            &app.lp("/courses/"),
            &app.admin,
            &course_named(json!(5), "PROTO-1"),
        )
        .await;
    let ctype = header(&res, "content-type");
    let text = res.text().await.expect("body");
    assert_eq!(ctype.as_deref(), Some("application/problem+json"), "{text}");
    let body: Value = serde_json::from_str(&text).expect("problem JSON");
    assert_eq!(body["status"], 400, "{text}");
    assert_eq!(body["title"], "Invalid Parameters", "{text}");
    assert_eq!(
        body["type"],
        "http://docs.valence.desire2learn.com/res/apiprop.html#invalid-parameters"
    );
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.starts_with("Name"), "{detail}");
}

#[actix_web::test]
async fn oversized_body_is_413() {
    let app = spawn_app().await;
    let big = "a".repeat(1024 * 1024 + 1);
    let res = app
        .post(
            &app.lp("/courses/"),
            &app.admin,
            &course_named(json!(big), "PROTO-1"),
        )
        .await;
    let detail = problem(res, 413).await;
    assert!(detail.contains("1048576"), "{detail}");
}

#[actix_web::test]
async fn enrollment_body_without_content_type_is_accepted() {
    let app = spawn_app().await;
    let user = app.create_user("nocontenttype", "Student").await;
    let course = app.create_course("NOCT-1").await;
    let role = app.role_id("Student").await;
    let body = json!({"OrgUnitId": course, "UserId": user, "RoleId": role}).to_string();
    let req = app
        .client
        .post(app.lp("/enrollments/"))
        .bearer_auth(&app.admin)
        .body(body)
        .build()
        .expect("request");
    assert!(req.headers().get(CONTENT_TYPE).is_none());
    let res = app.client.execute(req).await.expect("send");
    let enrollment = json_ok(res).await;
    assert_eq!(enrollment["OrgUnitId"], course, "{enrollment}");
    assert_eq!(enrollment["UserId"], user, "{enrollment}");
    assert_eq!(enrollment["RoleId"], role, "{enrollment}");
    assert!(enrollment["IsCascading"].is_boolean(), "{enrollment}");
}

#[actix_web::test]
async fn trailing_slash_is_optional() {
    let app = spawn_app().await;
    let me = json_ok(app.get(&app.lp("/users/whoami/"), &app.admin).await).await;
    assert_eq!(me["UniqueName"], "admin");
    let roles = json_ok(app.get(&app.lp("/roles"), &app.admin).await).await;
    assert!(roles.as_array().is_some_and(|r| !r.is_empty()), "{roles}");
    let roles = json_ok(app.get(&app.lp("/roles/"), &app.admin).await).await;
    assert!(roles.as_array().is_some_and(|r| !r.is_empty()), "{roles}");
}

#[actix_web::test]
async fn non_numeric_path_id_is_404() {
    let app = spawn_app().await;
    for id in ["abc", "-5", "0", "1.5"] {
        let res = app
            .get(&app.lp(&format!("/courses/{id}")), &app.admin)
            .await;
        problem(res, 404).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 7. OAuth token endpoint and key set
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn client_credentials_token_from_the_oauth2_crate() {
    use oauth2::TokenResponse;
    let app = spawn_app().await;
    let (client_id, secret) = register_client(
        &app,
        "users:own_profile:read enrollment:*:*",
        "protocol tests",
    );
    let response = oauth2_token(&app, &client_id, &secret, Some("users:own_profile:read"))
        .await
        .expect("token");
    assert_eq!(
        response.token_type(),
        &oauth2::basic::BasicTokenType::Bearer
    );
    assert!(response.expires_in().is_some_and(|d| d.as_secs() > 0));
    let granted: Vec<String> = response
        .scopes()
        .expect("scope answered")
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(granted, ["users:own_profile:read"]);
    let token = response.access_token().secret().clone();

    let me = json_ok(whoami(&app, &token).await).await;
    assert_eq!(me["UniqueName"], "admin");
    assert_eq!(me["Identifier"], admin_id(&app).to_string());

    let (row, tenant) = signing_key(&app.state);
    let head = jwt_segment(&token, 0);
    assert_eq!(head["alg"], "RS256", "{head}");
    assert_eq!(head["kid"], row.kid, "{head}");
    let claims = jwt_segment(&token, 1);
    for claim in [
        "iss",
        "aud",
        "sub",
        "tenantid",
        "scope",
        "jti",
        "iat",
        "nbf",
        "exp",
        "client_id",
    ] {
        assert!(claims.get(claim).is_some(), "missing {claim}: {claims}");
    }
    assert_eq!(claims["iss"], "https://api.brightspace.com/auth");
    assert_eq!(claims["aud"], "https://api.brightspace.com/auth/token");
    assert_eq!(claims["sub"], admin_id(&app).to_string());
    assert_eq!(claims["tenantid"], tenant);
    assert_eq!(claims["scope"], "users:own_profile:read");
    assert_eq!(claims["client_id"], client_id);
    let (iat, nbf, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["nbf"].as_i64().expect("nbf"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert!(nbf <= iat + 1 && exp > iat, "{claims}");
    assert!((Utc::now().timestamp() - iat).abs() < 60, "{claims}");

    // The granted scope is honoured: a route outside it is refused.
    let res = app.get(&app.lp("/roles/"), &token).await;
    problem(res, 403).await;
}

#[actix_web::test]
async fn token_without_requested_scope_gets_the_registered_scope() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(
        &app,
        "users:own_profile:read role:detail:read",
        "protocol tests",
    );
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client_id, &secret)),
    )
    .await;
    assert_eq!(header(&res, "cache-control").as_deref(), Some("no-store"));
    let body = json_ok(res).await;
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["scope"], "users:own_profile:read role:detail:read");
    let token = body["access_token"].as_str().expect("access_token");
    json_ok(app.get(&app.lp("/roles/"), token).await).await;
}

#[actix_web::test]
async fn form_field_client_credentials_work() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("scope", "users:own_profile:read"),
        ],
        None,
    )
    .await;
    assert_eq!(header(&res, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&res, "pragma").as_deref(), Some("no-cache"));
    let body = json_ok(res).await;
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["scope"], "users:own_profile:read", "{body}");
    assert!(body["expires_in"].as_i64().is_some_and(|s| s > 0), "{body}");
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(jwt_segment(token, 1)["client_id"], client_id);
    let me = json_ok(whoami(&app, token).await).await;
    assert_eq!(me["UniqueName"], "admin");
}

#[actix_web::test]
async fn wrong_client_secret_is_invalid_client() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");

    // Through the oauth2 crate (HTTP Basic).
    let err = oauth2_token(&app, &client_id, "wrong-secret", None)
        .await
        .expect_err("a wrong secret must fail");
    match err {
        oauth2::RequestTokenError::ServerResponse(r) => assert_eq!(
            r.error(),
            &oauth2::basic::BasicErrorResponseType::InvalidClient
        ),
        other => panic!("expected invalid_client, got {other:?}"),
    }

    // HTTP Basic: 401 with a challenge.
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client_id, "wrong-secret")),
    )
    .await;
    let challenge = header(&res, "www-authenticate").expect("WWW-Authenticate on 401");
    assert!(challenge.starts_with("Basic"), "{challenge}");
    assert_oauth_error(res, 401, "invalid_client").await;

    // Form fields.
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", "wrong-secret"),
        ],
        None,
    )
    .await;
    assert!(header(&res, "www-authenticate").is_some());
    assert_oauth_error(res, 401, "invalid_client").await;

    // An unknown client, and no credentials at all.
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("no-such-client", &secret)),
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = token_request(&app, &[("grant_type", "client_credentials")], None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
}

#[actix_web::test]
async fn unsupported_grant_type_is_400() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    let res = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "admin"),
        ],
        Some((&client_id, &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "unsupported_grant_type").await;
}

#[actix_web::test]
async fn missing_grant_type_is_invalid_request() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    let res = token_request(
        &app,
        &[("scope", "users:own_profile:read")],
        Some((&client_id, &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[actix_web::test]
async fn scope_wider_than_registered_is_invalid_scope() {
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    for scope in [
        "users:userdata:read",
        "users:*:*",
        "*:*:*",
        "users:own_profile:read,create",
        "users:own_profile:read role:detail:read",
        "malformed",
    ] {
        let res = token_request(
            &app,
            &[("grant_type", "client_credentials"), ("scope", scope)],
            Some((&client_id, &secret)),
        )
        .await;
        assert_oauth_error(res, 400, "invalid_scope").await;
    }
    // The crate sees the same.
    let err = oauth2_token(&app, &client_id, &secret, Some("*:*:*"))
        .await
        .expect_err("wider scope");
    match err {
        oauth2::RequestTokenError::ServerResponse(r) => assert_eq!(
            r.error(),
            &oauth2::basic::BasicErrorResponseType::InvalidScope
        ),
        other => panic!("expected invalid_scope, got {other:?}"),
    }
}

#[actix_web::test]
async fn revoked_client_or_inactive_service_user_gets_no_token() {
    use d2l_groups::schema::users;
    let app = spawn_app().await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    let form = [("grant_type", "client_credentials")];
    json_ok(token_request(&app, &form, Some((&client_id, &secret))).await).await;

    let admin = admin_id(&app);
    app.state
        .db
        .write_sync(|conn| {
            diesel::update(users::table.filter(users::id.eq(admin)))
                .set(users::is_active.eq(false))
                .execute(conn)
                .map_err(ApiError::from)
        })
        .expect("deactivate admin");
    let res = token_request(&app, &form, Some((&client_id, &secret))).await;
    assert_oauth_error(res, 400, "invalid_grant").await;

    let id = client_id.clone();
    app.state
        .db
        .write_sync(|conn| {
            diesel::update(oauth_clients::table.filter(oauth_clients::client_id.eq(&id)))
                .set(oauth_clients::revoked_at.eq(Some(Utc::now().naive_utc())))
                .execute(conn)
                .map_err(ApiError::from)
        })
        .expect("revoke client");
    let res = token_request(&app, &form, Some((&client_id, &secret))).await;
    assert_oauth_error(res, 401, "invalid_client").await;
}

#[actix_web::test]
async fn jwks_publishes_the_signing_key() {
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let set = json_ok(anon_get(&app, "/core/.well-known/jwks").await).await;
    let keys = set["keys"].as_array().expect("keys array");
    assert!(!keys.is_empty(), "{set}");
    let first = &keys[0];
    assert_eq!(first["kty"], "RSA", "{first}");
    assert_eq!(first["alg"], "RS256", "{first}");
    assert_eq!(first["use"], "sig", "{first}");
    for field in ["kid", "n", "e"] {
        assert!(
            first[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {first}"
        );
    }
    let ours = keys
        .iter()
        .find(|k| k["kid"] == row.kid)
        .unwrap_or_else(|| panic!("the signing key {} is not published: {set}", row.kid));
    assert_eq!(ours["n"], row.modulus);
    assert_eq!(ours["e"], row.exponent);
    assert!(
        ours.get("d").is_none(),
        "private exponent published: {ours}"
    );

    // The published key verifies the server's tokens.
    let n = ours["n"].as_str().expect("n");
    let e = ours["e"].as_str().expect("e");
    let key = DecodingKey::from_rsa_components(n, e).expect("JWK");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["https://api.brightspace.com/auth/token"]);
    let data = jsonwebtoken::decode::<Value>(&app.admin, &key, &validation).expect("verifies");
    assert_eq!(data.claims["sub"], admin_id(&app).to_string());
}

#[actix_web::test]
async fn single_jwk_by_kid() {
    let app = spawn_app().await;
    let (row, _) = signing_key(&app.state);
    let jwk = json_ok(anon_get(&app, &format!("/core/jwk/{}", row.kid)).await).await;
    assert_eq!(jwk["kid"], row.kid, "{jwk}");
    assert_eq!(jwk["kty"], "RSA", "{jwk}");
    assert_eq!(jwk["alg"], "RS256", "{jwk}");
    assert_eq!(jwk["n"], row.modulus, "{jwk}");
    assert_eq!(jwk["e"], row.exponent, "{jwk}");

    let detail = problem(anon_get(&app, "/core/jwk/no-such-kid").await, 404).await;
    assert!(detail.contains("no-such-kid"), "{detail}");
}

#[actix_web::test]
async fn oauth_client_tokens_use_their_own_bucket() {
    let app = spawn_app_with_rate_limit(30, 10).await;
    let (client_id, secret) = register_client(&app, "users:own_profile:read", "protocol tests");
    // Two tokens of the same client (two calls on the IP bucket).
    let first = oauth2_token(&app, &client_id, &secret, None)
        .await
        .expect("first token");
    let second = oauth2_token(&app, &client_id, &secret, None)
        .await
        .expect("second token");
    use oauth2::TokenResponse;
    let first = first.access_token().secret().clone();
    let second = second.access_token().secret().clone();
    assert_ne!(first, second);

    // Exhaust the admin's CLI bucket.
    for _ in 0..3 {
        json_ok(whoami(&app, &app.admin).await).await;
    }
    assert_rate_limited(whoami(&app, &app.admin).await).await;

    // The client's tokens draw from the client's bucket, shared by all its tokens.
    let res = whoami(&app, &first).await;
    let (remaining, _, _) = rate_headers(&res);
    assert!((20..=30).contains(&remaining), "{remaining}");
    json_ok(res).await;
    json_ok(whoami(&app, &second).await).await;
    json_ok(whoami(&app, &first).await).await;
    assert_rate_limited(whoami(&app, &second).await).await;
}

// ---------------------------------------------------------------------------------------------
// 8. Health
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn health_probes_answer() {
    let app = spawn_app().await;
    let live = json_ok(anon_get(&app, "/healthz").await).await;
    assert_eq!(live, json!({"status": "ok"}));
    let ready = json_ok(anon_get(&app, "/readyz").await).await;
    assert_eq!(ready, json!({"status": "ready"}));
    // With a token too: probes ignore authentication.
    json_ok(app.get(&app.url("/healthz"), &app.admin).await).await;
}
