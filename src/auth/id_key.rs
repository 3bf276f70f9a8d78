//! D2L's legacy ID-key signing (brightspace-2026.md §10): an app id/key pair, and a user id/key
//! pair per user of the app; every call carries `x_a` (app id), `x_b` (user id), `x_c` (the
//! app key's signature), `x_d` (the user key's) and `x_t` (Unix seconds) in its query string.
//!
//! - [`sign`]: unpadded base64url of HMAC-SHA256(key, text), the one primitive (the browser
//!   flow signs its callback URL with it too).
//! - [`SignedParams`]: the five parameters, read by name in any order; [`strip`] removes them
//!   from a query before the route sees it.
//! - [`signature_matches`]: a call's signature over `UPPER(method)&lower(decoded path)&x_t`,
//!   checked in constant time against each way the SDKs decode the path.
//! - [`SecretKeyFile`] and [`Sealer`]: the keys must be kept to check HMACs, so they are stored
//!   encrypted (AES-256-GCM) under a server secret, never hashed (docs/security.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How far `x_t` may be from the server's clock, either way (brightspace-2026.md §10.5: D2L's
/// own test expects 600 s to be refused; the exact window is unconfirmed).
pub const SKEW_WINDOW_SECS: i64 = 300;

/// What an ID-key caller's `Caller::client_id` starts with, before the app id: its rate-limit
/// bucket is the app's (in the app's institution), and it can never equal an OAuth client id.
pub const CLIENT_PREFIX: &str = "id-key:";

/// The five query parameters of a signed call.
pub const PARAMETERS: [&str; 5] = ["x_a", "x_b", "x_c", "x_d", "x_t"];

type HmacSha256 = Hmac<Sha256>;

/// `base64url(HMAC-SHA256(key, text))` with every `=` removed: an `x_c` or `x_d` over a base
/// string, or the browser flow's `x_b` over its callback URL.
pub fn sign(key: &str, text: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, text).finalize().into_bytes())
}

fn mac(key: &str, text: &str) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    mac.update(text.as_bytes());
    mac
}

/// Whether `presented` is `key`'s signature of `text`, compared in constant time.
pub fn verify(key: &str, text: &str, presented: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented.trim_end_matches('=')) else {
        return false;
    };
    mac(key, text).verify_slice(&bytes).is_ok()
}

/// `UPPER(method)&path&x_t`, `path` already decoded and lower-cased.
pub fn base_string(method: &str, path: &str, timestamp: &str) -> String {
    format!("{}&{path}&{timestamp}", method.to_ascii_uppercase())
}

/// The ways the SDKs turn the path as sent into the base string's path (§10.2): SDK-js
/// `decodeURI(path).toLowerCase()` keeps `+`; SDK-net `UrlDecode(path).ToLowerInvariant()`
/// turns it into a space; SDK-py `unquote_plus(path.lower())` too, lower-casing before it
/// decodes (which differs only for percent-encoded capitals). Distinct candidates only.
pub fn path_candidates(raw_path: &str) -> Vec<String> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let plus_as_space = raw_path.replace('+', " ");
    let mut candidates = vec![
        decode(raw_path).to_lowercase(),
        decode(&plus_as_space).to_lowercase(),
        decode(&plus_as_space.to_lowercase()),
    ];
    let mut seen = Vec::with_capacity(candidates.len());
    candidates.retain(|c| {
        let fresh = !seen.contains(c);
        if fresh {
            seen.push(c.clone());
        }
        fresh
    });
    candidates
}

/// Whether `presented` signs this call (method, path as sent, `x_t`) with `key` under any
/// of the SDKs' path decodings.
pub fn signature_matches(
    key: &str,
    method: &str,
    raw_path: &str,
    timestamp: &str,
    presented: &str,
) -> bool {
    // Every candidate is checked, so that the time taken depends on the path only.
    path_candidates(raw_path)
        .iter()
        .map(|path| verify(key, &base_string(method, path, timestamp), presented))
        .fold(false, |any, ok| any | ok)
}

/// Whether `timestamp` (Unix seconds) is within [`SKEW_WINDOW_SECS`] of `now`.
pub fn within_window(timestamp: i64, now: i64) -> bool {
    timestamp.abs_diff(now) <= SKEW_WINDOW_SECS.unsigned_abs()
}

/// The signing parameters of a call, read by name (case-insensitively, as the route's own
/// parameters are) in whatever order the SDK wrote them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedParams {
    pub app_id: String,
    /// `x_b` and `x_d`, or `None` on an anonymous call (both absent, or both empty).
    pub user: Option<(String, String)>,
    pub app_signature: String,
    pub timestamp: String,
}

/// Why a query's signing parameters are unusable; answered `Invalid token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

impl SignedParams {
    /// `None` when the query is not a signed call: it has no `x_a`, or neither `x_c` nor `x_t`
    /// (the browser flow's `/d2l/auth/api/token?x_a=&x_b=&x_target=` is not one). Otherwise
    /// the parameters, or [`Malformed`] when one is repeated or missing, `x_b` comes without
    /// `x_d` (or the other way round), or `x_t` is not a number.
    pub fn from_query(query: &str) -> Option<Result<Self, Malformed>> {
        let mut found: [Vec<String>; 5] = Default::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if let Some(i) = PARAMETERS
                .iter()
                .position(|p| p.eq_ignore_ascii_case(&name))
            {
                found[i].push(value.into_owned());
            }
        }
        let [a, b, c, d, t] = found;
        if a.is_empty() || (c.is_empty() && t.is_empty()) {
            return None;
        }
        Some(Self::from_found(a, b, c, d, t))
    }

    fn from_found(
        a: Vec<String>,
        b: Vec<String>,
        c: Vec<String>,
        d: Vec<String>,
        t: Vec<String>,
    ) -> Result<Self, Malformed> {
        let one = |values: Vec<String>| -> Result<Option<String>, Malformed> {
            match <[String; 1]>::try_from(values) {
                Ok([value]) => Ok(Some(value)),
                Err(values) if values.is_empty() => Ok(None),
                Err(_) => Err(Malformed),
            }
        };
        let required = |values| one(values)?.filter(|v| !v.is_empty()).ok_or(Malformed);
        let app_id = required(a)?;
        let app_signature = required(c)?;
        let timestamp = required(t)?;
        if timestamp.parse::<i64>().is_err() {
            return Err(Malformed);
        }
        let optional = |values| Ok::<_, Malformed>(one(values)?.filter(|v| !v.is_empty()));
        let user = match (optional(b)?, optional(d)?) {
            (Some(user_id), Some(signature)) => Some((user_id, signature)),
            (None, None) => None,
            _ => return Err(Malformed),
        };
        Ok(Self {
            app_id,
            user,
            app_signature,
            timestamp,
        })
    }

    /// `x_t` as a number (checked by [`SignedParams::from_query`]).
    pub fn unix_time(&self) -> i64 {
        self.timestamp.parse().unwrap_or(i64::MIN)
    }
}

/// `query` without the signing parameters, the others kept as sent, in their order.
pub fn strip(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
            let name = url::form_urlencoded::parse(name.as_bytes())
                .next()
                .map(|(n, _)| n.into_owned())
                .unwrap_or_default();
            !PARAMETERS.iter().any(|p| p.eq_ignore_ascii_case(&name))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The browser flow's rule for a callback (§10.3, "choose"): the same scheme, host and port as
/// the app's trusted URL (the port a scheme implies counts as given).
pub fn same_origin(trusted_url: &str, target: &str) -> bool {
    let (Ok(trusted), Ok(target)) = (url::Url::parse(trusted_url), url::Url::parse(target)) else {
        return false;
    };
    trusted.scheme() == target.scheme()
        && trusted.host_str().is_some()
        && trusted.host_str() == target.host_str()
        && trusted.port_or_known_default() == target.port_or_known_default()
}

/// A new app id or ID-key user id: 128 random bits, as 32 hex digits.
pub fn generate_id() -> String {
    // Hex rather than base64url: an id may start with '-' in base64url, and then
    // `--app <id>` on the command line reads as another flag.
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new app or user key: 256 random bits, URL-safe (43 characters).
pub fn generate_key() -> String {
    random_text::<32>()
}

fn random_text<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Where stored keys are labelled to: a sealed key opens only as the row it was sealed for, so
/// that a ciphertext copied onto another row (another app, another user) does not open.
pub fn app_key_label(app_id: &str) -> String {
    format!("id_key_apps.app_key:{app_id}")
}

pub fn user_key_label(key_user_id: &str) -> String {
    format!("id_key_users.user_key:{key_user_id}")
}

/// How sealed text starts: the format's version, for a later rotation to tell them apart.
const SEALED_PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 12;

/// The server secret's AES-256-GCM key: seals keys for the database and opens them again.
pub struct Sealer {
    cipher: Aes256Gcm,
    /// Where the secret came from, for error messages.
    source: PathBuf,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.source.display())
    }
}

impl Sealer {
    pub fn new(secret: &[u8; 32], source: impl Into<PathBuf>) -> Self {
        Self {
            cipher: Aes256Gcm::new(secret.into()),
            source: source.into(),
        }
    }

    /// `v1.` then unpadded base64url of a random 96-bit nonce and the ciphertext with its tag;
    /// `label` is authenticated with it (see [`app_key_label`]).
    pub fn seal(&self, label: &str, plaintext: &str) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| "cannot encrypt a key".to_string())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The key sealed as `sealed` for `label`; an error that says which secret failed when
    /// it is not the one the key was sealed with.
    pub fn open(&self, label: &str, sealed: &str) -> Result<String, String> {
        let unreadable = || {
            format!(
                "the stored key of {label} cannot be decrypted with the secret in {}: is \
                 SECRET_KEY_FILE the file the keys were made with (every process of one database \
                 must share it)?",
                self.source.display()
            )
        };
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or_else(unreadable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| unreadable())?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

/// The server secret's file (`SECRET_KEY_FILE`): 32 random bytes in base64, read on first
/// need and created then if absent (mode 0600). Clones share what was read.
#[derive(Clone)]
pub struct SecretKeyFile {
    path: PathBuf,
    loaded: Arc<Mutex<Option<Arc<Sealer>>>>,
}

impl std::fmt::Debug for SecretKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKeyFile({})", self.path.display())
    }
}

impl SecretKeyFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            loaded: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The secret's sealer: read from the file the first time (and created, if there is no
    /// file yet), then remembered. Does file I/O the first time: call it off the actix workers.
    pub fn sealer(&self) -> Result<Arc<Sealer>, String> {
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| "the secret key lock is poisoned".to_string())?;
        if let Some(sealer) = loaded.as_ref() {
            return Ok(sealer.clone());
        }
        let secret = read_or_create(&self.path)?;
        let sealer = Arc::new(Sealer::new(&secret, self.path.clone()));
        *loaded = Some(sealer.clone());
        Ok(sealer)
    }
}

/// Reads the secret at `path`, creating it first if there is none. Creation writes a temporary
/// file (mode 0600) and links it into place only if nothing is there yet, so that processes
/// starting together end with one secret: whoever loses the race reads the winner's.
fn read_or_create(path: &Path) -> Result<[u8; 32], String> {
    match std::fs::read_to_string(path) {
        Ok(text) => return parse_secret(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(format!(
                "cannot read SECRET_KEY_FILE {}: {e}",
                path.display()
            ))
        }
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "secret".into()),
        random_text::<8>()
    ));
    let created =
        write_private(&temporary, &format!("{}\n", STANDARD.encode(secret))).and_then(|()| {
            match std::fs::hard_link(&temporary, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                // A file system without hard links: rename, unless the file appeared meanwhile.
                Err(_) if !path.exists() => std::fs::rename(&temporary, path),
                Err(_) => Ok(()),
            }
        });
    let _ = std::fs::remove_file(&temporary);
    created.map_err(|e| format!("cannot create SECRET_KEY_FILE {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "ID-key secret present");
    // Whoever won the race, the file now holds the secret every process uses.
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read SECRET_KEY_FILE {}: {e}", path.display()))?;
    parse_secret(path, &text)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn parse_secret(path: &Path, text: &str) -> Result<[u8; 32], String> {
    warn_if_readable_by_others(path);
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            format!(
                "SECRET_KEY_FILE {} does not hold 32 bytes in base64",
                path.display()
            )
        })
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "SECRET_KEY_FILE is readable by other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector of brightspace-2026.md §10.2, base strings as given.
    #[test]
    fn sign_matches_every_reference_vector() {
        let vectors = [
            (
                "bar",
                "foobar",
                "8MWnO0rB4dhvQbYdde_vEx3dbLS3RgumO-9WT90kQnQ",
            ),
            (
                "bar",
                "GET&/d2l/api/lp/1.0/users/whoami&1397958932",
                "eInA7Qr4HYQn8b8x6RoMPioxftBYbRsa3oiIFCZFTgU",
            ),
            (
                "quux",
                "GET&/d2l/api/lp/1.0/users/whoami&1397958932",
                "fkpwBDGOppT6DrsjJNxcsxFIaGo-RS3q3kmeJBwemc0",
            ),
            (
                "appkey",
                "GET&/d2l/api/lp/1.47/6606/groupcategories/&1700000000",
                "NShCO-GyNFPmjKeQfo4ECpXWgeTagZ9MdioyOQz4wDE",
            ),
            (
                "userkey",
                "GET&/d2l/api/lp/1.47/6606/groupcategories/&1700000000",
                "Wr4ii1uJFLscXA28dEkPXP6TnM15iiCKdVj39WgY0_o",
            ),
            (
                "s3cr3t-app-key",
                "DELETE&/d2l/api/lp/1.63/enrollments/orgunits/6607/users/355&1767225600",
                "xTWbTbJPMS8RgT1EkhPZSVJIhnTD1gaA0ocm-enpob0",
            ),
            (
                "s3cr3t-user-key",
                "DELETE&/d2l/api/lp/1.63/enrollments/orgunits/6607/users/355&1767225600",
                "f6ZuLYVJh9o3liJ28_VJARN4B5fXwmdNibukeh21IJY",
            ),
        ];
        for (key, text, signature) in vectors {
            assert_eq!(sign(key, text), signature, "{key} over {text}");
            assert!(verify(key, text, signature));
            assert!(!signature.contains('='));
        }
    }

    /// §10.3: the browser flow's `x_b` signs the callback URL itself.
    #[test]
    fn sign_matches_the_callback_vectors() {
        assert_eq!(
            sign("bar", "https://apitesttool.desire2learnvalence.com/"),
            "0QJBME4jpLirHJS3XNCy87bolTPucH6uJ5npgC2vkHE"
        );
        assert_eq!(
            sign(
                "s3cr3t-app-key",
                "https://client.example.edu/callback?state=abc"
            ),
            "hVcHsBZGacIIWMY1X1sfbHXQsitsZtXm0NIZpWdNsk8"
        );
    }

    /// The requests behind the vectors, checked as the server checks a call: the path as sent
    /// (capitals, query apart), method and `x_t`.
    #[test]
    fn calls_behind_the_vectors_verify_and_nothing_else_does() {
        let path = "/d2l/api/lp/1.63/enrollments/orgUnits/6607/users/355";
        let (t, x_c, x_d) = (
            "1767225600",
            "xTWbTbJPMS8RgT1EkhPZSVJIhnTD1gaA0ocm-enpob0",
            "f6ZuLYVJh9o3liJ28_VJARN4B5fXwmdNibukeh21IJY",
        );
        assert!(signature_matches("s3cr3t-app-key", "DELETE", path, t, x_c));
        assert!(signature_matches("s3cr3t-user-key", "delete", path, t, x_d));
        // Bound to the key, the method, the path and the time.
        assert!(!signature_matches(
            "s3cr3t-user-key",
            "DELETE",
            path,
            t,
            x_c
        ));
        assert!(!signature_matches("s3cr3t-app-key", "GET", path, t, x_c));
        assert!(!signature_matches(
            "s3cr3t-app-key",
            "DELETE",
            "/d2l/api/lp/1.63/enrollments/orgUnits/6607/users/356",
            t,
            x_c
        ));
        assert!(!signature_matches(
            "s3cr3t-app-key",
            "DELETE",
            path,
            "1767225601",
            x_c
        ));
        // The JS vector's request carried `?abc=xyz`, which is not signed: the path alone is.
        assert!(signature_matches(
            "bar",
            "GET",
            "/d2l/api/lp/1.0/users/whoami",
            "1397958932",
            "eInA7Qr4HYQn8b8x6RoMPioxftBYbRsa3oiIFCZFTgU"
        ));
        // Padding, a truncated or an empty signature.
        assert!(signature_matches(
            "bar",
            "GET",
            "/d2l/api/lp/1.0/users/whoami",
            "1397958932",
            "eInA7Qr4HYQn8b8x6RoMPioxftBYbRsa3oiIFCZFTgU="
        ));
        for wrong in [
            "eInA7Qr4HYQn8b8x6RoMPioxftBYbRsa3oiIFCZFTg",
            "",
            "not base64!",
        ] {
            assert!(!signature_matches(
                "bar",
                "GET",
                "/d2l/api/lp/1.0/users/whoami",
                "1397958932",
                wrong
            ));
        }
    }

    #[test]
    fn a_path_is_decoded_with_plus_kept_or_made_a_space() {
        assert_eq!(
            path_candidates("/d2l/api/A+B/%43%20d"),
            vec!["/d2l/api/a+b/c d", "/d2l/api/a b/c d", "/d2l/api/a b/C d"]
        );
        let key = "k";
        for decoded in ["/x/a+b", "/x/a b"] {
            let signature = sign(key, &base_string("GET", decoded, "1"));
            assert!(signature_matches(key, "GET", "/x/A+b", "1", &signature));
        }
        // SDK-py lower-cases before it decodes: a percent-encoded capital stays a capital.
        let py = sign(key, &base_string("GET", "/x/É", "1"));
        let js = sign(key, &base_string("GET", "/x/é", "1"));
        assert!(signature_matches(key, "GET", "/x/%C3%89", "1", &py));
        assert!(signature_matches(key, "GET", "/x/%C3%89", "1", &js));
        assert!(!signature_matches(
            key,
            "GET",
            "/x/%C3%89",
            "1",
            &sign(key, "GET&/x/%c3%89&1")
        ));
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        assert_eq!(SKEW_WINDOW_SECS, 300);
        assert!(within_window(1_000_300, 1_000_000));
        assert!(within_window(999_700, 1_000_000));
        assert!(!within_window(1_000_301, 1_000_000));
        assert!(!within_window(999_699, 1_000_000));
        assert!(!within_window(i64::MIN, i64::MAX));
    }

    #[test]
    fn parameters_are_read_by_name_in_any_order() {
        let expected = SignedParams {
            app_id: "A".into(),
            user: Some(("B".into(), "D".into())),
            app_signature: "C".into(),
            timestamp: "17".into(),
        };
        for query in [
            "x_a=A&x_b=B&x_d=D&x_c=C&x_t=17&orgUnitId=1",
            "roleId=3&x_a=A&x_c=C&x_b=B&x_d=D&x_t=17",
            "x_t=17&x_a=A&x_c=C&x_b=B&x_d=D",
            "X_A=A&X_B=B&X_C=C&X_D=D&X_T=17",
        ] {
            assert_eq!(SignedParams::from_query(query), Some(Ok(expected.clone())));
        }
        let anonymous = SignedParams {
            user: None,
            ..expected
        };
        for query in ["x_a=A&x_c=C&x_t=17", "x_a=A&x_c=C&x_b=&x_d=&x_t=17"] {
            assert_eq!(SignedParams::from_query(query), Some(Ok(anonymous.clone())));
        }
        // Not a signed call at all: the browser flow, or no app.
        for query in [
            "",
            "x_a=A&x_b=S&x_target=https%3A%2F%2Fa",
            "x_c=C&x_t=1",
            "a=1",
        ] {
            assert_eq!(SignedParams::from_query(query), None, "{query}");
        }
        for query in [
            "x_a=A&x_t=17",
            "x_a=A&x_c=C",
            "x_a=A&x_c=&x_t=17",
            "x_a=A&x_c=C&x_t=soon",
            "x_a=A&x_a=A&x_c=C&x_t=17",
            "x_a=A&x_c=C&x_b=B&x_t=17",
            "x_a=A&x_c=C&x_b=B&x_d=&x_t=17",
            "x_a=A&x_c=C&x_d=D&x_t=17",
        ] {
            assert_eq!(
                SignedParams::from_query(query),
                Some(Err(Malformed)),
                "{query}"
            );
        }
    }

    #[test]
    fn strip_keeps_the_routes_own_parameters_as_sent() {
        assert_eq!(
            strip("x_a=A&roleId=3&x_b=B&x_c=C&X_D=D&x_t=1&searchTerm=a%20b&bookmark="),
            "roleId=3&searchTerm=a%20b&bookmark="
        );
        assert_eq!(strip("x_a=A&x_c=C&x_t=1"), "");
        assert_eq!(strip("x%5Fa=A&x_target=z"), "x_target=z");
    }

    #[test]
    fn callbacks_must_share_the_trusted_urls_scheme_host_and_port() {
        let trusted = "https://client.example.edu/callback";
        assert!(same_origin(
            trusted,
            "https://client.example.edu/other?state=1"
        ));
        assert!(same_origin(trusted, "https://client.example.edu:443/x"));
        assert!(!same_origin(trusted, "http://client.example.edu/callback"));
        assert!(!same_origin(
            trusted,
            "https://client.example.edu:8443/callback"
        ));
        assert!(!same_origin(trusted, "https://evil.example.edu/callback"));
        assert!(!same_origin(
            trusted,
            "https://client.example.edu.evil.org/"
        ));
        assert!(!same_origin(trusted, "not a url"));
    }

    #[test]
    fn ids_and_keys_are_random_and_url_safe() {
        let (a, b) = (generate_id(), generate_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(generate_key().len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join("d2l-groups-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join(format!("{}-{name}", generate_id()))
    }

    #[test]
    fn sealed_keys_open_only_with_their_secret_and_label() {
        let sealer = Sealer::new(&[7u8; 32], "a");
        let sealed = sealer.seal("label-1", "the key").expect("seal");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("the key"));
        assert_ne!(sealed, sealer.seal("label-1", "the key").expect("seal"));
        assert_eq!(sealer.open("label-1", &sealed).as_deref(), Ok("the key"));
        assert!(sealer.open("label-2", &sealed).is_err());
        let other = Sealer::new(&[8u8; 32], "/etc/other.secret");
        let err = other.open("label-1", &sealed).expect_err("wrong secret");
        assert!(err.contains("/etc/other.secret"), "{err}");
        assert!(sealer.open("label-1", "garbage").is_err());
    }

    #[test]
    fn the_secret_file_is_created_once_private_and_read_back() {
        let path = temp_path("secret");
        let first = SecretKeyFile::new(&path).sealer().expect("created");
        let text = std::fs::read_to_string(&path).expect("file");
        assert_eq!(STANDARD.decode(text.trim()).expect("base64").len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal("l", "k").expect("seal");
        // Another process (a new handle) reads the same secret.
        let again = SecretKeyFile::new(&path).sealer().expect("read");
        assert_eq!(again.open("l", &sealed).as_deref(), Ok("k"));
        std::fs::remove_file(&path).expect("cleanup");
    }

    #[test]
    fn processes_starting_together_end_with_one_secret() {
        let path = temp_path("race");
        let sealed: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let path = path.clone();
                    s.spawn(move || {
                        let sealer = SecretKeyFile::new(path).sealer().expect("secret");
                        sealer.seal("l", "k").expect("seal")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let sealer = SecretKeyFile::new(&path).sealer().expect("secret");
        for s in &sealed {
            assert_eq!(sealer.open("l", s).as_deref(), Ok("k"));
        }
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&*path.file_name().expect("name").to_string_lossy())
            })
            .count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_file(&path).expect("cleanup");
    }

    #[test]
    fn a_bad_secret_file_is_a_clear_error() {
        let path = temp_path("bad");
        std::fs::write(&path, "too short").expect("write");
        let err = SecretKeyFile::new(&path).sealer().expect_err("bad");
        assert!(err.contains("32 bytes"), "{err}");
        std::fs::remove_file(&path).expect("cleanup");
        let err = SecretKeyFile::new("/nonexistent-dir/x.secret")
            .sealer()
            .expect_err("no dir");
        assert!(err.contains("/nonexistent-dir/x.secret"), "{err}");
    }
}
