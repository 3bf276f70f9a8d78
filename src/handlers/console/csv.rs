//! The memberships of a category's groups or of the course's sections as CSV: the export
//! (`.../categories/{id}/members.csv`, `.../sections.csv`) and the import (`.../import`): a
//! preview (the import run and rolled back, so the same rules as the commit), then the apply
//! (one transaction, refused as a whole when any row is refused). One handler serves both
//! kinds of unit; the units of work are `groups::{list_groups, preview_import, apply_import}`
//! and `sections::{list, preview_import, apply_import}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::super::extract::RawBody;
use super::categories::category_path;
use super::sections::sections_path;
use super::{
    answer, csv, enter, enter_post, id_in_path, is_refusal, page, refusal, see_other, Console,
};
use crate::db::org_units::CourseLock::Members;
use crate::db::rows::{OrgUnit, UnitWithMembers, User};
use crate::domain::csv::{membership_rows, write as write_csv, MembershipRow, MEMBERSHIP_COLUMNS};
use crate::error::ApiResult;
use crate::pages::console::course_crumbs;
use crate::pages::console::import::{self as view, ImportRowView, ImportTarget};
use crate::pages::console::Flash;
use crate::services::access::{self, Missing::NotFound};
use crate::services::groups::{self, RowOutcome};
use crate::services::{classlist, sections};
use crate::state::State;

/// The units a CSV is about.
#[derive(Clone, Copy)]
enum Units {
    /// The groups of this category.
    Category(i64),
    Sections,
}

impl Units {
    /// The course and the units its path names (a category when it has one).
    fn of(req: &HttpRequest) -> ApiResult<(i64, Units)> {
        let course_id = id_in_path(req, "orgUnitId", "Org unit")?;
        let units = match req.match_info().get("groupCategoryId") {
            Some(_) => Units::Category(id_in_path(req, "groupCategoryId", "Group category")?),
            None => Units::Sections,
        };
        Ok((course_id, units))
    }

    /// The page whose import this is.
    fn base(self, course_id: i64) -> String {
        match self {
            Units::Category(id) => category_path(course_id, id),
            Units::Sections => sections_path(course_id),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Units::Category(_) => "Group",
            Units::Sections => "Section",
        }
    }
}

/// `GET .../categories/{groupCategoryId}/members.csv` (groups.view) and `GET .../sections.csv`
/// (sections.view): one row per membership.
pub async fn export(state: State, req: HttpRequest) -> HttpResponse {
    answer(export_csv(state, req).await)
}

async fn export_csv(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (course_id, units) = Units::of(&req)?;
    let console = enter!(state, req, req.path());
    let auth = console.auth.clone();
    let (all, people) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, NotFound)?;
            let all: Vec<UnitWithMembers> = match units {
                Units::Category(id) => groups::list_groups(conn, &course, id)?,
                Units::Sections => sections::list(conn, &course)?,
            };
            Ok((all, classlist::everyone(conn, &course)?))
        })
        .await?;
    let users: std::collections::HashMap<i64, _> =
        people.into_iter().map(|(u, _)| (u.id, u)).collect();
    let mut header = MEMBERSHIP_COLUMNS.map(String::from).to_vec();
    header[3] = format!("{}Code", units.unit());
    let mut rows = vec![header];
    for unit in &all {
        for id in &unit.members {
            let user = users.get(id);
            rows.push(vec![
                user.and_then(|u| u.org_defined_id.clone())
                    .unwrap_or_default(),
                user.map(|u| u.user_name.clone()).unwrap_or_default(),
                id.to_string(),
                unit.unit.code.clone().unwrap_or_default(),
            ]);
        }
    }
    let file_name = match units {
        Units::Category(id) => format!("category-{id}.csv"),
        Units::Sections => format!("sections-{course_id}.csv"),
    };
    Ok(csv(&file_name, write_csv(&rows)))
}

/// The import page: the form, with the preview's rows when there are some. Read with the
/// page's own permission (groups.enroll, sections.enroll).
async fn import_page(
    state: &State,
    console: &Console,
    (course_id, units): (i64, Units),
    (status, flash): (StatusCode, Flash),
    text: &str,
    rows: Option<&[ImportRowView]>,
) -> ApiResult<HttpResponse> {
    let auth = console.auth.clone();
    let (course_name, category_name) = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, course_id, NotFound)?;
            let category = match units {
                Units::Category(id) => Some(groups::get_category(conn, &course, id)?.category.name),
                Units::Sections => None,
            };
            Ok((course.name.clone(), category))
        })
        .await?;
    let base = units.base(course_id);
    let mut crumbs = course_crumbs(course_id, &course_name);
    let title = match &category_name {
        Some(name) => {
            crumbs.push((
                format!("/console/courses/{course_id}/categories"),
                "Group categories".into(),
            ));
            crumbs.push((base.clone(), name.clone()));
            format!("Import memberships into {name}")
        }
        None => {
            crumbs.push((base.clone(), "Sections".into()));
            "Import section memberships".to_string()
        }
    };
    let target = ImportTarget {
        base,
        title,
        crumbs,
        unit: units.unit(),
    };
    Ok(page(
        status,
        view::import(&console.frame(), &flash, &target, text, rows),
    ))
}

/// `GET .../categories/{groupCategoryId}/import` (groups.enroll, as adding a member) and
/// `GET .../sections/import` (sections.enroll).
pub async fn import_form(state: State, req: HttpRequest) -> HttpResponse {
    answer(import_get(state, req).await)
}

async fn import_get(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (course_id, units) = Units::of(&req)?;
    let console = enter!(state, req, format!("{}/import", units.base(course_id)));
    let shown = (StatusCode::OK, Flash::default());
    import_page(&state, &console, (course_id, units), shown, "", None).await
}

/// A preview's row; `kind` is "group" or "section".
fn row_view(row: &MembershipRow, outcome: &RowOutcome, kind: &str) -> ImportRowView {
    let who = [
        row.user_name.clone(),
        row.org_defined_id.clone(),
        row.user_id.map(|id| id.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ");
    let said = |user: &User, verb: &str, unit: &OrgUnit| {
        let code = unit.code.as_deref().unwrap_or_default();
        (
            format!("{} {verb} {kind} {code}", user.display_name()),
            false,
        )
    };
    let (outcome, rejected) = match outcome {
        RowOutcome::Added { user, unit } => said(user, "will be added to", unit),
        RowOutcome::AlreadyMember { user, unit } => said(user, "is already in", unit),
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

/// `POST .../import` (groups.enroll or sections.enroll): `action=preview` shows each row's
/// outcome; `action=apply` runs the rows in one transaction, refused as a whole when any row
/// is refused.
pub async fn import(state: State, req: HttpRequest, body: RawBody) -> HttpResponse {
    answer(import_post(state, req, body).await)
}

async fn import_post(state: State, req: HttpRequest, body: RawBody) -> ApiResult<HttpResponse> {
    let (course_id, units) = Units::of(&req)?;
    let at = (course_id, units);
    let (console, form) = enter_post!(
        state,
        req,
        body,
        format!("{}/import", units.base(course_id))
    );
    // An uploaded file, else the pasted text.
    let text = match form.get("file").filter(|f| !f.trim().is_empty()) {
        Some(file) => file.to_string(),
        None => form.text("csv"),
    };
    let apply = form.get("action") == Some("apply");
    let rows = match membership_rows(&text) {
        Ok(rows) => rows,
        Err(why) => {
            let e = crate::error::ApiError::bad_request(why);
            let shown = (e.status_code(), refusal(&e));
            return import_page(&state, &console, at, shown, &text, None).await;
        }
    };
    let run_rows = rows.clone();
    let outcome = console
        .change(
            &state,
            course_id,
            (NotFound, Members),
            move |conn, course, actor| {
                let rows = &run_rows;
                match (units, apply) {
                    (Units::Category(id), true) => {
                        groups::apply_import(conn, course, id, rows, actor)
                    }
                    (Units::Category(id), false) => {
                        groups::preview_import(conn, course, id, rows, actor)
                    }
                    (Units::Sections, true) => sections::apply_import(conn, course, rows, actor),
                    (Units::Sections, false) => sections::preview_import(conn, course, rows, actor),
                }
            },
        )
        .await;
    match outcome {
        Ok(_) if apply => Ok(see_other(&format!(
            "{}?done=imported",
            units.base(course_id)
        ))),
        Ok(outcomes) => {
            let views: Vec<ImportRowView> = rows
                .iter()
                .zip(&outcomes)
                .map(|(row, outcome)| row_view(row, outcome, &units.unit().to_lowercase()))
                .collect();
            let shown = (StatusCode::OK, Flash::default());
            import_page(&state, &console, at, shown, &text, Some(&views)).await
        }
        Err(e) if is_refusal(&e) => {
            let shown = (e.status_code(), refusal(&e));
            import_page(&state, &console, at, shown, &text, None).await
        }
        Err(e) => Err(e),
    }
}
