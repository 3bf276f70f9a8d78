//! OAuth clients (`oauth_clients`): registered, looked up, revoked.

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
