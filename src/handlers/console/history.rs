//! `GET /console/courses/{orgUnitId}/history`: the course's membership history, newest
//! first, 50 entries a page, filtered by user and by what the change came through; read with
//! enrollments.read through the unit of work of `GET /{orgUnitId}/memberships/history/`
//! (`services::history::page`), as its entries (`MembershipChangeData`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::{answer, enter, id_in_path, page, query_value, refusal};
use crate::db::history::HistoryFilter;
use crate::domain::history::Via;
use crate::error::{ApiError, ApiResult};
use crate::pages::console::history::{self as view, Filters, HistoryPage, HistoryRow};
use crate::pages::console::Flash;
use crate::services::access::{self, Missing::NotFound};
use crate::services::history;
use crate::state::State;
use crate::wire::history::MembershipChangeData;

/// Entries a page of the history shows.
pub const ENTRIES_PER_PAGE: i64 = 50;

fn history_path(course: i64) -> String {
    format!("/console/courses/{course}/history")
}

/// `GET .../history?user=&via=&before=` (enrollments.read, as the API route).
pub async fn list(state: State, req: HttpRequest) -> HttpResponse {
    answer(list_page(state, req).await)
}

/// The query's filters as the page's form shows them, and the entry the page starts below.
fn filters(req: &HttpRequest) -> ApiResult<(Filters, Option<Via>, Option<i64>)> {
    let user = query_value(req, "user")
        .map(|u| u.trim().to_string())
        .unwrap_or_default();
    let via_text = query_value(req, "via").unwrap_or_default();
    let via = match via_text.as_str() {
        "" => None,
        name => Some(Via::from_name(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "via: {name:?} is not one of Api, Console, AutoEnroll, Job."
            ))
        })?),
    };
    let before = match query_value(req, "before") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::bad_request("before: must be an entry's id."))?,
        ),
    };
    let shown = Filters {
        user,
        via: via.map(|v| v.name()),
    };
    Ok((shown, via, before))
}

/// Through what a change came, as a person reads it.
fn through(e: &MembershipChangeData) -> String {
    match (e.via.as_str(), &e.client_id) {
        ("Api", Some(client)) => format!("API (client {client})"),
        ("Api", None) => "API".to_string(),
        (via, _) => via.to_string(),
    }
}

async fn list_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let back = match req.query_string() {
        "" => history_path(course_id),
        query => format!("{}?{query}", history_path(course_id)),
    };
    let console = enter!(state, req, back);
    let (shown, via, before) = filters(&req)?;
    let auth = console.auth.clone();
    let who = shown.user.clone();
    let read = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, NotFound)?;
            let user = match who.as_str() {
                "" => None,
                who => match history::named_user(conn, &course, who) {
                    Ok(user) => Some(user.id),
                    Err(e @ ApiError::NotFound(_)) => return Ok((course.name.clone(), Err(e))),
                    Err(other) => return Err(other),
                },
            };
            let filter = HistoryFilter {
                user_id: user,
                org_unit_id: None,
                via,
            };
            let rows = history::page(conn, &course, filter, before, ENTRIES_PER_PAGE + 1)?;
            let people = history::people(conn, &course, &rows)?;
            Ok((course.name.clone(), Ok((rows, people))))
        })
        .await?;
    let (course_name, found) = read;
    let (status, flash, mut rows, people) = match found {
        Ok((rows, people)) => (StatusCode::OK, Flash::default(), rows, people),
        Err(e) => (e.status_code(), refusal(&e), Vec::new(), Vec::new()),
    };
    let more = rows.len() as i64 > ENTRIES_PER_PAGE;
    rows.truncate(ENTRIES_PER_PAGE as usize);
    let names: HashMap<i64, String> = people
        .into_iter()
        .map(|u| (u.id, format!("{} ({})", u.display_name(), u.user_name)))
        .collect();
    let name_of = |id: i64| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("User {id}"))
    };
    let link = |before: Option<i64>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !shown.user.is_empty() {
            query.append_pair("user", &shown.user);
        }
        if let Some(via) = shown.via {
            query.append_pair("via", via);
        }
        if let Some(before) = before {
            query.append_pair("before", &before.to_string());
        }
        match query.finish() {
            q if q.is_empty() => history_path(course_id),
            q => format!("{}?{q}", history_path(course_id)),
        }
    };
    let next = rows
        .last()
        .filter(|_| more)
        .map(|last| link(Some(last.entry.id)));
    let first = before.map(|_| link(None));
    let entries: Vec<HistoryRow> = rows
        .into_iter()
        .map(MembershipChangeData::from)
        .map(|e| HistoryRow {
            when: e.changed_at.0.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            change: e.change.clone(),
            member: name_of(e.user_id),
            unit: match (&e.org_unit_name, e.org_unit_type) {
                (Some(name), Some(kind)) => format!("{name} ({})", kind.to_lowercase()),
                (Some(name), None) => name.clone(),
                (None, _) => format!("Deleted section or group {}", e.org_unit_id),
            },
            by: e.changed_by_user_id.map(name_of),
            through: through(&e),
        })
        .collect();
    let body = view::history(
        &console.frame(),
        &flash,
        &HistoryPage {
            course_id,
            course_name: &course_name,
            filters: &shown,
            entries: &entries,
            first,
            next,
        },
    );
    Ok(page(status, body))
}
