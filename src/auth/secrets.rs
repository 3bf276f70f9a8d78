//! OAuth client secrets (generated at random, shown once) and user passwords: stored only as
//! argon2 hashes.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;

/// 32 random bytes, URL-safe base64: safe in a form field and in HTTP Basic.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the client secret: {e}"))
}

/// A new client's secret: shown to its owner once, stored only as its hash.
pub struct NewSecret {
    pub secret: String,
    pub hash: String,
}

impl NewSecret {
    /// Generates and hashes a secret. Hashing is slow on purpose: do it before the transaction
    /// that stores the client, not inside it.
    pub fn generate() -> Result<Self, String> {
        let secret = generate_secret();
        let hash = hash_secret(&secret)?;
        Ok(Self { secret, hash })
    }
}

/// Constant-time check of a presented secret against the stored hash. Slow on purpose: call it
/// off the actix workers.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 43);
        let hash = hash_secret(&secret).expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret(&secret, &hash));
        assert!(!verify_secret("wrong", &hash));
        assert!(!verify_secret(&secret, "not a hash"));
    }
}
