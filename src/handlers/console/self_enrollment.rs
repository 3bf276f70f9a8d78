//! A learner choosing their group (self-enrollment) in the console: the page of the groups they
//! may choose, join and leave. The units of work and the permission (groups.self_enroll) are
//! those of the API's self-enrollment routes (`services::groups::self_enrollment`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::super::extract::RawBody;
use super::{
    answer, done_or, enter, enter_post, id_in_path, is_refusal, notice, page, refusal, Console,
};
use crate::error::ApiResult;
use crate::pages::console::self_enrollment as view;
use crate::pages::console::Flash;
use crate::services::access::{self, Missing};
use crate::services::groups::self_enrollment;
use crate::state::State;

fn choices_path(course_id: i64) -> String {
    format!("/console/courses/{course_id}/mygroups")
}

/// The page, with `flash` and `status` (a refusal shows the page again with its status).
async fn show(
    state: &State,
    console: &Console,
    course_id: i64,
    flash: Flash,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let auth = console.auth.clone();
    let now = state.clock.naive_now();
    let (course_name, all) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let all = self_enrollment::choices(conn, &course, auth.caller.user_id, now)?;
            Ok((course.name.clone(), all))
        })
        .await?;
    let frame = console.frame();
    Ok(page(
        status,
        view::choices(&frame, &flash, course_id, &course_name, &all),
    ))
}

/// `GET /console/courses/{ou}/mygroups` (groups.self_enroll, as
/// `GET .../groupcategories/selfenrollment/`).
pub async fn choices(state: State, req: HttpRequest) -> HttpResponse {
    answer(choices_page(state, req).await)
}

async fn choices_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, choices_path(course_id));
    show(&state, &console, course_id, notice(&req), StatusCode::OK).await
}

#[derive(Clone, Copy)]
enum Choice {
    Join,
    Leave,
}

/// `POST .../mygroups/{groupCategoryId}/groups/{groupId}/join` (as `POST .../selfenrollment`).
pub async fn join(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(choose(state, req, body, Choice::Join).await)
}

/// `POST .../mygroups/{groupCategoryId}/groups/{groupId}/leave` (as `DELETE .../selfenrollment`).
pub async fn leave(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(choose(state, req, body, Choice::Leave).await)
}

async fn choose(
    state: State,
    req: HttpRequest,
    body: RawBody,
    choice: Choice,
) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let group_id = id_in_path(&req, "groupId", "Group")?;
    let (console, _) = enter_post!(state, req, body, choices_path(course_id));
    let now = state.clock.naive_now();
    let at = (course_id, group_id);
    let done = console
        .change_members(&state, at, Missing::NotFound, move |conn, course, actor| {
            match choice {
                Choice::Join => {
                    self_enrollment::join(conn, course, actor, category_id, group_id, now)
                }
                Choice::Leave => {
                    self_enrollment::leave(conn, course, actor, category_id, group_id, now)
                }
            }
            .map(drop)
        })
        .await;
    let code = match choice {
        Choice::Join => "joined",
        Choice::Leave => "left",
    };
    match done_or(done, &choices_path(course_id), code) {
        Err(e) if is_refusal(&e) => {
            show(&state, &console, course_id, refusal(&e), e.status_code()).await
        }
        answered => answered,
    }
}
