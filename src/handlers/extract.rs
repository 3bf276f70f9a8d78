//! The extractors every handler takes: the authorized caller, a JSON body, a raw body and the
//! query string. Each turns a bad request into an `ApiError` before the handler runs.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::auth::{Authentication, Authorized, Caller};
use crate::error::{ApiError, ApiResult};
use crate::middleware::{RouteSpec, ServedVersion};
use crate::state::State;
use crate::wire::{
    nul_error, parse_bool, parse_id, parse_json, parse_json_strictly, parse_utc,
    query_nul_parameter,
};

/// Largest request body accepted; more is a 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The caller the authentication middleware verified; 401 (or 503 when the token could not be
/// checked) without one.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = req
            .extensions()
            .get::<Authentication>()
            .unwrap_or(&Authentication::Anonymous)
            .caller()
            .map(|caller| Caller::clone(caller));
        ready(outcome)
    }
}

/// The caller, verified by the authentication middleware, and the permission the route table
/// names for the route (left in the request by the gate).
impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let permission = req
            .extensions()
            .get::<Arc<RouteSpec>>()
            .and_then(|s| s.permission);
        let Some(state) = req.app_data::<State>() else {
            return ready(Err(ApiError::internal("application state missing")));
        };
        let known_permissions = state.caches.permissions.clone();
        let caller = Caller::from_request(req, payload).into_inner();
        ready(caller.map(|caller| Authorized {
            caller,
            permission,
            known_permissions,
        }))
    }
}

/// The version the gate served the request at: a handler whose forms differ between versions
/// takes it. A route outside the versioned API has none (500: a route-table mistake).
impl FromRequest for ServedVersion {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let served = req.extensions().get::<ServedVersion>().copied();
        ready(served.ok_or_else(|| ApiError::internal("no API version on an unversioned route")))
    }
}

/// A JSON request body. Read whatever the declared Content-Type (one real client sends none),
/// capped at [`MAX_BODY_BYTES`], and rejected with a 400 naming the offending field; under the
/// strict-input setting, an unknown field is such an offence too.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = RawBody::from_request(req, payload);
        let strict = req
            .app_data::<State>()
            .is_some_and(|state| state.settings.strict_input);
        Box::pin(async move {
            let bytes = raw.await?.0;
            if strict {
                parse_json_strictly(&bytes).map(Body)
            } else {
                parse_json(&bytes).map(Body)
            }
        })
    }
}

/// A request body's bytes, capped at [`MAX_BODY_BYTES`] (413 beyond).
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|len| len > MAX_BODY_BYTES) {
                return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            let mut buf = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(format!("The request body could not be read: {e}."))
                })?;
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(RawBody(buf.freeze()))
        })
    }
}

/// Query parameters, looked up case-insensitively as ASP.NET-based Brightspace does.
pub struct Query(Vec<(String, String)>);

impl FromRequest for Query {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

impl Query {
    pub fn parse(query: &str) -> ApiResult<Self> {
        if let Some(name) = query_nul_parameter(query) {
            return Err(nul_error(&name));
        }
        web::Query::<Vec<(String, String)>>::from_query(query)
            .map(|q| Self(q.into_inner()))
            .map_err(|e| ApiError::bad_request(format!("The query string is malformed: {e}.")))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter, as sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        self.get(name).map(|v| parse_bool(name, v)).transpose()
    }

    pub fn id(&self, name: &str) -> ApiResult<Option<i64>> {
        self.get(name).map(|v| parse_id(name, v)).transpose()
    }

    pub fn utc(&self, name: &str) -> ApiResult<Option<chrono::NaiveDateTime>> {
        self.get(name).map(|v| parse_utc(name, v)).transpose()
    }

    /// A comma-separated list of ids (`orgUnitTypeId=3,4`); empty when absent.
    pub fn ids(&self, name: &str) -> ApiResult<Vec<i64>> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(list) => list.split(',').map(|one| parse_id(name, one)).collect(),
        }
    }
}
