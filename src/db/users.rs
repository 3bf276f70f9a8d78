//! Users (`users`) of an institution.

use diesel::prelude::*;

use super::rows::{Enrollment, NewUser, OrgUnit, Role, User};
use super::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::{enrollments, users};

/// A user of the institution; another institution's is "not found".
pub fn find(conn: &mut DbConnection, institution_id: i64, id: i64) -> ApiResult<User> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::institution_id.eq(institution_id))
        .select(User::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")))
}

/// Creates a user and enrolls them at the institution's root with `role`: how every user
/// comes to exist (`POST /users/`, a VLE's service user, the bootstrap administrator). A user
/// name taken (regardless of case) is the unique-key violation the caller maps to its answer.
pub fn create_at_root(
    conn: &mut DbConnection,
    user: NewUser,
    root: &OrgUnit,
    role: &Role,
) -> Result<User, diesel::result::Error> {
    let institution_id = user.institution_id;
    let created_at = user.created_at;
    let id: i64 = diesel::insert_into(users::table)
        .values(user)
        .returning(users::id)
        .get_result(conn)?;
    diesel::insert_into(enrollments::table)
        .values(Enrollment {
            user_id: id,
            org_unit_id: root.id,
            institution_id,
            role_id: role.id,
            is_cascading: role.is_cascading,
            created_at,
            enrolled_by_user_id: None,
        })
        .execute(conn)?;
    users::table
        .find(id)
        .select(User::as_select())
        .get_result(conn)
}

/// The institution's user whose user name is `key` regardless of case (`key` lower-cased).
pub fn by_name_key(
    conn: &mut DbConnection,
    institution_id: i64,
    key: &str,
) -> ApiResult<Option<User>> {
    Ok(users::table
        .filter(users::institution_id.eq(institution_id))
        .filter(users::user_name_key.eq(key))
        .select(User::as_select())
        .get_result(conn)
        .optional()?)
}

/// The institution's users with OrgDefinedId `org_defined_id`, by id.
pub fn with_org_defined_id(
    conn: &mut DbConnection,
    institution_id: i64,
    org_defined_id: &str,
) -> ApiResult<Vec<User>> {
    Ok(users::table
        .filter(users::institution_id.eq(institution_id))
        .filter(users::org_defined_id.eq(org_defined_id))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)?)
}

/// The institution's users among `ids`, by id (at most a page's worth: a history page's).
pub fn with_ids(conn: &mut DbConnection, institution_id: i64, ids: &[i64]) -> ApiResult<Vec<User>> {
    Ok(users::table
        .filter(users::institution_id.eq(institution_id))
        .filter(users::id.eq_any(ids))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)?)
}

/// Up to `limit` of the institution's users with an id above `after`, by id.
pub fn page(
    conn: &mut DbConnection,
    institution_id: i64,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<User>> {
    Ok(users::table
        .filter(users::institution_id.eq(institution_id))
        .filter(users::id.gt(after))
        .order(users::id.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)?)
}

/// A user of the institution by numeric id or user name (regardless of case), for the command
/// line.
pub fn find_user_by_name_or_id(
    conn: &mut DbConnection,
    institution_id: i64,
    who: &str,
) -> ApiResult<User> {
    let mut q = users::table
        .filter(users::institution_id.eq(institution_id))
        .into_boxed();
    q = match who.parse::<i64>() {
        Ok(id) => q.filter(
            users::id
                .eq(id)
                .or(users::user_name_key.eq(who.to_lowercase())),
        ),
        Err(_) => q.filter(users::user_name_key.eq(who.to_lowercase())),
    };
    q.select(User::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!("No user {who:?} in institution {institution_id}."))
        })
}

/// Deactivates a user: their tokens are refused from then on (`db::standing`).
pub fn deactivate(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
    diesel::update(users::table.find(id))
        .set(users::is_active.eq(false))
        .execute(conn)?;
    Ok(())
}
