//! Roles and their permissions (`roles`, `role_permissions`).

use diesel::prelude::*;

use super::rows::Role;
use super::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::roles;

/// A role of the institution named by input (`field`): a 400 when there is no such role.
pub fn find_for_input(
    conn: &mut DbConnection,
    institution_id: i64,
    field: &str,
    id: i64,
) -> ApiResult<Role> {
    roles::table
        .filter(roles::id.eq(id))
        .filter(roles::institution_id.eq(institution_id))
        .select(Role::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::bad_request(format!("{field}: there is no role {id}.")))
}

/// The role an existing row points at.
pub fn of_id(conn: &mut DbConnection, id: i64) -> ApiResult<Role> {
    Ok(roles::table
        .filter(roles::id.eq(id))
        .select(Role::as_select())
        .first(conn)?)
}
