//! Enrollments: a user's role in an org unit (found, made, changed, removed, paged by org unit
//! and by user), and the course's learners that sections and groups allocate.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::{Enrollment, OrgUnit, Role, User};
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{enrollments, org_units, roles, users};

/// The course's learners: users enrolled there in a role that can be auto-enrolled
/// (Brightspace's role setting, not the role's name), by user id: whom sections and groups
/// allocate.
pub fn learners(conn: &mut DbConnection, course: &OrgUnit) -> ApiResult<Vec<i64>> {
    Ok(enrollments::table
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(course.id))
        .filter(roles::can_be_auto_enrolled.eq(true))
        .order(enrollments::user_id.asc())
        .select(enrollments::user_id)
        .load(conn)?)
}

/// True when `user_id` is enrolled in `course_id` directly, in any role.
pub fn is_enrolled(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let n: i64 = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// `user_id`'s enrollment in `course_id`, held (`FOR SHARE`) so that it cannot be removed, nor
/// its role changed and placed, until this transaction ends: a membership added now cannot
/// outlive the enrollment or race its AutoEnroll placement, and takes its role.
pub fn hold_enrollment(
    conn: &mut DbConnection,
    course_id: i64,
    user_id: i64,
) -> ApiResult<Option<Enrollment>> {
    let enrollment = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id));
    Ok(match conn {
        DbConnection::Pg(pg) => enrollment
            .select(Enrollment::as_select())
            .for_share()
            .get_result(pg)
            .optional()?,
        DbConnection::Sqlite(sqlite) => enrollment
            .select(Enrollment::as_select())
            .get_result(sqlite)
            .optional()?,
    })
}

/// `user_id`'s enrollment in `org_unit_id` (directly), if any.
pub fn find(
    conn: &mut DbConnection,
    user_id: i64,
    org_unit_id: i64,
) -> ApiResult<Option<Enrollment>> {
    Ok(enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::org_unit_id.eq(org_unit_id))
        .select(Enrollment::as_select())
        .get_result(conn)
        .optional()?)
}

/// Enrolls a user who is not yet enrolled in the org unit.
pub fn insert(conn: &mut DbConnection, enrollment: &Enrollment) -> ApiResult<()> {
    diesel::insert_into(enrollments::table)
        .values(enrollment)
        .execute(conn)?;
    Ok(())
}

/// What an enrollment of user `user_id` in org unit `org_unit_id` with role `role_id` names,
/// in one statement: the user and the role, both of the institution, and the user's present
/// enrollment there if any. None when the user or the role is missing (the caller asks again,
/// one at a time, to say which).
pub fn parties(
    conn: &mut DbConnection,
    institution_id: i64,
    user_id: i64,
    role_id: i64,
    org_unit_id: i64,
) -> ApiResult<Option<(User, Role, Option<Enrollment>)>> {
    Ok(users::table
        .inner_join(
            roles::table.on(roles::id
                .eq(role_id)
                .and(roles::institution_id.eq(institution_id))),
        )
        .left_join(
            enrollments::table.on(enrollments::user_id
                .eq(users::id)
                .and(enrollments::org_unit_id.eq(org_unit_id))),
        )
        .filter(users::id.eq(user_id))
        .filter(users::institution_id.eq(institution_id))
        .select((
            User::as_select(),
            Role::as_select(),
            Option::<Enrollment>::as_select(),
        ))
        .get_result(conn)
        .optional()?)
}

/// Gives an existing enrollment `role` (and the role's cascading).
pub fn set_role(
    conn: &mut DbConnection,
    user_id: i64,
    org_unit_id: i64,
    role: &Role,
) -> ApiResult<()> {
    diesel::update(
        enrollments::table
            .filter(enrollments::user_id.eq(user_id))
            .filter(enrollments::org_unit_id.eq(org_unit_id)),
    )
    .set((
        enrollments::role_id.eq(role.id),
        enrollments::is_cascading.eq(role.is_cascading),
    ))
    .execute(conn)?;
    Ok(())
}

/// Removes `user_id`'s enrollment in `org_unit_id`.
pub fn delete(conn: &mut DbConnection, user_id: i64, org_unit_id: i64) -> ApiResult<()> {
    diesel::delete(
        enrollments::table
            .filter(enrollments::user_id.eq(user_id))
            .filter(enrollments::org_unit_id.eq(org_unit_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Which of an org unit's enrollments a classlist shows: `None` is any.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClasslistFilter {
    pub role_id: Option<i64>,
    /// The user's own activation.
    pub is_active: Option<bool>,
}

/// Up to `limit` of the org unit's enrolled users with an id above `after`, with their roles
/// there, by user id.
pub fn page_of_org_unit(
    conn: &mut DbConnection,
    org_unit_id: i64,
    filter: ClasslistFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(User, Role)>> {
    let mut q = enrollments::table
        .inner_join(users::table)
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(org_unit_id))
        .filter(enrollments::user_id.gt(after))
        .into_boxed();
    if let Some(role_id) = filter.role_id {
        q = q.filter(enrollments::role_id.eq(role_id));
    }
    if let Some(active) = filter.is_active {
        q = q.filter(users::is_active.eq(active));
    }
    Ok(q.order(enrollments::user_id.asc())
        .limit(limit)
        .select((User::as_select(), Role::as_select()))
        .load(conn)?)
}

/// Which of a user's enrollments a list shows: empty or `None` is any.
#[derive(Clone, Debug, Default)]
pub struct OwnFilter {
    /// The org unit types (`orgUnitTypeId`, which may list several).
    pub type_ids: Vec<i64>,
    /// The org unit's activation.
    pub is_active: Option<bool>,
    pub role_id: Option<i64>,
    /// Whether the org unit is open now (active, and today within its dates), as of `now`.
    pub can_access: Option<(bool, NaiveDateTime)>,
    /// Org units not ended before this (no end date, or one at or after it).
    pub ending_from: Option<NaiveDateTime>,
    /// Org units started by this (no start date, or one at or before it).
    pub starting_by: Option<NaiveDateTime>,
}

/// Up to `limit` of the user's enrollments in the institution with an org unit id above
/// `after`, with the org unit and the user's role there, by org unit id: their courses and
/// the sections and groups they are members of alike.
pub fn page_of_user(
    conn: &mut DbConnection,
    institution_id: i64,
    user_id: i64,
    filter: &OwnFilter,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(Enrollment, OrgUnit, Role)>> {
    let mut q = enrollments::table
        .inner_join(org_units::table)
        .inner_join(roles::table)
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::institution_id.eq(institution_id))
        .filter(enrollments::org_unit_id.gt(after))
        .into_boxed();
    if !filter.type_ids.is_empty() {
        q = q.filter(org_units::type_id.eq_any(filter.type_ids.clone()));
    }
    if let Some(active) = filter.is_active {
        q = q.filter(org_units::is_active.eq(active));
    }
    if let Some(role_id) = filter.role_id {
        q = q.filter(enrollments::role_id.eq(role_id));
    }
    if let Some(from) = filter.ending_from {
        q = q.filter(
            org_units::end_date
                .is_null()
                .or(org_units::end_date.ge(from)),
        );
    }
    if let Some(by) = filter.starting_by {
        q = q.filter(
            org_units::start_date
                .is_null()
                .or(org_units::start_date.le(by)),
        );
    }
    if let Some((can, now)) = filter.can_access {
        let open = org_units::is_active
            .eq(true)
            .and(
                org_units::start_date
                    .is_null()
                    .or(org_units::start_date.le(now)),
            )
            .and(
                org_units::end_date
                    .is_null()
                    .or(org_units::end_date.ge(now)),
            );
        q = if can {
            q.filter(open)
        } else {
            q.filter(diesel::dsl::not(open))
        };
    }
    Ok(q.order(enrollments::org_unit_id.asc())
        .limit(limit)
        .select((
            Enrollment::as_select(),
            OrgUnit::as_select(),
            Role::as_select(),
        ))
        .load(conn)?)
}

/// The user's enrollment in org unit `org_unit_id` of the institution, with the org unit and
/// their role there.
pub fn one_of_user(
    conn: &mut DbConnection,
    institution_id: i64,
    user_id: i64,
    org_unit_id: i64,
) -> ApiResult<Option<(OrgUnit, Role)>> {
    Ok(enrollments::table
        .inner_join(org_units::table)
        .inner_join(roles::table)
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::institution_id.eq(institution_id))
        .filter(enrollments::org_unit_id.eq(org_unit_id))
        .select((OrgUnit::as_select(), Role::as_select()))
        .get_result(conn)
        .optional()?)
}
