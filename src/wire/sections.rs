//! Section shapes: SectionData (Create/Update, Fetch, Enrolled), SectionEnrollment and
//! SectionSettingsData (Create, Fetch, Update).

use serde::{Deserialize, Serialize};

use super::{RichText, RichTextInput};
use crate::db::rows::{OrgUnit, SectionSettings};
use crate::domain::sections::{NewSettings, SettingsChange, Style};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};

crate::wire_enum! {
    /// SECTENROLL_T. `NumberOfSectionsNoEnrollment` is a deprecated placeholder: read, so that
    /// a client round-tripping data is told what is wrong, but never valid and never answered.
    SectionEnrollmentStyle {
        NumberOfSectionsNoEnrollment = 0,
        PeoplePerSectionAutoEnrollment = 1,
        NumberOfSectionsAutoEnrollment = 2,
    }
}

impl TryFrom<SectionEnrollmentStyle> for Style {
    type Error = ApiError;

    fn try_from(style: SectionEnrollmentStyle) -> ApiResult<Self> {
        match style {
            SectionEnrollmentStyle::PeoplePerSectionAutoEnrollment => Ok(Style::PeoplePerSection),
            SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment => Ok(Style::NumberOfSections),
            SectionEnrollmentStyle::NumberOfSectionsNoEnrollment => Err(ApiError::bad_request(
                "EnrollmentStyle: NumberOfSectionsNoEnrollment (0) is a placeholder, not a style \
                 sections can be set up with; send PeoplePerSectionAutoEnrollment (1) or \
                 NumberOfSectionsAutoEnrollment (2).",
            )),
        }
    }
}

/// SectionData, Create and Update forms.
pub type SectionInput = super::ChildOrgUnitInput;

child_fetch!(
    /// SectionData, Fetch form.
    SectionFetch { section_id: "SectionId" }
);

/// SectionData, Enrolled form: the description is null when the course hides it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectionEnrolled {
    #[serde(rename = "SectionId")]
    pub section_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Description")]
    pub description: Option<RichText>,
}

impl SectionEnrolled {
    /// A section of the caller's, its description shown when the course shows them.
    pub fn new(unit: &OrgUnit, descriptions_visible: bool) -> Self {
        SectionEnrolled {
            section_id: unit.id,
            name: unit.name.clone(),
            code: unit.code.clone().unwrap_or_default(),
            description: descriptions_visible.then(|| {
                RichText::from_stored(
                    unit.description_text.as_deref(),
                    unit.description_html.as_deref(),
                )
            }),
        }
    }
}

/// SectionEnrollment (and GroupEnrollment): `{"UserId"}`. The reference answers a missing
/// enrollment parameter with 404, so the field is optional here and checked by [`Self::user`].
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserEnrollment {
    #[serde(rename = "UserId", default)]
    pub user_id: Option<i64>,
}

impl UserEnrollment {
    /// The user to enroll: 404 when none was given.
    pub fn user(&self) -> ApiResult<i64> {
        self.user_id.ok_or_else(|| {
            ApiError::not_found("No enrollment parameter provided: UserId is required.")
        })
    }

    /// Reads the body: an empty body is a missing parameter (404), malformed JSON a 400.
    pub fn from_body(body: &[u8]) -> ApiResult<i64> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Self::default().user();
        }
        let value: serde_json::Value = super::parse_json(body)?;
        if !value.is_object() {
            return Err(ApiError::bad_request(
                "The request body must be a JSON object such as {\"UserId\": 123}.",
            ));
        }
        serde_json::from_value::<Self>(value)
            .map_err(|e| ApiError::bad_request(format!("UserId: {e}.")))?
            .user()
    }
}

/// SectionSettingsData, Create form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SectionSettingsCreate {
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: SectionEnrollmentStyle,
    #[serde(rename = "EnrollmentQuantity")]
    pub enrollment_quantity: i64,
    #[serde(rename = "AutoEnroll", default)]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments", default)]
    pub randomize_enrollments: bool,
    #[serde(rename = "DescriptionsVisibleToEnrollees", default)]
    pub descriptions_visible_to_enrollees: bool,
}

impl TryFrom<SectionSettingsCreate> for NewSettings {
    type Error = ApiError;

    /// Checks the quantity (400 when out of range).
    fn try_from(input: SectionSettingsCreate) -> ApiResult<Self> {
        let settings = NewSettings {
            style: input.enrollment_style.try_into()?,
            quantity: input.enrollment_quantity,
            auto_enroll: input.auto_enroll,
            randomize_enrollments: input.randomize_enrollments,
            descriptions_visible: input.descriptions_visible_to_enrollees,
        };
        settings.check().map_err(ApiError::BadRequest)?;
        Ok(settings)
    }
}

/// SectionSettingsData, Update form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SectionSettingsUpdate {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    #[serde(rename = "AutoEnroll")]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments")]
    pub randomize_enrollments: bool,
    #[serde(rename = "DescriptionsVisibleToEnrollees")]
    pub descriptions_visible_to_enrollees: bool,
}

impl TryFrom<SectionSettingsUpdate> for SettingsChange {
    type Error = ApiError;

    /// Checks the name and renders the description.
    fn try_from(input: SectionSettingsUpdate) -> ApiResult<Self> {
        validate::name("Name", &input.name, 256).map_err(ApiError::BadRequest)?;
        Ok(SettingsChange {
            description: RichTextInput::render_optional(input.description.as_ref()),
            name: input.name,
            auto_enroll: input.auto_enroll,
            randomize_enrollments: input.randomize_enrollments,
            descriptions_visible: input.descriptions_visible_to_enrollees,
        })
    }
}

/// SectionSettingsData, Fetch form.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectionSettingsFetch {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: SectionEnrollmentStyle,
    #[serde(rename = "EnrollmentQuantity")]
    pub enrollment_quantity: i64,
    #[serde(rename = "AutoEnroll")]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments")]
    pub randomize_enrollments: bool,
    #[serde(rename = "DescriptionsVisibleToEnrollees")]
    pub descriptions_visible_to_enrollees: bool,
}

impl TryFrom<&SectionSettings> for SectionSettingsFetch {
    type Error = ApiError;

    /// Stored settings whose style is no SECTENROLL_T are an internal error.
    fn try_from(settings: &SectionSettings) -> ApiResult<Self> {
        let enrollment_style = SectionEnrollmentStyle::from_number(settings.enrollment_style)
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "stored section style {}",
                    settings.enrollment_style
                ))
            })?;
        Ok(SectionSettingsFetch {
            name: settings.name.clone(),
            description: RichText::from_stored(
                Some(&settings.description_text),
                Some(&settings.description_html),
            ),
            enrollment_style,
            enrollment_quantity: settings.enrollment_quantity,
            auto_enroll: settings.auto_enroll,
            randomize_enrollments: settings.randomize_enrollments,
            descriptions_visible_to_enrollees: settings.descriptions_visible,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_read_as_number_name_or_numeric_string_and_written_as_number() {
        let by_number: SectionEnrollmentStyle = serde_json::from_str("2").expect("number");
        let by_name: SectionEnrollmentStyle =
            serde_json::from_str("\"numberofsectionsautoenrollment\"").expect("name");
        let by_string: SectionEnrollmentStyle = serde_json::from_str("\"2\"").expect("string");
        assert_eq!(
            by_number,
            SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment
        );
        assert_eq!((by_name, by_string), (by_number, by_number));
        assert_eq!(serde_json::to_string(&by_number).expect("json"), "2");
        let placeholder: SectionEnrollmentStyle = serde_json::from_str("0").expect("0");
        assert!(
            Style::try_from(placeholder).is_err(),
            "0 is read, never valid"
        );
        assert!(serde_json::from_str::<SectionEnrollmentStyle>("3").is_err());
        assert!(serde_json::from_str::<SectionEnrollmentStyle>("\"Other\"").is_err());
    }
}
