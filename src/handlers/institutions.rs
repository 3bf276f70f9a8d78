//! The operator API: an institution's own record and its VLE registrations. A VLE is an LMS
//! (or other system) that calls the LP API with an OAuth client of its own, bound to a service
//! user holding the "LMS Integration" role at the root. Only the institution's Administrators
//! may call these routes, and each sees only their own institution.

use std::cmp::Ordering;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use serde_json::Value;

use crate::auth::secrets::{generate_secret, hash_secret};
use crate::auth::tokens::{institution_by_id, CLI_CLIENT_ID};
use crate::auth::Authorized;
use crate::auth::Caller;
use crate::db::rows::{Enrollment, Institution, NewRole, NewUser, NewVle, OAuthClient, Role, Vle};
use crate::db::{is_unique_violation, DbConnection};
use crate::domain::permissions::default_role_permissions_for_integration;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::RawBody;
use crate::handlers::reply::{ok, reply};
use crate::schema::{
    enrollments, institutions, oauth_clients, role_permissions, roles, users, vles,
};
use crate::state::State;
use crate::wire::institutions::*;

/// The role of VLE service users: everything an LMS needs to provision users, courses,
/// enrollments, sections and groups, and nothing that deletes courses or manages the
/// institution. Created the first time an institution registers a VLE.
pub const INTEGRATION_ROLE: &str = "LMS Integration";

/// The scope registered for VLE clients: the LP routes, not the operator API.
pub const VLE_CLIENT_SCOPE: &str =
    "users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:*";

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 500;

// ---------------------------------------------------------------------------------------------
// Who may call

/// The VLE whose client the caller's token was issued to, if any.
pub fn vle_of_client(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Option<Vle>> {
    let Some(client_id) = caller.client_id.as_deref().filter(|c| *c != CLI_CLIENT_ID) else {
        return Ok(None);
    };
    Ok(vles::table
        .filter(vles::client_id.eq(client_id))
        .select(Vle::as_select())
        .first(conn)
        .optional()?)
}

/// The caller's own institution when the path names it; any other id is "not found".
fn own_institution(conn: &mut DbConnection, caller: &Caller, text: &str) -> ApiResult<Institution> {
    let id = crate::wire::canonical_id(text)
        .filter(|id| *id == caller.institution_id)
        .ok_or_else(|| ApiError::not_found(format!("Institution {text:?} not found.")))?;
    institution_by_id(conn, id)
}

// ---------------------------------------------------------------------------------------------
// Lists: limit/offset pages, search, ordering

struct ListParams {
    limit: usize,
    offset: usize,
    search: Option<String>,
    ordering: Option<(String, bool)>,
}

fn list_params(req: &HttpRequest, fields: &[&str]) -> ApiResult<ListParams> {
    let query = crate::handlers::extract::Query::parse(req.query_string())?;
    let count = |name: &str| -> ApiResult<Option<usize>> {
        query
            .get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    ApiError::bad_request(format!("{name}: {v:?} is not a non-negative integer."))
                })
            })
            .transpose()
    };
    // As Django REST framework: a limit of 0 means the default; above the maximum, the maximum.
    let limit = match count("limit")? {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = count("offset")?.unwrap_or(0);
    let search = query
        .get("search")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let ordering = match query
        .get("ordering")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(o) => {
            let (field, desc) = match o.strip_prefix('-') {
                Some(f) => (f, true),
                None => (o, false),
            };
            if !fields.contains(&field) {
                return Err(ApiError::bad_request(format!(
                    "ordering: {field:?} is not a field; use one of {}.",
                    fields.join(", ")
                )));
            }
            Some((field.to_string(), desc))
        }
    };
    Ok(ListParams {
        limit,
        offset,
        search,
        ordering,
    })
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The absolute URL of this list with another offset (None when there is no such page).
fn page_url(req: &HttpRequest, limit: usize, offset: Option<usize>) -> String {
    let info = req.connection_info();
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "limit" && k != "offset")
            .collect();
    pairs.push(("limit".into(), limit.to_string()));
    if let Some(offset) = offset {
        pairs.push(("offset".into(), offset.to_string()));
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!(
        "{}://{}{}?{}",
        info.scheme(),
        info.host(),
        req.path(),
        query
    )
}

/// Searches, orders and pages serialized items.
fn paged<T: serde::Serialize>(
    req: &HttpRequest,
    params: &ListParams,
    items: &[T],
    searchable: &[&str],
) -> ApiResult<Page<Value>> {
    let mut values: Vec<Value> = items
        .iter()
        .map(|i| serde_json::to_value(i).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    if let Some(term) = &params.search {
        values.retain(|v| {
            searchable.iter().any(|f| {
                v[*f]
                    .as_str()
                    .is_some_and(|s| s.to_lowercase().contains(term.as_str()))
            })
        });
    }
    match &params.ordering {
        Some((field, desc)) => values.sort_by(|a, b| {
            let o = compare(&a[field.as_str()], &b[field.as_str()]);
            if *desc {
                o.reverse()
            } else {
                o
            }
        }),
        None => values.sort_by(|a, b| compare(&a["id"], &b["id"])),
    }
    let count = values.len();
    let after = params.offset.saturating_add(params.limit);
    let next = (after < count).then(|| page_url(req, params.limit, Some(after)));
    let previous = (params.offset > 0).then(|| {
        let back = params.offset.saturating_sub(params.limit);
        page_url(req, params.limit, (back > 0).then_some(back))
    });
    let results = values
        .into_iter()
        .skip(params.offset)
        .take(params.limit)
        .collect();
    Ok(Page {
        count,
        next,
        previous,
        results,
    })
}

// ---------------------------------------------------------------------------------------------
// Institutions

const INSTITUTION_FIELDS: &[&str] = &[
    "id",
    "acronym",
    "name",
    "external_ic",
    "mail_domain",
    "disable_vle_learner_creation",
    "disable_vle_instructor_creation",
    "disable_vle_user_creation",
    "allow_learner_report",
    "allow_learner_audit",
    "allow_valid_audit",
    "created_at",
    "updated_at",
];

/// `GET /api/v2/institution/`: the caller's own institution, as a one-item page.
pub async fn list(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let params = list_params(&req, INSTITUTION_FIELDS)?;
    let caller = auth.caller.clone();
    let mine = state
        .db
        .read(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            institution_by_id(conn, caller.institution_id)
        })
        .await?;
    ok(&paged(
        &req,
        &params,
        &[InstitutionOut::from(&mine)],
        &["acronym", "name"],
    )?)
}

/// `GET /api/v2/institution/{institution_id}/`
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("institution_id")
        .unwrap_or_default()
        .to_string();
    let caller = auth.caller.clone();
    let found = state
        .db
        .read(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            own_institution(conn, &caller, &institution_text)
        })
        .await?;
    ok(&InstitutionOut::from(&found))
}

/// `PUT /api/v2/institution/{institution_id}/`: every writable field.
pub async fn put(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    update(state, auth, req, body, true).await
}

/// `PATCH /api/v2/institution/{institution_id}/`: any writable fields.
pub async fn patch(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    update(state, auth, req, body, false).await
}

fn check_acronym(acronym: &str) -> ApiResult<()> {
    let ok = !acronym.is_empty()
        && acronym.len() <= 32
        && acronym
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "acronym: 1 to 32 letters, digits, '-' or '_'.",
        ))
    }
}

fn check_domain(domain: &str) -> ApiResult<String> {
    let d = domain.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(d)
    } else {
        Err(ApiError::bad_request(format!(
            "mail_domain: {domain:?} is not a domain name."
        )))
    }
}

async fn update(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
    require_all: bool,
) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("institution_id")
        .unwrap_or_default()
        .to_string();
    let fields = Fields::parse(&body.0, require_all)?;
    let acronym = fields.string("acronym")?;
    if let Some(a) = &acronym {
        check_acronym(a)?;
    }
    let name = fields.string("name")?;
    if let Some(n) = &name {
        validate::name("name", n, 256).map_err(ApiError::BadRequest)?;
    }
    let external_ic = fields.boolean("external_ic")?;
    let mail_domain = match fields.nullable_string("mail_domain")? {
        Some(Some(d)) if !d.trim().is_empty() => Some(Some(check_domain(&d)?)),
        Some(_) => Some(None),
        None => None,
    };
    let flag = |f: &str| fields.boolean(f);
    let flags = [
        flag("disable_vle_learner_creation")?,
        flag("disable_vle_instructor_creation")?,
        flag("disable_vle_user_creation")?,
        flag("allow_learner_report")?,
        flag("allow_learner_audit")?,
        flag("allow_valid_audit")?,
    ];
    let caller = auth.caller.clone();
    let updated = state
        .db
        .write(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let mut row = own_institution(conn, &caller, &institution_text)?;
            if let Some(a) = acronym.clone() {
                let clash = institutions::table
                    .filter(institutions::id.ne(row.id))
                    .select(institutions::acronym)
                    .load::<String>(conn)?
                    .into_iter()
                    .any(|other| other.eq_ignore_ascii_case(&a));
                if clash {
                    return Err(ApiError::bad_request(format!(
                        "acronym: {a:?} is already in use."
                    )));
                }
                row.acronym = a;
            }
            if let Some(n) = name.clone() {
                row.name = n;
            }
            if let Some(x) = external_ic {
                row.external_ic = x;
            }
            if let Some(d) = mail_domain.clone() {
                row.mail_domain = d;
            }
            let targets = [
                &mut row.disable_vle_learner_creation,
                &mut row.disable_vle_instructor_creation,
                &mut row.disable_vle_user_creation,
                &mut row.allow_learner_report,
                &mut row.allow_learner_audit,
                &mut row.allow_valid_audit,
            ];
            for (target, value) in targets.into_iter().zip(flags) {
                if let Some(v) = value {
                    *target = v;
                }
            }
            row.updated_at = Utc::now().naive_utc();
            let written = diesel::update(institutions::table.find(row.id))
                .set((
                    institutions::acronym.eq(&row.acronym),
                    institutions::name.eq(&row.name),
                    institutions::external_ic.eq(row.external_ic),
                    institutions::mail_domain.eq(&row.mail_domain),
                    institutions::disable_vle_learner_creation.eq(row.disable_vle_learner_creation),
                    institutions::disable_vle_instructor_creation
                        .eq(row.disable_vle_instructor_creation),
                    institutions::disable_vle_user_creation.eq(row.disable_vle_user_creation),
                    institutions::allow_learner_report.eq(row.allow_learner_report),
                    institutions::allow_learner_audit.eq(row.allow_learner_audit),
                    institutions::allow_valid_audit.eq(row.allow_valid_audit),
                    institutions::updated_at.eq(row.updated_at),
                ))
                .execute(conn);
            match written {
                Err(e) if is_unique_violation(&e) => {
                    Err(ApiError::bad_request("acronym: already in use."))
                }
                other => {
                    other?;
                    Ok(row)
                }
            }
        })
        .await?;
    ok(&InstitutionOut::from(&updated))
}

// ---------------------------------------------------------------------------------------------
// VLEs

const VLE_FIELDS: &[&str] = &["id", "type", "name", "url", "client_id"];

fn find_vle(conn: &mut DbConnection, institution_id: i64, text: &str) -> ApiResult<Vle> {
    let id = crate::wire::path_id("VLE", text)?;
    vles::table
        .filter(vles::id.eq(id))
        .filter(vles::institution_id.eq(institution_id))
        .select(Vle::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("VLE {id} not found.")))
}

/// A VLE's writable fields as sent.
struct VleChanges {
    kind: Option<i64>,
    lti: Option<String>,
    name: Option<String>,
    url: Option<String>,
}

fn vle_changes(fields: &Fields) -> ApiResult<VleChanges> {
    let kind = fields.integer("type")?;
    if let Some(k) = kind {
        if !VLE_TYPES.iter().any(|(n, _)| *n == k) {
            let known: Vec<String> = VLE_TYPES
                .iter()
                .map(|(n, name)| format!("{n} {name}"))
                .collect();
            return Err(ApiError::bad_request(format!(
                "type: {k} is not one of {}.",
                known.join(", ")
            )));
        }
    }
    let lti = fields.object("lti")?.map(|m| Value::Object(m).to_string());
    let name = fields.string("name")?;
    if let Some(n) = &name {
        validate::name("name", n, 256).map_err(ApiError::BadRequest)?;
    }
    let url = fields.string("url")?;
    if let Some(u) = &url {
        let parsed = url::Url::parse(u)
            .map_err(|_| ApiError::bad_request(format!("url: {u:?} is not a URL.")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none_or(str::is_empty)
        {
            return Err(ApiError::bad_request(format!(
                "url: {u:?} must be an http or https URL."
            )));
        }
    }
    Ok(VleChanges {
        kind,
        lti,
        name,
        url,
    })
}

fn require_name_free(
    conn: &mut DbConnection,
    institution_id: i64,
    name: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    let taken = vles::table
        .filter(vles::institution_id.eq(institution_id))
        .filter(vles::name_key.eq(name.to_lowercase()))
        .filter(vles::id.ne(except.unwrap_or(0)))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        Err(ApiError::bad_request(format!(
            "name: a VLE named {name:?} already exists in this institution."
        )))
    } else {
        Ok(())
    }
}

/// A unique-index violation on a VLE write: another request took the name in the meantime.
fn name_taken(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::bad_request("name: a VLE with this name already exists in this institution.")
    } else {
        e.into()
    }
}

/// The institution's integration role, created on first use.
fn integration_role(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Role> {
    let existing = roles::table
        .filter(roles::institution_id.eq(institution_id))
        .filter(roles::name.eq(INTEGRATION_ROLE))
        .select(Role::as_select())
        .first(conn)
        .optional()?;
    if let Some(role) = existing {
        return Ok(role);
    }
    let id: i64 = diesel::insert_into(roles::table)
        .values(NewRole {
            institution_id,
            name: INTEGRATION_ROLE,
            code: "Integration",
            is_cascading: true,
        })
        .returning(roles::id)
        .get_result(conn)?;
    for permission in default_role_permissions_for_integration() {
        diesel::insert_into(role_permissions::table)
            .values((
                role_permissions::role_id.eq(id),
                role_permissions::permission.eq(permission.name()),
            ))
            .execute(conn)?;
    }
    Ok(roles::table
        .find(id)
        .select(Role::as_select())
        .first(conn)?)
}

/// `GET /api/v2/institution/{parent_lookup_institution_id}/vle/`
pub async fn list_vles(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("parent_lookup_institution_id")
        .unwrap_or_default()
        .to_string();
    let params = list_params(&req, VLE_FIELDS)?;
    let caller = auth.caller.clone();
    let all = state
        .db
        .read(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let institution = own_institution(conn, &caller, &institution_text)?;
            let rows: Vec<Vle> = vles::table
                .filter(vles::institution_id.eq(institution.id))
                .select(Vle::as_select())
                .load(conn)?;
            Ok(rows
                .iter()
                .map(|v| VleOut::new(v, None))
                .collect::<Vec<_>>())
        })
        .await?;
    ok(&paged(&req, &params, &all, &["name", "url"])?)
}

/// `POST /api/v2/institution/{parent_lookup_institution_id}/vle/`: registers the VLE with an
/// OAuth client and service user; answers 201 with the client secret, shown this once.
pub async fn create_vle(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("parent_lookup_institution_id")
        .unwrap_or_default()
        .to_string();
    let fields = Fields::parse(&body.0, false)?;
    let changes = vle_changes(&fields)?;
    let kind = changes
        .kind
        .ok_or_else(|| ApiError::bad_request("type: this field is required."))?;
    let name = changes
        .name
        .ok_or_else(|| ApiError::bad_request("name: this field is required."))?;
    let url = changes
        .url
        .ok_or_else(|| ApiError::bad_request("url: this field is required."))?;
    let lti = changes.lti.unwrap_or_else(|| "{}".into());
    let secret = generate_secret();
    let secret_hash = hash_secret(&secret).map_err(ApiError::internal)?;
    let caller = auth.caller.clone();
    let vle = state
        .db
        .write(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let institution = own_institution(conn, &caller, &institution_text)?;
            require_name_free(conn, institution.id, &name, None)?;
            let now = Utc::now().naive_utc();
            let client_id = uuid::Uuid::new_v4().to_string();
            let role = integration_role(conn, institution.id)?;
            let root = crate::db::org_units::root(conn, institution.id)?;
            let user_name = format!("vle-{}", &client_id[..8]);
            let user_id: i64 = diesel::insert_into(users::table)
                .values(NewUser {
                    institution_id: institution.id,
                    user_name: user_name.clone(),
                    user_name_key: user_name,
                    first_name: name.chars().take(128).collect(),
                    middle_name: None,
                    last_name: "VLE".into(),
                    external_email: None,
                    org_defined_id: None,
                    pronouns: None,
                    is_active: true,
                    created_at: now,
                })
                .returning(users::id)
                .get_result(conn)?;
            diesel::insert_into(enrollments::table)
                .values(Enrollment {
                    user_id,
                    org_unit_id: root.id,
                    institution_id: institution.id,
                    role_id: role.id,
                    is_cascading: role.is_cascading,
                    created_at: now,
                })
                .execute(conn)?;
            diesel::insert_into(oauth_clients::table)
                .values(OAuthClient {
                    client_id: client_id.clone(),
                    institution_id: institution.id,
                    user_id,
                    name: format!("VLE: {name}"),
                    secret_hash: secret_hash.clone(),
                    scope: VLE_CLIENT_SCOPE.into(),
                    revoked_at: None,
                    created_at: now,
                })
                .execute(conn)?;
            let id: i64 = diesel::insert_into(vles::table)
                .values(NewVle {
                    institution_id: institution.id,
                    kind,
                    lti: lti.clone(),
                    name_key: name.to_lowercase(),
                    name: name.clone(),
                    url: url.clone(),
                    client_id,
                    user_id,
                    created_at: now,
                    updated_at: now,
                })
                .returning(vles::id)
                .get_result(conn)
                .map_err(name_taken)?;
            Ok(vles::table.find(id).select(Vle::as_select()).first(conn)?)
        })
        .await?;
    reply(StatusCode::CREATED, &VleOut::new(&vle, Some(secret)))
}

/// `GET /api/v2/institution/{parent_lookup_institution_id}/vle/{id}/`
pub async fn get_vle(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("parent_lookup_institution_id")
        .unwrap_or_default()
        .to_string();
    let vle_text = req.match_info().get("id").unwrap_or_default().to_string();
    let caller = auth.caller.clone();
    let vle = state
        .db
        .read(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let institution = own_institution(conn, &caller, &institution_text)?;
            find_vle(conn, institution.id, &vle_text)
        })
        .await?;
    ok(&VleOut::new(&vle, None))
}

/// `PUT .../vle/{id}/`: every writable field (type, lti, name, url).
pub async fn put_vle(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    update_vle(state, auth, req, body, true).await
}

/// `PATCH .../vle/{id}/`: any writable fields.
pub async fn patch_vle(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    update_vle(state, auth, req, body, false).await
}

async fn update_vle(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
    require_all: bool,
) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("parent_lookup_institution_id")
        .unwrap_or_default()
        .to_string();
    let vle_text = req.match_info().get("id").unwrap_or_default().to_string();
    let fields = Fields::parse(&body.0, require_all)?;
    let changes = vle_changes(&fields)?;
    let caller = auth.caller.clone();
    let vle = state
        .db
        .write(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let institution = own_institution(conn, &caller, &institution_text)?;
            let mut vle = find_vle(conn, institution.id, &vle_text)?;
            if let Some(name) = changes.name.clone() {
                require_name_free(conn, institution.id, &name, Some(vle.id))?;
                vle.name_key = name.to_lowercase();
                vle.name = name;
            }
            if let Some(kind) = changes.kind {
                vle.kind = kind;
            }
            if let Some(lti) = changes.lti.clone() {
                vle.lti = lti;
            }
            if let Some(url) = changes.url.clone() {
                vle.url = url;
            }
            vle.updated_at = Utc::now().naive_utc();
            diesel::update(vles::table.find(vle.id))
                .set((
                    vles::kind.eq(vle.kind),
                    vles::lti.eq(&vle.lti),
                    vles::name.eq(&vle.name),
                    vles::name_key.eq(&vle.name_key),
                    vles::url.eq(&vle.url),
                    vles::updated_at.eq(vle.updated_at),
                ))
                .execute(conn)
                .map_err(name_taken)?;
            diesel::update(oauth_clients::table.find(&vle.client_id))
                .set(oauth_clients::name.eq(format!("VLE: {}", vle.name)))
                .execute(conn)?;
            Ok(vle)
        })
        .await?;
    ok(&VleOut::new(&vle, None))
}

/// `DELETE .../vle/{id}/`: revokes the VLE's client at once (its tokens answer 401 from now on)
/// and deactivates its service user; 204.
pub async fn delete_vle(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let institution_text = req
        .match_info()
        .get("parent_lookup_institution_id")
        .unwrap_or_default()
        .to_string();
    let vle_text = req.match_info().get("id").unwrap_or_default().to_string();
    let caller = auth.caller.clone();
    let client_id = state
        .db
        .write(move |conn| {
            crate::services::access::operator(conn, &auth)?;
            let institution = own_institution(conn, &caller, &institution_text)?;
            let vle = find_vle(conn, institution.id, &vle_text)?;
            let now = Utc::now().naive_utc();
            diesel::update(oauth_clients::table.find(&vle.client_id))
                .set(oauth_clients::revoked_at.eq(Some(now)))
                .execute(conn)?;
            diesel::update(users::table.find(vle.user_id))
                .set(users::is_active.eq(false))
                .execute(conn)?;
            diesel::delete(vles::table.find(vle.id)).execute(conn)?;
            Ok(vle.client_id)
        })
        .await?;
    state.tokens.forget_client(&client_id);
    Ok(HttpResponse::NoContent().finish())
}

/// The institution flags that bind a VLE client, checked by user and enrollment creation.
pub fn vle_institution(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Option<Institution>> {
    match vle_of_client(conn, caller)? {
        Some(vle) => Ok(Some(institution_by_id(conn, vle.institution_id)?)),
        None => Ok(None),
    }
}
