//! Who is calling: bearer tokens (signing, verifying, caching), D2L's ID-key signatures,
//! client secrets and scopes.

pub mod assertion;
pub mod id_key;
pub mod scopes;
pub mod secrets;
pub mod sessions;
pub mod tokens;

use scopes::ScopeSet;

/// The verified identity behind a request, put in the request's extensions by the
/// authentication middleware and read by handlers through the `Caller` and `Authorized`
/// extractors (`handlers::extract`).
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub institution_id: i64,
    pub tenant_id: String,
    pub scopes: ScopeSet,
    /// The OAuth client the token was issued to; the CLI's tokens carry [`tokens::CLI_CLIENT_ID`],
    /// ID-key calls [`id_key::CLIENT_PREFIX`] and their app id.
    pub client_id: Option<String>,
    /// The user's authorization of the client, for tokens of the authorization-code flow.
    pub grant_id: Option<i64>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The OAuth client whose row must still stand behind `caller`'s token: none for the server's
/// own callers (`tokens::is_own_client`: the CLI, the console, whose browser session is read
/// with every request, and the seeder) and ID-key calls (their app and user pair are checked
/// with every signature).
pub fn standing_client(caller: &Caller) -> Option<String> {
    caller
        .client_id
        .clone()
        .filter(|c| !tokens::is_own_client(c) && !c.starts_with(id_key::CLIENT_PREFIX))
}

/// The outcome of looking at a request's `Authorization` header (or its ID-key signature),
/// stored in its extensions.
#[derive(Clone, Debug)]
pub enum Authentication {
    Anonymous,
    Verified(std::sync::Arc<Caller>),
    /// A token was sent and rejected; the reason goes back in the 401.
    Rejected(String),
    /// The token could not be checked because the database is out of reach: 503, never 401
    /// (a client told its token is bad would throw it away and start over for nothing).
    Unchecked(String),
    /// An ID-key call signed by a known app without a user (§10.4): anonymous to the routes,
    /// but charged to the app's bucket; a route that needs a caller answers `Invalid token`.
    IdKeyAnonymous {
        institution_id: i64,
        /// [`id_key::CLIENT_PREFIX`] and the app id.
        client_id: String,
    },
    /// An ID-key signature refused: answered at once, on every route, in the plain text
    /// D2L's SDKs parse.
    IdKeyRefused(crate::error::IdKeyRefusal),
    /// An ID-key signature that cannot be checked for a fault of the server (stored keys the
    /// configured secret does not open): 500, the cause logged.
    Faulty(String),
}

impl Authentication {
    /// The verified caller, or the answer for a request that needs one and has none.
    pub fn caller(&self) -> Result<&std::sync::Arc<Caller>, crate::error::ApiError> {
        use crate::error::ApiError;
        match self {
            Authentication::Verified(caller) => Ok(caller),
            Authentication::Rejected(reason) => Err(ApiError::Unauthorized(reason.clone())),
            Authentication::Unchecked(cause) => Err(ApiError::Unavailable(cause.clone())),
            Authentication::Anonymous => {
                Err(ApiError::Unauthorized("A bearer token is required.".into()))
            }
            Authentication::IdKeyAnonymous { .. } => {
                Err(ApiError::IdKey(crate::error::IdKeyRefusal::InvalidToken))
            }
            Authentication::IdKeyRefused(refusal) => Err(ApiError::IdKey(*refusal)),
            Authentication::Faulty(cause) => Err(ApiError::Internal(cause.clone())),
        }
    }
}

/// What a gated handler knows of its caller: who they are and the permission its route requires
/// (from the route table). Services take it to check access, so a handler never unpacks it.
#[derive(Clone)]
pub struct Authorized {
    pub caller: Caller,
    pub permission: Option<crate::domain::permissions::Permission>,
    /// Effective permissions already worked out, per (user, org unit) (`services::access`).
    pub known_permissions: std::sync::Arc<PermissionMemo>,
}

/// Permissions read from the database, remembered until a write they depend on.
pub type PermissionMemo =
    crate::db::memo::Memo<PermissionsOf, crate::domain::permissions::PermissionSet>;

/// Whose permissions a [`PermissionMemo`] entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermissionsOf {
    /// A user's effective permissions in an org unit.
    Holder { user_id: i64, org_unit_id: i64 },
    /// What a role grants (for "may the caller give this role").
    Role(i64),
}

impl Authorized {
    /// The route's permission; every route that names an org unit has one in the table.
    pub fn permission(
        &self,
    ) -> Result<crate::domain::permissions::Permission, crate::error::ApiError> {
        self.permission.ok_or_else(|| {
            crate::error::ApiError::internal("route table names no permission for this route")
        })
    }
}
