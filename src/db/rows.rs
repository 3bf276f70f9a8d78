//! Database rows, kept apart from the wire types in `crate::api` so either can change alone.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::*;

/// Brightspace's org-unit type ids for the types this server knows, and what `/outypes/`
/// says of each: the one place the type metadata lives (docs/compatibility.md, "Org
/// structure").
pub mod org_unit_type {
    pub const ORGANIZATION: i64 = 1;
    pub const COURSE_TEMPLATE: i64 = 2;
    pub const COURSE_OFFERING: i64 = 3;
    pub const SEMESTER: i64 = 5;
    /// Our ids for the types Brightspace creates per tenant (see docs/compatibility.md).
    pub const SECTION: i64 = 4;
    pub const GROUP: i64 = 6;
    /// D2L's own sample's id for Department (we create no departments).
    pub const DEPARTMENT: i64 = 203;

    /// An org-unit type as `/outypes/` answers it. Codes equal names, as in every captured
    /// built-in type; all are built in (neither editable nor deletable).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Kind {
        pub id: i64,
        pub code: &'static str,
        pub name: &'static str,
        /// Where Brightspace's admin tools list it: top of the tree first (D2L's sample gives
        /// Department 2).
        pub sort_order: i64,
    }

    const fn kind(id: i64, name: &'static str, sort_order: i64) -> Kind {
        Kind {
            id,
            code: name,
            name,
            sort_order,
        }
    }

    /// Every type this server numbers, by id.
    pub const ALL: [Kind; 7] = [
        kind(ORGANIZATION, "Organization", 1),
        kind(COURSE_TEMPLATE, "Course Template", 4),
        kind(COURSE_OFFERING, "Course Offering", 5),
        kind(SECTION, "Section", 6),
        kind(SEMESTER, "Semester", 3),
        kind(GROUP, "Group", 7),
        kind(DEPARTMENT, "Department", 2),
    ];

    /// Type `type_id`, if this server numbers it.
    pub fn find(type_id: i64) -> Option<&'static Kind> {
        ALL.iter().find(|k| k.id == type_id)
    }

    /// Sections and groups: the parts of a course offering, whose members are enrolled in
    /// them with their course role.
    pub fn is_course_part(type_id: i64) -> bool {
        type_id == SECTION || type_id == GROUP
    }

    /// `(Code, Name)` as Brightspace spells them in `OrgUnit.Type`.
    pub fn describe(type_id: i64) -> (&'static str, &'static str) {
        find(type_id).map_or(("Org Unit", "Org Unit"), |k| (k.code, k.name))
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = institutions)]
pub struct Institution {
    pub id: i64,
    pub tenant_id: String,
    pub acronym: String,
    pub name: String,
    pub external_ic: bool,
    pub mail_domain: Option<String>,
    pub disable_vle_learner_creation: bool,
    pub disable_vle_instructor_creation: bool,
    pub disable_vle_user_creation: bool,
    pub allow_learner_report: bool,
    pub allow_learner_audit: bool,
    pub allow_valid_audit: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = institutions)]
pub struct NewInstitution<'a> {
    pub tenant_id: &'a str,
    pub acronym: &'a str,
    pub name: &'a str,
    pub mail_domain: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = org_units)]
pub struct OrgUnit {
    pub id: i64,
    pub institution_id: i64,
    pub type_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: Option<String>,
    pub path: Option<String>,
    pub description_text: Option<String>,
    pub description_html: Option<String>,
    pub is_active: bool,
    pub can_self_register: bool,
    pub start_date: Option<NaiveDateTime>,
    pub end_date: Option<NaiveDateTime>,
    pub locale_id: Option<i64>,
    pub force_locale: bool,
    pub show_address_book: bool,
    pub course_template_id: Option<i64>,
    pub semester_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Default, Clone)]
#[diesel(table_name = org_units)]
pub struct NewOrgUnit {
    pub institution_id: i64,
    pub type_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: Option<String>,
    pub path: Option<String>,
    pub description_text: Option<String>,
    pub description_html: Option<String>,
    pub is_active: bool,
    pub can_self_register: bool,
    pub start_date: Option<NaiveDateTime>,
    pub end_date: Option<NaiveDateTime>,
    pub locale_id: Option<i64>,
    pub force_locale: bool,
    pub show_address_book: bool,
    pub course_template_id: Option<i64>,
    pub semester_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub institution_id: i64,
    pub user_name: String,
    pub user_name_key: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub external_email: Option<String>,
    pub org_defined_id: Option<String>,
    pub pronouns: Option<String>,
    pub is_active: bool,
    pub last_accessed: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Insertable, Clone)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub institution_id: i64,
    pub user_name: String,
    pub user_name_key: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub external_email: Option<String>,
    pub org_defined_id: Option<String>,
    pub pronouns: Option<String>,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = roles)]
pub struct Role {
    pub id: i64,
    pub institution_id: i64,
    pub name: String,
    pub code: String,
    pub is_cascading: bool,
    /// Brightspace's "can be auto-enrolled": AutoEnroll and the allocation jobs place holders
    /// of this role (the learners); manual enrollment ignores it.
    pub can_be_auto_enrolled: bool,
}

#[derive(Insertable)]
#[diesel(table_name = roles)]
pub struct NewRole<'a> {
    pub institution_id: i64,
    pub name: &'a str,
    pub code: &'a str,
    pub is_cascading: bool,
    pub can_be_auto_enrolled: bool,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = enrollments)]
pub struct Enrollment {
    pub user_id: i64,
    pub org_unit_id: i64,
    pub institution_id: i64,
    pub role_id: i64,
    pub is_cascading: bool,
    pub created_at: NaiveDateTime,
    /// Who made it: `None` when no user did (AutoEnroll, a job, a migration).
    pub enrolled_by_user_id: Option<i64>,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = oauth_clients)]
pub struct OAuthClient {
    pub client_id: String,
    pub institution_id: i64,
    pub user_id: i64,
    pub name: String,
    pub secret_hash: String,
    pub scope: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// `client_credentials` (acts as its service user, `user_id`) or `authorization_code`
    /// (acts for the users who authorize it; `user_id` registered it).
    pub grant_type: String,
    /// Space-separated, matched exactly.
    pub redirect_uris: String,
    /// Seconds; `None`: the server's default.
    pub access_token_lifetime: Option<i64>,
    pub issues_refresh_tokens: bool,
    pub prompts_consent: bool,
    /// The client's public keys, a JWKS document (`auth::assertion`); `None`: it
    /// authenticates with its secret. A client with keys authenticates only with a
    /// private-key JWT assertion (RFC 7523).
    pub jwks: Option<String>,
}

impl OAuthClient {
    pub const CLIENT_CREDENTIALS: &'static str = "client_credentials";
    pub const AUTHORIZATION_CODE: &'static str = "authorization_code";

    /// A client-credentials client acting as service user `user_id`, with the server's token
    /// lifetime and no redirects.
    pub fn acting_as(
        user_id: i64,
        institution_id: i64,
        client_id: String,
        name: String,
        secret_hash: String,
        scope: String,
        created_at: NaiveDateTime,
    ) -> Self {
        OAuthClient {
            client_id,
            institution_id,
            user_id,
            name,
            secret_hash,
            scope,
            revoked_at: None,
            created_at,
            grant_type: Self::CLIENT_CREDENTIALS.into(),
            redirect_uris: String::new(),
            access_token_lifetime: None,
            issues_refresh_tokens: false,
            prompts_consent: false,
            jwks: None,
        }
    }
}

/// A user's authorization of an app ([`OAuthClient`]), from one code exchange.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = oauth_grants)]
pub struct OAuthGrant {
    pub id: i64,
    pub client_id: String,
    pub user_id: i64,
    pub institution_id: i64,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = oauth_grants)]
pub struct NewOAuthGrant<'a> {
    pub client_id: &'a str,
    pub user_id: i64,
    pub institution_id: i64,
    pub scope: &'a str,
    pub created_at: NaiveDateTime,
}

/// An authorization code, by the hash of its text.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = oauth_codes)]
pub struct OAuthCode {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub grant_id: Option<i64>,
}

/// An app registered for D2L's ID-key signing. `app_key` is sealed (encrypted) text, never
/// the key itself (docs/security.md, "ID keys").
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = id_key_apps)]
pub struct IdKeyApp {
    pub app_id: String,
    pub institution_id: i64,
    pub name: String,
    pub app_key: String,
    pub scope: String,
    pub trusted_url: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A user's id/key pair for one ID-key app; `user_key` is sealed text.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = id_key_users)]
pub struct IdKeyUser {
    pub key_user_id: String,
    pub app_id: String,
    pub user_id: i64,
    pub user_key: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub institution_id: i64,
    pub private_key_pem: String,
    pub modulus: String,
    pub exponent: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = section_settings)]
pub struct SectionSettings {
    pub org_unit_id: i64,
    pub institution_id: i64,
    pub name: String,
    pub description_text: String,
    pub description_html: String,
    pub enrollment_style: i64,
    pub enrollment_quantity: i64,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub descriptions_visible: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user's membership of a section or group of a course, to be written: stored as their
/// enrollment there, with their role in the course (`db::members`).
#[derive(Debug, Clone)]
pub struct Member {
    pub org_unit_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = group_categories)]
pub struct GroupCategory {
    pub id: i64,
    pub course_id: i64,
    pub institution_id: i64,
    pub name: String,
    pub description_text: String,
    pub description_html: String,
    pub enrollment_style: i64,
    pub enrollment_quantity: Option<i64>,
    pub number_of_groups: Option<i64>,
    pub max_users_per_group: Option<i64>,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub allocate_after_expiry: bool,
    pub self_enrollment_expiry_date: Option<NaiveDateTime>,
    pub group_prefix: Option<String>,
    pub restricted_by_org_unit_id: Option<i64>,
    pub descriptions_visible: bool,
    /// GROUPSJOBSTATUS_T: 0 Processing, 1 Complete.
    pub status: i64,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub self_enrollment_start_date: Option<NaiveDateTime>,
}

impl GroupCategory {
    pub const PROCESSING: i64 = 0;
    pub const COMPLETE: i64 = 1;
}

#[derive(Insertable)]
#[diesel(table_name = group_categories)]
pub struct NewGroupCategory {
    pub course_id: i64,
    pub institution_id: i64,
    pub name: String,
    pub description_text: String,
    pub description_html: String,
    pub enrollment_style: i64,
    pub enrollment_quantity: Option<i64>,
    pub number_of_groups: Option<i64>,
    pub max_users_per_group: Option<i64>,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub allocate_after_expiry: bool,
    pub self_enrollment_expiry_date: Option<NaiveDateTime>,
    pub group_prefix: Option<String>,
    pub restricted_by_org_unit_id: Option<i64>,
    pub descriptions_visible: bool,
    pub status: i64,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub self_enrollment_start_date: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub category_id: i64,
    pub run_at: NaiveDateTime,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    /// When the job failed its last allowed attempt. A dead job is never claimed again; an
    /// operator retries or discards it (`d2l-groups jobs`).
    pub dead_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub category_id: i64,
    pub run_at: NaiveDateTime,
    pub attempts: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = vles)]
pub struct Vle {
    pub id: i64,
    pub institution_id: i64,
    pub kind: i64,
    /// The LTI settings, a JSON object kept as text.
    pub lti: String,
    pub name: String,
    pub name_key: String,
    pub url: String,
    pub client_id: String,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = vles)]
pub struct NewVle {
    pub institution_id: i64,
    pub kind: i64,
    pub lti: String,
    pub name: String,
    pub name_key: String,
    pub url: String,
    pub client_id: String,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A section or group with its members' user ids: what every fetch of one answers.
#[derive(Debug, Clone)]
pub struct UnitWithMembers {
    pub unit: OrgUnit,
    pub members: Vec<i64>,
}

/// A course offering with the template and semester it names (each `None` when unset or gone):
/// what every answer about an offering shows.
#[derive(Debug, Clone)]
pub struct CourseOfferingView {
    pub offering: OrgUnit,
    pub template: Option<OrgUnit>,
    pub semester: Option<OrgUnit>,
}

/// A group category with its style read and its groups' ids: what every fetch of one answers.
#[derive(Debug, Clone)]
pub struct GroupCategoryWithGroups {
    pub category: GroupCategory,
    pub style: crate::domain::group_plan::Style,
    pub groups: Vec<i64>,
}

/// One membership added or removed (`membership_changes`), as recorded by `db::history`.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = membership_changes)]
pub struct MembershipChange {
    pub id: i64,
    pub course_id: i64,
    pub org_unit_id: i64,
    pub user_id: i64,
    /// `domain::history::Change`, by name.
    pub change: String,
    pub by_user_id: Option<i64>,
    /// `domain::history::Via`, by name.
    pub via: String,
    pub client_id: Option<String>,
    pub changed_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = membership_changes)]
pub struct NewMembershipChange {
    pub course_id: i64,
    pub org_unit_id: i64,
    pub user_id: i64,
    pub change: String,
    pub by_user_id: Option<i64>,
    pub via: String,
    pub client_id: Option<String>,
    pub changed_at: NaiveDateTime,
}

/// A history entry with the section or group it names, when that still exists.
#[derive(Debug, Clone)]
pub struct MembershipChangeView {
    pub entry: MembershipChange,
    /// (name, org unit type) of the section or group; `None` once it has been deleted.
    pub unit: Option<(String, i64)>,
}

/// A self-enrollment category as one learner sees it: its window, its groups with the places
/// left in each, and the learner's own group (`services::groups::self_enrollment`).
#[derive(Debug)]
pub struct SelfEnrollmentChoice {
    pub category: GroupCategory,
    pub style: crate::domain::group_plan::Style,
    pub window: crate::domain::self_enrollment::Window,
    /// The cap that binds joining, if the style has one.
    pub cap: Option<i64>,
    /// The learner's group in this category, if any.
    pub my_group: Option<i64>,
    pub groups: Vec<ChoosableGroup>,
}

/// A group as a learner choosing one sees it.
#[derive(Debug)]
pub struct ChoosableGroup {
    pub unit: OrgUnit,
    pub members: usize,
    /// Places left under the cap; `None` when the category has no cap.
    pub free_places: Option<i64>,
}

/// A browser session: the cookie `d2lSessionVal` is its id, `d2lSecureSessionVal` its secret.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub secret_hash: String,
    pub user_id: i64,
    pub institution_id: i64,
    /// Sent back in every form the session's pages render, and required of every POST.
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession {
    pub id: String,
    pub secret_hash: String,
    pub user_id: i64,
    pub institution_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}
