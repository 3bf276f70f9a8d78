//! Course offerings (`org_units` of type course offering, under the institution's root) and
//! the templates and semesters they name. Offering codes are unique in the institution
//! regardless of case.

use diesel::prelude::*;

use super::rows::{org_unit_type, CourseOfferingView, NewOrgUnit, OrgUnit};
use super::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::org_units;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends: course codes are unique regardless of case.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// An org unit named by input (`field`), which must be of `type_id` in the institution: a 400
/// naming the field when there is none.
pub fn input_org_unit(
    conn: &mut DbConnection,
    institution_id: i64,
    field: &str,
    id: i64,
    type_id: i64,
) -> ApiResult<OrgUnit> {
    let (_, type_name) = org_unit_type::describe(type_id);
    org_units::table
        .filter(org_units::id.eq(id))
        .filter(org_units::institution_id.eq(institution_id))
        .filter(org_units::type_id.eq(type_id))
        .select(OrgUnit::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::bad_request(format!("{field}: there is no {type_name} {id}.")))
}

/// The org unit an offering's reference points at, if any is left.
fn referenced(conn: &mut DbConnection, id: Option<i64>) -> ApiResult<Option<OrgUnit>> {
    match id {
        None => Ok(None),
        Some(id) => Ok(org_units::table
            .filter(org_units::id.eq(id))
            .select(OrgUnit::as_select())
            .get_result(conn)
            .optional()?),
    }
}

/// The offering with its template and semester resolved.
pub fn view(conn: &mut DbConnection, offering: OrgUnit) -> ApiResult<CourseOfferingView> {
    let template = referenced(conn, offering.course_template_id)?;
    let semester = referenced(conn, offering.semester_id)?;
    Ok(CourseOfferingView {
        offering,
        template,
        semester,
    })
}

/// The institution's course offering whose code is `code` regardless of case, if any.
pub fn with_code(
    conn: &mut DbConnection,
    institution_id: i64,
    code: &str,
) -> ApiResult<Option<i64>> {
    Ok(org_units::table
        .filter(org_units::institution_id.eq(institution_id))
        .filter(org_units::type_id.eq(org_unit_type::COURSE_OFFERING))
        .filter(lower(org_units::code).eq(code.to_lowercase()))
        .select(org_units::id)
        .get_result(conn)
        .optional()?)
}

/// Inserts a course offering. A code taken after all (by a concurrent creation) is the
/// unique-key violation the caller maps to its answer.
pub fn create(
    conn: &mut DbConnection,
    offering: NewOrgUnit,
) -> Result<OrgUnit, diesel::result::Error> {
    let id: i64 = diesel::insert_into(org_units::table)
        .values(offering)
        .returning(org_units::id)
        .get_result(conn)?;
    org_units::table
        .find(id)
        .select(OrgUnit::as_select())
        .get_result(conn)
}
