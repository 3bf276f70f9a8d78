//! The OAuth pages in a browser: the consent page of `/oauth2/auth` (sign-in first; Deny sends
//! the browser back to the app with `access_denied`, Allow with a code that the token endpoint
//! takes), the page of an authorization request that cannot be sent back, and the authorized
//! apps page `/d2l/apps` with its revoke button. Every app here listens on another origin (its
//! own port), as real apps do: a browser holds a form's redirects to the page's `form-action`,
//! which a callback on our own origin would never show.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::harness::*;
use crate::sign_in::app_with_password;

const SCOPE: &str = "users:*:* groups:*:*";

/// Registers "Grade Sync", an authorization-code app sent back to `redirect_uri` that asks
/// consent when `consent`, as `d2l-groups client add` does; answers (id, secret).
fn register(app: &TestApp, redirect_uri: &str, consent: bool) -> (String, String) {
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
        redirect_uri,
    ];
    if consent {
        args.push("--consent");
    }
    let out = cli(app, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (printed(&out, "client_id"), printed(&out, "client_secret"))
}

/// `/oauth2/auth?...` for `client_id` with PKCE (S256 of `verifier`).
fn authorize_url(app: &TestApp, client_id: &str, redirect_uri: &str, verifier: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPE)
        .append_pair("state", "xyz")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    app.url(&format!("/oauth2/auth?{query}"))
}

#[actix_web::test]
async fn consent_allow_sends_a_code_back_and_the_apps_page_revokes_the_app() {
    browser_test(|b| async move {
        let app = app_with_password().await;
        let grade_sync = AppOrigin::start().await;
        let callback = grade_sync.url("/grade-sync/callback");
        let (id, secret) = register(&app, &callback, true);
        let verifier = uuid::Uuid::new_v4().simple().to_string().repeat(2);

        b.open(&authorize_url(&app, &id, &callback, &verifier))
            .await;
        let path = b.path().await;
        assert!(
            path.starts_with("/d2l/login?target=%2Foauth2%2Fauth%3F"),
            "no session: the sign-in page first: {path}"
        );
        b.fill("User name", "admin").await;
        b.fill("Password", PASSWORD).await;
        b.press_button("Sign in").await;

        // Back to the request: the consent page. Deny sends the browser back with the refusal.
        assert!(
            b.path().await.starts_with("/oauth2/auth?"),
            "{}",
            b.path().await
        );
        assert_eq!(b.title().await, "Authorize an application – d2l-groups");
        b.by_role("heading", "Authorize Grade Sync?").await;
        for scope in SCOPE.split(' ') {
            b.by_role("listitem", scope).await;
        }
        assert_accessible(&b, "consent page").await;
        b.assert_fits_phone("consent page").await;
        b.press_button("Deny").await;
        let denied = b.url().await;
        assert!(denied.as_str().starts_with(&callback), "{denied}");
        assert_eq!(
            grade_sync.received(),
            vec![denied.clone()],
            "the app's own server was reached"
        );
        b.by_role("heading", "The app received the answer").await;
        let pairs: Vec<(String, String)> = denied.query_pairs().into_owned().collect();
        assert!(
            pairs.contains(&("error".into(), "access_denied".into()))
                && pairs.contains(&("state".into(), "xyz".into()))
                && !pairs.iter().any(|(k, _)| k == "code"),
            "{denied}"
        );

        // Signed in now, the same request goes straight to consent; Allow sends a code.
        b.open(&authorize_url(&app, &id, &callback, &verifier))
            .await;
        b.by_role("heading", "Authorize Grade Sync?").await;
        b.press_button("Allow").await;

        let back = b.url().await;
        assert!(back.as_str().starts_with(&callback), "{back}");
        assert_eq!(grade_sync.received().last(), Some(&back));
        let param = |name: &str| {
            back.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(param("state").as_deref(), Some("xyz"));
        let code = param("code").expect("a code");
        // The code is real: the token endpoint exchanges it, and the token acts as admin.
        let tokens = json_status(
            token_request(
                &app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &callback),
                    ("code_verifier", &verifier),
                ],
                Some((&id, &secret)),
            )
            .await,
            200,
        )
        .await;
        let access = tokens["access_token"].as_str().expect("access_token");
        let me = json_ok(app.get(&app.lp("/users/whoami"), access).await).await;
        assert_eq!(me["UniqueName"], "admin", "{me}");

        // The apps page lists it; Revoke removes it, and its token stops working.
        b.open(&app.url("/d2l/apps")).await;
        assert_eq!(b.title().await, "Authorized applications – d2l-groups");
        b.by_role("cell", "Grade Sync").await;
        b.by_role("cell", SCOPE).await;
        assert_accessible(&b, "apps page").await;
        b.assert_fits_phone("apps page").await;
        b.press_button("Revoke Grade Sync").await;
        assert_eq!(b.path().await, "/d2l/apps?revoked=1");
        assert_eq!(
            b.message().await,
            Some(Message {
                role: "status".into(),
                text: "Revoked.".into()
            })
        );
        assert_eq!(b.count_role("cell", "Grade Sync").await, 0);
        assert_eq!(b.count_role("button", "Revoke Grade Sync").await, 0);
        b.by_text("You have not authorized any application.").await;
        assert_accessible(&b, "apps page, none left").await;
        b.assert_fits_phone("apps page, none left").await;
        let status = status_of(app.get(&app.lp("/users/whoami"), access).await).await;
        assert_eq!(status, 401, "the revoked app's token is refused");
    })
    .await;
}

#[actix_web::test]
async fn a_request_that_cannot_be_sent_back_is_explained_on_a_page() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let url = authorize_url(&app, "no-such-app", "http://127.0.0.1:9/callback", "v");
        b.open(&url).await;
        assert_eq!(b.title().await, "Authorization failed – d2l-groups");
        b.by_role("heading", "This application cannot be authorized")
            .await;
        let message = b.message().await.expect("a message");
        assert_eq!(message.role, "alert", "{message:?}");
        assert!(!message.text.is_empty());
        assert_accessible(&b, "authorization error page").await;
        b.assert_fits_phone("authorization error page").await;
    })
    .await;
}

/// An app that asks no consent: the sign-in form's answer leads through `/oauth2/auth` straight
/// on to the app's origin, so the sign-in page's own `form-action` must let it go there.
#[actix_web::test]
async fn an_app_without_consent_gets_its_code_on_its_own_origin_right_after_sign_in() {
    browser_test(|b| async move {
        let app = app_with_password().await;
        let lms = AppOrigin::start().await;
        let callback = lms.url("/callback");
        let (id, _) = register(&app, &callback, false);
        b.open(&authorize_url(&app, &id, &callback, &"v".repeat(43)))
            .await;
        assert!(b.path().await.starts_with("/d2l/login?target="));
        b.fill("User name", "admin").await;
        b.fill("Password", PASSWORD).await;
        b.press_button("Sign in").await;
        let back = b.url().await;
        assert!(back.as_str().starts_with(&callback), "{back}");
        assert!(back.query_pairs().any(|(k, _)| k == "code"), "{back}");
        assert_eq!(lms.received(), vec![back]);
    })
    .await;
}

/// D2L's ID-key flow (`/d2l/auth/api/token`) from a browser with no session: signed in by the
/// form, the browser ends on the app's trusted origin with the user's id and key.
#[actix_web::test]
async fn the_id_key_flow_reaches_the_apps_origin_after_sign_in() {
    browser_test(|b| async move {
        let app = app_with_password().await;
        let sdk_app = AppOrigin::start().await;
        let out = cli(
            &app,
            &[
                "app",
                "add",
                "--name",
                "Roster tool",
                "--trusted-url",
                &sdk_app.url("/"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (app_id, app_key) = (printed(&out, "app_id"), printed(&out, "app_key"));
        let target = sdk_app.url("/d2l-callback?state=abc");
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("x_a", &app_id)
            .append_pair("x_b", &id_key_signature(&app_key, &target))
            .append_pair("x_target", &target)
            .finish();
        b.open(&app.url(&format!("/d2l/auth/api/token?{query}")))
            .await;
        let path = b.path().await;
        assert!(
            path.starts_with("/d2l/login?target="),
            "{path}: {}",
            b.text().await
        );
        b.fill("User name", "admin").await;
        b.fill("Password", PASSWORD).await;
        b.press_button("Sign in").await;
        let back = b.url().await;
        assert!(back.as_str().starts_with(&target), "{back}");
        let names: Vec<String> = back.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(names, ["state", "x_a", "x_b"], "{back}");
        assert_eq!(sdk_app.received(), vec![back]);
    })
    .await;
}
