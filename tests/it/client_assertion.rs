//! Issue 12, "a private-key-JWT client obtaining a token": `client_credentials` with a
//! `client_assertion` (RFC 7523) verified against the public key or JWKS registered with
//! `client add --public-key-file | --jwks-file`; then every refusal, each with its status,
//! error code, content type and `Cache-Control`; and the checks `client add` makes of the key
//! files. Assertions are form posts (the `oauth2` crate cannot send them).

use std::sync::OnceLock;

use base64::Engine;
use d2l_groups::db::assertions;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Response;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

use crate::common::*;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const BRIGHTSPACE_AUDIENCE: &str = "https://api.brightspace.com/auth/token";
const SCOPE: &str = "users:*:* groups:*:*";

/// An RSA key pair made for the tests.
struct KeyPair {
    private_pem: String,
    public_pem: String,
    n: String,
    e: String,
}

fn key_pair() -> KeyPair {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    KeyPair {
        private_pem: private
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .expect("private PEM")
            .to_string(),
        public_pem: private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("public PEM"),
        n: b64(private.n().to_bytes_be()),
        e: b64(private.e().to_bytes_be()),
    }
}

/// Two key pairs, made once for every test (2048-bit keys take a while).
fn keys() -> &'static (KeyPair, KeyPair) {
    static KEYS: OnceLock<(KeyPair, KeyPair)> = OnceLock::new();
    KEYS.get_or_init(|| (key_pair(), key_pair()))
}

/// Writes `content` to a fresh file; answers its path.
fn temp_file(content: &str) -> String {
    let path = std::env::temp_dir().join(format!("d2l-groups-key-{}", uuid::Uuid::new_v4()));
    std::fs::write(&path, content).expect("write key file");
    path.to_string_lossy().into_owned()
}

/// `client add` with a key file flag; answers (client_id, client_secret).
fn register_with_keys(app: &TestApp, flag: &str, content: &str) -> (String, String) {
    let path = temp_file(content);
    let out = cli(
        app,
        &[
            "client",
            "add",
            "--name",
            "Roster Sync",
            "--user",
            "admin",
            "--scope",
            SCOPE,
            flag,
            &path,
        ],
    );
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(printed(&out, "client_authentication"), "private_key_jwt");
    (printed(&out, "client_id"), printed(&out, "client_secret"))
}

/// A client registered with key pair one's public key in PEM (no kid).
fn pem_client(app: &TestApp) -> String {
    register_with_keys(app, "--public-key-file", &keys().0.public_pem).0
}

/// A client registered with a JWKS holding key pair two under kid `k2` (and an EC key, which
/// is left out).
fn jwks_client(app: &TestApp) -> (String, String) {
    let two = &keys().1;
    let jwks = json!({"keys": [
        {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
         "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "ec"},
        {"kty": "RSA", "kid": "k2", "use": "sig", "alg": "RS256", "n": two.n, "e": two.e},
    ]});
    register_with_keys(app, "--jwks-file", &jwks.to_string())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn token_endpoint(app: &TestApp) -> String {
    app.url("/core/connect/token")
}

/// Good claims for `client`, addressed to the app's token endpoint, living 60 s.
fn claims(app: &TestApp, client: &str) -> Value {
    json!({
        "iss": client,
        "sub": client,
        "aud": token_endpoint(app),
        "iat": now(),
        "exp": now() + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

fn sign(claims: &Value, key: &KeyPair, kid: Option<&str>, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(Into::into);
    let key = EncodingKey::from_rsa_pem(key.private_pem.as_bytes()).expect("RSA PEM");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// A JWT with a header of our own and a made-up signature.
fn forged(header: &Value, claims: &Value) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.c2lnbmF0dXJl", b64(header), b64(claims))
}

/// `POST /core/connect/token` with a client assertion and `extra` fields.
async fn with_assertion(app: &TestApp, assertion: &str, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    token_request(app, &form, None).await
}

/// Asserts an RFC 6749 error answer; answers its description.
async fn refused(res: Response, status: u16, error: &str) -> String {
    let got = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let cache = header(&res, "cache-control").unwrap_or_default();
    let challenge = header(&res, "www-authenticate");
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    assert_eq!(ctype, JSON_TYPE, "{text}");
    assert_eq!(cache, "no-store", "{text}");
    assert_eq!(challenge.is_some(), status == 401, "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON error");
    assert_eq!(body["error"], error, "{text}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "error and error_description only: {text}"
    );
    body["error_description"]
        .as_str()
        .expect("error_description")
        .to_string()
}

/// Asserts an `invalid_client` refusal whose description says `why`.
async fn refused_because(res: Response, why: &str) {
    let description = refused(res, 401, "invalid_client").await;
    assert!(description.contains(why), "{why:?} in {description:?}");
}

/// Asserts a token answer; answers its body.
async fn granted(res: Response) -> Value {
    let cache = header(&res, "cache-control").unwrap_or_default();
    let body = json_typed(res, 200).await;
    assert_eq!(cache, "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["expires_in"].as_i64().is_some_and(|s| s > 0), "{body}");
    body
}

/// The claims of an access token, read without verifying it (the server verifies it).
fn token_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

async fn admin_id(app: &TestApp) -> i64 {
    json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await["Identifier"]
        .as_str()
        .expect("Identifier")
        .parse()
        .expect("id")
}

fn kept_jtis(app: &TestApp, client: &str) -> i64 {
    let client = client.to_string();
    app.state
        .db
        .read_sync(move |conn| assertions::count(conn, &client))
        .expect("count")
}

#[actix_web::test]
async fn a_private_key_jwt_client_obtains_a_token_and_calls_whoami() {
    let app = spawn_app().await;
    let admin = admin_id(&app).await;

    // Registered with a PEM public key; the assertion has no kid.
    let client = pem_client(&app);
    let assertion = sign(&claims(&app, &client), &keys().0, None, Algorithm::RS256);
    let body = granted(with_assertion(&app, &assertion, &[]).await).await;
    assert_eq!(body["scope"], SCOPE);
    let token = body["access_token"].as_str().expect("token");
    let issued = token_claims(token);
    assert_eq!(issued["sub"], admin.to_string(), "the service user's token");
    assert_eq!(issued["azp"], client);
    let me = json_ok(app.get(&app.lp("/users/whoami"), token).await).await;
    assert_eq!(me["Identifier"], admin.to_string());
    assert_eq!(me["UniqueName"], "admin");
    assert_eq!(kept_jtis(&app, &client), 1, "the jti is kept");

    // Registered with a JWKS; the assertion names its kid, uses Brightspace's audience, an
    // RS512 signature, carries the client_id (as RA does), asks for less scope and has no iat.
    let (client, _) = jwks_client(&app);
    let mut c = claims(&app, &client);
    c["aud"] = json!(BRIGHTSPACE_AUDIENCE);
    c.as_object_mut().expect("object").remove("iat");
    let assertion = sign(&c, &keys().1, Some("k2"), Algorithm::RS256);
    let body = granted(
        with_assertion(
            &app,
            &assertion,
            &[("client_id", &client), ("scope", "users:*:*")],
        )
        .await,
    )
    .await;
    assert_eq!(body["scope"], "users:*:*");
    let token = body["access_token"].as_str().expect("token");
    let me = json_ok(app.get(&app.lp("/users/whoami"), token).await).await;
    assert_eq!(me["Identifier"], admin.to_string());
    // The narrower scope holds: groups are out of it.
    let res = app
        .get(&app.lp(&format!("/{ROOT}/groupcategories/")), token)
        .await;
    assert_eq!(res.status(), 403);

    // An audience list holding the token endpoint, and an RS512 key the JWKS allows any
    // algorithm for (the PEM key has no alg).
    let client = pem_client(&app);
    let mut c = claims(&app, &client);
    c["aud"] = json!(["https://elsewhere.example/token", token_endpoint(&app)]);
    let assertion = sign(&c, &keys().0, Some("any-kid"), Algorithm::RS512);
    granted(with_assertion(&app, &assertion, &[]).await).await;
}

#[actix_web::test]
async fn assertions_that_fail_a_check_are_invalid_client() {
    let app = spawn_app().await;
    let client = pem_client(&app);
    let (jwks_id, _) = jwks_client(&app);
    let one = &keys().0;
    let good = |c: &Value| sign(c, one, None, Algorithm::RS256);

    // Signed with another key.
    let res = with_assertion(
        &app,
        &sign(&claims(&app, &client), &keys().1, None, Algorithm::RS256),
        &[],
    )
    .await;
    refused_because(res, "signature does not verify").await;
    let res = with_assertion(
        &app,
        &sign(&claims(&app, &jwks_id), one, Some("k2"), Algorithm::RS256),
        &[],
    )
    .await;
    refused_because(res, "signature does not verify").await;

    // A tampered signature, and tampered claims under a good signature.
    let assertion = good(&claims(&app, &client));
    let (signed, signature) = assertion.rsplit_once('.').expect("three parts");
    let mut sig = signature.as_bytes().to_vec();
    sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signed}.{}", String::from_utf8(sig).expect("ascii"));
    refused_because(
        with_assertion(&app, &tampered, &[]).await,
        "signature does not verify",
    )
    .await;
    let mut longer = claims(&app, &client);
    longer["exp"] = json!(now() + 250);
    let parts: Vec<&str> = assertion.split('.').collect();
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(longer.to_string()),
        parts[2]
    );
    refused_because(
        with_assertion(&app, &swapped, &[]).await,
        "signature does not verify",
    )
    .await;

    // The issuer: another client's id in the form, iss and sub apart, an unknown client.
    let res = with_assertion(
        &app,
        &good(&claims(&app, &client)),
        &[("client_id", &jwks_id)],
    )
    .await;
    refused_because(res, "client_id is not the client assertion's iss").await;
    let mut c = claims(&app, &client);
    c["sub"] = json!("someone-else");
    refused_because(
        with_assertion(&app, &good(&c), &[]).await,
        "sub is not its iss",
    )
    .await;
    let mut c = claims(&app, &client);
    c["iss"] = json!(jwks_id);
    refused_because(
        with_assertion(&app, &good(&c), &[]).await,
        "signature does not verify",
    )
    .await;
    let stranger = uuid::Uuid::new_v4().to_string();
    let res = with_assertion(&app, &good(&claims(&app, &stranger)), &[]).await;
    refused_because(res, "unknown or revoked").await;
    let mut c = claims(&app, &client);
    c.as_object_mut().expect("object").remove("iss");
    refused_because(with_assertion(&app, &good(&c), &[]).await, "no iss").await;

    // The audience.
    for aud in [
        json!("https://example.com/core/connect/token"),
        json!([]),
        json!(token_endpoint(&app) + "/"),
    ] {
        let mut c = claims(&app, &client);
        c["aud"] = aud;
        refused_because(with_assertion(&app, &good(&c), &[]).await, "aud is not").await;
    }
    let mut c = claims(&app, &client);
    c.as_object_mut().expect("object").remove("aud");
    refused_because(with_assertion(&app, &good(&c), &[]).await, "no aud").await;

    // Expiry and lifetime.
    let mut c = claims(&app, &client);
    c["iat"] = json!(now() - 200);
    c["exp"] = json!(now() - 120);
    refused_because(with_assertion(&app, &good(&c), &[]).await, "expired").await;
    let mut c = claims(&app, &client);
    c.as_object_mut().expect("object").remove("exp");
    refused_because(with_assertion(&app, &good(&c), &[]).await, "no exp").await;
    let mut c = claims(&app, &client);
    c["exp"] = json!(now() + 301);
    refused_because(
        with_assertion(&app, &good(&c), &[]).await,
        "lifetime exceeds 300 seconds",
    )
    .await;
    let mut c = claims(&app, &client);
    c["exp"] = json!(now() + 1800);
    c.as_object_mut().expect("object").remove("iat");
    refused_because(
        with_assertion(&app, &good(&c), &[]).await,
        "lifetime exceeds 300 seconds",
    )
    .await;
    let mut c = claims(&app, &client);
    c["nbf"] = json!(now() + 120);
    refused_because(with_assertion(&app, &good(&c), &[]).await, "not valid yet").await;

    // The jti: required, and used once.
    let mut c = claims(&app, &client);
    c.as_object_mut().expect("object").remove("jti");
    refused_because(with_assertion(&app, &good(&c), &[]).await, "no jti").await;
    let once = good(&claims(&app, &client));
    granted(with_assertion(&app, &once, &[]).await).await;
    refused_because(
        with_assertion(&app, &once, &[]).await,
        "jti was used already",
    )
    .await;
    // The same jti in a new assertion is a replay too.
    let mut again = claims(&app, &client);
    again["jti"] = token_claims(&once)["jti"].clone();
    refused_because(
        with_assertion(&app, &good(&again), &[]).await,
        "jti was used already",
    )
    .await;

    // Algorithms: HS256, none, ES256, each refused before any key is tried.
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(&app, &client),
        &EncodingKey::from_secret(one.public_pem.as_bytes()),
    )
    .expect("HS256");
    refused_because(
        with_assertion(&app, &hs, &[]).await,
        "algorithm HS256 is not accepted",
    )
    .await;
    let none = forged(
        &json!({"alg": "none", "typ": "JWT"}),
        &claims(&app, &client),
    );
    let none = format!("{}.", none.rsplit_once('.').expect("parts").0);
    refused_because(with_assertion(&app, &none, &[]).await, "malformed").await;
    let es = forged(
        &json!({"alg": "ES256", "typ": "JWT"}),
        &claims(&app, &client),
    );
    refused_because(
        with_assertion(&app, &es, &[]).await,
        "algorithm ES256 is not accepted",
    )
    .await;

    // A kid that names no registered key, and an algorithm the key is not registered for.
    let res = with_assertion(
        &app,
        &sign(
            &claims(&app, &jwks_id),
            &keys().1,
            Some("k9"),
            Algorithm::RS256,
        ),
        &[],
    )
    .await;
    refused_because(res, "No public key registered").await;
    let res = with_assertion(
        &app,
        &sign(
            &claims(&app, &jwks_id),
            &keys().1,
            Some("k2"),
            Algorithm::RS384,
        ),
        &[],
    )
    .await;
    refused_because(res, "No public key registered").await;

    // Not a JWT at all.
    refused_because(with_assertion(&app, "not-a-jwt", &[]).await, "malformed").await;
    refused_because(with_assertion(&app, "a.b.c", &[]).await, "malformed").await;

    // A scope beyond the registration; the assertion is not spent by that refusal.
    let assertion = good(&claims(&app, &client));
    let res = with_assertion(&app, &assertion, &[("scope", "users:*:* core:*:*")]).await;
    refused(res, 400, "invalid_scope").await;
    granted(with_assertion(&app, &assertion, &[]).await).await;
}

#[actix_web::test]
async fn secrets_and_assertions_do_not_mix() {
    let app = spawn_app().await;
    let one = &keys().0;
    let (client, secret) = register_with_keys(&app, "--public-key-file", &one.public_pem);

    // A client registered with keys may not use its secret, in the form or with Basic.
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    refused_because(res, "registered with public keys").await;
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&client, &secret)),
    )
    .await;
    let challenge = header(&res, "www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic"), "{challenge}");
    refused_because(res, "registered with public keys").await;

    // An assertion and a secret: two methods.
    let assertion = sign(&claims(&app, &client), one, None, Algorithm::RS256);
    let res = with_assertion(
        &app,
        &assertion,
        &[("client_id", &client), ("client_secret", &secret)],
    )
    .await;
    let text = refused(res, 400, "invalid_request").await;
    assert!(text.contains("not both"), "{text}");
    let res = app
        .client
        .post(app.url("/core/connect/token"))
        .basic_auth(&client, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .expect("token request");
    refused(res, 400, "invalid_request").await;
    assert_eq!(kept_jtis(&app, &client), 0, "nothing redeemed");

    // A client without keys presenting an assertion.
    let (plain, plain_secret) = register_client(&app, SCOPE, "Plain");
    let res = with_assertion(
        &app,
        &sign(&claims(&app, &plain), one, None, Algorithm::RS256),
        &[],
    )
    .await;
    refused_because(res, "not registered with public keys").await;
    // Its secret still works.
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&plain, &plain_secret)),
    )
    .await;
    granted(res).await;

    // The assertion's parameters: the type is required, must be JWT bearer, and needs an
    // assertion; assertions are for client_credentials only.
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    refused(res, 400, "invalid_request").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    refused(res, 400, "invalid_request").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
        ],
        None,
    )
    .await;
    refused(res, 400, "invalid_request").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    refused(res, 400, "invalid_request").await;

    // The assertion itself was never redeemed: it still works once.
    granted(with_assertion(&app, &assertion, &[]).await).await;

    // A revoked client.
    let out = cli(&app, &["client", "revoke", "--client", &client]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = with_assertion(
        &app,
        &sign(&claims(&app, &client), one, None, Algorithm::RS256),
        &[],
    )
    .await;
    refused_because(res, "unknown or revoked").await;
}

#[actix_web::test]
async fn client_add_checks_the_key_files() {
    let app = spawn_app().await;
    let one = &keys().0;
    let fails = |args: &[&str], why: &str| {
        let mut all = vec![
            "client", "add", "--name", "X", "--user", "admin", "--scope", SCOPE,
        ];
        all.extend_from_slice(args);
        let out = cli(&app, &all);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(why), "{why:?} in {stderr}");
        assert!(
            String::from_utf8_lossy(&out.stdout).is_empty(),
            "nothing printed"
        );
    };
    let pem = temp_file(&one.public_pem);
    let private = temp_file(&one.private_pem);
    let garbage = temp_file("not a key");
    let no_rsa = temp_file(r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}"#);
    let private_jwks = temp_file(
        &json!({"keys": [{"kty": "RSA", "n": one.n, "e": one.e, "d": "AQAB"}]}).to_string(),
    );
    fails(
        &[
            "--grant",
            "authorization_code",
            "--redirect-uri",
            "https://x.example/cb",
            "--public-key-file",
            &pem,
        ],
        "for --grant client_credentials",
    );
    fails(&["--jwks-file", &garbage], "not a JSON key set");
    fails(&["--jwks-file", &no_rsa], "no RSA signing key");
    fails(&["--jwks-file", &private_jwks], "private key material");
    fails(
        &["--jwks-file", "/nonexistent/keys.json"],
        "--jwks-file /nonexistent/keys.json",
    );
    fails(&["--public-key-file", &garbage], "not an RSA public key");
    fails(&["--public-key-file", &private], "private key");
    fails(
        &["--public-key-file", &pem, "--jwks-file", &pem],
        "cannot be used with",
    );
    for path in [pem, private, garbage, no_rsa, private_jwks] {
        let _ = std::fs::remove_file(path);
    }
}

#[actix_web::test]
async fn used_ids_are_pruned_and_the_lifetime_and_other_grants_follow_the_registration() {
    let app = spawn_app().await;
    let one = &keys().0;
    let pem = temp_file(&one.public_pem);
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "--name",
            "Long",
            "--user",
            "admin",
            "--scope",
            SCOPE,
            "--token-lifetime",
            "1800",
            "--public-key-file",
            &pem,
        ],
    );
    let _ = std::fs::remove_file(&pem);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = printed(&out, "client_id");
    let secret = printed(&out, "client_secret");

    // An id whose assertion expired long ago is forgotten on the next use.
    let (id, stale) = (
        client.clone(),
        chrono::Utc::now().naive_utc() - chrono::Duration::hours(1),
    );
    app.state
        .db
        .write_sync(move |conn| assertions::record_jti(conn, &id, "old-jti", stale))
        .expect("record");
    assert_eq!(kept_jtis(&app, &client), 1);
    let body = granted(
        with_assertion(
            &app,
            &sign(&claims(&app, &client), one, None, Algorithm::RS256),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(body["expires_in"], 1800, "the client's registered lifetime");
    assert_eq!(
        kept_jtis(&app, &client),
        1,
        "the stale id pruned, the new one kept"
    );

    // The secret of a client with keys is refused for the other grants as well.
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "anything"),
        ],
        Some((&client, &secret)),
    )
    .await;
    refused(res, 401, "invalid_client").await;
}
