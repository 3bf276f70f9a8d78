//! The org structure (`/orgstructure/...`) and the org-unit types (`/outypes/...`).
//!
//! Every orgstructure route proves the org unit asked about with orgunits.read there (the
//! search: at the root); lists are in id order, filtered by `ouTypeId`, arrays unpaged and
//! PagedResultSet paged (the last id as bookmark). Unknown query parameters (`pageSize`) are
//! ignored. The types are fixed data (`db::rows::org_unit_type`), the same for every
//! institution, so their routes read no database.

use actix_web::{HttpRequest, HttpResponse};

use super::extract::Query;
use super::paths::{path_param, OrgUnitPath};
use super::reply::ok;
use crate::auth::Authorized;
use crate::db::org_structure::{Search, Window};
use crate::db::rows::org_unit_type;
use crate::error::{ApiError, ApiResult};
use crate::services::access;
use crate::services::orgstructure::{self, Relation};
use crate::state::State;
use crate::wire::orgstructure::{bookmark, text_filter, OrgUnitData, OrgUnitType};
use crate::wire::{page, PAGE_SIZE};

/// `GET /orgstructure/(orgUnitId)`: OrgUnitProperties.
pub async fn get(state: State, auth: Authorized, path: OrgUnitPath) -> ApiResult<HttpResponse> {
    let unit = state
        .db
        .read(move |conn| access::org_unit(conn, &auth, path.org_unit))
        .await?;
    ok(&OrgUnitData::from(&unit))
}

/// The unpaged lists: a JSON array of every org unit in `relation`.
async fn array(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
    relation: Relation,
) -> ApiResult<HttpResponse> {
    let window = Window {
        type_id: query.id("ouTypeId")?,
        ..Window::default()
    };
    let units = state
        .db
        .read(move |conn| {
            let unit = access::org_unit(conn, &auth, path.org_unit)?;
            orgstructure::related(conn, &unit, relation, window)
        })
        .await?;
    ok(&units.iter().map(OrgUnitData::from).collect::<Vec<_>>())
}

/// The paged lists: a PagedResultSet of the org units in `relation` after the bookmark.
async fn paged(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
    relation: Relation,
) -> ApiResult<HttpResponse> {
    let window = Window {
        type_id: query.id("ouTypeId")?,
        after: bookmark(query.get("bookmark"))?,
        limit: Some(PAGE_SIZE + 1),
    };
    let units = state
        .db
        .read(move |conn| {
            let unit = access::org_unit(conn, &auth, path.org_unit)?;
            orgstructure::related(conn, &unit, relation, window)
        })
        .await?;
    ok(&page(units, |u| u.id, |u| OrgUnitData::from(&u)))
}

/// `GET /orgstructure/(orgUnitId)/children/?ouTypeId=`
pub async fn children(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    array(state, auth, path, query, Relation::Children).await
}

/// `GET /orgstructure/(orgUnitId)/children/paged/?ouTypeId=&bookmark=`
pub async fn children_paged(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    paged(state, auth, path, query, Relation::Children).await
}

/// `GET /orgstructure/(orgUnitId)/descendants/?ouTypeId=`
pub async fn descendants(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    array(state, auth, path, query, Relation::Descendants).await
}

/// `GET /orgstructure/(orgUnitId)/descendants/paged/?ouTypeId=&bookmark=`
pub async fn descendants_paged(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    paged(state, auth, path, query, Relation::Descendants).await
}

/// `GET /orgstructure/(orgUnitId)/parents/?ouTypeId=`
pub async fn parents(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    array(state, auth, path, query, Relation::Parents).await
}

/// `GET /orgstructure/(orgUnitId)/ancestors/?ouTypeId=`
pub async fn ancestors(
    state: State,
    auth: Authorized,
    path: OrgUnitPath,
    query: Query,
) -> ApiResult<HttpResponse> {
    array(state, auth, path, query, Relation::Ancestors).await
}

/// `GET /orgstructure/?orgUnitType=&orgUnitCode=&orgUnitName=&exactOrgUnitCode=&exactOrgUnitName=&bookmark=`:
/// a PagedResultSet of the institution's org units (OrgUnitProperties), checked at the root.
/// Parameter names are read in any case (D2L's own tools send `OrgUnitType`, `Bookmark`).
pub async fn search(state: State, auth: Authorized, query: Query) -> ApiResult<HttpResponse> {
    let search = Search {
        type_id: query.id("orgUnitType")?,
        code: text_filter(query.get("orgUnitCode")),
        name: text_filter(query.get("orgUnitName")),
        exact_code: text_filter(query.get("exactOrgUnitCode")),
        exact_name: text_filter(query.get("exactOrgUnitName")),
    };
    let after = bookmark(query.get("bookmark"))?;
    let units = state
        .db
        .read(move |conn| {
            let root = access::at_root(conn, &auth)?;
            orgstructure::search(conn, &root, &search, after, PAGE_SIZE + 1)
        })
        .await?;
    ok(&page(units, |u| u.id, |u| OrgUnitData::from(&u)))
}

/// `GET /outypes/`: every type we number, by id.
pub async fn types() -> ApiResult<HttpResponse> {
    ok(&org_unit_type::ALL
        .iter()
        .map(OrgUnitType::from)
        .collect::<Vec<_>>())
}

/// `GET /outypes/(orgUnitTypeId)`: one type; one we do not number is 404.
pub async fn get_type(req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "orgUnitTypeId", "Org unit type")?;
    let kind = org_unit_type::find(id)
        .ok_or_else(|| ApiError::not_found(format!("Org unit type {id} not found.")))?;
    ok(&OrgUnitType::from(kind))
}

/// `GET /outypes/department`: the Department type.
pub async fn department() -> ApiResult<HttpResponse> {
    built_in(org_unit_type::DEPARTMENT)
}

/// `GET /outypes/semester`: the Semester type.
pub async fn semester() -> ApiResult<HttpResponse> {
    built_in(org_unit_type::SEMESTER)
}

fn built_in(id: i64) -> ApiResult<HttpResponse> {
    let kind = org_unit_type::find(id)
        .ok_or_else(|| ApiError::internal(format!("built-in org unit type {id} is not listed")))?;
    ok(&OrgUnitType::from(kind))
}
