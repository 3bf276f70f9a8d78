//! `GET /metrics`: this server's metrics in the OpenMetrics text format Prometheus scrapes
//! (`crate::metrics`; docs/operators.md, "Metrics"). Anonymous, as scrapers are; an operator who
//! wants it off the public port serves it on its own address (`METRICS_ADDRESS`).

use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpResponse;

use crate::error::{ApiError, ApiResult};
use crate::metrics::{QueueDepth, CONTENT_TYPE as OPENMETRICS};
use crate::state::State;

/// On the API's port: the metrics, unless they are served on an address of their own, when
/// this path is as unknown as any other.
pub async fn public(state: State) -> ApiResult<HttpResponse> {
    if state.settings.metrics_address.is_some() {
        return Err(ApiError::not_found("No route matches GET /metrics."));
    }
    scrape(state).await
}

/// The metrics, with the queue's depth and the pool's usage read now. A queue that cannot be
/// read (the database is down) leaves its gauges out; the rest is answered all the same, since
/// a scrape that fails whole would hide the requests' 503s just when they matter.
pub async fn scrape(state: State) -> ApiResult<HttpResponse> {
    // Due or scheduled as the worker judges it: by business time, which test mode can move.
    let now = state.clock.naive_now();
    let depth = state
        .db
        .read(move |conn| crate::db::jobs::depth(conn, now))
        .await;
    let depth: Option<Vec<QueueDepth>> = match depth {
        Ok(rows) => Some(
            rows.into_iter()
                .map(|(kind, state, jobs)| QueueDepth { kind, state, jobs })
                .collect(),
        ),
        Err(err) => {
            tracing::warn!(error = %err.cause(), "metrics: the job queue could not be read");
            None
        }
    };
    state.metrics.set_queue_depth(depth.as_deref());
    state.metrics.set_pool(state.db.pool_usage());
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, OPENMETRICS))
        .body(state.metrics.render()))
}
