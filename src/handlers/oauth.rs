//! The OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4, with a secret or a
//! private-key JWT assertion, RFC 7523; authorization code, §4.1; refresh, §6) and the public
//! key set.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;

use super::extract::RawBody;
use super::reply::{ok, reply};
use crate::auth::assertion::{self, RedeemRefusal};
use crate::auth::scopes::ScopeSet;
use crate::auth::tokens::Refusal;
use crate::domain::oauth::ErrorCode;
use crate::error::{ApiError, ApiResult};
use crate::services::oauth::{self as oauth_service, Exchange};
use crate::services::Wrote;
use crate::state::State;
use crate::wire::oauth::*;

/// A failure answered in RFC 6749's shape rather than as problem details.
struct OAuthFailure {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Set when the client authenticated with HTTP Basic: a 401 must then challenge for it.
    basic_challenge: bool,
    /// A 503 says when to retry, as every other 503 of the server does.
    retry_after: bool,
}

impl OAuthFailure {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            basic_challenge: false,
            retry_after: false,
        }
    }

    fn respond(self) -> ApiResult<HttpResponse> {
        let mut res = reply(
            self.status,
            &TokenError {
                error: self.error,
                error_description: self.description,
            },
        )?;
        let headers = res.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        if self.retry_after {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = if self.basic_challenge {
                "Basic realm=\"d2l-groups\""
            } else {
                "Bearer realm=\"d2l-groups\""
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(challenge),
            );
        }
        Ok(res)
    }
}

/// Credentials from `Authorization: Basic` (each part form-urlencoded, per RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthFailure> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        let mut f = OAuthFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The Basic credentials are malformed.",
        );
        f.basic_challenge = true;
        f
    };
    let text = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = text.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, OAuthFailure> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// `POST /core/connect/token`
pub async fn token(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    match issue_token(state, &req, &body.0).await {
        Ok(response) => {
            let mut res = ok(&response)?;
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            res.headers_mut()
                .insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
            Ok(res)
        }
        Err(failure) => failure.respond(),
    }
}

async fn issue_token(
    state: State,
    req: &HttpRequest,
    body: &[u8],
) -> Result<TokenResponse, OAuthFailure> {
    let malformed = |e: serde_urlencoded::de::Error| {
        OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("The form body is malformed: {e}."),
        )
    };
    if let Some(name) = crate::wire::query_nul_parameter(req.query_string()) {
        return Err(OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("{name}: text may not contain U+0000 (NUL)."),
        ));
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(malformed)?;
    reject_nul_fields(&fields)?;
    let form: TokenRequest = serde_urlencoded::from_bytes(body).map_err(malformed)?;
    let grant_type = match form.grant_type.as_deref() {
        None => {
            return Err(OAuthFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
            ));
        }
        Some(g @ ("client_credentials" | "authorization_code" | "refresh_token")) => g.to_string(),
        Some(other) => {
            return Err(OAuthFailure::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("The grant type {other:?} is not supported; use client_credentials, authorization_code or refresh_token."),
            ));
        }
    };
    let basic = basic_credentials(req)?;
    let used_basic = basic.is_some();
    if let Some((id, secret)) = &basic {
        if id.contains('\0') || secret.contains('\0') {
            let mut f = nul_client_failure();
            f.basic_challenge = true;
            return Err(f);
        }
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let assertion_type = field("client_assertion_type");
    let assertion = field("client_assertion");
    if assertion_type.is_some() || assertion.is_some() {
        if basic.is_some() || form.client_secret.is_some() {
            return Err(OAuthFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Authenticate the client with a secret or a client assertion, not both.",
            ));
        }
        let requested = requested_scope(form.scope.as_deref())?;
        return with_assertion(
            state,
            req,
            &grant_type,
            assertion_type,
            assertion,
            form.client_id,
            requested,
        )
        .await;
    }
    let (client_id, secret) = match (basic, form.client_id.clone(), form.client_secret.clone()) {
        (Some(_), Some(_), Some(_)) => {
            return Err(OAuthFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Authenticate the client with HTTP Basic or form fields, not both.",
            ));
        }
        (Some(creds), _, _) => creds,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return Err(OAuthFailure::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication is required (HTTP Basic or client_id and client_secret).",
            ));
        }
    };
    let requested = requested_scope(form.scope.as_deref())?;

    if grant_type != "client_credentials" {
        let client = ClientCredentials {
            id: client_id,
            secret,
            used_basic,
        };
        return code_or_refresh(state, &grant_type, client, form, requested).await;
    }
    let worker = state.clone();
    let ttl = state.settings.token_ttl_seconds;
    let outcome = state
        .db
        .read(move |conn| {
            if assertion::requires_assertion(conn, &client_id)? {
                return Ok(None);
            }
            worker
                .tokens
                .grant(conn, &client_id, &secret, requested, ttl)
                .map(Some)
        })
        .await
        .map_err(unavailable)?;
    let Some(outcome) = outcome else {
        let mut f = OAuthFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client is registered with public keys: authenticate with a client assertion (private-key JWT), not the secret.",
        );
        f.basic_challenge = used_basic;
        return Err(f);
    };
    match outcome {
        Ok(grant) => Ok(TokenResponse {
            access_token: grant.token,
            token_type: "Bearer",
            expires_in: grant.expires_in,
            refresh_token: None,
            scope: grant.scopes.to_string(),
        }),
        Err(Refusal::InvalidScope) => Err(OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The requested scope exceeds the scope the client is registered with.",
        )),
        Err(Refusal::InactiveUser) => Err(OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The client's service user is inactive.",
        )),
        Err(Refusal::InvalidClient) => {
            let mut f = OAuthFailure::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            );
            f.basic_challenge = used_basic;
            Err(f)
        }
    }
}

/// A requested `scope`: absent or blank is the registered scope.
fn requested_scope(text: Option<&str>) -> Result<Option<ScopeSet>, OAuthFailure> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => ScopeSet::parse(text)
            .map(Some)
            .map_err(|e| OAuthFailure::new(StatusCode::BAD_REQUEST, "invalid_scope", e)),
    }
}

/// The client-credentials grant with a private-key JWT assertion (RFC 7523 §2.2): the
/// signature and claims checked in a read (CPU work, on the blocking pool), then the `jti`
/// recorded and the token issued in one write. The assertion's `aud` must be this server's
/// token endpoint, as the request reached it, or Brightspace's.
async fn with_assertion(
    state: State,
    req: &HttpRequest,
    grant_type: &str,
    assertion_type: Option<String>,
    assertion: Option<String>,
    client_id: Option<String>,
    requested: Option<ScopeSet>,
) -> Result<TokenResponse, OAuthFailure> {
    let bad = |text: String| OAuthFailure::new(StatusCode::BAD_REQUEST, "invalid_request", text);
    if grant_type != "client_credentials" {
        return Err(bad(format!(
            "Client assertions are accepted for the client_credentials grant only, not {grant_type}."
        )));
    }
    match assertion_type.as_deref() {
        Some(assertion::JWT_BEARER) => {}
        None => {
            return Err(bad(
                "client_assertion_type is required with client_assertion.".into(),
            ))
        }
        Some(_) => {
            return Err(bad(format!(
                "The client_assertion_type is not supported; use {}.",
                assertion::JWT_BEARER
            )))
        }
    }
    let Some(assertion) = assertion.filter(|a| !a.is_empty()) else {
        return Err(bad(
            "client_assertion is required with client_assertion_type.".into(),
        ));
    };
    let invalid_client =
        |text: String| OAuthFailure::new(StatusCode::UNAUTHORIZED, "invalid_client", text);
    let audiences = vec![
        format!("{}/core/connect/token", super::reply::origin(req)),
        assertion::BRIGHTSPACE_AUDIENCE.to_string(),
    ];
    let now = chrono::Utc::now();
    let verified = state
        .db
        .read(move |conn| {
            assertion::verify(
                conn,
                &assertion,
                client_id.as_deref(),
                &audiences,
                now.timestamp(),
            )
        })
        .await
        .map_err(unavailable)?
        .map_err(|r| invalid_client(r.0))?;
    let worker = state.clone();
    let ttl = state.settings.token_ttl_seconds;
    let outcome = state
        .db
        .write(0, move |conn| {
            let outcome = assertion::redeem(
                conn,
                &worker.tokens,
                &verified,
                requested.as_ref(),
                ttl,
                now.naive_utc(),
            )?;
            // It records the assertion's `jti` and may revoke nothing; said as anything all
            // the same, as every grant of the token endpoint is (tokens are asked for rarely).
            Ok(Wrote::anything(outcome))
        })
        .await
        .map_err(unavailable)?;
    match outcome {
        Ok(grant) => Ok(TokenResponse {
            access_token: grant.token,
            token_type: "Bearer",
            expires_in: grant.expires_in,
            refresh_token: None,
            scope: grant.scopes.to_string(),
        }),
        Err(RedeemRefusal::InvalidClient(text)) => Err(invalid_client(text)),
        Err(RedeemRefusal::InvalidScope) => Err(OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The requested scope exceeds the scope the client is registered with.",
        )),
        Err(RedeemRefusal::InactiveUser) => Err(OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The client's service user is inactive.",
        )),
    }
}

/// The client's credentials as the token request carried them.
struct ClientCredentials {
    id: String,
    secret: String,
    used_basic: bool,
}

/// The code and refresh grants: the client authenticated by its secret in a read (slow on
/// purpose, so never in the writer's turn), then the grant's one write.
async fn code_or_refresh(
    state: State,
    grant_type: &str,
    client: ClientCredentials,
    form: TokenRequest,
    requested: Option<ScopeSet>,
) -> Result<TokenResponse, OAuthFailure> {
    let missing = |field: &str| {
        OAuthFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("{field} is required for the {grant_type} grant."),
        )
    };
    let refresh_token = match grant_type {
        "refresh_token" => Some(
            form.refresh_token
                .clone()
                .ok_or_else(|| missing("refresh_token"))?,
        ),
        _ => None,
    };
    let exchange = match grant_type {
        "authorization_code" => Some(Exchange {
            code: form.code.clone().ok_or_else(|| missing("code"))?,
            redirect_uri: form.redirect_uri.clone(),
            code_verifier: form.code_verifier.clone(),
        }),
        _ => None,
    };
    let (id, secret) = (client.id.clone(), client.secret.clone());
    let authenticated = state
        .db
        .read(move |conn| {
            oauth_service::authenticate_client(conn, &id, &secret)
                .map(|c| c.filter(assertion::accepts_secret))
        })
        .await
        .map_err(unavailable)?;
    let Some(registered) = authenticated else {
        let mut f = OAuthFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
        f.basic_challenge = client.used_basic;
        return Err(f);
    };
    let worker = state.clone();
    let ttl = state.settings.token_ttl_seconds;
    let outcome = state
        .db
        .write(0, move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let issued = match (&exchange, &refresh_token) {
                (Some(exchange), _) => oauth_service::exchange_code(
                    conn,
                    &worker.tokens,
                    &registered,
                    exchange,
                    ttl,
                    now,
                ),
                (None, Some(token)) => oauth_service::refresh(
                    conn,
                    &worker.tokens,
                    &registered,
                    token,
                    requested.as_ref(),
                    ttl,
                    now,
                ),
                (None, None) => Err(ApiError::internal("neither code nor refresh token")),
            };
            issued.map(Wrote::anything)
        })
        .await
        .map_err(unavailable)?;
    match outcome {
        Ok(issued) => Ok(TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token: issued.refresh_token,
            scope: issued.scopes.to_string(),
        }),
        Err(error) => {
            let status = if error.code == ErrorCode::InvalidClient {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            Err(OAuthFailure::new(
                status,
                error.code.as_str(),
                error.description,
            ))
        }
    }
}

/// U+0000 in any form field is refused before anything is looked up (PostgreSQL refuses the
/// character in text): `invalid_client` when it is in the client's credentials, as for any
/// credentials that cannot be right, `invalid_request` naming the field otherwise.
fn reject_nul_fields(fields: &[(String, String)]) -> Result<(), OAuthFailure> {
    let Some((name, _)) = fields
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    else {
        return Ok(());
    };
    if name == "client_id" || name == "client_secret" {
        return Err(nul_client_failure());
    }
    Err(OAuthFailure::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!(
            "{}: text may not contain U+0000 (NUL).",
            name.escape_debug()
        ),
    ))
}

fn nul_client_failure() -> OAuthFailure {
    OAuthFailure::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed: the client credentials may not contain U+0000 (NUL).",
    )
}

/// A failure of the lookup itself: 503 `temporarily_unavailable` with `Retry-After`, as the
/// endpoint has always answered it. Its cause is logged, never answered: the description is
/// fixed, so no database text reaches the client.
fn unavailable(e: ApiError) -> OAuthFailure {
    use actix_web::ResponseError;
    if e.status_code() == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(cause = %e, "token endpoint: service unavailable");
    } else {
        tracing::error!(cause = %e, "token endpoint: lookup failed");
    }
    let mut f = OAuthFailure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "The service is temporarily unavailable; retry shortly.",
    );
    f.retry_after = true;
    f
}

/// `GET /core/.well-known/jwks`: every institution's public key.
pub async fn jwks(state: State) -> ApiResult<HttpResponse> {
    let reader = state.clone();
    let keys = state
        .db
        .read(move |conn| reader.tokens.public_keys(conn))
        .await?;
    ok(&JwkSet {
        keys: keys.iter().map(|k| jwk_of(k)).collect(),
    })
}

/// `GET /core/jwk/(kid)`
pub async fn jwk(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let kid = path.into_inner();
    let reader = state.clone();
    let lookup = kid.clone();
    let key = match state.tokens.key(&kid) {
        Some(k) => Some(k),
        None => {
            state
                .db
                .read(move |conn| reader.tokens.load_key(conn, &lookup))
                .await?
        }
    };
    let key = key.ok_or_else(|| ApiError::not_found(format!("No key with kid {kid:?}.")))?;
    ok(&jwk_of(&key))
}

fn jwk_of(k: &crate::auth::tokens::KeyEntry) -> Jwk {
    Jwk {
        kty: "RSA",
        usage: "sig",
        alg: "RS256",
        kid: k.kid.clone(),
        n: k.modulus.clone(),
        e: k.exponent.clone(),
    }
}
