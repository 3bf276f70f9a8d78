//! `/console/courses/{orgUnitId}/categories...`: a course's group categories; creating one
//! (the API's Create form, parsed and validated as the API does) and following its creation
//! job; a category with its groups and members, and the changes to them; its memberships as
//! CSV, and their import (a preview, then one all-or-nothing transaction). Each action is the
//! unit of work of its API route (`services::groups`), checked with that route's permission.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};

use super::super::extract::RawBody;
use super::{
    answer, as_api_body, csrf_ok, csv, done_code, enter, id_in_path, is_refusal, json_number, page,
    see_other, stale_form, Console, Form,
};
use crate::db::org_units::CourseLock::{Members, Structure};
use crate::db::rows::GroupCategory;
use crate::domain::csv::{membership_rows, write as write_csv, MembershipRow, MEMBERSHIP_COLUMNS};
use crate::domain::group_plan::Style;
use crate::domain::permissions::Permission::GroupsView;
use crate::error::{ApiError, ApiResult};
use crate::pages::console::categories::{
    self as view, CategoryForm, CategoryPage, CategoryRow, GroupView, ImportRowView,
};
use crate::pages::console::sections::Person;
use crate::pages::console::{done_text, Flash};
use crate::services::access::{self, Missing};
use crate::services::classlist;
use crate::services::groups::{self, RowOutcome};
use crate::state::State;
use crate::wire::groups::GroupCategoryCreate;

pub(super) fn categories_path(course: i64) -> String {
    format!("/console/courses/{course}/categories")
}

pub(super) fn category_path(course: i64, category: i64) -> String {
    format!("/console/courses/{course}/categories/{category}")
}

fn flash_of(req: &HttpRequest) -> Flash {
    Flash {
        notice: done_text(done_code(req).as_deref()),
        error: None,
    }
}

fn refusal_flash(e: &ApiError) -> Flash {
    Flash {
        notice: None,
        error: Some(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The list

/// `GET .../categories` (groups.view, as `GET /groupcategories/`).
pub async fn list(state: State, req: HttpRequest) -> HttpResponse {
    answer(list_page(state, req).await)
}

async fn list_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, categories_path(course_id));
    let auth = console.auth.clone();
    let (course_name, all) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            Ok((course.name.clone(), groups::list_categories(conn, &course)?))
        })
        .await?;
    let rows: Vec<CategoryRow> = all
        .into_iter()
        .map(|c| CategoryRow {
            id: c.category.id,
            name: c.category.name,
            style: c.style,
            groups: c.groups.len(),
            processing: c.category.status == GroupCategory::PROCESSING,
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        view::list(
            &console.frame(),
            &flash_of(&req),
            course_id,
            &course_name,
            &rows,
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// Creating one

/// The course's name, with `console.auth`'s permission checked there.
async fn course_name(state: &State, console: &Console, course_id: i64) -> ApiResult<String> {
    let auth = console.auth.clone();
    state
        .db
        .read(move |conn| {
            Ok(access::course(conn, &auth, course_id, Missing::NotFound)?
                .name
                .clone())
        })
        .await
}

/// `GET .../categories/new` (groups.manage, the permission creating one needs).
pub async fn new_form(state: State, req: HttpRequest) -> HttpResponse {
    answer(new_page(state, req).await)
}

async fn new_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, format!("{}/new", categories_path(course_id)));
    let name = course_name(&state, &console, course_id).await?;
    let form = CategoryForm {
        style: Style::NumberOfGroupsNoEnrollment.number().to_string(),
        ..CategoryForm::default()
    };
    Ok(page(
        StatusCode::OK,
        view::new_form(&console.frame(), &Flash::default(), course_id, &name, &form),
    ))
}

/// A `datetime-local` field (UTC) as the API's UTCDateTime; other text is passed on for the
/// API's parse to refuse in its own words.
fn utc_field(text: &str) -> Value {
    let text = text.trim();
    if text.is_empty() {
        return Value::Null;
    }
    let full = match text.len() {
        16 => format!("{text}:00.000Z"),
        19 => format!("{text}.000Z"),
        _ => text.to_string(),
    };
    full.into()
}

fn optional_text(text: &str) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        text.into()
    }
}

fn category_form(form: &Form) -> CategoryForm {
    CategoryForm {
        name: form.text("Name"),
        description: form.text("Description"),
        style: form.text("EnrollmentStyle"),
        enrollment_quantity: form.text("EnrollmentQuantity"),
        number_of_groups: form.text("NumberOfGroups"),
        max_users_per_group: form.text("MaxUsersPerGroup"),
        auto_enroll: form.checked("AutoEnroll"),
        randomize_enrollments: form.checked("RandomizeEnrollments"),
        allocate_after_expiry: form.checked("AllocateAfterExpiry"),
        self_enrollment_start_date: form.text("SelfEnrollmentStartDate"),
        self_enrollment_expiry_date: form.text("SelfEnrollmentExpiryDate"),
        group_prefix: form.text("GroupPrefix"),
        restricted_by_org_unit_id: form.text("RestrictedByOrgUnitId"),
        descriptions_visible: form.checked("DescriptionsVisibleToEnrolees"),
    }
}

/// The form as the API's GroupCategoryData Create body.
fn create_body(f: &CategoryForm) -> Value {
    let description = if f.description.trim().is_empty() {
        Value::Null
    } else {
        json!({"Content": f.description, "Type": "Text"})
    };
    json!({
        "Name": f.name,
        "Description": description,
        "EnrollmentStyle": json_number(&f.style),
        "EnrollmentQuantity": json_number(&f.enrollment_quantity),
        "NumberOfGroups": json_number(&f.number_of_groups),
        "MaxUsersPerGroup": json_number(&f.max_users_per_group),
        "AutoEnroll": f.auto_enroll,
        "RandomizeEnrollments": f.randomize_enrollments,
        "AllocateAfterExpiry": f.allocate_after_expiry,
        "SelfEnrollmentStartDate": utc_field(&f.self_enrollment_start_date),
        "SelfEnrollmentExpiryDate": utc_field(&f.self_enrollment_expiry_date),
        "GroupPrefix": optional_text(&f.group_prefix),
        "RestrictedByOrgUnitId": json_number(&f.restricted_by_org_unit_id),
        "DescriptionsVisibleToEnrolees": f.descriptions_visible,
    })
}

/// `POST .../categories` (groups.manage): `POST /groupcategories/`'s parse, validation and
/// unit of work; then 303 to the creation's status page.
pub async fn create(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(create_post(state, req, body).await)
}

async fn create_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let console = enter!(state, req, format!("{}/new", categories_path(course_id)));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let fields = category_form(&form);
    let spec = as_api_body::<GroupCategoryCreate>(create_body(&fields)).and_then(|c| c.validated());
    let auth = console.auth.clone();
    let created = match spec {
        Ok(spec) => {
            state
                .db
                .write(move |conn| {
                    let course = access::course_for_write(
                        conn,
                        &auth,
                        course_id,
                        Missing::BadRequest,
                        Members,
                    )?;
                    groups::create_category(conn, &course, &spec)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(category) => {
            state.jobs.wake();
            Ok(see_other(&format!(
                "{}/status",
                category_path(course_id, category.id)
            )))
        }
        Err(e) if is_refusal(&e) => {
            let name = course_name(&state, &console, course_id).await?;
            Ok(page(
                e.status_code(),
                view::new_form(
                    &console.frame(),
                    &refusal_flash(&e),
                    course_id,
                    &name,
                    &fields,
                ),
            ))
        }
        Err(e) => Err(e),
    }
}

/// `GET .../categories/{groupCategoryId}/status` (groups.view, as `.../status`): reloads
/// itself every 2 seconds while the creation job runs.
pub async fn status(state: State, req: HttpRequest) -> HttpResponse {
    answer(status_page(state, req).await)
}

async fn status_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(
        state,
        req,
        format!("{}/status", category_path(course_id, category_id))
    );
    let auth = console.auth.clone();
    let (course_name, category) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let category = groups::get_category(conn, &course, category_id)?;
            Ok((course.name.clone(), category))
        })
        .await?;
    let processing = category.category.status == GroupCategory::PROCESSING;
    Ok(page(
        StatusCode::OK,
        view::status(
            &console.frame(),
            course_id,
            &course_name,
            category_id,
            &category.category.name,
            processing,
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// One category

/// The category page's data, read with groups.view (as the category and group routes).
struct Read {
    course_name: String,
    name: String,
    style: Style,
    processing: bool,
    groups: Vec<GroupView>,
}

async fn read_category(
    state: &State,
    console: &Console,
    course_id: i64,
    category_id: i64,
) -> ApiResult<Read> {
    let auth = console.holding(GroupsView);
    let (course_name, category, units, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let category = groups::get_category(conn, &course, category_id)?;
            let units = groups::list_groups(conn, &course, category_id)?;
            let people = classlist::everyone(conn, &course)?;
            Ok((course.name.clone(), category, units, people))
        })
        .await?;
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
    let groups = units
        .into_iter()
        .map(|g| GroupView {
            id: g.unit.id,
            name: g.unit.name,
            code: g.unit.code.unwrap_or_default(),
            members: g
                .members
                .iter()
                .map(|id| {
                    names.get(id).cloned().unwrap_or(Person {
                        id: *id,
                        name: format!("User {id}"),
                        user_name: String::new(),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(Read {
        course_name,
        name: category.category.name,
        style: category.style,
        processing: category.category.status == GroupCategory::PROCESSING,
        groups,
    })
}

/// The category page with `flash`, answered with `status`.
pub(super) async fn show(
    state: &State,
    console: &Console,
    course_id: i64,
    category_id: i64,
    status: StatusCode,
    flash: Flash,
) -> ApiResult<HttpResponse> {
    let read = read_category(state, console, course_id, category_id).await?;
    let body = view::category(
        &console.frame(),
        &flash,
        &CategoryPage {
            course_id,
            course_name: &read.course_name,
            category_id,
            name: &read.name,
            style: read.style,
            processing: read.processing,
            groups: &read.groups,
        },
    );
    Ok(page(status, body))
}

/// After a refused post: the category page again with the refusal and the API's status, or
/// trouble as an error page.
pub(super) async fn refused(
    state: &State,
    console: &Console,
    course_id: i64,
    category_id: i64,
    e: ApiError,
) -> ApiResult<HttpResponse> {
    if !is_refusal(&e) {
        return Err(e);
    }
    show(
        state,
        console,
        course_id,
        category_id,
        e.status_code(),
        refusal_flash(&e),
    )
    .await
}

/// `GET .../categories/{groupCategoryId}` (groups.view).
pub async fn category(state: State, req: HttpRequest) -> HttpResponse {
    answer(category_page(state, req).await)
}

async fn category_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(state, req, category_path(course_id, category_id));
    show(
        &state,
        &console,
        course_id,
        category_id,
        StatusCode::OK,
        flash_of(&req),
    )
    .await
}

/// `POST .../categories/{groupCategoryId}/delete` (groups.manage): `DELETE
/// /groupcategories/{id}` (400 while it has groups).
pub async fn delete(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(delete_post(state, req, body).await)
}

async fn delete_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(state, req, category_path(course_id, category_id));
    let form = Form::parse(&body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    let auth = console.auth.clone();
    let done = state
        .db
        .write(move |conn| {
            let course =
                access::course_for_write(conn, &auth, course_id, Missing::BadRequest, Structure)?;
            groups::delete_category(conn, &course, category_id)
        })
        .await;
    match done {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=deleted-category",
            categories_path(course_id)
        ))),
        Err(e) => refused(&state, &console, course_id, category_id, e).await,
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// `GET .../categories/{groupCategoryId}/members.csv` (groups.view): one row per membership.
pub async fn export(state: State, req: HttpRequest) -> HttpResponse {
    answer(export_csv(state, req).await)
}

async fn export_csv(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(
        state,
        req,
        format!("{}/members.csv", category_path(course_id, category_id))
    );
    let auth = console.auth.clone();
    let (units, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, Missing::NotFound)?;
            let units = groups::list_groups(conn, &course, category_id)?;
            Ok((units, classlist::everyone(conn, &course)?))
        })
        .await?;
    let users: HashMap<i64, _> = people.into_iter().map(|(u, _)| (u.id, u)).collect();
    let mut rows = vec![MEMBERSHIP_COLUMNS.map(String::from).to_vec()];
    for group in &units {
        for id in &group.members {
            let user = users.get(id);
            rows.push(vec![
                user.and_then(|u| u.org_defined_id.clone())
                    .unwrap_or_default(),
                user.map(|u| u.user_name.clone()).unwrap_or_default(),
                id.to_string(),
                group.unit.code.clone().unwrap_or_default(),
            ]);
        }
    }
    Ok(csv(
        &format!("category-{category_id}.csv"),
        write_csv(&rows),
    ))
}

/// The import page: the form, with the preview's rows when there are some.
async fn import_page(
    state: &State,
    console: &Console,
    (course_id, category_id): (i64, i64),
    status: StatusCode,
    flash: Flash,
    text: &str,
    rows: Option<&[ImportRowView]>,
) -> ApiResult<HttpResponse> {
    let read = read_category(state, console, course_id, category_id).await?;
    let p = CategoryPage {
        course_id,
        course_name: &read.course_name,
        category_id,
        name: &read.name,
        style: read.style,
        processing: read.processing,
        groups: &read.groups,
    };
    Ok(page(
        status,
        view::import(&console.frame(), &flash, &p, text, rows),
    ))
}

/// `GET .../categories/{groupCategoryId}/import` (groups.enroll, as adding a member).
pub async fn import_form(state: State, req: HttpRequest) -> HttpResponse {
    answer(import_get(state, req).await)
}

async fn import_get(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(
        state,
        req,
        format!("{}/import", category_path(course_id, category_id))
    );
    course_name(&state, &console, course_id).await?;
    import_page(
        &state,
        &console,
        (course_id, category_id),
        StatusCode::OK,
        Flash::default(),
        "",
        None,
    )
    .await
}

fn row_view(row: &MembershipRow, outcome: &RowOutcome) -> ImportRowView {
    let who = [
        row.user_name.clone(),
        row.org_defined_id.clone(),
        row.user_id.map(|id| id.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ");
    let (outcome, rejected) = match outcome {
        RowOutcome::Added { user, group } => (
            format!(
                "{} will be added to group {}",
                user.display_name(),
                group.code.as_deref().unwrap_or_default()
            ),
            false,
        ),
        RowOutcome::AlreadyMember { user, group } => (
            format!(
                "{} is already in group {}",
                user.display_name(),
                group.code.as_deref().unwrap_or_default()
            ),
            false,
        ),
        RowOutcome::Rejected(why) => (why.clone(), true),
    };
    ImportRowView {
        line: row.line,
        who,
        code: row.unit_code.clone(),
        outcome,
        rejected,
    }
}

/// `POST .../categories/{groupCategoryId}/import` (groups.enroll): `action=preview` shows
/// each row's outcome (the import run and rolled back: the same rules as the commit);
/// `action=apply` runs it in one transaction, refused as a whole when any row is refused.
pub async fn import(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(import_post(state, req, body).await)
}

async fn import_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(
        state,
        req,
        format!("{}/import", category_path(course_id, category_id))
    );
    let form = Form::parse_either(&req, &body.0)?;
    if !csrf_ok(&console, &form) {
        return Ok(stale_form(&console));
    }
    // An uploaded file, else the pasted text.
    let text = match form.get("file").filter(|f| !f.trim().is_empty()) {
        Some(file) => file.to_string(),
        None => form.text("csv"),
    };
    let apply = form.get("action") == Some("apply");
    let again = |status: StatusCode, e: String, rows: Option<Vec<ImportRowView>>| {
        let flash = Flash {
            notice: None,
            error: Some(e),
        };
        let (state, console, text) = (&state, &console, &text);
        async move {
            import_page(
                state,
                console,
                (course_id, category_id),
                status,
                flash,
                text,
                rows.as_deref(),
            )
            .await
        }
    };
    let rows = match membership_rows(&text) {
        Ok(rows) => rows,
        Err(why) => return again(StatusCode::BAD_REQUEST, why, None).await,
    };
    let auth = console.auth.clone();
    let actor = access::actor(&console.auth.caller);
    let run_rows = rows.clone();
    let outcome = if apply {
        state
            .db
            .write(move |conn| {
                let course =
                    access::course_for_write(conn, &auth, course_id, Missing::NotFound, Members)?;
                groups::apply_import(conn, &course, category_id, &run_rows, &actor)
            })
            .await
    } else {
        state
            .db
            .write(move |conn| {
                let course =
                    access::course_for_write(conn, &auth, course_id, Missing::NotFound, Members)?;
                groups::preview_import(conn, &course, category_id, &run_rows, &actor)
            })
            .await
    };
    match outcome {
        Ok(_) if apply => Ok(see_other(&format!(
            "{}?done=imported",
            category_path(course_id, category_id)
        ))),
        Ok(outcomes) => {
            let views: Vec<ImportRowView> = rows
                .iter()
                .zip(&outcomes)
                .map(|(row, outcome)| row_view(row, outcome))
                .collect();
            import_page(
                &state,
                &console,
                (course_id, category_id),
                StatusCode::OK,
                Flash::default(),
                &text,
                Some(&views),
            )
            .await
        }
        Err(e) if is_refusal(&e) => again(e.status_code(), e.to_string(), None).await,
        Err(e) => Err(e),
    }
}
