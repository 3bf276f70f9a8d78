//! Whether the holder of a verified token may still act: a signature proves who the token was
//! issued to, not that they are still allowed in. Read on every authenticated request, so that
//! deactivating a user or revoking a client takes effect at once, in every process.

use diesel::prelude::*;

use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{oauth_clients, oauth_grants, users};

/// Why a verified token is refused, or that it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// `sub` names no user of the token's institution.
    UnknownUser,
    InactiveUser,
    /// The OAuth client is unknown, of another institution, or revoked (a deleted VLE).
    RevokedClient,
    /// The user revoked their authorization of the app, or it was revoked for reuse of a
    /// refresh token or code.
    RevokedGrant,
}

/// The standing of user `user_id` of `institution_id`, acting through OAuth client
/// `client_id` (`None` for tokens that no client row stands behind, the CLI's).
pub fn of_token_holder(
    conn: &mut DbConnection,
    institution_id: i64,
    user_id: i64,
    client_id: Option<&str>,
    grant_id: Option<i64>,
) -> ApiResult<Standing> {
    // The client first: a deleted VLE revokes its client and deactivates its service user,
    // and the client is the reason its integrator needs to hear.
    if let Some(client_id) = client_id {
        let live: i64 = oauth_clients::table
            .filter(oauth_clients::client_id.eq(client_id))
            .filter(oauth_clients::institution_id.eq(institution_id))
            .filter(oauth_clients::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if live == 0 {
            return Ok(Standing::RevokedClient);
        }
    }
    if let Some(grant_id) = grant_id {
        let live: i64 = oauth_grants::table
            .filter(oauth_grants::id.eq(grant_id))
            .filter(oauth_grants::user_id.eq(user_id))
            .filter(oauth_grants::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if live == 0 {
            return Ok(Standing::RevokedGrant);
        }
    }
    let active: Option<bool> = users::table
        .filter(users::id.eq(user_id))
        .filter(users::institution_id.eq(institution_id))
        .select(users::is_active)
        .get_result(conn)
        .optional()?;
    Ok(match active {
        None => Standing::UnknownUser,
        Some(false) => Standing::InactiveUser,
        Some(true) => Standing::Active,
    })
}

impl Standing {
    /// The reason given in the 401 (and its `WWW-Authenticate`), or `None` when active.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Standing::Active => None,
            Standing::UnknownUser => Some("The token's user does not exist."),
            Standing::InactiveUser => Some("The token's user is not active."),
            Standing::RevokedClient => Some("The token's OAuth client has been revoked."),
            Standing::RevokedGrant => Some("The token's authorization has been revoked."),
        }
    }
}
