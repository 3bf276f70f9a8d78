//! Issue 12, "OAuth 2.0 as Brightspace runs it": the authorization-code grant with PKCE,
//! driven by the `oauth2` crate against the running server with the sign-in form posted as a
//! browser posts it; consent; rotating refresh tokens and reuse detection; every error branch
//! of the authorization and token endpoints; the user's page of authorized apps; `client add`,
//! `client list` and `client revoke`.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::common::*;
use crate::sign_in::{browser, form_token, hidden_fields, session_header, sign_in_at, PASSWORD};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const SCOPE: &str = "users:*:* groups:*:* enrollment:*:*";

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Registers an authorization-code app with `extra` flags; answers (id, secret).
fn register(app: &TestApp, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "client",
        "add",
        "--name",
        "Grade Sync",
        "--user",
        "admin",
        "--scope",
        SCOPE,
        "--grant",
        "authorization_code",
        "--redirect-uri",
        REDIRECT,
    ];
    args.extend_from_slice(extra);
    let out = cli(app, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (printed(&out, "client_id"), printed(&out, "client_secret"))
}

fn oauth_client(app: &TestApp, id: &str, secret: &str) -> Client {
    BasicClient::new(ClientId::new(id.into()))
        .set_client_secret(ClientSecret::new(secret.into()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth2/auth")).expect("auth URL"))
        .set_token_uri(TokenUrl::new(app.url("/core/connect/token")).expect("token URL"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).expect("redirect URL"))
}

fn http() -> oauth2::reqwest::Client {
    oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// Signs `user` in as a browser does; answers the session's `Cookie` header.
async fn signed_in(app: &TestApp, user: &str) -> String {
    let out = set_password(app, user, PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = crate::sign_in::sign_in_as_browser(app, &browser(), user, PASSWORD).await;
    assert_eq!(res.status(), 302);
    session_header(res.headers())
}

fn location(res: &reqwest::Response) -> String {
    res.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_string()
}

/// The query parameters of an absolute or relative URL.
fn query_of(url: &str) -> Vec<(String, String)> {
    let full = if url.starts_with('/') {
        format!("http://x{url}")
    } else {
        url.to_string()
    };
    url::Url::parse(&full)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// From the app's authorization URL to its redirect: signs in when asked (as a browser, with
/// the page's CSRF token), answers consent with `decision` when asked, and answers the final
/// redirect's location.
async fn walk(app: &TestApp, auth_url: &str, user: &str, decision: &str) -> String {
    let client = browser();
    let res = client.get(auth_url).send().await.expect("authorize");
    assert_eq!(res.status(), 302, "no session: to the sign-in page");
    let to_login = location(&res);
    assert!(
        to_login.starts_with("/d2l/login?target=%2Foauth2%2Fauth%3F"),
        "{to_login}"
    );
    // The sign-in page, its form posted with the target it carries.
    let out = set_password(app, user, PASSWORD);
    assert!(out.status.success());
    let res = sign_in_at(app, &client, &to_login, user).await;
    assert_eq!(res.status(), 302);
    let back = location(&res);
    assert!(
        back.starts_with("/oauth2/auth?"),
        "back to the request: {back}"
    );
    let cookies = session_header(res.headers());
    let res = client
        .get(app.url(&back))
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("authorize, signed in");
    if res.status() == 302 {
        return location(&res);
    }
    assert_eq!(res.status(), 200, "the consent page");
    assert_eq!(
        form_action(&res),
        "'self' http://127.0.0.1:9",
        "Allow and Deny redirect to the app: its origin, and only it, besides ours"
    );
    let html = res.text().await.expect("consent");
    assert!(html.contains("Authorize Grade Sync?"), "{html}");
    assert!(html.contains("<code>groups:*:*</code>"), "{html}");
    let mut form = hidden_fields(&html);
    form.push(("decision".into(), decision.into()));
    let res = client
        .post(app.url("/oauth2/auth"))
        .header(COOKIE, &cookies)
        .form(&form)
        .send()
        .await
        .expect("consent");
    assert_eq!(res.status(), 302);
    location(&res)
}

/// The `form-action` sources of a page's Content-Security-Policy.
fn form_action(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    csp.split(';')
        .find_map(|d| d.trim().strip_prefix("form-action "))
        .unwrap_or_else(|| panic!("no form-action in {csp}"))
        .to_string()
}

/// A code for `user` through the whole browser flow with PKCE; answers (code, verifier).
async fn code_for(app: &TestApp, client: &Client, user: &str) -> (String, PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("users:*:*".into()))
        .add_scope(Scope::new("groups:*:*".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = walk(app, url.as_str(), user, "allow").await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    (param(&back, "code").expect("code"), verifier)
}

fn refused_with<T: std::fmt::Debug>(
    outcome: Result<
        T,
        RequestTokenError<
            oauth2::HttpClientError<oauth2::reqwest::Error>,
            StandardErrorResponse<BasicErrorResponseType>,
        >,
    >,
) -> BasicErrorResponseType {
    match outcome {
        Err(RequestTokenError::ServerResponse(e)) => e.error().clone(),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

async fn whoami(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(&app.lp("/users/whoami"), token).await
}

#[actix_web::test]
async fn the_code_flow_with_pkce_consent_refresh_rotation_and_reuse_detection() {
    let app = spawn_app().await;
    let (id, secret) = register(
        &app,
        &["--refresh-tokens", "--consent", "--token-lifetime", "7200"],
    );
    let client = oauth_client(&app, &id, &secret);
    let http = http();
    let (code, verifier) = code_for(&app, &client, "admin").await;

    let first = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    assert_eq!(first.expires_in().map(|d| d.as_secs()), Some(7200));
    let scopes: Vec<String> = first
        .scopes()
        .expect("scope")
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        scopes,
        ["users:*:*", "groups:*:*"],
        "what was asked, within the registration"
    );
    let me = json_ok(whoami(&app, first.access_token().secret()).await).await;
    assert_eq!(me["UniqueName"], "admin", "{me}");
    // The token's claims: the user, the client as `azp`, the granted scope.
    let claims = jwt_claims(first.access_token().secret());
    assert_eq!(claims["azp"], id.as_str());
    assert_eq!(claims["scope"], "users:*:* groups:*:*");

    // A refresh rotates: a new access token and a new refresh token.
    let refresh_1 = first.refresh_token().expect("refresh token").clone();
    let second = client
        .exchange_refresh_token(&refresh_1)
        .request_async(&http)
        .await
        .expect("refresh");
    let refresh_2 = second.refresh_token().expect("a new refresh token").clone();
    assert_ne!(refresh_1.secret(), refresh_2.secret());
    assert_eq!(
        whoami(&app, second.access_token().secret()).await.status(),
        200
    );
    // Narrowing on refresh is allowed; widening is not.
    let narrow = client
        .exchange_refresh_token(&refresh_2)
        .add_scope(Scope::new("users:*:*".into()))
        .request_async(&http)
        .await
        .expect("narrowed refresh");
    assert_eq!(narrow.scopes().map(|s| s.len()), Some(1));
    let refresh_3 = narrow.refresh_token().expect("refresh").clone();

    // The spent refresh token presented again: refused, and the whole grant is revoked.
    let reuse = client
        .exchange_refresh_token(&refresh_1)
        .request_async(&http)
        .await;
    assert_eq!(refused_with(reuse), BasicErrorResponseType::InvalidGrant);
    let latest = client
        .exchange_refresh_token(&refresh_3)
        .request_async(&http)
        .await;
    assert_eq!(refused_with(latest), BasicErrorResponseType::InvalidGrant);
    for token in [
        first.access_token(),
        second.access_token(),
        narrow.access_token(),
    ] {
        let res = whoami(&app, token.secret()).await;
        let body = problem_body(res, 401).await;
        assert!(
            body["detail"].as_str().unwrap_or("").contains("revoked"),
            "{body}"
        );
    }
    // And the code itself, exchanged again: refused.
    let again = client
        .exchange_code(AuthorizationCode::new(code))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(again), BasicErrorResponseType::InvalidGrant);
}

/// The payload of a JWT, unverified.
fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("json")
}

#[actix_web::test]
async fn a_code_exchanged_twice_revokes_the_tokens_of_its_first_exchange() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, &[]);
    let client = oauth_client(&app, &id, &secret);
    let http = http();
    let (code, verifier) = code_for(&app, &client, "admin").await;
    let verifier_text = verifier.secret().clone();
    let first = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    assert!(
        first.refresh_token().is_none(),
        "not registered for refresh tokens"
    );
    assert_eq!(
        first.expires_in().map(|d| d.as_secs()),
        Some(3600),
        "the server's default"
    );
    assert_eq!(
        whoami(&app, first.access_token().secret()).await.status(),
        200
    );
    let again = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier_text))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(again), BasicErrorResponseType::InvalidGrant);
    problem(whoami(&app, first.access_token().secret()).await, 401).await;
}

#[actix_web::test]
async fn the_token_endpoint_refuses_a_code_with_the_wrong_verifier_redirect_client_or_age() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, &[]);
    let (other_id, other_secret) = register(&app, &[]);
    let client = oauth_client(&app, &id, &secret);
    let http = http();

    // A wrong verifier, then none: each refusal leaves the code usable by the right one.
    let (code, verifier) = code_for(&app, &client, "admin").await;
    let wrong = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(wrong), BasicErrorResponseType::InvalidGrant);
    let none = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(none), BasicErrorResponseType::InvalidGrant);
    // Another redirect URI than the request's.
    let elsewhere = client
        .clone()
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:9/other".into()).expect("url"))
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert_eq!(
        refused_with(elsewhere),
        BasicErrorResponseType::InvalidGrant
    );
    // Another client's code.
    let thief = oauth_client(&app, &other_id, &other_secret)
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(thief), BasicErrorResponseType::InvalidGrant);
    // A wrong secret.
    let impostor = oauth_client(&app, &id, "not-the-secret")
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert_eq!(
        refused_with(impostor),
        BasicErrorResponseType::InvalidClient
    );
    // The right request still works.
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");

    // An expired code.
    let (code, verifier) = code_for(&app, &client, "admin").await;
    app.state
        .db
        .write_sync(|conn| {
            use d2l_groups::schema::oauth_codes;
            use diesel::prelude::*;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            diesel::update(oauth_codes::table)
                .set(oauth_codes::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .expect("age the code");
    let late = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await;
    assert_eq!(refused_with(late), BasicErrorResponseType::InvalidGrant);
    // An unknown refresh token and a missing code.
    let unknown = client
        .exchange_refresh_token(&RefreshToken::new("nope".into()))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(unknown), BasicErrorResponseType::InvalidGrant);
    let res = reqwest::Client::new()
        .post(app.url("/core/connect/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("code"),
        "{body}"
    );
}

#[actix_web::test]
async fn authorization_errors_are_shown_or_sent_back_as_rfc_6749_says() {
    let app = spawn_app().await;
    let (id, _) = register(&app, &["--consent"]);
    let cookies = signed_in(&app, "admin").await;
    let client = browser();
    let get = |query: String| {
        let client = client.clone();
        let cookies = cookies.clone();
        let url = app.url(&format!("/oauth2/auth?{query}"));
        async move {
            client
                .get(url)
                .header(COOKIE, cookies)
                .send()
                .await
                .expect("get")
        }
    };
    let redirect = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>();

    // Not to be trusted: a page, no redirect.
    for query in [
        format!("response_type=code&client_id=unknown&redirect_uri={redirect}&state=s"),
        format!(
            "response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fevil.example%2F&state=s"
        ),
        format!("response_type=code&redirect_uri={redirect}"),
    ] {
        let res = get(query.clone()).await;
        assert_eq!(res.status(), 400, "{query}");
        assert!(res.headers().get(LOCATION).is_none());
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        let html = res.text().await.expect("body");
        assert!(html.contains("cannot be authorized"), "{html}");
    }
    // Sent back to the registered redirect URI, with the state.
    let cases = [
        ("response_type=token", "unsupported_response_type"),
        ("", "invalid_request"),
        ("response_type=code&scope=quizzing:*:*", "invalid_scope"),
        (
            "response_type=code&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghij123&code_challenge_method=plain",
            "invalid_request",
        ),
    ];
    for (extra, error) in cases {
        let res = get(format!(
            "client_id={id}&redirect_uri={redirect}&state=xyz&{extra}"
        ))
        .await;
        assert_eq!(res.status(), 302, "{extra}");
        let back = location(&res);
        assert!(back.starts_with(&format!("{REDIRECT}?")), "{back}");
        assert_eq!(param(&back, "error").as_deref(), Some(error), "{back}");
        assert_eq!(param(&back, "state").as_deref(), Some("xyz"), "{back}");
        assert!(param(&back, "error_description").is_some(), "{back}");
        assert!(param(&back, "code").is_none());
    }
    // A client-credentials client may not use the code flow.
    let (cc_id, _) = register_client(&app, "users:*:*", "service");
    let out = cli(&app, &["client", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listing.contains(&format!("{cc_id}\tclient_credentials\tactive")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("{id}\tauthorization_code\tactive\tGrade Sync")),
        "{listing}"
    );
    assert!(!listing.contains("secret"), "{listing}");
    // Its redirect URIs are none, so the request cannot even name one it registered.
    let res = get(format!(
        "response_type=code&client_id={cc_id}&redirect_uri={redirect}"
    ))
    .await;
    assert_eq!(res.status(), 400);

    // Denying consent sends access_denied back.
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = oauth_client(&app, &id, "unused")
        .authorize_url(|| CsrfToken::new("st".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = walk(&app, url.as_str(), "admin", "deny").await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    assert_eq!(param(&back, "state").as_deref(), Some("st"));

    // A consent post without the session's token is refused and issues nothing (signed in
    // again: the walk above set the password anew, which ended the earlier session).
    let cookies = signed_in(&app, "admin").await;
    let res = client
        .post(app.url("/oauth2/auth"))
        .header(COOKIE, &cookies)
        .form(&[
            ("client_id", id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(LOCATION).is_none());
}

#[actix_web::test]
async fn without_consent_the_code_comes_straight_back_and_a_user_can_revoke_the_app() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, &["--refresh-tokens"]);
    let client = oauth_client(&app, &id, &secret);
    let http = http();
    let (code, verifier) = code_for(&app, &client, "admin").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    assert_eq!(
        whoami(&app, tokens.access_token().secret()).await.status(),
        200
    );

    // The user's page lists the app, with a revoke form that needs the session's token.
    let cookies = signed_in(&app, "admin").await;
    let b = browser();
    let page = b
        .get(app.url("/d2l/apps"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("apps");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("<td>Grade Sync</td>"), "{html}");
    assert!(html.contains("users:*:* groups:*:*"), "{html}");
    let token = form_token(&html);
    let forged = b
        .post(app.url("/d2l/apps/revoke"))
        .header(COOKIE, &cookies)
        .form(&[("client_id", id.as_str()), ("csrf_token", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert_eq!(
        whoami(&app, tokens.access_token().secret()).await.status(),
        200
    );
    let res = b
        .post(app.url("/d2l/apps/revoke"))
        .header(COOKIE, &cookies)
        .form(&[("client_id", id.as_str()), ("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/d2l/apps?revoked=1");
    // At once: the access token is refused, and so is the refresh token.
    problem(whoami(&app, tokens.access_token().secret()).await, 401).await;
    let refresh = client
        .exchange_refresh_token(tokens.refresh_token().expect("refresh"))
        .request_async(&http)
        .await;
    assert_eq!(refused_with(refresh), BasicErrorResponseType::InvalidGrant);
    let html = b
        .get(app.url("/d2l/apps"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("apps")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("You have not authorized any application."),
        "{html}"
    );

    // Revoking the client itself (the operator) ends its tokens too.
    let (code, verifier) = code_for(&app, &client, "admin").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    let out = cli(&app, &["client", "revoke", "--client", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(printed(&out, "revoked"), "true");
    problem(whoami(&app, tokens.access_token().secret()).await, 401).await;
    let unknown = cli(&app, &["client", "revoke", "--client", "no-such-client"]);
    assert!(!unknown.status.success());
}

#[actix_web::test]
async fn client_add_checks_what_an_app_is_registered_with() {
    let app = spawn_app().await;
    let base = [
        "client",
        "add",
        "--name",
        "X",
        "--user",
        "admin",
        "--scope",
        "users:*:*",
    ];
    let cases: [(&[&str], &str); 5] = [
        (&["--grant", "authorization_code"], "--redirect-uri"),
        (
            &[
                "--grant",
                "authorization_code",
                "--redirect-uri",
                "http://app.example/cb",
            ],
            "https",
        ),
        (
            &[
                "--grant",
                "authorization_code",
                "--redirect-uri",
                "https://app.example/cb#f",
            ],
            "fragment",
        ),
        (&["--refresh-tokens"], "--grant authorization_code"),
        (&["--token-lifetime", "60"], "1800"),
    ];
    for (extra, complaint) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = cli(&app, &args);
        assert!(!out.status.success(), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains(complaint), "{extra:?}: {err}");
    }
}

#[actix_web::test]
async fn concurrent_refreshes_with_one_token_get_at_most_one_answer_and_the_grant_ends() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, &["--refresh-tokens"]);
    let client = oauth_client(&app, &id, &secret);
    let http = http();
    let (code, verifier) = code_for(&app, &client, "admin").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    let refresh = tokens.refresh_token().expect("refresh").clone();
    // Eight clients present the same refresh token at once.
    let attempts = (0..8).map(|_| {
        let (client, http, refresh) = (client.clone(), http.clone(), refresh.clone());
        async move {
            client
                .exchange_refresh_token(&refresh)
                .request_async(&http)
                .await
        }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert!(
        won.len() <= 1,
        "a refresh token is spent once: {} answers",
        won.len()
    );
    for outcome in outcomes.iter().filter(|o| o.is_err()) {
        match outcome {
            Err(RequestTokenError::ServerResponse(e)) => {
                assert_eq!(*e.error(), BasicErrorResponseType::InvalidGrant)
            }
            other => panic!("expected invalid_grant, got {other:?}"),
        }
    }
    // The reuse revoked the grant: whatever was answered no longer works.
    for answer in won {
        problem(whoami(&app, answer.access_token().secret()).await, 401).await;
    }
    problem(whoami(&app, tokens.access_token().secret()).await, 401).await;
}

/// The sign-in page lets its form lead on to where its target redirects once the user is
/// signed in (an app that asks no consent), and nowhere else: not for a target of an unknown
/// client, a redirect URI the client did not register, or a plain page.
#[actix_web::test]
async fn the_sign_in_page_names_only_the_registered_redirect_of_its_target() {
    let app = spawn_app().await;
    let (id, _) = register(&app, &[]);
    let client = browser();
    let login_for = |query: &str| {
        let target: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("target", query)
            .finish();
        app.url(&format!("/d2l/login?{target}"))
    };
    let auth = |client_id: &str, redirect: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", "users:*:*")
            .append_pair("code_challenge", &"c".repeat(43))
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("/oauth2/auth?{query}")
    };
    for (target, expected) in [
        (auth(&id, REDIRECT), "'self' http://127.0.0.1:9"),
        (auth("no-such-client", REDIRECT), "'self'"),
        (auth(&id, "https://evil.example/cb"), "'self'"),
        ("/d2l/home".to_string(), "'self'"),
        (
            "/d2l/auth/api/token?x_a=nope&x_b=x&x_target=https://evil.example/".to_string(),
            "'self'",
        ),
    ] {
        let res = client
            .get(login_for(&target))
            .send()
            .await
            .expect("sign-in page");
        assert_eq!(res.status(), 200, "{target}");
        assert_eq!(form_action(&res), expected, "{target}");
    }
}
