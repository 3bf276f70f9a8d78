//! Enrollment shapes: CreateEnrollmentData, EnrollmentData, OrgUnitUser, MyOrgUnitInfo.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::roles::{lis_roles, RoleInfo};
use super::users::profile_identifier;
use super::utc;
use crate::db::rows::{org_unit_type, Enrollment, OrgUnit, Role, User};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateEnrollmentData {
    #[serde(rename = "OrgUnitId")]
    pub org_unit_id: i64,
    #[serde(rename = "UserId")]
    pub user_id: i64,
    #[serde(rename = "RoleId")]
    pub role_id: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyOrgUnitInfo {
    #[serde(rename = "OrgUnit")]
    pub org_unit: OrgUnitInfo,
    #[serde(rename = "Access")]
    pub access: Access,
    #[serde(rename = "PinDate")]
    pub pin_date: Option<String>,
}

impl MyOrgUnitInfo {
    /// One of the caller's own enrollments: the org unit and their role there.
    pub fn new((u, r): &(OrgUnit, Role), origin: &str) -> Self {
        let org_unit = OrgUnitInfo::new(u, origin);
        MyOrgUnitInfo {
            access: Access {
                is_active: u.is_active,
                start_date: u.start_date.map(utc),
                end_date: u.end_date.map(utc),
                can_access: can_access(u),
                classlist_role_name: Some(r.name.clone()),
                lis_roles: lis_roles(r),
                last_accessed: None,
            },
            org_unit,
            pin_date: None,
        }
    }
}

/// Whether the org unit is open to its members now: active and within its dates.
fn can_access(u: &OrgUnit) -> bool {
    let now = Utc::now().naive_utc();
    let within_dates = u.start_date.is_none_or(|s| s <= now) && u.end_date.is_none_or(|e| e >= now);
    u.is_active && within_dates
}

impl OrgUnitInfo {
    /// `HomeUrl` is absolute (on `origin`, the scheme and host the request came to), and null
    /// when the org unit cannot be accessed now, as on a live tenant, and for sections and
    /// groups, which have no home page of their own.
    pub fn new(u: &OrgUnit, origin: &str) -> Self {
        let (code, name) = org_unit_type::describe(u.type_id);
        let has_home = can_access(u) && !org_unit_type::is_course_part(u.type_id);
        OrgUnitInfo {
            id: u.id,
            kind: OrgUnitTypeInfo {
                id: u.type_id,
                code: code.to_string(),
                name: name.to_string(),
            },
            name: u.name.clone(),
            code: u.code.clone(),
            home_url: has_home.then(|| format!("{origin}/d2l/home/{}", u.id)),
            image_url: None,
        }
    }
}

/// `Enrollment.UserOrgUnit`: one of a user's enrollments, as `GET /enrollments/users/(userId)/
/// orgUnits/` lists them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOrgUnit {
    #[serde(rename = "OrgUnit")]
    pub org_unit: OrgUnitInfo,
    #[serde(rename = "Role")]
    pub role: RoleInfo,
    #[serde(rename = "IsCascading")]
    pub is_cascading: bool,
    /// Null when no user made the enrollment (AutoEnroll, a job), as D2L documents.
    #[serde(rename = "EnrolledByUserId")]
    pub enrolled_by_user_id: Option<i64>,
    #[serde(rename = "EnrolledByUserDate")]
    pub enrolled_by_user_date: Option<String>,
}

impl UserOrgUnit {
    pub fn new((e, u, r): &(Enrollment, OrgUnit, Role), origin: &str) -> Self {
        Self {
            org_unit: OrgUnitInfo::new(u, origin),
            role: RoleInfo::from(r),
            is_cascading: e.is_cascading,
            enrolled_by_user_id: e.enrolled_by_user_id,
            enrolled_by_user_date: e.enrolled_by_user_id.map(|_| utc(e.created_at)),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgUnitTypeInfo {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Name")]
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
