//! Signing in with a password, and the browser sessions that result: the units of work of the
//! sign-in page and of the `user password` command.
//!
//! A sign-in is two units: [`check`] reads the account and the recent failures and checks the
//! password (slow on purpose, so it runs in a read, never in the writer's turn), then
//! [`finish`] records the outcome: a session, or a failure counted against the account and
//! the client's address.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};

use crate::auth::sessions::{
    generate_secret, hash_password, hash_session_secret, same_text, verify_password,
};
use crate::bootstrap::find_institution;
use crate::db::rows::{NewSession, Session, User};
use crate::db::{sessions, users, DbConnection};
use crate::domain::sign_in::{self, RecentFailures, FAILURE_WINDOW, SESSION_LIFETIME};
use crate::error::{ApiError, ApiResult};
use crate::services::wrote::{Shared, Wrote};

/// What a sign-in form sent.
pub struct Attempt {
    /// The institution's acronym; `None` for the default (first) institution.
    pub institution: Option<String>,
    pub user_name: String,
    pub password: String,
    pub address: IpAddr,
}

/// The outcome of [`check`], for [`finish`].
pub enum Checked {
    /// The password is right and the account may sign in.
    Accepted { user: Box<User> },
    /// Wrong user name or password, an account without a password, or an inactive account:
    /// one answer for all, so the page does not tell which accounts exist.
    Refused { user_id: Option<i64> },
    /// Too many recent failures for the account or the address: refused unchecked.
    Throttled,
}

/// A session just opened: the cookies' values, shown to the browser once.
pub struct Opened {
    pub session_id: String,
    pub secret: String,
    pub expires_at: NaiveDateTime,
}

fn account_key(user_id: i64) -> String {
    format!("user:{user_id}")
}

fn address_key(address: IpAddr) -> String {
    format!("ip:{address}")
}

fn window() -> Duration {
    Duration::from_std(FAILURE_WINDOW).unwrap_or_else(|_| Duration::minutes(15))
}

/// Reads the account and the failures counted against this attempt, and checks the password.
pub fn check(conn: &mut DbConnection, attempt: &Attempt, now: NaiveDateTime) -> ApiResult<Checked> {
    let institution = match &attempt.institution {
        Some(acronym) => find_institution(conn, acronym).ok(),
        None => crate::bootstrap::default_institution(conn).ok(),
    };
    let found = match &institution {
        Some(i) => sessions::user_with_password(conn, i.id, &attempt.user_name.to_lowercase())?,
        None => None,
    };
    let since = now - window();
    let failures = RecentFailures {
        account: match &found {
            Some((user, _)) => sessions::failures_since(conn, &account_key(user.id), since)?,
            None => 0,
        },
        address: sessions::failures_since(conn, &address_key(attempt.address), since)?,
    };
    if failures.throttled() {
        return Ok(Checked::Throttled);
    }
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    // Checked even when the account cannot sign in, so that every refusal takes as long.
    let right = verify_password(&attempt.password, hash.as_deref());
    Ok(match user {
        Some(user) if right && user.is_active => Checked::Accepted {
            user: Box::new(user),
        },
        user => Checked::Refused {
            user_id: user.map(|u| u.id),
        },
    })
}

/// Records a refused attempt against its account (if it names one) and its address.
pub fn record_refusal(
    conn: &mut DbConnection,
    user_id: Option<i64>,
    address: IpAddr,
    now: NaiveDateTime,
) -> ApiResult<Wrote<(), Shared>> {
    let mut keys = vec![address_key(address)];
    keys.extend(user_id.map(account_key));
    sessions::record_failure(conn, &keys, now, now - window())?;
    Ok(Wrote::uncached(()))
}

/// Opens a session for a user who just proved their password; their account's failures are
/// forgotten. Sessions long expired are cleared on the way.
pub fn open(
    conn: &mut DbConnection,
    user: &User,
    now: NaiveDateTime,
) -> ApiResult<Wrote<Opened, Shared>> {
    sessions::clear_failures(conn, &account_key(user.id))?;
    sessions::delete_expired(conn, now)?;
    let lifetime = Duration::from_std(SESSION_LIFETIME).unwrap_or_else(|_| Duration::hours(8));
    let opened = Opened {
        session_id: generate_secret(),
        secret: generate_secret(),
        expires_at: now + lifetime,
    };
    sessions::create(
        conn,
        &NewSession {
            id: opened.session_id.clone(),
            secret_hash: hash_session_secret(&opened.secret),
            user_id: user.id,
            institution_id: user.institution_id,
            csrf_token: generate_secret(),
            created_at: now,
            expires_at: opened.expires_at,
        },
    )?;
    Ok(Wrote::uncached(opened))
}

/// The live session named by the cookies, with its user, if the secret matches and the user
/// is still active.
pub fn current(
    conn: &mut DbConnection,
    session_id: &str,
    secret: &str,
    now: NaiveDateTime,
) -> ApiResult<Option<(Session, User)>> {
    Ok(
        sessions::live(conn, session_id, now)?.filter(|(session, user)| {
            user.is_active && same_text(&session.secret_hash, &hash_session_secret(secret))
        }),
    )
}

/// Ends a session (sign-out).
pub fn close(conn: &mut DbConnection, session_id: &str) -> ApiResult<Wrote<(), Shared>> {
    sessions::delete(conn, session_id)?;
    Ok(Wrote::uncached(()))
}

/// Sets a user's password (the command line), checked by [`sign_in::check_password`]; their
/// open sessions end, as a changed password should end them. Hash first, outside the
/// transaction: `hash` is [`hash_new_password`]'s answer.
pub fn set_password(conn: &mut DbConnection, user: &User, hash: &str) -> ApiResult<()> {
    sessions::set_password(conn, user.id, Some(hash))?;
    sessions::delete_of_user(conn, user.id)
}

/// Checks a new password's rules and hashes it (slow: before the transaction).
pub fn hash_new_password(password: &str) -> ApiResult<String> {
    sign_in::check_password(password).map_err(ApiError::BadRequest)?;
    hash_password(password).map_err(ApiError::internal)
}

/// The institution's user by user name or id, for the command line.
pub fn user_by_name_or_id(
    conn: &mut DbConnection,
    institution_id: i64,
    who: &str,
) -> ApiResult<User> {
    users::find_user_by_name_or_id(conn, institution_id, who)
}
