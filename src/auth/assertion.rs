//! Private-key JWT client authentication for the client-credentials grant (RFC 7523 §2.2 and
//! §3, as Brightspace runs it: brightspace-2026.md 9.3). A client registered with public keys
//! (a JWKS document, `oauth_clients.jwks`) signs a short-lived JWT naming itself as `iss` and
//! `sub` and the token endpoint as `aud`; each assertion's `jti` is accepted once.
//!
//! The checks of the claims are plain functions ([`check_claims`], [`choose_keys`],
//! [`parse_jwks`]); [`verify`] runs them with the client's row (a read: the signature check is
//! CPU work, run on the blocking pool) and [`redeem`] records the `jti` and issues the token
//! (a write). Every refusal is `invalid_client` (RFC 7523 §3.2) with a description naming the
//! check that failed, never key material.

use base64::Engine;
use chrono::{DateTime, NaiveDateTime};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use super::tokens::{Grant, TokenService};
use crate::db::rows::OAuthClient;
use crate::db::standing::{self, Standing};
use crate::db::{assertions, clients, DbConnection};
use crate::error::{ApiError, ApiResult};

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The audience D2L's own service assertions name (SEC `ASSERTION_AUDIENCE`); accepted beside
/// this server's token endpoint URL.
pub const BRIGHTSPACE_AUDIENCE: &str = "https://api.brightspace.com/auth/token";

/// The longest lifetime accepted, seconds: `exp - iat`, or `exp - now` without `iat`.
/// Brightspace documents 300 s as the maximum (under 60 recommended). D2L's own 30-minute
/// assertions are its service-to-service ones (the jwt-bearer grant), which we do not serve;
/// and the bound is also how long a used `jti` must be kept.
pub const MAX_LIFETIME: i64 = 300;

/// Clock skew allowed on `exp`, `nbf` and `iat`, as for access tokens.
pub const LEEWAY: i64 = 30;

/// The longest `iss`/`sub`/`jti` accepted, in bytes (they are looked up and stored).
const MAX_CLAIM_LEN: usize = 256;

/// Why an assertion is refused: always `invalid_client`, with this description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl Refusal {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

/// `aud` as RFC 7519 allows it: one string or an array.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of a client assertion; every one optional here, so that a missing one is named.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AssertionClaims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
}

/// One registered public key, as kept: RSA only, public parts only.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    pub n: String,
    pub e: String,
}

#[derive(Debug, Deserialize, Serialize)]
struct JwkSet<K> {
    keys: Vec<K>,
}

/// Members of a JWK that carry private key material (RFC 7518 §6.3.2, §6.4).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Reads a JWKS document for registration: JSON `{"keys": [...]}`, no private key material,
/// and at least one usable RSA signing key. Answers the document as stored: the RSA keys
/// alone, with their public members only. Keys of other types are left out.
pub fn parse_jwks(text: &str) -> Result<String, String> {
    let set: JwkSet<serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| format!("the JWKS is not a JSON key set ({{\"keys\": [...]}}): {e}"))?;
    let mut kept = Vec::new();
    for (i, key) in set.keys.iter().enumerate() {
        let Some(members) = key.as_object() else {
            return Err(format!("key {i} of the JWKS is not a JSON object"));
        };
        if let Some(private) = PRIVATE_MEMBERS.iter().find(|m| members.contains_key(**m)) {
            return Err(format!(
                "key {i} of the JWKS holds private key material ({private:?}); register the public keys only"
            ));
        }
        if members.get("kty").and_then(|v| v.as_str()) != Some("RSA") {
            continue;
        }
        let jwk: PublicJwk = serde_json::from_value(key.clone())
            .map_err(|e| format!("key {i} of the JWKS is not an RSA public key: {e}"))?;
        if jwk.usage.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        DecodingKey::from_rsa_components(&jwk.n, &jwk.e)
            .map_err(|e| format!("key {i} of the JWKS is not an RSA public key: {e}"))?;
        kept.push(jwk);
    }
    if kept.is_empty() {
        return Err("the JWKS holds no RSA signing key".into());
    }
    serde_json::to_string(&JwkSet { keys: kept }).map_err(|e| e.to_string())
}

/// Reads an RSA public key in PEM (`PUBLIC KEY`, SPKI, or `RSA PUBLIC KEY`, PKCS #1) and
/// answers it as a one-key JWKS document, without a `kid`.
pub fn jwks_from_public_key_pem(pem: &str) -> Result<String, String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    if pem.contains("PRIVATE KEY") {
        return Err("the file holds a private key; register the public key only".into());
    }
    let key = rsa::RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|e| format!("the file is not an RSA public key in PEM: {e}"))?;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let jwk = PublicJwk {
        kty: "RSA".into(),
        kid: None,
        usage: Some("sig".into()),
        alg: None,
        n: b64(key.n().to_bytes_be()),
        e: b64(key.e().to_bytes_be()),
    };
    serde_json::to_string(&JwkSet { keys: vec![jwk] }).map_err(|e| e.to_string())
}

/// The registered keys of a stored JWKS document.
fn stored_keys(jwks: &str) -> Result<Vec<PublicJwk>, String> {
    serde_json::from_str::<JwkSet<PublicJwk>>(jwks)
        .map(|s| s.keys)
        .map_err(|e| format!("stored JWKS: {e}"))
}

/// The algorithms accepted. ES* and PS* are refused: our registered keys are RSA, and D2L's
/// clients sign with RS256.
pub fn accepted_algorithm(alg: Algorithm) -> Result<(), Refusal> {
    match alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => Ok(()),
        other => Err(Refusal::new(format!(
            "The client assertion's algorithm {other:?} is not accepted; sign it with RS256, RS384 or RS512."
        ))),
    }
}

/// The keys to try for an assertion: with a `kid`, the keys registered with that kid and
/// those registered without one (a key registered from a PEM file has none); without a `kid`,
/// every key. A key whose `alg` names another algorithm is skipped; the key named by the kid
/// comes first.
pub fn choose_keys<'a>(
    keys: &'a [PublicJwk],
    kid: Option<&str>,
    alg: Algorithm,
) -> Vec<&'a PublicJwk> {
    let alg_name = format!("{alg:?}");
    let mut chosen: Vec<&PublicJwk> = keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg_name))
        .filter(|k| match (kid, k.kid.as_deref()) {
            (Some(wanted), Some(have)) => wanted == have,
            _ => true,
        })
        .collect();
    // The key the kid names before those without a kid.
    chosen.sort_by_key(|k| kid.is_some() && k.kid.is_none());
    chosen
}

/// A claim that is looked up or stored: present, not empty, bounded, no U+0000.
fn text_claim<'a>(name: &str, value: Option<&'a str>) -> Result<&'a str, Refusal> {
    match value {
        None | Some("") => Err(Refusal::new(format!(
            "The client assertion has no {name} claim."
        ))),
        Some(v) if v.len() > MAX_CLAIM_LEN || v.contains('\0') => Err(Refusal::new(format!(
            "The client assertion's {name} claim is not acceptable."
        ))),
        Some(v) => Ok(v),
    }
}

/// RFC 7523 §3's checks of the claims of an assertion whose signature is good: `iss` and
/// `sub` are the client id; `aud` names one of `audiences`; `exp` is present and not past;
/// `nbf` and `iat`, when present, are not in the future; the lifetime is at most
/// [`MAX_LIFETIME`]; `jti` is present. `now` and the times are Unix seconds; [`LEEWAY`] of
/// skew is allowed. Answers the `jti` and the time until which it must be kept.
pub fn check_claims(
    claims: &AssertionClaims,
    client_id: &str,
    audiences: &[String],
    now: i64,
) -> Result<(String, i64), Refusal> {
    let iss = text_claim("iss", claims.iss.as_deref())?;
    if iss != client_id {
        return Err(Refusal::new(
            "The client assertion's iss is not the client id.",
        ));
    }
    let sub = text_claim("sub", claims.sub.as_deref())?;
    if sub != iss {
        return Err(Refusal::new(
            "The client assertion's sub is not its iss (the client id).",
        ));
    }
    let aud_ok = match &claims.aud {
        None => return Err(Refusal::new("The client assertion has no aud claim.")),
        Some(Audience::One(a)) => audiences.contains(a),
        Some(Audience::Many(list)) => list.iter().any(|a| audiences.contains(a)),
    };
    if !aud_ok {
        return Err(Refusal::new(
            "The client assertion's aud is not this server's token endpoint.",
        ));
    }
    let Some(exp) = claims.exp else {
        return Err(Refusal::new("The client assertion has no exp claim."));
    };
    if exp.saturating_add(LEEWAY) <= now {
        return Err(Refusal::new("The client assertion has expired."));
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY))
    {
        return Err(Refusal::new("The client assertion is not valid yet (nbf)."));
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now.saturating_add(LEEWAY))
    {
        return Err(Refusal::new(
            "The client assertion was issued in the future (iat).",
        ));
    }
    let lifetime = exp.saturating_sub(claims.iat.unwrap_or(now));
    if lifetime > MAX_LIFETIME {
        return Err(Refusal::new(format!(
            "The client assertion's lifetime exceeds {MAX_LIFETIME} seconds."
        )));
    }
    let jti = text_claim("jti", claims.jti.as_deref())?;
    Ok((jti.to_string(), exp.saturating_add(LEEWAY)))
}

/// The claims of a JWT read without checking its signature: only to learn which client it
/// claims to be, so that its keys can be looked up.
fn unverified_claims(assertion: &str) -> Result<AssertionClaims, Refusal> {
    let malformed = || Refusal::new("The client assertion is malformed: not a signed JWT.");
    let mut parts = assertion.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| malformed())?;
    serde_json::from_slice(&bytes).map_err(|_| {
        Refusal::new("The client assertion is malformed: its claims are not valid JSON claims.")
    })
}

/// Whether a client may authenticate with its secret: not when it is registered with keys.
pub fn accepts_secret(client: &OAuthClient) -> bool {
    client.jwks.is_none()
}

/// Whether `client_id` names a client registered with keys (its secret is then refused).
pub fn requires_assertion(conn: &mut DbConnection, client_id: &str) -> ApiResult<bool> {
    Ok(clients::find(conn, client_id)?.is_some_and(|c| !accepts_secret(&c)))
}

/// An assertion whose signature and claims are good, to be redeemed once.
#[derive(Debug, Clone)]
pub struct Verified {
    pub client: OAuthClient,
    pub jti: String,
    /// Until when the `jti` is kept.
    pub keep_until: NaiveDateTime,
}

/// Verifies a client assertion (signature and claims; not yet its single use): `client_id`,
/// when the request named one, must be its `iss`; the client must be known, not revoked and
/// registered with keys. The signature check is CPU work: run this on the blocking pool
/// (`Db::read`).
pub fn verify(
    conn: &mut DbConnection,
    assertion: &str,
    client_id: Option<&str>,
    audiences: &[String],
    now: i64,
) -> ApiResult<Result<Verified, Refusal>> {
    let header = match jsonwebtoken::decode_header(assertion) {
        Ok(h) => h,
        Err(_) => {
            return Ok(Err(Refusal::new(
                "The client assertion is malformed: its header is not a JWS header with an accepted algorithm.",
            )))
        }
    };
    if let Err(refusal) = accepted_algorithm(header.alg) {
        return Ok(Err(refusal));
    }
    let claimed = match unverified_claims(assertion) {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    let iss = match text_claim("iss", claimed.iss.as_deref()) {
        Ok(iss) => iss.to_string(),
        Err(r) => return Ok(Err(r)),
    };
    if client_id.is_some_and(|id| id != iss) {
        return Ok(Err(Refusal::new(
            "The client_id is not the client assertion's iss.",
        )));
    }
    let client = match clients::find(conn, &iss)? {
        Some(c) if c.revoked_at.is_none() => c,
        _ => return Ok(Err(Refusal::new("The client is unknown or revoked."))),
    };
    let Some(jwks) = client.jwks.as_deref() else {
        return Ok(Err(Refusal::new(
            "The client is not registered with public keys; it authenticates with its secret.",
        )));
    };
    let keys = stored_keys(jwks).map_err(ApiError::internal)?;
    let candidates = choose_keys(&keys, header.kid.as_deref(), header.alg);
    if candidates.is_empty() {
        return Ok(Err(Refusal::new(
            "No public key registered for the client matches the assertion's kid and algorithm.",
        )));
    }
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let mut verified = None;
    for key in candidates {
        let decoding =
            DecodingKey::from_rsa_components(&key.n, &key.e).map_err(ApiError::internal)?;
        if let Ok(data) = jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &validation)
        {
            verified = Some(data.claims);
            break;
        }
    }
    let Some(claims) = verified else {
        return Ok(Err(Refusal::new(
            "The client assertion's signature does not verify with the client's registered keys.",
        )));
    };
    let (jti, keep_until) = match check_claims(&claims, &client.client_id, audiences, now) {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let keep_until = DateTime::from_timestamp(keep_until, 0)
        .ok_or_else(|| ApiError::internal("assertion expiry out of range"))?
        .naive_utc();
    Ok(Ok(Verified {
        client,
        jti,
        keep_until,
    }))
}

/// Why a verified assertion earns no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemRefusal {
    /// `invalid_client`: its `jti` was used already, or the client was revoked meanwhile.
    InvalidClient(String),
    /// `invalid_grant`: the service user is inactive.
    InactiveUser,
    /// `invalid_scope`: more scope asked for than registered.
    InvalidScope,
}

/// Redeems a verified assertion (a write): forgets the client's expired `jti`s, checks the
/// service user and the scope, records the assertion's `jti` (a second use is refused; a
/// refusal before it leaves none), and issues the service user's token with the scope
/// asked for (within the registered one; all of it when none is asked for) and the client's
/// lifetime (the server's `default_ttl` when it has none). No refresh token.
pub fn redeem(
    conn: &mut DbConnection,
    tokens: &TokenService,
    verified: &Verified,
    requested: Option<&ScopeSet>,
    default_ttl: i64,
    now: NaiveDateTime,
) -> ApiResult<Result<Grant, RedeemRefusal>> {
    let client = &verified.client;
    assertions::prune_expired(conn, &client.client_id, now)?;
    match standing::of_token_holder(
        conn,
        client.institution_id,
        client.user_id,
        Some(&client.client_id),
        None,
    )? {
        Standing::Active => {}
        Standing::InactiveUser | Standing::UnknownUser => {
            return Ok(Err(RedeemRefusal::InactiveUser))
        }
        Standing::RevokedClient | Standing::RevokedGrant => {
            return Ok(Err(RedeemRefusal::InvalidClient(
                "The client is unknown or revoked.".into(),
            )))
        }
    }
    let registered = ScopeSet::parse(&client.scope).map_err(ApiError::internal)?;
    let scopes = match requested {
        None => registered,
        Some(r) if r.within(&registered) => r.clone(),
        Some(_) => return Ok(Err(RedeemRefusal::InvalidScope)),
    };
    if !assertions::record_jti(conn, &client.client_id, &verified.jti, verified.keep_until)? {
        return Ok(Err(RedeemRefusal::InvalidClient(
            "The client assertion's jti was used already.".into(),
        )));
    }
    let key = tokens.signing_key(conn, client.institution_id)?;
    let ttl = client.access_token_lifetime.unwrap_or(default_ttl);
    let (token, expires_in) =
        tokens.issue(&key, client.user_id, &scopes, &client.client_id, ttl)?;
    Ok(Ok(Grant {
        token,
        expires_in,
        scopes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const NOW: i64 = 1_800_000_000;

    fn audiences() -> Vec<String> {
        vec![
            "http://127.0.0.1:8080/core/connect/token".into(),
            BRIGHTSPACE_AUDIENCE.into(),
        ]
    }

    fn good() -> AssertionClaims {
        AssertionClaims {
            iss: Some(CLIENT.into()),
            sub: Some(CLIENT.into()),
            aud: Some(Audience::One(
                "http://127.0.0.1:8080/core/connect/token".into(),
            )),
            exp: Some(NOW + 60),
            iat: Some(NOW),
            nbf: None,
            jti: Some("a-unique-id".into()),
        }
    }

    fn refused(claims: AssertionClaims) -> String {
        check_claims(&claims, CLIENT, &audiences(), NOW)
            .expect_err("refused")
            .0
    }

    #[test]
    fn good_claims_answer_the_jti_and_how_long_to_keep_it() {
        assert_eq!(
            check_claims(&good(), CLIENT, &audiences(), NOW),
            Ok(("a-unique-id".into(), NOW + 60 + LEEWAY))
        );
        let d2l = AssertionClaims {
            aud: Some(Audience::Many(vec![
                "other".into(),
                BRIGHTSPACE_AUDIENCE.into(),
            ])),
            ..good()
        };
        assert!(check_claims(&d2l, CLIENT, &audiences(), NOW).is_ok());
    }

    #[test]
    fn issuer_and_subject_must_be_the_client() {
        assert!(refused(AssertionClaims {
            iss: None,
            ..good()
        })
        .contains("no iss"));
        assert!(refused(AssertionClaims {
            iss: Some("someone".into()),
            ..good()
        })
        .contains("iss is not the client id"));
        assert!(refused(AssertionClaims {
            sub: Some("someone".into()),
            ..good()
        })
        .contains("sub is not its iss"));
        assert!(refused(AssertionClaims {
            sub: None,
            ..good()
        })
        .contains("no sub"));
        assert!(refused(AssertionClaims {
            iss: Some(format!("{CLIENT}\0")),
            ..good()
        })
        .contains("not acceptable"));
    }

    #[test]
    fn audience_must_be_the_token_endpoint() {
        assert!(refused(AssertionClaims {
            aud: None,
            ..good()
        })
        .contains("no aud"));
        assert!(refused(AssertionClaims {
            aud: Some(Audience::One("https://example.com/token".into())),
            ..good()
        })
        .contains("aud"));
        assert!(refused(AssertionClaims {
            aud: Some(Audience::Many(vec![])),
            ..good()
        })
        .contains("aud"));
    }

    #[test]
    fn expiry_is_required_and_bounded() {
        assert!(refused(AssertionClaims {
            exp: None,
            ..good()
        })
        .contains("no exp"));
        assert!(refused(AssertionClaims {
            exp: Some(NOW - LEEWAY),
            iat: Some(NOW - 60),
            ..good()
        })
        .contains("expired"));
        // Within the skew it is still good.
        assert!(check_claims(
            &AssertionClaims {
                exp: Some(NOW - LEEWAY + 1),
                iat: Some(NOW - 60),
                ..good()
            },
            CLIENT,
            &audiences(),
            NOW
        )
        .is_ok());
        assert!(refused(AssertionClaims {
            exp: Some(NOW + MAX_LIFETIME + 1),
            ..good()
        })
        .contains("lifetime"));
        // Without iat the lifetime is counted from now.
        assert!(refused(AssertionClaims {
            exp: Some(NOW + MAX_LIFETIME + 1),
            iat: None,
            ..good()
        })
        .contains("lifetime"));
        assert!(check_claims(
            &AssertionClaims {
                exp: Some(NOW + MAX_LIFETIME),
                iat: None,
                ..good()
            },
            CLIENT,
            &audiences(),
            NOW
        )
        .is_ok());
        // An old iat with an exp far past it is too long-lived even if exp is near.
        assert!(refused(AssertionClaims {
            exp: Some(NOW + 10),
            iat: Some(NOW - MAX_LIFETIME),
            ..good()
        })
        .contains("lifetime"));
    }

    #[test]
    fn times_in_the_future_are_refused() {
        assert!(refused(AssertionClaims {
            nbf: Some(NOW + LEEWAY + 1),
            ..good()
        })
        .contains("nbf"));
        assert!(refused(AssertionClaims {
            iat: Some(NOW + LEEWAY + 1),
            exp: Some(NOW + LEEWAY + 30),
            ..good()
        })
        .contains("iat"));
    }

    #[test]
    fn the_jti_is_required() {
        assert!(refused(AssertionClaims {
            jti: None,
            ..good()
        })
        .contains("no jti"));
        assert!(refused(AssertionClaims {
            jti: Some(String::new()),
            ..good()
        })
        .contains("no jti"));
        assert!(refused(AssertionClaims {
            jti: Some("x".repeat(MAX_CLAIM_LEN + 1)),
            ..good()
        })
        .contains("jti"));
    }

    #[test]
    fn only_rsa_algorithms_are_accepted() {
        for alg in [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512] {
            assert!(accepted_algorithm(alg).is_ok());
        }
        for alg in [
            Algorithm::HS256,
            Algorithm::ES256,
            Algorithm::PS256,
            Algorithm::EdDSA,
        ] {
            assert!(accepted_algorithm(alg)
                .expect_err("refused")
                .0
                .contains("not accepted"));
        }
    }

    fn jwk(kid: Option<&str>, alg: Option<&str>) -> PublicJwk {
        PublicJwk {
            kty: "RSA".into(),
            kid: kid.map(Into::into),
            usage: None,
            alg: alg.map(Into::into),
            n: "AQAB".into(),
            e: "AQAB".into(),
        }
    }

    #[test]
    fn keys_are_chosen_by_kid_and_algorithm() {
        let keys = vec![
            jwk(Some("a"), None),
            jwk(Some("b"), Some("RS256")),
            jwk(None, None),
            jwk(Some("c"), Some("RS512")),
        ];
        let kids = |chosen: Vec<&PublicJwk>| {
            chosen
                .iter()
                .map(|k| k.kid.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kids(choose_keys(&keys, Some("b"), Algorithm::RS256)),
            ["b", ""]
        );
        assert_eq!(
            kids(choose_keys(&keys, None, Algorithm::RS256)),
            ["a", "b", ""]
        );
        assert_eq!(kids(choose_keys(&keys, Some("c"), Algorithm::RS256)), [""]);
        assert_eq!(
            kids(choose_keys(&keys, Some("c"), Algorithm::RS512)),
            ["c", ""]
        );
    }

    fn public_pem() -> (String, rsa::RsaPublicKey) {
        use rsa::pkcs8::EncodePublicKey;
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("key");
        let public = private.to_public_key();
        let pem = public
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        (pem, public)
    }

    #[test]
    fn a_public_key_pem_becomes_a_one_key_jwks() {
        let (pem, _) = public_pem();
        let jwks = jwks_from_public_key_pem(&pem).expect("jwks");
        let keys = stored_keys(&jwks).expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kty, "RSA");
        assert_eq!(keys[0].e, "AQAB");
        assert!(keys[0].kid.is_none());
        assert_eq!(parse_jwks(&jwks), Ok(jwks.clone()));
        assert!(jwks_from_public_key_pem("not a key").is_err());
        assert!(jwks_from_public_key_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .expect_err("private")
        .contains("private key"));
    }

    #[test]
    fn jwks_files_are_checked_and_kept_public() {
        let (pem, _) = public_pem();
        let one = stored_keys(&jwks_from_public_key_pem(&pem).expect("jwks")).expect("keys");
        let n = one[0].n.clone();
        let doc = serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB", "x5t": "ignored"},
        ]});
        let kept = stored_keys(&parse_jwks(&doc.to_string()).expect("jwks")).expect("keys");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].kid.as_deref(), Some("k1"));
        assert!(parse_jwks("{}").is_err());
        assert!(parse_jwks("not json").is_err());
        assert!(parse_jwks(r#"{"keys": []}"#)
            .expect_err("empty")
            .contains("no RSA"));
        assert!(parse_jwks(r#"{"keys": [{"kty": "EC", "x": "AA"}]}"#)
            .expect_err("no rsa")
            .contains("no RSA"));
        let private = serde_json::json!({"keys": [{"kty": "RSA", "n": n, "e": "AQAB", "d": "AA"}]});
        assert!(parse_jwks(&private.to_string())
            .expect_err("private")
            .contains("private key material"));
        let encryption =
            serde_json::json!({"keys": [{"kty": "RSA", "use": "enc", "n": n, "e": "AQAB"}]});
        assert!(parse_jwks(&encryption.to_string()).is_err());
    }

    #[test]
    fn unverified_claims_need_three_parts_of_json() {
        assert!(unverified_claims("a.b").is_err());
        assert!(unverified_claims("a.b.c.d").is_err());
        assert!(unverified_claims("a.!!.c").is_err());
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"iss":"x"}"#);
        assert_eq!(
            unverified_claims(&format!("h.{payload}.s"))
                .expect("claims")
                .iss
                .as_deref(),
            Some("x")
        );
    }
}
