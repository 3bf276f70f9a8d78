//! LE classlist shapes: `Enrollment.ClasslistUser` (13 keys, `Username` with a lower-case n)
//! and the ObjectListPage of `/classlist/paged/`.

use serde::Serialize;

use super::users::profile_identifier;
use super::utc;
use crate::db::rows::{Role, User};

/// `Enrollment.ClasslistUser`: all 13 keys at every LE version (the two newest are tied to LMS
/// releases, not to a contract version).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClasslistUser {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "ProfileIdentifier")]
    pub profile_identifier: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
    #[serde(rename = "Username")]
    pub username: Option<String>,
    #[serde(rename = "OrgDefinedId")]
    pub org_defined_id: Option<String>,
    #[serde(rename = "Email")]
    pub email: Option<String>,
    #[serde(rename = "FirstName")]
    pub first_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: Option<String>,
    #[serde(rename = "RoleId")]
    pub role_id: Option<i64>,
    #[serde(rename = "LastAccessed")]
    pub last_accessed: Option<String>,
    #[serde(rename = "IsOnline")]
    pub is_online: bool,
    #[serde(rename = "ClasslistRoleDisplayName")]
    pub classlist_role_display_name: String,
    #[serde(rename = "Pronouns")]
    pub pronouns: Option<String>,
}

/// A classlist entry: the user, their role in the org unit, and whether the reader may see
/// their user name, org-defined id and e-mail address (null otherwise).
impl From<&(User, Role, bool)> for ClasslistUser {
    fn from((user, role, shown): &(User, Role, bool)) -> Self {
        let private = |value: Option<String>| value.filter(|_| *shown);
        Self {
            identifier: user.id.to_string(),
            profile_identifier: profile_identifier(user),
            display_name: user.display_name(),
            username: private(Some(user.user_name.clone())),
            org_defined_id: private(user.org_defined_id.clone()),
            email: private(user.external_email.clone()),
            first_name: Some(user.first_name.clone()),
            last_name: Some(user.last_name.clone()),
            role_id: Some(role.id),
            last_accessed: user.last_accessed.map(utc),
            is_online: false,
            classlist_role_display_name: role.name.clone(),
            pronouns: user.pronouns.clone(),
        }
    }
}

/// Brightspace's ObjectListPage: `Next` is the complete URL of the next page, null on the last.
#[derive(Debug, Serialize)]
pub struct ObjectListPage<T> {
    #[serde(rename = "Objects")]
    pub objects: Vec<T>,
    #[serde(rename = "Next")]
    pub next: Option<String>,
}

/// A page of `T` is its own schema, `ObjectListPage_T`.
impl<T: utoipa::ToSchema> utoipa::PartialSchema for ObjectListPage<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        use utoipa::openapi::Ref;
        ObjectBuilder::new()
            .property(
                "Objects",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("Objects")
            .property(
                "Next",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some("The absolute URL of the next page, or null.")),
            )
            .required("Next")
            .into()
    }
}
impl<T: utoipa::ToSchema> utoipa::ToSchema for ObjectListPage<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("ObjectListPage_{}", T::name()).into()
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

/// Builds a page from up to `page_size + 1` rows in user id order (the extra row only says
/// there is more): `Next` is `base` (the absolute URL of this route, without a query) with the
/// caller's `filters` and the last user's id as `bookmark`.
pub fn object_list_page(
    mut rows: Vec<(User, Role, bool)>,
    page_size: usize,
    base: &str,
    filters: &[(&str, String)],
) -> ObjectListPage<ClasslistUser> {
    let has_more = rows.len() > page_size;
    rows.truncate(page_size);
    let next = match rows.last() {
        Some((last, _, _)) if has_more => {
            let mut query: Vec<(&str, String)> = filters.to_vec();
            query.push(("bookmark", last.id.to_string()));
            let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
            Some(format!("{base}?{encoded}"))
        }
        _ => None,
    };
    ObjectListPage {
        objects: rows.iter().map(ClasslistUser::from).collect(),
        next,
    }
}
