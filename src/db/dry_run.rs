//! Dry runs: a unit of work run for its answer only, its writes rolled back, so that a
//! preview applies exactly the rules of the commit it previews.

use diesel::Connection;

use super::DbConnection;
use crate::error::{ApiError, ApiResult};

/// Runs `f` in a savepoint (a transaction when none is open) that is always rolled back, and
/// answers what `f` answered. Only for a caller that holds the locks `f`'s writes need.
pub fn rolled_back<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<T> {
    let mut answer = None;
    let outcome: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        answer = Some(f(conn));
        Err(diesel::result::Error::RollbackTransaction)
    });
    match (outcome, answer) {
        (Err(diesel::result::Error::RollbackTransaction), Some(answer)) => answer,
        (Err(e), _) => Err(e.into()),
        (Ok(()), _) => Err(ApiError::internal("a dry run was not rolled back")),
    }
}
