//! Roles: the institution's roles, and the ones a caller may enroll users with in an org unit.

use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;

use crate::app::State;
use crate::auth::permissions::{self, require, require_at_root};
use crate::db::rows::Role;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::routes::Authorized;
use crate::schema::{role_permissions, roles};
use crate::wire::roles::RoleData;
use crate::wire::{ok, path_param};

fn institution_roles(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Vec<Role>> {
    Ok(roles::table
        .filter(roles::institution_id.eq(institution_id))
        .order(roles::id.asc())
        .select(Role::as_select())
        .load(conn)?)
}

/// `GET /roles/`
pub async fn list(state: State, auth: Authorized) -> ApiResult<HttpResponse> {
    let permission = auth.permission()?;
    let caller = auth.caller;
    let all = state
        .db
        .read(move |conn| {
            require_at_root(conn, &caller, permission)?;
            institution_roles(conn, caller.institution_id)
        })
        .await?;
    ok(&all.iter().map(RoleData::from).collect::<Vec<_>>())
}

/// `GET /roles/(roleId)`
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let role_id = path_param(&req, "roleId", "Role")?;
    let permission = auth.permission()?;
    let caller = auth.caller;
    let role = state
        .db
        .read(move |conn| {
            require_at_root(conn, &caller, permission)?;
            roles::table
                .filter(roles::id.eq(role_id))
                .filter(roles::institution_id.eq(caller.institution_id))
                .select(Role::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| ApiError::not_found(format!("Role {role_id} not found.")))
        })
        .await?;
    ok(&RoleData::from(&role))
}

/// `GET /(orgUnitId)/roles/`: the roles the caller may enroll users with in that org unit,
/// i.e. those whose permissions the caller holds there.
pub async fn enrollable(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let org_unit_id = path_param(&req, "orgUnitId", "Org unit")?;
    let permission = auth.permission()?;
    let caller = auth.caller;
    let grantable = state
        .db
        .read(move |conn| {
            let unit = require(conn, &caller, org_unit_id, permission)?;
            let mine = permissions::permissions_in(conn, caller.user_id, &unit)?;
            let all = institution_roles(conn, caller.institution_id)?;
            let grants: Vec<(i64, String)> = role_permissions::table
                .filter(
                    role_permissions::role_id.eq_any(all.iter().map(|r| r.id).collect::<Vec<_>>()),
                )
                .select((role_permissions::role_id, role_permissions::permission))
                .load(conn)?;
            Ok(all
                .into_iter()
                .filter(|role| {
                    grants
                        .iter()
                        .filter(|(id, _)| *id == role.id)
                        .all(|(_, name)| {
                            permissions::Permission::from_name(name)
                                .is_some_and(|p| mine.contains(&p))
                        })
                })
                .collect::<Vec<Role>>())
        })
        .await?;
    ok(&grantable.iter().map(RoleData::from).collect::<Vec<_>>())
}
