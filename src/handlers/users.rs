//! Users: whoami, create, fetch by id, look up by user name.

use actix_web::HttpResponse;

use super::extract::{Body, Query};
use super::paths::UserPath;
use super::remember::{remembered, ReadFrom};
use super::reply::ok;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::services::users::{self, Found, Lookup};
use crate::services::{access, Wrote};
use crate::state::{AnswerKey, State};
use crate::wire::users::{CreateUserData, UserData, WhoAmIUser};
use crate::wire::{page, parse_bookmark, PAGE_SIZE};

/// `GET /users/whoami`
pub async fn whoami(state: State, auth: Authorized, key: AnswerKey) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let user = users::whoami(conn, &auth.caller)?;
        Ok((ReadFrom::NoCourse, WhoAmIUser::from(&user)))
    })
    .await
}

/// `POST /users/`: creates the user and enrolls them at the root with `RoleId`.
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateUserData>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let user = input.validated(auth.caller.institution_id)?;
    let role_id = input.role_id;
    let (root, user) = state
        .db
        .write(0, move |conn| {
            let root = access::at_root(conn, &auth)?;
            let user = users::create(conn, &auth, &root, &user, role_id)?;
            Ok(Wrote::anything((root, user)))
        })
        .await?;
    ok(&UserData::new(&user, root.id))
}

/// `GET /users/(userId)`: anyone may read themselves; others need the permission at the root.
pub async fn get(state: State, auth: Authorized, path: UserPath) -> ApiResult<HttpResponse> {
    let (root, user) = state
        .db
        .read(move |conn| users::get(conn, &auth, path.user))
        .await?;
    ok(&UserData::new(&user, root.id))
}

/// `GET /users/?userName=` (one UserData), `?orgDefinedId=` (an array), or no filter (a
/// PagedResultSet of every user, by id).
pub async fn search(state: State, auth: Authorized, query: Query) -> ApiResult<HttpResponse> {
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let lookup = match (query.get("userName"), query.get("orgDefinedId")) {
        (Some(name), _) => Lookup::UserNameKey(name.to_lowercase()),
        (None, Some(odi)) => Lookup::OrgDefinedId(odi.to_string()),
        (None, None) => Lookup::Page {
            after: bookmark,
            limit: PAGE_SIZE + 1,
        },
    };
    let (root, found) = state
        .db
        .read(move |conn| users::search(conn, &auth, lookup))
        .await?;
    let data = |u: &_| UserData::new(u, root.id);
    // Through a JSON value, as these answers always have been: their keys in name order.
    let body = match found {
        Found::One(user) => serde_json::to_value(data(&user)),
        Found::Many(users) => serde_json::to_value(users.iter().map(data).collect::<Vec<_>>()),
        Found::Page(users) => serde_json::to_value(page(users, |u| u.id, |u| data(&u))),
    }
    .map_err(ApiError::internal)?;
    ok(&body)
}
