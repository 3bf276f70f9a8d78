//! Group shapes: GroupCategoryData (Create, Fetch, Update), GroupData (Create/Update, Fetch),
//! GroupsJobData and GroupCategoryJobStatus.

use serde::{Deserialize, Serialize};

use super::{RichText, RichTextInput, UtcDateTime};
use crate::domain::group_plan::Style;

crate::wire_enum! {
    /// GRPENROLL_T.
    GroupEnrollmentStyle {
        NumberOfGroupsNoEnrollment = 0,
        PeoplePerGroupAutoEnrollment = 1,
        NumberOfGroupsAutoEnrollment = 2,
        PeoplePerGroupSelfEnrollment = 3,
        SelfEnrollmentNumberOfGroups = 4,
        PeoplePerNumberOfGroupsSelfEnrollment = 5,
        SingleUserMemberSpecificGroup = 6,
    }
}

impl GroupEnrollmentStyle {
    pub fn style(self) -> Style {
        match self {
            Self::NumberOfGroupsNoEnrollment => Style::NumberOfGroupsNoEnrollment,
            Self::PeoplePerGroupAutoEnrollment => Style::PeoplePerGroupAutoEnrollment,
            Self::NumberOfGroupsAutoEnrollment => Style::NumberOfGroupsAutoEnrollment,
            Self::PeoplePerGroupSelfEnrollment => Style::PeoplePerGroupSelfEnrollment,
            Self::SelfEnrollmentNumberOfGroups => Style::SelfEnrollmentNumberOfGroups,
            Self::PeoplePerNumberOfGroupsSelfEnrollment => {
                Style::PeoplePerNumberOfGroupsSelfEnrollment
            }
            Self::SingleUserMemberSpecificGroup => Style::SingleUserMemberSpecificGroup,
        }
    }
}

/// GroupCategoryData, Create form.
#[derive(Debug, Deserialize)]
pub struct GroupCategoryCreate {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: GroupEnrollmentStyle,
    #[serde(rename = "EnrollmentQuantity", default)]
    pub enrollment_quantity: Option<i64>,
    #[serde(rename = "AutoEnroll", default)]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments", default)]
    pub randomize_enrollments: bool,
    #[serde(rename = "NumberOfGroups", default)]
    pub number_of_groups: Option<i64>,
    #[serde(rename = "MaxUsersPerGroup", default)]
    pub max_users_per_group: Option<i64>,
    #[serde(rename = "AllocateAfterExpiry", default)]
    pub allocate_after_expiry: bool,
    #[serde(rename = "SelfEnrollmentExpiryDate", default)]
    pub self_enrollment_expiry_date: Option<UtcDateTime>,
    #[serde(rename = "GroupPrefix", default)]
    pub group_prefix: Option<String>,
    #[serde(rename = "RestrictedByOrgUnitId", default)]
    pub restricted_by_org_unit_id: Option<i64>,
    #[serde(rename = "DescriptionsVisibleToEnrolees", default)]
    pub descriptions_visible_to_enrolees: bool,
}

/// GroupCategoryData, Update form.
#[derive(Debug, Deserialize)]
pub struct GroupCategoryUpdate {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    #[serde(rename = "AutoEnroll")]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments")]
    pub randomize_enrollments: bool,
    #[serde(rename = "DescriptionsVisibleToEnrolees", default)]
    pub descriptions_visible_to_enrolees: bool,
}

/// GroupCategoryData, Fetch form: all 13 keys, always present.
#[derive(Debug, Serialize)]
pub struct GroupCategoryFetch {
    #[serde(rename = "GroupCategoryId")]
    pub group_category_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: GroupEnrollmentStyle,
    #[serde(rename = "EnrollmentQuantity")]
    pub enrollment_quantity: Option<i64>,
    #[serde(rename = "MaxUsersPerGroup")]
    pub max_users_per_group: Option<i64>,
    #[serde(rename = "AutoEnroll")]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments")]
    pub randomize_enrollments: bool,
    #[serde(rename = "Groups")]
    pub groups: Vec<i64>,
    #[serde(rename = "AllocateAfterExpiry")]
    pub allocate_after_expiry: bool,
    #[serde(rename = "SelfEnrollmentExpiryDate")]
    pub self_enrollment_expiry_date: Option<UtcDateTime>,
    #[serde(rename = "RestrictedByOrgUnitId")]
    pub restricted_by_org_unit_id: Option<i64>,
    #[serde(rename = "DescriptionsVisibleToEnrolees")]
    pub descriptions_visible_to_enrolees: bool,
}

/// GroupData, Create and Update forms.
pub type GroupInput = super::ChildOrgUnitInput;

/// GroupData, Fetch form.
#[derive(Debug, Serialize)]
pub struct GroupFetch {
    #[serde(rename = "GroupId")]
    pub group_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "Enrollments")]
    pub enrollments: Vec<i64>,
}

/// GroupsJobData: what `POST .../groupcategories/` answers with its 202.
#[derive(Debug, Serialize)]
pub struct GroupsJobData {
    #[serde(rename = "OrgUnitId")]
    pub org_unit_id: i64,
    #[serde(rename = "CategoryId")]
    pub category_id: i64,
    #[serde(rename = "SubmitDate")]
    pub submit_date: UtcDateTime,
    #[serde(rename = "Status")]
    pub status: i64,
}

/// GroupCategoryJobStatus.
#[derive(Debug, Serialize)]
pub struct GroupCategoryJobStatus {
    #[serde(rename = "Status")]
    pub status: i64,
}
