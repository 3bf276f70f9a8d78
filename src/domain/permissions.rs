//! Role permissions: what a role may do, the roles every institution starts with, and which
//! held roles count in an org unit. A caller's permissions in org unit X are those of their
//! enrollment at X plus those of their *cascading* enrollments at X's ancestors (the bootstrap
//! Administrator's enrollment at the root cascades to everything). Scopes never widen these.
//! The lookups are `db::permissions`; the checks, `services::access`.

use std::collections::HashSet;

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
    /// Join or leave a group of a self-enrollment category oneself (our extension: Brightspace
    /// offers self-enrollment only in its pages). A learner's permission.
    GroupsSelfEnroll,
    SectionsView,
    SectionsManage,
    SectionsEnroll,
    /// Manage the institution's own record and its VLE registrations.
    InstitutionManage,
    /// See the org structure around an org unit (orgstructure routes): the unit, its
    /// children, descendants, parents and ancestors.
    OrgUnitsRead,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
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
        Permission::GroupsSelfEnroll,
        Permission::SectionsView,
        Permission::SectionsManage,
        Permission::SectionsEnroll,
        Permission::InstitutionManage,
        Permission::OrgUnitsRead,
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
            Permission::GroupsSelfEnroll => "groups.self_enroll",
            Permission::SectionsView => "sections.view",
            Permission::SectionsManage => "sections.manage",
            Permission::SectionsEnroll => "sections.enroll",
            Permission::InstitutionManage => "institution.manage",
            Permission::OrgUnitsRead => "orgunits.read",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The default learner role's name: the one role that can be auto-enrolled (placed by
/// AutoEnroll and the allocation jobs), renamed per institution by `--learner-role-name`.
pub const LEARNER: &str = "Student";

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
                OrgUnitsRead,
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
                OrgUnitsRead,
            ],
        ),
        (LEARNER, LEARNER, false, vec![CoursesRead, GroupsSelfEnroll]),
    ]
}

/// The permissions of the "LMS Integration" role held by VLE service users: all but deleting
/// courses, managing the institution and a learner's own self-enrollment.
pub fn default_role_permissions_for_integration() -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| {
            !matches!(
                p,
                Permission::CoursesDelete
                    | Permission::InstitutionManage
                    | Permission::GroupsSelfEnroll
            )
        })
        .collect()
}

pub type PermissionSet = HashSet<Permission>;

impl Permission {
    /// Whether the permission lets its holder act on their own membership only: it gives no
    /// power over anyone else, so handing out a role that holds it needs no such permission
    /// (an Instructor enrolls Students, who choose their own groups).
    pub fn is_own_action(self) -> bool {
        self == Permission::GroupsSelfEnroll
    }
}

/// Whether a caller holding `held` may hand out (or take away) a role granting `granted`:
/// only when they hold every power it gives over others themselves, so an Instructor can
/// enroll Students but never mint an Administrator.
pub fn may_grant(held: &PermissionSet, granted: &PermissionSet) -> bool {
    granted
        .iter()
        .all(|p| p.is_own_action() || held.contains(p))
}

/// Which of the roles a user holds count in org unit `unit_id`: `held` lists their enrollments
/// there and at its ancestors as (org unit, role, cascading). Cascading roles count below the
/// unit they are held at; a role held at the unit itself counts too, except at an Organization:
/// a user's org-level role (the `RoleId` of `POST /users/`) is the role they hold in the
/// courses they join, and grants nothing institution-wide, as Brightspace configures role
/// permissions per org-unit type.
pub fn counted_roles(held: &[(i64, i64, bool)], unit_id: i64, at_organization: bool) -> Vec<i64> {
    held.iter()
        .filter(|(org_unit_id, _, cascading)| {
            *cascading || (*org_unit_id == unit_id && !at_organization)
        })
        .map(|(_, role_id, _)| *role_id)
        .collect()
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
    fn cascading_roles_count_below_and_own_roles_only_outside_the_organization() {
        // (org unit, role, cascading): an admin role cascading from the root 1, a student
        // role held at course 3.
        let held = [(1, 10, true), (3, 20, false)];
        assert_eq!(counted_roles(&held, 3, false), vec![10, 20]);
        assert_eq!(counted_roles(&held, 1, true), vec![10]);
        assert_eq!(counted_roles(&[(1, 20, false)], 1, true), Vec::<i64>::new());
    }

    #[test]
    fn org_units_are_read_by_every_role_that_reads_enrollments() {
        let holders: Vec<&str> = default_roles()
            .into_iter()
            .filter(|(_, _, _, permissions)| permissions.contains(&Permission::OrgUnitsRead))
            .map(|(name, _, _, _)| name)
            .collect();
        assert_eq!(
            holders,
            ["Administrator", "Instructor", "Teaching Assistant"]
        );
        for (_, _, _, permissions) in default_roles() {
            assert_eq!(
                permissions.contains(&Permission::OrgUnitsRead),
                permissions.contains(&Permission::EnrollmentsRead)
            );
        }
        assert!(default_role_permissions_for_integration().contains(&Permission::OrgUnitsRead));
    }

    #[test]
    fn a_role_is_granted_by_whoever_holds_its_powers_over_others() {
        let roles = default_roles();
        let set = |i: usize| roles[i].3.iter().copied().collect::<PermissionSet>();
        let (admin, instructor, ta, student) = (set(0), set(1), set(2), set(3));
        assert!(
            may_grant(&instructor, &student),
            "self-enrollment is no power over others"
        );
        assert!(may_grant(&instructor, &ta));
        assert!(!may_grant(&instructor, &admin));
        assert!(!may_grant(&ta, &instructor));
        assert!(may_grant(&admin, &student));
        assert!(
            !may_grant(&PermissionSet::new(), &student),
            "courses.read is a power"
        );
    }

    #[test]
    fn default_roles_are_ordered_by_power() {
        // Self-enrollment is a learner's own action, not a power staff lack.
        let roles = default_roles();
        let set = |i: usize| {
            roles[i]
                .3
                .iter()
                .copied()
                .filter(|p| *p != Permission::GroupsSelfEnroll)
                .collect::<PermissionSet>()
        };
        assert!(set(1).is_subset(&set(0)));
        assert!(set(2).is_subset(&set(1)));
        assert!(set(3).is_subset(&set(2)));
        assert!(roles[0].2, "Administrator cascades");
        assert!(!roles[1].2 && !roles[2].2 && !roles[3].2);
        let self_enrolling: Vec<&str> = roles
            .iter()
            .filter(|(_, _, _, held)| held.contains(&Permission::GroupsSelfEnroll))
            .map(|(name, _, _, _)| *name)
            .collect();
        assert_eq!(self_enrolling, ["Administrator", LEARNER]);
    }
}
