//! The operator API: an institution's own record and its VLE registrations (`vles`). Only the
//! institution's Administrators may call these routes (never a VLE client), and each sees only
//! their own institution. Lists are DRF pages (`pages`); paths and bodies are `paths`'.

mod pages;
mod paths;
mod vles;

use actix_web::{HttpRequest, HttpResponse};

use super::reply::ok;
use crate::auth::Authorized;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::services::institutions::{self, InstitutionChanges};
use crate::services::Wrote;
use crate::state::State;
use crate::wire::institutions::{self as shapes, Fields, InstitutionOut};

pub use paths::{Changes, InstitutionPath, VlePath, VlesPath};
pub use vles::update_vle as patch_vle;
pub use vles::{create_vle, delete_vle, get_vle, list_vles, update_vle as put_vle};

const INSTITUTION_FIELDS: &[&str] = &[
    "id",
    "acronym",
    "name",
    "external_ic",
    "mail_domain",
    "disable_vle_learner_creation",
    "disable_vle_instructor_creation",
    "disable_vle_user_creation",
    "allow_learner_report",
    "allow_learner_audit",
    "allow_valid_audit",
    "created_at",
    "updated_at",
];

/// `GET /api/v2/institution/`: the caller's own institution, as a one-item page.
pub async fn list(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let params = pages::params(&req, INSTITUTION_FIELDS)?;
    let mine = state
        .db
        .read(move |conn| institutions::mine(conn, &auth))
        .await?;
    ok(&pages::page(
        &req,
        &params,
        &[InstitutionOut::from(&mine)],
        &["acronym", "name"],
    )?)
}

/// `GET /api/v2/institution/{institution_id}/`
pub async fn get(state: State, auth: Authorized, path: InstitutionPath) -> ApiResult<HttpResponse> {
    let found = state
        .db
        .read(move |conn| institutions::get(conn, &auth, &path.institution))
        .await?;
    ok(&InstitutionOut::from(&found))
}

/// `PUT /api/v2/institution/{institution_id}/` (every writable field) and `PATCH` (any).
pub async fn update(
    state: State,
    auth: Authorized,
    path: InstitutionPath,
    body: Changes,
) -> ApiResult<HttpResponse> {
    let changes = institution_changes(&body.0)?;
    let updated = state
        .db
        .write(0, move |conn| {
            institutions::update(conn, &auth, &path.institution, &changes).map(Wrote::anything)
        })
        .await?;
    ok(&InstitutionOut::from(&updated))
}

pub use self::update as put;
pub use self::update as patch;

/// The writable fields sent, each checked on its own, in the order their errors are named.
fn institution_changes(fields: &Fields) -> ApiResult<InstitutionChanges> {
    let acronym = fields.string("acronym")?;
    if let Some(a) = &acronym {
        shapes::acronym(a)?;
    }
    let name = fields.string("name")?;
    if let Some(n) = &name {
        validate::name("name", n, 256).map_err(ApiError::BadRequest)?;
    }
    let external_ic = fields.boolean("external_ic")?;
    let mail_domain = match fields.nullable_string("mail_domain")? {
        Some(Some(d)) if !d.trim().is_empty() => Some(Some(shapes::mail_domain(&d)?)),
        Some(_) => Some(None),
        None => None,
    };
    Ok(InstitutionChanges {
        acronym,
        name,
        external_ic,
        mail_domain,
        disable_vle_learner_creation: fields.boolean("disable_vle_learner_creation")?,
        disable_vle_instructor_creation: fields.boolean("disable_vle_instructor_creation")?,
        disable_vle_user_creation: fields.boolean("disable_vle_user_creation")?,
        allow_learner_report: fields.boolean("allow_learner_report")?,
        allow_learner_audit: fields.boolean("allow_learner_audit")?,
        allow_valid_audit: fields.boolean("allow_valid_audit")?,
    })
}
