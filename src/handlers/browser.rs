//! What every browser-facing handler shares: the signed-in session, the CSRF check of a form,
//! an HTML answer with the headers every page has, and the redirects between pages.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;

use crate::auth::sessions::{same_text, SESSION_ID_COOKIE, SESSION_SECRET_COOKIE};
use crate::db::rows::{Session, User};
use crate::error::ApiResult;
use crate::pages;
use crate::services::sign_in as service;
use crate::state::State;

/// The signed-in user of a browser request, if its session cookies name a live session.
pub async fn session_of(state: &State, req: &HttpRequest) -> ApiResult<Option<(Session, User)>> {
    let (Some(id), Some(secret)) = (
        req.cookie(SESSION_ID_COOKIE),
        req.cookie(SESSION_SECRET_COOKIE),
    ) else {
        return Ok(None);
    };
    let (id, secret) = (id.value().to_string(), secret.value().to_string());
    if id.contains('\0') || secret.contains('\0') {
        return Ok(None);
    }
    state
        .db
        .read(move |conn| service::current(conn, &id, &secret, Utc::now().naive_utc()))
        .await
}

/// Whether a browser's form post carries the token its page was given.
pub fn form_token_matches(sent: Option<&str>, expected: &str) -> bool {
    sent.is_some_and(|sent| same_text(sent, expected))
}

/// An HTML page with the headers every page has; its forms may lead only back here.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    html_sending_forms_to(status, body, &[])
}

/// An HTML page whose forms may also lead the browser on to `onward` (absolute URLs: an
/// OAuth app's redirect URI, an ID-key app's callback). A browser checks a form post's
/// redirects against the page's `form-action` too, so a form whose answer is a redirect to
/// another origin needs that origin named here, or the browser stops at the redirect.
pub fn html_sending_forms_to(status: StatusCode, body: String, onward: &[String]) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            pages::content_security_policy(onward),
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body)
}

/// 302 to `location` (D2L's form answers a successful sign-in with 302, and scripted clients
/// check for exactly that).
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The sign-in page's address for coming back to `path` once signed in.
pub fn login_for(path: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("target", path)
        .finish();
    format!("/d2l/login?{query}")
}
