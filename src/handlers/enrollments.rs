//! Enrollments: a user's role in an org unit. Posting again for the same pair changes the role.

use actix_web::{HttpRequest, HttpResponse};

use super::extract::{Body, Query};
use super::paths::{EnrollmentPath, OrgUnitPath, UserPath};
use super::remember::{remembered, ReadFrom};
use super::reply::{ok, origin};
use crate::auth::Authorized;
use crate::db::enrollments::{ClasslistFilter, OwnFilter};
use crate::db::rows::org_unit_type;
use crate::error::ApiResult;
use crate::services::{access, enrollments};
use crate::state::{AnswerKey, State};
use crate::wire::enrollments::{
    CreateEnrollmentData, EnrollmentData, MyOrgUnitInfo, OrgUnitUser, UserOrgUnit,
};
use crate::wire::{page, parse_bookmark, PAGE_SIZE};

/// `POST /enrollments/`
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateEnrollmentData>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let enrollment = state
        .db
        .write(input.org_unit_id, move |conn| {
            let unit = access::org_unit_for_members(conn, &auth, input.org_unit_id)?;
            let enrollment = enrollments::enroll(conn, &auth, &unit, input.user_id, input.role_id)?;
            Ok(unit.enrollment_changed(enrollment, input.user_id))
        })
        .await?;
    ok(&EnrollmentData::from(&enrollment))
}

/// `DELETE /enrollments/users/(userId)/orgUnits/(orgUnitId)` and its mirror: answers the
/// enrollment as it was just before deletion.
pub async fn delete(
    state: State,
    auth: Authorized,
    path: EnrollmentPath,
) -> ApiResult<HttpResponse> {
    let removed = state
        .db
        .write(path.org_unit, move |conn| {
            let unit = access::org_unit_for_members(conn, &auth, path.org_unit)?;
            let removed = enrollments::unenroll(conn, &auth, &unit, path.user)?;
            Ok(unit.enrollment_changed(removed, path.user))
        })
        .await?;
    ok(&EnrollmentData::from(&removed))
}

/// `GET /enrollments/orgUnits/(orgUnitId)/users/(userId)`: one's own, or with the permission.
pub async fn get(state: State, auth: Authorized, path: EnrollmentPath) -> ApiResult<HttpResponse> {
    let enrollment = state
        .db
        .read(move |conn| enrollments::get(conn, &auth, path.org_unit, path.user))
        .await?;
    ok(&EnrollmentData::from(&enrollment))
}

/// `GET /enrollments/orgUnits/(orgUnitId)/users/?roleId=&isActive=&bookmark=`
pub async fn list(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    let filter = ClasslistFilter {
        role_id: query.id("roleId")?,
        is_active: query.bool("isActive")?,
    };
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    remembered(&state, key, move |conn| {
        let unit = access::org_unit(conn, &auth, path.org_unit)?;
        let rows = enrollments::list(conn, &unit, filter, bookmark, PAGE_SIZE + 1)?;
        let answer = page(rows, |(u, _)| u.id, |row| OrgUnitUser::from(&row));
        let from = match unit.parent_id {
            _ if unit.type_id == org_unit_type::COURSE_OFFERING => ReadFrom::Course(unit.id),
            // A section's or group's members: its member list, and its course's roles.
            Some(course) if org_unit_type::is_course_part(unit.type_id) => {
                ReadFrom::CourseRowsAndMembers(course, vec![unit.id])
            }
            _ => ReadFrom::Elsewhere,
        };
        Ok((from, answer))
    })
    .await
}

/// Which of a user's enrollments a list asks for: `orgUnitTypeId` (a comma-separated list;
/// GSU's client sends `orgUnitType`), `isActive`, `roleId`, `canAccess`, and the window
/// `startDateTime`..`endDateTime` that the org unit's dates must overlap.
fn own_filter(query: &Query) -> ApiResult<OwnFilter> {
    let mut type_ids = query.ids("orgUnitTypeId")?;
    if type_ids.is_empty() {
        type_ids = query.ids("orgUnitType")?;
    }
    Ok(OwnFilter {
        type_ids,
        is_active: query.bool("isActive")?,
        role_id: query.id("roleId")?,
        can_access: query
            .bool("canAccess")?
            .map(|can| (can, chrono::Utc::now().naive_utc())),
        ending_from: query.utc("startDateTime")?,
        starting_by: query.utc("endDateTime")?,
    })
}

/// `GET /enrollments/myenrollments/?orgUnitTypeId=&isActive=&bookmark=`: the caller's own,
/// courses, sections and groups alike.
pub async fn mine(
    state: State,
    auth: Authorized,
    query: Query,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let filter = own_filter(&query)?;
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let rows = state
        .db
        .read(move |conn| enrollments::mine(conn, &auth.caller, &filter, bookmark, PAGE_SIZE + 1))
        .await?;
    let origin = origin(&req);
    ok(&page(
        rows,
        |(u, _)| u.id,
        |row| MyOrgUnitInfo::new(&row, &origin),
    ))
}

/// `GET /enrollments/myenrollments/(orgUnitId)`: one of the caller's own; 404 when they are
/// not enrolled there.
pub async fn my_one(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let row = state
        .db
        .read(move |conn| enrollments::my_enrollment(conn, &auth.caller, path.org_unit))
        .await?;
    ok(&MyOrgUnitInfo::new(&row, &origin(&req)))
}

/// `GET /enrollments/users/(userId)/orgUnits/?orgUnitTypeId=&roleId=&bookmark=`: a user's
/// enrollments (courses, sections and groups), one's own or with the permission at the root.
pub async fn of_user(
    state: State,
    auth: Authorized,
    path: UserPath,
    query: Query,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let filter = own_filter(&query)?;
    let bookmark = parse_bookmark(query.get("bookmark"))?;
    let rows = state
        .db
        .read(move |conn| {
            enrollments::of_user(conn, &auth, path.user, &filter, bookmark, PAGE_SIZE + 1)
        })
        .await?;
    let origin = origin(&req);
    ok(&page(
        rows,
        |(_, u, _)| u.id,
        |row| UserOrgUnit::new(&row, &origin),
    ))
}
