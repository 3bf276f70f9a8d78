//! Each institution's signing keys (`signing_keys`), read with the tenant id their tokens
//! carry.

use diesel::prelude::*;

use super::rows::SigningKeyRow;
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{institutions, signing_keys};

/// Stores a key.
pub fn insert(conn: &mut DbConnection, key: &SigningKeyRow) -> ApiResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(key)
        .execute(conn)?;
    Ok(())
}

/// Every key, each with its institution's tenant id.
pub fn all_with_tenant(conn: &mut DbConnection) -> ApiResult<Vec<(SigningKeyRow, String)>> {
    Ok(signing_keys::table
        .inner_join(institutions::table)
        .select((SigningKeyRow::as_select(), institutions::tenant_id))
        .load(conn)?)
}

/// Key `kid` with its institution's tenant id, if there is one.
pub fn with_tenant(
    conn: &mut DbConnection,
    kid: &str,
) -> ApiResult<Option<(SigningKeyRow, String)>> {
    Ok(signing_keys::table
        .inner_join(institutions::table)
        .filter(signing_keys::kid.eq(kid))
        .select((SigningKeyRow::as_select(), institutions::tenant_id))
        .get_result(conn)
        .optional()?)
}

/// The kid of the institution's newest key, if it has any.
pub fn newest_kid(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Option<String>> {
    Ok(signing_keys::table
        .filter(signing_keys::institution_id.eq(institution_id))
        .order(signing_keys::created_at.desc())
        .select(signing_keys::kid)
        .first(conn)
        .optional()?)
}
