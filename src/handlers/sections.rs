//! Sections of a course offering: settings that initialize them (creating the first sections
//! and allocating the course's learners), the sections themselves and their members. The
//! units of work are `services::sections`; the automatic placement of learners enrolled later
//! is `services::placement::sections`.

use actix_web::HttpResponse;

use super::extract::{Body, RawBody};
use super::paths::{OrgUnitPath, SectionPath};
use super::remember::{remembered, ReadFrom};
use super::reply::{ok, ok_empty};
use crate::auth::Authorized;
use crate::domain::sections::{NewSettings, SectionChange, SettingsChange};
use crate::error::{ApiError, ApiResult};
use crate::services::access::{self, MembersHeld, Missing, StructureHeld};
use crate::services::sections;
use crate::state::{AnswerKey, State};
use crate::wire::sections::*;

/// `GET /sections/settings`
pub async fn get_settings(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
) -> ApiResult<HttpResponse> {
    let settings = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.org_unit, Missing::NotFound)?;
            sections::settings(conn, &course)
        })
        .await?;
    ok(&SectionSettingsFetch::try_from(&settings)?)
}

/// `POST /sections/settings`: initializes once, creating the first sections and dealing the
/// course's learners among them, all in one transaction.
pub async fn create_settings(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    body: Body<SectionSettingsCreate>,
) -> ApiResult<HttpResponse> {
    let input = NewSettings::try_from(body.0)?;
    let settings = state
        .db
        .write(path.org_unit, move |conn| {
            let course = access::course_held::<StructureHeld>(
                conn,
                &auth,
                path.org_unit,
                Missing::NotFound,
            )?;
            let settings =
                sections::initialize(conn, &course, &input, &access::actor(&auth.caller))?;
            Ok(course.changed(settings))
        })
        .await?;
    ok(&SectionSettingsFetch::try_from(&settings)?)
}

/// `PUT /sections/settings`: changes the descriptive settings; never re-deals members.
pub async fn update_settings(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    body: Body<SectionSettingsUpdate>,
) -> ApiResult<HttpResponse> {
    let change = SettingsChange::try_from(body.0)?;
    let settings = state
        .db
        .write(path.org_unit, move |conn| {
            let course = access::course_held::<StructureHeld>(
                conn,
                &auth,
                path.org_unit,
                Missing::NotFound,
            )?;
            Ok(course.changed(sections::update_settings(conn, &course, &change)?))
        })
        .await?;
    ok(&SectionSettingsFetch::try_from(&settings)?)
}

/// `GET /sections/`
pub async fn list(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.org_unit, Missing::NotFound)?;
        let sections = sections::list(conn, &course)?;
        let answer: Vec<_> = sections.iter().map(SectionFetch::from).collect();
        Ok((ReadFrom::Course(course.id), answer))
    })
    .await
}

/// `POST /sections/`: one more section.
pub async fn create(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    body: Body<SectionInput>,
) -> ApiResult<HttpResponse> {
    let input = SectionChange::try_from(body.0)?;
    let section = state
        .db
        .write(path.org_unit, move |conn| {
            let course = access::course_held::<StructureHeld>(
                conn,
                &auth,
                path.org_unit,
                Missing::NotFound,
            )?;
            Ok(course.changed(sections::create(conn, &course, &input)?))
        })
        .await?;
    ok(&SectionFetch::from(&section))
}

/// `GET /sections/(sectionId)`
pub async fn get(
    state: State,
    auth: Authorized,
    path: SectionPath,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.course, Missing::NotFound)?;
        let section = sections::get(conn, &course, path.section)?;
        Ok((ReadFrom::Course(course.id), SectionFetch::from(&section)))
    })
    .await
}

/// `PUT /sections/(sectionId)`: Name, Code, Description.
pub async fn update(
    state: State,
    auth: Authorized,
    path: SectionPath,
    body: Body<SectionInput>,
) -> ApiResult<HttpResponse> {
    let input = SectionChange::try_from(body.0)?;
    let section = state
        .db
        .write(path.course, move |conn| {
            let course =
                access::course_held::<StructureHeld>(conn, &auth, path.course, Missing::NotFound)?;
            Ok(course.changed(sections::update(conn, &course, path.section, &input)?))
        })
        .await?;
    ok(&SectionFetch::from(&section))
}

/// `DELETE /sections/(sectionId)`: the section and its memberships.
pub async fn delete(state: State, auth: Authorized, path: SectionPath) -> ApiResult<HttpResponse> {
    state
        .db
        .write(path.course, move |conn| {
            let course =
                access::course_held::<StructureHeld>(conn, &auth, path.course, Missing::NotFound)?;
            let actor = access::actor(&auth.caller);
            Ok(course.changed(sections::delete(conn, &course, path.section, &actor)?))
        })
        .await?;
    Ok(ok_empty())
}

/// `POST /sections/(sectionId)/enrollments/`: the user must already be enrolled in the course.
pub async fn enroll(
    state: State,
    auth: Authorized,
    path: SectionPath,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let user_id = UserEnrollment::from_body(&body.0)?;
    state
        .db
        .write(path.course, move |conn| {
            let course =
                access::course_held::<MembersHeld>(conn, &auth, path.course, Missing::NotFound)?;
            let actor = access::actor(&auth.caller);
            sections::enroll(conn, &course, path.section, user_id, &actor)?;
            Ok(course.members_changed((), path.section))
        })
        .await?;
    Ok(ok_empty())
}

/// `GET /sections/(sectionId)/enrollments/`: the members' user ids.
pub async fn members(state: State, auth: Authorized, path: SectionPath) -> ApiResult<HttpResponse> {
    let members = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.course, Missing::NotFound)?;
            sections::members(conn, &course, path.section)
        })
        .await?;
    ok(&members)
}

/// `GET /sections/mysections/`: the caller's sections, Enrolled form; 403 unless the caller is
/// enrolled in the course.
pub async fn mine(state: State, auth: Authorized, path: OrgUnitPath) -> ApiResult<HttpResponse> {
    let mine = state
        .db
        .read(move |conn| {
            let unit = access::own_org_unit(conn, &auth.caller, path.org_unit)?;
            sections::mine(conn, &unit, auth.caller.user_id)
        })
        .await?;
    let visible = mine.descriptions_visible;
    ok(&mine
        .sections
        .iter()
        .map(|s| SectionEnrolled::new(s, visible))
        .collect::<Vec<_>>())
}

/// Legacy `PUT /sections/`: gone since LP 1.39, so the route table serves it on no version and
/// the gate answers 404 before this runs.
pub async fn legacy_initialize() -> ApiResult<HttpResponse> {
    Err(ApiError::not_found(
        "PUT /sections/ was removed in LP 1.39; use POST /sections/settings.",
    ))
}
