//! The operator API's shapes (`/api/v2/institution/...`): snake_case fields, DRF-style pages,
//! and bodies read field by field so that PUT can require every writable field, PATCH any
//! subset, read-only fields are ignored and a wrong type names its field.

use serde::Serialize;
use serde_json::{Map, Value};

use super::utc;
use crate::db::rows::{Institution, Vle};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstitutionOut {
    pub id: i64,
    pub acronym: String,
    pub name: String,
    pub external_ic: bool,
    pub mail_domain: Option<String>,
    pub disable_vle_learner_creation: bool,
    pub disable_vle_instructor_creation: bool,
    pub disable_vle_user_creation: bool,
    pub allow_learner_report: bool,
    pub allow_learner_audit: bool,
    pub allow_valid_audit: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Institution> for InstitutionOut {
    fn from(i: &Institution) -> Self {
        Self {
            id: i.id,
            acronym: i.acronym.clone(),
            name: i.name.clone(),
            external_ic: i.external_ic,
            mail_domain: i.mail_domain.clone(),
            disable_vle_learner_creation: i.disable_vle_learner_creation,
            disable_vle_instructor_creation: i.disable_vle_instructor_creation,
            disable_vle_user_creation: i.disable_vle_user_creation,
            allow_learner_report: i.allow_learner_report,
            allow_learner_audit: i.allow_learner_audit,
            allow_valid_audit: i.allow_valid_audit,
            created_at: utc(i.created_at),
            updated_at: utc(i.updated_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VleOut {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: i64,
    pub lti: Value,
    pub name: String,
    /// The client secret: only in the answer that creates the VLE, null afterwards.
    pub credentials: Option<String>,
    pub url: String,
    pub client_id: String,
}

impl VleOut {
    pub fn new(v: &Vle, credentials: Option<String>) -> Self {
        Self {
            id: v.id,
            kind: v.kind,
            lti: serde_json::from_str(&v.lti).unwrap_or_else(|_| Value::Object(Map::new())),
            name: v.name.clone(),
            credentials,
            url: v.url.clone(),
            client_id: v.client_id.clone(),
        }
    }
}

/// A page of a list: `{"count", "next", "previous", "results"}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// The kinds of system a VLE can be (its `type`).
/// A page of `T` is its own schema, `Page_T`.
impl<T: utoipa::ToSchema> utoipa::PartialSchema for Page<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        use utoipa::openapi::Ref;
        let link = |what: &str| {
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .description(Some(format!(
                    "The absolute URL of the {what} page, or null."
                )))
        };
        ObjectBuilder::new()
            .property("count", ObjectBuilder::new().schema_type(Type::Integer))
            .required("count")
            .property("next", link("next"))
            .required("next")
            .property("previous", link("previous"))
            .required("previous")
            .property(
                "results",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("results")
            .into()
    }
}
impl<T: utoipa::ToSchema> utoipa::ToSchema for Page<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Page_{}", T::name()).into()
    }
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((T::name().into(), T::schema()));
        T::schemas(schemas);
    }
}

/// The fields `PUT` (all of them) and `PATCH` (any of them) of an institution read, for the
/// OpenAPI description; the handler reads them one by one (`Fields`) to name the wrong one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstitutionFields {
    pub acronym: Option<String>,
    pub name: Option<String>,
    pub external_ic: Option<bool>,
    pub mail_domain: Option<String>,
    pub disable_vle_learner_creation: Option<bool>,
    pub disable_vle_instructor_creation: Option<bool>,
    pub disable_vle_user_creation: Option<bool>,
    pub allow_learner_report: Option<bool>,
    pub allow_learner_audit: Option<bool>,
    pub allow_valid_audit: Option<bool>,
}

/// The fields of a VLE registration that `POST`, `PUT` (all) and `PATCH` (any) read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VleFields {
    #[serde(rename = "type")]
    pub kind: Option<i64>,
    pub lti: Option<Map<String, Value>>,
    pub name: Option<String>,
    pub url: Option<String>,
}

pub const VLE_TYPES: &[(i64, &str)] = &[
    (0, "Other"),
    (1, "Moodle"),
    (2, "Brightspace"),
    (3, "Canvas"),
    (4, "Sakai"),
    (5, "Blackboard"),
];

/// A JSON object body, field by field.
pub struct Fields {
    map: Map<String, Value>,
    /// PUT: every writable field must be present.
    require_all: bool,
}

impl Fields {
    pub fn parse(body: &[u8], require_all: bool) -> ApiResult<Self> {
        let value: Value = super::parse_json(body)?;
        match value {
            Value::Object(map) => Ok(Self { map, require_all }),
            _ => Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            )),
        }
    }

    fn get(&self, field: &str) -> ApiResult<Option<&Value>> {
        match self.map.get(field) {
            None if self.require_all => Err(ApiError::bad_request(format!(
                "{field}: this field is required."
            ))),
            other => Ok(other),
        }
    }

    /// A string that may not be null.
    pub fn string(&self, field: &str) -> ApiResult<Option<String>> {
        match self.get(field)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Null) => Err(ApiError::bad_request(format!("{field}: may not be null."))),
            Some(_) => Err(ApiError::bad_request(format!("{field}: must be a string."))),
        }
    }

    /// A string that may be null: `Some(None)` sets null.
    pub fn nullable_string(&self, field: &str) -> ApiResult<Option<Option<String>>> {
        match self.get(field)? {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(ApiError::bad_request(format!(
                "{field}: must be a string or null."
            ))),
        }
    }

    pub fn boolean(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.get(field)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::bad_request(format!(
                "{field}: must be true or false."
            ))),
        }
    }

    pub fn integer(&self, field: &str) -> ApiResult<Option<i64>> {
        match self.get(field)? {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("{field}: must be an integer."))),
        }
    }

    pub fn object(&self, field: &str) -> ApiResult<Option<Map<String, Value>>> {
        match self.get(field)? {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(ApiError::bad_request(format!(
                "{field}: must be a JSON object."
            ))),
        }
    }
}

/// Whether `acronym` is one: 1 to 32 letters, digits, '-' or '_' (the operator API and the
/// command line word the refusal each their own way).
pub fn is_acronym(acronym: &str) -> bool {
    !acronym.is_empty()
        && acronym.len() <= 32
        && acronym
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// An institution's `acronym` as sent: 400 unless it is one.
pub fn acronym(acronym: &str) -> ApiResult<()> {
    if is_acronym(acronym) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "acronym: 1 to 32 letters, digits, '-' or '_'.",
        ))
    }
}

/// An institution's `mail_domain` as sent, lowercased and without a leading '@'; 400 unless it
/// is a domain name.
pub fn mail_domain(domain: &str) -> ApiResult<String> {
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

/// A VLE's `type` as sent: 400 unless one of [`VLE_TYPES`].
pub fn vle_type(kind: i64) -> ApiResult<()> {
    if VLE_TYPES.iter().any(|(n, _)| *n == kind) {
        return Ok(());
    }
    let known: Vec<String> = VLE_TYPES
        .iter()
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    Err(ApiError::bad_request(format!(
        "type: {kind} is not one of {}.",
        known.join(", ")
    )))
}

/// A VLE's `url` as sent: 400 unless an http or https URL with a host.
pub fn vle_url(u: &str) -> ApiResult<()> {
    let parsed = url::Url::parse(u)
        .map_err(|_| ApiError::bad_request(format!("url: {u:?} is not a URL.")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(format!(
            "url: {u:?} must be an http or https URL."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_what_is_wrong() {
        let f = Fields::parse(
            br#"{"name": 5, "flag": "yes", "n": 1.5, "obj": [], "nul": null}"#,
            false,
        )
        .expect("object");
        assert!(f
            .string("name")
            .expect_err("type")
            .to_string()
            .starts_with("name:"));
        assert!(f
            .boolean("flag")
            .expect_err("type")
            .to_string()
            .starts_with("flag:"));
        assert!(f.integer("n").is_err());
        assert!(f.object("obj").is_err());
        assert!(f.string("nul").is_err());
        assert_eq!(f.nullable_string("nul").expect("null"), Some(None));
        assert_eq!(f.string("absent").expect("optional"), None);
        let all = Fields::parse(b"{}", true).expect("object");
        assert!(all
            .string("name")
            .expect_err("required")
            .to_string()
            .contains("required"));
        assert!(Fields::parse(b"[1]", false).is_err());
    }
}
