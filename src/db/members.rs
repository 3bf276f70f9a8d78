//! Explicit memberships of sections and groups (`org_unit_members`, keyed by the course too),
//! inserted in batches: 20,000 single-row inserts are too slow on PostgreSQL.

use std::collections::BTreeMap;

use chrono::Utc;
use diesel::prelude::*;

use super::rows::{Member, OrgUnit, UnitWithMembers};
use super::{DbConnection, BATCH_ROWS};
use crate::error::ApiResult;
use crate::schema::org_unit_members;

/// Inserts memberships in batches; one that exists already is left as it is.
pub fn insert_members(conn: &mut DbConnection, rows: &[Member]) -> ApiResult<usize> {
    let mut added = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
        // Only the duplicate-ignoring statement differs per backend.
        added += match conn {
            DbConnection::Pg(c) => diesel::insert_into(org_unit_members::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(org_unit_members::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(added)
}

/// Adds one membership unless it exists; answers whether it was added.
pub fn add_member(
    conn: &mut DbConnection,
    org_unit_id: i64,
    course_id: i64,
    user_id: i64,
) -> ApiResult<bool> {
    let added = insert_members(
        conn,
        &[Member {
            org_unit_id,
            user_id,
            course_id,
            created_at: Utc::now().naive_utc(),
        }],
    )?;
    Ok(added > 0)
}

/// Members of each of `units`, by user id, keyed by unit id (every unit present).
pub fn members_of(conn: &mut DbConnection, units: &[i64]) -> ApiResult<BTreeMap<i64, Vec<i64>>> {
    let mut out: BTreeMap<i64, Vec<i64>> = units.iter().map(|id| (*id, Vec::new())).collect();
    for chunk in units.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, i64)> = org_unit_members::table
            .filter(org_unit_members::org_unit_id.eq_any(chunk))
            .order((
                org_unit_members::org_unit_id.asc(),
                org_unit_members::user_id.asc(),
            ))
            .select((org_unit_members::org_unit_id, org_unit_members::user_id))
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
    let mut counts = std::collections::HashMap::with_capacity(units.len());
    for chunk in units.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, i64)> = org_unit_members::table
            .filter(org_unit_members::org_unit_id.eq_any(chunk))
            .group_by(org_unit_members::org_unit_id)
            .select((org_unit_members::org_unit_id, diesel::dsl::count_star()))
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
    Ok(org_unit_members::table
        .filter(org_unit_members::user_id.eq(user_id))
        .filter(org_unit_members::org_unit_id.eq_any(units))
        .select(org_unit_members::org_unit_id)
        .load(conn)?)
}

/// Removes every section and group membership a user holds in a course: their enrollment in
/// the course is gone, so they can belong to none of its parts.
pub fn remove_from_course(
    conn: &mut DbConnection,
    course_id: i64,
    user_id: i64,
) -> ApiResult<usize> {
    Ok(diesel::delete(
        org_unit_members::table
            .filter(org_unit_members::course_id.eq(course_id))
            .filter(org_unit_members::user_id.eq(user_id)),
    )
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

/// Removes `user_id` from one section or group; answers whether they were a member.
pub fn remove_member(conn: &mut DbConnection, org_unit_id: i64, user_id: i64) -> ApiResult<bool> {
    let removed = diesel::delete(
        org_unit_members::table
            .filter(org_unit_members::org_unit_id.eq(org_unit_id))
            .filter(org_unit_members::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}
