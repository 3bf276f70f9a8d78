//! Enrollments: a user's role in an org unit. Enrolling again changes the role; a caller may
//! only give, change or take away a role whose permissions they hold there. In a course
//! offering, every change holds the course (`CourseLock::Members`) and a new learner is placed
//! in its AutoEnroll sections and groups; leaving it leaves them too.

use chrono::Utc;

use crate::auth::{Authorized, Caller};
use crate::db::enrollments::{self, ClasslistFilter, OwnFilter};
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

/// Enrolls user `user_id` in `unit` (on which the caller's permission is checked, and which
/// is held with `CourseLock::Members`: `access::org_unit_for_members`) with role `role_id`,
/// or changes their role there; answers the enrollment as it now is.
pub fn enroll(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
    user_id: i64,
    role_id: i64,
) -> ApiResult<Enrollment> {
    let caller = &auth.caller;
    let institution_id = caller.institution_id;
    let (user, role, existing) =
        match enrollments::parties(conn, institution_id, user_id, role_id, unit.id)? {
            Some(found) => found,
            // One at a time, to say which is missing.
            None => (
                users::find(conn, institution_id, user_id)?,
                roles::find_for_input(conn, institution_id, "RoleId", role_id)?,
                enrollments::find(conn, user_id, unit.id)?,
            ),
        };
    let mine = access::permissions_in(conn, auth, unit)?;
    access::require_grantable(conn, auth, &mine, &role)?;
    if let Some(institution) = policy::vle_institution(conn, caller)? {
        policy::require_role_allowed(&institution, &role, "enroll users")?;
    }
    if org_unit_type::is_course_part(unit.type_id) {
        return join_part(conn, caller, unit, &user, &role, existing);
    }
    // Answered as written, with no read back: nothing else writes it in this transaction.
    let enrollment = if let Some(existing) = existing {
        let old_role = roles::of_id(conn, existing.role_id)?;
        access::require_grantable(conn, auth, &mine, &old_role)?;
        enrollments::set_role(conn, user.id, unit.id, &role)?;
        if unit.type_id == org_unit_type::COURSE_OFFERING {
            members::follow_course_role(conn, unit.id, user.id, role.id)?;
        }
        Enrollment {
            role_id: role.id,
            is_cascading: role.is_cascading,
            ..existing
        }
    } else {
        let enrollment = Enrollment {
            user_id: user.id,
            org_unit_id: unit.id,
            institution_id: caller.institution_id,
            role_id: role.id,
            is_cascading: role.is_cascading,
            created_at: Utc::now().naive_utc(),
            enrolled_by_user_id: Some(caller.user_id),
        };
        enrollments::insert(conn, &enrollment)?;
        enrollment
    };
    if unit.type_id == org_unit_type::COURSE_OFFERING && role.can_be_auto_enrolled {
        placement::place_new_learner(conn, unit, user.id)?;
    }
    Ok(enrollment)
}

/// [`enroll`] in a section or group (whose course is held as the unit is): a membership, in
/// the member's course role, of a user enrolled in the course (and, for a group of a
/// restricted category, a member of the restricting unit), else 404; another role is a 400.
fn join_part(
    conn: &mut DbConnection,
    caller: &Caller,
    unit: &OrgUnit,
    user: &User,
    role: &Role,
    existing: Option<Enrollment>,
) -> ApiResult<Enrollment> {
    let course_id = unit.parent_id.unwrap_or_default();
    let not_admitted = || {
        ApiError::not_found(format!(
            "User {} not found among the users org unit {} admits: a member of a section or group must be enrolled in its course {course_id}.",
            user.id, unit.id
        ))
    };
    let in_course =
        enrollments::hold_enrollment(conn, course_id, user.id)?.ok_or_else(not_admitted)?;
    if in_course.role_id != role.id {
        return Err(ApiError::bad_request(format!(
            "RoleId: a member of org unit {} holds their role in course {course_id} ({}), not {}.",
            unit.id, in_course.role_id, role.id
        )));
    }
    if let Some(existing) = existing {
        return Ok(existing);
    }
    if unit.type_id == org_unit_type::GROUP {
        if let Some(restriction) = members::restriction_of_group(conn, unit.id)? {
            if members::units_of_user(conn, &[restriction], user.id)?.is_empty() {
                return Err(not_admitted());
            }
        }
    }
    members::add_enrolled(conn, unit.id, &in_course, &access::actor(caller))?;
    enrollments::find(conn, user.id, unit.id)?.ok_or_else(not_admitted)
}

/// Removes user `user_id` from `unit` (checked and held as for [`enroll`]), and from the
/// course's sections and groups; answers the enrollment as it was just before.
pub fn unenroll(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
    user_id: i64,
) -> ApiResult<Enrollment> {
    let enrollment = enrollment_in(conn, unit, user_id)?;
    let role = roles::of_id(conn, enrollment.role_id)?;
    let mine = access::permissions_in(conn, auth, unit)?;
    access::require_grantable(conn, auth, &mine, &role)?;
    let actor = access::actor(&auth.caller);
    match unit.parent_id {
        // A section's or group's member leaves it: the membership, recorded in the history.
        Some(course_id) if org_unit_type::is_course_part(unit.type_id) => {
            members::remove_member(conn, unit.id, course_id, user_id, &actor)?;
        }
        _ => {
            enrollments::delete(conn, user_id, unit.id)?;
            members::remove_from_course(conn, unit.id, user_id, &actor)?;
        }
    }
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
    filter: &OwnFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(OrgUnit, Role)>> {
    let rows = enrollments::page_of_user(
        conn,
        caller.institution_id,
        caller.user_id,
        filter,
        after,
        limit,
    )?;
    Ok(rows
        .into_iter()
        .map(|(_, unit, role)| (unit, role))
        .collect())
}

/// The caller's own enrollment in `org_unit_id`, with their role; 404 when they have none.
pub fn my_enrollment(
    conn: &mut DbConnection,
    caller: &Caller,
    org_unit_id: i64,
) -> ApiResult<(OrgUnit, Role)> {
    enrollments::one_of_user(conn, caller.institution_id, caller.user_id, org_unit_id)?.ok_or_else(
        || ApiError::not_found(format!("You are not enrolled in org unit {org_unit_id}.")),
    )
}

/// A page of user `user_id`'s enrollments, as [`mine`] with each enrollment too: one's own
/// with no permission, anyone's of the institution with the route's permission at its root.
pub fn of_user(
    conn: &mut DbConnection,
    auth: &Authorized,
    user_id: i64,
    filter: &OwnFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(Enrollment, OrgUnit, Role)>> {
    let institution_id = auth.caller.institution_id;
    if user_id != auth.caller.user_id {
        access::at_root(conn, auth)?;
        users::find(conn, institution_id, user_id)?;
    }
    enrollments::page_of_user(conn, institution_id, user_id, filter, after, limit)
}
