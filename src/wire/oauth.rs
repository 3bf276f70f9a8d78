//! OAuth 2.0 token endpoint and key set shapes (RFC 6749, RFC 7517).

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The code grant's.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// The refresh grant's.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Only from the code and refresh grants, and only for apps registered to get them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenError {
    pub error: &'static str,
    pub error_description: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub usage: &'static str,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}
