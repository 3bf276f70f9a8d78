//! `/console/courses/{orgUnitId}/sections...`: a course's sections with their members;
//! initializing them (a preview, then the commit), renaming, moving a learner between two
//! sections, deleting one; the sections' memberships as CSV. Each action is the unit of work
//! of its API route (`services::sections`), checked with that route's permission.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::super::extract::RawBody;
use super::{
    answer, as_api_body, csrf_ok, csv, done_code, enter, id_in_path, is_refusal, json_number, page,
    query_value, see_other, stale_form, Console, Form,
};
use crate::db::org_units::CourseLock;
use crate::domain::csv::write as write_csv;
use crate::domain::permissions::Permission::SectionsView;
use crate::domain::sections::{NewSettings, SectionChange};
use crate::error::{ApiError, ApiResult};
use crate::pages::console::sections::{self as view, Draft, Person, SectionView, SectionsPage};
use crate::pages::console::{done_text, Flash};
use crate::services::access::{self, Missing};
use crate::services::{classlist, sections};
use crate::state::State;
use crate::wire::sections::{SectionInput, SectionSettingsCreate};

fn sections_path(course: i64) -> String {
    format!("/console/courses/{course}/sections")
}

/// What the sections page shows, read with sections.view (as `GET /sections/`).
async fn show(
    state: &State,
    console: &Console,
    course_id: i64,
    status: StatusCode,
    flash: Flash,
    draft: Option<Draft>,
) -> ApiResult<HttpResponse> {
    let auth = console.holding(SectionsView);
    let (course_name, settings, units, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let (settings, units) = match sections::list(conn, &course) {
                Ok(units) => (Some(sections::settings(conn, &course)?), units),
                Err(ApiError::NotFound(_)) => (None, Vec::new()),
                Err(other) => return Err(other),
            };
            let people = classlist::everyone(conn, &course)?;
            Ok((course.name.clone(), settings, units, people))
        })
        .await?;
    let names: HashMap<i64, Person> = people
        .into_iter()
        .map(|(u, _)| {
            (
                u.id,
                Person {
                    id: u.id,
                    name: u.display_name(),
                    user_name: u.user_name,
                },
            )
        })
        .collect();
    let sections: Vec<SectionView> = units
        .into_iter()
        .map(|s| SectionView {
            id: s.unit.id,
            name: s.unit.name,
            code: s.unit.code.unwrap_or_default(),
            description: s.unit.description_text.unwrap_or_default(),
            members: s.members.iter().map(|id| person(&names, *id)).collect(),
        })
        .collect();
    let body = view::sections(
        &console.frame(),
        &flash,
        &SectionsPage {
            course_id,
            course_name: &course_name,
            initialized: settings.is_some(),
            sections: &sections,
            draft: draft.as_ref(),
        },
    );
    Ok(page(status, body))
}

fn person(names: &HashMap<i64, Person>, id: i64) -> Person {
    names.get(&id).cloned().unwrap_or(Person {
        id,
        name: format!("User {id}"),
        user_name: String::new(),
    })
}

/// The page again with a refusal, or trouble as an error page.
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
    let flash = Flash {
        notice: None,
        error: Some(e.to_string()),
    };
    use actix_web::ResponseError;
    show(state, console, course_id, e.status_code(), flash, draft).await
}

/// `GET .../sections` (sections.view).
pub async fn list(state: State, req: HttpRequest) -> HttpResponse {
    answer(list_page(state, req).await)
}

async fn list_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, sections_path(course_id));
    let flash = Flash {
        notice: done_text(done_code(&req).as_deref()),
        error: None,
    };
    show(&state, &console, course_id, StatusCode::OK, flash, None).await
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
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let planned = sections::preview(conn, &course, &settings)?;
            let people = classlist::everyone(conn, &course)?;
            Ok((course.name.clone(), planned, people))
        })
        .await;
    let (course_name, planned, people) = match planned {
        Ok(read) => read,
        Err(e) => return refused(&state, &console, course_id, e, None).await,
    };
    let names: HashMap<i64, Person> = people
        .into_iter()
        .map(|(u, _)| {
            let p = Person {
                id: u.id,
                name: u.display_name(),
                user_name: u.user_name,
            };
            (u.id, p)
        })
        .collect();
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
    let console = enter!(state, req, sections_path(course_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let auth = console.auth.clone();
    let done = match new_settings(|name| form.get(name).map(str::to_string)) {
        Ok(input) => {
            state
                .db
                .write(move |conn| {
                    let course = access::course_for_write(
                        conn,
                        &auth,
                        course_id,
                        Missing::NotFound,
                        CourseLock::Structure,
                    )?;
                    sections::initialize(conn, &course, &input, &access::actor(&auth.caller))
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(see_other(&format!(
            "{}?done=initialized",
            sections_path(course_id)
        ))),
        Err(e) => refused(&state, &console, course_id, e, None).await,
    }
}

/// `POST .../sections/{sectionId}/rename` (sections.manage): `PUT /sections/{sectionId}`'s
/// unit of work, with its checks of the name and code.
pub async fn rename(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(rename_post(state, req, body).await)
}

async fn rename_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let section_id = id_in_path(&req, "sectionId", "Section")?;
    let console = enter!(state, req, sections_path(course_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
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
    let auth = console.auth.clone();
    let done = match change {
        Ok(change) => {
            state
                .db
                .write(move |conn| {
                    let course = access::course_for_write(
                        conn,
                        &auth,
                        course_id,
                        Missing::NotFound,
                        CourseLock::Structure,
                    )?;
                    sections::update(conn, &course, section_id, &change).map(drop)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=renamed",
            sections_path(course_id)
        ))),
        Err(e) => refused(&state, &console, course_id, e, Some(draft)).await,
    }
}

/// `POST .../sections/{sectionId}/delete` (sections.manage): `DELETE /sections/{sectionId}`.
pub async fn delete(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(delete_post(state, req, body).await)
}

async fn delete_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let section_id = id_in_path(&req, "sectionId", "Section")?;
    let console = enter!(state, req, sections_path(course_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let auth = console.auth.clone();
    let done = state
        .db
        .write(move |conn| {
            let course = access::course_for_write(
                conn,
                &auth,
                course_id,
                Missing::NotFound,
                CourseLock::Structure,
            )?;
            sections::delete(conn, &course, section_id, &access::actor(&auth.caller))
        })
        .await;
    match done {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=deleted-section",
            sections_path(course_id)
        ))),
        Err(e) => refused(&state, &console, course_id, e, None).await,
    }
}

/// `POST .../sections/move` (sections.enroll, as `POST /sections/{id}/enrollments/`): takes
/// the learner out of one section and into another in one transaction
/// (`sections::move_member`).
pub async fn move_member(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(move_post(state, req, body).await)
}

async fn move_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, sections_path(course_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let ids = (|| {
        Ok((
            form.id("user", "Member")?,
            form.id("from", "From section")?,
            form.id("to", "To section")?,
        ))
    })();
    let auth = console.auth.clone();
    let actor = access::actor(&console.auth.caller);
    let done = match ids {
        Ok((user, from, to)) => {
            state
                .db
                .write(move |conn| {
                    let course = access::course_for_write(
                        conn,
                        &auth,
                        course_id,
                        Missing::NotFound,
                        CourseLock::Members,
                    )?;
                    sections::move_member(conn, &course, user, from, to, &actor)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=moved",
            sections_path(course_id)
        ))),
        Err(e) => refused(&state, &console, course_id, e, None).await,
    }
}

/// `GET .../sections.csv` (sections.view): one row per section membership.
pub async fn export(state: State, req: HttpRequest) -> HttpResponse {
    answer(export_csv(state, req).await)
}

async fn export_csv(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(
        state,
        req,
        format!("/console/courses/{course_id}/sections.csv")
    );
    let auth = console.auth.clone();
    let (units, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let units = sections::list(conn, &course)?;
            Ok((units, classlist::everyone(conn, &course)?))
        })
        .await?;
    let users: HashMap<i64, _> = people.into_iter().map(|(u, _)| (u.id, u)).collect();
    let mut rows = vec![["OrgDefinedId", "UserName", "UserId", "SectionCode"]
        .map(String::from)
        .to_vec()];
    for section in &units {
        for id in &section.members {
            let user = users.get(id);
            rows.push(vec![
                user.and_then(|u| u.org_defined_id.clone())
                    .unwrap_or_default(),
                user.map(|u| u.user_name.clone()).unwrap_or_default(),
                id.to_string(),
                section.unit.code.clone().unwrap_or_default(),
            ]);
        }
    }
    Ok(csv(&format!("sections-{course_id}.csv"), write_csv(&rows)))
}
