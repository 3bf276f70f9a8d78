//! A learner choosing their group (self-enrollment) in the console: the page of the groups they
//! may choose, join and leave. The units of work and the permission (groups.self_enroll) are
//! those of the API's self-enrollment routes (`services::groups::self_enrollment`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;

use super::super::extract::RawBody;
use super::{
    answer, csrf_ok, done_code, enter, id_in_path, is_refusal, page, see_other, stale_form,
    Console, Form,
};
use crate::db::changes::Touch;
use crate::db::org_units::CourseLock::Members;
use crate::error::ApiResult;
use crate::pages::console::self_enrollment as view;
use crate::pages::console::{done_text, Flash};
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
    let now = Utc::now().naive_utc();
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
    let flash = Flash {
        notice: done_text(done_code(&req).as_deref()),
        error: None,
    };
    show(&state, &console, course_id, flash, StatusCode::OK).await
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
    let console = enter!(state, req, choices_path(course_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let auth = console.auth.clone();
    let now = Utc::now().naive_utc();
    let done = state
        .db
        .write_in(course_id, move |conn| {
            let course =
                access::course_for_write(conn, &auth, course_id, Missing::NotFound, Members)?;
            let actor = access::actor(&auth.caller);
            match choice {
                Choice::Join => {
                    self_enrollment::join(conn, &course, &actor, category_id, group_id, now)?
                }
                Choice::Leave => {
                    self_enrollment::leave(conn, &course, &actor, category_id, group_id, now)?
                }
            };
            Ok(((), Touch::Members(group_id)))
        })
        .await;
    let code = match choice {
        Choice::Join => "joined",
        Choice::Leave => "left",
    };
    match done {
        Ok(()) => Ok(see_other(&format!(
            "{}?done={code}",
            choices_path(course_id)
        ))),
        Err(e) if is_refusal(&e) => {
            let flash = Flash {
                notice: None,
                error: Some(e.to_string()),
            };
            show(&state, &console, course_id, flash, e.status_code()).await
        }
        Err(e) => Err(e),
    }
}
