//! The sign-in page and browser sessions: `GET /d2l/login`, the form's post to
//! `POST /d2l/lp/auth/login/login.d2l` (the path D2L's own form posts to, which scripted
//! clients post to directly), `GET /d2l/home`, and sign-out at `/d2l/logout`.
//!
//! CSRF: every page that has a session puts the session's token in its forms, and every POST
//! must send it back. The sign-in form, which comes before any session, is protected by a
//! double-submit cookie: the page sets a random value in a cookie and in the form, and the
//! post must carry both. A post that carries no token and comes from no browser (no `Origin`
//! and no `Sec-Fetch-Site`, which every current browser sends with a form post) is a script
//! signing in its own user, as D2L's login form allows; login CSRF is an attack on browsers.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::browser::{
    form_token_matches, html, html_sending_forms_to, login_for, redirect, session_of,
};
use super::extract::RawBody;
use super::onward;
use crate::auth::sessions::{
    generate_secret, SESSION_ID_COOKIE, SESSION_SECRET_COOKIE, SIGN_IN_CSRF_COOKIE,
};
use crate::domain::sign_in::{safe_target, FAILURE_WINDOW, HOME};
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, sign_in::SignInForm};
use crate::services::sign_in::{self as service, Attempt, Checked};
use crate::state::State;

const REFUSED: &str = "The user name or password is incorrect.";
const THROTTLED: &str =
    "Too many failed sign-ins for this account or from this address. Try again later.";
const STALE_FORM: &str = "This form had expired. Please sign in again.";

/// A cookie of ours: HttpOnly, SameSite=Lax, for the whole site, Secure when the request came
/// over TLS (a cookie marked Secure would not come back over plain HTTP on loopback).
fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(req.connection_info().scheme() == "https");
    c
}

fn expired(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new());
    c.set_max_age(time::Duration::ZERO);
    c
}

/// The query of `GET /d2l/login`.
#[derive(Deserialize)]
struct LoginQuery {
    target: Option<String>,
    institution: Option<String>,
    #[serde(rename = "sessionExpired")]
    session_expired: Option<String>,
    #[serde(rename = "signedOut")]
    signed_out: Option<String>,
}

/// The sign-in form with a fresh CSRF cookie.
/// The sign-in form with a fresh CSRF cookie; `onward` are the places its target may then
/// redirect to (`onward::destinations`).
fn sign_in_page(
    req: &HttpRequest,
    status: StatusCode,
    form: SignInForm,
    onward: &[String],
) -> HttpResponse {
    let mut res = html_sending_forms_to(status, pages::sign_in::form(&form), onward);
    let _ = res.add_cookie(&cookie(req, SIGN_IN_CSRF_COOKIE, form.csrf.to_string()));
    res
}

/// `GET /d2l/login`: the sign-in form, or straight on to the target when already signed in.
pub async fn login_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let query: LoginQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("The query string is malformed: {e}.")))?;
    let target = safe_target(query.target.as_deref()).to_string();
    if session_of(&state, &req).await?.is_some() {
        return Ok(redirect(&target));
    }
    let notice = if query.session_expired.is_some() {
        Some("Your session has expired. Please sign in again.")
    } else if query.signed_out.is_some() {
        Some("You have signed out.")
    } else {
        None
    };
    let csrf = generate_secret();
    let onward = onward::destinations(&state, &target).await?;
    Ok(sign_in_page(
        &req,
        StatusCode::OK,
        SignInForm {
            csrf: &csrf,
            target: &target,
            institution: query.institution.as_deref(),
            user_name: "",
            error: None,
            notice,
        },
        &onward,
    ))
}

/// The fields of the sign-in post (D2L's form also sends `d2l_referrer`, `noredirect` and
/// `loginPath`, which change nothing here).
#[derive(Deserialize)]
struct LoginForm {
    #[serde(rename = "userName", default)]
    user_name: String,
    #[serde(default)]
    password: String,
    csrf_token: Option<String>,
    target: Option<String>,
    institution: Option<String>,
}

/// Whether a request without a CSRF token comes from a browser, which must have sent one.
fn from_a_browser(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::ORIGIN) || req.headers().contains_key("sec-fetch-site")
}

/// `POST /d2l/lp/auth/login/login.d2l`: 302 to the target with the session cookies, or the
/// form again with the reason (200), 429 while throttled, 403 for a stale or forged form.
pub async fn login(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let form: LoginForm = serde_urlencoded::from_bytes(&body.0)
        .map_err(|e| ApiError::bad_request(format!("The form body is malformed: {e}.")))?;
    let target = safe_target(form.target.as_deref()).to_string();
    let onward = onward::destinations(&state, &target).await?;
    let again = |status, error: &str, user_name: &str| {
        let csrf = generate_secret();
        sign_in_page(
            &req,
            status,
            SignInForm {
                csrf: &csrf,
                target: &target,
                institution: form.institution.as_deref(),
                user_name,
                error: Some(error),
                notice: None,
            },
            &onward,
        )
    };
    let needs_token = form.csrf_token.is_some() || from_a_browser(&req);
    if needs_token {
        let cookie = req.cookie(SIGN_IN_CSRF_COOKIE);
        let expected = cookie.as_ref().map(|c| c.value()).unwrap_or_default();
        if expected.is_empty() || !form_token_matches(form.csrf_token.as_deref(), expected) {
            return Ok(again(StatusCode::FORBIDDEN, STALE_FORM, &form.user_name));
        }
    }
    if [&form.user_name, &form.password]
        .iter()
        .any(|f| f.is_empty() || f.contains('\0'))
    {
        return Ok(again(StatusCode::OK, REFUSED, &form.user_name));
    }
    let address = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let attempt = Attempt {
        institution: form.institution.clone(),
        user_name: form.user_name.clone(),
        password: form.password.clone(),
        address,
    };
    let now = Utc::now().naive_utc();
    let checked = state
        .db
        .read(move |conn| service::check(conn, &attempt, now))
        .await?;
    match checked {
        Checked::Throttled => {
            let mut res = again(StatusCode::TOO_MANY_REQUESTS, THROTTLED, &form.user_name);
            res.headers_mut().insert(
                header::RETRY_AFTER,
                FAILURE_WINDOW
                    .as_secs()
                    .to_string()
                    .parse()
                    .map_err(ApiError::internal)?,
            );
            Ok(res)
        }
        Checked::Refused { user_id } => {
            state
                .db
                .write(0, move |conn| {
                    service::record_refusal(conn, user_id, address, now)
                })
                .await?;
            Ok(again(StatusCode::OK, REFUSED, &form.user_name))
        }
        Checked::Accepted { user } => {
            let opened = state
                .db
                .write(0, move |conn| service::open(conn, &user, now))
                .await?;
            let mut res = redirect(&target);
            let mut id = cookie(&req, SESSION_ID_COOKIE, opened.session_id);
            let mut secret = cookie(&req, SESSION_SECRET_COOKIE, opened.secret);
            let expires =
                time::OffsetDateTime::from_unix_timestamp(opened.expires_at.and_utc().timestamp())
                    .map_err(ApiError::internal)?;
            id.set_expires(expires);
            secret.set_expires(expires);
            for c in [id, secret, expired(&req, SIGN_IN_CSRF_COOKIE)] {
                res.add_cookie(&c).map_err(ApiError::internal)?;
            }
            Ok(res)
        }
    }
}

/// `GET /d2l/home`: who is signed in, and sign-out.
pub async fn home(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    match session_of(&state, &req).await? {
        Some((session, user)) => Ok(html(
            StatusCode::OK,
            pages::sign_in::home(&user.display_name(), &user.user_name, &session.csrf_token),
        )),
        None => Ok(redirect(&login_for(HOME))),
    }
}

/// `GET /d2l/logout`: asks, with the form that signs out.
pub async fn logout_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    match session_of(&state, &req).await? {
        Some((session, _)) => Ok(html(
            StatusCode::OK,
            pages::sign_in::confirm_sign_out(&session.csrf_token),
        )),
        None => Ok(redirect("/d2l/login")),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf_token: Option<String>,
}

/// `POST /d2l/logout`: ends the session (its CSRF token required), clears the cookies.
pub async fn logout(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let form: LogoutForm = serde_urlencoded::from_bytes(&body.0)
        .map_err(|e| ApiError::bad_request(format!("The form body is malformed: {e}.")))?;
    let Some((session, _)) = session_of(&state, &req).await? else {
        return Ok(redirect("/d2l/login"));
    };
    if !form_token_matches(form.csrf_token.as_deref(), &session.csrf_token) {
        return Ok(html(
            StatusCode::FORBIDDEN,
            pages::sign_in::confirm_sign_out(&session.csrf_token),
        ));
    }
    let id = session.id.clone();
    state
        .db
        .write(0, move |conn| service::close(conn, &id))
        .await?;
    let mut res = redirect("/d2l/login?signedOut=1");
    for name in [SESSION_ID_COOKIE, SESSION_SECRET_COOKIE] {
        res.add_cookie(&expired(&req, name))
            .map_err(ApiError::internal)?;
    }
    Ok(res)
}
