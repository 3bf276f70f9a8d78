//! Where the sign-in page may lead once the user has signed in. Its target is a path here,
//! but two targets answer with a redirect to an app elsewhere: an OAuth authorization request
//! that needs no consent (on to the app's redirect URI) and D2L's ID-key flow (on to the app's
//! callback). The browser holds that redirect to the sign-in page's `form-action`, so the page
//! must name where it goes; each flow's own check says whether the target may go there.

use super::{authorize, id_key_flow};
use crate::error::ApiResult;
use crate::state::State;

/// The absolute URLs a signed-in `target` may redirect the browser to; empty for a target
/// that stays here or that its flow would refuse.
pub async fn destinations(state: &State, target: &str) -> ApiResult<Vec<String>> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let onward = match path {
        "/oauth2/auth" => authorize::redirect_uri_of(state, query).await?,
        "/d2l/auth/api/token" | "/d2l/auth/api/cancel" => {
            id_key_flow::callback_of(state, query).await?
        }
        _ => None,
    };
    Ok(onward.into_iter().collect())
}
