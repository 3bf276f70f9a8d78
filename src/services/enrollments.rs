//! Enrollments: a user's role in an org unit. Enrolling again changes the role; a caller may
//! only give, change or take away a role whose permissions they hold there. In a course
//! offering, every change holds the course (`CourseLock::Members`) and a new learner is placed
//! in its AutoEnroll sections and groups; leaving it leaves them too.

use chrono::Utc;

use crate::auth::{Authorized, Caller};
use crate::db::enrollments::{self, ClasslistFilter, OwnFilter, LEARNER_ROLE};
use crate::db::org_units::{self, CourseLock};
use crate::db::rows::{org_unit_type, Enrollment, OrgUnit, Role, User};
use crate::db::{members, roles, users, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::services::{access, placement, policy};

/// The enrollment of `user_id` in `unit`, or 404.
fn enrollment_in(conn: &mut DbConnection, unit: &OrgUnit, user_id: i64) -> ApiResult<Enrollment> {
    enrollments::find(conn, user_id, unit.id)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "User {user_id} is not enrolled in org unit {}.",
            unit.id
        ))
    })
}

/// Holds the course for the rest of the transaction when `unit` is a course offering (the
/// lock order, docs/architecture.md: the course first, then the enrollment).
fn lock_if_course(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<()> {
    if unit.type_id == org_unit_type::COURSE_OFFERING {
        org_units::lock_course(conn, unit.id, CourseLock::Members)?;
    }
    Ok(())
}

/// Enrolls user `user_id` in `unit` (on which the caller's permission is checked) with role
/// `role_id`, or changes their role there; answers the enrollment as it now is.
pub fn enroll(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
    user_id: i64,
    role_id: i64,
) -> ApiResult<Enrollment> {
    let caller = &auth.caller;
    let user = users::find(conn, caller.institution_id, user_id)?;
    let role = roles::find_for_input(conn, caller.institution_id, "RoleId", role_id)?;
    let mine = access::permissions_in(conn, auth, unit)?;
    access::require_grantable(conn, &mine, &role)?;
    if let Some(institution) = policy::vle_institution(conn, caller)? {
        policy::require_role_allowed(&institution, &role, "enroll users")?;
    }
    lock_if_course(conn, unit)?;
    if let Some(existing) = enrollments::find(conn, user.id, unit.id)? {
        let old_role = roles::of_id(conn, existing.role_id)?;
        access::require_grantable(conn, &mine, &old_role)?;
        enrollments::set_role(conn, user.id, unit.id, &role)?;
    } else {
        enrollments::insert(
            conn,
            &Enrollment {
                user_id: user.id,
                org_unit_id: unit.id,
                institution_id: caller.institution_id,
                role_id: role.id,
                is_cascading: role.is_cascading,
                created_at: Utc::now().naive_utc(),
            },
        )?;
    }
    if unit.type_id == org_unit_type::COURSE_OFFERING && role.name == LEARNER_ROLE {
        placement::place_new_learner(conn, unit, user.id)?;
    }
    enrollments::find(conn, user.id, unit.id)?
        .ok_or_else(|| ApiError::internal("enrollment vanished"))
}

/// Removes user `user_id` from `unit` (on which the caller's permission is checked), and from
/// the course's sections and groups; answers the enrollment as it was just before.
pub fn unenroll(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
    user_id: i64,
) -> ApiResult<Enrollment> {
    lock_if_course(conn, unit)?;
    let enrollment = enrollment_in(conn, unit, user_id)?;
    let role = roles::of_id(conn, enrollment.role_id)?;
    let mine = access::permissions_in(conn, auth, unit)?;
    access::require_grantable(conn, &mine, &role)?;
    enrollments::delete(conn, user_id, unit.id)?;
    members::remove_from_course(conn, unit.id, user_id)?;
    Ok(enrollment)
}

/// User `user_id`'s enrollment in org unit `org_unit_id`: one's own with no permission,
/// anyone's with the route's permission there.
pub fn get(
    conn: &mut DbConnection,
    auth: &Authorized,
    org_unit_id: i64,
    user_id: i64,
) -> ApiResult<Enrollment> {
    let unit = if user_id == auth.caller.user_id {
        access::own_org_unit(conn, &auth.caller, org_unit_id)?
    } else {
        access::org_unit(conn, auth, org_unit_id)?
    };
    enrollment_in(conn, &unit, user_id)
}

/// A page of `unit`'s classlist: up to `limit` enrolled users with an id above `after`, with
/// their roles.
pub fn list(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    filter: ClasslistFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(User, Role)>> {
    enrollments::page_of_org_unit(conn, unit.id, filter, after, limit)
}

/// A page of the caller's own enrollments: up to `limit` org units with an id above `after`,
/// with the caller's role in each.
pub fn mine(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: OwnFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(OrgUnit, Role)>> {
    enrollments::page_of_user(
        conn,
        caller.institution_id,
        caller.user_id,
        filter,
        after,
        limit,
    )
}
