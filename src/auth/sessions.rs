//! Browser sessions and passwords: what the cookies carry and how their secrets are kept.
//!
//! A session is two random values: its id (cookie `d2lSessionVal`, the names Brightspace's own
//! cookies have) and its secret (cookie `d2lSecureSessionVal`). The database keeps the id and
//! only a SHA-256 of the secret, so a copy of the table cannot be replayed as a cookie. The
//! secret has 256 random bits, so a fast hash is enough; passwords, which people choose, are
//! hashed with argon2 as client secrets are (`auth::secrets`).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::secrets::verify_secret;
pub use super::secrets::{generate_secret, hash_secret as hash_password};
pub use crate::domain::oauth::same_text;

/// The session id's cookie.
pub const SESSION_ID_COOKIE: &str = "d2lSessionVal";
/// The session secret's cookie.
pub const SESSION_SECRET_COOKIE: &str = "d2lSecureSessionVal";
/// The sign-in form's CSRF cookie, set with the form before any session exists.
pub const SIGN_IN_CSRF_COOKIE: &str = "d2lSignInCsrf";

/// The stored form of a session secret.
pub fn hash_session_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a password against a user's stored hash. A user without a password (or no user
/// at all) is checked against a hash of a random secret, so that the answer takes as long
/// whether or not the account exists. Slow on purpose: call it off the actix workers.
pub fn verify_password(password: &str, stored_hash: Option<&str>) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    match stored_hash {
        Some(hash) => verify_secret(password, hash),
        None => {
            let decoy = DECOY.get_or_init(|| hash_password(&generate_secret()).unwrap_or_default());
            verify_secret(password, decoy);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_secret_is_kept_as_its_sha256() {
        let hash = hash_session_secret("abc");
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_text(&hash, &hash_session_secret("abc")));
        assert!(!same_text(&hash, &hash_session_secret("abd")));
        assert!(!same_text("a", "ab"));
    }

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(verify_password("correct horse", Some(&hash)));
        assert!(!verify_password("wrong horse", Some(&hash)));
        assert!(!verify_password("correct horse", None));
    }
}
