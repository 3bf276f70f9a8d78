//! Roles: the institution's roles, and the ones a caller may enroll users with in an org unit.

use crate::auth::Authorized;
use crate::db::rows::Role;
use crate::db::{roles, DbConnection};
use crate::domain::permissions::{may_grant, Permission, PermissionSet};
use crate::error::ApiResult;
use crate::services::access;

/// The institution's roles, in id order.
pub fn list(conn: &mut DbConnection, auth: &Authorized) -> ApiResult<Vec<Role>> {
    access::at_root(conn, auth)?;
    roles::of_institution(conn, auth.caller.institution_id)
}

/// Role `id` of the institution; 404 when there is none.
pub fn get(conn: &mut DbConnection, auth: &Authorized, id: i64) -> ApiResult<Role> {
    access::at_root(conn, auth)?;
    roles::find_in(conn, auth.caller.institution_id, id)
}

/// The roles the caller may enroll users with in org unit `org_unit`: those whose every
/// power over others the caller holds there (`domain::permissions::may_grant`; a permission
/// this server does not know is never held).
pub fn enrollable(
    conn: &mut DbConnection,
    auth: &Authorized,
    org_unit: i64,
) -> ApiResult<Vec<Role>> {
    let unit = access::org_unit(conn, auth, org_unit)?;
    let mine = access::permissions_in(conn, auth, &unit)?;
    let all = roles::of_institution(conn, auth.caller.institution_id)?;
    let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    let grants = roles::permission_names(conn, &ids)?;
    Ok(all
        .into_iter()
        .filter(|role| {
            grants
                .iter()
                .filter(|(id, _)| *id == role.id)
                .all(|(_, name)| {
                    Permission::from_name(name)
                        .is_some_and(|p| may_grant(&mine, &PermissionSet::from([p])))
                })
        })
        .collect())
}
