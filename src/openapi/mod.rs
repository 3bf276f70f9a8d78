//! The OpenAPI 3.1 description of the server, generated from the route table so that it cannot
//! drift: `routes.rs` hands over every route as it registers it (method, full path, mount,
//! versions, scopes, permission) with the [`Doc`] written beside it (request and answer types),
//! and the schemas come from the wire types themselves (`utoipa::ToSchema`, which reads their
//! serde renames). Served at `/openapi.json`, rendered at `/docs/` (`pages::api_docs`), printed
//! by `d2l-groups openapi`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::domain::permissions::Permission;
use crate::versions::{Product, RouteVersions, VersionPolicy};

/// A named schema and how to collect it with the schemas it refers to.
#[derive(Clone, Copy)]
pub struct Shape {
    name: fn() -> Cow<'static, str>,
    collect: fn(&mut Vec<(String, RefOr<Schema>)>),
    list: bool,
}

impl Shape {
    fn of<T: ToSchema>(list: bool) -> Self {
        Shape {
            name: T::name,
            collect: collect::<T>,
            list,
        }
    }

    fn schema(&self) -> Value {
        let one = json!({"$ref": format!("#/components/schemas/{}", (self.name)())});
        match self.list {
            true => json!({"type": "array", "items": one}),
            false => one,
        }
    }
}

fn collect<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into(), T::schema()));
    T::schemas(out);
}

/// One answer of an operation: its status, and its body's media type and schema, if any.
#[derive(Clone)]
struct Answer {
    status: u16,
    media: Option<&'static str>,
    shape: Option<Shape>,
    description: &'static str,
}

/// What one route takes and answers, written beside it in the route table
/// (`t.route(...).takes::<CreateUserData>().ok::<UserData>()`).
#[derive(Clone, Default)]
pub struct Doc {
    request: Option<(&'static str, Shape)>,
    answers: Vec<Answer>,
    query: Vec<&'static str>,
}

impl Doc {
    /// A JSON request body of type `T`.
    pub fn takes<T: ToSchema>(&mut self) -> &mut Self {
        self.request = Some(("application/json", Shape::of::<T>(false)));
        self
    }

    /// A JSON request body holding an array of `T`.
    pub fn takes_list<T: ToSchema>(&mut self) -> &mut Self {
        self.request = Some(("application/json", Shape::of::<T>(true)));
        self
    }

    /// An `application/x-www-form-urlencoded` request body of type `T`.
    pub fn form<T: ToSchema>(&mut self) -> &mut Self {
        self.request = Some(("application/x-www-form-urlencoded", Shape::of::<T>(false)));
        self
    }

    /// 200 with a JSON `T`.
    pub fn ok<T: ToSchema>(&mut self) -> &mut Self {
        self.json(200, Shape::of::<T>(false), "OK")
    }

    /// 200 with a JSON array of `T`.
    pub fn ok_list<T: ToSchema>(&mut self) -> &mut Self {
        self.json(200, Shape::of::<T>(true), "OK")
    }

    /// 201 with a JSON `T`.
    pub fn created<T: ToSchema>(&mut self) -> &mut Self {
        self.json(201, Shape::of::<T>(false), "Created")
    }

    /// 202 with a JSON `T`: the work goes on after the answer.
    pub fn accepted<T: ToSchema>(&mut self) -> &mut Self {
        self.json(202, Shape::of::<T>(false), "Accepted: the work is queued")
    }

    /// Another status with a JSON `T` (the token endpoint's RFC 6749 errors).
    pub fn error<T: ToSchema>(&mut self, status: u16) -> &mut Self {
        self.json(status, Shape::of::<T>(false), "Refused")
    }

    /// 200 with an empty body, as Brightspace answers most deletes and enrollments.
    pub fn empty(&mut self) -> &mut Self {
        self.plain(200, None, "OK, with an empty body")
    }

    /// 204, no body.
    pub fn no_content(&mut self) -> &mut Self {
        self.plain(204, None, "No content")
    }

    /// 200 with an HTML page.
    pub fn html(&mut self) -> &mut Self {
        self.plain(200, Some("text/html"), "An HTML page")
    }

    /// A redirect (302 or 303) the browser follows.
    pub fn redirect(&mut self, status: u16) -> &mut Self {
        self.plain(status, None, "A redirect: see Location")
    }

    /// The query parameters the handler reads, each described in [`QUERY_PARAMETERS`].
    pub fn query(&mut self, names: &[&'static str]) -> &mut Self {
        self.query.extend_from_slice(names);
        self
    }

    fn json(&mut self, status: u16, shape: Shape, description: &'static str) -> &mut Self {
        self.answers.push(Answer {
            status,
            media: Some("application/json"),
            shape: Some(shape),
            description,
        });
        self
    }

    fn plain(&mut self, status: u16, media: Option<&'static str>, text: &'static str) -> &mut Self {
        self.answers.push(Answer {
            status,
            media,
            shape: None,
            description: text,
        });
        self
    }

    /// Whether anything was declared: open routes are described only when they say what they
    /// answer (the console's pages and the sign-in forms are for people, not clients).
    pub fn is_declared(&self) -> bool {
        !self.answers.is_empty()
    }
}

/// Every query parameter a route may declare: (name, schema type, description). A route
/// naming another one is a mistake the document's build refuses (a test builds it).
pub const QUERY_PARAMETERS: &[(&str, &str, &str)] = &[
    ("bookmark", "string", "Where the previous page ended (the last page's Bookmark, or the last id); absent for the first page."),
    ("userName", "string", "The one user with this user name (any case): answers one UserData."),
    ("orgDefinedId", "string", "The users with this org-defined id: answers an array."),
    ("roleId", "integer", "Only enrollments with this role."),
    ("isActive", "boolean", "Only active (true) or inactive (false) ones."),
    ("orgUnitTypeId", "string", "Only org units of these types (comma-separated ids)."),
    ("orgUnitType", "string", "As orgUnitTypeId (the spelling some clients send)."),
    ("canAccess", "boolean", "Only org units the user can (true) or cannot (false) access now."),
    ("startDateTime", "string", "Only org units ending at or after this UTC date-time."),
    ("endDateTime", "string", "Only org units starting at or before this UTC date-time."),
    ("ouTypeId", "integer", "Only org units of this type."),
    ("orgUnitCode", "string", "Org units whose code contains this text."),
    ("orgUnitName", "string", "Org units whose name contains this text."),
    ("exactOrgUnitCode", "string", "Org units with exactly this code."),
    ("exactOrgUnitName", "string", "Org units with exactly this name."),
    ("onlyShowShownInGrades", "boolean", "Only the learners (those shown in grades)."),
    ("searchTerm", "string", "Users whose name, user name, org-defined id or email contains this text."),
    ("userId", "integer", "Only the changes of this user."),
    ("orgUnitId", "integer", "Only the changes in this section or group."),
    ("via", "string", "Only the changes made this way: Api, Console, AutoEnroll or Job."),
    ("limit", "integer", "Entries per page (0 for the default)."),
    ("offset", "integer", "Entries to skip."),
    ("search", "string", "Only the entries whose searchable fields contain this text (any case)."),
    ("ordering", "string", "The field to order by, with '-' before it for descending order."),
];

/// How a route is reached and checked, as the route table mounted it.
pub enum Access {
    /// No token: anonymous (versions, OAuth, health, this description).
    Open,
    /// Behind the gate: version (when mounted under a product), token, scope, permission.
    Gated {
        /// The versioned product and the versions the route answers, or none for the
        /// operator API.
        versions: Option<(Product, RouteVersions)>,
        /// Alternatives: any one of them is enough.
        scopes: Vec<&'static str>,
        permission: Option<Permission>,
    },
}

/// One route as the table registered it.
pub struct Operation {
    /// Lowercase HTTP method.
    pub method: String,
    /// The full path, `{param}` segments as written (`/d2l/api/lp/{version}/users/{userId}`).
    pub path: String,
    /// The handler's path in the crate (`users::whoami`), for the operation id.
    pub handler: &'static str,
    pub access: Access,
    pub doc: Doc,
}

/// The document built once, and what is served of it.
pub struct Document {
    pub value: Value,
    /// `/openapi.json`'s body.
    pub json: Vec<u8>,
    /// `/docs/`'s page.
    pub html: String,
}

impl Document {
    /// Builds the document from the route table's operations, and its page.
    pub fn build(operations: &[Operation]) -> Self {
        let value = document(operations);
        let json = serde_json::to_vec_pretty(&value).unwrap_or_default();
        let html = crate::pages::api_docs::page(&value);
        Document { value, json, html }
    }
}

/// The standard refusals every gated route may answer, as shared responses.
const GATED_ERRORS: &[(u16, &str)] = &[
    (400, "BadRequest"),
    (401, "Unauthorized"),
    (403, "Forbidden"),
    (404, "NotFound"),
    (429, "TooManyRequests"),
    (503, "Unavailable"),
];

/// The OpenAPI 3.1 document for `operations`.
pub fn document(operations: &[Operation]) -> Value {
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    let mut paths: Map<String, Value> = Map::new();
    let mut tags: Vec<String> = Vec::new();
    let mut scopes: BTreeMap<&'static str, ()> = BTreeMap::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for op in operations {
        if let Access::Open = op.access {
            if !op.doc.is_declared() {
                continue;
            }
        }
        if let Access::Gated { scopes: s, .. } = &op.access {
            for scope in s {
                scopes.insert(scope, ());
            }
        }
        let tag = tag_of(&op.path);
        if !tags.contains(&tag) {
            tags.push(tag.clone());
        }
        let id = op.handler.replace("::", ".");
        let seen = ids.entry(id.clone()).or_insert(0);
        *seen += 1;
        let id = match *seen {
            1 => id,
            n => format!("{id}_{n}"),
        };
        let item = operation(op, &tag, &id, &mut schemas);
        let entry = paths
            .entry(op.path.clone())
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(entry) = entry {
            entry.insert(op.method.clone(), item);
        }
    }
    let mut components: Map<String, Value> = Map::new();
    for (name, schema) in schemas {
        if !components.contains_key(&name) {
            components.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
        }
    }
    components.insert("ProblemDetails".into(), problem_details());
    let scope_map: Map<String, Value> = scopes
        .keys()
        .map(|s| (s.to_string(), json!(format!("The {s} scope."))))
        .collect();
    let mut responses = Map::new();
    for (status, name) in GATED_ERRORS {
        responses.insert(
            name.to_string(),
            json!({
                "description": refusal(*status),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
            }),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "d2l-groups",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "D2L Brightspace's groups and sections LP REST API, self-hosted.",
            "description": INFO,
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": responses,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "Brightspace's OAuth 2.0: RS256 bearer tokens from /core/connect/token. Each operation names the scope it needs; x-permission names the role permission checked in the org unit.",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "/core/connect/token", "scopes": scope_map.clone()},
                        "authorizationCode": {
                            "authorizationUrl": "/oauth2/auth",
                            "tokenUrl": "/core/connect/token",
                            "refreshUrl": "/core/connect/token",
                            "scopes": scope_map
                        }
                    }
                }
            }
        }
    })
}

const INFO: &str = "Every route the server answers for clients, generated from its route table. \
LP routes live under /d2l/api/lp/{version} (LE under /d2l/api/le/{version}); x-versions says \
which versions a route serves (GET /d2l/api/versions/ lists them). Trailing slashes are optional \
on every path, every GET answers HEAD too, and errors are RFC 7807 problem details. Every answer \
carries X-Rate-Limit-Remaining, X-Rate-Limit-Reset and X-Request-Cost; an empty bucket is 429 \
with Retry-After. D2L's ID-key signatures (x_a ... x_t query parameters) are accepted beside \
bearer tokens.";

fn refusal(status: u16) -> &'static str {
    match status {
        400 => "Invalid parameters: the detail names the field",
        401 => "No valid token (WWW-Authenticate: Bearer)",
        403 => "The token lacks the scope, or the caller's role the permission",
        404 => "No such resource, version or org unit of the caller's institution",
        429 => "Rate limit reached: see Retry-After",
        503 => "The database is unavailable: try again",
        _ => "Refused",
    }
}

/// `src/error.rs`'s problem details, with the legacy `Errors` array.
fn problem_details() -> Value {
    json!({
        "type": "object",
        "description": "RFC 7807 problem details, plus Brightspace's legacy Errors array.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "Errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"Message": {"type": "string"}},
                    "required": ["Message"]
                }
            }
        },
        "required": ["type", "title", "status", "detail", "Errors"]
    })
}

/// The tag of a path: its first literal segment after the mount (`groupcategories`, `users`).
fn tag_of(path: &str) -> String {
    let rest = ["/d2l/api/lp/{version}", "/d2l/api/le/{version}", "/api/v2"]
        .iter()
        .find_map(|mount| path.strip_prefix(mount))
        .unwrap_or(path);
    let literal = rest
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .find(|s| !matches!(*s, "versions" | "d2l" | "api" | "core"));
    match (path, literal) {
        (p, _) if p.contains("/versions") => "versions".into(),
        (p, _) if p.starts_with("/core/") || p.starts_with("/oauth2/") => "oauth".into(),
        (_, Some("healthz" | "readyz")) => "health".into(),
        (_, Some("openapi.json" | "docs")) => "description".into(),
        (_, Some(first)) => first.to_string(),
        (_, None) => "other".into(),
    }
}

fn operation(
    op: &Operation,
    tag: &str,
    id: &str,
    schemas: &mut Vec<(String, RefOr<Schema>)>,
) -> Value {
    let mut item = Map::new();
    item.insert("tags".into(), json!([tag]));
    item.insert("operationId".into(), json!(id));
    let mut parameters: Vec<Value> = path_parameters(&op.path);
    for name in &op.doc.query {
        let (_, kind, description) = QUERY_PARAMETERS
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("route table: query parameter {name} is not described"));
        parameters.push(json!({
            "name": name, "in": "query", "required": false,
            "description": description, "schema": {"type": kind}
        }));
    }
    if !parameters.is_empty() {
        item.insert("parameters".into(), json!(parameters));
    }
    if let Some((media, shape)) = &op.doc.request {
        (shape.collect)(schemas);
        item.insert(
            "requestBody".into(),
            json!({"required": true, "content": {*media: {"schema": shape.schema()}}}),
        );
    }
    let mut responses = Map::new();
    for answer in &op.doc.answers {
        let mut response = Map::new();
        response.insert("description".into(), json!(answer.description));
        if let Some(media) = answer.media {
            let schema = match &answer.shape {
                Some(shape) => {
                    (shape.collect)(schemas);
                    shape.schema()
                }
                None => json!({"type": "string"}),
            };
            response.insert("content".into(), json!({media: {"schema": schema}}));
        }
        responses.insert(answer.status.to_string(), Value::Object(response));
    }
    let mut description = Vec::new();
    match &op.access {
        Access::Open => {
            description.push("Anonymous: no token needed.".to_string());
            item.insert("security".into(), json!([]));
        }
        Access::Gated {
            versions,
            scopes,
            permission,
        } => {
            description.push(format!("Scope: {}.", scopes.join(" or ")));
            let security: Vec<Value> = scopes.iter().map(|s| json!({"oauth2": [s]})).collect();
            item.insert("security".into(), json!(security));
            match permission {
                Some(p) => {
                    description.push(format!("Permission: {} in the org unit.", p.name()));
                    item.insert("x-permission".into(), json!(p.name()));
                }
                None => {
                    item.insert("x-permission".into(), Value::Null);
                }
            }
            item.insert("x-scopes".into(), json!(scopes));
            let (mount, served) = match versions {
                Some((product, served)) => (
                    format!("/d2l/api/{}/{{version}}", product.code()),
                    version_range(*product, *served),
                ),
                None => ("/".to_string(), json!({"versioned": false})),
            };
            if matches!(versions, Some((_, RouteVersions::Removed))) {
                item.insert("deprecated".into(), json!(true));
                description.push("Removed: no version serves it, so it is always 404.".into());
            }
            item.insert("x-mount".into(), json!(mount));
            item.insert("x-versions".into(), served);
            for (status, name) in GATED_ERRORS {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| json!({"$ref": format!("#/components/responses/{name}")}));
            }
        }
    }
    item.insert("description".into(), json!(description.join(" ")));
    item.insert("responses".into(), Value::Object(responses));
    Value::Object(item)
}

/// What versions of its product a route serves, as the default release table has them (the
/// server's `--brightspace-release` may move them; `/d2l/api/versions/` tells).
fn version_range(product: Product, served: RouteVersions) -> Value {
    let policy = VersionPolicy::default();
    let table = product.lifecycle(&policy);
    match served {
        RouteVersions::Removed => json!({"product": product.code(), "served": false}),
        RouteVersions::Served => json!({
            "product": product.code(),
            "served": true,
            "release": policy.release.name,
            "supported": format!("{}–{}", table.supported_from, table.latest),
            "deprecated": format!("{}–{}", table.deprecated_from, previous(table.supported_from)),
            "obsolete": format!("1.0–{} (served, with Sunset)", previous(table.deprecated_from)),
            "unstable": true
        }),
    }
}

fn previous(v: crate::versions::ApiVersion) -> String {
    let text = v.to_string();
    match text.split_once('.') {
        Some((major, minor)) => match minor.parse::<u32>() {
            Ok(m) if m > 0 => format!("{major}.{}", m - 1),
            _ => text,
        },
        None => text,
    }
}

/// The `{name}` segments of a path as parameters: ids are integers, the rest strings.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = match name {
                "version" => json!({"type": "string", "pattern": "^([0-9]+\\.[0-9]+|unstable)$", "examples": ["1.47"]}),
                "productCode" => json!({"type": "string", "examples": ["lp"]}),
                "kid" => json!({"type": "string"}),
                _ => json!({"type": "integer", "format": "int64", "minimum": 1}),
            };
            let description = match name {
                "version" => "The API version (major.minor, or unstable for the latest).",
                "productCode" => "A product code: lp or le.",
                "kid" => "A signing key's id.",
                _ => "A canonical id (a positive integer without leading zeros); anything else is 404.",
            };
            json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
        })
        .collect()
}
