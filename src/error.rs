//! The one error type. Every failure a request can meet ends here and leaves as RFC 7807
//! problem details, the shape Brightspace answers with, plus the older `Errors` array so
//! clients written for either keep working.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Where problem types point: Brightspace's own property reference for invalid parameters,
/// and the HTTP status otherwise.
const INVALID_PARAMETERS_TYPE: &str =
    "http://docs.valence.desire2learn.com/res/apiprop.html#invalid-parameters";
/// Brightspace's `type` for an unusable bearer token: production clients match on it to start
/// OAuth again.
const INVALID_TOKEN_TYPE: &str =
    "http://docs.valence.desire2learn.com/res/apiprop.html#invalid-token";
const INSUFFICIENT_SCOPE_TYPE: &str =
    "http://docs.valence.desire2learn.com/res/apiprop.html#insufficient-scope";
/// How a scope refusal's detail starts: clients search the body for it, to ask for more
/// scopes.
pub const INSUFFICIENT_SCOPE: &str = "Insufficient scope to call";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A missing or invalid bearer token; the text goes into `WWW-Authenticate` too.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// `allow` lists the methods the route does serve, for the `Allow` header.
    #[error("The method {method} is not allowed on this route; it allows {allow}.")]
    MethodNotAllowed { method: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("The request body is larger than the limit of {0} bytes.")]
    PayloadTooLarge(usize),
    #[error("The API call-rate limit has been exceeded; retry in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database or the blocking pool is unreachable or saturated: worth retrying. The
    /// cause is logged, never sent (it can name hosts, ports and databases).
    #[error("The service is temporarily unavailable; retry after the time given in Retry-After.")]
    Unavailable(String),
    /// A concurrent writer got in the way (deadlock, serialization failure, a row inserted or
    /// removed under us). `Db::write` runs the unit of work again a bounded number of times;
    /// what is still left is 409 for a clash with data, 503 for lock trouble.
    #[error("{}", .0.public_text())]
    Contention(Contention),
    /// Anything unexpected. The cause is logged, never sent.
    #[error("An unexpected error occurred.")]
    Internal(String),
    /// A refused ID-key signature: 403 in plain text, not problem details, because D2L's SDKs
    /// compare or parse the body (brightspace-2026.md §10.5).
    #[error("{}", .0.body())]
    IdKey(IdKeyRefusal),
}

/// Why an ID-key signature is refused, each with the exact body D2L answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKeyRefusal {
    /// Unknown or revoked app or user, a wrong signature, a replay on another method or path,
    /// an inactive user, or an app-only signature where a user is needed: `Invalid token`.
    InvalidToken,
    /// `x_t` outside the window: `Timestamp out of range`, CR LF, the server's Unix seconds,
    /// CR LF (the SDKs correct their clock with it).
    TimestampOutOfRange { server_time: i64 },
}

impl IdKeyRefusal {
    pub fn body(&self) -> String {
        match self {
            IdKeyRefusal::InvalidToken => "Invalid token".into(),
            IdKeyRefusal::TimestampOutOfRange { server_time } => {
                format!("Timestamp out of range\r\n{server_time}\r\n")
            }
        }
    }
}

/// What kind of concurrent write a unit of work ran into, with the database's own words (logged
/// only).
#[derive(Debug)]
pub struct Contention {
    pub kind: ContentionKind,
    pub cause: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentionKind {
    Deadlock,
    SerializationFailure,
    /// A unique key another transaction took first.
    UniqueViolation,
    /// A referenced row another transaction removed (or has not yet committed).
    ForeignKeyViolation,
}

impl Contention {
    fn public_text(&self) -> &'static str {
        match self.kind {
            ContentionKind::UniqueViolation | ContentionKind::ForeignKeyViolation => {
                "The request conflicts with a concurrent change; retry it."
            }
            ContentionKind::Deadlock | ContentionKind::SerializationFailure => {
                "The request collided with concurrent changes; retry after the time given in Retry-After."
            }
        }
    }

    fn status(&self) -> StatusCode {
        match self.kind {
            ContentionKind::UniqueViolation | ContentionKind::ForeignKeyViolation => {
                StatusCode::CONFLICT
            }
            ContentionKind::Deadlock | ContentionKind::SerializationFailure => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::BadRequest(detail.into())
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::NotFound(detail.into())
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::Forbidden(detail.into())
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        ApiError::Unavailable(cause.to_string())
    }

    /// What went wrong, for logs and operators: the cause behind an opaque 500 or 503 (which
    /// the answer never carries), else the answer's own detail.
    pub fn cause(&self) -> String {
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => cause.clone(),
            ApiError::Contention(c) => c.cause.clone(),
            other => other.to_string(),
        }
    }

    /// Whether running the same unit of work again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Contention(_))
    }
}

#[derive(Serialize)]
struct LegacyMessage<'a> {
    #[serde(rename = "Message")]
    message: &'a str,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(rename = "Errors")]
    errors: [LegacyMessage<'a>; 1],
}

/// Builds a problem-details answer; also used by the middleware, which answers without a handler.
pub fn problem_response(status: StatusCode, detail: &str) -> HttpResponse {
    let title = match status {
        StatusCode::BAD_REQUEST => "Invalid Parameters",
        s => s.canonical_reason().unwrap_or("Error"),
    };
    let kind = match status {
        StatusCode::BAD_REQUEST => INVALID_PARAMETERS_TYPE,
        StatusCode::UNAUTHORIZED => INVALID_TOKEN_TYPE,
        StatusCode::FORBIDDEN if detail.starts_with(INSUFFICIENT_SCOPE) => INSUFFICIENT_SCOPE_TYPE,
        _ => "about:blank",
    };
    let problem = Problem {
        kind,
        title,
        status: status.as_u16(),
        detail,
        errors: [LegacyMessage { message: detail }],
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .body(body)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Contention(c) => c.status(),
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::IdKey(_) => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            ApiError::Contention(c) => {
                tracing::warn!(kind = ?c.kind, cause = %c.cause, "concurrent change left unresolved")
            }
            ApiError::IdKey(refusal) => {
                return HttpResponse::build(status)
                    .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                    .body(refusal.body());
            }
            _ => {}
        }
        let detail = self.to_string();
        let mut response = problem_response(status, &detail);
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized(reason) => {
                let value = format!(
                    "Bearer realm=\"d2l-groups\", error=\"invalid_token\", error_description=\"{}\"",
                    reason.replace(['"', '\\'], "'")
                );
                if let Ok(v) = header::HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                } else {
                    headers.insert(
                        header::WWW_AUTHENTICATE,
                        header::HeaderValue::from_static("Bearer realm=\"d2l-groups\""),
                    );
                }
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, (*retry_after_secs).max(1).into());
            }
            ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, 1u64.into());
            }
            ApiError::Contention(c) if c.status() == StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, 1u64.into());
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                if let Ok(v) = header::HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, v);
                }
            }
            _ => {}
        }
        response
    }
}

impl From<diesel::result::Error> for ApiError {
    /// Sorts the database's errors by what the caller can do about them: retry (contention,
    /// a lost connection) or nothing (a fault of ours, 500). Never sends the database's text.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        let contention = |kind, cause: String| ApiError::Contention(Contention { kind, cause });
        match e {
            Error::NotFound => ApiError::NotFound("Not found.".into()),
            Error::DatabaseError(kind, info) => {
                let message = info.message().to_string();
                match kind {
                    Kind::UniqueViolation => contention(ContentionKind::UniqueViolation, message),
                    Kind::ForeignKeyViolation => {
                        contention(ContentionKind::ForeignKeyViolation, message)
                    }
                    Kind::SerializationFailure => {
                        contention(ContentionKind::SerializationFailure, message)
                    }
                    Kind::ClosedConnection | Kind::UnableToSendCommand => {
                        ApiError::Unavailable(format!("database connection lost: {message}"))
                    }
                    _ if message.contains("deadlock detected") => {
                        contention(ContentionKind::Deadlock, message)
                    }
                    _ if is_connection_trouble(&message) => {
                        ApiError::Unavailable(format!("database connection lost: {message}"))
                    }
                    _ if message.contains("invalid byte sequence") => ApiError::bad_request(
                        "The request contains text the database cannot store (such as U+0000).",
                    ),
                    _ => ApiError::Internal(format!("database: {message}")),
                }
            }
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

/// PostgreSQL's words for a connection that died under a statement (the server restarted or
/// went away): the unit of work could not finish, and a later attempt may.
fn is_connection_trouble(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "server closed the connection",
        "terminating connection",
        "could not receive data",
        "could not send data",
        "no connection to the server",
        "connection to server",
        "the database system is",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable(format!("no database connection: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Unavailable("The server is shutting down or overloaded.".into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
