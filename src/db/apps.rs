//! ID-key apps (`id_key_apps`) and their users' id/key pairs (`id_key_users`). The keys are
//! stored as the sealed text the caller gives; nothing here encrypts or decrypts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::{IdKeyApp, IdKeyUser};
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{id_key_apps, id_key_users};

pub fn insert_app(conn: &mut DbConnection, app: &IdKeyApp) -> ApiResult<()> {
    diesel::insert_into(id_key_apps::table)
        .values(app)
        .execute(conn)?;
    Ok(())
}

/// The app registered as `app_id`, revoked or not.
pub fn find_app(conn: &mut DbConnection, app_id: &str) -> ApiResult<Option<IdKeyApp>> {
    Ok(id_key_apps::table
        .filter(id_key_apps::app_id.eq(app_id))
        .select(IdKeyApp::as_select())
        .get_result(conn)
        .optional()?)
}

/// Every app, oldest first.
pub fn all_apps(conn: &mut DbConnection) -> ApiResult<Vec<IdKeyApp>> {
    Ok(id_key_apps::table
        .order((id_key_apps::created_at, id_key_apps::app_id))
        .select(IdKeyApp::as_select())
        .load(conn)?)
}

/// Revokes the app as of `at` (a revoked app keeps its first date): its signatures are refused
/// from then on.
pub fn revoke_app(conn: &mut DbConnection, app_id: &str, at: NaiveDateTime) -> ApiResult<()> {
    diesel::update(
        id_key_apps::table
            .filter(id_key_apps::app_id.eq(app_id))
            .filter(id_key_apps::revoked_at.is_null()),
    )
    .set(id_key_apps::revoked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

pub fn insert_user_key(conn: &mut DbConnection, pair: &IdKeyUser) -> ApiResult<()> {
    diesel::insert_into(id_key_users::table)
        .values(pair)
        .execute(conn)?;
    Ok(())
}

/// `user_id`'s pair for `app_id` that is not revoked, if there is one (at most one is: a
/// partial unique index).
pub fn live_user_key(
    conn: &mut DbConnection,
    app_id: &str,
    user_id: i64,
) -> ApiResult<Option<IdKeyUser>> {
    Ok(id_key_users::table
        .filter(id_key_users::app_id.eq(app_id))
        .filter(id_key_users::user_id.eq(user_id))
        .filter(id_key_users::revoked_at.is_null())
        .select(IdKeyUser::as_select())
        .get_result(conn)
        .optional()?)
}

/// The pair whose id is `key_user_id` (a signed call's `x_b`), revoked or not.
pub fn find_user_key(conn: &mut DbConnection, key_user_id: &str) -> ApiResult<Option<IdKeyUser>> {
    Ok(id_key_users::table
        .filter(id_key_users::key_user_id.eq(key_user_id))
        .select(IdKeyUser::as_select())
        .get_result(conn)
        .optional()?)
}

/// Revokes a user's pair as of `at`; the next `user-key` for that user and app makes a new one.
pub fn revoke_user_key(
    conn: &mut DbConnection,
    key_user_id: &str,
    at: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(
        id_key_users::table
            .filter(id_key_users::key_user_id.eq(key_user_id))
            .filter(id_key_users::revoked_at.is_null()),
    )
    .set(id_key_users::revoked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}
