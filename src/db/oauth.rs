//! The authorization-code grant's state: users' authorizations of apps (`oauth_grants`),
//! authorization codes (`oauth_codes`) and refresh tokens (`oauth_refresh_tokens`). Codes and
//! refresh tokens are kept as SHA-256 hashes of their text.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::{NewOAuthGrant, OAuthClient, OAuthCode, OAuthGrant};
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{oauth_clients, oauth_codes, oauth_grants, oauth_refresh_tokens};

pub fn insert_code(conn: &mut DbConnection, code: &OAuthCode) -> ApiResult<()> {
    diesel::insert_into(oauth_codes::table)
        .values(code)
        .execute(conn)?;
    Ok(())
}

/// The code whose hash is `code_hash`, used or not, expired or not.
pub fn code(conn: &mut DbConnection, code_hash: &str) -> ApiResult<Option<OAuthCode>> {
    Ok(oauth_codes::table
        .find(code_hash)
        .select(OAuthCode::as_select())
        .get_result(conn)
        .optional()?)
}

/// Marks the code spent by the grant its exchange made; answers false when another exchange
/// got there first (the row is claimed by this statement or not at all).
pub fn spend_code(conn: &mut DbConnection, code_hash: &str, grant_id: i64) -> ApiResult<bool> {
    let claimed = diesel::update(
        oauth_codes::table
            .filter(oauth_codes::code_hash.eq(code_hash))
            .filter(oauth_codes::grant_id.is_null()),
    )
    .set(oauth_codes::grant_id.eq(Some(grant_id)))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Removes codes that expired before `now` and were never exchanged.
pub fn delete_expired_codes(conn: &mut DbConnection, now: NaiveDateTime) -> ApiResult<()> {
    diesel::delete(
        oauth_codes::table
            .filter(oauth_codes::expires_at.lt(now))
            .filter(oauth_codes::grant_id.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

pub fn insert_grant(conn: &mut DbConnection, grant: &NewOAuthGrant) -> ApiResult<i64> {
    Ok(diesel::insert_into(oauth_grants::table)
        .values(grant)
        .returning(oauth_grants::id)
        .get_result(conn)?)
}

pub fn grant(conn: &mut DbConnection, id: i64) -> ApiResult<Option<OAuthGrant>> {
    Ok(oauth_grants::table
        .find(id)
        .select(OAuthGrant::as_select())
        .get_result(conn)
        .optional()?)
}

/// Revokes one grant (reuse of one of its codes or refresh tokens).
pub fn revoke_grant(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> ApiResult<()> {
    diesel::update(
        oauth_grants::table
            .filter(oauth_grants::id.eq(id))
            .filter(oauth_grants::revoked_at.is_null()),
    )
    .set(oauth_grants::revoked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// Revokes every live grant of `user_id` to `client_id`; answers how many.
pub fn revoke_user_grants(
    conn: &mut DbConnection,
    user_id: i64,
    client_id: &str,
    at: NaiveDateTime,
) -> ApiResult<usize> {
    Ok(diesel::update(
        oauth_grants::table
            .filter(oauth_grants::user_id.eq(user_id))
            .filter(oauth_grants::client_id.eq(client_id))
            .filter(oauth_grants::revoked_at.is_null()),
    )
    .set(oauth_grants::revoked_at.eq(Some(at)))
    .execute(conn)?)
}

/// The user's live grants with their apps, oldest first.
pub fn live_grants_of_user(
    conn: &mut DbConnection,
    user_id: i64,
) -> ApiResult<Vec<(OAuthGrant, OAuthClient)>> {
    Ok(oauth_grants::table
        .inner_join(oauth_clients::table)
        .filter(oauth_grants::user_id.eq(user_id))
        .filter(oauth_grants::revoked_at.is_null())
        .order(oauth_grants::id.asc())
        .select((OAuthGrant::as_select(), OAuthClient::as_select()))
        .load(conn)?)
}

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    grant_id: i64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::insert_into(oauth_refresh_tokens::table)
        .values((
            oauth_refresh_tokens::token_hash.eq(token_hash),
            oauth_refresh_tokens::grant_id.eq(grant_id),
            oauth_refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The grant a refresh token belongs to, and whether it was used already.
pub fn refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> ApiResult<Option<(i64, Option<NaiveDateTime>)>> {
    Ok(oauth_refresh_tokens::table
        .find(token_hash)
        .select((
            oauth_refresh_tokens::grant_id,
            oauth_refresh_tokens::used_at,
        ))
        .get_result(conn)
        .optional()?)
}

/// Spends a refresh token; answers false when another request spent it first.
pub fn spend_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> ApiResult<bool> {
    let claimed = diesel::update(
        oauth_refresh_tokens::table
            .filter(oauth_refresh_tokens::token_hash.eq(token_hash))
            .filter(oauth_refresh_tokens::used_at.is_null()),
    )
    .set(oauth_refresh_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(claimed == 1)
}
