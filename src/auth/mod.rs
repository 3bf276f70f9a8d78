//! Who is calling: bearer tokens (signing, verifying, caching), client secrets, scopes and
//! role permissions.

pub mod permissions;
pub mod scopes;
pub mod secrets;
pub mod tokens;

use scopes::ScopeSet;

/// The verified identity behind a request, put in the request's extensions by the
/// authentication middleware and read by handlers through the [`Caller`] extractor.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub institution_id: i64,
    pub tenant_id: String,
    pub scopes: ScopeSet,
    /// The OAuth client the token was issued to; the CLI's tokens carry [`tokens::CLI_CLIENT_ID`].
    pub client_id: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The outcome of looking at a request's `Authorization` header, stored in its extensions.
#[derive(Clone, Debug)]
pub enum Authentication {
    Anonymous,
    Verified(std::sync::Arc<Caller>),
    /// A token was sent and rejected; the reason goes back in the 401.
    Rejected(String),
}

impl actix_web::FromRequest for Caller {
    type Error = crate::error::ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let outcome = match req.extensions().get::<Authentication>() {
            Some(Authentication::Verified(caller)) => Ok(Caller::clone(caller)),
            Some(Authentication::Rejected(reason)) => {
                Err(crate::error::ApiError::Unauthorized(reason.clone()))
            }
            _ => Err(crate::error::ApiError::Unauthorized(
                "A bearer token is required.".into(),
            )),
        };
        std::future::ready(outcome)
    }
}
