//! Memberships of sections and groups. As in Brightspace, a member of a section or group is
//! enrolled in it (`enrollments`), with their role in its course: so the enrollment routes,
//! myenrollments and the group and section routes read one table. A membership needs the
//! course enrollment it takes its role from; the course's role change and unenrollment carry
//! over to its sections and groups here. Every membership added or removed here is recorded in
//! the history (`db::history`) with the actor that made it, in the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use diesel::prelude::*;

use super::history;
use super::rows::{Enrollment, Member, OrgUnit, UnitWithMembers};
use super::{DbConnection, BATCH_ROWS};
use crate::domain::history::{Actor, Change};
use crate::error::ApiResult;
use crate::schema::{category_groups, enrollments, group_categories, org_units};

use super::rows::org_unit_type::{GROUP, SECTION};

/// Inserts memberships dealt in batches (sections initialized, a category's groups filled,
/// AutoEnroll), made by `actor`; one that exists already is left as it is, and one whose user
/// is not enrolled in the course is not made (it would have no role).
pub fn insert_members(conn: &mut DbConnection, rows: &[Member], actor: &Actor) -> ApiResult<usize> {
    let mut by_course: BTreeMap<i64, Vec<&Member>> = BTreeMap::new();
    for row in rows {
        by_course.entry(row.course_id).or_default().push(row);
    }
    let mut added = 0;
    for (course_id, members) in by_course {
        for chunk in members.chunks(BATCH_ROWS) {
            let users: Vec<i64> = chunk.iter().map(|m| m.user_id).collect();
            let held = course_roles(conn, course_id, &users)?;
            let enrollments: Vec<Enrollment> = chunk
                .iter()
                .filter_map(|m| {
                    let (institution_id, role_id) = *held.get(&m.user_id)?;
                    Some(Enrollment {
                        user_id: m.user_id,
                        org_unit_id: m.org_unit_id,
                        institution_id,
                        role_id,
                        is_cascading: false,
                        created_at: m.created_at,
                        // Dealt, not enrolled by hand: `EnrolledByUserId` names no one, as
                        // Brightspace's automatic enrollments; the history names the actor.
                        enrolled_by_user_id: None,
                    })
                })
                .collect();
            let made = insert_ignoring_present(conn, &enrollments)?;
            history::record(conn, course_id, &made, Change::Added, actor)?;
            added += made.len();
        }
    }
    Ok(added)
}

/// The (institution, role) of each of `users` enrolled in `course_id`, by user id.
fn course_roles(
    conn: &mut DbConnection,
    course_id: i64,
    users: &[i64],
) -> ApiResult<HashMap<i64, (i64, i64)>> {
    let rows: Vec<(i64, i64, i64)> = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq_any(users))
        .select((
            enrollments::user_id,
            enrollments::institution_id,
            enrollments::role_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, institution, role)| (user, (institution, role)))
        .collect())
}

/// Inserts the rows not present yet; answers the (org unit, user) of those it inserted.
fn insert_ignoring_present(
    conn: &mut DbConnection,
    rows: &[Enrollment],
) -> ApiResult<Vec<(i64, i64)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let made = (enrollments::org_unit_id, enrollments::user_id);
    // Only the duplicate-ignoring statement differs per backend.
    Ok(match conn {
        DbConnection::Pg(c) => diesel::insert_into(enrollments::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(made)
            .get_results(c)?,
        // Diesel runs SQLite's INSERT ... RETURNING row by row, and an ignored row fails it;
        // SQLite's one writer holds the database, so the rows not present now are the ones
        // this statement inserts.
        DbConnection::Sqlite(c) => {
            let units: Vec<i64> = rows.iter().map(|r| r.org_unit_id).collect();
            let users: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
            let present: std::collections::HashSet<(i64, i64)> = enrollments::table
                .filter(enrollments::org_unit_id.eq_any(&units))
                .filter(enrollments::user_id.eq_any(&users))
                .select(made)
                .load::<(i64, i64)>(c)?
                .into_iter()
                .collect();
            diesel::insert_or_ignore_into(enrollments::table)
                .values(rows)
                .execute(c)?;
            let mut inserted: Vec<(i64, i64)> = rows
                .iter()
                .map(|r| (r.org_unit_id, r.user_id))
                .filter(|pair| !present.contains(pair))
                .collect();
            inserted.dedup();
            inserted
        }
    })
}

/// Adds one membership unless it exists (or the user is not enrolled in the course);
/// answers whether it was added.
pub fn add_member(
    conn: &mut DbConnection,
    org_unit_id: i64,
    course_id: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<bool> {
    let member = Member {
        org_unit_id,
        user_id,
        course_id,
        created_at: Utc::now().naive_utc(),
    };
    Ok(insert_members(conn, &[member], actor)? > 0)
}

/// Makes the holder of `course_enrollment` a member of `org_unit_id` (a section or group of
/// that course) with their course role, unless they are one; made by `actor` (whose user
/// `EnrolledByUserId` names). Answers whether it was added.
pub fn add_enrolled(
    conn: &mut DbConnection,
    org_unit_id: i64,
    course_enrollment: &Enrollment,
    actor: &Actor,
) -> ApiResult<bool> {
    let membership = Enrollment {
        org_unit_id,
        is_cascading: false,
        created_at: Utc::now().naive_utc(),
        enrolled_by_user_id: actor.user_id,
        ..course_enrollment.clone()
    };
    let made = insert_ignoring_present(conn, &[membership])?;
    let course_id = course_enrollment.org_unit_id;
    history::record(conn, course_id, &made, Change::Added, actor)?;
    Ok(!made.is_empty())
}

/// Members of each of `units`, by user id, keyed by unit id (every unit present).
pub fn members_of(conn: &mut DbConnection, units: &[i64]) -> ApiResult<BTreeMap<i64, Vec<i64>>> {
    let mut out: BTreeMap<i64, Vec<i64>> = units.iter().map(|id| (*id, Vec::new())).collect();
    for chunk in units.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, i64)> = enrollments::table
            .filter(enrollments::org_unit_id.eq_any(chunk))
            .order((enrollments::org_unit_id.asc(), enrollments::user_id.asc()))
            .select((enrollments::org_unit_id, enrollments::user_id))
            .load(conn)?;
        for (unit, user) in rows {
            out.entry(unit).or_default().push(user);
        }
    }
    Ok(out)
}

/// The members of one unit, by user id.
pub fn of_unit(conn: &mut DbConnection, unit: i64) -> ApiResult<Vec<i64>> {
    Ok(members_of(conn, &[unit])?.remove(&unit).unwrap_or_default())
}

/// How many members each of `units` has, in the order of `units`: counted by the database,
/// so placing one learner does not load every membership of a large course.
pub fn sizes_of(conn: &mut DbConnection, units: &[i64]) -> ApiResult<Vec<usize>> {
    let mut counts = HashMap::with_capacity(units.len());
    for chunk in units.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, i64)> = enrollments::table
            .filter(enrollments::org_unit_id.eq_any(chunk))
            .group_by(enrollments::org_unit_id)
            .select((enrollments::org_unit_id, diesel::dsl::count_star()))
            .load(conn)?;
        counts.extend(rows);
    }
    Ok(units
        .iter()
        .map(|u| {
            counts
                .get(u)
                .map_or(0, |n| usize::try_from(*n).unwrap_or(0))
        })
        .collect())
}

/// The units among `units` that `user_id` belongs to.
pub fn units_of_user(conn: &mut DbConnection, units: &[i64], user_id: i64) -> ApiResult<Vec<i64>> {
    Ok(enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .filter(enrollments::org_unit_id.eq_any(units))
        .select(enrollments::org_unit_id)
        .load(conn)?)
}

/// Removes every section and group membership a user holds in a course, by `actor`: their
/// enrollment in the course is gone, so they can belong to none of its parts.
pub fn remove_from_course(
    conn: &mut DbConnection,
    course_id: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<usize> {
    let parts = org_units::table
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq_any([SECTION, GROUP]))
        .select(org_units::id);
    let units: Vec<i64> = per_backend!(conn, c => diesel::delete(
        enrollments::table
            .filter(enrollments::user_id.eq(user_id))
            .filter(enrollments::org_unit_id.eq_any(parts)),
    )
    .returning(enrollments::org_unit_id)
    .get_results(c))?;
    let removed: Vec<(i64, i64)> = units.iter().map(|unit| (*unit, user_id)).collect();
    history::record(conn, course_id, &removed, Change::Removed, actor)?;
    Ok(removed.len())
}

/// Removes every membership of section or group `org_unit_id` of `course_id`, by `actor`:
/// before the unit itself is deleted, so that the history says who left it.
pub fn remove_all(
    conn: &mut DbConnection,
    org_unit_id: i64,
    course_id: i64,
    actor: &Actor,
) -> ApiResult<usize> {
    remove_all_of(conn, &[org_unit_id], course_id, actor)
}

/// [`remove_all`] for several units of `course_id` at once (a category's groups), in batches.
pub fn remove_all_of(
    conn: &mut DbConnection,
    units: &[i64],
    course_id: i64,
    actor: &Actor,
) -> ApiResult<usize> {
    let mut count = 0;
    for chunk in units.chunks(BATCH_ROWS) {
        let removed: Vec<(i64, i64)> = per_backend!(conn, c => diesel::delete(
            enrollments::table.filter(enrollments::org_unit_id.eq_any(chunk)),
        )
        .returning((enrollments::org_unit_id, enrollments::user_id))
        .get_results(c))?;
        history::record(conn, course_id, &removed, Change::Removed, actor)?;
        count += removed.len();
    }
    Ok(count)
}

/// Gives `user_id`'s memberships in the sections and groups of `course_id` the role they now
/// hold in the course: a member's role there is always their course role.
pub fn follow_course_role(
    conn: &mut DbConnection,
    course_id: i64,
    user_id: i64,
    role_id: i64,
) -> ApiResult<usize> {
    let parts = org_units::table
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq_any([SECTION, GROUP]))
        .select(org_units::id);
    Ok(diesel::update(
        enrollments::table
            .filter(enrollments::user_id.eq(user_id))
            .filter(enrollments::org_unit_id.eq_any(parts)),
    )
    .set(enrollments::role_id.eq(role_id))
    .execute(conn)?)
}

/// Each of `units` with its members (one query per batch of units, not one per unit).
pub fn attach(conn: &mut DbConnection, units: Vec<OrgUnit>) -> ApiResult<Vec<UnitWithMembers>> {
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let mut members = members_of(conn, &ids)?;
    Ok(units
        .into_iter()
        .map(|unit| UnitWithMembers {
            members: members.remove(&unit.id).unwrap_or_default(),
            unit,
        })
        .collect())
}

/// Removes `user_id` from one section or group of `course_id`, by `actor`; answers whether
/// they were a member.
pub fn remove_member(
    conn: &mut DbConnection,
    org_unit_id: i64,
    course_id: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<bool> {
    let removed = diesel::delete(
        enrollments::table
            .filter(enrollments::org_unit_id.eq(org_unit_id))
            .filter(enrollments::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if removed > 0 {
        history::record(
            conn,
            course_id,
            &[(org_unit_id, user_id)],
            Change::Removed,
            actor,
        )?;
    }
    Ok(removed > 0)
}

/// The org unit whose members alone group `group_id` admits (its category's
/// `RestrictedByOrgUnitId`), if any.
pub fn restriction_of_group(conn: &mut DbConnection, group_id: i64) -> ApiResult<Option<i64>> {
    Ok(category_groups::table
        .inner_join(group_categories::table)
        .filter(category_groups::group_id.eq(group_id))
        .select(group_categories::restricted_by_org_unit_id)
        .get_result::<Option<i64>>(conn)
        .optional()?
        .flatten())
}
