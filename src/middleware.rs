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

use crate::auth::id_key::{self, SignedParams};
use crate::auth::scopes::RequiredScope;
use crate::auth::tokens::{TokenService, CLI_CLIENT_ID};
use crate::auth::{Authentication, Caller};
use crate::db::standing;
use crate::domain::permissions::Permission;
use crate::error::{ApiError, IdKeyRefusal, INSUFFICIENT_SCOPE};
use crate::metrics::Bucket;
use crate::rate_limit::{Decision, RateKey};
use crate::services::id_keys::{self, Check};
use crate::state::AppState;
use crate::telemetry;
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
/// W3C Trace Context's headers.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const X_RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
const X_RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");
const X_REQUEST_COST: HeaderName = HeaderName::from_static("x-request-cost");
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");

/// Gives the request an id and a trace, runs it inside a span carrying both (so every log line
/// of the request names them), answers them in `X-Request-Id` and `traceparent`, logs the
/// outcome and counts it in the server's metrics (by route pattern, method and status).
///
/// An incoming `X-Request-Id` is kept when it is a plain token (`telemetry::valid_request_id`),
/// so that a proxy's or a client's id follows the request through our logs; any other is
/// replaced by a new UUID, and never repeated. An incoming W3C `traceparent` that parses
/// (`telemetry::TraceParent`) gives the trace id, its flags, and its `tracestate` if that is
/// well formed; an invalid one is ignored, as the specification says, and a new trace begun.
/// The answer's `traceparent` names the trace and this server's own span id for the request.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = header_text(&req, &X_REQUEST_ID)
        .filter(|id| telemetry::valid_request_id(id))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let parent = header_text(&req, &TRACEPARENT).and_then(telemetry::TraceParent::parse);
    let tracestate = parent
        .as_ref()
        .and(header_text(&req, &TRACESTATE))
        .filter(|state| telemetry::valid_tracestate(state))
        .map(str::to_string);
    let (trace_id, flags) = match parent {
        Some(parent) => (parent.trace_id, parent.flags),
        None => (telemetry::new_trace_id(), "00".to_string()),
    };
    let span_id = telemetry::new_span_id();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        trace_id = %trace_id,
        span_id = %span_id,
        method = %req.method(),
        path = %req.path(),
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    // (The request must not be cloned before routing: the router needs it unshared.)
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res,
        Err(err) => {
            // An error no inner layer turned into an answer (actix answers it): counted and
            // logged all the same, under no route.
            let status = err.as_response_error().status_code().as_u16();
            let took = started.elapsed();
            if let Some(state) = state {
                state
                    .metrics
                    .observe_request(method.as_str(), None, status, took);
            }
            let elapsed_ms = took.as_secs_f64() * 1000.0;
            span.in_scope(|| tracing::info!(status, elapsed_ms, "request completed"));
            return Err(err);
        }
    };
    let took = started.elapsed();
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID, value);
    }
    if let Ok(value) = HeaderValue::from_str(&telemetry::traceparent(&trace_id, &span_id, &flags)) {
        headers.insert(TRACEPARENT, value);
    }
    if let Some(value) = tracestate.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.insert(TRACESTATE, value);
    }
    let status = res.status().as_u16();
    if let Some(state) = state {
        let route = res.request().match_pattern();
        state
            .metrics
            .observe_request(method.as_str(), route.as_deref(), status, took);
    }
    let elapsed_ms = took.as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request completed"));
    Ok(res)
}

/// A header's value as text, when it is one value of visible ASCII.
fn header_text<'a>(req: &'a ServiceRequest, name: &HeaderName) -> Option<&'a str> {
    let mut values = req.headers().get_all(name);
    let first = values.next()?;
    if values.next().is_some() {
        // Two ids or two traceparents: neither is trusted.
        return None;
    }
    first.to_str().ok()
}

/// Verifies the bearer token (or the ID-key signature) if there is one, then charges the call
/// to its bucket: the token's (institution, client), the ID-key app's (institution, app), or the
/// client IP for anonymous calls and rejected credentials. A refused ID-key signature is
/// answered here, on every route, in the plain text D2L's SDKs parse.
pub async fn authenticate_and_limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::internal("application state missing").into());
    };
    // What other processes wrote, before any cache of this request is trusted.
    state.db.catch_up().await;
    let (authentication, signed) = authenticate(&state, &req).await;
    if signed {
        strip_id_key_parameters(&mut req);
    }
    let key = match &authentication {
        Authentication::Verified(caller) => rate_key_of(caller),
        Authentication::IdKeyAnonymous {
            institution_id,
            client_id,
        } => RateKey::Client {
            institution_id: *institution_id,
            client_id: client_id.clone(),
        },
        _ => RateKey::Ip(
            req.peer_addr()
                .map(|a| a.ip())
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()),
        ),
    };
    let refusal = match &authentication {
        Authentication::IdKeyRefused(refusal) => Some(ApiError::IdKey(*refusal)),
        Authentication::Faulty(cause) => Some(ApiError::Internal(cause.clone())),
        _ => None,
    };
    req.extensions_mut().insert(authentication);
    match state.limits.charge(&key).await {
        Decision::Limited { retry_after_secs } => {
            state.metrics.rate_limited(match key {
                RateKey::Client { .. } => Bucket::Client,
                RateKey::CliUser { .. } => Bucket::User,
                RateKey::Ip(_) => Bucket::Ip,
            });
            let response = ApiError::TooManyRequests { retry_after_secs }.error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
        Decision::Allowed {
            remaining,
            reset_secs,
            cost,
        } => {
            let mark = |headers: &mut header::HeaderMap| {
                headers.insert(X_RATE_LIMIT_REMAINING, remaining.into());
                headers.insert(X_RATE_LIMIT_RESET, reset_secs.into());
                headers.insert(X_REQUEST_COST, cost.into());
            };
            if let Some(refusal) = refusal {
                let mut res = req.into_response(refusal.error_response());
                mark(res.headers_mut());
                return Ok(res.map_into_right_body());
            }
            let mut res = next.call(req).await?;
            mark(res.headers_mut());
            Ok(res.map_into_left_body())
        }
    }
}

/// Takes `x_a` ... `x_t` out of a signed call's query before any route reads it: no route
/// sees them, no remembered answer is keyed by them (`x_t` and the signatures change with
/// every call), and no link an answer builds from the query repeats them.
fn strip_id_key_parameters(req: &mut ServiceRequest) {
    let Some(query) = req.uri().query() else {
        return;
    };
    let kept = id_key::strip(query);
    let path = req.uri().path();
    let target = if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{kept}")
    };
    let mut parts = req.uri().clone().into_parts();
    let Ok(path_and_query) = target.parse() else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = actix_web::http::Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
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

/// The request's authentication, and whether it was a signed ID-key call (whose parameters
/// are then taken out of the query).
async fn authenticate(state: &web::Data<AppState>, req: &ServiceRequest) -> (Authentication, bool) {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return match SignedParams::from_query(req.query_string()) {
            None => (Authentication::Anonymous, false),
            Some(params) => (authenticate_id_key(state, req, params).await, true),
        };
    };
    (authenticate_bearer(state, value).await, false)
}

async fn authenticate_bearer(state: &web::Data<AppState>, value: &HeaderValue) -> Authentication {
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

/// A call signed with ID keys (`x_a` ... `x_t`, brightspace-2026.md §10): the signatures and
/// the time are checked by `services::id_keys::check` (on the blocking pool: it reads the keys,
/// and the server secret the first time); a user's call becomes a caller like a bearer token's
/// (the app's registered scope, the app's rate-limit bucket) and passes the same standing
/// check, refused as `Invalid token`. An app-only call is anonymous to the routes.
async fn authenticate_id_key(
    state: &web::Data<AppState>,
    req: &ServiceRequest,
    params: Result<SignedParams, id_key::Malformed>,
) -> Authentication {
    let invalid = Authentication::IdKeyRefused(IdKeyRefusal::InvalidToken);
    let Ok(params) = params else {
        return invalid;
    };
    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let now = chrono::Utc::now().timestamp();
    let secret = state.settings.secret_key_file.clone();
    let timestamp = params.unix_time();
    let checked = state
        .db
        .read(move |conn| id_keys::check(conn, &secret, &params, &method, &path, now))
        .await;
    let signer = match checked {
        Err(e) => return Authentication::Unchecked(format!("ID-key lookup: {e:?}")),
        Ok(Check::Refused(refusal)) => return Authentication::IdKeyRefused(refusal),
        Ok(Check::Faulty(cause)) => return Authentication::Faulty(cause),
        Ok(Check::Signed(signer)) => signer,
    };
    let client_id = format!("{}{}", id_key::CLIENT_PREFIX, signer.app_id);
    let Some(user_id) = signer.user_id else {
        return Authentication::IdKeyAnonymous {
            institution_id: signer.institution_id,
            client_id,
        };
    };
    let caller = Caller {
        user_id,
        institution_id: signer.institution_id,
        tenant_id: signer.tenant_id,
        scopes: signer.scopes,
        client_id: Some(client_id),
        grant_id: None,
        expires_at: timestamp.saturating_add(id_key::SKEW_WINDOW_SECS),
    };
    match require_standing(state, &caller).await {
        Ok(()) => Authentication::Verified(Arc::new(caller)),
        Err(Refusal::Rejected(_)) => invalid,
        Err(Refusal::Unchecked(cause)) => Authentication::Unchecked(cause),
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
/// their user is checked all the same; nor have ID-key calls (their app and user pair were
/// checked with the signature, on every call).
async fn require_standing(state: &web::Data<AppState>, caller: &Caller) -> Result<(), Refusal> {
    let client_id = crate::auth::standing_client(caller);
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
