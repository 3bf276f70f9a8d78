//! Shared rate budgets (`crate::rate_limit`): GCRA's theoretical arrival time of each bucket,
//! in microseconds of the database's clock (one clock for every process), on PostgreSQL.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;
use crate::error::{ApiError, ApiResult};

/// A bucket's state after a lease, or as it stands: its theoretical arrival time and the
/// database's time now.
#[derive(QueryableByName, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketTime {
    #[diesel(sql_type = BigInt)]
    pub tat_us: i64,
    #[diesel(sql_type = BigInt)]
    pub now_us: i64,
}

/// Takes `credits` from `bucket` (each `interval_us` of the budget's time), giving back
/// `returned` credits leased earlier and not spent, if the bucket then stays within `burst_us`
/// of now; `None` when it would not (the lease is refused, nothing changes).
pub fn lease(
    conn: &mut DbConnection,
    bucket: &str,
    credits: i64,
    returned: i64,
    interval_us: i64,
    burst_us: i64,
) -> ApiResult<Option<BucketTime>> {
    let DbConnection::Pg(pg) = conn else {
        return Err(ApiError::internal("shared rate budgets live on PostgreSQL"));
    };
    let lease = diesel::sql_query(
        "WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us) \
         INSERT INTO rate_buckets AS b (bucket, tat_us) \
         SELECT $1, now.us + $2 * $4 FROM now \
         ON CONFLICT (bucket) DO UPDATE \
         SET tat_us = GREATEST(b.tat_us - $3 * $4, (SELECT us FROM now)) + $2 * $4 \
         WHERE GREATEST(b.tat_us - $3 * $4, (SELECT us FROM now)) + $2 * $4 \
               - (SELECT us FROM now) <= $5 \
         RETURNING b.tat_us, (SELECT us FROM now) AS now_us",
    )
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(credits)
    .bind::<BigInt, _>(returned)
    .bind::<BigInt, _>(interval_us)
    .bind::<BigInt, _>(burst_us)
    .get_result::<BucketTime>(pg)
    .optional()?;
    Ok(lease)
}

/// `bucket` as it stands (a full bucket when it has none).
pub fn peek(conn: &mut DbConnection, bucket: &str) -> ApiResult<BucketTime> {
    let DbConnection::Pg(pg) = conn else {
        return Err(ApiError::internal("shared rate budgets live on PostgreSQL"));
    };
    Ok(diesel::sql_query(
        "WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us) \
         SELECT COALESCE((SELECT tat_us FROM rate_buckets WHERE bucket = $1), now.us) AS tat_us, \
                now.us AS now_us FROM now",
    )
    .bind::<Text, _>(bucket)
    .get_result::<BucketTime>(pg)?)
}

/// Forgets buckets full again (their time is past), so that idle clients do not pile up.
pub fn prune(conn: &mut DbConnection) -> ApiResult<usize> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(0);
    };
    Ok(diesel::sql_query(
        "DELETE FROM rate_buckets \
         WHERE tat_us < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
    )
    .execute(pg)?)
}
