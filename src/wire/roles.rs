//! Role shapes.

use serde::Serialize;

use crate::db::rows::Role;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleData {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
    #[serde(rename = "Code")]
    pub code: String,
}

impl From<&Role> for RoleData {
    fn from(r: &Role) -> Self {
        Self {
            identifier: r.id.to_string(),
            display_name: r.name.clone(),
            code: r.code.clone(),
        }
    }
}

/// `{"Id", "Code", "Name"}` inside OrgUnitUser.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleInfo {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Name")]
    pub name: String,
}

impl From<&Role> for RoleInfo {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
        }
    }
}

/// The LTI role URNs Brightspace reports for a role in `Access.LISRoles`. A learner's are the
/// two institution-role URNs a live tenant (UBC) sends; the others' are unconfirmed. The
/// learner role is the one that can be auto-enrolled, whatever the tenant calls it.
pub fn lis_roles(role: &Role) -> Vec<String> {
    let urns: &[&str] = match role.name.as_str() {
        _ if role.can_be_auto_enrolled => &[
            "urn:lti:instrole:ims/lis/Student",
            "urn:lti:instrole:ims/lis/Learner",
        ],
        "Administrator" => &["urn:lti:sysrole:ims/lis/Administrator"],
        "Instructor" => &["urn:lti:role:ims/lis/Instructor"],
        "Teaching Assistant" => &["urn:lti:role:ims/lis/TeachingAssistant"],
        _ => &[],
    };
    urns.iter().map(|urn| urn.to_string()).collect()
}
