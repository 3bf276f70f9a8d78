//! Enrollment shapes: CreateEnrollmentData, EnrollmentData, OrgUnitUser, MyOrgUnitInfo.

use serde::{Deserialize, Serialize};

use super::roles::RoleInfo;

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

#[derive(Debug, Serialize)]
pub struct OrgUnitUser {
    #[serde(rename = "User")]
    pub user: UserInfo,
    #[serde(rename = "Role")]
    pub role: RoleInfo,
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
