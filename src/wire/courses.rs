//! Course offering shapes: CreateCourseOffering and CourseOffering.

use serde::{Deserialize, Serialize};

use super::{utc, RichText, RichTextInput, UtcDateTime};
use crate::db::rows::{org_unit_type, CourseOfferingView, NewOrgUnit, OrgUnit};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

impl CreateCourseOffering {
    /// Checks the form's own rules (name, code, dates in order, locale), before any database
    /// work; answers the offering it asks for, its description rendered. Where it goes (the
    /// institution's root) and when it was made are the unit of work's to fill in.
    pub fn validated(&self) -> ApiResult<NewOrgUnit> {
        validate::name("Name", &self.name, 128).map_err(ApiError::BadRequest)?;
        validate::code("Code", &self.code).map_err(ApiError::BadRequest)?;
        if let (Some(start), Some(end)) = (self.start_date, self.end_date) {
            if start.0 > end.0 {
                return Err(ApiError::bad_request(
                    "EndDate: the end date is before the start date.",
                ));
            }
        }
        if self.locale_id.is_some_and(|l| l <= 0) {
            return Err(ApiError::bad_request(
                "LocaleId: must be a positive id or null.",
            ));
        }
        let description = self.description.as_ref().map(|d| d.render());
        Ok(NewOrgUnit {
            type_id: org_unit_type::COURSE_OFFERING,
            name: self.name.clone(),
            code: Some(self.code.clone()),
            path: self.path.clone(),
            description_text: description.as_ref().map(|d| d.text.clone()),
            description_html: description.map(|d| d.html),
            is_active: true,
            can_self_register: self.can_self_register.unwrap_or(false),
            start_date: self.start_date.map(|d| d.0),
            end_date: self.end_date.map(|d| d.0),
            locale_id: self.locale_id,
            force_locale: self.force_locale,
            show_address_book: self.show_address_book,
            course_template_id: self.course_template_id,
            semester_id: self.semester_id,
            ..NewOrgUnit::default()
        })
    }
}

/// `{"Identifier", "Name", "Code"}`: how an offering names its template, semester, department.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

impl From<&CourseOfferingView> for CourseOffering {
    fn from(view: &CourseOfferingView) -> Self {
        let u = &view.offering;
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
            course_template: view.template.as_ref().map(BasicOrgUnit::from),
            semester: view.semester.as_ref().map(BasicOrgUnit::from),
            department: None,
        }
    }
}
