//! Role permissions in org units. A caller's permissions in org unit X are those of their
//! enrollment at X plus those of their *cascading* enrollments at X's ancestors (the bootstrap
//! Administrator's enrollment at the root cascades to everything). Scopes never widen these.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::auth::Caller;
use crate::db::rows::{org_unit_type, OrgUnit};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::schema::{enrollments, org_units, role_permissions};

/// What a role may do. Stored by name in `role_permissions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    UsersRead,
    UsersCreate,
    CoursesRead,
    CoursesCreate,
    CoursesDelete,
    EnrollmentsRead,
    EnrollmentsManage,
    RolesRead,
    GroupsView,
    GroupsManage,
    GroupsEnroll,
    SectionsView,
    SectionsManage,
    SectionsEnroll,
    /// Manage the institution's own record and its VLE registrations.
    InstitutionManage,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::UsersRead,
        Permission::UsersCreate,
        Permission::CoursesRead,
        Permission::CoursesCreate,
        Permission::CoursesDelete,
        Permission::EnrollmentsRead,
        Permission::EnrollmentsManage,
        Permission::RolesRead,
        Permission::GroupsView,
        Permission::GroupsManage,
        Permission::GroupsEnroll,
        Permission::SectionsView,
        Permission::SectionsManage,
        Permission::SectionsEnroll,
        Permission::InstitutionManage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::UsersRead => "users.read",
            Permission::UsersCreate => "users.create",
            Permission::CoursesRead => "courses.read",
            Permission::CoursesCreate => "courses.create",
            Permission::CoursesDelete => "courses.delete",
            Permission::EnrollmentsRead => "enrollments.read",
            Permission::EnrollmentsManage => "enrollments.manage",
            Permission::RolesRead => "roles.read",
            Permission::GroupsView => "groups.view",
            Permission::GroupsManage => "groups.manage",
            Permission::GroupsEnroll => "groups.enroll",
            Permission::SectionsView => "sections.view",
            Permission::SectionsManage => "sections.manage",
            Permission::SectionsEnroll => "sections.enroll",
            Permission::InstitutionManage => "institution.manage",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The roles every institution starts with: (name, code, cascading, permissions).
pub fn default_roles() -> Vec<(&'static str, &'static str, bool, Vec<Permission>)> {
    use Permission::*;
    vec![
        (
            "Administrator",
            "Administrator",
            true,
            Permission::ALL.to_vec(),
        ),
        (
            "Instructor",
            "Instructor",
            false,
            vec![
                CoursesRead,
                EnrollmentsRead,
                EnrollmentsManage,
                RolesRead,
                GroupsView,
                GroupsManage,
                GroupsEnroll,
                SectionsView,
                SectionsManage,
                SectionsEnroll,
            ],
        ),
        (
            "Teaching Assistant",
            "TA",
            false,
            vec![
                CoursesRead,
                EnrollmentsRead,
                RolesRead,
                GroupsView,
                GroupsEnroll,
                SectionsView,
            ],
        ),
        ("Student", "Student", false, vec![CoursesRead]),
    ]
}

/// The permissions of the "LMS Integration" role held by VLE service users: all but deleting
/// courses and managing the institution.
pub fn default_role_permissions_for_integration() -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| !matches!(p, Permission::CoursesDelete | Permission::InstitutionManage))
        .collect()
}

pub type PermissionSet = HashSet<Permission>;

/// Loads an org unit of the caller's institution; another institution's is "not found".
pub fn find_org_unit(conn: &mut DbConnection, caller: &Caller, id: i64) -> ApiResult<OrgUnit> {
    org_units::table
        .filter(org_units::id.eq(id))
        .filter(org_units::institution_id.eq(caller.institution_id))
        .select(OrgUnit::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Org unit {id} not found.")))
}

/// The institution's root org unit (the Organization).
pub fn root_org_unit(conn: &mut DbConnection, institution_id: i64) -> ApiResult<OrgUnit> {
    org_units::table
        .filter(org_units::institution_id.eq(institution_id))
        .filter(org_units::parent_id.is_null())
        .order(org_units::id.asc())
        .select(OrgUnit::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::internal(format!("institution {institution_id} has no root org unit"))
        })
}

/// The ids of `unit`'s ancestors, nearest first.
fn ancestors(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<Vec<i64>> {
    let mut out = Vec::new();
    let mut next = unit.parent_id;
    while let Some(id) = next {
        if out.contains(&id) || out.len() > 32 {
            return Err(ApiError::internal(format!(
                "org unit {} has a cyclic ancestry",
                unit.id
            )));
        }
        out.push(id);
        next = org_units::table
            .filter(org_units::id.eq(id))
            .select(org_units::parent_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten();
    }
    Ok(out)
}

/// The caller's effective permissions in `unit`: their enrollment there, plus their cascading
/// enrollments above it.
///
/// At an Organization org unit only cascading roles count: a user's org-level role (the
/// `RoleId` of `POST /users/`) is the role they hold in the courses they join, and grants
/// nothing institution-wide — as Brightspace configures role permissions per org-unit type.
pub fn permissions_in(
    conn: &mut DbConnection,
    user_id: i64,
    unit: &OrgUnit,
) -> ApiResult<PermissionSet> {
    let mut units = ancestors(conn, unit)?;
    units.push(unit.id);
    let held: Vec<(i64, i64, bool)> = enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::org_unit_id.eq_any(&units))
        .select((
            enrollments::org_unit_id,
            enrollments::role_id,
            enrollments::is_cascading,
        ))
        .load(conn)?;
    let at_organization = unit.type_id == org_unit_type::ORGANIZATION;
    let role_ids: Vec<i64> = held
        .into_iter()
        .filter(|(org_unit_id, _, cascading)| {
            *cascading || (*org_unit_id == unit.id && !at_organization)
        })
        .map(|(_, role_id, _)| role_id)
        .collect();
    if role_ids.is_empty() {
        return Ok(PermissionSet::new());
    }
    role_permissions_of(conn, &role_ids)
}

/// The union of the permissions of `role_ids`.
pub fn role_permissions_of(conn: &mut DbConnection, role_ids: &[i64]) -> ApiResult<PermissionSet> {
    let names: Vec<String> = role_permissions::table
        .filter(role_permissions::role_id.eq_any(role_ids))
        .select(role_permissions::permission)
        .load(conn)?;
    Ok(names
        .iter()
        .filter_map(|n| Permission::from_name(n))
        .collect())
}

/// Loads org unit `id` and checks the caller holds `permission` there: 404 when the org unit is
/// not the caller's institution's, 403 when the permission is missing.
pub fn require(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    permission: Permission,
) -> ApiResult<OrgUnit> {
    let unit = find_org_unit(conn, caller, id)?;
    require_in(conn, caller, &unit, permission)?;
    Ok(unit)
}

/// Checks `permission` in an org unit already loaded.
pub fn require_in(
    conn: &mut DbConnection,
    caller: &Caller,
    unit: &OrgUnit,
    permission: Permission,
) -> ApiResult<()> {
    if permissions_in(conn, caller.user_id, unit)?.contains(&permission) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Your role in org unit {} lacks the permission {}.",
            unit.id,
            permission.name()
        )))
    }
}

/// Checks `permission` at the institution's root, for institution-wide actions (users, roles).
pub fn require_at_root(
    conn: &mut DbConnection,
    caller: &Caller,
    permission: Permission,
) -> ApiResult<OrgUnit> {
    let root = root_org_unit(conn, caller.institution_id)?;
    require_in(conn, caller, &root, permission)?;
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        assert_eq!(Permission::from_name("nope"), None);
    }

    #[test]
    fn default_roles_are_ordered_by_power() {
        let roles = default_roles();
        let set = |i: usize| roles[i].3.iter().copied().collect::<PermissionSet>();
        assert!(set(1).is_subset(&set(0)));
        assert!(set(2).is_subset(&set(1)));
        assert!(set(3).is_subset(&set(2)));
        assert!(roles[0].2, "Administrator cascades");
        assert!(!roles[1].2 && !roles[2].2 && !roles[3].2);
    }
}
