//! The authorization-code grant (RFC 6749 §4.1, with PKCE) and rotating refresh tokens
//! (RFC 9700 §4.14): reading an authorization request, issuing its code, exchanging it,
//! refreshing, and a user's list and revocation of the apps they authorized.
//!
//! A refusal that must leave a trace (a reused code or refresh token revokes the grant it
//! belongs to) is answered as `Ok(Err(..))`, so that the transaction still commits.

use chrono::{Duration, NaiveDateTime};

use crate::auth::scopes::ScopeSet;
use crate::auth::secrets::{generate_secret, verify_secret};
use crate::auth::sessions::hash_session_secret as hash_token;
use crate::auth::tokens::TokenService;
use crate::db::rows::{NewOAuthGrant, OAuthClient, OAuthCode, OAuthGrant, User};
use crate::db::standing::{self, Standing};
use crate::db::{clients, oauth, DbConnection};
use crate::domain::oauth::{
    check_challenge, is_registered, verifier_matches, ErrorCode, OAuthError, CODE_LIFETIME,
};
use crate::error::{ApiError, ApiResult};

/// The parameters of `GET /oauth2/auth`, as sent.
#[derive(Clone, Debug, Default)]
pub struct AuthorizeRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// An authorization request that may go on to the user.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    pub client: OAuthClient,
    pub redirect_uri: String,
    pub scopes: ScopeSet,
    pub challenge: Option<String>,
}

/// What to do with an authorization request.
pub enum Verdict {
    /// The client or redirect URI cannot be trusted: say so on a page, never redirect.
    ShowError(OAuthError),
    /// Send the error back to the (registered) redirect URI.
    RedirectError {
        redirect_uri: String,
        error: OAuthError,
    },
    Valid(Box<ValidRequest>),
}

/// Reads an authorization request: the client and its redirect URI first (errors about them
/// are shown, RFC 6749 §4.1.2.1), then the rest (sent back to the redirect URI).
pub fn read_request(conn: &mut DbConnection, req: &AuthorizeRequest) -> ApiResult<Verdict> {
    let show = |code, text: &str| Ok(Verdict::ShowError(OAuthError::new(code, text)));
    let Some(client_id) = req.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return show(ErrorCode::InvalidRequest, "client_id is required.");
    };
    let client = match clients::find(conn, client_id)? {
        Some(c) if c.revoked_at.is_none() => c,
        _ => {
            return show(
                ErrorCode::InvalidClient,
                "No such application is registered.",
            )
        }
    };
    let redirect_uri = match req.redirect_uri.as_deref() {
        Some(uri) if is_registered(&client.redirect_uris, uri) => uri.to_string(),
        Some(_) => {
            return show(
                ErrorCode::InvalidRequest,
                "The redirect_uri is not one the application registered.",
            )
        }
        None => {
            let mut registered = client.redirect_uris.split_whitespace();
            match (registered.next(), registered.next()) {
                (Some(only), None) => only.to_string(),
                _ => return show(ErrorCode::InvalidRequest, "redirect_uri is required."),
            }
        }
    };
    let refuse = |code, text: &str| {
        Ok(Verdict::RedirectError {
            redirect_uri: redirect_uri.clone(),
            error: OAuthError::new(code, text),
        })
    };
    if client.grant_type != OAuthClient::AUTHORIZATION_CODE {
        return refuse(
            ErrorCode::UnauthorizedClient,
            "The application is not registered for the authorization-code grant.",
        );
    }
    match req.response_type.as_deref() {
        Some("code") => {}
        None => return refuse(ErrorCode::InvalidRequest, "response_type is required."),
        Some(_) => {
            return refuse(
                ErrorCode::UnsupportedResponseType,
                "Only response_type=code is supported.",
            )
        }
    }
    let registered = ScopeSet::parse(&client.scope).map_err(ApiError::internal)?;
    let scopes = match req.scope.as_deref().map(str::trim) {
        None | Some("") => registered,
        Some(text) => match ScopeSet::parse(text) {
            Ok(asked) if asked.within(&registered) => asked,
            Ok(_) => {
                return refuse(
                    ErrorCode::InvalidScope,
                    "The scope asked for exceeds the application's registration.",
                )
            }
            Err(e) => return refuse(ErrorCode::InvalidScope, &e),
        },
    };
    let challenge = match check_challenge(
        req.code_challenge.as_deref(),
        req.code_challenge_method.as_deref(),
    ) {
        Ok(c) => c,
        Err(error) => {
            return Ok(Verdict::RedirectError {
                redirect_uri,
                error,
            })
        }
    };
    Ok(Verdict::Valid(Box::new(ValidRequest {
        client,
        redirect_uri,
        scopes,
        challenge,
    })))
}

/// Issues the code for a request `user` approved; answers its text (shown once).
pub fn issue_code(
    conn: &mut DbConnection,
    request: &ValidRequest,
    user: &User,
    now: NaiveDateTime,
) -> ApiResult<Result<String, OAuthError>> {
    if user.institution_id != request.client.institution_id {
        return Ok(Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "The application belongs to another institution than the signed-in user.",
        )));
    }
    oauth::delete_expired_codes(conn, now)?;
    let code = generate_secret();
    let lifetime = Duration::from_std(CODE_LIFETIME).unwrap_or_else(|_| Duration::minutes(5));
    oauth::insert_code(
        conn,
        &OAuthCode {
            code_hash: hash_token(&code),
            client_id: request.client.client_id.clone(),
            user_id: user.id,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scopes.to_string(),
            code_challenge: request.challenge.clone(),
            created_at: now,
            expires_at: now + lifetime,
            grant_id: None,
        },
    )?;
    Ok(Ok(code))
}

/// The client of a code or refresh request, authenticated by its secret (slow: in a read,
/// before the write). `None` is `invalid_client`.
pub fn authenticate_client(
    conn: &mut DbConnection,
    client_id: &str,
    secret: &str,
) -> ApiResult<Option<OAuthClient>> {
    Ok(clients::find(conn, client_id)?
        .filter(|c| c.revoked_at.is_none() && verify_secret(secret, &c.secret_hash)))
}

/// Tokens issued by the code or refresh grant.
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub scopes: ScopeSet,
}

fn invalid_grant(text: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, text)
}

/// What a code-exchange request carries besides the client.
pub struct Exchange {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// The code grant: a code of this client, unused, unexpired, for this redirect URI and PKCE
/// verifier. Its exchange makes a grant; a second exchange revokes that grant (RFC 6749
/// §4.1.2) and is `invalid_grant`.
pub fn exchange_code(
    conn: &mut DbConnection,
    tokens: &TokenService,
    client: &OAuthClient,
    exchange: &Exchange,
    default_ttl: i64,
    now: NaiveDateTime,
) -> ApiResult<Result<Issued, OAuthError>> {
    if client.grant_type != OAuthClient::AUTHORIZATION_CODE {
        return Ok(Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "The client is not registered for the authorization-code grant.",
        )));
    }
    let hash = hash_token(&exchange.code);
    let Some(code) = oauth::code(conn, &hash)?.filter(|c| c.client_id == client.client_id) else {
        return Ok(Err(invalid_grant("The code is unknown.")));
    };
    if let Some(grant_id) = code.grant_id {
        oauth::revoke_grant(conn, grant_id, now)?;
        return Ok(Err(invalid_grant(
            "The code was used already; the tokens issued for it are revoked.",
        )));
    }
    if code.expires_at <= now {
        return Ok(Err(invalid_grant("The code has expired.")));
    }
    if exchange.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Ok(Err(invalid_grant(
            "redirect_uri must be the one of the authorization request.",
        )));
    }
    match (&code.code_challenge, exchange.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if verifier_matches(verifier, challenge) => {}
        (None, None) => {}
        (Some(_), _) => return Ok(Err(invalid_grant("The code_verifier does not match."))),
        (None, Some(_)) => return Ok(Err(invalid_grant(
            "The authorization request sent no code_challenge, so no code_verifier is expected.",
        ))),
    }
    if let Some(refused) = inactive(conn, client, code.user_id)? {
        return Ok(Err(refused));
    }
    let grant_id = oauth::insert_grant(
        conn,
        &NewOAuthGrant {
            client_id: &client.client_id,
            user_id: code.user_id,
            institution_id: client.institution_id,
            scope: &code.scope,
            created_at: now,
        },
    )?;
    if !oauth::spend_code(conn, &hash, grant_id)? {
        return Ok(Err(invalid_grant("The code was used already.")));
    }
    let scopes = ScopeSet::parse(&code.scope).map_err(ApiError::internal)?;
    let issued = issue(
        conn,
        tokens,
        client,
        code.user_id,
        grant_id,
        scopes,
        default_ttl,
        now,
    )?;
    Ok(Ok(issued))
}

/// The refresh grant: a live refresh token of this client, spent and replaced by a new one.
/// A token presented twice revokes its whole grant (RFC 9700 §4.14.2). `scope` may narrow.
pub fn refresh(
    conn: &mut DbConnection,
    tokens: &TokenService,
    client: &OAuthClient,
    refresh_token: &str,
    scope: Option<&ScopeSet>,
    default_ttl: i64,
    now: NaiveDateTime,
) -> ApiResult<Result<Issued, OAuthError>> {
    let hash = hash_token(refresh_token);
    let Some((grant_id, used_at)) = oauth::refresh_token(conn, &hash)? else {
        return Ok(Err(invalid_grant("The refresh token is unknown.")));
    };
    let Some(grant) = oauth::grant(conn, grant_id)?.filter(|g| g.client_id == client.client_id)
    else {
        return Ok(Err(invalid_grant("The refresh token is unknown.")));
    };
    if grant.revoked_at.is_some() {
        return Ok(Err(invalid_grant(
            "The authorization behind this refresh token has been revoked.",
        )));
    }
    if used_at.is_some() || !oauth::spend_refresh_token(conn, &hash, now)? {
        oauth::revoke_grant(conn, grant.id, now)?;
        return Ok(Err(invalid_grant(
            "The refresh token was used already; the authorization is revoked.",
        )));
    }
    let granted = ScopeSet::parse(&grant.scope).map_err(ApiError::internal)?;
    let scopes = match scope {
        None => granted,
        Some(asked) if asked.within(&granted) => asked.clone(),
        Some(_) => {
            return Ok(Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "A refresh may narrow the scope, not widen it.",
            )))
        }
    };
    if let Some(refused) = inactive(conn, client, grant.user_id)? {
        return Ok(Err(refused));
    }
    let issued = issue(
        conn,
        tokens,
        client,
        grant.user_id,
        grant.id,
        scopes,
        default_ttl,
        now,
    )?;
    Ok(Ok(issued))
}

/// `invalid_grant` when the user may no longer sign in.
fn inactive(
    conn: &mut DbConnection,
    client: &OAuthClient,
    user_id: i64,
) -> ApiResult<Option<OAuthError>> {
    Ok(
        match standing::of_token_holder(conn, client.institution_id, user_id, None, None)? {
            Standing::Active => None,
            _ => Some(invalid_grant("The user is not active.")),
        },
    )
}

/// An access token for the grant, and a new refresh token when the app has them.
#[allow(clippy::too_many_arguments)]
fn issue(
    conn: &mut DbConnection,
    tokens: &TokenService,
    client: &OAuthClient,
    user_id: i64,
    grant_id: i64,
    scopes: ScopeSet,
    default_ttl: i64,
    now: NaiveDateTime,
) -> ApiResult<Issued> {
    let refresh_token = if client.issues_refresh_tokens {
        let token = generate_secret();
        oauth::insert_refresh_token(conn, &hash_token(&token), grant_id, now)?;
        Some(token)
    } else {
        None
    };
    let key = tokens.signing_key(conn, client.institution_id)?;
    let ttl = client.access_token_lifetime.unwrap_or(default_ttl);
    let (access_token, expires_in) = tokens.issue_for_grant(
        &key,
        user_id,
        &scopes,
        &client.client_id,
        ttl,
        Some(grant_id),
    )?;
    Ok(Issued {
        access_token,
        expires_in,
        refresh_token,
        scopes,
    })
}

/// The apps `user` has authorized and not revoked, one entry per app, with the scopes of all
/// its live grants.
pub fn authorized_apps(
    conn: &mut DbConnection,
    user: &User,
) -> ApiResult<Vec<(OAuthClient, OAuthGrant)>> {
    let mut apps: Vec<(OAuthClient, OAuthGrant)> = Vec::new();
    for (grant, client) in oauth::live_grants_of_user(conn, user.id)? {
        match apps
            .iter_mut()
            .find(|(c, _)| c.client_id == client.client_id)
        {
            Some((_, latest)) => *latest = grant,
            None => apps.push((client, grant)),
        }
    }
    Ok(apps)
}

/// Revokes every authorization `user` gave `client_id`: its access and refresh tokens stop
/// working at once. Answers how many grants ended (0 when there were none).
pub fn revoke_app(
    conn: &mut DbConnection,
    user: &User,
    client_id: &str,
    now: NaiveDateTime,
) -> ApiResult<usize> {
    oauth::revoke_user_grants(conn, user.id, client_id, now)
}
