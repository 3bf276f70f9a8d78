//! `client add | list | revoke`: OAuth clients. A client-credentials client acts as its
//! service user; an authorization-code app acts for each user who authorizes it, with the
//! redirect URIs, token lifetime, refresh tokens and consent it is registered with. A
//! client-credentials client registered with public keys authenticates with a private-key JWT.

use clap::{Args, Subcommand};

use super::{institution_arg, open, Cli};
use crate::auth::assertion;
use crate::auth::scopes::ScopeSet;
use crate::auth::secrets::NewSecret;
use crate::bootstrap::find_user_by_name_or_id;
use crate::db::clients;
use crate::db::rows::OAuthClient;
use crate::domain::oauth::{check_redirect_uri, check_token_lifetime};

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register an OAuth client; prints its id and secret once.
    Add(ClientAddArgs),
    /// List the institution's clients (no secrets).
    List(ClientListArgs),
    /// Revoke a client: its tokens are refused at once, and it gets no more.
    Revoke(ClientRevokeArgs),
}

#[derive(Args, Debug)]
pub struct ClientAddArgs {
    #[arg(long)]
    pub name: String,
    /// UserName or UserId: the service user a client-credentials client acts as, or the
    /// user registering an authorization-code app.
    #[arg(long)]
    pub user: String,
    /// The scopes the client may be granted, space-separated.
    #[arg(long)]
    pub scope: String,
    /// Institution id or acronym (default: the first institution, created by the bootstrap).
    #[arg(long)]
    pub institution: Option<String>,
    /// `client_credentials` (default) or `authorization_code`.
    #[arg(long, default_value = "client_credentials", value_parser = ["client_credentials", "authorization_code"])]
    pub grant: String,
    /// A redirect URI of an authorization-code app (repeat for several); matched exactly.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Access-token lifetime in seconds (1800 to 72000); the server's default if absent.
    #[arg(long)]
    pub token_lifetime: Option<i64>,
    /// Issue rotating refresh tokens (authorization-code apps).
    #[arg(long)]
    pub refresh_tokens: bool,
    /// Ask each user's consent before issuing a code (authorization-code apps).
    #[arg(long)]
    pub consent: bool,
    /// A JWKS file (`{"keys": [...]}`, RSA public keys) of a client-credentials client: it
    /// then authenticates only with a private-key JWT assertion (RFC 7523), never its secret.
    #[arg(long, value_name = "PATH", conflicts_with = "public_key_file")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// An RSA public key in PEM, kept as a one-key JWKS (as --jwks-file, without a kid).
    #[arg(long, value_name = "PATH")]
    pub public_key_file: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ClientListArgs {
    #[arg(long)]
    pub institution: Option<String>,
}

#[derive(Args, Debug)]
pub struct ClientRevokeArgs {
    /// The client id.
    #[arg(long)]
    pub client: String,
}

pub fn run(cli: &Cli, command: &ClientCommand) -> Result<(), String> {
    match command {
        ClientCommand::Add(args) => add(cli, args),
        ClientCommand::List(args) => list(cli, args),
        ClientCommand::Revoke(args) => revoke(cli, args),
    }
}

fn add(cli: &Cli, args: &ClientAddArgs) -> Result<(), String> {
    let scopes = ScopeSet::parse(&args.scope)?;
    if scopes.is_empty() {
        return Err("--scope must name at least one scope".into());
    }
    if args.name.trim().is_empty() {
        return Err("--name must not be empty".into());
    }
    let code_flow = args.grant == OAuthClient::AUTHORIZATION_CODE;
    if code_flow && args.redirect_uris.is_empty() {
        return Err("an authorization_code app needs at least one --redirect-uri".into());
    }
    if !code_flow && (!args.redirect_uris.is_empty() || args.refresh_tokens || args.consent) {
        return Err(
            "--redirect-uri, --refresh-tokens and --consent are for --grant authorization_code"
                .into(),
        );
    }
    if code_flow && (args.jwks_file.is_some() || args.public_key_file.is_some()) {
        return Err("--jwks-file and --public-key-file are for --grant client_credentials".into());
    }
    for uri in &args.redirect_uris {
        check_redirect_uri(uri)?;
    }
    let jwks = registered_keys(args)?;
    if let Some(seconds) = args.token_lifetime {
        check_token_lifetime(seconds)?;
    }
    let db = open(cli)?;
    let secret = NewSecret::generate()?;
    let client_id = uuid::Uuid::new_v4().to_string();
    db.write_sync(|conn| {
        let institution = institution_arg(conn, args.institution.as_deref())?;
        let user = find_user_by_name_or_id(conn, institution.id, &args.user)?;
        let mut client = OAuthClient::acting_as(
            user.id,
            institution.id,
            client_id.clone(),
            args.name.clone(),
            secret.hash.clone(),
            scopes.to_string(),
            chrono::Utc::now().naive_utc(),
        );
        client.grant_type = args.grant.clone();
        client.redirect_uris = args.redirect_uris.join(" ");
        client.access_token_lifetime = args.token_lifetime;
        client.issues_refresh_tokens = args.refresh_tokens;
        client.prompts_consent = args.consent;
        client.jwks = jwks.clone();
        clients::insert(conn, &client)
    })
    .map_err(|e| e.cause())?;
    println!("client_id={client_id}");
    println!("client_secret={}", secret.secret);
    if jwks.is_some() {
        println!("client_authentication=private_key_jwt");
    }
    Ok(())
}

/// The public keys of `--jwks-file` or `--public-key-file`, checked and as stored.
fn registered_keys(args: &ClientAddArgs) -> Result<Option<String>, String> {
    let read = |path: &std::path::Path, flag: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
    };
    if let Some(path) = &args.jwks_file {
        let text = read(path, "--jwks-file")?;
        return assertion::parse_jwks(&text)
            .map(Some)
            .map_err(|e| format!("--jwks-file {}: {e}", path.display()));
    }
    if let Some(path) = &args.public_key_file {
        let text = read(path, "--public-key-file")?;
        return assertion::jwks_from_public_key_pem(&text)
            .map(Some)
            .map_err(|e| format!("--public-key-file {}: {e}", path.display()));
    }
    Ok(None)
}

fn list(cli: &Cli, args: &ClientListArgs) -> Result<(), String> {
    let db = open(cli)?;
    let all = db
        .read_sync(|conn| {
            let institution = institution_arg(conn, args.institution.as_deref())?;
            clients::of_institution(conn, institution.id)
        })
        .map_err(|e| e.cause())?;
    println!("client_id\tgrant\tstate\tname\tscope\tredirect_uris");
    for c in all {
        let state = if c.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        println!(
            "{}\t{}\t{state}\t{}\t{}\t{}",
            c.client_id, c.grant_type, c.name, c.scope, c.redirect_uris
        );
    }
    Ok(())
}

fn revoke(cli: &Cli, args: &ClientRevokeArgs) -> Result<(), String> {
    let db = open(cli)?;
    db.write_sync(|conn| {
        match clients::find(conn, &args.client)? {
            Some(c) if c.revoked_at.is_none() => {}
            Some(_) => return Ok(()),
            None => {
                return Err(crate::error::ApiError::not_found(format!(
                    "no client {:?}",
                    args.client
                )))
            }
        }
        clients::revoke(conn, &args.client, chrono::Utc::now().naive_utc())
    })
    .map_err(|e| e.cause())?;
    println!("client_id={}", args.client);
    println!("revoked=true");
    Ok(())
}
