//! Institutions (tenants): their records and flags.

use diesel::prelude::*;

use super::rows::Institution;
use super::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::institutions;

/// The institution with this id, or 404.
pub fn find(conn: &mut DbConnection, id: i64) -> ApiResult<Institution> {
    institutions::table
        .filter(institutions::id.eq(id))
        .select(Institution::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Institution {id} not found.")))
}
