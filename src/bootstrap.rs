//! Creating an institution with everything it needs to be usable at once: its root org unit,
//! the default roles with their permissions, an `admin` user enrolled at the root as
//! Administrator (a cascading role), and an RSA signing key.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::auth::tokens::generate_key_row;
use crate::db::rows::*;
use crate::db::{Db, DbConnection};
use crate::domain::permissions::default_roles;
use crate::error::{ApiError, ApiResult};
use crate::schema::{
    enrollments, institutions, org_units, role_permissions, roles, signing_keys, users,
};

/// The default institution's acronym; its root org unit is 6606 on a fresh database.
pub const DEFAULT_ACRONYM: &str = "DEFAULT";

pub struct CreatedInstitution {
    pub institution: Institution,
    pub root: OrgUnit,
    pub admin: User,
}

/// Creates the default institution unless one exists. Safe to run from several processes at
/// once: on PostgreSQL they queue on an advisory lock inside the transaction.
pub fn ensure_default_institution(db: &Db) -> ApiResult<Option<CreatedInstitution>> {
    // Key generation is slow; do it before taking the write lock, and waste it if not needed.
    let key = generate_key_row(0).map_err(ApiError::internal)?;
    db.write_sync(move |conn| {
        if let DbConnection::Pg(_) = conn {
            conn.batch_execute("SELECT pg_advisory_xact_lock(660602)")?;
        }
        // Only an empty database gets one: once created, the default institution may be
        // renamed (even its acronym) without a new "DEFAULT" appearing at the next start.
        let exists = institutions::table.count().get_result::<i64>(conn)? > 0;
        if exists {
            return Ok(None);
        }
        create_institution(
            conn,
            DEFAULT_ACRONYM,
            "Default Institution",
            None,
            key.clone(),
        )
        .map(Some)
    })
}

/// Creates an institution inside the caller's transaction. `key` comes from
/// [`generate_key_row`]; its institution id is filled in here.
pub fn create_institution(
    conn: &mut DbConnection,
    acronym: &str,
    name: &str,
    mail_domain: Option<&str>,
    mut key: SigningKeyRow,
) -> ApiResult<CreatedInstitution> {
    let now = Utc::now().naive_utc();
    let tenant_id = uuid::Uuid::new_v4().to_string();
    let institution_id: i64 = diesel::insert_into(institutions::table)
        .values(NewInstitution {
            tenant_id: &tenant_id,
            acronym,
            name,
            mail_domain,
            created_at: now,
            updated_at: now,
        })
        .returning(institutions::id)
        .get_result(conn)?;
    let institution: Institution = institutions::table
        .find(institution_id)
        .select(Institution::as_select())
        .first(conn)?;
    let root_id: i64 = diesel::insert_into(org_units::table)
        .values(NewOrgUnit {
            institution_id: institution.id,
            type_id: org_unit_type::ORGANIZATION,
            name: name.to_string(),
            code: Some(acronym.to_string()),
            is_active: true,
            created_at: now,
            ..NewOrgUnit::default()
        })
        .returning(org_units::id)
        .get_result(conn)?;
    let root: OrgUnit = org_units::table
        .find(root_id)
        .select(OrgUnit::as_select())
        .first(conn)?;

    let mut administrator = None;
    for (role_name, code, cascading, permissions) in default_roles() {
        let role_id: i64 = diesel::insert_into(roles::table)
            .values(NewRole {
                institution_id: institution.id,
                name: role_name,
                code,
                is_cascading: cascading,
            })
            .returning(roles::id)
            .get_result(conn)?;
        let role: Role = roles::table
            .find(role_id)
            .select(Role::as_select())
            .first(conn)?;
        // One row at a time: Diesel has no batch insert that both backends share.
        for permission in &permissions {
            diesel::insert_into(role_permissions::table)
                .values((
                    role_permissions::role_id.eq(role.id),
                    role_permissions::permission.eq(permission.name()),
                ))
                .execute(conn)?;
        }
        if role_name == "Administrator" {
            administrator = Some(role);
        }
    }
    let administrator = administrator
        .ok_or_else(|| ApiError::internal("no Administrator role among the defaults"))?;

    let admin_id: i64 = diesel::insert_into(users::table)
        .values(NewUser {
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
        })
        .returning(users::id)
        .get_result(conn)?;
    let admin: User = users::table
        .find(admin_id)
        .select(User::as_select())
        .first(conn)?;
    diesel::insert_into(enrollments::table)
        .values(Enrollment {
            user_id: admin.id,
            org_unit_id: root.id,
            institution_id: institution.id,
            role_id: administrator.id,
            is_cascading: true,
            created_at: now,
        })
        .execute(conn)?;

    key.institution_id = institution.id;
    diesel::insert_into(signing_keys::table)
        .values(&key)
        .execute(conn)?;
    Ok(CreatedInstitution {
        institution,
        root,
        admin,
    })
}

/// The default institution: the first one created (the bootstrap's, root org unit 6606).
pub fn default_institution(conn: &mut DbConnection) -> ApiResult<Institution> {
    institutions::table
        .order(institutions::id.asc())
        .select(Institution::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("There is no institution yet; run d2l-groups migrate."))
}

/// Finds an institution by numeric id or acronym (case-insensitive).
pub fn find_institution(conn: &mut DbConnection, id_or_acronym: &str) -> ApiResult<Institution> {
    let by_id = id_or_acronym.parse::<i64>().ok();
    let all: Vec<Institution> = institutions::table
        .select(Institution::as_select())
        .load(conn)?;
    all.into_iter()
        .find(|i| Some(i.id) == by_id || i.acronym.eq_ignore_ascii_case(id_or_acronym))
        .ok_or_else(|| ApiError::not_found(format!("No institution {id_or_acronym:?}.")))
}

/// Finds a user of an institution by numeric id or user name (case-insensitive).
pub fn find_user_by_name_or_id(
    conn: &mut DbConnection,
    institution_id: i64,
    who: &str,
) -> ApiResult<User> {
    let mut q = users::table
        .filter(users::institution_id.eq(institution_id))
        .into_boxed();
    q = match who.parse::<i64>() {
        Ok(id) => q.filter(
            users::id
                .eq(id)
                .or(users::user_name_key.eq(who.to_lowercase())),
        ),
        Err(_) => q.filter(users::user_name_key.eq(who.to_lowercase())),
    };
    q.select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!("No user {who:?} in institution {institution_id}."))
        })
}
