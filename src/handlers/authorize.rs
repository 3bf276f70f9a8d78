//! The authorization endpoint `GET /oauth2/auth` (RFC 6749 §4.1.1) with its consent form
//! (`POST /oauth2/auth`), and a user's page of the apps they authorized (`/d2l/apps`).
//!
//! A request whose client or redirect URI cannot be trusted is answered on a page; every other
//! refusal goes back to the redirect URI with `error`, `error_description` and `state`
//! (§4.1.2.1). A user with no session signs in first and comes back to the same request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::browser::{
    form_token_matches, html, html_sending_forms_to, login_for, redirect, session_of,
};
use super::extract::RawBody;
use crate::db::rows::User;
use crate::domain::oauth::{ErrorCode, OAuthError};
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, oauth::AuthorizedApp, oauth::Consent};
use crate::services::oauth::{self as service, AuthorizeRequest, ValidRequest, Verdict};
use crate::services::Wrote;
use crate::state::State;

/// The query of `GET /oauth2/auth`, and the consent form's fields (which repeat it). `prompt`
/// is accepted and ignored, as D2L does: consent is the app's registration setting.
#[derive(Deserialize, Default)]
struct AuthorizeForm {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// The consent form's: `allow` or `deny`.
    decision: Option<String>,
    csrf_token: Option<String>,
}

impl AuthorizeForm {
    fn request(&self) -> AuthorizeRequest {
        AuthorizeRequest {
            response_type: self.response_type.clone(),
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scope: self.scope.clone(),
            state: self.state.clone(),
            code_challenge: self.code_challenge.clone(),
            code_challenge_method: self.code_challenge_method.clone(),
        }
    }

    /// The request's parameters as the consent form carries them.
    fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }
}

/// `redirect_uri` with `pairs` added to its query (and `state` when the request had one).
fn back_to(redirect_uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> ApiResult<String> {
    let mut url = url::Url::parse(redirect_uri).map_err(ApiError::internal)?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Ok(url.into())
}

fn refused(redirect_uri: &str, error: &OAuthError, state: Option<&str>) -> ApiResult<HttpResponse> {
    let location = back_to(
        redirect_uri,
        &[
            ("error", error.code.as_str()),
            ("error_description", &error.description),
        ],
        state,
    )?;
    Ok(redirect(&location))
}

fn error_page(error: &OAuthError) -> HttpResponse {
    html(
        StatusCode::BAD_REQUEST,
        pages::oauth::error(error.code.as_str(), &error.description),
    )
}

/// Reads the request; answers what to send when it goes no further.
async fn checked(
    state: &State,
    form: &AuthorizeForm,
) -> ApiResult<Result<ValidRequest, HttpResponse>> {
    let request = form.request();
    let verdict = state
        .db
        .read(move |conn| service::read_request(conn, &request))
        .await?;
    Ok(match verdict {
        Verdict::Valid(valid) => Ok(*valid),
        Verdict::ShowError(error) => Err(error_page(&error)),
        Verdict::RedirectError {
            redirect_uri,
            error,
        } => Err(refused(&redirect_uri, &error, form.state.as_deref())?),
    })
}

/// Where the answer to the authorization request in `query` sends the browser, once its
/// client and redirect URI are trusted; `None` when it would be answered on a page here.
pub async fn redirect_uri_of(state: &State, query: &str) -> ApiResult<Option<String>> {
    let request = serde_urlencoded::from_str::<AuthorizeForm>(query)
        .unwrap_or_default()
        .request();
    let verdict = state
        .db
        .read(move |conn| service::read_request(conn, &request))
        .await?;
    Ok(match verdict {
        Verdict::Valid(valid) => Some(valid.redirect_uri),
        Verdict::RedirectError { redirect_uri, .. } => Some(redirect_uri),
        Verdict::ShowError(_) => None,
    })
}

/// Issues the code and sends the browser back with it.
async fn grant_code(
    state: &State,
    valid: ValidRequest,
    user: User,
    form_state: Option<&str>,
) -> ApiResult<HttpResponse> {
    let redirect_uri = valid.redirect_uri.clone();
    let code = state
        .db
        .write(0, move |conn| {
            service::issue_code(conn, &valid, &user, Utc::now().naive_utc()).map(Wrote::anything)
        })
        .await?;
    match code {
        Ok(code) => Ok(redirect(&back_to(
            &redirect_uri,
            &[("code", &code)],
            form_state,
        )?)),
        Err(error) => refused(&redirect_uri, &error, form_state),
    }
}

/// `GET /oauth2/auth`
pub async fn authorize(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let form: AuthorizeForm = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let valid = match checked(&state, &form).await? {
        Ok(valid) => valid,
        Err(answer) => return Ok(answer),
    };
    let Some((session, user)) = session_of(&state, &req).await? else {
        let here = format!("/oauth2/auth?{}", req.query_string());
        return Ok(redirect(&login_for(&here)));
    };
    if valid.client.prompts_consent {
        let consent = Consent {
            app_name: &valid.client.name,
            scopes: valid.scopes.0.iter().map(|s| s.to_string()).collect(),
            user_name: &user.user_name,
            csrf: &session.csrf_token,
            request: form.hidden_fields(),
        };
        // Allow and Deny both end in a redirect to the app: the page's policy names it.
        return Ok(html_sending_forms_to(
            StatusCode::OK,
            pages::oauth::consent(&consent),
            std::slice::from_ref(&valid.redirect_uri),
        ));
    }
    grant_code(&state, valid, user, form.state.as_deref()).await
}

/// `POST /oauth2/auth`: the consent form's answer, with the session's CSRF token.
pub async fn consent(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let form: AuthorizeForm = serde_urlencoded::from_bytes(&body.0)
        .map_err(|e| ApiError::bad_request(format!("The form body is malformed: {e}.")))?;
    let Some((session, user)) = session_of(&state, &req).await? else {
        return Ok(redirect(&login_for("/d2l/home")));
    };
    if !form_token_matches(form.csrf_token.as_deref(), &session.csrf_token) {
        return Ok(error_page(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The consent form had expired; start again from the application.",
        )));
    }
    let valid = match checked(&state, &form).await? {
        Ok(valid) => valid,
        Err(answer) => return Ok(answer),
    };
    if form.decision.as_deref() != Some("allow") {
        let denied = OAuthError::new(ErrorCode::AccessDenied, "The user denied the request.");
        return refused(&valid.redirect_uri, &denied, form.state.as_deref());
    }
    grant_code(&state, valid, user, form.state.as_deref()).await
}

/// `GET /d2l/apps`: the apps the signed-in user authorized, each with a revoke button.
pub async fn apps(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let Some((session, user)) = session_of(&state, &req).await? else {
        return Ok(redirect(&login_for("/d2l/apps")));
    };
    let notice = req
        .query_string()
        .contains("revoked=1")
        .then_some("Revoked.");
    let listed = state
        .db
        .read(move |conn| service::authorized_apps(conn, &user))
        .await?;
    let apps: Vec<AuthorizedApp> = listed
        .iter()
        .map(|(client, grant)| AuthorizedApp {
            client_id: &client.client_id,
            name: &client.name,
            scope: &grant.scope,
            since: crate::wire::utc(grant.created_at),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        pages::oauth::authorized_apps(&apps, &session.csrf_token, notice),
    ))
}

#[derive(Deserialize)]
struct RevokeForm {
    client_id: Option<String>,
    csrf_token: Option<String>,
}

/// `POST /d2l/apps/revoke`: ends every authorization the user gave the app.
pub async fn revoke(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let form: RevokeForm = serde_urlencoded::from_bytes(&body.0)
        .map_err(|e| ApiError::bad_request(format!("The form body is malformed: {e}.")))?;
    let Some((session, user)) = session_of(&state, &req).await? else {
        return Ok(redirect(&login_for("/d2l/apps")));
    };
    if !form_token_matches(form.csrf_token.as_deref(), &session.csrf_token) {
        return Ok(html(
            StatusCode::FORBIDDEN,
            pages::oauth::error(
                ErrorCode::InvalidRequest.as_str(),
                "The form had expired; nothing was revoked. Reload the page and try again.",
            ),
        ));
    }
    let client_id = form.client_id.unwrap_or_default();
    state
        .db
        .write(0, move |conn| {
            service::revoke_app(conn, &user, &client_id, Utc::now().naive_utc())
                .map(Wrote::anything)
        })
        .await?;
    Ok(redirect("/d2l/apps?revoked=1"))
}
