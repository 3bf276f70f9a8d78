//! Users: the caller themselves, creating a user (always with an enrollment at the root),
//! and reading users. Anyone may read themselves; reading others takes the route's
//! permission at the root.

use crate::auth::{Authorized, Caller};
use crate::db::rows::{NewUser, OrgUnit, User};
use crate::db::{is_unique_violation, org_units, roles, users, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::services::{access, policy};

/// The caller's own user: 401 when it no longer exists (the token outlived it).
pub fn whoami(conn: &mut DbConnection, caller: &Caller) -> ApiResult<User> {
    users::find(conn, caller.institution_id, caller.user_id)
        .map_err(|_| ApiError::Unauthorized("The token's user no longer exists.".into()))
}

/// Creates `user` (a checked form) and enrolls them at `root` with role `role_id`. A VLE
/// client is bound by its institution's flags on creating users, their addresses and the
/// role; any caller may only hand out a role whose permissions they hold at the root.
pub fn create(
    conn: &mut DbConnection,
    auth: &Authorized,
    root: &OrgUnit,
    user: &NewUser,
    role_id: i64,
) -> ApiResult<User> {
    let caller = &auth.caller;
    let vle = policy::vle_institution(conn, caller)?;
    if let Some(institution) = &vle {
        policy::require_user_creation_allowed(institution, user.external_email.as_deref())?;
    }
    let role = roles::find_for_input(conn, caller.institution_id, "RoleId", role_id)?;
    if let Some(institution) = &vle {
        // The new user is enrolled at the root with RoleId: the role flags bind that too.
        policy::require_role_allowed(institution, &role, "create users")?;
    }
    let mine = access::permissions_in(conn, auth, root)?;
    access::require_grantable(conn, auth, &mine, &role)?;
    match users::create_at_root(conn, user.clone(), root, &role) {
        Ok(user) => Ok(user),
        Err(e) if is_unique_violation(&e) => Err(ApiError::bad_request(format!(
            "UserName: {:?} is already in use.",
            user.user_name
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The institution's root, for answering about `user_id`: without a check when that is the
/// caller, else with the route's permission there.
fn root_for(
    conn: &mut DbConnection,
    auth: &Authorized,
    user_id: Option<i64>,
) -> ApiResult<OrgUnit> {
    if user_id == Some(auth.caller.user_id) {
        org_units::root(conn, auth.caller.institution_id)
    } else {
        access::at_root(conn, auth)
    }
}

/// User `user_id` of the caller's institution, with the root (Brightspace's OrgId).
pub fn get(conn: &mut DbConnection, auth: &Authorized, user_id: i64) -> ApiResult<(OrgUnit, User)> {
    let root = root_for(conn, auth, Some(user_id))?;
    let user = users::find(conn, auth.caller.institution_id, user_id)?;
    Ok((root, user))
}

/// What `GET /users/` looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The user of this user name (lower-cased: names are unique regardless of case).
    UserNameKey(String),
    /// Every user with this OrgDefinedId.
    OrgDefinedId(String),
    /// Up to `limit` users with an id above `after`.
    Page { after: i64, limit: i64 },
}

/// What `GET /users/` found, in the shape its lookup answers.
#[derive(Debug)]
pub enum Found {
    One(Box<User>),
    Many(Vec<User>),
    Page(Vec<User>),
}

/// Looks users up, with the root (Brightspace's OrgId). A user name lookup of oneself needs
/// no permission; whether anyone else has that name does (403 before 404).
pub fn search(
    conn: &mut DbConnection,
    auth: &Authorized,
    lookup: Lookup,
) -> ApiResult<(OrgUnit, Found)> {
    let institution_id = auth.caller.institution_id;
    match lookup {
        Lookup::UserNameKey(key) => {
            let user = users::by_name_key(conn, institution_id, &key)?;
            let root = root_for(conn, auth, user.as_ref().map(|u| u.id))?;
            let user =
                user.ok_or_else(|| ApiError::not_found(format!("No user named {key:?}.")))?;
            Ok((root, Found::One(Box::new(user))))
        }
        Lookup::OrgDefinedId(odi) => {
            let root = access::at_root(conn, auth)?;
            let found = users::with_org_defined_id(conn, institution_id, &odi)?;
            Ok((root, Found::Many(found)))
        }
        Lookup::Page { after, limit } => {
            let root = access::at_root(conn, auth)?;
            let found = users::page(conn, institution_id, after, limit)?;
            Ok((root, Found::Page(found)))
        }
    }
}
