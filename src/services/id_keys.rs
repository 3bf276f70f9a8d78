//! D2L's ID keys (docs/security.md, "ID keys"): apps and their users' id/key pairs, made
//! and revoked by the command line, and the check of a signed call that the authentication
//! middleware runs. The browser flow (`GET /d2l/auth/api/token`) is built on [`app_for_target`]
//! and [`user_key`].
//!
//! Keys are random, kept sealed with the server secret (`auth::id_key::Sealer`) and opened
//! only here, to check a signature or to hand a pair to its owner.

use crate::auth::id_key::{self, Sealer, SecretKeyFile, SignedParams};
use crate::auth::scopes::ScopeSet;
use crate::db::rows::{IdKeyApp, IdKeyUser};
use crate::db::{apps, institutions, users, DbConnection};
use crate::error::{ApiError, ApiResult, IdKeyRefusal};

/// A registered app's credentials, shown to its owner once.
pub struct NewApp {
    pub app_id: String,
    pub app_key: String,
}

fn sealer(secret: &SecretKeyFile) -> ApiResult<std::sync::Arc<Sealer>> {
    secret.sealer().map_err(ApiError::Internal)
}

/// Registers an app of `institution_id` with a new random id and key; `scope` is what its
/// calls hold, `trusted_url` where the browser flow may send its users back to.
pub fn create_app(
    conn: &mut DbConnection,
    secret: &SecretKeyFile,
    institution_id: i64,
    name: &str,
    scope: &ScopeSet,
    trusted_url: Option<&str>,
) -> ApiResult<NewApp> {
    let sealer = sealer(secret)?;
    let app_id = id_key::generate_id();
    let app_key = id_key::generate_key();
    let sealed = sealer
        .seal(&id_key::app_key_label(&app_id), &app_key)
        .map_err(ApiError::Internal)?;
    apps::insert_app(
        conn,
        &IdKeyApp {
            app_id: app_id.clone(),
            institution_id,
            name: name.to_string(),
            app_key: sealed,
            scope: scope.to_string(),
            trusted_url: trusted_url.map(str::to_string),
            revoked_at: None,
            created_at: chrono::Utc::now().naive_utc(),
        },
    )?;
    Ok(NewApp { app_id, app_key })
}

/// The app `app_id`, refused when unknown (404) or revoked (403), with a message for operators.
fn live_app(conn: &mut DbConnection, app_id: &str) -> ApiResult<IdKeyApp> {
    let app = apps::find_app(conn, app_id)?
        .ok_or_else(|| ApiError::not_found(format!("No ID-key app {app_id:?}.")))?;
    if app.revoked_at.is_some() {
        return Err(ApiError::forbidden(format!(
            "The ID-key app {app_id:?} is revoked."
        )));
    }
    Ok(app)
}

/// The id/key pair of user `user_id` for app `app_id` (the user id and user key a signed call
/// carries as `x_b` and signs `x_d` with): the pair made before if it is not revoked, else a
/// new one. The user must belong to the app's institution. Unknown app or user: 404; revoked
/// app: 403; a stored key the secret cannot open: 500 (its cause says which file).
pub fn user_key(
    conn: &mut DbConnection,
    secret: &SecretKeyFile,
    app_id: &str,
    user_id: i64,
) -> ApiResult<(String, String)> {
    let app = live_app(conn, app_id)?;
    let user = users::find(conn, app.institution_id, user_id)?;
    let sealer = sealer(secret)?;
    if let Some(pair) = apps::live_user_key(conn, &app.app_id, user.id)? {
        let key = sealer
            .open(&id_key::user_key_label(&pair.key_user_id), &pair.user_key)
            .map_err(ApiError::Internal)?;
        return Ok((pair.key_user_id, key));
    }
    let key_user_id = id_key::generate_id();
    let key = id_key::generate_key();
    let sealed = sealer
        .seal(&id_key::user_key_label(&key_user_id), &key)
        .map_err(ApiError::Internal)?;
    // Two at once for one user: the unique index refuses the second, `Db::write` runs it
    // again, and it finds the first.
    apps::insert_user_key(
        conn,
        &IdKeyUser {
            key_user_id: key_user_id.clone(),
            app_id: app.app_id,
            user_id: user.id,
            user_key: sealed,
            revoked_at: None,
            created_at: chrono::Utc::now().naive_utc(),
        },
    )?;
    Ok((key_user_id, key))
}

/// The browser flow's check (brightspace-2026.md §10.3): `signature` (its `x_b`) must be the
/// app key's signature of `target` (its `x_target`, URL-decoded as the query gives it), and
/// `target` must have the scheme, host and port of the app's trusted URL. Every refusal —
/// unknown or revoked app, no trusted URL registered, a wrong signature, another origin — is
/// `ApiError::IdKey(InvalidToken)`, 403 `Invalid token`.
pub fn app_for_target(
    conn: &mut DbConnection,
    secret: &SecretKeyFile,
    app_id: &str,
    target: &str,
    signature: &str,
) -> ApiResult<IdKeyApp> {
    let refused = || ApiError::IdKey(IdKeyRefusal::InvalidToken);
    let app = apps::find_app(conn, app_id)?
        .filter(|app| app.revoked_at.is_none())
        .ok_or_else(refused)?;
    let key = sealer(secret)?
        .open(&id_key::app_key_label(&app.app_id), &app.app_key)
        .map_err(ApiError::Internal)?;
    if !id_key::verify(&key, target, signature) {
        return Err(refused());
    }
    match &app.trusted_url {
        Some(trusted) if id_key::same_origin(trusted, target) => Ok(app),
        _ => Err(refused()),
    }
}

/// Every app with its institution's acronym, oldest first (keys stay sealed).
pub fn list_apps(conn: &mut DbConnection) -> ApiResult<Vec<(IdKeyApp, String)>> {
    let acronyms: std::collections::HashMap<i64, String> = institutions::all(conn)?
        .into_iter()
        .map(|i| (i.id, i.acronym))
        .collect();
    Ok(apps::all_apps(conn)?
        .into_iter()
        .map(|app| {
            let acronym = acronyms
                .get(&app.institution_id)
                .cloned()
                .unwrap_or_default();
            (app, acronym)
        })
        .collect())
}

/// Revokes app `app_id` (unknown: 404): its signatures, with every user key, are refused from
/// then on. Revoking a revoked app changes nothing. Answers the app as it is now.
pub fn revoke_app(conn: &mut DbConnection, app_id: &str) -> ApiResult<IdKeyApp> {
    if apps::find_app(conn, app_id)?.is_none() {
        return Err(ApiError::not_found(format!("No ID-key app {app_id:?}.")));
    }
    apps::revoke_app(conn, app_id, chrono::Utc::now().naive_utc())?;
    apps::find_app(conn, app_id)?
        .ok_or_else(|| ApiError::not_found(format!("No ID-key app {app_id:?}.")))
}

/// What a signed call's check found.
#[derive(Debug)]
pub enum Check {
    /// The app's signature (and the user's, if the call names one) is good and in time.
    Signed(Signer),
    Refused(IdKeyRefusal),
    /// A stored key cannot be opened with the configured secret: the server's fault, logged.
    Faulty(String),
}

/// Who signed a call.
#[derive(Debug)]
pub struct Signer {
    pub app_id: String,
    pub institution_id: i64,
    pub tenant_id: String,
    /// The app's registered scope, which every call of it holds.
    pub scopes: ScopeSet,
    /// The user the pair belongs to; `None` on an app-only (anonymous) call.
    pub user_id: Option<i64>,
}

/// Checks a signed call (`method` and `raw_path` as received, the path not decoded) at Unix
/// time `now`: the app known and not revoked and `x_c` its signature, then `x_t` within the
/// window, then, when the call names a user, that pair known, of this app, not revoked, and
/// `x_d` its signature. The user's own standing (active, of the institution) is the
/// middleware's, as for bearer tokens. `Err` is database trouble only.
pub fn check(
    conn: &mut DbConnection,
    secret: &SecretKeyFile,
    params: &SignedParams,
    method: &str,
    raw_path: &str,
    now: i64,
) -> ApiResult<Check> {
    let invalid = Ok(Check::Refused(IdKeyRefusal::InvalidToken));
    let Some(app) = apps::find_app(conn, &params.app_id)?.filter(|a| a.revoked_at.is_none()) else {
        return invalid;
    };
    let sealer = match secret.sealer() {
        Ok(sealer) => sealer,
        Err(cause) => return Ok(Check::Faulty(cause)),
    };
    let app_key = match sealer.open(&id_key::app_key_label(&app.app_id), &app.app_key) {
        Ok(key) => key,
        Err(cause) => return Ok(Check::Faulty(cause)),
    };
    let signs = |key: &str, signature: &str| {
        id_key::signature_matches(key, method, raw_path, &params.timestamp, signature)
    };
    if !signs(&app_key, &params.app_signature) {
        return invalid;
    }
    if !id_key::within_window(params.unix_time(), now) {
        return Ok(Check::Refused(IdKeyRefusal::TimestampOutOfRange {
            server_time: now,
        }));
    }
    let user_id = match &params.user {
        None => None,
        Some((key_user_id, signature)) => {
            let Some(pair) = apps::find_user_key(conn, key_user_id)?
                .filter(|p| p.app_id == app.app_id && p.revoked_at.is_none())
            else {
                return invalid;
            };
            let user_key =
                match sealer.open(&id_key::user_key_label(&pair.key_user_id), &pair.user_key) {
                    Ok(key) => key,
                    Err(cause) => return Ok(Check::Faulty(cause)),
                };
            if !signs(&user_key, signature) {
                return invalid;
            }
            Some(pair.user_id)
        }
    };
    let scopes = match ScopeSet::parse(&app.scope) {
        Ok(scopes) => scopes,
        Err(e) => {
            return Ok(Check::Faulty(format!(
                "the ID-key app {} has an unreadable scope: {e}",
                app.app_id
            )))
        }
    };
    let institution = institutions::find(conn, app.institution_id)?;
    Ok(Check::Signed(Signer {
        app_id: app.app_id,
        institution_id: institution.id,
        tenant_id: institution.tenant_id,
        scopes,
        user_id,
    }))
}
