//! The sign-in page (`/d2l/login`) and its form post, the home page (`/d2l/home`) and
//! sign-out (`/d2l/logout`), in a browser: what a person sees, hears and can do by keyboard.

use crate::common::*;
use crate::harness::*;

/// A server whose admin has [`PASSWORD`].
pub(crate) async fn app_with_password() -> TestApp {
    let app = spawn_app().await;
    let out = set_password(&app, "admin", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app
}

#[actix_web::test]
async fn a_wrong_password_is_announced_and_focused_then_the_right_one_lands_on_home() {
    browser_test(|b| async move {
        let app = app_with_password().await;
        b.open(&app.url("/d2l/login")).await;
        assert_eq!(b.title().await, "Sign in – d2l-groups");
        b.by_role("heading", "Sign in").await;
        assert_eq!(b.message().await, None);
        assert!(
            b.is_focused(&b.by_label("User name").await).await,
            "the user name field has the focus on arrival: {}",
            b.focused().await
        );
        assert_accessible(&b, "sign-in page").await;
        b.assert_fits_phone("sign-in page").await;
        b.screenshot_for_docs("sign-in").await;

        let landed = b.sign_in(&app, "admin", "not the password").await;
        assert_eq!(landed, "/d2l/lp/auth/login/login.d2l", "the form again");
        assert_eq!(
            b.message().await,
            Some(Message {
                role: "alert".into(),
                text: "The user name or password is incorrect.".into()
            })
        );
        let alert = b
            .by_role("alert", "The user name or password is incorrect.")
            .await;
        assert!(
            b.is_focused(&alert).await,
            "the error has the focus, so it is read first: {}",
            b.focused().await
        );
        // The next Tab goes on to the form, the user name kept and the password not.
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"input "User name""#);
        let user = b.by_label("User name").await;
        assert_eq!(
            user.prop("value").await.expect("value").as_deref(),
            Some("admin")
        );
        let password = b.by_label("Password").await;
        assert_eq!(
            password.prop("value").await.expect("value").as_deref(),
            Some("")
        );
        assert_accessible(&b, "sign-in page with an error").await;
        b.assert_fits_phone("sign-in page with an error").await;

        b.fill("Password", PASSWORD).await;
        b.press_button("Sign in").await;
        assert_eq!(b.path().await, "/d2l/home");
        assert_eq!(b.title().await, "Home – d2l-groups");
        b.by_role("heading", "Signed in").await;
        let text = b.text().await;
        assert!(text.contains("You are signed in as"), "{text}");
        assert!(text.contains("(admin)"), "{text}");
        assert_accessible(&b, "home page").await;
        b.assert_fits_phone("home page").await;
    })
    .await;
}

#[actix_web::test]
async fn by_keyboard_alone_a_person_signs_in_and_out() {
    browser_test(|b| async move {
        let app = app_with_password().await;
        b.open(&app.url("/d2l/login")).await;
        b.focus_top().await;
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"input "User name""#);
        b.type_text("admin").await;
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"input "Password""#);
        b.type_text(PASSWORD).await;
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"button "Sign in""#);
        b.mark_page().await;
        b.press(Key::Enter).await;
        b.wait_for_new_page().await;
        assert_eq!(b.path().await, "/d2l/home");

        // Home: the apps link, then the sign-out button; Enter on it signs out.
        b.focus_top().await;
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"a "Applications you have authorized""#);
        b.press(Key::Tab).await;
        assert_eq!(b.focused().await, r#"button "Sign out""#);
        b.mark_page().await;
        b.press(Key::Enter).await;
        b.wait_for_new_page().await;
        assert_eq!(b.path().await, "/d2l/login?signedOut=1");
    })
    .await;
}

#[actix_web::test]
async fn signing_out_from_home_and_from_the_sign_out_page() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        b.sign_in_as(&app, "admin").await;
        b.press_button("Sign out").await;
        assert_eq!(b.path().await, "/d2l/login?signedOut=1");
        assert_eq!(
            b.message().await,
            Some(Message {
                role: "status".into(),
                text: "You have signed out.".into()
            })
        );
        assert_accessible(&b, "sign-in page after signing out").await;
        b.assert_fits_phone("sign-in page after signing out").await;
        // The session is over: home asks to sign in again.
        b.open(&app.url("/d2l/home")).await;
        assert_eq!(b.path().await, "/d2l/login?target=%2Fd2l%2Fhome");

        // A sign-out link (GET /d2l/logout) asks first, with the same button.
        b.sign_in_as(&app, "admin").await;
        b.open(&app.url("/d2l/logout")).await;
        assert_eq!(b.title().await, "Sign out – d2l-groups");
        b.by_role("heading", "Sign out").await;
        assert_accessible(&b, "sign-out page").await;
        b.assert_fits_phone("sign-out page").await;
        b.press_button("Sign out").await;
        assert_eq!(b.path().await, "/d2l/login?signedOut=1");
        b.open(&app.url("/d2l/logout")).await;
        assert_eq!(b.path().await, "/d2l/login", "nothing left to sign out of");
    })
    .await;
}
