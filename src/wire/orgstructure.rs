//! Org structure shapes: OrgUnit (and OrgUnitProperties, the same five keys) and
//! OrgUnitType, and the query rules of the orgstructure routes.

use serde::Serialize;

use super::enrollments::OrgUnitTypeInfo;
use super::parse_bookmark;
use crate::db::rows::{org_unit_type, OrgUnit};
use crate::error::ApiResult;

/// `OrgUnit.OrgUnit`, and `OrgUnit.OrgUnitProperties` (the same keys).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgUnitData {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    /// The stored path, or `""` when none was given (as CourseOffering answers it).
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Type")]
    pub kind: OrgUnitTypeInfo,
}

impl From<&OrgUnit> for OrgUnitData {
    fn from(u: &OrgUnit) -> Self {
        let (code, name) = org_unit_type::describe(u.type_id);
        Self {
            identifier: u.id.to_string(),
            name: u.name.clone(),
            code: u.code.clone(),
            path: u.path.clone().unwrap_or_default(),
            kind: OrgUnitTypeInfo {
                id: u.type_id,
                code: code.to_string(),
                name: name.to_string(),
            },
        }
    }
}

/// `OrgUnit.OrgUnitType`, as `/outypes/` answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgUnitType {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "Code")]
    pub code: &'static str,
    #[serde(rename = "Name")]
    pub name: &'static str,
    #[serde(rename = "Description")]
    pub description: &'static str,
    #[serde(rename = "SortOrder")]
    pub sort_order: i64,
    #[serde(rename = "Permissions")]
    pub permissions: OrgUnitTypePermissions,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrgUnitTypePermissions {
    #[serde(rename = "CanEdit")]
    pub can_edit: bool,
    #[serde(rename = "CanDelete")]
    pub can_delete: bool,
}

/// Every type we number is built in: no description, neither editable nor deletable.
impl From<&org_unit_type::Kind> for OrgUnitType {
    fn from(k: &org_unit_type::Kind) -> Self {
        Self {
            id: k.id,
            code: k.code,
            name: k.name,
            description: "",
            sort_order: k.sort_order,
            permissions: OrgUnitTypePermissions {
                can_edit: false,
                can_delete: false,
            },
        }
    }
}

/// A bookmark as D2L's own tools send it: the literal `null` (any case) means none, as an
/// empty or absent one does (brightspace-2026.md 2.8).
pub fn bookmark(sent: Option<&str>) -> ApiResult<i64> {
    parse_bookmark(sent.filter(|b| !b.eq_ignore_ascii_case("null")))
}

/// A text filter of the search: an empty one filters nothing.
pub fn text_filter(sent: Option<&str>) -> Option<String> {
    sent.filter(|t| !t.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_bookmarks_are_absent() {
        assert_eq!(bookmark(Some("null")).ok(), Some(0));
        assert_eq!(bookmark(Some("NULL")).ok(), Some(0));
        assert_eq!(bookmark(None).ok(), Some(0));
        assert_eq!(bookmark(Some("6607")).ok(), Some(6607));
        assert!(bookmark(Some("nil")).is_err());
    }

    #[test]
    fn every_type_is_built_in() {
        for kind in &org_unit_type::ALL {
            let t = OrgUnitType::from(kind);
            assert_eq!(t.code, t.name);
            assert!(!t.permissions.can_edit && !t.permissions.can_delete);
        }
    }
}
