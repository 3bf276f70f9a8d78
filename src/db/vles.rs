//! VLE registrations (`vles`). A VLE's name is unique in its institution regardless of case
//! (`name_key`, under a unique index).

use diesel::prelude::*;

use super::rows::{NewVle, Vle};
use super::{is_unique_violation, DbConnection};
use crate::domain::ids::canonical_id;
use crate::error::{ApiError, ApiResult};
use crate::schema::vles;

/// The VLE registered with OAuth client `client_id`, if any.
pub fn of_client(conn: &mut DbConnection, client_id: &str) -> ApiResult<Option<Vle>> {
    Ok(vles::table
        .filter(vles::client_id.eq(client_id))
        .select(Vle::as_select())
        .get_result(conn)
        .optional()?)
}

/// The institution's VLEs.
pub fn of_institution(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Vec<Vle>> {
    Ok(vles::table
        .filter(vles::institution_id.eq(institution_id))
        .select(Vle::as_select())
        .load(conn)?)
}

/// VLE `id` of the institution; another institution's is 404.
fn find_in(conn: &mut DbConnection, institution_id: i64, id: i64) -> ApiResult<Vle> {
    vles::table
        .filter(vles::id.eq(id))
        .filter(vles::institution_id.eq(institution_id))
        .select(Vle::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("VLE {id} not found.")))
}

/// The institution's VLE a path names by `text`, its id written as the server writes ids
/// (`domain::ids::canonical_id`): any other text names nothing, and another institution's VLE
/// is not found either.
pub fn find_named(conn: &mut DbConnection, institution_id: i64, text: &str) -> ApiResult<Vle> {
    let id = canonical_id(text)
        .ok_or_else(|| ApiError::not_found(format!("VLE {text:?} not found.")))?;
    find_in(conn, institution_id, id)
}

/// Whether a VLE of the institution other than `except` has the name `name_key` (lowercased).
pub fn name_taken(
    conn: &mut DbConnection,
    institution_id: i64,
    name_key: &str,
    except: Option<i64>,
) -> ApiResult<bool> {
    Ok(vles::table
        .filter(vles::institution_id.eq(institution_id))
        .filter(vles::name_key.eq(name_key))
        .filter(vles::id.ne(except.unwrap_or(0)))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Registers a VLE and answers its row.
pub fn insert(conn: &mut DbConnection, new: NewVle) -> ApiResult<Vle> {
    let id: i64 = diesel::insert_into(vles::table)
        .values(new)
        .returning(vles::id)
        .get_result(conn)
        .map_err(name_raced)?;
    Ok(vles::table
        .find(id)
        .select(Vle::as_select())
        .get_result(conn)?)
}

/// Writes every writable field of `vle`.
pub fn update(conn: &mut DbConnection, vle: &Vle) -> ApiResult<()> {
    diesel::update(vles::table.find(vle.id))
        .set((
            vles::kind.eq(vle.kind),
            vles::lti.eq(&vle.lti),
            vles::name.eq(&vle.name),
            vles::name_key.eq(&vle.name_key),
            vles::url.eq(&vle.url),
            vles::updated_at.eq(vle.updated_at),
        ))
        .execute(conn)
        .map_err(name_raced)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
    diesel::delete(vles::table.find(id)).execute(conn)?;
    Ok(())
}

/// A unique-index violation on a VLE write: another request took the name in the meantime.
/// A 400 as when the name was seen taken, never a contention to retry.
fn name_raced(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::bad_request("name: a VLE with this name already exists in this institution.")
    } else {
        e.into()
    }
}
