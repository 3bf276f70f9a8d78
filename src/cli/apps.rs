//! `app add`, `app user-key`, `app list`, `app revoke`: apps that sign calls with D2L's ID
//! keys (docs/security.md, "ID keys"). Keys are printed when made (and a user's pair again on
//! request, since its owner needs it to sign); they are stored encrypted under the server secret
//! (`--secret-key-file`), which the server must share.

use super::{institution_arg, open, settings_of, AppAddArgs, AppIdArgs, AppUserKeyArgs, Cli};
use crate::auth::scopes::ScopeSet;
use crate::bootstrap::find_user_by_name_or_id;
use crate::error::ApiError;
use crate::services::id_keys;

fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A trusted URL must be an absolute http(s) URL with a host: the browser flow compares a
/// callback's scheme, host and port with it.
fn check_trusted_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(text.to_string())
        }
        _ => Err(format!(
            "--trusted-url {text:?} is not an absolute http or https URL"
        )),
    }
}

/// Registers an app; prints `app_id=` and `app_key=`, the two lines an SDK is configured with.
pub fn add(cli: &Cli, args: &AppAddArgs) -> Result<(), String> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err("--name must not be empty".into());
    }
    let scopes = ScopeSet::parse(&args.scope)?;
    if scopes.is_empty() {
        return Err("--scope must name at least one scope".into());
    }
    let trusted_url = args
        .trusted_url
        .as_deref()
        .map(check_trusted_url)
        .transpose()?;
    let secret = settings_of(cli).secret_key_file;
    // Read (or create) the secret before touching the database, so that a bad file is the
    // error and not a half-made app.
    secret.sealer()?;
    let db = open(cli)?;
    let app = db
        .write_sync(|conn| {
            let institution = institution_arg(conn, args.institution.as_deref())?;
            id_keys::create_app(
                conn,
                &secret,
                institution.id,
                name,
                &scopes,
                trusted_url.as_deref(),
            )
        })
        .map_err(|e| e.cause())?;
    println!("app_id={}", app.app_id);
    println!("app_key={}", app.app_key);
    Ok(())
}

/// Prints `user_id=` and `user_key=` for a user of the app's institution: the pair made before
/// (until revoked), else a new one.
pub fn user_key(cli: &Cli, args: &AppUserKeyArgs) -> Result<(), String> {
    let secret = settings_of(cli).secret_key_file;
    secret.sealer()?;
    let db = open(cli)?;
    let (user_id, user_key) = db
        .write_sync(|conn| {
            let app = crate::db::apps::find_app(conn, &args.app)?
                .ok_or_else(|| ApiError::not_found(format!("No ID-key app {:?}.", args.app)))?;
            let user = find_user_by_name_or_id(conn, app.institution_id, &args.user)?;
            id_keys::user_key(conn, &secret, &app.app_id, user.id)
        })
        .map_err(|e| e.cause())?;
    println!("user_id={user_id}");
    println!("user_key={user_key}");
    Ok(())
}

/// One line per app, oldest first: id, institution, name, scope, trusted URL, dates. No keys.
pub fn list(cli: &Cli) -> Result<(), String> {
    let db = open(cli)?;
    let apps = db.read_sync(id_keys::list_apps).map_err(|e| e.cause())?;
    if apps.is_empty() {
        println!("no apps");
    }
    for (app, acronym) in &apps {
        let mut line = format!(
            "app_id={} institution={acronym} name={:?} scope={:?} trusted_url={} created_at={}",
            app.app_id,
            app.name,
            app.scope,
            app.trusted_url.as_deref().unwrap_or("-"),
            timestamp(app.created_at),
        );
        if let Some(revoked) = app.revoked_at {
            line.push_str(&format!(" revoked_at={}", timestamp(revoked)));
        }
        println!("{line}");
    }
    Ok(())
}

/// Revokes an app; prints its id and when it was revoked.
pub fn revoke(cli: &Cli, args: &AppIdArgs) -> Result<(), String> {
    let db = open(cli)?;
    let app = db
        .write_sync(|conn| id_keys::revoke_app(conn, &args.app))
        .map_err(|e| e.cause())?;
    println!("app_id={}", app.app_id);
    if let Some(revoked) = app.revoked_at {
        println!("revoked_at={}", timestamp(revoked));
    }
    Ok(())
}
