//! Issue 12, "People can sign in": passwords set by the command line, the sign-in page and its
//! form post (as a browser and as D2L's scripted clients send it), session cookies, CSRF,
//! sign-out, throttling of failed attempts, and inactive users.

use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::common::*;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A client that does not follow redirects, so each answer is seen as sent.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// `name=value` of each cookie an answer sets, with its attributes.
pub(crate) fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_string())
        .collect()
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(headers).into_iter().find_map(|c| {
        let first = c.split(';').next()?.trim().to_string();
        let (n, v) = first.split_once('=')?;
        (n == name).then(|| v.to_string())
    })
}

/// The value of the hidden `csrf_token` field of a page.
pub(crate) fn form_token(html: &str) -> String {
    let at = html.find("name=\"csrf_token\"").expect("csrf field");
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("value") + 7;
    rest[v..v + rest[v..].find('"').expect("end")].to_string()
}

/// What a browser holds after opening the sign-in page: its CSRF cookie and form token.
pub(crate) struct SignInPage {
    pub cookie: String,
    pub token: String,
}

pub(crate) async fn open_sign_in(app: &TestApp, client: &reqwest::Client) -> SignInPage {
    let res = client
        .get(app.url("/d2l/login?target=/d2l/home"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let cookie = cookie_value(res.headers(), "d2lSignInCsrf").expect("csrf cookie");
    let html = res.text().await.expect("body");
    let token = form_token(&html);
    assert_eq!(token, cookie, "double-submit: the same value in both");
    SignInPage { cookie, token }
}

/// Posts the sign-in form as a browser does (Origin, the CSRF cookie and field).
pub(crate) async fn sign_in_as_browser(
    app: &TestApp,
    client: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let page = open_sign_in(app, client).await;
    client
        .post(app.url("/d2l/lp/auth/login/login.d2l"))
        .header(ORIGIN, app.url(""))
        .header(COOKIE, format!("d2lSignInCsrf={}", page.cookie))
        .form(&[
            ("csrf_token", page.token.as_str()),
            ("target", "/d2l/home"),
            ("userName", user),
            ("password", password),
        ])
        .send()
        .await
        .expect("post")
}

/// The hidden fields of a page's forms, as (name, value), unescaped.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for part in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let at = part.find(&format!("{name}=\"")).expect("attr") + name.len() + 2;
            part[at..at + part[at..].find('"').expect("end")]
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
        };
        fields.push((attr("name"), attr("value")));
    }
    fields
}

/// Follows a redirect to the sign-in page (`login`, as its `Location` said) as a browser:
/// opens it and posts its form, with the target and CSRF token it carries, as `user` with
/// [`PASSWORD`]. Answers the post's answer.
pub(crate) async fn sign_in_at(
    app: &TestApp,
    client: &reqwest::Client,
    login: &str,
    user: &str,
) -> reqwest::Response {
    let page = client.get(app.url(login)).send().await.expect("login page");
    let csrf = cookie_value(page.headers(), "d2lSignInCsrf").expect("csrf cookie");
    let mut form = hidden_fields(&page.text().await.expect("body"));
    form.push(("userName".into(), user.into()));
    form.push(("password".into(), PASSWORD.into()));
    client
        .post(app.url("/d2l/lp/auth/login/login.d2l"))
        .header(ORIGIN, app.url(""))
        .header(COOKIE, format!("d2lSignInCsrf={csrf}"))
        .form(&form)
        .send()
        .await
        .expect("sign in")
}

/// The session cookies of a successful sign-in, as a `Cookie` header.
pub(crate) fn session_header(headers: &HeaderMap) -> String {
    let id = cookie_value(headers, "d2lSessionVal").expect("d2lSessionVal");
    let secret = cookie_value(headers, "d2lSecureSessionVal").expect("d2lSecureSessionVal");
    format!("d2lSessionVal={id}; d2lSecureSessionVal={secret}")
}

async fn home(app: &TestApp, client: &reqwest::Client, cookies: &str) -> reqwest::Response {
    client
        .get(app.url("/d2l/home"))
        .header(COOKIE, cookies)
        .send()
        .await
        .expect("home")
}

#[actix_web::test]
async fn the_sign_in_page_is_a_plain_html_form_with_a_csrf_cookie() {
    let app = spawn_app().await;
    let res = browser()
        .get(app.url("/d2l/login"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"));
    let csrf = set_cookies(&h)
        .into_iter()
        .find(|c| c.starts_with("d2lSignInCsrf="))
        .expect("csrf cookie");
    assert!(csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax") && csrf.contains("Path=/"));
    assert!(!csrf.contains("Secure"), "plain HTTP: {csrf}");
    let html = res.text().await.expect("body");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<html lang=\"en\">"));
    for needle in [
        "action=\"/d2l/lp/auth/login/login.d2l\"",
        "<label for=\"userName\">User name</label>",
        "<label for=\"password\">Password</label>",
        "type=\"password\"",
        "autocomplete=\"current-password\"",
        "name=\"csrf_token\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    assert!(!html.contains("<script"), "no JavaScript needed");
    // Behind a TLS-terminating proxy the cookies are Secure.
    let res = browser()
        .get(app.url("/d2l/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("get");
    let csrf = set_cookies(res.headers()).join("\n");
    assert!(csrf.contains("; Secure"), "{csrf}");
}

#[actix_web::test]
async fn a_browser_signs_in_with_the_password_the_cli_set_and_signs_out() {
    let app = spawn_app().await;
    let out = set_password(&app, "admin", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("password=set"), "{printed}");
    assert!(!printed.contains(PASSWORD), "never echoed: {printed}");

    let client = browser();
    let res = sign_in_as_browser(&app, &client, "Admin", PASSWORD).await;
    assert_eq!(
        res.status(),
        302,
        "user names are matched regardless of case"
    );
    assert_eq!(res.headers()[LOCATION], "/d2l/home");
    for c in set_cookies(res.headers())
        .iter()
        .filter(|c| c.starts_with("d2lSession") || c.starts_with("d2lSecure"))
    {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(c.contains("Expires="), "{c}");
    }
    let cookies = session_header(res.headers());
    let page = home(&app, &client, &cookies).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("(admin)"), "{html}");
    let token = form_token(&html);

    // Already signed in: the sign-in page goes straight on to its target.
    let res = client
        .get(app.url("/d2l/login?target=/d2l/logout"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()[LOCATION], "/d2l/logout");

    // Sign-out needs the session's token.
    let forged = client
        .post(app.url("/d2l/logout"))
        .header(COOKIE, &cookies)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    assert_eq!(
        home(&app, &client, &cookies).await.status(),
        200,
        "still signed in"
    );
    let out = client
        .post(app.url("/d2l/logout"))
        .header(COOKIE, &cookies)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(out.status(), 302);
    assert_eq!(out.headers()[LOCATION], "/d2l/login?signedOut=1");
    let cleared = set_cookies(out.headers()).join("\n");
    assert!(
        cleared.contains("d2lSessionVal=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let after = home(&app, &client, &cookies).await;
    assert_eq!(after.status(), 302, "the old cookies are dead");
    assert_eq!(after.headers()[LOCATION], "/d2l/login?target=%2Fd2l%2Fhome");
}

#[actix_web::test]
async fn a_script_posts_the_form_as_d2l_clients_do() {
    let app = spawn_app().await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let client = browser();
    // GSU's auth client: no page first, no CSRF token, no Origin.
    let res = client
        .post(app.url("/d2l/lp/auth/login/login.d2l"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "d2l_referrer=&noredirect=1&loginPath=/d2l/lp/auth/login/login.d2l&userName=admin&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()[LOCATION], "/d2l/home");
    let cookies = session_header(res.headers());
    assert_eq!(home(&app, &client, &cookies).await.status(), 200);
    // A tampered secret is no session.
    let tampered = cookies.replace("d2lSecureSessionVal=", "d2lSecureSessionVal=x");
    assert_eq!(home(&app, &client, &tampered).await.status(), 302);
}

#[actix_web::test]
async fn a_browser_post_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let client = browser();
    let page = open_sign_in(&app, &client).await;
    let attempts = [
        // From another site: Origin, no cookie.
        (None, Some(page.token.as_str())),
        // The cookie, but another token.
        (Some(page.cookie.as_str()), Some("guessed")),
        // The cookie, no token.
        (Some(page.cookie.as_str()), None),
    ];
    for (cookie, token) in attempts {
        let mut form = vec![("userName", "admin"), ("password", PASSWORD)];
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let mut req = client
            .post(app.url("/d2l/lp/auth/login/login.d2l"))
            .header(ORIGIN, "https://evil.example")
            .form(&form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("d2lSignInCsrf={c}"));
        }
        let res = req.send().await.expect("post");
        assert_eq!(res.status(), 403, "{cookie:?} {token:?}");
        assert!(cookie_value(res.headers(), "d2lSessionVal").is_none());
        let html = res.text().await.expect("body");
        assert!(html.contains("This form had expired"), "{html}");
    }
}

#[actix_web::test]
async fn a_wrong_password_an_unknown_user_and_an_inactive_user_get_one_answer() {
    let app = spawn_app().await;
    let learner = app.create_user("sleeper", "Student").await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    assert!(set_password(&app, "sleeper", PASSWORD).status.success());
    app.state
        .db
        .write_sync(|conn| d2l_groups::db::users::deactivate(conn, learner))
        .expect("deactivate");
    let client = browser();
    let mut bodies = Vec::new();
    for (user, password) in [
        ("admin", "wrong password"),
        ("nobody", PASSWORD),
        ("sleeper", PASSWORD),
    ] {
        let res = sign_in_as_browser(&app, &client, user, password).await;
        assert_eq!(res.status(), 200, "{user}");
        assert!(
            cookie_value(res.headers(), "d2lSessionVal").is_none(),
            "{user}"
        );
        let html = res.text().await.expect("body");
        assert!(
            html.contains("role=\"alert\">The user name or password is incorrect.</p>"),
            "{html}"
        );
        // The page keeps what was typed as the user name, escaped, and never the password.
        assert!(html.contains(&format!("value=\"{user}\"")), "{html}");
        assert!(!html.contains(password));
        bodies.push(
            html.replace(user, "USER")
                .replace(&form_token(&html), "TOKEN"),
        );
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    // Markup in a user name is escaped, not rendered.
    let res = sign_in_as_browser(&app, &client, "<b>x</b>\"", "whatever!").await;
    let html = res.text().await.expect("body");
    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;&quot;"), "{html}");
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled_per_account() {
    let app = spawn_app().await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let client = browser();
    for _ in 0..5 {
        let res = sign_in_as_browser(&app, &client, "admin", "not the password").await;
        assert_eq!(res.status(), 200);
    }
    // Now even the right password is refused, until the window passes.
    let res = sign_in_as_browser(&app, &client, "admin", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "900");
    assert!(cookie_value(res.headers(), "d2lSessionVal").is_none());
    let html = res.text().await.expect("body");
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    // Another account from the same address is not locked by this one's failures.
    app.create_user("other", "Instructor").await;
    assert!(set_password(&app, "other", PASSWORD).status.success());
    let res = sign_in_as_browser(&app, &client, "other", PASSWORD).await;
    assert_eq!(res.status(), 302);
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled_per_address() {
    let app = spawn_app().await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let client = browser();
    // Thirty guesses spread over accounts that do not exist (none reaches its own limit).
    for i in 0..30 {
        let res = sign_in_as_browser(&app, &client, &format!("guess{i}"), "x").await;
        assert_eq!(res.status(), 200, "attempt {i}");
    }
    let res = sign_in_as_browser(&app, &client, "admin", PASSWORD).await;
    assert_eq!(res.status(), 429, "the address is throttled");
}

#[actix_web::test]
async fn a_new_password_ends_open_sessions_and_targets_stay_on_this_server() {
    let app = spawn_app().await;
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let client = browser();
    let page = open_sign_in(&app, &client).await;
    let res = client
        .post(app.url("/d2l/lp/auth/login/login.d2l"))
        .header(ORIGIN, app.url(""))
        .header(COOKIE, format!("d2lSignInCsrf={}", page.cookie))
        .form(&[
            ("csrf_token", page.token.as_str()),
            ("target", "https://evil.example/steal"),
            ("userName", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()[LOCATION], "/d2l/home", "no open redirect");
    let cookies = session_header(res.headers());
    assert_eq!(home(&app, &client, &cookies).await.status(), 200);

    let out = set_password(&app, "admin", "another long password");
    assert!(out.status.success());
    assert_eq!(
        home(&app, &client, &cookies).await.status(),
        302,
        "session ended"
    );
    let res = sign_in_as_browser(&app, &client, "admin", PASSWORD).await;
    assert_eq!(res.status(), 200, "the old password no longer works");
    let res = sign_in_as_browser(&app, &client, "admin", "another long password").await;
    assert_eq!(res.status(), 302);
}

#[actix_web::test]
async fn the_cli_refuses_short_passwords_and_unknown_users() {
    let app = spawn_app().await;
    let short = set_password(&app, "admin", "short");
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr).into_owned();
    assert!(err.contains("at least 8 characters"), "{err}");
    let unknown = set_password(&app, "nobody", PASSWORD);
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr).into_owned();
    assert!(err.contains("nobody"), "{err}");
}
