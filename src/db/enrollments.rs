//! Enrollments: a user's role in an org unit, and the course's learners that sections and
//! groups allocate.

use diesel::prelude::*;

use super::rows::OrgUnit;
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{enrollments, roles};

/// The course's learners: users enrolled there with the Student role, by user id.
pub fn learners(conn: &mut DbConnection, course: &OrgUnit) -> ApiResult<Vec<i64>> {
    Ok(enrollments::table
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(course.id))
        .filter(roles::name.eq(LEARNER_ROLE))
        .order(enrollments::user_id.asc())
        .select(enrollments::user_id)
        .load(conn)?)
}

/// The role whose holders sections and groups allocate.
pub const LEARNER_ROLE: &str = "Student";

/// True when `user_id` holds the learner role in `course` (directly).
pub fn is_learner(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let n: i64 = enrollments::table
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .filter(roles::name.eq(LEARNER_ROLE))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// True when `user_id` is enrolled in `course_id` directly, in any role.
pub fn is_enrolled(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let n: i64 = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether `user_id` is enrolled in `course_id`, holding that enrollment (`FOR SHARE`) so that
/// it cannot be removed, nor its role changed and placed, until this transaction ends: a
/// membership added now cannot outlive the enrollment or race its AutoEnroll placement.
pub fn hold_enrollment(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let enrollment = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .select(enrollments::user_id);
    let found: Vec<i64> = match conn {
        DbConnection::Pg(pg) => enrollment.for_share().load(pg)?,
        DbConnection::Sqlite(sqlite) => enrollment.load(sqlite)?,
    };
    Ok(!found.is_empty())
}
