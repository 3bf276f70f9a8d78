//! D2L's user-context flow for ID-key apps (brightspace-2026.md §10.3):
//! `GET /d2l/auth/api/token?x_a=<appId>&x_b=<sig(appKey, x_target)>&x_target=<callback>` signs
//! the user in if needed, then sends the browser to the callback with `x_a=<userId>` and
//! `x_b=<userKey>`, the pair the SDKs sign calls with. `GET /d2l/auth/api/cancel` with the same
//! parameters goes back to the callback without them.
//!
//! The request is checked before anything else: the app known and live, `x_b` its signature of
//! the callback, and the callback on the app's trusted URL (scheme, host and port). A failure
//! is D2L's plain-text 403 `Invalid token`, and the browser is sent nowhere.

use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::browser::{login_for, redirect, session_of};
use crate::db::rows::IdKeyApp;
use crate::error::{ApiError, ApiResult, IdKeyRefusal};
use crate::services::{id_keys, Wrote};
use crate::state::State;

#[derive(Deserialize)]
struct FlowQuery {
    x_a: Option<String>,
    x_b: Option<String>,
    x_target: Option<String>,
}

/// The app and callback of a flow request, checked.
async fn checked(state: &State, query: &str) -> ApiResult<(IdKeyApp, String)> {
    let invalid = || ApiError::IdKey(IdKeyRefusal::InvalidToken);
    let query: FlowQuery = serde_urlencoded::from_str(query).map_err(|_| invalid())?;
    let (Some(app_id), Some(signature), Some(target)) = (query.x_a, query.x_b, query.x_target)
    else {
        return Err(invalid());
    };
    let worker = state.clone();
    let callback = target.clone();
    let app = state
        .db
        .read(move |conn| {
            id_keys::app_for_target(
                conn,
                &worker.settings.secret_key_file,
                &app_id,
                &callback,
                &signature,
            )
        })
        .await?;
    Ok((app, target))
}

/// The callback the flow request in `query` sends the browser to, when the request checks
/// out; `None` when it would be refused here.
pub async fn callback_of(state: &State, query: &str) -> ApiResult<Option<String>> {
    match checked(state, query).await {
        Ok((_, callback)) => Ok(Some(callback)),
        // Database trouble is the page's trouble too; any refusal just names nothing.
        Err(trouble @ ApiError::Unavailable(_)) => Err(trouble),
        Err(_) => Ok(None),
    }
}

/// `target` with `pairs` added to its query.
fn with_query(target: &str, pairs: &[(&str, &str)]) -> ApiResult<String> {
    let mut url =
        url::Url::parse(target).map_err(|_| ApiError::IdKey(IdKeyRefusal::InvalidToken))?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    Ok(url.into())
}

/// `GET /d2l/auth/api/token`
pub async fn token(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (app, target) = checked(&state, req.query_string()).await?;
    let Some((_, user)) = session_of(&state, &req).await? else {
        let here = format!("/d2l/auth/api/token?{}", req.query_string());
        return Ok(redirect(&login_for(&here)));
    };
    if user.institution_id != app.institution_id {
        return Err(ApiError::IdKey(IdKeyRefusal::InvalidToken));
    }
    let worker = state.clone();
    let app_id = app.app_id.clone();
    let (user_id, user_key) = state
        .db
        .write(0, move |conn| {
            id_keys::user_key(conn, &worker.settings.secret_key_file, &app_id, user.id)
                .map(Wrote::anything)
        })
        .await?;
    Ok(redirect(&with_query(
        &target,
        &[("x_a", &user_id), ("x_b", &user_key)],
    )?))
}

/// `GET /d2l/auth/api/cancel`: back to the (checked) callback with no keys.
pub async fn cancel(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (_, target) = checked(&state, req.query_string()).await?;
    Ok(redirect(&target))
}
