//! Liveness and readiness probes for operators and orchestrators.

use actix_web::HttpResponse;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::app::State;
use crate::error::{ApiError, ApiResult};
use crate::wire::ok;

/// `GET /healthz`: the process is up and serving.
pub async fn live() -> ApiResult<HttpResponse> {
    ok(&json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers; 503 otherwise.
pub async fn ready(state: State) -> ApiResult<HttpResponse> {
    state
        .db
        .read(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| ApiError::Unavailable(format!("The database does not answer: {e}")))
        })
        .await?;
    ok(&json!({"status": "ready"}))
}
