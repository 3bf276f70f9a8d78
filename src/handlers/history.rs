//! The membership history of a course, our extension (docs/api.md, "Membership history").

use actix_web::HttpResponse;

use super::extract::Query;
use super::paths::OrgUnitPath;
use super::reply::ok;
use crate::auth::Authorized;
use crate::db::history::HistoryFilter;
use crate::domain::history::Via;
use crate::error::{ApiError, ApiResult};
use crate::services::access::{self, Missing::NotFound};
use crate::services::history;
use crate::state::State;
use crate::wire::history::MembershipChangeData;
use crate::wire::{page, parse_bookmark, PAGE_SIZE};

/// `GET /(orgUnitId)/memberships/history/?userId=&orgUnitId=&via=&bookmark=`: newest first, a
/// PagedResultSet of 100; the bookmark is the last entry's id, and the next page holds the
/// entries before it.
pub async fn list(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    let via = match query.get("via") {
        None => None,
        Some(name) => Some(Via::from_name(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "via: {name:?} is not one of Api, Console, AutoEnroll, Job."
            ))
        })?),
    };
    let filter = HistoryFilter {
        user_id: query.id("userId")?,
        org_unit_id: query.id("orgUnitId")?,
        via,
    };
    let before = Some(parse_bookmark(query.get("bookmark"))?).filter(|b| *b > 0);
    let rows = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.org_unit, NotFound)?;
            history::page(conn, &course, filter, before, PAGE_SIZE + 1)
        })
        .await?;
    ok(&page(rows, |r| r.entry.id, MembershipChangeData::from))
}
