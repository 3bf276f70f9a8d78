//! Users (`users`) of an institution.

use diesel::prelude::*;

use super::rows::User;
use super::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::users;

/// A user of the institution; another institution's is "not found".
pub fn find(conn: &mut DbConnection, institution_id: i64, id: i64) -> ApiResult<User> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::institution_id.eq(institution_id))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")))
}
