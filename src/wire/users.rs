//! User shapes: WhoAmIUser, CreateUserData and UserData.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{PartialSchema, ToSchema};

use super::utc;
use crate::db::rows::{NewUser, User};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoAmIUser {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "FirstName")]
    pub first_name: String,
    #[serde(rename = "LastName")]
    pub last_name: String,
    #[serde(rename = "UniqueName")]
    pub unique_name: String,
    #[serde(rename = "ProfileIdentifier")]
    pub profile_identifier: String,
    #[serde(rename = "Pronouns")]
    pub pronouns: Option<String>,
}

impl From<&User> for WhoAmIUser {
    fn from(u: &User) -> Self {
        Self {
            identifier: u.id.to_string(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            unique_name: u.user_name.clone(),
            profile_identifier: profile_identifier(u),
            pronouns: u.pronouns.clone(),
        }
    }
}

/// Brightspace's profile identifier is opaque; ours is stable and derived from the user id.
pub fn profile_identifier(u: &User) -> String {
    format!("P{}", u.id)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUserData {
    #[serde(rename = "OrgDefinedId", default)]
    pub org_defined_id: Option<String>,
    #[serde(rename = "FirstName")]
    pub first_name: String,
    #[serde(rename = "MiddleName", default)]
    pub middle_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: String,
    #[serde(rename = "ExternalEmail", default)]
    pub external_email: Option<String>,
    #[serde(rename = "UserName")]
    pub user_name: String,
    #[serde(rename = "RoleId")]
    pub role_id: i64,
    #[serde(rename = "IsActive")]
    pub is_active: bool,
    #[serde(rename = "SendCreationEmail")]
    pub send_creation_email: bool,
    #[serde(rename = "Pronouns", default)]
    pub pronouns: Option<String>,
}

/// Empty optional text is no text.
fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

impl CreateUserData {
    /// Checks the form's own rules (names, no spaces in the user name, the address), before
    /// any database work; answers the user it asks for in `institution_id`, empty optional
    /// fields left unset. `RoleId` is the unit of work's to resolve.
    pub fn validated(&self, institution_id: i64) -> ApiResult<NewUser> {
        validate::name("FirstName", &self.first_name, 128).map_err(ApiError::BadRequest)?;
        validate::name("LastName", &self.last_name, 128).map_err(ApiError::BadRequest)?;
        validate::name("UserName", &self.user_name, 256).map_err(ApiError::BadRequest)?;
        if self.user_name.chars().any(char::is_whitespace) {
            return Err(ApiError::bad_request(
                "UserName: user names may not contain spaces.",
            ));
        }
        let external_email = non_empty(&self.external_email);
        if let Some(email) = external_email.as_deref() {
            validate::email("ExternalEmail", email).map_err(ApiError::BadRequest)?;
        }
        Ok(NewUser {
            institution_id,
            user_name: self.user_name.clone(),
            user_name_key: self.user_name.to_lowercase(),
            first_name: self.first_name.clone(),
            middle_name: non_empty(&self.middle_name),
            last_name: self.last_name.clone(),
            external_email,
            org_defined_id: non_empty(&self.org_defined_id),
            pronouns: non_empty(&self.pronouns),
            is_active: self.is_active,
            created_at: Utc::now().naive_utc(),
        })
    }
}

/// What `GET /users/` answers, for the OpenAPI description: one UserData (`userName`), an
/// array of them (`orgDefinedId`), or a page of every user (no filter).
pub enum UserSearch {}

impl utoipa::PartialSchema for UserSearch {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder};
        use utoipa::openapi::Ref;
        OneOfBuilder::new()
            .item(Ref::from_schema_name("UserData"))
            .item(ArrayBuilder::new().items(Ref::from_schema_name("UserData")))
            .item(Ref::from_schema_name(Page::name()))
            .into()
    }
}
impl utoipa::ToSchema for UserSearch {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((Page::name().into(), Page::schema()));
        Page::schemas(schemas);
    }
}
type Page = super::PagedResultSet<UserData>;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserActivation {
    #[serde(rename = "IsActive")]
    pub is_active: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserData {
    #[serde(rename = "OrgId")]
    pub org_id: i64,
    #[serde(rename = "UserId")]
    pub user_id: i64,
    #[serde(rename = "FirstName")]
    pub first_name: String,
    #[serde(rename = "MiddleName")]
    pub middle_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: String,
    #[serde(rename = "UserName")]
    pub user_name: String,
    #[serde(rename = "ExternalEmail")]
    pub external_email: Option<String>,
    #[serde(rename = "OrgDefinedId")]
    pub org_defined_id: Option<String>,
    #[serde(rename = "UniqueIdentifier")]
    pub unique_identifier: String,
    #[serde(rename = "Activation")]
    pub activation: UserActivation,
    #[serde(rename = "LastAccessedDate")]
    pub last_accessed_date: Option<String>,
    #[serde(rename = "Pronouns")]
    pub pronouns: Option<String>,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
}

impl UserData {
    /// `org_id` is the institution's root org unit, as Brightspace's OrgId is.
    pub fn new(u: &User, org_id: i64) -> Self {
        Self {
            org_id,
            user_id: u.id,
            first_name: u.first_name.clone(),
            middle_name: u.middle_name.clone(),
            last_name: u.last_name.clone(),
            user_name: u.user_name.clone(),
            external_email: u.external_email.clone(),
            org_defined_id: u.org_defined_id.clone(),
            unique_identifier: u.user_name.clone(),
            activation: UserActivation {
                is_active: u.is_active,
            },
            last_accessed_date: u.last_accessed.map(utc),
            pronouns: u.pronouns.clone(),
            display_name: u.display_name(),
        }
    }
}
