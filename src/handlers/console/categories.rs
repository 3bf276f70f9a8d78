//! `/console/courses/{orgUnitId}/categories...`: a course's group categories; creating one
//! (the API's Create form, parsed and validated as the API does) and following its creation
//! job; a category with its groups and members, a page at a time, and deleting it. (The posts
//! that change one group are `groups`; the memberships' CSV is `csv`.) Each action is the
//! unit of work of its API route (`services::groups`), checked with that route's permission.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};

use super::super::extract::RawBody;
use super::{
    answer, as_api_body, done_or, enter, enter_post, id_in_path, is_refusal, json_number, notice,
    page, people_by_id, person, refusal, see_other, Console, Cut, Form,
};
use crate::db::org_units::CourseLock::{Members, Structure};
use crate::db::rows::GroupCategory;
use crate::domain::group_plan::Style;
use crate::domain::permissions::Permission::GroupsView;
use crate::error::{ApiError, ApiResult};
use crate::pages::console::categories::{
    self as view, CategoryForm, CategoryPage, CategoryRow, GroupView,
};
use crate::pages::console::Flash;
use crate::services::access::{self, Missing};
use crate::services::classlist;
use crate::services::groups;
use crate::state::State;
use crate::wire::groups::GroupCategoryCreate;

/// Groups a page of a category shows (each with all its members).
pub const GROUPS_PER_PAGE: usize = 20;

pub(super) fn categories_path(course: i64) -> String {
    format!("/console/courses/{course}/categories")
}

pub(super) fn category_path(course: i64, category: i64) -> String {
    format!("/console/courses/{course}/categories/{category}")
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
            &notice(&req),
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
    let back = format!("{}/new", categories_path(course_id));
    let (console, form) = enter_post!(state, req, body, back);
    let fields = category_form(&form);
    let spec = as_api_body::<GroupCategoryCreate>(create_body(&fields)).and_then(|c| c.validated());
    let created = match spec {
        Ok(spec) => {
            let lock = (Missing::BadRequest, Members);
            console
                .change(&state, course_id, lock, move |conn, course, _| {
                    groups::create_category(conn, course, &spec)
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
                view::new_form(&console.frame(), &refusal(&e), course_id, &name, &fields),
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
    let names = people_by_id(people);
    let groups = units
        .into_iter()
        .map(|g| GroupView {
            id: g.unit.id,
            name: g.unit.name,
            code: g.unit.code.unwrap_or_default(),
            members: g.members.iter().map(|id| person(&names, *id)).collect(),
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

/// Page `page_number` of the category page with `flash`, answered with `status`.
pub(super) async fn show(
    state: &State,
    console: &Console,
    (course_id, category_id, page_number): (i64, i64, usize),
    status: StatusCode,
    flash: Flash,
) -> ApiResult<HttpResponse> {
    let read = read_category(state, console, course_id, category_id).await?;
    let cut = Cut::at(page_number, read.groups.len(), GROUPS_PER_PAGE);
    let (previous, next) =
        cut.links(|n| format!("{}?page={n}", category_path(course_id, category_id)));
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
            groups: &read.groups[cut.range.clone()],
            all: &read.groups,
            position: cut.position("group", "groups"),
            previous,
            next,
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
    let at = (course_id, category_id, 1);
    show(state, console, at, e.status_code(), refusal(&e)).await
}

/// `GET .../categories/{groupCategoryId}?page=` (groups.view).
pub async fn category(state: State, req: HttpRequest) -> HttpResponse {
    answer(category_page(state, req).await)
}

async fn category_page(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let console = enter!(state, req, category_path(course_id, category_id));
    let at = (
        course_id,
        category_id,
        Cut::of(&req, 0, GROUPS_PER_PAGE)?.page,
    );
    show(&state, &console, at, StatusCode::OK, notice(&req)).await
}

/// `POST .../categories/{groupCategoryId}/delete` (groups.manage): `DELETE
/// /groupcategories/{id}` (400 while it has groups).
pub async fn delete(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(delete_post(state, req, body).await)
}

async fn delete_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let course_id = id_in_path(&req, "orgUnitId", "Org unit")?;
    let category_id = id_in_path(&req, "groupCategoryId", "Group category")?;
    let (console, _) = enter_post!(state, req, body, category_path(course_id, category_id));
    let done = console
        .change(
            &state,
            course_id,
            (Missing::BadRequest, Structure),
            move |conn, course, actor| groups::delete_category(conn, course, category_id, actor),
        )
        .await;
    match done_or(done, &categories_path(course_id), "deleted-category") {
        Err(e) => refused(&state, &console, course_id, category_id, e).await,
        answered => answered,
    }
}
