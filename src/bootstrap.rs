//! Creating an institution with everything it needs to be usable at once: its root org unit,
//! the default roles with their permissions, an `admin` user enrolled at the root as
//! Administrator (a cascading role), and an RSA signing key. The user and the roles are made
//! by the same queries as every other user and role (`db::users::create_at_root`,
//! `db::roles::create_with_permissions`).

use chrono::Utc;

use crate::auth::tokens::generate_key_row;
use crate::db::rows::*;
use crate::db::{institutions, org_units, roles, signing_keys, users, Db, DbConnection};
use crate::domain::permissions::{default_roles, LEARNER};
use crate::error::{ApiError, ApiResult};

pub use crate::db::users::find_user_by_name_or_id;

/// The default institution's acronym; its root org unit is 6606 on a fresh database.
pub const DEFAULT_ACRONYM: &str = "DEFAULT";

pub struct CreatedInstitution {
    pub institution: Institution,
    pub root: OrgUnit,
    pub admin: User,
}

/// Creates the default institution unless one exists. Safe to run from several processes at
/// once: on PostgreSQL they queue on an advisory lock inside the transaction.
pub fn ensure_default_institution(
    db: &Db,
    learner_role_name: &str,
) -> ApiResult<Option<CreatedInstitution>> {
    // Key generation is slow (RSA-2048): only for a database that has no institution yet, and
    // before taking the write lock; wasted only when another process wins the race below.
    if db.read_sync(institutions::any)? {
        return Ok(None);
    }
    let key = generate_key_row(0).map_err(ApiError::internal)?;
    db.write_sync(move |conn| {
        institutions::lock_creation(conn)?;
        // Only an empty database gets one: once created, the default institution may be
        // renamed (even its acronym) without a new "DEFAULT" appearing at the next start.
        if institutions::any(conn)? {
            return Ok(None);
        }
        create_institution(
            conn,
            DEFAULT_ACRONYM,
            "Default Institution",
            None,
            learner_role_name,
            key.clone(),
        )
        .map(Some)
    })
}

/// Creates an institution inside the caller's transaction. Its learner role (the default
/// roles' one that AutoEnroll places) is called `learner_role_name` ("Student", or "Learner"
/// as many tenants call it). `key` comes from [`generate_key_row`]; its institution id is
/// filled in here.
pub fn create_institution(
    conn: &mut DbConnection,
    acronym: &str,
    name: &str,
    mail_domain: Option<&str>,
    learner_role_name: &str,
    mut key: SigningKeyRow,
) -> ApiResult<CreatedInstitution> {
    let learner_role_name = learner_role_name.trim();
    let clashes = default_roles()
        .iter()
        .any(|(name, ..)| *name != LEARNER && name.eq_ignore_ascii_case(learner_role_name));
    if learner_role_name.is_empty() || clashes {
        return Err(ApiError::bad_request(format!(
            "the learner role name {learner_role_name:?} must be non-empty and differ from the other default roles"
        )));
    }
    let now = Utc::now().naive_utc();
    let tenant_id = uuid::Uuid::new_v4().to_string();
    let institution = institutions::create(
        conn,
        NewInstitution {
            tenant_id: &tenant_id,
            acronym,
            name,
            mail_domain,
            created_at: now,
            updated_at: now,
        },
    )?;
    let root = org_units::create_root(conn, institution.id, name, acronym)?;

    let mut administrator = None;
    for (role_name, code, cascading, permissions) in default_roles() {
        let learner = role_name == LEARNER;
        let role = roles::create_with_permissions(
            conn,
            NewRole {
                institution_id: institution.id,
                name: if learner {
                    learner_role_name
                } else {
                    role_name
                },
                code: if learner { learner_role_name } else { code },
                is_cascading: cascading,
                can_be_auto_enrolled: learner,
            },
            &permissions,
        )?;
        if role_name == "Administrator" {
            administrator = Some(role);
        }
    }
    let administrator = administrator
        .ok_or_else(|| ApiError::internal("no Administrator role among the defaults"))?;

    let admin = users::create_at_root(
        conn,
        NewUser {
            institution_id: institution.id,
            user_name: "admin".into(),
            user_name_key: "admin".into(),
            first_name: "Admin".into(),
            middle_name: None,
            last_name: "User".into(),
            external_email: None,
            org_defined_id: None,
            pronouns: None,
            is_active: true,
            created_at: now,
        },
        &root,
        &administrator,
    )?;

    key.institution_id = institution.id;
    signing_keys::insert(conn, &key)?;
    Ok(CreatedInstitution {
        institution,
        root,
        admin,
    })
}

/// The default institution: the first one created (the bootstrap's, root org unit 6606).
pub fn default_institution(conn: &mut DbConnection) -> ApiResult<Institution> {
    institutions::first(conn)?
        .ok_or_else(|| ApiError::not_found("There is no institution yet; run d2l-groups migrate."))
}

/// Finds an institution by numeric id or acronym (case-insensitive).
pub fn find_institution(conn: &mut DbConnection, id_or_acronym: &str) -> ApiResult<Institution> {
    let by_id = id_or_acronym.parse::<i64>().ok();
    institutions::all(conn)?
        .into_iter()
        .find(|i| Some(i.id) == by_id || i.acronym.eq_ignore_ascii_case(id_or_acronym))
        .ok_or_else(|| ApiError::not_found(format!("No institution {id_or_acronym:?}.")))
}
