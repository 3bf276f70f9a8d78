//! The OpenAPI description (`crate::openapi`), built once per process by the route table and
//! served as it is: `/openapi.json` for tools, `/docs/` for people.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::browser::html;
use crate::openapi::Document;

/// `GET /openapi.json`: the OpenAPI 3.1 document.
pub async fn json(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(document.json.clone())
}

/// `GET /docs/`: the document as a page, every operation grouped by tag (no script).
pub async fn docs(document: web::Data<Document>) -> HttpResponse {
    html(actix_web::http::StatusCode::OK, document.html.clone())
}
