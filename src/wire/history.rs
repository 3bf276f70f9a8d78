//! Our extension: the membership history of a course (docs/api.md, "Membership history"),
//! as a PagedResultSet of MembershipChange, newest first.

use serde::Serialize;

use super::UtcDateTime;
use crate::db::rows::{org_unit_type, MembershipChangeView};

/// MembershipChange.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MembershipChangeData {
    #[serde(rename = "ChangeId")]
    pub change_id: i64,
    #[serde(rename = "OrgUnitId")]
    pub org_unit_id: i64,
    /// The section's or group's name now; null once it has been deleted.
    #[serde(rename = "OrgUnitName")]
    pub org_unit_name: Option<String>,
    /// "Section" or "Group"; null once it has been deleted.
    #[serde(rename = "OrgUnitType")]
    pub org_unit_type: Option<&'static str>,
    #[serde(rename = "UserId")]
    pub user_id: i64,
    /// "Added" or "Removed".
    #[serde(rename = "Change")]
    pub change: String,
    /// The user who made the change; null for AutoEnroll and jobs.
    #[serde(rename = "ChangedByUserId")]
    pub changed_by_user_id: Option<i64>,
    /// "Api", "Console", "AutoEnroll" or "Job".
    #[serde(rename = "Via")]
    pub via: String,
    /// The OAuth client (or ID-key app) of an API call.
    #[serde(rename = "ClientId")]
    pub client_id: Option<String>,
    #[serde(rename = "ChangedAt")]
    pub changed_at: UtcDateTime,
}

impl From<MembershipChangeView> for MembershipChangeData {
    fn from(view: MembershipChangeView) -> Self {
        let e = view.entry;
        let (name, kind) = match view.unit {
            Some((name, org_unit_type::SECTION)) => (Some(name), Some("Section")),
            Some((name, org_unit_type::GROUP)) => (Some(name), Some("Group")),
            Some((name, _)) => (Some(name), None),
            None => (None, None),
        };
        MembershipChangeData {
            change_id: e.id,
            org_unit_id: e.org_unit_id,
            org_unit_name: name,
            org_unit_type: kind,
            user_id: e.user_id,
            change: e.change,
            changed_by_user_id: e.by_user_id,
            via: e.via,
            client_id: e.client_id,
            changed_at: UtcDateTime(e.changed_at),
        }
    }
}
