//! Enrollments: a user's role in an org unit. Posting again for the same pair changes the role.

use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::org_units::CourseLock;
use crate::db::rows::{org_unit_type, Enrollment, OrgUnit, Role, User};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::{Body, Query};
use crate::handlers::paths::path_param;
use crate::handlers::reply::ok;
use crate::handlers::users::{find_role_for_input, find_user, require_grantable};
use crate::handlers::{groups, sections};
use crate::schema::{enrollments, org_units, roles, users};
use crate::state::State;
use crate::wire::enrollments::*;
use crate::wire::roles::{lis_roles, RoleInfo};
use crate::wire::users::profile_identifier;
use crate::wire::{page, parse_bookmark, utc, PAGE_SIZE};

impl From<&Enrollment> for EnrollmentData {
    fn from(e: &Enrollment) -> Self {
        Self {
            org_unit_id: e.org_unit_id,
            user_id: e.user_id,
            role_id: e.role_id,
            is_cascading: e.is_cascading,
        }
    }
}

fn find_enrollment(
    conn: &mut DbConnection,
    user_id: i64,
    org_unit_id: i64,
) -> ApiResult<Option<Enrollment>> {
    Ok(enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::org_unit_id.eq(org_unit_id))
        .select(Enrollment::as_select())
        .first(conn)
        .optional()?)
}

/// `POST /enrollments/`
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateEnrollmentData>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let caller = auth.caller.clone();
    let enrollment = state
        .db
        .write(move |conn| {
            let unit = crate::services::access::org_unit(conn, &auth, input.org_unit_id)?;
            let user = find_user(conn, caller.institution_id, input.user_id)?;
            let role = find_role_for_input(conn, caller.institution_id, "RoleId", input.role_id)?;
            let mine = crate::services::access::permissions_in(conn, caller.user_id, &unit)?;
            require_grantable(conn, &mine, &role)?;
            if let Some(institution) =
                crate::handlers::institutions::vle_institution(conn, &caller)?
            {
                let refused = match role.name.as_str() {
                    "Student" => institution.disable_vle_learner_creation,
                    "Instructor" => institution.disable_vle_instructor_creation,
                    _ => false,
                };
                if refused {
                    return Err(ApiError::forbidden(format!(
                        "This institution does not allow VLE clients to enroll users as {}.",
                        role.name
                    )));
                }
            }
            if unit.type_id == org_unit_type::COURSE_OFFERING {
                crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            }
            if let Some(existing) = find_enrollment(conn, user.id, unit.id)? {
                let old_role = roles::table
                    .filter(roles::id.eq(existing.role_id))
                    .select(Role::as_select())
                    .first(conn)?;
                require_grantable(conn, &mine, &old_role)?;
                diesel::update(
                    enrollments::table
                        .filter(enrollments::user_id.eq(user.id))
                        .filter(enrollments::org_unit_id.eq(unit.id)),
                )
                .set((
                    enrollments::role_id.eq(role.id),
                    enrollments::is_cascading.eq(role.is_cascading),
                ))
                .execute(conn)?;
            } else {
                diesel::insert_into(enrollments::table)
                    .values(Enrollment {
                        user_id: user.id,
                        org_unit_id: unit.id,
                        institution_id: caller.institution_id,
                        role_id: role.id,
                        is_cascading: role.is_cascading,
                        created_at: Utc::now().naive_utc(),
                    })
                    .execute(conn)?;
            }
            if unit.type_id == org_unit_type::COURSE_OFFERING
                && sections::is_learner_role(&role.name)
            {
                sections::place_new_learner(conn, &unit, user.id)?;
                groups::place_new_learner(conn, &unit, user.id)?;
            }
            find_enrollment(conn, user.id, unit.id)?
                .ok_or_else(|| ApiError::internal("enrollment vanished"))
        })
        .await?;
    ok(&EnrollmentData::from(&enrollment))
}

/// `DELETE /enrollments/users/(userId)/orgUnits/(orgUnitId)` and its mirror: answers the
/// enrollment as it was just before deletion.
pub async fn delete(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let org_unit_id = path_param(&req, "orgUnitId", "Org unit")?;
    let user_id = path_param(&req, "userId", "User")?;
    let caller = auth.caller.clone();
    let removed = state
        .db
        .write(move |conn| {
            let unit = crate::services::access::org_unit(conn, &auth, org_unit_id)?;
            if unit.type_id == org_unit_type::COURSE_OFFERING {
                crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            }
            let enrollment = find_enrollment(conn, user_id, unit.id)?.ok_or_else(|| {
                ApiError::not_found(format!(
                    "User {user_id} is not enrolled in org unit {org_unit_id}."
                ))
            })?;
            let role = roles::table
                .filter(roles::id.eq(enrollment.role_id))
                .select(Role::as_select())
                .first(conn)?;
            let mine = crate::services::access::permissions_in(conn, caller.user_id, &unit)?;
            require_grantable(conn, &mine, &role)?;
            diesel::delete(
                enrollments::table
                    .filter(enrollments::user_id.eq(user_id))
                    .filter(enrollments::org_unit_id.eq(unit.id)),
            )
            .execute(conn)?;
            crate::db::members::remove_from_course(conn, unit.id, user_id)?;
            Ok(enrollment)
        })
        .await?;
    ok(&EnrollmentData::from(&removed))
}

/// `GET /enrollments/orgUnits/(orgUnitId)/users/(userId)`: one's own, or with the permission.
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let org_unit_id = path_param(&req, "orgUnitId", "Org unit")?;
    let user_id = path_param(&req, "userId", "User")?;
    let caller = auth.caller.clone();
    let enrollment = state
        .db
        .read(move |conn| {
            let unit = if user_id == caller.user_id {
                crate::services::access::own_org_unit(conn, &caller, org_unit_id)?
            } else {
                crate::services::access::org_unit(conn, &auth, org_unit_id)?
            };
            find_enrollment(conn, user_id, unit.id)?.ok_or_else(|| {
                ApiError::not_found(format!(
                    "User {user_id} is not enrolled in org unit {org_unit_id}."
                ))
            })
        })
        .await?;
    ok(&EnrollmentData::from(&enrollment))
}

/// `GET /enrollments/orgUnits/(orgUnitId)/users/?roleId=&isActive=&bookmark=`
pub async fn list(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let org_unit_id = path_param(&req, "orgUnitId", "Org unit")?;
    let query = Query::parse(req.query_string())?;
    let role_id = query.id("roleId")?;
    let is_active = query.bool("isActive")?;
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let result = state
        .db
        .read(move |conn| {
            let unit = crate::services::access::org_unit(conn, &auth, org_unit_id)?;
            let mut q = enrollments::table
                .inner_join(users::table)
                .inner_join(roles::table)
                .filter(enrollments::org_unit_id.eq(unit.id))
                .filter(enrollments::user_id.gt(bookmark))
                .into_boxed();
            if let Some(role_id) = role_id {
                q = q.filter(enrollments::role_id.eq(role_id));
            }
            if let Some(active) = is_active {
                q = q.filter(users::is_active.eq(active));
            }
            let rows: Vec<(User, Role)> = q
                .order(enrollments::user_id.asc())
                .limit(PAGE_SIZE + 1)
                .select((User::as_select(), Role::as_select()))
                .load(conn)?;
            Ok(page(
                rows,
                |(u, _)| u.id,
                |(u, r)| OrgUnitUser {
                    user: UserInfo {
                        identifier: u.id.to_string(),
                        display_name: u.display_name(),
                        email_address: u.external_email.clone(),
                        org_defined_id: u.org_defined_id.clone(),
                        profile_badge_url: None,
                        profile_identifier: profile_identifier(&u),
                    },
                    role: RoleInfo::from(&r),
                },
            ))
        })
        .await?;
    ok(&result)
}

/// `GET /enrollments/myenrollments/?orgUnitTypeId=&isActive=&bookmark=`: the caller's own.
pub async fn mine(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let type_id = query.id("orgUnitTypeId")?;
    let is_active = query.bool("isActive")?;
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let caller = auth.caller;
    let result = state
        .db
        .read(move |conn| {
            let mut q = enrollments::table
                .inner_join(org_units::table)
                .inner_join(roles::table)
                .filter(enrollments::user_id.eq(caller.user_id))
                .filter(enrollments::institution_id.eq(caller.institution_id))
                .filter(enrollments::org_unit_id.gt(bookmark))
                .into_boxed();
            if let Some(type_id) = type_id {
                q = q.filter(org_units::type_id.eq(type_id));
            }
            if let Some(active) = is_active {
                q = q.filter(org_units::is_active.eq(active));
            }
            let rows: Vec<(OrgUnit, Role)> = q
                .order(enrollments::org_unit_id.asc())
                .limit(PAGE_SIZE + 1)
                .select((OrgUnit::as_select(), Role::as_select()))
                .load(conn)?;
            Ok(page(rows, |(u, _)| u.id, |(u, r)| my_org_unit_info(&u, &r)))
        })
        .await?;
    ok(&result)
}

fn my_org_unit_info(u: &OrgUnit, r: &Role) -> MyOrgUnitInfo {
    let (code, name) = org_unit_type::describe(u.type_id);
    let now = Utc::now().naive_utc();
    let within_dates = u.start_date.is_none_or(|s| s <= now) && u.end_date.is_none_or(|e| e >= now);
    MyOrgUnitInfo {
        org_unit: OrgUnitInfo {
            id: u.id,
            kind: OrgUnitTypeInfo {
                id: u.type_id,
                code: code.to_string(),
                name: name.to_string(),
            },
            name: u.name.clone(),
            code: u.code.clone(),
            home_url: Some(format!("/d2l/home/{}", u.id)),
            image_url: None,
        },
        access: Access {
            is_active: u.is_active,
            start_date: u.start_date.map(utc),
            end_date: u.end_date.map(utc),
            can_access: u.is_active && within_dates,
            classlist_role_name: Some(r.name.clone()),
            lis_roles: lis_roles(r),
            last_accessed: None,
        },
        pin_date: None,
    }
}
