//! The eight group and member routes: `.../groupcategories/(groupCategoryId)/groups/...`.

use actix_web::HttpResponse;

use super::super::extract::{Body, RawBody};
use super::super::paths::{CategoryPath, GroupMemberPath, GroupPath};
use super::super::remember::{remembered, ReadFrom};
use super::super::reply::{ok, ok_empty};
use crate::auth::Authorized;
use crate::domain::group_plan::GroupChange;
use crate::error::ApiResult;
use crate::services::access::{
    self, MembersHeld, Missing::BadRequest, Missing::NotFound, StructureHeld,
};
use crate::services::groups;
use crate::state::{AnswerKey, State};
use crate::wire::groups::{GroupFetch, GroupInput};
use crate::wire::sections::UserEnrollment;

/// `GET .../groupcategories/(groupCategoryId)/groups/`
pub async fn list_groups(
    state: State,
    auth: Authorized,
    path: CategoryPath,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.course, NotFound)?;
        let all = groups::list_groups(conn, &course, path.category)?;
        let answer: Vec<_> = all.iter().map(GroupFetch::from).collect();
        let groups = all.iter().map(|g| g.unit.id).collect();
        Ok((ReadFrom::CourseRowsAndMembers(course.id, groups), answer))
    })
    .await
}

/// `POST .../groupcategories/(groupCategoryId)/groups/`
pub async fn create_group(
    state: State,
    auth: Authorized,
    body: Body<GroupInput>,
    path: CategoryPath,
) -> ApiResult<HttpResponse> {
    let change = GroupChange::try_from(body.0)?;
    let group = state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<StructureHeld>(conn, &auth, path.course, NotFound)?;
            Ok(course.changed(groups::create_group(conn, &course, path.category, &change)?))
        })
        .await?;
    ok(&GroupFetch::from(&group))
}

/// `GET .../groups/(groupId)`
pub async fn get_group(
    state: State,
    auth: Authorized,
    path: GroupPath,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    remembered(&state, key, move |conn| {
        let course = access::course(conn, &auth, path.course, BadRequest)?;
        let group = groups::get_group(conn, &course, path.category, path.group)?;
        let from = ReadFrom::CourseRowsAndMembers(course.id, vec![group.unit.id]);
        Ok((from, GroupFetch::from(&group)))
    })
    .await
}

/// `PUT .../groups/(groupId)`: Name, Code, Description.
pub async fn update_group(
    state: State,
    auth: Authorized,
    body: Body<GroupInput>,
    path: GroupPath,
) -> ApiResult<HttpResponse> {
    let change = GroupChange::try_from(body.0)?;
    let group = state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<StructureHeld>(conn, &auth, path.course, NotFound)?;
            let group = groups::update_group(conn, &course, path.category, path.group, &change)?;
            Ok(course.changed(group))
        })
        .await?;
    ok(&GroupFetch::from(&group))
}

/// `DELETE .../groups/(groupId)`: the group and its memberships.
pub async fn delete_group(
    state: State,
    auth: Authorized,
    path: GroupPath,
) -> ApiResult<HttpResponse> {
    state
        .db
        .write(path.course, move |conn| {
            let course =
                access::course_held::<StructureHeld>(conn, &auth, path.course, BadRequest)?;
            let actor = access::actor(&auth.caller);
            groups::delete_group(conn, &course, path.category, path.group, &actor)?;
            Ok(course.changed(()))
        })
        .await?;
    Ok(ok_empty())
}

/// `POST .../groups/(groupId)/enrollments/`: the user must be enrolled in the course (and a
/// member of the restricting org unit, if any), else 404. Caps do not bind this explicit call.
pub async fn enroll(
    state: State,
    auth: Authorized,
    body: RawBody,
    path: GroupPath,
) -> ApiResult<HttpResponse> {
    let user_id = UserEnrollment::from_body(&body.0)?;
    state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<MembersHeld>(conn, &auth, path.course, NotFound)?;
            groups::enroll(
                conn,
                &course,
                path.category,
                path.group,
                user_id,
                &access::actor(&auth.caller),
            )?;
            Ok(course.members_changed((), path.group))
        })
        .await?;
    Ok(ok_empty())
}

/// `DELETE .../groups/(groupId)/enrollments/(userId)`
pub async fn unenroll(
    state: State,
    auth: Authorized,
    path: GroupMemberPath,
) -> ApiResult<HttpResponse> {
    state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<MembersHeld>(conn, &auth, path.course, BadRequest)?;
            let actor = access::actor(&auth.caller);
            groups::unenroll(conn, &course, path.category, path.group, path.user, &actor)?;
            Ok(course.members_changed((), path.group))
        })
        .await?;
    Ok(ok_empty())
}

/// `GET .../groups/(groupId)/enrollments`: the members' user ids.
pub async fn members(state: State, auth: Authorized, path: GroupPath) -> ApiResult<HttpResponse> {
    let members = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.course, BadRequest)?;
            groups::members(conn, &course, path.category, path.group)
        })
        .await?;
    ok(&members)
}
