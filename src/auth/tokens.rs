//! RS256 access tokens shaped like Brightspace's: signed with the institution's key, published
//! in the JWKS under a `kid`, verified with a pinned algorithm and every time claim required.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use super::secrets::verify_secret;
use super::Caller;
use crate::db::rows::SigningKeyRow;
use crate::db::standing::{self, Standing};
use crate::db::{clients, signing_keys, DbConnection};
use crate::error::{ApiError, ApiResult};

/// The `client_id` of tokens printed by `d2l-groups token`. Rate limiting counts each user's
/// CLI tokens as a client of their own.
pub const CLI_CLIENT_ID: &str = "d2l-groups-cli";

/// The `client_id` of the console's callers (signed in with a browser session): the history
/// of membership changes tells the console's changes from the API's by it.
pub const CONSOLE_CLIENT_ID: &str = "d2l-groups-console";

/// The `client_id` a seed's changes are made and recorded under (`services::seed`).
pub const SEED_CLIENT_ID: &str = "d2l-groups-seed";

/// The server's own callers, which no row of `oauth_clients` stands behind: the CLI's tokens,
/// the console's browser sessions and the seeder.
pub fn is_own_client(client_id: &str) -> bool {
    [CLI_CLIENT_ID, CONSOLE_CLIENT_ID, SEED_CLIENT_ID].contains(&client_id)
}

/// Most verified tokens kept; past this, expired ones are dropped, then all.
const CACHE_CAPACITY: usize = 100_000;

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScopeClaim {
    Text(String),
    List(Vec<String>),
}

/// The claims Brightspace's tokens carry.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub tenantid: String,
    pub scope: ScopeClaim,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client the token was issued to, as D2L's tokens name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Ours: the user's authorization (`oauth_grants`) a code-flow token descends from, so
    /// that revoking it ends the token at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<i64>,
}

/// An institution's key, ready to sign and verify.
pub struct KeyEntry {
    pub kid: String,
    pub institution_id: i64,
    pub tenant_id: String,
    pub modulus: String,
    pub exponent: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl KeyEntry {
    fn from_row(row: &SigningKeyRow, tenant_id: &str) -> Result<Self, String> {
        Ok(Self {
            kid: row.kid.clone(),
            institution_id: row.institution_id,
            tenant_id: tenant_id.to_string(),
            modulus: row.modulus.clone(),
            exponent: row.exponent.clone(),
            encoding: EncodingKey::from_rsa_pem(row.private_key_pem.as_bytes())
                .map_err(|e| format!("signing key {}: {e}", row.kid))?,
            decoding: DecodingKey::from_rsa_components(&row.modulus, &row.exponent)
                .map_err(|e| format!("signing key {}: {e}", row.kid))?,
        })
    }
}

/// A freshly generated key pair, as stored.
pub fn generate_key_row(institution_id: i64) -> Result<SigningKeyRow, String> {
    let mut rng = rand::thread_rng();
    let private =
        rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| format!("RSA key generation: {e}"))?;
    let pem = private
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .map_err(|e| format!("RSA key encoding: {e}"))?;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(SigningKeyRow {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        institution_id,
        private_key_pem: pem.to_string(),
        modulus: b64(private.n().to_bytes_be()),
        exponent: b64(private.e().to_bytes_be()),
        created_at: Utc::now().naive_utc(),
    })
}

/// An access token issued by the client credentials grant.
#[derive(Debug)]
pub struct Grant {
    pub token: String,
    /// Seconds.
    pub expires_in: i64,
    pub scopes: ScopeSet,
}

/// Why the client credentials grant refuses a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, revoked, or the secret is wrong: one answer for all, so none can be told apart.
    InvalidClient,
    /// The client's service user is deactivated.
    InactiveUser,
    /// More scope asked for than the client is registered with.
    InvalidScope,
}

/// Signs and verifies tokens, holding every institution's key in memory and a cache of tokens
/// already verified.
pub struct TokenService {
    issuer: String,
    audience: String,
    keys: RwLock<HashMap<String, Arc<KeyEntry>>>,
    verified: Mutex<HashMap<String, Arc<Caller>>>,
}

impl TokenService {
    pub fn new(issuer: String, audience: String) -> Self {
        Self {
            issuer,
            audience,
            keys: RwLock::new(HashMap::new()),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Loads every signing key (at start-up; the CLI and tests call it too).
    pub fn load_all(&self, conn: &mut DbConnection) -> ApiResult<()> {
        let rows = signing_keys::all_with_tenant(conn)?;
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        for (row, tenant) in rows {
            let entry = KeyEntry::from_row(&row, &tenant).map_err(ApiError::internal)?;
            keys.insert(entry.kid.clone(), Arc::new(entry));
        }
        Ok(())
    }

    pub fn key(&self, kid: &str) -> Option<Arc<KeyEntry>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }

    /// Looks a key up in the database (one another process may have created) and remembers it.
    pub fn load_key(&self, conn: &mut DbConnection, kid: &str) -> ApiResult<Option<Arc<KeyEntry>>> {
        let Some((row, tenant)) = signing_keys::with_tenant(conn, kid)? else {
            return Ok(None);
        };
        let entry = Arc::new(KeyEntry::from_row(&row, &tenant).map_err(ApiError::internal)?);
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(entry.kid.clone(), entry.clone());
        Ok(Some(entry))
    }

    /// The newest key of an institution, for signing.
    pub fn signing_key(
        &self,
        conn: &mut DbConnection,
        institution_id: i64,
    ) -> ApiResult<Arc<KeyEntry>> {
        let kid = signing_keys::newest_kid(conn, institution_id)?.ok_or_else(|| {
            ApiError::internal(format!("institution {institution_id} has no signing key"))
        })?;
        match self.key(&kid) {
            Some(entry) => Ok(entry),
            None => self
                .load_key(conn, &kid)?
                .ok_or_else(|| ApiError::internal("signing key vanished")),
        }
    }

    /// Every known public key, for the JWKS.
    pub fn public_keys(&self, conn: &mut DbConnection) -> ApiResult<Vec<Arc<KeyEntry>>> {
        self.load_all(conn)?;
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Arc<KeyEntry>> = keys.values().cloned().collect();
        all.sort_by(|a, b| a.kid.cmp(&b.kid));
        Ok(all)
    }

    /// Signs an access token; answers the token and its lifetime in seconds.
    pub fn issue(
        &self,
        key: &KeyEntry,
        user_id: i64,
        scopes: &ScopeSet,
        client_id: &str,
        ttl_seconds: i64,
    ) -> ApiResult<(String, i64)> {
        self.issue_for_grant(key, user_id, scopes, client_id, ttl_seconds, None)
    }

    /// [`TokenService::issue`] for a token that descends from a user's authorization.
    pub fn issue_for_grant(
        &self,
        key: &KeyEntry,
        user_id: i64,
        scopes: &ScopeSet,
        client_id: &str,
        ttl_seconds: i64,
        grant_id: Option<i64>,
    ) -> ApiResult<(String, i64)> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            tenantid: key.tenant_id.clone(),
            scope: ScopeClaim::Text(scopes.to_string()),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
            client_id: Some(client_id.to_string()),
            azp: Some(client_id.to_string()),
            grant_id,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| ApiError::internal(format!("token signing: {e}")))?;
        Ok((token, ttl_seconds))
    }

    /// The client credentials grant (RFC 6749 §4.4): the secret checked against the client's
    /// hash, its service user active, and the scope asked for within the one registered (all
    /// of it when none is asked for). Checking the secret is slow on purpose: call it on the
    /// blocking pool.
    pub fn grant(
        &self,
        conn: &mut DbConnection,
        client_id: &str,
        secret: &str,
        requested: Option<ScopeSet>,
        ttl_seconds: i64,
    ) -> ApiResult<Result<Grant, Refusal>> {
        let client = match clients::find(conn, client_id)? {
            Some(c) if c.revoked_at.is_none() && verify_secret(secret, &c.secret_hash) => c,
            _ => return Ok(Err(Refusal::InvalidClient)),
        };
        match standing::of_token_holder(conn, client.institution_id, client.user_id, None, None)? {
            Standing::Active => {}
            Standing::InactiveUser => return Ok(Err(Refusal::InactiveUser)),
            other => {
                return Err(ApiError::internal(format!(
                    "client {client_id}'s service user: {other:?}"
                )))
            }
        }
        let registered = ScopeSet::parse(&client.scope).map_err(ApiError::internal)?;
        let scopes = match requested {
            None => registered,
            Some(r) if r.within(&registered) => r,
            Some(_) => return Ok(Err(Refusal::InvalidScope)),
        };
        let key = self.signing_key(conn, client.institution_id)?;
        let (token, expires_in) = self.issue(
            &key,
            client.user_id,
            &scopes,
            &client.client_id,
            ttl_seconds,
        )?;
        Ok(Ok(Grant {
            token,
            expires_in,
            scopes,
        }))
    }

    /// A token verified before and not yet expired.
    pub fn cached(&self, token: &str) -> Option<Arc<Caller>> {
        let cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        let caller = cache.get(token)?;
        (caller.expires_at > Utc::now().timestamp()).then(|| caller.clone())
    }

    /// Reads the `kid` a token names, rejecting any algorithm but RS256 before looking further.
    /// The kid is looked up in the database before the signature can be checked, so a kid
    /// holding U+0000 (which no key has, and which PostgreSQL refuses in text) is refused here.
    pub fn kid_of(token: &str) -> Result<String, String> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| format!("The access token is malformed: {e}."))?;
        if header.alg != Algorithm::RS256 {
            return Err(format!(
                "The access token's algorithm {:?} is not accepted.",
                header.alg
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| "The access token names no signing key (kid).".to_string())?;
        if kid.contains('\0') {
            return Err("The access token is signed by an unknown key.".to_string());
        }
        Ok(kid)
    }

    /// Full verification against a known key; remembers the result until the token expires.
    pub fn verify(&self, token: &str, key: &KeyEntry) -> Result<Arc<Caller>, String> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|e| format!("The access token is invalid: {e}."))?;
        let claims = data.claims;
        if claims.tenantid != key.tenant_id {
            return Err("The access token's tenant does not match its signing key.".into());
        }
        let user_id: i64 = claims
            .sub
            .parse()
            .map_err(|_| "The access token's subject is not a user id.".to_string())?;
        let scope_text = match claims.scope {
            ScopeClaim::Text(s) => s,
            ScopeClaim::List(v) => v.join(" "),
        };
        let scopes = ScopeSet::parse(&scope_text)
            .map_err(|e| format!("The access token's scope is invalid: {e}."))?;
        let caller = Arc::new(Caller {
            user_id,
            institution_id: key.institution_id,
            tenant_id: claims.tenantid,
            scopes,
            client_id: claims.client_id.or(claims.azp),
            grant_id: claims.grant_id,
            expires_at: claims.exp,
        });
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            let now = Utc::now().timestamp();
            cache.retain(|_, c| c.expires_at > now);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(token.to_string(), caller.clone());
        Ok(caller)
    }

    /// Forgets every cached token of a client (used when a client is revoked).
    pub fn forget_client(&self, client_id: &str) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, c| c.client_id.as_deref() != Some(client_id));
    }
}
