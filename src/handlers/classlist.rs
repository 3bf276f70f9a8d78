//! The LE classlist (`/d2l/api/le/(version)/(orgUnitId)/classlist/...`): the users enrolled
//! in the org unit with their roles there, for callers with enrollments.read there, or, with
//! others' private fields hidden, for callers enrolled there (`services::classlist`).
//!
//! Filters, on both forms: `onlyShowShownInGrades` (learners only), `roleId`, `searchTerm`;
//! the paged form also `bookmark` (the last user id), with 100 users a page.

use actix_web::{HttpRequest, HttpResponse};

use super::extract::Query;
use super::paths::OrgUnitPath;
use super::remember::{remembered, ReadFrom};
use super::reply::{ok, origin};
use crate::auth::Authorized;
use crate::db::classlist::Filter;
use crate::db::rows::org_unit_type;
use crate::error::ApiResult;
use crate::services::classlist;
use crate::state::{AnswerKey, State};
use crate::wire::classlist::{object_list_page, ClasslistUser};
use crate::wire::{parse_bookmark, PAGE_SIZE};

/// The filters sent, parsed, and as the `Next` URL repeats them (names as documented).
fn filters(query: &Query) -> ApiResult<(Filter, Vec<(&'static str, String)>)> {
    let learners_only = query.bool("onlyShowShownInGrades")?;
    let role_id = query.id("roleId")?;
    let search_term = query
        .get("searchTerm")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let mut repeated = Vec::new();
    if let Some(only) = learners_only {
        repeated.push(("onlyShowShownInGrades", only.to_string()));
    }
    if let Some(role_id) = role_id {
        repeated.push(("roleId", role_id.to_string()));
    }
    if let Some(term) = &search_term {
        repeated.push(("searchTerm", term.clone()));
    }
    let filter = Filter {
        role_id,
        learners_only: learners_only.unwrap_or(false),
        search_term,
        names_only: false,
    };
    Ok((filter, repeated))
}

/// `GET /(orgUnitId)/classlist/`: a JSON array of ClasslistUser, every match.
pub async fn list(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
    key: AnswerKey,
) -> ApiResult<HttpResponse> {
    let (filter, _) = filters(&query)?;
    remembered(&state, key, move |conn| {
        let (unit, reader) = classlist::reader(conn, &auth, path.org_unit)?;
        let rows = classlist::page(conn, &unit, reader, filter, 0, None)?;
        let answer: Vec<ClasslistUser> = rows.iter().map(ClasslistUser::from).collect();
        let from = if unit.type_id == org_unit_type::COURSE_OFFERING {
            ReadFrom::Course(unit.id)
        } else {
            ReadFrom::Elsewhere
        };
        Ok((from, answer))
    })
    .await
}

/// `GET /(orgUnitId)/classlist/paged/`: an ObjectListPage of ClasslistUser. `Next` is absolute
/// (on the scheme and host the request came to, as `HomeUrl` is), repeats the filters and
/// carries the bookmark; null on the last page.
pub async fn paged(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (filter, repeated) = filters(&query)?;
    let after = parse_bookmark(query.get("bookmark"))?;
    let rows = state
        .db
        .read(move |conn| {
            let (unit, reader) = classlist::reader(conn, &auth, path.org_unit)?;
            classlist::page(conn, &unit, reader, filter, after, Some(PAGE_SIZE + 1))
        })
        .await?;
    let base = format!("{}{}", origin(&req), req.path());
    ok(&object_list_page(
        rows,
        PAGE_SIZE as usize,
        &base,
        &repeated,
    ))
}
