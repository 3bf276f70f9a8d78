//! The six category routes: `.../groupcategories/` and `.../groupcategories/(groupCategoryId)`.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::super::extract::Body;
use super::super::paths::{CategoryPath, OrgUnitPath};
use super::super::remember::{remembered, ReadFrom};
use super::super::reply::{ok, ok_empty, reply};
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::middleware::ServedVersion;
use crate::services::access::{
    self, MembersHeld, Missing::BadRequest, Missing::NotFound, StructureHeld,
};
use crate::services::groups;
use crate::state::{AnswerKey, State};
use crate::wire::groups::{
    GroupCategoryCreate, GroupCategoryFetch, GroupCategoryJobStatus, GroupCategoryUpdate,
    GroupsJobData,
};

/// `GET .../groupcategories/`
pub async fn list_categories(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    key: AnswerKey,
    version: ServedVersion,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.org_unit, BadRequest)?;
        let all = groups::list_categories(conn, &course)?;
        let answer: Vec<_> = all
            .iter()
            .map(|c| GroupCategoryFetch::at(c, version.0))
            .collect();
        // Categories list their groups, not their members.
        Ok((
            ReadFrom::CourseRowsAndMembers(course.id, Vec::new()),
            answer,
        ))
    })
    .await
}

/// `POST .../groupcategories/`: validates, records the category and its creation job, 202.
pub async fn create_category(
    state: State,
    auth: Authorized,
    body: Body<GroupCategoryCreate>,
    path: OrgUnitPath,
) -> ApiResult<HttpResponse> {
    let spec = body.0.validated()?;
    let category = state
        .db
        .write(path.org_unit, move |conn| {
            let course =
                access::course_held::<MembersHeld>(conn, &auth, path.org_unit, BadRequest)?;
            Ok(course.changed(groups::create_category(conn, &course, &spec)?))
        })
        .await?;
    state.jobs.wake();
    reply(StatusCode::ACCEPTED, &GroupsJobData::from(&category))
}

/// `GET .../groupcategories/(groupCategoryId)`
pub async fn get_category(
    state: State,
    auth: Authorized,
    path: CategoryPath,
    key: AnswerKey,
    version: ServedVersion,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.course, BadRequest)?;
        let category = groups::get_category(conn, &course, path.category)?;
        Ok((
            ReadFrom::CourseRowsAndMembers(course.id, Vec::new()),
            GroupCategoryFetch::at(&category, version.0),
        ))
    })
    .await
}

/// `GET .../groupcategories/(groupCategoryId)/status`
pub async fn category_status(
    state: State,
    auth: Authorized,
    path: CategoryPath,
) -> ApiResult<HttpResponse> {
    let status = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.course, BadRequest)?;
            groups::category_status(conn, &course, path.category)
        })
        .await?;
    ok(&GroupCategoryJobStatus { status })
}

/// `PUT .../groupcategories/(groupCategoryId)`: the Update form only, as the served version
/// reads it.
pub async fn update_category(
    state: State,
    auth: Authorized,
    body: Body<GroupCategoryUpdate>,
    path: CategoryPath,
    version: ServedVersion,
) -> ApiResult<HttpResponse> {
    let changes = body.0.validated(version.0)?;
    let category = state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<MembersHeld>(conn, &auth, path.course, NotFound)?;
            Ok(course.changed(groups::update_category(
                conn,
                &course,
                path.category,
                &changes,
            )?))
        })
        .await?;
    // The allocation after expiry may have moved to a time already past.
    state.jobs.wake();
    ok(&GroupCategoryFetch::at(&category, version.0))
}

/// `DELETE .../groupcategories/(groupCategoryId)`: the category with its groups and their
/// memberships; also how a failed creation is cleared away.
pub async fn delete_category(
    state: State,
    auth: Authorized,
    path: CategoryPath,
) -> ApiResult<HttpResponse> {
    state
        .db
        .write(path.course, move |conn| {
            let course =
                access::course_held::<StructureHeld>(conn, &auth, path.course, BadRequest)?;
            let actor = access::actor(&auth.caller);
            groups::delete_category(conn, &course, path.category, &actor)?;
            Ok(course.changed(()))
        })
        .await?;
    Ok(ok_empty())
}
