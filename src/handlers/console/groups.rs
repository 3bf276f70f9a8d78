//! The posts of a category page that change one group: add and remove a member, move one to
//! another group of the category (one transaction), delete the group. Each is the unit of
//! work of its API route (`services::groups`), with that route's permission; adding and
//! removing a member tell the caches they touched that group's members only, as those
//! routes do.

use actix_web::{HttpRequest, HttpResponse};

use super::super::extract::RawBody;
use super::categories::{category_path, refused};
use super::{answer, done_or, id_in_path, Console, Form};
use crate::db::org_units::CourseLock::{Members, Structure};
use crate::error::ApiResult;
use crate::services::access::Missing::{BadRequest, NotFound};
use crate::services::groups;
use crate::state::State;

/// A category's post: the ids in its path, the console and the form.
struct Post {
    course_id: i64,
    category_id: i64,
    console: Console,
    form: Form,
}

/// Enters and takes the post's form ([`Console::posted`]); `Err` is the answer already. The
/// caller parses its own ids first, so that an id that is not one is 404 before anything.
async fn post(
    state: &State,
    req: &HttpRequest,
    body: &RawBody,
) -> ApiResult<Result<Post, HttpResponse>> {
    let course_id = id_in_path(req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(req, "groupCategoryId", "Group category")?;
    let back = category_path(course_id, category_id);
    Ok(Console::posted(state, req, body, &back)
        .await?
        .map(|(console, form)| Post {
            course_id,
            category_id,
            console,
            form,
        }))
}

/// 303 to the category page with `done`, or the page again with the refusal.
async fn finish(
    state: &State,
    p: &Post,
    done: ApiResult<()>,
    code: &str,
) -> ApiResult<HttpResponse> {
    match done_or(done, &category_path(p.course_id, p.category_id), code) {
        Err(e) => refused(state, &p.console, p.course_id, p.category_id, e).await,
        answered => answered,
    }
}

/// `POST .../groups/{groupId}/add` (groups.enroll, as `POST .../groups/{id}/enrollments/`):
/// the member named by user name, org-defined id or user id.
pub async fn add(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(add_post(state, req, body).await)
}

async fn add_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let group_id = id_in_path(&req, "groupId", "Group")?;
    let p = match post(&state, &req, &body).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let (category_id, who) = (p.category_id, p.form.text("who"));
    let done = p
        .console
        .change_members(
            &state,
            (p.course_id, group_id),
            NotFound,
            move |conn, course, actor| {
                groups::enroll_named(conn, course, category_id, group_id, &who, actor)
            },
        )
        .await;
    finish(&state, &p, done, "added").await
}

/// `POST .../groups/{groupId}/remove` (groups.enroll, as `DELETE .../enrollments/{userId}`).
pub async fn remove(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(remove_post(state, req, body).await)
}

async fn remove_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let group_id = id_in_path(&req, "groupId", "Group")?;
    let p = match post(&state, &req, &body).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let category_id = p.category_id;
    let done = match p.form.id("user", "Member") {
        Ok(user) => {
            let at = (p.course_id, group_id);
            p.console
                .change_members(&state, at, BadRequest, move |conn, course, actor| {
                    groups::unenroll(conn, course, category_id, group_id, user, actor)
                })
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &p, done, "removed").await
}

/// `POST .../categories/{groupCategoryId}/move` (groups.enroll): out of one group and into
/// another in one transaction (`groups::move_member`). It touches two groups' members, more
/// than one `Touch` says, so it is an ordinary write.
pub async fn move_member(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(move_post(state, req, body).await)
}

async fn move_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let p = match post(&state, &req, &body).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let category_id = p.category_id;
    let ids = (|| {
        Ok((
            p.form.id("user", "Member")?,
            p.form.id("from", "From group")?,
            p.form.id("to", "To group")?,
        ))
    })();
    let done = match ids {
        Ok((user, from, to)) => {
            p.console
                .change(
                    &state,
                    p.course_id,
                    (NotFound, Members),
                    move |conn, course, actor| {
                        groups::move_member(conn, course, category_id, from, to, user, actor)
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &p, done, "moved").await
}

/// `POST .../groups/{groupId}/delete` (groups.manage, as `DELETE .../groups/{groupId}`).
pub async fn delete(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(delete_post(state, req, body).await)
}

async fn delete_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let group_id = id_in_path(&req, "groupId", "Group")?;
    let p = match post(&state, &req, &body).await? {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let category_id = p.category_id;
    let done = p
        .console
        .change(
            &state,
            p.course_id,
            (BadRequest, Structure),
            move |conn, course, actor| {
                groups::delete_group(conn, course, category_id, group_id, actor)
            },
        )
        .await;
    finish(&state, &p, done, "deleted-group").await
}
