//! The lookups behind permission checks: a user's enrollments along an org unit's ancestry,
//! and what roles allow. The rule that combines them is `domain::permissions::counted_roles`.

use diesel::prelude::*;

use super::DbConnection;
use crate::domain::permissions::{Permission, PermissionSet};
use crate::error::ApiResult;
use crate::schema::{enrollments, role_permissions};

/// The user's enrollments at any of `units`, as (org unit, role, cascading).
pub fn held_at(
    conn: &mut DbConnection,
    user_id: i64,
    units: &[i64],
) -> ApiResult<Vec<(i64, i64, bool)>> {
    Ok(enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::org_unit_id.eq_any(units))
        .select((
            enrollments::org_unit_id,
            enrollments::role_id,
            enrollments::is_cascading,
        ))
        .load(conn)?)
}

/// The union of the permissions of `role_ids`.
pub fn of_roles(conn: &mut DbConnection, role_ids: &[i64]) -> ApiResult<PermissionSet> {
    if role_ids.is_empty() {
        return Ok(PermissionSet::new());
    }
    let names: Vec<String> = role_permissions::table
        .filter(role_permissions::role_id.eq_any(role_ids))
        .select(role_permissions::permission)
        .load(conn)?;
    Ok(names
        .iter()
        .filter_map(|n| Permission::from_name(n))
        .collect())
}
