//! The three layers every request passes: request context (id, span, access log), then
//! authentication and rate limiting (app-wide), then the per-route gate (version, token, scope)
//! that `routes.rs` attaches to each LP route.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};
use tracing::Instrument;

use crate::auth::scopes::RequiredScope;
use crate::auth::tokens::{TokenService, CLI_CLIENT_ID};
use crate::auth::{Authentication, Caller};
use crate::db::standing;
use crate::domain::permissions::Permission;
use crate::error::{ApiError, INSUFFICIENT_SCOPE};
use crate::rate_limit::{Decision, RateKey};
use crate::state::AppState;
use crate::versions::{ApiVersion, Product, RouteVersions, Support, VersionPolicy};

/// What the route table (`crate::routes`) says about one gated route; the gate checks it and
/// leaves it in the request for the handler's extractors.
#[derive(Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    /// The product (lp, le) and its versions served; `None` for routes outside the versioned
    /// API (the operator API).
    pub versions: Option<(Product, RouteVersions)>,
    /// The scopes of which the token must carry one (most routes name one; whoami also
    /// takes `users:profile:read`), the first named in refusals.
    pub scopes: Vec<RequiredScope>,
    /// The permission the handler checks in the route's org unit; `None` for routes that only
    /// touch the caller's own data.
    pub permission: Option<Permission>,
}

/// The API version a gated request was served at (`unstable` resolved to the latest), left
/// in the request by the gate for handlers whose forms change with the version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServedVersion(pub ApiVersion);

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
const X_RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");
const X_REQUEST_COST: HeaderName = HeaderName::from_static("x-request-cost");
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");

/// Gives the request an id, runs it inside a span carrying that id (so every log line of the
/// request names it), answers the id in `X-Request-Id`, and logs the outcome.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request completed"));
    Ok(res)
}

/// Verifies the bearer token if there is one, then charges the call to its bucket: the
/// token's (institution, client), or the client IP for anonymous calls and rejected tokens.
pub async fn authenticate_and_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::internal("application state missing").into());
    };
    let authentication = authenticate(&state, &req).await;
    let key = match &authentication {
        Authentication::Verified(caller) => rate_key_of(caller),
        _ => RateKey::Ip(
            req.peer_addr()
                .map(|a| a.ip())
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()),
        ),
    };
    req.extensions_mut().insert(authentication);
    match state.limits.charge(&key) {
        Decision::Limited { retry_after_secs } => {
            let response = ApiError::TooManyRequests { retry_after_secs }.error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
        Decision::Allowed {
            remaining,
            reset_secs,
            cost,
        } => {
            let mut res = next.call(req).await?;
            let headers = res.headers_mut();
            headers.insert(X_RATE_LIMIT_REMAINING, remaining.into());
            headers.insert(X_RATE_LIMIT_RESET, reset_secs.into());
            headers.insert(X_REQUEST_COST, cost.into());
            Ok(res.map_into_left_body())
        }
    }
}

fn rate_key_of(caller: &Caller) -> RateKey {
    match caller.client_id.as_deref() {
        Some(client_id) if client_id != CLI_CLIENT_ID => RateKey::Client {
            institution_id: caller.institution_id,
            client_id: client_id.to_string(),
        },
        _ => RateKey::CliUser {
            institution_id: caller.institution_id,
            user_id: caller.user_id,
        },
    }
}

async fn authenticate(state: &web::Data<AppState>, req: &ServiceRequest) -> Authentication {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Authentication::Anonymous;
    };
    let Ok(value) = value.to_str() else {
        return Authentication::Rejected("The Authorization header is not readable.".into());
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return if value.trim().eq_ignore_ascii_case("bearer") {
            Authentication::Rejected("The bearer token is empty.".into())
        } else {
            Authentication::Anonymous
        };
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Basic and other schemes belong to the token endpoint, not to us.
        return Authentication::Anonymous;
    }
    let token = token.trim();
    if token.is_empty() {
        return Authentication::Rejected("The bearer token is empty.".into());
    }
    match verify(state, token).await {
        Ok(caller) => Authentication::Verified(caller),
        Err(refusal) => refusal.into(),
    }
}

/// Why a presented token did not yield a caller: refused (401) or not checkable (503).
enum Refusal {
    Rejected(String),
    Unchecked(String),
}

impl From<Refusal> for Authentication {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Rejected(reason) => Authentication::Rejected(reason),
            Refusal::Unchecked(cause) => Authentication::Unchecked(cause),
        }
    }
}

async fn verify(state: &web::Data<AppState>, token: &str) -> Result<Arc<Caller>, Refusal> {
    if let Some(caller) = state.tokens.cached(token) {
        require_standing(state, &caller).await?;
        return Ok(caller);
    }
    let kid = TokenService::kid_of(token).map_err(Refusal::Rejected)?;
    let key = match state.tokens.key(&kid) {
        Some(key) => key,
        None => {
            let lookup = state.clone();
            let kid_owned = kid.clone();
            state
                .db
                .read(move |conn| lookup.tokens.load_key(conn, &kid_owned))
                .await
                .map_err(|e| Refusal::Unchecked(format!("signing key lookup: {e:?}")))?
                .ok_or_else(|| {
                    Refusal::Rejected("The access token is signed by an unknown key.".into())
                })?
        }
    };
    let caller = state
        .tokens
        .verify(token, &key)
        .map_err(Refusal::Rejected)?;
    require_standing(state, &caller).await?;
    Ok(caller)
}

/// A token stops working the moment its user is deactivated or removed, or its OAuth client
/// revoked (a deleted VLE): the holder's standing is read from the database, and remembered
/// only until a write that may change it is recorded (at once in this process; another
/// process's write within the bound of `db::changes`). CLI tokens have no client row, but
/// their user is checked all the same.
async fn require_standing(state: &web::Data<AppState>, caller: &Caller) -> Result<(), Refusal> {
    let client_id = caller.client_id.clone().filter(|c| c != CLI_CLIENT_ID);
    let key = (
        caller.institution_id,
        caller.user_id,
        client_id,
        caller.grant_id,
    );
    let memo = &state.caches.standing;
    let standing = match memo.get(&key) {
        Some(standing) => standing,
        None => {
            let stamp = memo.stamp();
            let (institution_id, user_id, client_id, grant_id) = key.clone();
            let standing = state
                .db
                .read(move |conn| {
                    standing::of_token_holder(
                        conn,
                        institution_id,
                        user_id,
                        client_id.as_deref(),
                        grant_id,
                    )
                })
                .await
                .map_err(|e| Refusal::Unchecked(format!("token holder lookup: {e:?}")))?;
            memo.put(key, standing, stamp, Vec::new(), 1);
            standing
        }
    };
    match standing.refusal() {
        None => Ok(()),
        Some(reason) => Err(Refusal::Rejected(reason.into())),
    }
}

/// The per-route gate: the version must be one the route serves under the version policy
/// (else 404; `unstable` is the latest), a verified token is required (else 401), and it must
/// carry the route's scope (else 403). Deprecated versions are answered with `Deprecation:
/// true`, obsolete ones with `Sunset` as well. The route's spec is left in the request for
/// handlers.
pub async fn gate(
    spec: Arc<RouteSpec>,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let policy = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.versions)
        .unwrap_or_default();
    let support = match spec.versions {
        None => Support::Supported,
        Some((product, route)) => {
            let lifecycle = product.lifecycle(&policy);
            let version_text = req.match_info().get("version").unwrap_or_default();
            let name = product.code().to_uppercase();
            match (route, policy.serves(&lifecycle, version_text)) {
                (RouteVersions::Served, Some((version, support))) => {
                    req.extensions_mut().insert(ServedVersion(version));
                    support
                }
                (RouteVersions::Served, None) => {
                    let listed = policy.listed(&lifecycle);
                    let served = match (listed.first(), listed.last()) {
                        (Some(first), Some(latest)) => format!("{first} to {latest}"),
                        _ => "none".to_string(),
                    };
                    let err = ApiError::not_found(format!(
                        "{name} API version {version_text:?} is not served (served: {served}, and unstable)."
                    ));
                    return Ok(req.error_response(err));
                }
                (RouteVersions::Removed, _) => {
                    let err = ApiError::not_found(format!(
                        "This route is not served by {name} API version {version_text:?}: it was removed in {name} 1.39."
                    ));
                    return Ok(req.error_response(err));
                }
            }
        }
    };
    let checked = check_caller(&spec, &req);
    let mut res = match checked {
        Err(err) => req.error_response(err),
        Ok(()) => {
            req.extensions_mut().insert(spec);
            next.call(req).await?
        }
    };
    mark_lifecycle(&mut res, support, &policy);
    Ok(res)
}

/// `Deprecation: true` on a deprecated or obsolete version; an obsolete one's `Sunset` too.
fn mark_lifecycle(res: &mut ServiceResponse<BoxBody>, support: Support, policy: &VersionPolicy) {
    if support == Support::Supported {
        return;
    }
    let headers = res.headers_mut();
    headers.insert(DEPRECATION, HeaderValue::from_static("true"));
    if support == Support::Obsolete {
        headers.insert(
            HeaderName::from_static("sunset"),
            HeaderValue::from_static(policy.release.sunset),
        );
    }
}

fn check_caller(spec: &RouteSpec, req: &ServiceRequest) -> Result<(), ApiError> {
    let extensions = req.extensions();
    let caller = extensions
        .get::<Authentication>()
        .unwrap_or(&Authentication::Anonymous)
        .caller()?;
    if spec.scopes.iter().any(|scope| caller.scopes.allows(scope)) {
        Ok(())
    } else {
        let wanted: Vec<String> = spec.scopes.iter().map(ToString::to_string).collect();
        Err(ApiError::forbidden(format!(
            "{INSUFFICIENT_SCOPE} {} {}: the token lacks {}.",
            spec.method,
            req.path(),
            wanted.join(" or ")
        )))
    }
}
