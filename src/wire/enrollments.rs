//! Enrollment shapes: CreateEnrollmentData, EnrollmentData, OrgUnitUser, MyOrgUnitInfo.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::roles::{lis_roles, RoleInfo};
use super::users::profile_identifier;
use super::utc;
use crate::db::rows::{org_unit_type, Enrollment, OrgUnit, Role, User};

#[derive(Debug, Deserialize)]
pub struct CreateEnrollmentData {
    #[serde(rename = "OrgUnitId")]
    pub org_unit_id: i64,
    #[serde(rename = "UserId")]
    pub user_id: i64,
    #[serde(rename = "RoleId")]
    pub role_id: i64,
}

#[derive(Debug, Serialize)]
pub struct EnrollmentData {
    #[serde(rename = "OrgUnitId")]
    pub org_unit_id: i64,
    #[serde(rename = "UserId")]
    pub user_id: i64,
    #[serde(rename = "RoleId")]
    pub role_id: i64,
    #[serde(rename = "IsCascading")]
    pub is_cascading: bool,
}

impl From<&Enrollment> for EnrollmentData {
    fn from(e: &Enrollment) -> Self {
        Self {
            org_unit_id: e.org_unit_id,
            user_id: e.user_id,
            role_id: e.role_id,
            is_cascading: e.is_cascading,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrgUnitUser {
    #[serde(rename = "User")]
    pub user: UserInfo,
    #[serde(rename = "Role")]
    pub role: RoleInfo,
}

/// A classlist entry: the enrolled user and their role in the org unit.
impl From<&(User, Role)> for OrgUnitUser {
    fn from((user, role): &(User, Role)) -> Self {
        Self {
            user: UserInfo::from(user),
            role: RoleInfo::from(role),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UserInfo {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
    #[serde(rename = "EmailAddress")]
    pub email_address: Option<String>,
    #[serde(rename = "OrgDefinedId")]
    pub org_defined_id: Option<String>,
    #[serde(rename = "ProfileBadgeUrl")]
    pub profile_badge_url: Option<String>,
    #[serde(rename = "ProfileIdentifier")]
    pub profile_identifier: String,
    /// The login name (UserData's `UserName`): today's docs end the block with it, and bscli
    /// lower-cases it, so it must be a string. Sent at every version.
    #[serde(rename = "UserName")]
    pub user_name: String,
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        Self {
            identifier: u.id.to_string(),
            display_name: u.display_name(),
            email_address: u.external_email.clone(),
            org_defined_id: u.org_defined_id.clone(),
            profile_badge_url: None,
            profile_identifier: profile_identifier(u),
            user_name: u.user_name.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MyOrgUnitInfo {
    #[serde(rename = "OrgUnit")]
    pub org_unit: OrgUnitInfo,
    #[serde(rename = "Access")]
    pub access: Access,
    #[serde(rename = "PinDate")]
    pub pin_date: Option<String>,
}

impl MyOrgUnitInfo {
    /// One of the caller's own enrollments: the org unit and their role there. `CanAccess`
    /// holds while the org unit is active and within its dates, as of now. `HomeUrl` is
    /// absolute (on `origin`, the scheme and host the request came to), and null when the
    /// caller cannot access the org unit, as on a live tenant.
    pub fn new((u, r): &(OrgUnit, Role), origin: &str) -> Self {
        let (code, name) = org_unit_type::describe(u.type_id);
        let now = Utc::now().naive_utc();
        let within_dates =
            u.start_date.is_none_or(|s| s <= now) && u.end_date.is_none_or(|e| e >= now);
        let can_access = u.is_active && within_dates;
        MyOrgUnitInfo {
            org_unit: OrgUnitInfo {
                id: u.id,
                kind: OrgUnitTypeInfo {
                    id: u.type_id,
                    code: code.to_string(),
                    name: name.to_string(),
                },
                name: u.name.clone(),
                code: u.code.clone(),
                home_url: can_access.then(|| format!("{origin}/d2l/home/{}", u.id)),
                image_url: None,
            },
            access: Access {
                is_active: u.is_active,
                start_date: u.start_date.map(utc),
                end_date: u.end_date.map(utc),
                can_access,
                classlist_role_name: Some(r.name.clone()),
                lis_roles: lis_roles(r),
                last_accessed: None,
            },
            pin_date: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrgUnitInfo {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "Type")]
    pub kind: OrgUnitTypeInfo,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "HomeUrl")]
    pub home_url: Option<String>,
    #[serde(rename = "ImageUrl")]
    pub image_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OrgUnitTypeInfo {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Name")]
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Access {
    #[serde(rename = "IsActive")]
    pub is_active: bool,
    #[serde(rename = "StartDate")]
    pub start_date: Option<String>,
    #[serde(rename = "EndDate")]
    pub end_date: Option<String>,
    #[serde(rename = "CanAccess")]
    pub can_access: bool,
    #[serde(rename = "ClasslistRoleName")]
    pub classlist_role_name: Option<String>,
    #[serde(rename = "LISRoles")]
    pub lis_roles: Vec<String>,
    #[serde(rename = "LastAccessed")]
    pub last_accessed: Option<String>,
}
