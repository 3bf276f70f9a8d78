//! Course offerings: created under the institution's root (codes unique there regardless of
//! case, template and semester of the institution), read with what they name, deleted with
//! everything in them.

use chrono::Utc;

use crate::db::rows::{org_unit_type, CourseOfferingView, NewOrgUnit, OrgUnit};
use crate::db::{courses, is_unique_violation, org_units, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::services::access::Course;

/// Creates `offering` (a checked form) under `root`, the institution's root: 400 when its
/// template or semester is not one of the institution's, or its code is taken.
pub fn create(
    conn: &mut DbConnection,
    root: &OrgUnit,
    offering: &NewOrgUnit,
) -> ApiResult<CourseOfferingView> {
    let institution_id = root.institution_id;
    let template = offering
        .course_template_id
        .map(|id| {
            courses::input_org_unit(
                conn,
                institution_id,
                "CourseTemplateId",
                id,
                org_unit_type::COURSE_TEMPLATE,
            )
        })
        .transpose()?;
    let semester = offering
        .semester_id
        .map(|id| {
            courses::input_org_unit(
                conn,
                institution_id,
                "SemesterId",
                id,
                org_unit_type::SEMESTER,
            )
        })
        .transpose()?;
    let code = offering.code.clone().unwrap_or_default();
    if let Some(other) = courses::with_code(conn, institution_id, &code)? {
        return Err(ApiError::bad_request(format!(
            "Code: {code:?} is already the code of course offering {other}."
        )));
    }
    let offering = NewOrgUnit {
        institution_id,
        parent_id: Some(root.id),
        created_at: Utc::now().naive_utc(),
        ..offering.clone()
    };
    match courses::create(conn, offering) {
        Ok(offering) => Ok(CourseOfferingView {
            offering,
            template,
            semester,
        }),
        Err(e) if is_unique_violation(&e) => Err(ApiError::bad_request(format!(
            "Code: {code:?} is already in use."
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The offering, with its template and semester.
pub fn get(conn: &mut DbConnection, course: &Course) -> ApiResult<CourseOfferingView> {
    courses::view(conn, OrgUnit::clone(course))
}

/// Deletes the offering; its enrollments and descendants go with it (foreign keys cascade).
pub fn delete(conn: &mut DbConnection, course: &Course) -> ApiResult<()> {
    org_units::delete(conn, course.id)
}
