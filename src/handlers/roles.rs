//! Roles: the institution's roles, and the ones a caller may enroll users with in an org unit.

use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::rows::Role;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::handlers::paths::path_param;
use crate::handlers::reply::ok;
use crate::schema::{role_permissions, roles};
use crate::state::State;
use crate::wire::roles::RoleData;

fn institution_roles(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Vec<Role>> {
    Ok(roles::table
        .filter(roles::institution_id.eq(institution_id))
        .order(roles::id.asc())
        .select(Role::as_select())
        .load(conn)?)
}

/// `GET /roles/`
pub async fn list(state: State, auth: Authorized) -> ApiResult<HttpResponse> {
    let caller = auth.caller.clone();
    let all = state
        .db
        .read(move |conn| {
            crate::services::access::at_root(conn, &auth)?;
            institution_roles(conn, caller.institution_id)
        })
        .await?;
    ok(&all.iter().map(RoleData::from).collect::<Vec<_>>())
}

/// `GET /roles/(roleId)`
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let role_id = path_param(&req, "roleId", "Role")?;
    let caller = auth.caller.clone();
    let role = state
        .db
        .read(move |conn| {
            crate::services::access::at_root(conn, &auth)?;
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
    let caller = auth.caller.clone();
    let grantable = state
        .db
        .read(move |conn| {
            let unit = crate::services::access::org_unit(conn, &auth, org_unit_id)?;
            let mine = crate::services::access::permissions_in(conn, caller.user_id, &unit)?;
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
                            crate::domain::permissions::Permission::from_name(name)
                                .is_some_and(|p| mine.contains(&p))
                        })
                })
                .collect::<Vec<Role>>())
        })
        .await?;
    ok(&grantable.iter().map(RoleData::from).collect::<Vec<_>>())
}
