//! How handlers answer: JSON with the content type Brightspace sends, or an empty 200.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// Every JSON answer's type; some clients parse only bodies declared exactly so.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// 200 with a JSON body.
pub fn ok<T: Serialize>(body: &T) -> ApiResult<HttpResponse> {
    reply(StatusCode::OK, body)
}

pub fn reply<T: Serialize>(status: StatusCode, body: &T) -> ApiResult<HttpResponse> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
        .body(bytes))
}

/// 200 with an empty body, as Brightspace answers most deletes.
pub fn ok_empty() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The scheme and host the request came to (after a proxy's `Forwarded`/`X-Forwarded-*`), for
/// the absolute URLs some answers carry (`HomeUrl`, `Next`, `next`).
pub fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
