//! The OAuth pages in a browser: the consent page of `/oauth2/auth` (sign-in first; Deny sends
//! the browser back to the app with `access_denied`, Allow with a code that the token endpoint
//! takes), the page of an authorization request that cannot be sent back, and the authorized
//! apps page `/d2l/apps` with its revoke button.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::harness::*;
use crate::sign_in::app_with_password;

const SCOPE: &str = "users:*:* groups:*:*";

/// Registers "Grade Sync", an authorization-code app that asks consent and is sent back to
/// `redirect_uri`, as `d2l-groups client add` does; answers (id, secret).
fn register(app: &TestApp, redirect_uri: &str) -> (String, String) {
    let out = cli(
        app,
        &[
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
            "--consent",
        ],
    );
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
        // The app's address: a path of the test server, which answers 404; the browser's
        // address bar is what counts.
        let callback = app.url("/grade-sync/callback");
        let (id, secret) = register(&app, &callback);
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
