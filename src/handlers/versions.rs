//! The versions API: anonymous, answered from the version policy the route gate uses.

use actix_web::{web, HttpResponse};

use super::extract::Body;
use super::reply::ok;
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use crate::versions::{Lifecycle, VersionPolicy};
use crate::wire::versions::*;

fn describe(policy: &VersionPolicy, code: &str, product: &Lifecycle) -> ProductVersions {
    ProductVersions {
        product_code: code.to_string(),
        latest_version: product.latest.to_string(),
        supported_versions: policy
            .listed(product)
            .iter()
            .map(|v| v.to_string())
            .collect(),
    }
}

fn known(policy: &VersionPolicy, code: &str) -> ApiResult<(&'static str, Lifecycle)> {
    policy
        .product(code)
        .ok_or_else(|| ApiError::not_found(format!("Product {code:?} is not served here.")))
}

/// `GET /d2l/api/versions/`
pub async fn all_products(state: State) -> ApiResult<HttpResponse> {
    let policy = state.settings.versions;
    let all: Vec<ProductVersions> = policy
        .products()
        .iter()
        .map(|(code, product)| describe(&policy, code, product))
        .collect();
    ok(&all)
}

/// `GET /d2l/api/(productCode)/versions/`
pub async fn one_product(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let policy = state.settings.versions;
    let (code, product) = known(&policy, &path)?;
    ok(&describe(&policy, code, &product))
}

/// `GET /d2l/api/(productCode)/versions/(version)`; `unstable` is the latest.
pub async fn one_version(
    state: State,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let policy = state.settings.versions;
    let (code, version) = path.into_inner();
    let (_, product) = known(&policy, &code)?;
    ok(&VersionSupport {
        supported: policy.serves(&product, &version).is_some(),
        latest_version: Some(product.latest.to_string()),
    })
}

/// `POST /d2l/api/versions/check`: the answer's `Supported` is the AND of every pair's.
pub async fn check(state: State, body: Body<Vec<VersionCheckRequest>>) -> ApiResult<HttpResponse> {
    let policy = state.settings.versions;
    let versions: Vec<VersionCheckResult> = body
        .0
        .into_iter()
        .map(|req| {
            let product = policy.product(&req.product_code).map(|(_, p)| p);
            VersionCheckResult {
                supported: product.is_some_and(|p| policy.serves(&p, &req.version).is_some()),
                latest_version: product.map(|p| p.latest.to_string()),
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
