//! Liveness and readiness probes for operators and orchestrators.

use std::time::Duration;

use actix_web::{web, HttpResponse};

use super::reply::ok;
use crate::error::ApiResult;
use crate::state::State;
use crate::wire::Status;

/// How long readiness may wait for a connection: orchestrators' probes time out after about a
/// second, and an answer late is worse than a 503.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// `GET /healthz`: the process is up and serving.
pub async fn live() -> ApiResult<HttpResponse> {
    ok(&Status { status: "ok" })
}

/// `GET /readyz`: the database answers; 503 otherwise (naming no host, port or database).
pub async fn ready(state: State) -> ApiResult<HttpResponse> {
    let db = state.db.clone();
    web::block(move || db.ping(READY_WITHIN)).await??;
    ok(&Status { status: "ready" })
}
