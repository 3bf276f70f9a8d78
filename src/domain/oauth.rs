//! OAuth 2.0 rules of the authorization-code grant: registered redirect URIs, PKCE (RFC 7636),
//! how long codes and tokens live, and RFC 6749's error codes.

use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

/// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2: ten minutes at
/// most; a browser redirect takes seconds).
pub const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// Access-token lifetimes an app may be registered with (brightspace-2026.md §9.4).
pub const MIN_TOKEN_LIFETIME: i64 = 1_800;
pub const MAX_TOKEN_LIFETIME: i64 = 72_000;

/// An error code of RFC 6749 §4.1.2.1 (authorization) or §5.2 (token endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
        }
    }
}

/// An OAuth refusal: its code and a description for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
}

/// A redirect URI an app may register: absolute, no fragment (RFC 6749 §3.1.2), and HTTPS
/// unless it points back at the user's own machine (loopback, RFC 8252 §7.3).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let parsed =
        url::Url::parse(uri).map_err(|e| format!("{uri:?} is not an absolute URL: {e}"))?;
    if parsed.fragment().is_some() {
        return Err(format!(
            "{uri:?} has a fragment, which a redirect URI may not"
        ));
    }
    let loopback = matches!(
        parsed.host_str(),
        Some("localhost") | Some("127.0.0.1") | Some("[::1]")
    );
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        other => Err(format!(
            "{uri:?}: a redirect URI must be https (or http on localhost), not {other}"
        )),
    }
}

/// Whether `uri` is one of the registered ones, compared exactly (RFC 9700 §4.1.3).
pub fn is_registered(registered: &str, uri: &str) -> bool {
    registered.split_whitespace().any(|r| r == uri)
}

/// The PKCE parameters of an authorization request: only S256 (RFC 9700 §2.1.1 rules out
/// `plain`). Answers the challenge to keep.
pub fn check_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "code_challenge_method was sent without a code_challenge.",
        )),
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => Ok(Some(c.to_string())),
        (Some(_), Some("S256")) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "code_challenge must be the SHA-256 of the verifier, base64url-encoded.",
        )),
        (Some(_), _) => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256.",
        )),
    }
}

/// Whether a verifier (RFC 7636 §4.1: 43 to 128 unreserved characters) matches the challenge:
/// SHA-256, base64url without padding as the RFC says, or standard base64 with padding as
/// one published client sends it (brightspace-2026.md §9.2).
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    let digest = Sha256::digest(verifier.as_bytes());
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    let standard = base64::engine::general_purpose::STANDARD.encode(digest);
    same_text(&url, challenge) || same_text(&standard, challenge)
}

/// Whether two texts are equal, in time that depends only on their lengths (secrets, tokens
/// and signatures are compared with it).
pub fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// An app's access-token lifetime at registration.
pub fn check_token_lifetime(seconds: i64) -> Result<(), String> {
    if (MIN_TOKEN_LIFETIME..=MAX_TOKEN_LIFETIME).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "an access-token lifetime is {MIN_TOKEN_LIFETIME} to {MAX_TOKEN_LIFETIME} seconds, not {seconds}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636s_example_in_both_encodings() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(verifier_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM="
        ));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!verifier_matches("short", challenge));
        assert_eq!(
            check_challenge(Some(challenge), Some("S256")),
            Ok(Some(challenge.to_string()))
        );
        for method in [Some("plain"), None] {
            let refused = check_challenge(Some(challenge), method);
            assert!(refused.is_err_and(|e| e.code == ErrorCode::InvalidRequest));
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_and_matched_exactly() {
        assert!(check_redirect_uri("https://app.example.edu/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8765/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("http://app.example.edu/cb").is_err());
        assert!(check_redirect_uri("https://app.example.edu/cb#x").is_err());
        assert!(check_redirect_uri("/relative").is_err());
        let registered = "https://a.example/cb http://127.0.0.1:9/cb";
        assert!(is_registered(registered, "https://a.example/cb"));
        assert!(!is_registered(registered, "https://a.example/cb/"));
        assert!(!is_registered(registered, "https://a.example/cb?x=1"));
        assert!(!is_registered(registered, "https://a.example/"));
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert!(check_token_lifetime(3600).is_ok());
        assert!(check_token_lifetime(1799).is_err());
        assert!(check_token_lifetime(72_001).is_err());
    }
}
