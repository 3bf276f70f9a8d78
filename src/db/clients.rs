//! OAuth clients (`oauth_clients`): registered, looked up, renamed, revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::OAuthClient;
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::oauth_clients;

/// Registers an OAuth client (its secret already hashed).
pub fn insert(conn: &mut DbConnection, client: &OAuthClient) -> ApiResult<()> {
    diesel::insert_into(oauth_clients::table)
        .values(client)
        .execute(conn)?;
    Ok(())
}

/// The client registered as `client_id`, revoked or not.
pub fn find(conn: &mut DbConnection, client_id: &str) -> ApiResult<Option<OAuthClient>> {
    Ok(oauth_clients::table
        .filter(oauth_clients::client_id.eq(client_id))
        .select(OAuthClient::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn rename(conn: &mut DbConnection, client_id: &str, name: &str) -> ApiResult<()> {
    diesel::update(oauth_clients::table.find(client_id))
        .set(oauth_clients::name.eq(name))
        .execute(conn)?;
    Ok(())
}

/// Revokes the client as of `at`: its tokens are refused from then on (`db::standing`).
pub fn revoke(conn: &mut DbConnection, client_id: &str, at: NaiveDateTime) -> ApiResult<()> {
    diesel::update(oauth_clients::table.find(client_id))
        .set(oauth_clients::revoked_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Every client of the institution, oldest first (`client list`).
pub fn of_institution(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Vec<OAuthClient>> {
    Ok(oauth_clients::table
        .filter(oauth_clients::institution_id.eq(institution_id))
        .order((
            oauth_clients::created_at.asc(),
            oauth_clients::client_id.asc(),
        ))
        .select(OAuthClient::as_select())
        .load(conn)?)
}
