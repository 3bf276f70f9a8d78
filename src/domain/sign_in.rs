//! Rules of signing in with a password: how long a session lasts, when guessing is throttled,
//! what a password must be, and where a sign-in may send the browser afterwards.

use std::time::Duration;

/// How long a browser session lasts after sign-in (no sliding renewal: sign in again).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// The window over which failed sign-ins are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed sign-ins to one account within [`FAILURE_WINDOW`] before it is refused for the rest
/// of the window, whatever the password (so guessing one account stays slow).
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;

/// Failed sign-ins from one client address within [`FAILURE_WINDOW`]: higher than per account,
/// since a campus NAT puts many honest people behind one address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// Shortest and longest password accepted when one is set.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Where a browser goes after signing in when no target is given.
pub const HOME: &str = "/d2l/home";

/// Failures counted against a sign-in attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecentFailures {
    /// Of the account named, if it exists.
    pub account: i64,
    /// From the client's address.
    pub address: i64,
}

impl RecentFailures {
    /// Whether the attempt is refused before its password is even checked.
    pub fn throttled(self) -> bool {
        self.account >= MAX_FAILURES_PER_ACCOUNT || self.address >= MAX_FAILURES_PER_ADDRESS
    }
}

/// A new password: long enough to resist guessing offline, short enough to hash cheaply.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "A password needs at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "A password may have at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    if password.contains('\0') {
        return Err("A password may not contain U+0000 (NUL).".into());
    }
    Ok(())
}

/// The path a sign-in sends the browser to: the `target` asked for when it is a path on this
/// server, else [`HOME`]. Anything that could leave the site (`//host`, `https://…`, a
/// backslash that browsers read as a slash, control characters) is refused: an open redirect
/// on a login page is a phishing tool.
pub fn safe_target(target: Option<&str>) -> &str {
    match target {
        Some(t)
            if t.starts_with('/')
                && !t.starts_with("//")
                && !t.contains('\\')
                && !t.chars().any(char::is_control) =>
        {
            t
        }
        _ => HOME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_server_are_targets() {
        assert_eq!(safe_target(None), HOME);
        assert_eq!(safe_target(Some("/d2l/le/6607")), "/d2l/le/6607");
        assert_eq!(
            safe_target(Some("/oauth2/auth?client_id=a&state=b")),
            "/oauth2/auth?client_id=a&state=b"
        );
        for away in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "/ok\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_target(Some(away)), HOME, "{away:?}");
        }
    }

    #[test]
    fn guessing_is_throttled_per_account_and_per_address() {
        let ok = RecentFailures {
            account: MAX_FAILURES_PER_ACCOUNT - 1,
            address: MAX_FAILURES_PER_ADDRESS - 1,
        };
        assert!(!ok.throttled());
        let account = RecentFailures {
            account: MAX_FAILURES_PER_ACCOUNT,
            ..ok
        };
        assert!(account.throttled());
        let address = RecentFailures {
            address: MAX_FAILURES_PER_ADDRESS,
            ..ok
        };
        assert!(address.throttled());
    }

    #[test]
    fn passwords_have_a_length_range() {
        assert!(check_password("correct horse").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        assert!(check_password("long enough\0").is_err());
        // Characters, not bytes.
        assert!(check_password("ééééééé").is_err());
        assert!(check_password("éééééééé").is_ok());
    }
}
