//! `seed FILE`: loads a world (users with passwords, OAuth clients, course offerings with their
//! enrollments, sections and group categories) from a YAML or JSON file into the default
//! institution, and prints the ids it made as JSON. `serve --test-mode --seed FILE` reads the
//! same file (docs/testing.md describes it, with examples/world.yaml).
//!
//! The file names things, never ids: users by UserName, roles by name, sections and groups by
//! Code. Every entry is checked before anything is written, with the API's own form rules
//! (`wire`); an unknown key is an error, so that a typo in a fixture is not silently dropped.
//! Refusals name the entry, as `users[3].UserName` or `courses[0].GroupCategories[1].Name`.
//! The world is then written in one transaction by `services::seed`: all of it, or nothing.

use std::path::Path;

use clap::Args;
use serde::Deserialize;

use super::{open, Cli};
use crate::auth::scopes::ScopeSet;
use crate::domain::naming::ChildChange;
use crate::domain::sections::NewSettings;
use crate::error::ApiError;
use crate::services::seed::{
    SeedCategory, SeedClient, SeedCourse, SeedEnrollment, SeedUnit, SeedUser, World,
};
use crate::wire::courses::CreateCourseOffering;
use crate::wire::groups::{GroupCategoryCreate, GroupEnrollmentStyle};
use crate::wire::sections::SectionSettingsCreate;
use crate::wire::users::CreateUserData;
use crate::wire::{ChildOrgUnitInput, RichTextInput, UtcDateTime};

#[derive(Args, Debug)]
pub struct SeedArgs {
    /// The world to load: YAML (`.yaml`, `.yml`) or JSON (any other name).
    pub file: std::path::PathBuf,
}

/// The seed file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    #[serde(default)]
    pub institution: Option<InstitutionEntry>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub clients: Vec<ClientEntry>,
    #[serde(default)]
    pub courses: Vec<CourseEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionEntry {
    #[serde(rename = "Name")]
    pub name: String,
}

/// A user: CreateUserData's fields, with the role by name and an optional password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    #[serde(rename = "UserName")]
    pub user_name: String,
    #[serde(rename = "FirstName")]
    pub first_name: String,
    #[serde(rename = "MiddleName", default)]
    pub middle_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: String,
    #[serde(rename = "ExternalEmail", default)]
    pub external_email: Option<String>,
    #[serde(rename = "OrgDefinedId", default)]
    pub org_defined_id: Option<String>,
    #[serde(rename = "Pronouns", default)]
    pub pronouns: Option<String>,
    #[serde(rename = "IsActive", default = "yes")]
    pub is_active: bool,
    /// The role of their enrollment at the institution's root (as `POST /users/`'s RoleId).
    #[serde(rename = "Role")]
    pub role: String,
    /// Their sign-in password (`/d2l/login`), if they sign in.
    #[serde(rename = "Password", default)]
    pub password: Option<String>,
}

fn yes() -> bool {
    true
}

/// A client-credentials OAuth client with the id and secret the suite will use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    #[serde(rename = "ClientId")]
    pub client_id: String,
    #[serde(rename = "ClientSecret")]
    pub client_secret: String,
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// The service user it acts as (UserName); `admin` if absent.
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    /// The scopes it may be granted, space-separated.
    #[serde(rename = "Scope")]
    pub scope: String,
}

/// A course offering: CreateCourseOffering's fields (no template or semester: a seed makes
/// none), then what is in it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseEntry {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Path", default)]
    pub path: Option<String>,
    #[serde(rename = "StartDate", default)]
    pub start_date: Option<UtcDateTime>,
    #[serde(rename = "EndDate", default)]
    pub end_date: Option<UtcDateTime>,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    #[serde(rename = "CanSelfRegister", default)]
    pub can_self_register: Option<bool>,
    #[serde(rename = "Enrollments", default)]
    pub enrollments: Vec<EnrollmentEntry>,
    /// SectionSettingsData's Create form; sections are initialized (before any enrollment)
    /// when this or `Sections` is given: one section by default.
    #[serde(rename = "SectionSettings", default)]
    pub section_settings: Option<SectionSettingsEntry>,
    #[serde(rename = "Sections", default)]
    pub sections: Vec<UnitEntry>,
    #[serde(rename = "GroupCategories", default)]
    pub group_categories: Vec<CategoryEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentEntry {
    #[serde(rename = "User")]
    pub user: String,
    #[serde(rename = "Role")]
    pub role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSettingsEntry {
    #[serde(rename = "EnrollmentStyle")]
    pub enrollment_style: serde_json::Value,
    #[serde(rename = "EnrollmentQuantity")]
    pub enrollment_quantity: i64,
    #[serde(rename = "AutoEnroll", default)]
    pub auto_enroll: bool,
    #[serde(rename = "RandomizeEnrollments", default)]
    pub randomize_enrollments: bool,
    #[serde(rename = "DescriptionsVisibleToEnrollees", default)]
    pub descriptions_visible_to_enrollees: bool,
}

/// A section or group: one the settings or the category's creation made (by its Code, e.g.
/// `Section 1`, `Group 2`), or a new one when it names no such unit (Name needed then).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEntry {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
    /// UserNames; each must be enrolled in the course.
    #[serde(rename = "Members", default)]
    pub members: Vec<String>,
}

/// A group category: the API's Create form (GroupCategoryData), with the restricting
/// section by Code instead of by id, and the groups to fill.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEntry {
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
    /// The Code of the course's section whose members alone its groups admit.
    #[serde(rename = "RestrictedBy", default)]
    pub restricted_by: Option<String>,
    #[serde(rename = "DescriptionsVisibleToEnrolees", default)]
    pub descriptions_visible_to_enrolees: bool,
    #[serde(rename = "Groups", default)]
    pub groups: Vec<UnitEntry>,
}

/// Reads and parses a seed file: YAML by extension (`.yaml`, `.yml`), JSON otherwise. A
/// syntax error or unknown key names where it is.
pub fn read_file(path: &Path) -> Result<SeedFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    parse(&text, yaml).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a seed file's text; errors name the entry (`courses[0].Enrollments[1]: ...`).
pub fn parse(text: &str, yaml: bool) -> Result<SeedFile, String> {
    let described = |path: String, inner: String| {
        if path.is_empty() || path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    };
    if yaml {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| described(e.path().to_string(), e.inner().to_string()))
    } else {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| described(e.path().to_string(), e.inner().to_string()))
    }
}

/// `path: message` for a refusal of the API's form rules, which start with the field's name.
fn named(path: &str, e: ApiError) -> String {
    format!("{path}.{e}")
}

fn unit(path: String, entry: &UnitEntry) -> Result<SeedUnit, String> {
    let create = match &entry.name {
        Some(name) => {
            let form = ChildOrgUnitInput {
                name: name.clone(),
                code: entry.code.clone(),
                description: entry.description.clone(),
            };
            Some(ChildChange::try_from(form).map_err(|e| named(&path, e))?)
        }
        None => {
            crate::domain::validate::code("Code", &entry.code)
                .map_err(|e| format!("{path}.{e}"))?;
            None
        }
    };
    Ok(SeedUnit {
        at: path,
        code: entry.code.clone(),
        create,
        members: entry.members.clone(),
    })
}

/// Checks every entry with the API's form rules and hashes the passwords and secrets (slow:
/// argon2, once per seed, never in the transaction); answers the world to write, or every
/// refusal found, one a line.
pub fn prepare(file: &SeedFile) -> Result<World, String> {
    let mut refusals = Vec::new();
    let mut world = World {
        institution_name: file.institution.as_ref().map(|i| i.name.trim().to_string()),
        ..World::default()
    };
    if world.institution_name.as_deref() == Some("") {
        refusals.push("institution.Name: must not be empty.".to_string());
    }
    let mut user_names = std::collections::HashMap::new();
    for (i, entry) in file.users.iter().enumerate() {
        let path = format!("users[{i}]");
        match user(&path, entry) {
            Ok(user) => {
                if let Some(first) = user_names.insert(entry.user_name.to_lowercase(), i) {
                    refusals.push(format!(
                        "{path}.UserName: {:?} is also users[{first}]'s.",
                        entry.user_name
                    ));
                }
                world.users.push(user);
            }
            Err(why) => refusals.push(why),
        }
    }
    for (i, entry) in file.clients.iter().enumerate() {
        match client(&format!("clients[{i}]"), entry) {
            Ok(client) => world.clients.push(client),
            Err(why) => refusals.push(why),
        }
    }
    for (i, entry) in file.courses.iter().enumerate() {
        match course(&format!("courses[{i}]"), entry) {
            Ok(course) => world.courses.push(course),
            Err(why) => refusals.push(why),
        }
    }
    if refusals.is_empty() {
        Ok(world)
    } else {
        Err(refusals.join("\n"))
    }
}

fn user(path: &str, entry: &UserEntry) -> Result<SeedUser, String> {
    let form = CreateUserData {
        org_defined_id: entry.org_defined_id.clone(),
        first_name: entry.first_name.clone(),
        middle_name: entry.middle_name.clone(),
        last_name: entry.last_name.clone(),
        external_email: entry.external_email.clone(),
        user_name: entry.user_name.clone(),
        role_id: 0,
        is_active: entry.is_active,
        send_creation_email: false,
        pronouns: entry.pronouns.clone(),
    };
    let user = form.validated(0).map_err(|e| named(path, e))?;
    if entry.role.trim().is_empty() {
        return Err(format!(
            "{path}.Role: name the role of the user's enrollment at the root."
        ));
    }
    let password_hash = entry
        .password
        .as_deref()
        .map(crate::services::sign_in::hash_new_password)
        .transpose()
        .map_err(|e| format!("{path}.Password: {e}"))?;
    Ok(SeedUser {
        at: path.to_string(),
        user,
        role: entry.role.clone(),
        password_hash,
    })
}

fn client(path: &str, entry: &ClientEntry) -> Result<SeedClient, String> {
    let id = entry.client_id.trim();
    if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{path}.ClientId: 1 to 200 characters, no spaces."));
    }
    if entry.client_secret.chars().count() < 16 {
        return Err(format!(
            "{path}.ClientSecret: at least 16 characters, as any secret should be."
        ));
    }
    let scope = ScopeSet::parse(&entry.scope).map_err(|e| format!("{path}.Scope: {e}"))?;
    if scope.is_empty() {
        return Err(format!("{path}.Scope: name at least one scope."));
    }
    let secret_hash = crate::auth::secrets::hash_secret(&entry.client_secret)
        .map_err(|e| format!("{path}.ClientSecret: {e}"))?;
    Ok(SeedClient {
        at: path.to_string(),
        client_id: id.to_string(),
        name: entry.name.clone().unwrap_or_else(|| id.to_string()),
        secret_hash,
        scope,
        user: entry.user.clone().unwrap_or_else(|| "admin".into()),
    })
}

fn course(path: &str, entry: &CourseEntry) -> Result<SeedCourse, String> {
    let form = CreateCourseOffering {
        name: entry.name.clone(),
        code: entry.code.clone(),
        path: entry.path.clone(),
        course_template_id: None,
        semester_id: None,
        start_date: entry.start_date,
        end_date: entry.end_date,
        locale_id: None,
        force_locale: false,
        show_address_book: false,
        description: entry.description.clone(),
        can_self_register: entry.can_self_register,
    };
    let offering = form.validated().map_err(|e| named(path, e))?;
    let section_settings = match &entry.section_settings {
        Some(s) => {
            let at = format!("{path}.SectionSettings");
            let style = serde_json::from_value(s.enrollment_style.clone())
                .map_err(|e| format!("{at}.EnrollmentStyle: {e}"))?;
            let form = SectionSettingsCreate {
                enrollment_style: style,
                enrollment_quantity: s.enrollment_quantity,
                auto_enroll: s.auto_enroll,
                randomize_enrollments: s.randomize_enrollments,
                descriptions_visible_to_enrollees: s.descriptions_visible_to_enrollees,
            };
            Some(NewSettings::try_from(form).map_err(|e| named(&at, e))?)
        }
        None => None,
    };
    let mut enrollments = Vec::new();
    for (i, e) in entry.enrollments.iter().enumerate() {
        enrollments.push(SeedEnrollment {
            at: format!("{path}.Enrollments[{i}]"),
            user: e.user.clone(),
            role: e.role.clone(),
        });
    }
    let mut sections = Vec::new();
    for (i, s) in entry.sections.iter().enumerate() {
        sections.push(unit(format!("{path}.Sections[{i}]"), s)?);
    }
    let mut categories = Vec::new();
    let mut names = std::collections::HashMap::new();
    for (i, c) in entry.group_categories.iter().enumerate() {
        let at = format!("{path}.GroupCategories[{i}]");
        if let Some(first) = names.insert(c.name.trim().to_lowercase(), i) {
            return Err(format!(
                "{at}.Name: {:?} is also GroupCategories[{first}]'s (the ids printed are by name).",
                c.name
            ));
        }
        categories.push(category(at, c)?);
    }
    Ok(SeedCourse {
        at: path.to_string(),
        offering,
        code: entry.code.clone(),
        section_settings,
        sections,
        enrollments,
        categories,
    })
}

fn category(path: String, entry: &CategoryEntry) -> Result<SeedCategory, String> {
    let form = GroupCategoryCreate {
        name: entry.name.clone(),
        description: entry.description.clone(),
        enrollment_style: entry.enrollment_style,
        enrollment_quantity: entry.enrollment_quantity,
        auto_enroll: entry.auto_enroll,
        randomize_enrollments: entry.randomize_enrollments,
        number_of_groups: entry.number_of_groups,
        max_users_per_group: entry.max_users_per_group,
        allocate_after_expiry: entry.allocate_after_expiry,
        self_enrollment_start_date: entry.self_enrollment_start_date,
        self_enrollment_expiry_date: entry.self_enrollment_expiry_date,
        group_prefix: entry.group_prefix.clone(),
        restricted_by_org_unit_id: None,
        descriptions_visible_to_enrolees: entry.descriptions_visible_to_enrolees,
    };
    let spec = form.validated().map_err(|e| named(&path, e))?;
    let mut groups = Vec::new();
    for (i, g) in entry.groups.iter().enumerate() {
        groups.push(unit(format!("{path}.Groups[{i}]"), g)?);
    }
    Ok(SeedCategory {
        at: path,
        spec,
        restricted_by: entry.restricted_by.clone(),
        groups,
    })
}

/// Reads, checks and prepares a seed file.
pub fn load(path: &Path) -> Result<World, String> {
    prepare(&read_file(path)?)
}

/// `d2l-groups seed FILE`: prints the ids made, as JSON (services::seed::Created).
pub fn run(cli: &Cli, args: &SeedArgs) -> Result<(), String> {
    let world = load(&args.file)?;
    let db = open(cli)?;
    let memo = std::sync::Arc::new(db.memo(1_024));
    let now = chrono::Utc::now().naive_utc();
    let created = db
        .write_sync(|conn| crate::services::seed::apply(conn, &world, memo.clone(), now))
        .map_err(|e| format!("nothing was seeded: {}", e.cause()))?;
    let json = serde_json::to_string_pretty(&created).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}
