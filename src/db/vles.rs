//! VLE registrations (`vles`).

use diesel::prelude::*;

use super::rows::Vle;
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::vles;

/// The VLE registered with OAuth client `client_id`, if any.
pub fn of_client(conn: &mut DbConnection, client_id: &str) -> ApiResult<Option<Vle>> {
    Ok(vles::table
        .filter(vles::client_id.eq(client_id))
        .select(Vle::as_select())
        .first(conn)
        .optional()?)
}
