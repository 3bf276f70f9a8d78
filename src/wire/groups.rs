//! Group shapes: GroupCategoryData (Create, Fetch, Update), GroupData (Create/Update, Fetch),
//! GroupsJobData and GroupCategoryJobStatus.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{RichText, RichTextInput, UtcDateTime};
use crate::db::rows::{GroupCategory, GroupCategoryWithGroups};
use crate::domain::category_rules::{self, CategoryChanges, SettingsChanges};
use crate::domain::group_plan::{self, CategorySpec, Quantities, MAX_NAME_CHARS};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::versions::ApiVersion;

/// GRPENROLL_T on the wire: the domain's one list of styles, answered by number (or by name,
/// `wire::answer_enums_by_name`) and accepted as its number, its name (case-insensitively, and
/// the old misspelling `NumerOfGroupsNoEnrollment`) or its number as a string.
pub use crate::domain::group_plan::Style as GroupEnrollmentStyle;

impl Serialize for GroupEnrollmentStyle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        super::serialize_enum(s, self.number(), &self.name())
    }
}

impl utoipa::PartialSchema for GroupEnrollmentStyle {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let names: Vec<(i64, String)> = Self::ALL.iter().map(|s| (s.number(), s.name())).collect();
        let values: Vec<(i64, &str)> = names.iter().map(|(n, v)| (*n, v.as_str())).collect();
        super::enum_schema("GRPENROLL_T", &values)
    }
}
impl utoipa::ToSchema for GroupEnrollmentStyle {
    fn name() -> std::borrow::Cow<'static, str> {
        "GroupEnrollmentStyle".into()
    }
}

impl<'de> Deserialize<'de> for GroupEnrollmentStyle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let sent = super::NumberOrName::deserialize(d)?;
        let named = |text: &str| {
            if text.eq_ignore_ascii_case("NumerOfGroupsNoEnrollment") {
                return Some(Self::NumberOfGroupsNoEnrollment);
            }
            Self::from_name(text)
        };
        sent.decode(Self::from_number, named).ok_or_else(|| {
            let expected: String = Self::ALL
                .iter()
                .map(|s| format!("{} ({}) ", s.name(), s.number()))
                .collect();
            serde::de::Error::custom(format!("{} is not one of {expected}", sent.sent()))
        })
    }
}

/// GroupCategoryData, Create form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    #[serde(rename = "SelfEnrollmentStartDate", default)]
    pub self_enrollment_start_date: Option<UtcDateTime>,
    #[serde(rename = "SelfEnrollmentExpiryDate", default)]
    pub self_enrollment_expiry_date: Option<UtcDateTime>,
    #[serde(rename = "GroupPrefix", default)]
    pub group_prefix: Option<String>,
    #[serde(rename = "RestrictedByOrgUnitId", default)]
    pub restricted_by_org_unit_id: Option<i64>,
    #[serde(rename = "DescriptionsVisibleToEnrolees", default)]
    pub descriptions_visible_to_enrolees: bool,
}

impl GroupCategoryCreate {
    /// Checks the form's own rules (name, the numbers its style needs, expiry, prefix), before
    /// any database work; answers the category it asks for, its description rendered.
    pub fn validated(&self) -> ApiResult<CategorySpec> {
        validate::name("Name", &self.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?;
        let style = self.enrollment_style;
        let quantities = Quantities {
            enrollment_quantity: self.enrollment_quantity,
            number_of_groups: self.number_of_groups,
            max_users_per_group: self.max_users_per_group,
        };
        group_plan::validate(style, &quantities).map_err(ApiError::BadRequest)?;
        category_rules::check_expiry(
            style,
            self.allocate_after_expiry,
            self.self_enrollment_expiry_date.is_some(),
        )
        .map_err(ApiError::BadRequest)?;
        category_rules::check_window(
            self.self_enrollment_start_date.map(|d| d.0),
            self.self_enrollment_expiry_date.map(|d| d.0),
        )
        .map_err(ApiError::BadRequest)?;
        category_rules::check_prefix(self.group_prefix.as_deref()).map_err(ApiError::BadRequest)?;
        Ok(CategorySpec {
            name: self.name.clone(),
            description: RichTextInput::render_optional(self.description.as_ref()),
            style,
            quantities,
            auto_enroll: self.auto_enroll,
            randomize_enrollments: self.randomize_enrollments,
            allocate_after_expiry: self.allocate_after_expiry,
            self_enrollment_start_date: self.self_enrollment_start_date.map(|d| d.0),
            self_enrollment_expiry_date: self.self_enrollment_expiry_date.map(|d| d.0),
            group_prefix: self.group_prefix.clone(),
            restricted_by_org_unit_id: self.restricted_by_org_unit_id,
            descriptions_visible: self.descriptions_visible_to_enrolees,
        })
    }
}

/// GroupCategoryData, Update form: the 2025 five keys, and from LP 1.53 five more, each
/// optional (absent keeps the stored value, null clears it; `AllocateAfterExpiry` null keeps).
/// Below 1.53 the newer keys are ignored, as unknown keys are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    #[serde(
        rename = "MaxUsersPerGroup",
        default,
        deserialize_with = "super::present"
    )]
    pub max_users_per_group: Option<Option<i64>>,
    #[serde(rename = "AllocateAfterExpiry", default)]
    pub allocate_after_expiry: Option<bool>,
    #[serde(
        rename = "SelfEnrollmentStartDate",
        default,
        deserialize_with = "super::present"
    )]
    pub self_enrollment_start_date: Option<Option<UtcDateTime>>,
    #[serde(
        rename = "SelfEnrollmentExpiryDate",
        default,
        deserialize_with = "super::present"
    )]
    pub self_enrollment_expiry_date: Option<Option<UtcDateTime>>,
    #[serde(rename = "GroupPrefix", default, deserialize_with = "super::present")]
    pub group_prefix: Option<Option<String>>,
}

impl GroupCategoryUpdate {
    /// Checks the name; answers the changes as LP `version` reads the form, the description
    /// rendered. The settings are checked against the stored category by the unit of work.
    pub fn validated(&self, version: ApiVersion) -> ApiResult<CategoryChanges> {
        validate::name("Name", &self.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?;
        let date = |d: Option<Option<UtcDateTime>>| d.map(|d| d.map(|d| d.0));
        let settings = if version >= CATEGORY_FIELDS_1_53 {
            SettingsChanges {
                max_users_per_group: self.max_users_per_group,
                allocate_after_expiry: self.allocate_after_expiry,
                start: date(self.self_enrollment_start_date),
                expiry: date(self.self_enrollment_expiry_date),
                group_prefix: self.group_prefix.clone(),
            }
        } else {
            SettingsChanges::default()
        };
        Ok(CategoryChanges {
            name: self.name.clone(),
            description: RichTextInput::render_optional(self.description.as_ref()),
            auto_enroll: self.auto_enroll,
            randomize_enrollments: self.randomize_enrollments,
            descriptions_visible: self.descriptions_visible_to_enrolees,
            settings,
        })
    }
}

/// GroupCategoryData, Fetch form: all 13 keys, always present, and 2 more from LP 1.53.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    /// The keys "Added with LP API v1.53": absent below it.
    #[serde(flatten)]
    pub since_1_53: Option<FetchSince153>,
}

/// GroupCategoryData keys of LP 1.53 and later.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FetchSince153 {
    #[serde(rename = "SelfEnrollmentStartDate")]
    pub self_enrollment_start_date: Option<UtcDateTime>,
    #[serde(rename = "GroupPrefix")]
    pub group_prefix: Option<String>,
}

/// The LP version that added `SelfEnrollmentStartDate` and `GroupPrefix` to GroupCategoryData.
pub const CATEGORY_FIELDS_1_53: ApiVersion = ApiVersion::new(1, 53);

impl GroupCategoryFetch {
    /// The Fetch form as LP `version` has it.
    pub fn at(view: &GroupCategoryWithGroups, version: ApiVersion) -> Self {
        let c = &view.category;
        let since_1_53 = (version >= CATEGORY_FIELDS_1_53).then(|| FetchSince153 {
            self_enrollment_start_date: c.self_enrollment_start_date.map(UtcDateTime),
            group_prefix: c.group_prefix.clone(),
        });
        GroupCategoryFetch {
            group_category_id: c.id,
            name: c.name.clone(),
            description: RichText::from_stored(
                Some(&c.description_text),
                Some(&c.description_html),
            ),
            enrollment_style: view.style,
            enrollment_quantity: c.enrollment_quantity,
            // Only the capped styles have a cap to tell.
            max_users_per_group: c.max_users_per_group.filter(|_| view.style.has_cap()),
            auto_enroll: c.auto_enroll,
            randomize_enrollments: c.randomize_enrollments,
            groups: view.groups.clone(),
            allocate_after_expiry: c.allocate_after_expiry,
            self_enrollment_expiry_date: c.self_enrollment_expiry_date.map(UtcDateTime),
            restricted_by_org_unit_id: c.restricted_by_org_unit_id,
            descriptions_visible_to_enrolees: c.descriptions_visible,
            since_1_53,
        }
    }
}

/// GroupData, Create and Update forms.
pub type GroupInput = super::ChildOrgUnitInput;

child_fetch!(
    /// GroupData, Fetch form.
    GroupFetch { group_id: "GroupId" }
);

/// GroupsJobData: what `POST .../groupcategories/` answers with its 202.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

/// The 202 of a category just recorded: its creation job is queued.
impl From<&GroupCategory> for GroupsJobData {
    fn from(c: &GroupCategory) -> Self {
        GroupsJobData {
            org_unit_id: c.course_id,
            category_id: c.id,
            submit_date: UtcDateTime(c.submitted_at),
            status: c.status,
        }
    }
}

/// GroupCategoryJobStatus.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupCategoryJobStatus {
    #[serde(rename = "Status")]
    pub status: i64,
}
