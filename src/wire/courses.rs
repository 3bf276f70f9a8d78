//! Course offering shapes: CreateCourseOffering and CourseOffering.

use serde::{Deserialize, Serialize};

use super::{utc, RichText, RichTextInput, UtcDateTime};
use crate::db::rows::OrgUnit;

#[derive(Debug, Deserialize)]
pub struct CreateCourseOffering {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Path", default)]
    pub path: Option<String>,
    #[serde(rename = "CourseTemplateId", default)]
    pub course_template_id: Option<i64>,
    #[serde(rename = "SemesterId", default)]
    pub semester_id: Option<i64>,
    #[serde(rename = "StartDate", default)]
    pub start_date: Option<UtcDateTime>,
    #[serde(rename = "EndDate", default)]
    pub end_date: Option<UtcDateTime>,
    #[serde(rename = "LocaleId", default)]
    pub locale_id: Option<i64>,
    #[serde(rename = "ForceLocale", default)]
    pub force_locale: bool,
    #[serde(rename = "ShowAddressBook", default)]
    pub show_address_book: bool,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    #[serde(rename = "CanSelfRegister", default)]
    pub can_self_register: Option<bool>,
}

/// `{"Identifier", "Name", "Code"}`: how an offering names its template, semester, department.
#[derive(Debug, Serialize)]
pub struct BasicOrgUnit {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: Option<String>,
}

impl From<&OrgUnit> for BasicOrgUnit {
    fn from(u: &OrgUnit) -> Self {
        Self {
            identifier: u.id.to_string(),
            name: u.name.clone(),
            code: u.code.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CourseOffering {
    #[serde(rename = "Identifier")]
    pub identifier: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: Option<String>,
    #[serde(rename = "IsActive")]
    pub is_active: bool,
    #[serde(rename = "CanSelfRegister")]
    pub can_self_register: bool,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "StartDate")]
    pub start_date: Option<String>,
    #[serde(rename = "EndDate")]
    pub end_date: Option<String>,
    #[serde(rename = "CourseTemplate")]
    pub course_template: Option<BasicOrgUnit>,
    #[serde(rename = "Semester")]
    pub semester: Option<BasicOrgUnit>,
    #[serde(rename = "Department")]
    pub department: Option<BasicOrgUnit>,
}

impl CourseOffering {
    pub fn new(u: &OrgUnit, template: Option<&OrgUnit>, semester: Option<&OrgUnit>) -> Self {
        Self {
            identifier: u.id.to_string(),
            name: u.name.clone(),
            code: u.code.clone(),
            is_active: u.is_active,
            can_self_register: u.can_self_register,
            description: RichText::from_stored(
                u.description_text.as_deref(),
                u.description_html.as_deref(),
            ),
            path: u.path.clone().unwrap_or_default(),
            start_date: u.start_date.map(utc),
            end_date: u.end_date.map(utc),
            course_template: template.map(BasicOrgUnit::from),
            semester: semester.map(BasicOrgUnit::from),
            department: None,
        }
    }
}
