//! Our extension for self-enrollment (docs/api.md, "Self-enrollment"): a category as one
//! learner sees it, with the places left in each group. Brightspace's own API has no such
//! shape; the names follow its GroupCategoryData and GroupData. Members are counted, never
//! listed: a learner choosing a group is not shown who else is in it.

use serde::Serialize;

use super::groups::GroupEnrollmentStyle;
use super::{RichText, UtcDateTime};
use crate::db::rows::{ChoosableGroup, SelfEnrollmentChoice};
use crate::domain::self_enrollment::Window;

/// SelfEnrollmentCategory.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SelfEnrollmentCategory {
    #[serde(rename = "GroupCategoryId")]
    pub group_category_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: GroupEnrollmentStyle,
    #[serde(rename = "MaxUsersPerGroup")]
    pub max_users_per_group: Option<i64>,
    #[serde(rename = "SelfEnrollmentStartDate")]
    pub self_enrollment_start_date: Option<UtcDateTime>,
    #[serde(rename = "SelfEnrollmentExpiryDate")]
    pub self_enrollment_expiry_date: Option<UtcDateTime>,
    /// Whether learners may join or leave now (inside the window).
    #[serde(rename = "IsOpen")]
    pub is_open: bool,
    /// The caller's group in this category, or null.
    #[serde(rename = "MyGroupId")]
    pub my_group_id: Option<i64>,
    #[serde(rename = "Groups")]
    pub groups: Vec<SelfEnrollmentGroup>,
}

/// SelfEnrollmentGroup.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SelfEnrollmentGroup {
    #[serde(rename = "GroupId")]
    pub group_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    /// The group's description when the category shows descriptions to enrollees, else empty.
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "MemberCount")]
    pub member_count: usize,
    /// Places left under the cap; null when the category has none.
    #[serde(rename = "FreePlaces")]
    pub free_places: Option<i64>,
    #[serde(rename = "IsMember")]
    pub is_member: bool,
}

impl From<&SelfEnrollmentChoice> for SelfEnrollmentCategory {
    fn from(choice: &SelfEnrollmentChoice) -> Self {
        let c = &choice.category;
        let group = |g: &ChoosableGroup| SelfEnrollmentGroup {
            group_id: g.unit.id,
            name: g.unit.name.clone(),
            code: g.unit.code.clone().unwrap_or_default(),
            description: if c.descriptions_visible {
                RichText::from_stored(
                    g.unit.description_text.as_deref(),
                    g.unit.description_html.as_deref(),
                )
            } else {
                RichText::from_stored(None, None)
            },
            member_count: g.members,
            free_places: g.free_places,
            is_member: choice.my_group == Some(g.unit.id),
        };
        SelfEnrollmentCategory {
            group_category_id: c.id,
            name: c.name.clone(),
            description: RichText::from_stored(
                Some(&c.description_text),
                Some(&c.description_html),
            ),
            enrollment_style: choice.style,
            max_users_per_group: choice.cap,
            self_enrollment_start_date: c.self_enrollment_start_date.map(UtcDateTime),
            self_enrollment_expiry_date: c.self_enrollment_expiry_date.map(UtcDateTime),
            is_open: choice.window == Window::Open,
            my_group_id: choice.my_group,
            groups: choice.groups.iter().map(group).collect(),
        }
    }
}
