//! Users: whoami, create, fetch by id, look up by user name.

use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::rows::{Enrollment, NewUser, Role, User};
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::{Body, Query};
use crate::handlers::paths::path_param;
use crate::handlers::reply::ok;
use crate::schema::{enrollments, roles, users};
use crate::state::State;
use crate::wire::users::{CreateUserData, UserData, WhoAmIUser};
use crate::wire::{page, parse_bookmark, PAGE_SIZE};

/// Loads a user of the caller's institution; another institution's is "not found".
pub fn find_user(conn: &mut DbConnection, institution_id: i64, id: i64) -> ApiResult<User> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::institution_id.eq(institution_id))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")))
}

/// Loads a role of the institution, for input that names one (a 400 when it does not exist).
pub fn find_role_for_input(
    conn: &mut DbConnection,
    institution_id: i64,
    field: &str,
    id: i64,
) -> ApiResult<Role> {
    roles::table
        .filter(roles::id.eq(id))
        .filter(roles::institution_id.eq(institution_id))
        .select(Role::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::bad_request(format!("{field}: there is no role {id}.")))
}

pub use crate::services::access::require_grantable;

/// `GET /users/whoami`
pub async fn whoami(state: State, auth: Authorized) -> ApiResult<HttpResponse> {
    let caller = auth.caller;
    let user = state
        .db
        .read(move |conn| {
            find_user(conn, caller.institution_id, caller.user_id)
                .map_err(|_| ApiError::Unauthorized("The token's user no longer exists.".into()))
        })
        .await?;
    ok(&WhoAmIUser::from(&user))
}

/// `POST /users/`: creates the user and enrolls them at the root with `RoleId`.
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateUserData>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    validate::name("FirstName", &input.first_name, 128).map_err(ApiError::BadRequest)?;
    validate::name("LastName", &input.last_name, 128).map_err(ApiError::BadRequest)?;
    validate::name("UserName", &input.user_name, 256).map_err(ApiError::BadRequest)?;
    if input.user_name.chars().any(char::is_whitespace) {
        return Err(ApiError::bad_request(
            "UserName: user names may not contain spaces.",
        ));
    }
    if let Some(email) = input.external_email.as_deref().filter(|e| !e.is_empty()) {
        validate::email("ExternalEmail", email).map_err(ApiError::BadRequest)?;
    }
    let caller = auth.caller.clone();
    let data = state
        .db
        .write(move |conn| {
            let root = crate::services::access::at_root(conn, &auth)?;
            if let Some(institution) =
                crate::handlers::institutions::vle_institution(conn, &caller)?
            {
                if institution.disable_vle_user_creation {
                    return Err(ApiError::forbidden(
                        "This institution does not allow VLE clients to create users.",
                    ));
                }
                let email = input.external_email.as_deref().filter(|e| !e.is_empty());
                if let (Some(domain), Some(email)) = (institution.mail_domain.as_deref(), email) {
                    if validate::email_domain(email).as_deref() != Some(domain) {
                        return Err(ApiError::bad_request(format!(
                            "ExternalEmail: VLE clients may only give addresses at {domain}."
                        )));
                    }
                }
            }
            let role = find_role_for_input(conn, caller.institution_id, "RoleId", input.role_id)?;
            if let Some(institution) =
                crate::handlers::institutions::vle_institution(conn, &caller)?
            {
                // The new user is enrolled at the root with RoleId: the role flags bind that too.
                let refused = match role.name.as_str() {
                    "Student" => institution.disable_vle_learner_creation,
                    "Instructor" => institution.disable_vle_instructor_creation,
                    _ => false,
                };
                if refused {
                    return Err(ApiError::forbidden(format!(
                        "This institution does not allow VLE clients to create users as {}.",
                        role.name
                    )));
                }
            }
            let mine = crate::services::access::permissions_in(conn, caller.user_id, &root)?;
            require_grantable(conn, &mine, &role)?;
            let key = input.user_name.to_lowercase();
            let taken = users::table
                .filter(users::institution_id.eq(caller.institution_id))
                .filter(users::user_name_key.eq(&key))
                .count()
                .get_result::<i64>(conn)?
                > 0;
            if taken {
                return Err(ApiError::bad_request(format!(
                    "UserName: {:?} is already in use.",
                    input.user_name
                )));
            }
            let now = Utc::now().naive_utc();
            let inserted = diesel::insert_into(users::table)
                .values(NewUser {
                    institution_id: caller.institution_id,
                    user_name: input.user_name.clone(),
                    user_name_key: key,
                    first_name: input.first_name.clone(),
                    middle_name: input.middle_name.clone().filter(|m| !m.is_empty()),
                    last_name: input.last_name.clone(),
                    external_email: input.external_email.clone().filter(|e| !e.is_empty()),
                    org_defined_id: input.org_defined_id.clone().filter(|o| !o.is_empty()),
                    pronouns: input.pronouns.clone().filter(|p| !p.is_empty()),
                    is_active: input.is_active,
                    created_at: now,
                })
                .returning(users::id)
                .get_result::<i64>(conn);
            let user = match inserted {
                Ok(id) => find_user(conn, caller.institution_id, id)?,
                Err(e) if is_unique_violation(&e) => {
                    return Err(ApiError::bad_request(format!(
                        "UserName: {:?} is already in use.",
                        input.user_name
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            diesel::insert_into(enrollments::table)
                .values(Enrollment {
                    user_id: user.id,
                    org_unit_id: root.id,
                    institution_id: caller.institution_id,
                    role_id: role.id,
                    is_cascading: role.is_cascading,
                    created_at: now,
                })
                .execute(conn)?;
            Ok(UserData::new(&user, root.id))
        })
        .await?;
    ok(&data)
}

/// `GET /users/(userId)`: anyone may read themselves; others need the permission at the root.
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let user_id = path_param(&req, "userId", "User")?;
    let caller = auth.caller.clone();
    let data = state
        .db
        .read(move |conn| {
            let root = if user_id == caller.user_id {
                crate::db::org_units::root(conn, caller.institution_id)?
            } else {
                crate::services::access::at_root(conn, &auth)?
            };
            let user = find_user(conn, caller.institution_id, user_id)?;
            Ok(UserData::new(&user, root.id))
        })
        .await?;
    ok(&data)
}

/// `GET /users/?userName=` (one UserData), `?orgDefinedId=` (an array), or no filter (a
/// PagedResultSet of every user, by id).
pub async fn search(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let user_name = query.get("userName").map(str::to_lowercase);
    let org_defined_id = query.get("orgDefinedId").map(str::to_string);
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let caller = auth.caller.clone();
    let institution_id = caller.institution_id;
    let self_lookup = user_name.clone();
    let body = state
        .db
        .read(move |conn| {
            if let Some(name) = self_lookup {
                let user = users::table
                    .filter(users::institution_id.eq(institution_id))
                    .filter(users::user_name_key.eq(&name))
                    .select(User::as_select())
                    .first(conn)
                    .optional()?;
                let root = match &user {
                    Some(u) if u.id == caller.user_id => {
                        crate::db::org_units::root(conn, institution_id)?
                    }
                    _ => crate::services::access::at_root(conn, &auth)?,
                };
                let user =
                    user.ok_or_else(|| ApiError::not_found(format!("No user named {name:?}.")))?;
                return serde_json::to_value(UserData::new(&user, root.id))
                    .map_err(ApiError::internal);
            }
            let root = crate::services::access::at_root(conn, &auth)?;
            if let Some(odi) = org_defined_id {
                let found: Vec<User> = users::table
                    .filter(users::institution_id.eq(institution_id))
                    .filter(users::org_defined_id.eq(&odi))
                    .order(users::id.asc())
                    .select(User::as_select())
                    .load(conn)?;
                let data: Vec<UserData> = found.iter().map(|u| UserData::new(u, root.id)).collect();
                return serde_json::to_value(data).map_err(ApiError::internal);
            }
            let rows: Vec<User> = users::table
                .filter(users::institution_id.eq(institution_id))
                .filter(users::id.gt(bookmark))
                .order(users::id.asc())
                .limit(PAGE_SIZE + 1)
                .select(User::as_select())
                .load(conn)?;
            serde_json::to_value(page(rows, |u| u.id, |u| UserData::new(&u, root.id)))
                .map_err(ApiError::internal)
        })
        .await?;
    ok(&body)
}
