//! Request bodies in the forms the API takes, at neutral values for tests to override.

use serde_json::{json, Value};

/// RichTextInput of type Text.
pub fn text(content: &str) -> Value {
    json!({"Content": content, "Type": "Text"})
}

/// RichTextInput of type Html.
pub fn html(content: &str) -> Value {
    json!({"Content": content, "Type": "Html"})
}

/// CreateCourseOffering with a name given as any JSON value (tests send wrong types too).
pub fn course_named(name: Value, code: &str) -> Value {
    json!({
        "Name": name, "Code": code, "Path": "", "CourseTemplateId": null,
        "SemesterId": null, "StartDate": null, "EndDate": null, "LocaleId": null,
        "ForceLocale": false, "ShowAddressBook": false,
        "Description": {"Content": "", "Type": "Text"}, "CanSelfRegister": false
    })
}

/// CreateCourseOffering named `Course {code}`.
pub fn course_body(code: &str) -> Value {
    course_named(json!(format!("Course {code}")), code)
}

/// CreateUserData for an active user with an address of its own.
pub fn user_with_email(user_name: &str, email: &str, role_id: i64) -> Value {
    json!({
        "OrgDefinedId": null, "FirstName": "Test", "MiddleName": null, "LastName": user_name,
        "ExternalEmail": email, "UserName": user_name,
        "RoleId": role_id, "IsActive": true, "SendCreationEmail": false, "Pronouns": null
    })
}

/// CreateUserData for an active user mailed at `{user_name}@example.edu`.
pub fn user_body(user_name: &str, role_id: i64) -> Value {
    user_with_email(user_name, &format!("{user_name}@example.edu"), role_id)
}

/// A complete group category Create form with every field at its neutral value, overridden
/// by the fields of `extra`.
pub fn category_form(name: &str, style: Value, extra: Value) -> Value {
    let mut body = json!({
        "Name": name, "Description": text(""), "EnrollmentStyle": style,
        "EnrollmentQuantity": null, "AutoEnroll": false, "RandomizeEnrollments": false,
        "NumberOfGroups": null, "MaxUsersPerGroup": null, "AllocateAfterExpiry": false,
        "SelfEnrollmentExpiryDate": null, "GroupPrefix": null, "RestrictedByOrgUnitId": null,
        "DescriptionsVisibleToEnrolees": false
    });
    let fields = body.as_object_mut().expect("object");
    for (k, v) in extra.as_object().expect("extra is an object") {
        fields.insert(k.clone(), v.clone());
    }
    body
}

/// SectionsSettings for `POST /{ou}/sections/settings`.
pub fn section_settings(
    style: Value,
    quantity: i64,
    auto: bool,
    random: bool,
    visible: bool,
) -> Value {
    json!({
        "EnrollmentStyle": style, "EnrollmentQuantity": quantity, "AutoEnroll": auto,
        "RandomizeEnrollments": random, "DescriptionsVisibleToEnrollees": visible
    })
}
