//! Course offerings: create, fetch, delete. Offerings are org units under the institution's root.

use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::rows::{org_unit_type, NewOrgUnit, OrgUnit};
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::Body;
use crate::handlers::paths::path_param;
use crate::handlers::reply::{ok, ok_empty};
use crate::schema::org_units;
use crate::state::State;
use crate::wire::courses::{CourseOffering, CreateCourseOffering};

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends: course codes are unique regardless of case.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// An org unit named by input, which must be of `type_id` in the caller's institution.
fn input_org_unit(
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
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::bad_request(format!("{field}: there is no {type_name} {id}.")))
}

fn optional_org_unit(conn: &mut DbConnection, id: Option<i64>) -> ApiResult<Option<OrgUnit>> {
    match id {
        None => Ok(None),
        Some(id) => Ok(org_units::table
            .filter(org_units::id.eq(id))
            .select(OrgUnit::as_select())
            .first(conn)
            .optional()?),
    }
}

/// A course offering as answered, with its template and semester resolved.
pub fn course_offering(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<CourseOffering> {
    let template = optional_org_unit(conn, unit.course_template_id)?;
    let semester = optional_org_unit(conn, unit.semester_id)?;
    Ok(CourseOffering::new(
        unit,
        template.as_ref(),
        semester.as_ref(),
    ))
}

/// Loads a course offering, 404 when the id names anything else.
fn as_course(unit: OrgUnit) -> ApiResult<OrgUnit> {
    if unit.type_id == org_unit_type::COURSE_OFFERING {
        Ok(unit)
    } else {
        Err(ApiError::not_found(format!(
            "Org unit {} is not a course offering.",
            unit.id
        )))
    }
}

/// `POST /courses/`
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateCourseOffering>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    validate::name("Name", &input.name, 128).map_err(ApiError::BadRequest)?;
    validate::code("Code", &input.code).map_err(ApiError::BadRequest)?;
    if let (Some(start), Some(end)) = (input.start_date, input.end_date) {
        if start.0 > end.0 {
            return Err(ApiError::bad_request(
                "EndDate: the end date is before the start date.",
            ));
        }
    }
    if input.locale_id.is_some_and(|l| l <= 0) {
        return Err(ApiError::bad_request(
            "LocaleId: must be a positive id or null.",
        ));
    }
    let description = input.description.as_ref().map(|d| d.render());
    let caller = auth.caller.clone();
    let offering = state
        .db
        .write(move |conn| {
            let root = crate::services::access::at_root(conn, &auth)?;
            let inst = caller.institution_id;
            let template = input
                .course_template_id
                .map(|id| {
                    input_org_unit(
                        conn,
                        inst,
                        "CourseTemplateId",
                        id,
                        org_unit_type::COURSE_TEMPLATE,
                    )
                })
                .transpose()?;
            let semester = input
                .semester_id
                .map(|id| input_org_unit(conn, inst, "SemesterId", id, org_unit_type::SEMESTER))
                .transpose()?;
            let clash: Option<i64> = org_units::table
                .filter(org_units::institution_id.eq(inst))
                .filter(org_units::type_id.eq(org_unit_type::COURSE_OFFERING))
                .filter(lower(org_units::code).eq(input.code.to_lowercase()))
                .select(org_units::id)
                .first(conn)
                .optional()?;
            if let Some(other) = clash {
                return Err(ApiError::bad_request(format!(
                    "Code: {:?} is already the code of course offering {other}.",
                    input.code
                )));
            }
            let inserted = diesel::insert_into(org_units::table)
                .values(NewOrgUnit {
                    institution_id: inst,
                    type_id: org_unit_type::COURSE_OFFERING,
                    parent_id: Some(root.id),
                    name: input.name.clone(),
                    code: Some(input.code.clone()),
                    path: input.path.clone(),
                    description_text: description.as_ref().map(|d| d.text.clone()),
                    description_html: description.clone().map(|d| d.html),
                    is_active: true,
                    can_self_register: input.can_self_register.unwrap_or(false),
                    start_date: input.start_date.map(|d| d.0),
                    end_date: input.end_date.map(|d| d.0),
                    locale_id: input.locale_id,
                    force_locale: input.force_locale,
                    show_address_book: input.show_address_book,
                    course_template_id: template.as_ref().map(|t| t.id),
                    semester_id: semester.as_ref().map(|s| s.id),
                    created_at: Utc::now().naive_utc(),
                })
                .returning(org_units::id)
                .get_result::<i64>(conn);
            let unit = match inserted {
                Ok(id) => org_units::table
                    .find(id)
                    .select(OrgUnit::as_select())
                    .first(conn)?,
                Err(e) if is_unique_violation(&e) => {
                    return Err(ApiError::bad_request(format!(
                        "Code: {:?} is already in use.",
                        input.code
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            Ok(CourseOffering::new(
                &unit,
                template.as_ref(),
                semester.as_ref(),
            ))
        })
        .await?;
    ok(&offering)
}

/// `GET /courses/(orgUnitId)`
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "orgUnitId", "Course offering")?;
    let offering = state
        .db
        .read(move |conn| {
            let unit = as_course(crate::services::access::org_unit(conn, &auth, id)?)?;
            course_offering(conn, &unit)
        })
        .await?;
    ok(&offering)
}

/// `DELETE /courses/(orgUnitId)`: removes the offering with its enrollments and descendants.
pub async fn delete(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "orgUnitId", "Course offering")?;
    state
        .db
        .write(move |conn| {
            let unit = as_course(crate::services::access::org_unit(conn, &auth, id)?)?;
            diesel::delete(org_units::table.filter(org_units::id.eq(unit.id))).execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}
