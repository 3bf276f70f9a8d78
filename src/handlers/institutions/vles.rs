//! `/api/v2/institution/{parent_lookup_institution_id}/vle/`: an institution's VLE
//! registrations. Creating one answers its client secret, this once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::super::reply::{ok, reply};
use super::pages;
use super::paths::{Changes, VlePath, VlesPath};
use crate::auth::secrets::NewSecret;
use crate::auth::Authorized;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::services::vles::{self, Registration, VleChanges};
use crate::services::Wrote;
use crate::state::State;
use crate::wire::institutions::{self as shapes, Fields, VleOut};

const VLE_FIELDS: &[&str] = &["id", "type", "name", "url", "client_id"];

/// `GET .../vle/`
pub async fn list_vles(
    state: State,
    auth: Authorized,
    path: VlesPath,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = pages::params(&req, VLE_FIELDS)?;
    let all = state
        .db
        .read(move |conn| vles::list(conn, &auth, &path.institution))
        .await?;
    let shown: Vec<VleOut> = all.iter().map(|v| VleOut::new(v, None)).collect();
    ok(&pages::page(&req, &params, &shown, &["name", "url"])?)
}

/// `POST .../vle/`: registers the VLE with an OAuth client and service user; answers 201 with
/// the client secret, shown this once.
pub async fn create_vle(
    state: State,
    auth: Authorized,
    path: VlesPath,
    body: Changes,
) -> ApiResult<HttpResponse> {
    let changes = vle_changes(&body.0)?;
    let kind = required(changes.kind, "type")?;
    let name = required(changes.name, "name")?;
    let url = required(changes.url, "url")?;
    // Argon2 is slow on purpose: hash on the blocking pool, never on an actix worker, and
    // before the transaction, so no lock is held while it runs.
    let secret = web::block(NewSecret::generate)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let registration = Registration {
        kind,
        lti: changes.lti.unwrap_or_else(|| "{}".into()),
        name,
        url,
        secret_hash: secret.hash,
    };
    let vle = state
        .db
        .write(0, move |conn| {
            vles::register(conn, &auth, &path.institution, &registration).map(Wrote::anything)
        })
        .await?;
    reply(StatusCode::CREATED, &VleOut::new(&vle, Some(secret.secret)))
}

/// `GET .../vle/{id}/`
pub async fn get_vle(state: State, auth: Authorized, path: VlePath) -> ApiResult<HttpResponse> {
    let vle = state
        .db
        .read(move |conn| vles::get(conn, &auth, &path.institution, &path.vle))
        .await?;
    ok(&VleOut::new(&vle, None))
}

/// `PUT .../vle/{id}/` (every writable field: type, lti, name, url) and `PATCH` (any).
pub async fn update_vle(
    state: State,
    auth: Authorized,
    path: VlePath,
    body: Changes,
) -> ApiResult<HttpResponse> {
    let changes = vle_changes(&body.0)?;
    let vle = state
        .db
        .write(0, move |conn| {
            vles::update(conn, &auth, &path.institution, &path.vle, &changes).map(Wrote::anything)
        })
        .await?;
    ok(&VleOut::new(&vle, None))
}

/// `DELETE .../vle/{id}/`: revokes the VLE's client at once (its tokens answer 401 from now on)
/// and deactivates its service user; 204.
pub async fn delete_vle(state: State, auth: Authorized, path: VlePath) -> ApiResult<HttpResponse> {
    let client_id = state
        .db
        .write(0, move |conn| {
            vles::revoke(conn, &auth, &path.institution, &path.vle).map(Wrote::anything)
        })
        .await?;
    state.tokens.forget_client(&client_id);
    Ok(HttpResponse::NoContent().finish())
}

/// A field registration cannot do without: 400 when it was not sent.
fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::bad_request(format!("{field}: this field is required.")))
}

/// The writable fields sent, each checked on its own, in the order their errors are named.
fn vle_changes(fields: &Fields) -> ApiResult<VleChanges> {
    let kind = fields.integer("type")?;
    if let Some(k) = kind {
        shapes::vle_type(k)?;
    }
    let lti = fields.object("lti")?.map(|m| Value::Object(m).to_string());
    let name = fields.string("name")?;
    if let Some(n) = &name {
        validate::name("name", n, 256).map_err(ApiError::BadRequest)?;
    }
    let url = fields.string("url")?;
    if let Some(u) = &url {
        shapes::vle_url(u)?;
    }
    Ok(VleChanges {
        kind,
        lti,
        name,
        url,
    })
}
