//! Self-enrollment, our extension (docs/api.md): a learner lists the groups they may choose,
//! joins one and leaves it, under the category's rules (`services::groups::self_enrollment`).
//! The caller is the learner: these routes act on the caller's own membership only. The
//! window is judged on business time (`crate::clock`), which test mode can move.

use actix_web::HttpResponse;

use super::super::paths::{CategoryPath, GroupPath, OrgUnitPath};
use super::super::reply::ok;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::services::access::{self, MembersHeld, Missing::NotFound};
use crate::services::groups::self_enrollment;
use crate::state::State;
use crate::wire::self_enrollment::SelfEnrollmentCategory;

/// `GET .../groupcategories/selfenrollment/`: the categories the caller may choose a group in.
pub async fn choices(state: State, auth: Authorized, path: OrgUnitPath) -> ApiResult<HttpResponse> {
    let now = state.clock.naive_now();
    let all = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.org_unit, NotFound)?;
            self_enrollment::choices(conn, &course, auth.caller.user_id, now)
        })
        .await?;
    let answer: Vec<SelfEnrollmentCategory> = all.iter().map(Into::into).collect();
    ok(&answer)
}

/// `GET .../groupcategories/(groupCategoryId)/selfenrollment`
pub async fn choice(state: State, auth: Authorized, path: CategoryPath) -> ApiResult<HttpResponse> {
    let now = state.clock.naive_now();
    let one = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.course, NotFound)?;
            self_enrollment::one_choice(conn, &course, auth.caller.user_id, path.category, now)
        })
        .await?;
    ok(&SelfEnrollmentCategory::from(&one))
}

/// `POST .../groups/(groupId)/selfenrollment`: the caller joins the group; answers the
/// category as they now see it.
pub async fn join(state: State, auth: Authorized, path: GroupPath) -> ApiResult<HttpResponse> {
    let now = state.clock.naive_now();
    let joined = state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<MembersHeld>(conn, &auth, path.course, NotFound)?;
            let actor = access::actor(&auth.caller);
            let choice =
                self_enrollment::join(conn, &course, &actor, path.category, path.group, now)?;
            Ok(course.members_changed(choice, path.group))
        })
        .await?;
    ok(&SelfEnrollmentCategory::from(&joined))
}

/// `DELETE .../groups/(groupId)/selfenrollment`: the caller leaves the group.
pub async fn leave(state: State, auth: Authorized, path: GroupPath) -> ApiResult<HttpResponse> {
    let now = state.clock.naive_now();
    let left = state
        .db
        .write(path.course, move |conn| {
            let course = access::course_held::<MembersHeld>(conn, &auth, path.course, NotFound)?;
            let actor = access::actor(&auth.caller);
            let choice =
                self_enrollment::leave(conn, &course, &actor, path.category, path.group, now)?;
            Ok(course.members_changed(choice, path.group))
        })
        .await?;
    ok(&SelfEnrollmentCategory::from(&left))
}
