//! The versions API: anonymous, answered from the same table the route gate uses.

use actix_web::{web, HttpResponse};

use super::extract::Body;
use super::reply::ok;
use crate::error::{ApiError, ApiResult};
use crate::versions::{product, ApiVersion, VersionRange, PRODUCTS};
use crate::wire::versions::*;

fn describe(code: &str, range: &VersionRange) -> ProductVersions {
    ProductVersions {
        product_code: code.to_string(),
        latest_version: range.latest.to_string(),
        supported_versions: range.all().iter().map(|v| v.to_string()).collect(),
    }
}

fn supports(range: &VersionRange, version: &str) -> bool {
    ApiVersion::parse(version).is_some_and(|v| range.classify(v).is_some())
}

/// `GET /d2l/api/versions/`
pub async fn all_products() -> ApiResult<HttpResponse> {
    let all: Vec<ProductVersions> = PRODUCTS
        .iter()
        .map(|(code, range)| describe(code, range))
        .collect();
    ok(&all)
}

/// `GET /d2l/api/(productCode)/versions/`
pub async fn one_product(path: web::Path<String>) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let range = product(&code)
        .ok_or_else(|| ApiError::not_found(format!("Product {code:?} is not served here.")))?;
    ok(&describe(&code.to_ascii_lowercase(), &range))
}

/// `GET /d2l/api/(productCode)/versions/(version)`
pub async fn one_version(path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (code, version) = path.into_inner();
    let range = product(&code)
        .ok_or_else(|| ApiError::not_found(format!("Product {code:?} is not served here.")))?;
    ok(&VersionSupport {
        supported: supports(&range, &version),
        latest_version: Some(range.latest.to_string()),
    })
}

/// `POST /d2l/api/versions/check`: the answer's `Supported` is the AND of every pair's.
pub async fn check(body: Body<Vec<VersionCheckRequest>>) -> ApiResult<HttpResponse> {
    let versions: Vec<VersionCheckResult> = body
        .0
        .into_iter()
        .map(|req| {
            let range = product(&req.product_code);
            VersionCheckResult {
                supported: range.is_some_and(|r| supports(&r, &req.version)),
                latest_version: range.map(|r| r.latest.to_string()),
                product_code: req.product_code,
                version: req.version,
            }
        })
        .collect();
    ok(&BulkVersionCheck {
        supported: versions.iter().all(|v| v.supported),
        versions,
    })
}
