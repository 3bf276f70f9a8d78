//! The ids (`jti`) of the client assertions accepted (`oauth_assertion_jtis`), so that each
//! is used once within its lifetime (RFC 7523 §3, item 7).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::oauth_assertion_jtis;

/// Records `jti` as used by `client_id` until `expires_at`; answers false when it was
/// recorded already (a replay). On PostgreSQL a concurrent insert of the same id waits for
/// the other transaction and then finds it.
pub fn record_jti(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
) -> ApiResult<bool> {
    let row = (
        oauth_assertion_jtis::client_id.eq(client_id),
        oauth_assertion_jtis::jti.eq(jti),
        oauth_assertion_jtis::expires_at.eq(expires_at),
    );
    let inserted = match conn {
        DbConnection::Pg(c) => diesel::insert_into(oauth_assertion_jtis::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(oauth_assertion_jtis::table)
            .values(row)
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Forgets the client's ids that can no longer be replayed (their assertions expired before
/// `now`); the primary key's prefix finds them.
pub fn prune_expired(
    conn: &mut DbConnection,
    client_id: &str,
    now: NaiveDateTime,
) -> ApiResult<usize> {
    Ok(diesel::delete(
        oauth_assertion_jtis::table
            .filter(oauth_assertion_jtis::client_id.eq(client_id))
            .filter(oauth_assertion_jtis::expires_at.lt(now)),
    )
    .execute(conn)?)
}

/// How many ids of the client are kept (tests and operators).
pub fn count(conn: &mut DbConnection, client_id: &str) -> ApiResult<i64> {
    Ok(oauth_assertion_jtis::table
        .filter(oauth_assertion_jtis::client_id.eq(client_id))
        .count()
        .get_result(conn)?)
}
