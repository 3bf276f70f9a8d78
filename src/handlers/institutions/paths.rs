//! The operator API's path parameters and bodies. Its ids are Django REST framework lookups,
//! text rather than D2LIDs: what one names is decided once the caller is known to be an
//! operator, so that any other caller hears 403 whatever the path says.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::http::Method;
use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::super::extract::RawBody;
use crate::error::{ApiError, ApiResult};
use crate::wire::institutions::Fields;

/// Declares a path type of text segments: its fields, each with the route segment it holds.
macro_rules! text_path {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $segment:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: String),+
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let segment = |name| req.match_info().get(name).unwrap_or_default().to_string();
                ready(Ok(Self { $($field: segment($segment)),+ }))
            }
        }
    };
}

text_path!(
    /// `/api/v2/institution/{institution_id}/`
    InstitutionPath { institution: "institution_id" }
);
text_path!(
    /// `/api/v2/institution/{parent_lookup_institution_id}/vle/`
    VlesPath { institution: "parent_lookup_institution_id" }
);
text_path!(
    /// `/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/`
    VlePath { institution: "parent_lookup_institution_id", vle: "id" }
);

/// A JSON object body read field by field: on PUT every writable field is required (a
/// replacement), on PATCH and POST any subset (as DRF's `partial`). One handler thus serves
/// both PUT and PATCH of a resource.
pub struct Changes(pub Fields);

impl FromRequest for Changes {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let require_all = req.method() == Method::PUT;
        let raw = RawBody::from_request(req, payload);
        Box::pin(async move { Fields::parse(&raw.await?.0, require_all).map(Changes) })
    }
}
