//! Passwords (`users.password_hash`), browser sessions (`sessions`) and failed sign-ins
//! (`sign_in_failures`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::{NewSession, Session, User};
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{sessions, sign_in_failures, users};

/// Sets (or, with `None`, removes) a user's password hash.
pub fn set_password(conn: &mut DbConnection, user_id: i64, hash: Option<&str>) -> ApiResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// The institution's user named `name_key` (lower-cased) with their password hash, if any.
pub fn user_with_password(
    conn: &mut DbConnection,
    institution_id: i64,
    name_key: &str,
) -> ApiResult<Option<(User, Option<String>)>> {
    Ok(users::table
        .filter(users::institution_id.eq(institution_id))
        .filter(users::user_name_key.eq(name_key))
        .select((User::as_select(), users::password_hash))
        .get_result(conn)
        .optional()?)
}

/// Failed sign-ins under `key` since `since`.
pub fn failures_since(conn: &mut DbConnection, key: &str, since: NaiveDateTime) -> ApiResult<i64> {
    Ok(sign_in_failures::table
        .filter(sign_in_failures::throttle_key.eq(key))
        .filter(sign_in_failures::failed_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Records a failed sign-in under each key, and forgets the ones older than `forget_before`
/// under the same keys, so the table holds one window's worth.
pub fn record_failure(
    conn: &mut DbConnection,
    keys: &[String],
    at: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> ApiResult<()> {
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::throttle_key.eq_any(keys))
            .filter(sign_in_failures::failed_at.lt(forget_before)),
    )
    .execute(conn)?;
    // One or two keys: single-row inserts (a multi-row insert is not portable in Diesel).
    for key in keys {
        diesel::insert_into(sign_in_failures::table)
            .values((
                sign_in_failures::throttle_key.eq(key),
                sign_in_failures::failed_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets the failures under `key` (a successful sign-in clears its account's count).
pub fn clear_failures(conn: &mut DbConnection, key: &str) -> ApiResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::throttle_key.eq(key)))
        .execute(conn)?;
    Ok(())
}

pub fn create(conn: &mut DbConnection, session: &NewSession) -> ApiResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// The session `id` that has not expired at `now`, with its user.
pub fn live(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> ApiResult<Option<(Session, User)>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .select((Session::as_select(), User::as_select()))
        .get_result(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (a new password, a deactivation).
pub fn delete_of_user(conn: &mut DbConnection, user_id: i64) -> ApiResult<()> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// Removes the sessions that expired before `now`.
pub fn delete_expired(conn: &mut DbConnection, now: NaiveDateTime) -> ApiResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?)
}
