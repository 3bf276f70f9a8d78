//! `/console/`: the user's courses; `/console/courses/{orgUnitId}`: a course's class list with
//! each member's role, sections and groups.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::{answer, enter, id_in_path, notice, page, query_value, Cut};
use crate::db::classlist::Filter;
use crate::db::enrollments::OwnFilter;
use crate::db::org_structure::Search;
use crate::db::rows::{org_unit_type, OrgUnit};
use crate::domain::permissions::Permission::{GroupsView, SectionsView};
use crate::error::{ApiError, ApiResult};
use crate::pages::console::courses::{self as view, ClassList, CourseRow, MemberRow};
use crate::services::access::{self, Missing};
use crate::services::{classlist, enrollments, groups, orgstructure, sections};
use crate::state::State;

/// Courses a page of `/console/` lists.
pub const COURSES_PER_PAGE: i64 = 50;
/// Members a page of the class list shows.
pub const MEMBERS_PER_PAGE: usize = 50;

/// `GET /console/`: with orgunits.read at the institution's root (an administrator's
/// cascading role, as `GET /orgstructure/` requires) every course offering of the institution;
/// otherwise the user's own course enrollments (as `myenrollments` lists them, no permission
/// needed). Paged by org unit id (`?after=`).
pub async fn home(state: State, req: HttpRequest) -> HttpResponse {
    answer(home_page(state, req).await)
}

async fn home_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let console = enter!(state, req, "/console/");
    let after = match query_value(&req, "after") {
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request("after: the bookmark must be an org unit id."))?,
        None => 0,
    };
    let auth = console.auth.clone();
    let (rows, institution_wide) = state
        .db
        .read(move |conn| {
            let limit = COURSES_PER_PAGE + 1;
            match access::at_root(conn, &auth) {
                Ok(root) => {
                    let search = Search {
                        type_id: Some(org_unit_type::COURSE_OFFERING),
                        ..Search::default()
                    };
                    let units = orgstructure::search(conn, &root, &search, after, limit)?;
                    Ok((units.into_iter().map(|u| row(u, None)).collect(), true))
                }
                Err(ApiError::Forbidden(_)) => {
                    let filter = OwnFilter {
                        type_ids: vec![org_unit_type::COURSE_OFFERING],
                        ..OwnFilter::default()
                    };
                    let mine = enrollments::mine(conn, &auth.caller, &filter, after, limit)?;
                    Ok((
                        mine.into_iter()
                            .map(|(u, role)| row(u, Some(role.name)))
                            .collect::<Vec<_>>(),
                        false,
                    ))
                }
                Err(other) => Err(other),
            }
        })
        .await?;
    let mut rows: Vec<CourseRow> = rows;
    let next = if rows.len() as i64 > COURSES_PER_PAGE {
        rows.truncate(COURSES_PER_PAGE as usize);
        rows.last().map(|r| format!("/console/?after={}", r.id))
    } else {
        None
    };
    let first = (after > 0).then(|| "/console/".to_string());
    Ok(page(
        StatusCode::OK,
        view::home(
            &console.frame(),
            &notice(&req),
            &rows,
            institution_wide,
            first,
            next,
        ),
    ))
}

fn row(unit: OrgUnit, role: Option<String>) -> CourseRow {
    CourseRow {
        id: unit.id,
        name: unit.name,
        code: unit.code,
        role,
    }
}

/// `GET /console/courses/{orgUnitId}`: the class list (enrollments.read, as the LE classlist
/// route), searched by name, user name or org-defined id (`?q=`), 50 a page (`?page=`); each
/// member's sections and groups beside them when the user may view those (sections.view,
/// groups.view, checked as the section and group routes check them).
pub async fn course(state: State, req: HttpRequest) -> HttpResponse {
    answer(course_page(state, req).await)
}

async fn course_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let back = format!("/console/courses/{course_id}");
    let console = enter!(state, req, back);
    let search = query_value(&req, "q")
        .map(|q| q.trim().to_string())
        .unwrap_or_default();
    let page_number = Cut::of(&req, 0, MEMBERS_PER_PAGE)?.page;
    let auth = console.auth.clone();
    let sections_auth = console.holding(SectionsView);
    let groups_auth = console.holding(GroupsView);
    let term = (!search.is_empty()).then(|| search.clone());
    let read = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let filter = Filter {
                search_term: term.clone(),
                ..Filter::default()
            };
            let offset = (page_number - 1) * MEMBERS_PER_PAGE;
            let (people, total) =
                classlist::window(conn, &course, filter, offset, MEMBERS_PER_PAGE)?;
            // (unit name, members) of each section and group the user may see.
            let units_of = |found: ApiResult<Vec<(String, Vec<i64>)>>| match found {
                Ok(units) => Ok(Some(units)),
                Err(ApiError::Forbidden(_)) => Ok(None),
                Err(other) => Err(other),
            };
            let section_units = units_of((|| {
                let course = access::course(conn, &sections_auth, course_id, Missing::NotFound)?;
                match sections::list(conn, &course) {
                    Ok(all) => Ok(all.into_iter().map(|s| (s.unit.name, s.members)).collect()),
                    Err(ApiError::NotFound(_)) => Ok(Vec::new()),
                    Err(other) => Err(other),
                }
            })())?;
            let group_units = units_of((|| {
                let course = access::course(conn, &groups_auth, course_id, Missing::NotFound)?;
                let mut units = Vec::new();
                for category in groups::list_categories(conn, &course)? {
                    for group in groups::list_groups(conn, &course, category.category.id)? {
                        units.push((
                            format!("{} ({})", group.unit.name, category.category.name),
                            group.members,
                        ));
                    }
                }
                Ok(units)
            })())?;
            Ok((
                course.name.clone(),
                people,
                total,
                section_units,
                group_units,
            ))
        })
        .await?;
    let (course_name, people, total, section_units, group_units) = read;
    let names_of = |units: &Option<Vec<(String, Vec<i64>)>>, user: i64| {
        units.as_ref().map(|units| {
            units
                .iter()
                .filter(|(_, members)| members.contains(&user))
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        })
    };
    let members: Vec<MemberRow> = people
        .into_iter()
        .map(|(user, role)| MemberRow {
            sections: names_of(&section_units, user.id),
            groups: names_of(&group_units, user.id),
            role: role.name,
            user,
        })
        .collect();
    let cut = Cut::at(page_number, total, MEMBERS_PER_PAGE);
    let link = |n: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !search.is_empty() {
            query.append_pair("q", &search);
        }
        query.append_pair("page", &n.to_string());
        format!("/console/courses/{course_id}?{}", query.finish())
    };
    let (previous, next) = cut.links(link);
    let list = ClassList {
        course_id,
        course_name: &course_name,
        search: &search,
        members: &members,
        position: cut.position("member", "members"),
        previous,
        next,
        shows_sections: section_units.is_some(),
        shows_groups: group_units.is_some(),
    };
    Ok(page(
        StatusCode::OK,
        view::class_list(&console.frame(), &notice(&req), &list),
    ))
}
