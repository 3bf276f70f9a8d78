//! The course administrators' console: server-rendered pages under `/console/` over the same
//! units of work and access checks as the API (docs/console.md).
//!
//! The one bridge from a browser session to the API's rules is [`Console::enter`]: the signed-in
//! user becomes a [`Caller`] of their institution (all scopes: scopes never widen
//! permissions, and a person at a browser holds no token to narrow them) and an [`Authorized`]
//! holding the permission the route table names for the page (`RouteTable::page`), which
//! `services::access` then checks exactly as it does for the API route of the same action.
//!
//! Every POST carries the session's CSRF token (403 page, nothing changed, without it), and
//! answers 303 to its page with a fixed flash message (`?done=...`) or that page again with the
//! refusal and the API's status. Every failure is an HTML page, never problem+json.

pub mod categories;
pub mod courses;
pub mod csv;
pub mod groups;
pub mod history;
pub mod sections;
pub mod self_enrollment;

use std::collections::HashMap;
use std::ops::Range;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::browser::{form_token_matches, html, login_for, redirect, session_of};
use super::extract::RawBody;
use super::paths::path_param;
use crate::auth::scopes::ScopeSet;
use crate::auth::{Authorized, Caller};
use crate::db::org_units::CourseLock;
use crate::db::rows::{Role, Session, User};
use crate::db::DbConnection;
use crate::domain::history::Actor;
use crate::domain::permissions::Permission;
use crate::error::{ApiError, ApiResult};
use crate::pages::console::sections::Person;
use crate::pages::console::{self as view, done_text, Flash};
use crate::services::access::{self, Course, MembersHeld, Missing, StructureHeld};
use crate::state::State;

/// The `client_id` of a console caller (`auth::tokens::CONSOLE_CLIENT_ID`): never a registered
/// client, so no VLE policy binds it and no rate-limit bucket of a client is charged; the
/// membership history tells the console's changes by it.
pub use crate::auth::tokens::CONSOLE_CLIENT_ID;

/// The permission the route table names for a console page, left in the request by
/// [`with_permission`] for [`Console::enter`].
#[derive(Clone, Copy, Debug)]
pub struct PagePermission(pub Option<Permission>);

/// Route middleware of `RouteTable::page`: leaves the page's permission in the request.
pub async fn with_permission(
    permission: Option<Permission>,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    req.extensions_mut().insert(PagePermission(permission));
    next.call(req).await
}

/// A signed-in user on a console page.
pub struct Console {
    pub session: Session,
    pub user: User,
    /// The user as the API's access checks see a caller, holding the page's permission.
    pub auth: Authorized,
}

impl Console {
    /// The signed-in user, or the answer for a request without a session: 302 to the sign-in
    /// page, coming back to `back_to` (the page itself, for a GET).
    pub async fn enter(
        state: &State,
        req: &HttpRequest,
        back_to: &str,
    ) -> ApiResult<Result<Console, HttpResponse>> {
        let Some((session, user)) = session_of(state, req).await? else {
            return Ok(Err(redirect(&login_for(back_to))));
        };
        let permission = req.extensions().get::<PagePermission>().and_then(|p| p.0);
        let caller = Caller {
            user_id: user.id,
            institution_id: session.institution_id,
            // Read by nothing the console calls: it never issues a token.
            tenant_id: String::new(),
            scopes: ScopeSet::parse("*:*:*").map_err(ApiError::internal)?,
            client_id: Some(CONSOLE_CLIENT_ID.to_string()),
            grant_id: None,
            expires_at: session.expires_at.and_utc().timestamp(),
        };
        let auth = Authorized {
            caller,
            permission,
            known_permissions: state.caches.permissions.clone(),
        };
        Ok(Ok(Console {
            session,
            user,
            auth,
        }))
    }

    /// The same caller holding `permission` instead: for what a page shows beside its own
    /// subject (a class list's sections and groups), each checked as its API route checks it.
    pub fn holding(&self, permission: Permission) -> Authorized {
        Authorized {
            permission: Some(permission),
            ..self.auth.clone()
        }
    }

    /// Enters the console for a form's post: the form parsed (URL-encoded or multipart) and
    /// its CSRF token checked. `Err` is the answer already: the sign-in redirect, or the 403
    /// page of a post without the session's token (nothing changed).
    pub async fn posted(
        state: &State,
        req: &HttpRequest,
        body: &RawBody,
        back_to: &str,
    ) -> ApiResult<Result<(Console, Form), HttpResponse>> {
        let console = match Console::enter(state, req, back_to).await? {
            Ok(console) => console,
            Err(answer) => return Ok(Err(answer)),
        };
        let form = Form::parse_either(req, &body.0)?;
        if !csrf_ok(&console, &form) {
            return Ok(Err(stale_form(&console)));
        }
        Ok(Ok((console, form)))
    }

    /// Runs `work` on course `course_id` in one write transaction, the course held with
    /// `lock` and proven with the page's permission (`missing` as the API route answers a
    /// course that is not one), `work` given who the change is recorded as made by. As far as
    /// the caches know it may have changed anything ([`crate::db::Db::write`]), as the API
    /// route of the same action says.
    pub async fn change<T, F>(
        &self,
        state: &State,
        course_id: i64,
        lock: (Missing, CourseLock),
        work: F,
    ) -> ApiResult<T>
    where
        F: FnMut(&mut DbConnection, &Course, &Actor) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (auth, mut work) = (self.auth.clone(), work);
        let (missing, lock) = lock;
        state
            .db
            .write(course_id, move |conn| {
                let actor = access::actor(&auth.caller);
                match lock {
                    CourseLock::Members => {
                        let course =
                            access::course_held::<MembersHeld>(conn, &auth, course_id, missing)?;
                        Ok(course.changed(work(conn, &course, &actor)?))
                    }
                    CourseLock::Structure => {
                        let course =
                            access::course_held::<StructureHeld>(conn, &auth, course_id, missing)?;
                        Ok(course.changed(work(conn, &course, &actor)?))
                    }
                }
            })
            .await
    }

    /// [`Console::change`] of the members of one group only (`CourseLock::Members`), which
    /// says so to the caches (a change of that member list alone), as the API's routes for the same change do.
    pub async fn change_members<T, F>(
        &self,
        state: &State,
        (course_id, unit_id): (i64, i64),
        missing: Missing,
        work: F,
    ) -> ApiResult<T>
    where
        F: FnMut(&mut DbConnection, &Course, &Actor) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (auth, mut work) = (self.auth.clone(), work);
        state
            .db
            .write(course_id, move |conn| {
                let course = access::course_held::<MembersHeld>(conn, &auth, course_id, missing)?;
                let value = work(conn, &course, &access::actor(&auth.caller))?;
                Ok(course.members_changed(value, unit_id))
            })
            .await
    }

    /// What every page's frame shows of the user.
    pub fn frame(&self) -> view::Frame {
        view::Frame {
            user_name: self.user.user_name.clone(),
            csrf: self.session.csrf_token.clone(),
        }
    }
}

/// Enters the console or returns the sign-in redirect from the calling handler.
macro_rules! enter {
    ($state:expr, $req:expr, $back:expr) => {
        match super::Console::enter(&$state, &$req, &$back).await? {
            Ok(console) => console,
            Err(answer) => return Ok(answer),
        }
    };
}
pub(crate) use enter;

/// Enters the console for a post ([`Console::posted`]) or returns its answer from the calling
/// handler.
macro_rules! enter_post {
    ($state:expr, $req:expr, $body:expr, $back:expr) => {
        match super::Console::posted(&$state, &$req, &$body, &$back).await? {
            Ok(entered) => entered,
            Err(answer) => return Ok(answer),
        }
    };
}
pub(crate) use enter_post;

/// A page's status line from its query: the fixed notice of its `?done=` code, if any.
pub fn notice(req: &HttpRequest) -> Flash {
    Flash {
        notice: done_text(done_code(req).as_deref()),
        error: None,
    }
}

/// A page's status line saying why a post was refused.
pub fn refusal(e: &ApiError) -> Flash {
    Flash {
        notice: None,
        error: Some(e.to_string()),
    }
}

/// The course's members by user id, as the pages name them.
pub fn people_by_id(people: Vec<(User, Role)>) -> HashMap<i64, Person> {
    people
        .into_iter()
        .map(|(u, _)| {
            let p = Person {
                id: u.id,
                name: u.display_name(),
                user_name: u.user_name,
            };
            (u.id, p)
        })
        .collect()
}

/// Member `id` as the pages name them; "User {id}" when no longer in the course.
pub fn person(names: &HashMap<i64, Person>, id: i64) -> Person {
    names.get(&id).cloned().unwrap_or(Person {
        id,
        name: format!("User {id}"),
        user_name: String::new(),
    })
}

/// The page of a list cut from the whole one (`?page=`, 1 or more), as the class list pages.
#[derive(Clone, Debug)]
pub struct Cut {
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// The items of the whole list this page shows (empty past the last page).
    pub range: Range<usize>,
}

impl Cut {
    /// Page `?page=` of `total` items, `per_page` a page; 400 for a page that is not a number
    /// of 1 or more.
    pub fn of(req: &HttpRequest, total: usize, per_page: usize) -> ApiResult<Cut> {
        let page =
            match query_value(req, "page") {
                Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    ApiError::bad_request("page: must be a page number, 1 or more.")
                })?,
                None => 1,
            };
        Ok(Cut::at(page, total, per_page))
    }

    /// Page `page` of `total` items, `per_page` a page.
    pub fn at(page: usize, total: usize, per_page: usize) -> Cut {
        let start = page.saturating_sub(1).saturating_mul(per_page).min(total);
        Cut {
            page,
            pages: total.div_ceil(per_page).max(1),
            total,
            range: start..(start + per_page).min(total),
        }
    }

    /// "Page 2 of 3 (120 members)", naming the items with `one` and `many`.
    pub fn position(&self, one: &str, many: &str) -> String {
        format!(
            "Page {} of {} ({} {})",
            self.page,
            self.pages,
            self.total,
            if self.total == 1 { one } else { many }
        )
    }

    /// The previous and next pages' addresses, each made by `link` from its number.
    pub fn links(&self, link: impl Fn(usize) -> String) -> (Option<String>, Option<String>) {
        (
            (self.page > 1).then(|| link(self.page - 1)),
            (self.page < self.pages).then(|| link(self.page + 1)),
        )
    }
}

/// A page's answer, whatever happened: an error becomes an HTML page with the API's status
/// and its detail (an unexpected one is logged and answered with a fixed sentence).
pub fn answer(outcome: ApiResult<HttpResponse>) -> HttpResponse {
    match outcome {
        Ok(res) => res,
        Err(e) => error_page(&e),
    }
}

/// The HTML page for an error.
pub fn error_page(e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    if status.is_server_error() {
        tracing::error!(cause = %e.cause(), "console page failed");
    }
    let mut res = html(status, view::error(status.as_u16(), &e.to_string()));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    res
}

/// Whether `e` is a refusal to show beside the form (the API's own 4xx), rather than trouble.
pub fn is_refusal(e: &ApiError) -> bool {
    e.status_code().is_client_error()
}

/// An HTML page answered with `status`.
pub fn page(status: StatusCode, body: String) -> HttpResponse {
    html(status, body)
}

/// After a post: 303 to `page` with the fixed notice `code` when it was done, else why not
/// (for the caller to show beside its form).
pub fn done_or(done: ApiResult<()>, page: &str, code: &str) -> ApiResult<HttpResponse> {
    done.map(|()| see_other(&format!("{page}?done={code}")))
}

/// 303 to `location` after a POST that did what it said.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A form post's fields, as sent.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> ApiResult<Form> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| ApiError::bad_request(format!("The form body is malformed: {e}.")))?;
        if let Some((name, _)) = pairs.iter().find(|(_, v)| v.contains('\0')) {
            return Err(crate::wire::nul_error(name));
        }
        Ok(Form(pairs))
    }

    /// A form posted either way a browser posts one: URL-encoded, or `multipart/form-data`
    /// (a form with a file input), each file's content taken as the field's text (UTF-8).
    pub fn parse_either(req: &HttpRequest, body: &[u8]) -> ApiResult<Form> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(boundary) = multipart_boundary(content_type) else {
            return Form::parse(body);
        };
        let pairs = multipart_fields(body, &boundary)?;
        if let Some((name, _)) = pairs.iter().find(|(_, v)| v.contains('\0')) {
            return Err(crate::wire::nul_error(name));
        }
        Ok(Form(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's text, empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// A checkbox: present (any value) is checked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A required id field (a select's value): 400 naming the field's label.
    pub fn id(&self, name: &str, label: &str) -> ApiResult<i64> {
        self.get(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| ApiError::bad_request(format!("{label}: choose one.")))
    }
}

/// The boundary of a `multipart/form-data` content type, if it is one.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
}

/// The fields of a `multipart/form-data` body (RFC 7578): each part's `name` and its content
/// as text; 400 for a body that is not one, or a part that is not UTF-8.
fn multipart_fields(body: &[u8], boundary: &str) -> ApiResult<Vec<(String, String)>> {
    let malformed = || ApiError::bad_request("The form body is malformed multipart/form-data.");
    let delimiter = format!("--{boundary}");
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("An uploaded file must be UTF-8 text (CSV)."))?;
    let mut fields = Vec::new();
    let mut sections = text.split(delimiter.as_str());
    sections.next().ok_or_else(malformed)?; // the preamble
    for section in sections {
        if section.starts_with("--") {
            return Ok(fields);
        }
        let section = section.strip_prefix("\r\n").ok_or_else(malformed)?;
        let (head, content) = section.split_once("\r\n\r\n").ok_or_else(malformed)?;
        let content = content.strip_suffix("\r\n").ok_or_else(malformed)?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| {
                l.split(';')
                    .map(str::trim)
                    .find_map(|p| p.strip_prefix("name="))
            })
            .map(|n| n.trim_matches('"').to_string())
            .ok_or_else(malformed)?;
        fields.push((name, content.to_string()));
    }
    Err(malformed())
}

/// The refusal of a post without the session's CSRF token: nothing was changed.
pub fn stale_form(console: &Console) -> HttpResponse {
    html(StatusCode::FORBIDDEN, view::stale_form(&console.frame()))
}

/// Whether the post carries the session's token.
pub fn csrf_ok(console: &Console, form: &Form) -> bool {
    form_token_matches(form.get("csrf_token"), &console.session.csrf_token)
}

/// The D2LID in path segment `{name}` (404 naming `what` when it is not one).
pub fn id_in_path(req: &HttpRequest, name: &str, what: &str) -> ApiResult<i64> {
    path_param(req, name, what)
}

/// The flash code of a page's query (`?done=...`), mapped by the page to fixed text.
pub fn done_code(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
}

/// A query parameter's value, if any.
pub fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.contains('\0'))
}

/// A CSV download: `text/csv`, saved as `file_name`.
pub fn csv(file_name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(body)
}

/// A form field as the API's JSON would carry it: a number when it reads as one, absent (null)
/// when empty, else the text itself, so that the API's own parsing refuses it with its own
/// message.
pub fn json_number(text: &str) -> serde_json::Value {
    let text = text.trim();
    if text.is_empty() {
        serde_json::Value::Null
    } else if let Ok(n) = text.parse::<i64>() {
        n.into()
    } else {
        text.into()
    }
}

/// Parses `value` as the API parses a request body of type `T` (the same messages).
pub fn as_api_body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    let bytes = serde_json::to_vec(&value).map_err(ApiError::internal)?;
    crate::wire::parse_json(&bytes)
}
