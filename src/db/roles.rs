//! Roles and their permissions (`roles`, `role_permissions`).

use diesel::prelude::*;

use super::rows::{NewRole, Role};
use super::DbConnection;
use crate::domain::permissions::Permission;
use crate::error::{ApiError, ApiResult};
use crate::schema::{role_permissions, roles};

/// A role of the institution named by input (`field`): a 400 when there is no such role.
pub fn find_for_input(
    conn: &mut DbConnection,
    institution_id: i64,
    field: &str,
    id: i64,
) -> ApiResult<Role> {
    in_institution(conn, institution_id, id)?
        .ok_or_else(|| ApiError::bad_request(format!("{field}: there is no role {id}.")))
}

/// The role an existing row points at.
pub fn of_id(conn: &mut DbConnection, id: i64) -> ApiResult<Role> {
    Ok(roles::table
        .filter(roles::id.eq(id))
        .select(Role::as_select())
        .get_result(conn)?)
}

/// Creates a role of the institution holding `permissions` (the defaults at bootstrap, the
/// integration role of VLEs).
pub fn create_with_permissions(
    conn: &mut DbConnection,
    role: NewRole<'_>,
    permissions: &[Permission],
) -> ApiResult<Role> {
    let id: i64 = diesel::insert_into(roles::table)
        .values(role)
        .returning(roles::id)
        .get_result(conn)?;
    let rows: Vec<_> = permissions
        .iter()
        .map(|p| {
            (
                role_permissions::role_id.eq(id),
                role_permissions::permission.eq(p.name()),
            )
        })
        .collect();
    per_backend!(conn, c => diesel::insert_into(role_permissions::table).values(&rows).execute(c))?;
    of_id(conn, id)
}

/// The institution's roles, in id order.
pub fn of_institution(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Vec<Role>> {
    Ok(roles::table
        .filter(roles::institution_id.eq(institution_id))
        .order(roles::id.asc())
        .select(Role::as_select())
        .load(conn)?)
}

/// Role `id` of the institution named by a path: 404 when there is no such role.
pub fn find_in(conn: &mut DbConnection, institution_id: i64, id: i64) -> ApiResult<Role> {
    in_institution(conn, institution_id, id)?
        .ok_or_else(|| ApiError::not_found(format!("Role {id} not found.")))
}

/// Role `id` if it is the institution's.
fn in_institution(
    conn: &mut DbConnection,
    institution_id: i64,
    id: i64,
) -> ApiResult<Option<Role>> {
    Ok(roles::table
        .filter(roles::id.eq(id))
        .filter(roles::institution_id.eq(institution_id))
        .select(Role::as_select())
        .get_result(conn)
        .optional()?)
}

/// The institution's role called `name`, if any.
pub fn by_name(
    conn: &mut DbConnection,
    institution_id: i64,
    name: &str,
) -> ApiResult<Option<Role>> {
    Ok(roles::table
        .filter(roles::institution_id.eq(institution_id))
        .filter(roles::name.eq(name))
        .select(Role::as_select())
        .get_result(conn)
        .optional()?)
}

/// The institution's role whose id or name is `text` (an id first), if any.
pub fn by_name_or_id(
    conn: &mut DbConnection,
    institution_id: i64,
    text: &str,
) -> ApiResult<Option<Role>> {
    if let Ok(id) = text.parse::<i64>() {
        let found = roles::table
            .filter(roles::institution_id.eq(institution_id))
            .filter(roles::id.eq(id))
            .select(Role::as_select())
            .get_result(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    by_name(conn, institution_id, text)
}

/// Sets whether holders of role `role_id` can be auto-enrolled.
pub fn set_auto_enroll(conn: &mut DbConnection, role_id: i64, on: bool) -> ApiResult<()> {
    diesel::update(roles::table.filter(roles::id.eq(role_id)))
        .set(roles::can_be_auto_enrolled.eq(on))
        .execute(conn)?;
    Ok(())
}

/// The permissions each of `role_ids` holds, as stored: (role, permission name).
pub fn permission_names(
    conn: &mut DbConnection,
    role_ids: &[i64],
) -> ApiResult<Vec<(i64, String)>> {
    Ok(role_permissions::table
        .filter(role_permissions::role_id.eq_any(role_ids))
        .select((role_permissions::role_id, role_permissions::permission))
        .load(conn)?)
}
