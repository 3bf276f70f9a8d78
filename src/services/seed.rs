//! Seeding a known world (`d2l-groups seed FILE`, and test mode's reset: docs/testing.md):
//! users with passwords, OAuth clients, course offerings with their enrollments, sections and
//! group categories, all made by the same units of work as the API's routes (`users`,
//! `courses`, `enrollments`, `sections`, `groups`, `group_jobs`), acting as the institution's
//! `admin` through the client [`SEED_CLIENT_ID`], so that a seeded world obeys every rule an API
//! client's would. This is the one unit that composes other resources' units, in the order an
//! API client would call them; it runs in one transaction, so a world is seeded whole or not at
//! all.
//!
//! The world arrives checked and prepared (`cli::seed` parses the file, checks each entry with
//! the API's own form rules and hashes the passwords); what only the database can say (a name
//! already taken, a user that does not exist) is refused here, naming the entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::scopes::ScopeSet;
use crate::auth::{Authorized, Caller, PermissionMemo};
use crate::bootstrap::{self, DEFAULT_ACRONYM};
use crate::db::rows::{NewOrgUnit, NewUser, OAuthClient, SigningKeyRow};
use crate::db::{clients, institutions, jobs, reset, roles, signing_keys, users, Db, DbConnection};
use crate::domain::group_plan::{CategorySpec, GroupChange};
use crate::domain::permissions::Permission;
use crate::domain::sections::{NewSettings, SectionChange};
use crate::error::{ApiError, ApiResult};
use crate::services::access::{self, Course, Held, Hold, MembersHeld, Missing, StructureHeld};
use crate::services::{courses, enrollments, group_jobs, groups, sections, sign_in};

/// The OAuth client id a seed's changes are recorded under (membership history, `via` API).
pub use crate::auth::tokens::SEED_CLIENT_ID;

/// A world to seed, checked and prepared. Each entry keeps `at`, where the file gave it
/// (`users[3]`, `courses[0].Enrollments[2]`), to name it in a refusal.
#[derive(Clone, Default)]
pub struct World {
    /// The default institution's new name, if the file gives one.
    pub institution_name: Option<String>,
    pub users: Vec<SeedUser>,
    pub clients: Vec<SeedClient>,
    pub courses: Vec<SeedCourse>,
}

/// What a world holds, without its rows (which carry password hashes).
impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("users", &self.users.len())
            .field("clients", &self.clients.len())
            .field("courses", &self.courses.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct SeedUser {
    pub at: String,
    /// The user as the API's Create form makes it (its institution is filled in here).
    pub user: NewUser,
    /// The role of their enrollment at the root, by name.
    pub role: String,
    /// The argon2 hash of their password, if they sign in.
    pub password_hash: Option<String>,
}

/// A client-credentials OAuth client with a known id and secret, acting as `user`.
#[derive(Clone)]
pub struct SeedClient {
    pub at: String,
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scope: ScopeSet,
    /// UserName of the service user.
    pub user: String,
}

#[derive(Clone)]
pub struct SeedCourse {
    pub at: String,
    pub offering: NewOrgUnit,
    pub code: String,
    /// Section settings: when given (or when `sections` is not empty), the sections are
    /// initialized before anyone is enrolled, so the first sections start empty.
    pub section_settings: Option<NewSettings>,
    pub sections: Vec<SeedUnit>,
    pub enrollments: Vec<SeedEnrollment>,
    pub categories: Vec<SeedCategory>,
}

#[derive(Clone)]
pub struct SeedEnrollment {
    pub at: String,
    pub user: String,
    pub role: String,
}

/// A section or group: the one of this code the settings or the category's creation made, or
/// else a new one (`create`), with members (UserNames) added.
#[derive(Clone)]
pub struct SeedUnit {
    pub at: String,
    pub code: String,
    pub create: Option<SectionChange>,
    pub members: Vec<String>,
}

#[derive(Clone)]
pub struct SeedCategory {
    pub at: String,
    pub spec: CategorySpec,
    /// The code of the section its groups are restricted to.
    pub restricted_by: Option<String>,
    pub groups: Vec<SeedUnit>,
}

/// The ids a seed made (or found: `admin`, the roles), by the names the file used: what an
/// integration suite reads instead of guessing ids.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Created {
    pub institution: InstitutionIds,
    /// Every seeded user, and `admin`, by UserName.
    pub users: BTreeMap<String, i64>,
    /// The institution's roles by name.
    pub roles: BTreeMap<String, i64>,
    /// The seeded OAuth clients' ids.
    pub clients: Vec<String>,
    /// Course offerings by Code.
    pub courses: BTreeMap<String, CourseIds>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct InstitutionIds {
    pub id: i64,
    pub tenant_id: String,
    pub root_org_unit_id: i64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CourseIds {
    pub id: i64,
    /// Every section of the course by Code.
    pub sections: BTreeMap<String, i64>,
    /// Group categories by Name.
    pub categories: BTreeMap<String, CategoryIds>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CategoryIds {
    pub id: i64,
    /// Every group of the category by Code.
    pub groups: BTreeMap<String, i64>,
}

/// A refusal of one entry names it; trouble (503, 500) stays as it is.
fn at<T>(path: &str, outcome: ApiResult<T>) -> ApiResult<T> {
    outcome.map_err(|e| match e {
        ApiError::BadRequest(m)
        | ApiError::NotFound(m)
        | ApiError::Forbidden(m)
        | ApiError::Conflict(m) => ApiError::BadRequest(format!("{path}: {m}")),
        other => other,
    })
}

/// The admin acting with `permission`, as a route with that permission would check it.
struct Seeder {
    caller: Caller,
    memo: Arc<PermissionMemo>,
    now: NaiveDateTime,
}

impl Seeder {
    fn as_route(&self, permission: Permission) -> Authorized {
        Authorized {
            caller: self.caller.clone(),
            permission: Some(permission),
            known_permissions: self.memo.clone(),
        }
    }

    fn course<L: Hold>(
        &self,
        conn: &mut DbConnection,
        id: i64,
        permission: Permission,
    ) -> ApiResult<Held<L>> {
        access::course_held::<L>(conn, &self.as_route(permission), id, Missing::NotFound)
    }

    fn actor(&self) -> crate::domain::history::Actor {
        access::actor(&self.caller)
    }
}

/// The user named `name` in the institution, or a refusal naming the entry.
fn user_named(
    conn: &mut DbConnection,
    institution_id: i64,
    path: &str,
    name: &str,
) -> ApiResult<i64> {
    users::by_name_key(conn, institution_id, &name.to_lowercase())?
        .map(|u| u.id)
        .ok_or_else(|| ApiError::bad_request(format!("{path}: there is no user named {name:?}.")))
}

fn role_named(
    conn: &mut DbConnection,
    institution_id: i64,
    path: &str,
    name: &str,
) -> ApiResult<crate::db::rows::Role> {
    roles::by_name(conn, institution_id, name)?
        .ok_or_else(|| ApiError::bad_request(format!("{path}: there is no role named {name:?}.")))
}

/// Seeds `world` into the default institution, inside the caller's transaction, at business
/// time `now`; answers the ids it made. `memo` remembers the admin's permissions for this
/// seed only (a fresh one: nothing here may outlive a rolled-back seed).
pub fn apply(
    conn: &mut DbConnection,
    world: &World,
    memo: Arc<PermissionMemo>,
    now: NaiveDateTime,
) -> ApiResult<Created> {
    let mut institution = bootstrap::default_institution(conn)?;
    let admin = users::by_name_key(conn, institution.id, "admin")?.ok_or_else(|| {
        ApiError::bad_request("The default institution has no user named admin to seed as.")
    })?;
    let seeder = Seeder {
        caller: Caller {
            user_id: admin.id,
            institution_id: institution.id,
            tenant_id: institution.tenant_id.clone(),
            scopes: ScopeSet::parse("*:*:*").map_err(ApiError::internal)?,
            client_id: Some(SEED_CLIENT_ID.into()),
            grant_id: None,
            expires_at: i64::MAX,
        },
        memo,
        now,
    };
    if let Some(name) = &world.institution_name {
        institution.name = name.clone();
        institution.updated_at = now;
        at("institution.Name", institutions::update(conn, &institution))?;
    }
    let root = access::at_root(conn, &seeder.as_route(Permission::UsersCreate))?;
    let mut created = Created {
        institution: InstitutionIds {
            id: institution.id,
            tenant_id: institution.tenant_id.clone(),
            root_org_unit_id: root.id,
        },
        ..Created::default()
    };
    created.users.insert(admin.user_name.clone(), admin.id);

    for entry in &world.users {
        let role = role_named(
            conn,
            institution.id,
            &format!("{}.Role", entry.at),
            &entry.role,
        )?;
        let new = NewUser {
            institution_id: institution.id,
            created_at: now,
            ..entry.user.clone()
        };
        let auth = seeder.as_route(Permission::UsersCreate);
        let user = at(
            &entry.at,
            crate::services::users::create(conn, &auth, &root, &new, role.id),
        )?;
        if let Some(hash) = &entry.password_hash {
            sign_in::set_password(conn, &user, hash)?;
        }
        created.users.insert(user.user_name.clone(), user.id);
    }

    for entry in &world.clients {
        if clients::find(conn, &entry.client_id)?.is_some() {
            return Err(ApiError::bad_request(format!(
                "{}.ClientId: {:?} is already a client's id.",
                entry.at, entry.client_id
            )));
        }
        let user = user_named(
            conn,
            institution.id,
            &format!("{}.User", entry.at),
            &entry.user,
        )?;
        let client = OAuthClient::acting_as(
            user,
            institution.id,
            entry.client_id.clone(),
            entry.name.clone(),
            entry.secret_hash.clone(),
            entry.scope.to_string(),
            now,
        );
        clients::insert(conn, &client)?;
        created.clients.push(entry.client_id.clone());
    }

    for course in &world.courses {
        let ids = seed_course(conn, &seeder, &root, institution.id, course)?;
        created.courses.insert(course.code.clone(), ids);
    }
    created.roles = roles::of_institution(conn, institution.id)?
        .into_iter()
        .map(|r| (r.name, r.id))
        .collect();
    Ok(created)
}

fn seed_course(
    conn: &mut DbConnection,
    seeder: &Seeder,
    root: &crate::db::rows::OrgUnit,
    institution_id: i64,
    entry: &SeedCourse,
) -> ApiResult<CourseIds> {
    let offering = at(&entry.at, courses::create(conn, root, &entry.offering))?;
    let course_id = offering.offering.id;
    let actor = seeder.actor();

    // Sections first, while no one is enrolled: the sections the settings make start empty,
    // and the file says who is in each.
    let settings = entry.section_settings.clone().or_else(|| {
        (!entry.sections.is_empty()).then_some(NewSettings {
            style: crate::domain::sections::Style::NumberOfSections,
            quantity: 1,
            auto_enroll: false,
            randomize_enrollments: false,
            descriptions_visible: false,
        })
    });
    if let Some(settings) = &settings {
        let course = seeder.course::<StructureHeld>(conn, course_id, Permission::SectionsManage)?;
        at(
            &format!("{}.SectionSettings", entry.at),
            sections::initialize(conn, &course, settings, &actor),
        )?;
        for unit in &entry.sections {
            let existing = section_codes(conn, &course)?;
            if existing.contains_key(&unit.code.to_lowercase()) {
                continue;
            }
            let change = unit.create.as_ref().ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{}.Name: the settings made no section with Code {:?}; give its Name to create it.",
                    unit.at, unit.code
                ))
            })?;
            at(&unit.at, sections::create(conn, &course, change))?;
        }
    }

    for enrollment in &entry.enrollments {
        let user = user_named(
            conn,
            institution_id,
            &format!("{}.User", enrollment.at),
            &enrollment.user,
        )?;
        let role = role_named(
            conn,
            institution_id,
            &format!("{}.Role", enrollment.at),
            &enrollment.role,
        )?;
        let auth = seeder.as_route(Permission::EnrollmentsManage);
        let unit = access::org_unit_for_members(conn, &auth, course_id)?;
        at(
            &enrollment.at,
            enrollments::enroll(conn, &auth, &unit, user, role.id),
        )?;
    }

    let mut ids = CourseIds {
        id: course_id,
        ..CourseIds::default()
    };
    if settings.is_some() {
        let course = seeder.course::<MembersHeld>(conn, course_id, Permission::SectionsEnroll)?;
        let codes = section_codes(conn, &course)?;
        for unit in &entry.sections {
            let Some((_, section)) = codes.get(&unit.code.to_lowercase()) else {
                continue;
            };
            for (i, member) in unit.members.iter().enumerate() {
                let path = format!("{}.Members[{i}]", unit.at);
                let user = user_named(conn, institution_id, &path, member)?;
                at(
                    &path,
                    sections::enroll(conn, &course, *section, user, &actor),
                )?;
            }
        }
        ids.sections = codes.into_values().collect();
    }

    for category in &entry.categories {
        let (name, category_ids) = seed_category(
            conn,
            seeder,
            course_id,
            &ids.sections,
            institution_id,
            category,
        )?;
        ids.categories.insert(name, category_ids);
    }
    Ok(ids)
}

/// The course's sections, by lower-cased code: (code as written, id).
fn section_codes(
    conn: &mut DbConnection,
    course: &Course,
) -> ApiResult<BTreeMap<String, (String, i64)>> {
    Ok(sections::list(conn, course)?
        .into_iter()
        .filter_map(|s| {
            let code = s.unit.code?;
            Some((code.to_lowercase(), (code, s.unit.id)))
        })
        .collect())
}

/// Creates the category as the API does, then runs its creation job's work at once (as the
/// worker would, in this transaction) so that its groups exist for the members the file gives.
fn seed_category(
    conn: &mut DbConnection,
    seeder: &Seeder,
    course_id: i64,
    sections_by_code: &BTreeMap<String, i64>,
    institution_id: i64,
    entry: &SeedCategory,
) -> ApiResult<(String, CategoryIds)> {
    let mut spec = entry.spec.clone();
    if let Some(code) = &entry.restricted_by {
        let section = sections_by_code
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|(_, id)| *id)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{}.RestrictedBy: the course has no section with Code {code:?}.",
                    entry.at
                ))
            })?;
        spec.restricted_by_org_unit_id = Some(section);
    }
    let course = seeder.course::<MembersHeld>(conn, course_id, Permission::GroupsManage)?;
    let category = at(&entry.at, groups::create_category(conn, &course, &spec))?;
    group_jobs::create_groups(conn, category.id, seeder.now)?;
    jobs::cancel_pending(conn, jobs::CREATE_GROUPS, category.id)?;

    let group_codes =
        |conn: &mut DbConnection, course: &Course| -> ApiResult<BTreeMap<String, (String, i64)>> {
            Ok(groups::list_groups(conn, course, category.id)?
                .into_iter()
                .filter_map(|g| {
                    let code = g.unit.code?;
                    Some((code.to_lowercase(), (code, g.unit.id)))
                })
                .collect())
        };
    let actor = seeder.actor();
    for unit in &entry.groups {
        let existing = group_codes(conn, &course)?;
        let group = match existing.get(&unit.code.to_lowercase()) {
            Some((_, id)) => *id,
            None => {
                let change: &GroupChange = unit.create.as_ref().ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{}.Name: the category's creation made no group with Code {:?}; give its Name to create it.",
                        unit.at, unit.code
                    ))
                })?;
                let made = at(
                    &unit.at,
                    groups::create_group(conn, &course, category.id, change),
                )?;
                made.unit.id
            }
        };
        for (i, member) in unit.members.iter().enumerate() {
            let path = format!("{}.Members[{i}]", unit.at);
            let user = user_named(conn, institution_id, &path, member)?;
            at(
                &path,
                groups::enroll(conn, &course, category.id, group, user, &actor),
            )?;
        }
    }
    let groups = group_codes(conn, &course)?.into_values().collect();
    Ok((
        entry.spec.name.clone(),
        CategoryIds {
            id: category.id,
            groups,
        },
    ))
}

/// Empties the database and makes it the seeded world again, with the same ids (identities
/// restart: docs/testing.md). The default institution is made again as the bootstrap makes
/// it, but with its tenant id and signing keys as they were, so that tokens issued before the
/// reset to users and clients that the seed makes again stay valid. `world` is `None` for a
/// bare institution. Inside the caller's transaction; answers the ids.
pub fn reset(
    conn: &mut DbConnection,
    world: Option<&World>,
    learner_role_name: &str,
    memo: Arc<PermissionMemo>,
    now: NaiveDateTime,
) -> ApiResult<Created> {
    let institution = bootstrap::default_institution(conn)?;
    let mut keys: Vec<SigningKeyRow> = signing_keys::all_with_tenant(conn)?
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| key.institution_id == institution.id)
        .collect();
    keys.sort_by_key(|key| std::cmp::Reverse(key.created_at));
    let Some(newest) = keys.first().cloned() else {
        return Err(ApiError::internal(
            "the default institution has no signing key",
        ));
    };
    reset::empty_all(conn)?;
    let made = bootstrap::create_institution(
        conn,
        DEFAULT_ACRONYM,
        "Default Institution",
        None,
        learner_role_name,
        newest,
    )?;
    reset::set_tenant_id(conn, made.institution.id, &institution.tenant_id)?;
    for mut older in keys.into_iter().skip(1) {
        older.institution_id = made.institution.id;
        signing_keys::insert(conn, &older)?;
    }
    apply(conn, world.unwrap_or(&World::default()), memo, now)
}

/// [`reset`] in a transaction of its own, with a permission memo of its own (test mode's start
/// and `POST /testing/reset`).
pub fn reset_database(
    db: &Db,
    world: Option<&World>,
    learner_role_name: &str,
    now: NaiveDateTime,
) -> ApiResult<Created> {
    let memo = Arc::new(db.memo(1_024));
    db.write_sync(|conn| reset(conn, world, learner_role_name, memo.clone(), now))
}
