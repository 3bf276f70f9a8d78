//! Roles: the institution's roles, and the ones a caller may enroll users with in an org unit.

use actix_web::HttpResponse;

use super::paths::{OrgUnitPath, RolePath};
use super::reply::ok;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::services::roles;
use crate::state::State;
use crate::wire::roles::RoleData;

/// `GET /roles/`
pub async fn list(state: State, auth: Authorized) -> ApiResult<HttpResponse> {
    let all = state.db.read(move |conn| roles::list(conn, &auth)).await?;
    ok(&all.iter().map(RoleData::from).collect::<Vec<_>>())
}

/// `GET /roles/(roleId)`
pub async fn get(state: State, auth: Authorized, path: RolePath) -> ApiResult<HttpResponse> {
    let role = state
        .db
        .read(move |conn| roles::get(conn, &auth, path.role))
        .await?;
    ok(&RoleData::from(&role))
}

/// `GET /(orgUnitId)/roles/`: the roles the caller may enroll users with in that org unit,
/// i.e. those whose permissions the caller holds there.
pub async fn enrollable(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
) -> ApiResult<HttpResponse> {
    let grantable = state
        .db
        .read(move |conn| roles::enrollable(conn, &auth, path.org_unit))
        .await?;
    ok(&grantable.iter().map(RoleData::from).collect::<Vec<_>>())
}
