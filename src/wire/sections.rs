//! Section shapes: SectionData (Create/Update, Fetch, Enrolled), SectionEnrollment and
//! SectionSettingsData (Create, Fetch, Update).

use serde::{Deserialize, Serialize};

use super::{RichText, RichTextInput};

crate::wire_enum! {
    /// SECTENROLL_T.
    SectionEnrollmentStyle {
        PeoplePerSectionAutoEnrollment = 1,
        NumberOfSectionsAutoEnrollment = 2,
    }
}

/// SectionData, Create and Update forms.
pub type SectionInput = super::ChildOrgUnitInput;

/// SectionData, Fetch form.
#[derive(Debug, Serialize)]
pub struct SectionFetch {
    #[serde(rename = "SectionId")]
    pub section_id: i64,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Description")]
    pub description: RichText,
    #[serde(rename = "Enrollments")]
    pub enrollments: Vec<i64>,
}

/// SectionData, Enrolled form: the description is null when the course hides it.
#[derive(Debug, Serialize)]
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

/// SectionEnrollment (and GroupEnrollment): `{"UserId"}`. The reference answers a missing
/// enrollment parameter with 404, so the field is optional here and checked by [`Self::user`].
#[derive(Debug, Default, Deserialize)]
pub struct UserEnrollment {
    #[serde(rename = "UserId", default)]
    pub user_id: Option<i64>,
}

impl UserEnrollment {
    /// The user to enroll: 404 when none was given.
    pub fn user(&self) -> crate::error::ApiResult<i64> {
        self.user_id.ok_or_else(|| {
            crate::error::ApiError::not_found(
                "No enrollment parameter provided: UserId is required.",
            )
        })
    }

    /// Reads the body: an empty body is a missing parameter (404), malformed JSON a 400.
    pub fn from_body(body: &[u8]) -> crate::error::ApiResult<i64> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Self::default().user();
        }
        let value: serde_json::Value = super::parse_json(body)?;
        if !value.is_object() {
            return Err(crate::error::ApiError::bad_request(
                "The request body must be a JSON object such as {\"UserId\": 123}.",
            ));
        }
        serde_json::from_value::<Self>(value)
            .map_err(|e| crate::error::ApiError::bad_request(format!("UserId: {e}.")))?
            .user()
    }
}

/// SectionSettingsData, Create form.
#[derive(Debug, Deserialize)]
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

/// SectionSettingsData, Update form.
#[derive(Debug, Deserialize)]
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

/// SectionSettingsData, Fetch form.
#[derive(Debug, Serialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_read_as_number_or_name_and_written_as_name() {
        let by_number: SectionEnrollmentStyle = serde_json::from_str("2").expect("number");
        let by_name: SectionEnrollmentStyle =
            serde_json::from_str("\"numberofsectionsautoenrollment\"").expect("name");
        assert_eq!(
            by_number,
            SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment
        );
        assert_eq!(by_name, by_number);
        assert_eq!(
            serde_json::to_string(&by_number).expect("json"),
            "\"NumberOfSectionsAutoEnrollment\""
        );
        assert!(serde_json::from_str::<SectionEnrollmentStyle>("3").is_err());
        assert!(serde_json::from_str::<SectionEnrollmentStyle>("\"Other\"").is_err());
    }
}
