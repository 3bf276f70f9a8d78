//! Remembered answers: the hot GET routes (the groups, categories and sections of a course,
//! its class list, whoami) answer from memory while no write they depend on has been recorded
//! since they were read (`db::changes`). An answer is kept per caller and per path and query,
//! so it holds that caller's access check as well as the data; only 200s are kept.

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::reply::JSON_CONTENT_TYPE;
use crate::auth::Caller;
use crate::db::changes::Dep;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::state::{AnswerKey, State};

/// What an answer was read from, so that it is forgotten when that changes.
pub enum ReadFrom {
    /// One course offering: anything of it (its rows and every member list of its sections
    /// and groups), and what lies outside courses (users, roles, structure). The safe claim.
    Course(i64),
    /// One course offering's rows but its member lists, and these member lists of it: a
    /// narrower claim, for an answer that lists exactly these groups' members (or none), so
    /// that a change to another group's members leaves it. `tests/it/freshness.rs` holds
    /// every such claim to the writes of every route.
    CourseRowsAndMembers(i64, Vec<i64>),
    /// Nothing inside any course.
    NoCourse,
    /// Rows of several courses, or of an org unit that is not a course: not remembered.
    Elsewhere,
}

impl ReadFrom {
    /// What the answer depends on, or `None` when it is not to be remembered.
    fn dependencies(self) -> Option<Vec<Dep>> {
        match self {
            ReadFrom::Course(id) => Some(vec![Dep::Course(id)]),
            ReadFrom::CourseRowsAndMembers(id, lists) => Some(
                std::iter::once(Dep::CourseRows(id))
                    .chain(lists.into_iter().map(Dep::MemberList))
                    .collect(),
            ),
            ReadFrom::NoCourse => Some(Vec::new()),
            ReadFrom::Elsewhere => None,
        }
    }
}

impl FromRequest for AnswerKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.as_str().to_string());
        let revalidate = req
            .headers()
            .get_all(header::CACHE_CONTROL)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|d| {
                matches!(
                    d.trim().to_ascii_lowercase().as_str(),
                    "no-cache" | "max-age=0"
                )
            });
        let key = Caller::from_request(req, payload)
            .into_inner()
            .map(|caller| AnswerKey {
                institution_id: caller.institution_id,
                user_id: caller.user_id,
                client_id: caller.client_id,
                target,
                revalidate,
            });
        ready(key)
    }
}

/// The answer remembered for `key`, or `read`'s (run on the blocking pool, its value
/// serialized there too), remembered for next time when it says what it was read from.
pub async fn remembered<T, F>(state: &State, key: AnswerKey, read: F) -> ApiResult<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> ApiResult<(ReadFrom, T)> + Send + 'static,
    T: Serialize,
{
    let memo = &state.caches.answers;
    if let Some(body) = memo.get(&key).filter(|_| !key.revalidate) {
        return Ok(json(body));
    }
    let stamp = memo.stamp();
    let (from, body) = state
        .db
        .read(move |conn| {
            let (from, value) = read(conn)?;
            let body = serde_json::to_vec(&value).map_err(ApiError::internal)?;
            Ok((from, web::Bytes::from(body)))
        })
        .await?;
    let units = from.dependencies();
    // A revalidation reads the database without leaving a trace: what is remembered stays as
    // the reads that were answered from memory left it.
    if let Some(units) = units.filter(|_| !key.revalidate) {
        let weight = body.len() + key.target.len() + 16 * units.len() + 64;
        memo.put(key, body.clone(), stamp, units, weight);
    }
    Ok(json(body))
}

fn json(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
        .body(body)
}
