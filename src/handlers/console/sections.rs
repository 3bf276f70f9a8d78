//! `/console/courses/{orgUnitId}/sections...`: a course's sections with their members, a page
//! at a time; initializing them (a preview, then the commit), renaming, moving a learner
//! between two sections, deleting one. (Their memberships' CSV is `csv`.) Each action is the
//! unit of work of its API route (`services::sections`), checked with that route's permission.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use super::super::extract::RawBody;
use super::{
    answer, as_api_body, done_or, enter, enter_post, id_in_path, is_refusal, json_number, notice,
    page, people_by_id, person, query_value, refusal, Console, Cut,
};
use crate::db::org_units::CourseLock::{Members, Structure};
use crate::domain::permissions::Permission::SectionsView;
use crate::domain::sections::{NewSettings, SectionChange};
use crate::error::{ApiError, ApiResult};
use crate::pages::console::sections::{self as view, Draft, SectionView, SectionsPage};
use crate::pages::console::Flash;
use crate::services::access::{self, Missing::NotFound};
use crate::services::{classlist, sections};
use crate::state::State;
use crate::wire::sections::{SectionInput, SectionSettingsCreate};

/// Sections a page of the sections page shows (each with all its members).
pub const SECTIONS_PER_PAGE: usize = 10;

pub(super) fn sections_path(course: i64) -> String {
    format!("/console/courses/{course}/sections")
}

/// The sections page (page `cut` of the sections, or the one holding the draft's section),
/// read with sections.view (as `GET /sections/`).
async fn show(
    state: &State,
    console: &Console,
    (course_id, page_number): (i64, usize),
    status: StatusCode,
    flash: Flash,
    draft: Option<Draft>,
) -> ApiResult<HttpResponse> {
    let auth = console.holding(SectionsView);
    let (course_name, initialized, units, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, NotFound)?;
            let (initialized, units) = match sections::list(conn, &course) {
                Ok(units) => (true, units),
                Err(ApiError::NotFound(_)) => (false, Vec::new()),
                Err(other) => return Err(other),
            };
            let people = classlist::everyone(conn, &course)?;
            Ok((course.name.clone(), initialized, units, people))
        })
        .await?;
    let names = people_by_id(people);
    let all: Vec<SectionView> = units
        .into_iter()
        .map(|s| SectionView {
            id: s.unit.id,
            name: s.unit.name,
            code: s.unit.code.unwrap_or_default(),
            description: s.unit.description_text.unwrap_or_default(),
            members: s.members.iter().map(|id| person(&names, *id)).collect(),
        })
        .collect();
    // A refused rename shows the page that holds its section.
    let page_number = draft
        .as_ref()
        .and_then(|d| all.iter().position(|s| s.id == d.section_id))
        .map_or(page_number, |at| at / SECTIONS_PER_PAGE + 1);
    let cut = Cut::at(page_number, all.len(), SECTIONS_PER_PAGE);
    let (previous, next) = cut.links(|n| format!("{}?page={n}", sections_path(course_id)));
    let body = view::sections(
        &console.frame(),
        &flash,
        &SectionsPage {
            course_id,
            course_name: &course_name,
            initialized,
            sections: &all[cut.range.clone()],
            all: &all,
            draft: draft.as_ref(),
            position: cut.position("section", "sections"),
            previous,
            next,
        },
    );
    Ok(page(status, body))
}

/// The first page again with a refusal, or trouble as an error page.
async fn refused(
    state: &State,
    console: &Console,
    course_id: i64,
    e: ApiError,
    draft: Option<Draft>,
) -> ApiResult<HttpResponse> {
    if !is_refusal(&e) {
        return Err(e);
    }
    let status = e.status_code();
    show(state, console, (course_id, 1), status, refusal(&e), draft).await
}

/// 303 to the sections page with `done`, or the page again with the refusal.
async fn finish(
    state: &State,
    console: &Console,
    course_id: i64,
    done: ApiResult<()>,
    code: &str,
) -> ApiResult<HttpResponse> {
    match done_or(done, &sections_path(course_id), code) {
        Err(e) => refused(state, console, course_id, e, None).await,
        answered => answered,
    }
}

/// `GET .../sections?page=` (sections.view).
pub async fn list(state: State, req: HttpRequest) -> HttpResponse {
    answer(list_page(state, req).await)
}

async fn list_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, sections_path(course_id));
    let page_number = Cut::of(&req, 0, SECTIONS_PER_PAGE)?.page;
    let at = (course_id, page_number);
    show(&state, &console, at, StatusCode::OK, notice(&req), None).await
}

/// The initialization form's fields as `POST /sections/settings` reads them (the same parse
/// and checks, so the same messages).
fn new_settings(get: impl Fn(&str) -> Option<String>) -> ApiResult<NewSettings> {
    let body = json!({
        "EnrollmentStyle": json_number(&get("style").unwrap_or_default()),
        "EnrollmentQuantity": json_number(&get("quantity").unwrap_or_default()),
        "AutoEnroll": get("autoEnroll").is_some(),
        "RandomizeEnrollments": get("randomize").is_some(),
        "DescriptionsVisibleToEnrollees": get("descriptionsVisible").is_some(),
    });
    NewSettings::try_from(as_api_body::<SectionSettingsCreate>(body)?)
}

/// `GET .../sections/initialize?style=&quantity=...` (sections.manage): what initializing
/// would make, with the form that commits it.
pub async fn preview(state: State, req: HttpRequest) -> HttpResponse {
    answer(preview_page(state, req).await)
}

async fn preview_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let back = format!(
        "/console/courses/{course_id}/sections/initialize?{}",
        req.query_string()
    );
    let console = enter!(state, req, back);
    let input = match new_settings(|name| query_value(&req, name)) {
        Ok(input) => input,
        Err(e) => return refused(&state, &console, course_id, e, None).await,
    };
    let auth = console.auth.clone();
    let settings = input.clone();
    let planned = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, NotFound)?;
            let planned = sections::preview(conn, &course, &settings)?;
            let people = classlist::everyone(conn, &course)?;
            Ok((course.name.clone(), planned, people))
        })
        .await;
    let (course_name, planned, people) = match planned {
        Ok(read) => read,
        Err(e) => return refused(&state, &console, course_id, e, None).await,
    };
    let names = people_by_id(people);
    let planned: Vec<SectionView> = planned
        .into_iter()
        .map(|p| SectionView {
            id: 0,
            name: p.name,
            code: p.code,
            description: String::new(),
            members: p.members.iter().map(|id| person(&names, *id)).collect(),
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        view::preview(&console.frame(), course_id, &course_name, &input, &planned),
    ))
}

/// `POST .../sections/initialize` (sections.manage): `POST /sections/settings`'s unit of work.
pub async fn initialize(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(initialize_post(state, req, body).await)
}

async fn initialize_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let (console, form) = enter_post!(state, req, body, sections_path(course_id));
    let done = match new_settings(|name| form.get(name).map(str::to_string)) {
        Ok(input) => {
            console
                .change(
                    &state,
                    course_id,
                    (NotFound, Structure),
                    move |conn, course, actor| {
                        sections::initialize(conn, course, &input, actor).map(drop)
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &console, course_id, done, "initialized").await
}

/// `POST .../sections/{sectionId}/rename` (sections.manage): `PUT /sections/{sectionId}`'s
/// unit of work, with its checks of the name and code.
pub async fn rename(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(rename_post(state, req, body).await)
}

async fn rename_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let section_id = id_in_path(&req, "sectionId", "Section")?;
    let (console, form) = enter_post!(state, req, body, sections_path(course_id));
    let draft = Draft {
        section_id,
        name: form.text("name"),
        code: form.text("code"),
        description: form.text("description"),
    };
    let input = json!({
        "Name": draft.name,
        "Code": draft.code,
        "Description": {"Content": draft.description, "Type": "Text"},
    });
    let change = as_api_body::<SectionInput>(input).and_then(SectionChange::try_from);
    let done = match change {
        Ok(change) => {
            console
                .change(
                    &state,
                    course_id,
                    (NotFound, Structure),
                    move |conn, course, _| {
                        sections::update(conn, course, section_id, &change).map(drop)
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match done_or(done, &sections_path(course_id), "renamed") {
        Err(e) => refused(&state, &console, course_id, e, Some(draft)).await,
        answered => answered,
    }
}

/// `POST .../sections/{sectionId}/delete` (sections.manage): `DELETE /sections/{sectionId}`.
pub async fn delete(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(delete_post(state, req, body).await)
}

async fn delete_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let section_id = id_in_path(&req, "sectionId", "Section")?;
    let (console, _) = enter_post!(state, req, body, sections_path(course_id));
    let done = console
        .change(
            &state,
            course_id,
            (NotFound, Structure),
            move |conn, course, actor| sections::delete(conn, course, section_id, actor),
        )
        .await;
    finish(&state, &console, course_id, done, "deleted-section").await
}

/// `POST .../sections/move` (sections.enroll, as `POST /sections/{id}/enrollments/`): takes
/// the learner out of one section and into another in one transaction
/// (`sections::move_member`).
pub async fn move_member(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(move_post(state, req, body).await)
}

async fn move_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let (console, form) = enter_post!(state, req, body, sections_path(course_id));
    let ids = (|| {
        Ok((
            form.id("user", "Member")?,
            form.id("from", "From section")?,
            form.id("to", "To section")?,
        ))
    })();
    let done = match ids {
        Ok((user, from, to)) => {
            console
                .change(
                    &state,
                    course_id,
                    (NotFound, Members),
                    move |conn, course, actor| {
                        sections::move_member(conn, course, user, from, to, actor)
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &console, course_id, done, "moved").await
}
