//! The course-side data that sections and groups share: the course's learners, its child org
//! units and their codes, and explicit memberships (inserted in batches, per backend, because
//! Diesel has no batch insert across the multi-backend connection and 20,000 single-row inserts
//! are too slow on PostgreSQL).

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use diesel::prelude::*;

use super::rows::{org_unit_type, Member, NewOrgUnit, OrgUnit};
use super::DbConnection;
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::schema::{enrollments, org_unit_members, org_units, roles};

/// Rows a batch insert sends at once: well under both backends' bind-parameter limits.
const BATCH_ROWS: usize = 2_000;

/// The course's learners: users enrolled there with the Student role, by user id.
pub fn learners(conn: &mut DbConnection, course: &OrgUnit) -> ApiResult<Vec<i64>> {
    Ok(enrollments::table
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(course.id))
        .filter(roles::name.eq(LEARNER_ROLE))
        .order(enrollments::user_id.asc())
        .select(enrollments::user_id)
        .load(conn)?)
}

/// The role whose holders sections and groups allocate.
pub const LEARNER_ROLE: &str = "Student";

/// True when `user_id` holds the learner role in `course` (directly).
pub fn is_learner(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let n: i64 = enrollments::table
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .filter(roles::name.eq(LEARNER_ROLE))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
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

/// The course's child org units of one type, by id.
pub fn children(conn: &mut DbConnection, course_id: i64, type_id: i64) -> ApiResult<Vec<OrgUnit>> {
    Ok(org_units::table
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq(type_id))
        .order(org_units::id.asc())
        .select(OrgUnit::as_select())
        .load(conn)?)
}

/// One child of the course of the given type, or 404.
pub fn child(
    conn: &mut DbConnection,
    course_id: i64,
    type_id: i64,
    id: i64,
    what: &str,
) -> ApiResult<OrgUnit> {
    org_units::table
        .filter(org_units::id.eq(id))
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq(type_id))
        .select(OrgUnit::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!("{what} {id} not found in org unit {course_id}."))
        })
}

/// Codes already used by the course's sections and groups, lower-cased: codes are unique within
/// the course regardless of case.
pub fn taken_codes(conn: &mut DbConnection, course_id: i64) -> ApiResult<HashSet<String>> {
    let codes: Vec<Option<String>> = org_units::table
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq_any([org_unit_type::SECTION, org_unit_type::GROUP]))
        .select(org_units::code)
        .load(conn)?;
    Ok(codes
        .into_iter()
        .flatten()
        .map(|c| c.to_lowercase())
        .collect())
}

/// The course's taken codes, read only once a unit is about to be created: most placements
/// join an existing group or section, and a large course's codes are many rows to read inside
/// a placement's turn.
#[derive(Default)]
pub struct TakenCodes(Option<HashSet<String>>);

impl TakenCodes {
    pub fn get(
        &mut self,
        conn: &mut DbConnection,
        course_id: i64,
    ) -> ApiResult<&mut HashSet<String>> {
        if self.0.is_none() {
            self.0 = Some(taken_codes(conn, course_id)?);
        }
        self.0
            .as_mut()
            .ok_or_else(|| ApiError::internal("taken codes vanished"))
    }
}

/// 400 unless `code` is free in the course (ignoring `except`, the unit being renamed).
pub fn require_code_free(
    conn: &mut DbConnection,
    course_id: i64,
    code: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    let clash: Option<i64> = org_units::table
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq_any([org_unit_type::SECTION, org_unit_type::GROUP]))
        .filter(org_units::id.ne(except.unwrap_or(0)))
        .select((org_units::id, org_units::code))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .find(|(_, c)| {
            c.as_deref()
                .is_some_and(|c| c.to_lowercase() == code.to_lowercase())
        })
        .map(|(id, _)| id);
    match clash {
        Some(id) => Err(ApiError::bad_request(format!(
            "Code: {code:?} is already the code of org unit {id} in this course."
        ))),
        None => Ok(()),
    }
}

/// The name and code of the next automatically created unit: name `<prefix> <n>` with the
/// first `n` from `start` whose code is free. The code is the name made valid (forbidden
/// characters dropped, the prefix shortened to fit 50 characters); it is added to `taken`.
pub fn next_name(
    prefix: &str,
    start: usize,
    taken: &mut HashSet<String>,
) -> (String, String, usize) {
    let clean: String = prefix
        .chars()
        .filter(|c| !validate::FORBIDDEN_CODE_CHARS.contains(c) && !c.is_control())
        .collect();
    let clean = clean.trim();
    let mut n = start.max(1);
    loop {
        let suffix = n.to_string();
        let room = validate::MAX_CODE_CHARS - suffix.len() - 1;
        let stem: String = clean.chars().take(room).collect();
        let code = if stem.trim().is_empty() {
            suffix.clone()
        } else {
            format!("{} {suffix}", stem.trim_end())
        };
        if taken.insert(code.to_lowercase()) {
            return (format!("{prefix} {n}"), code, n);
        }
        n += 1;
    }
}

/// Creates a child org unit (section or group) of the course; answers its id.
pub fn create_child(
    conn: &mut DbConnection,
    course: &OrgUnit,
    type_id: i64,
    name: &str,
    code: &str,
    description: Option<&crate::wire::RichText>,
) -> ApiResult<i64> {
    Ok(diesel::insert_into(org_units::table)
        .values(NewOrgUnit {
            institution_id: course.institution_id,
            type_id,
            parent_id: Some(course.id),
            name: name.to_string(),
            code: Some(code.to_string()),
            description_text: Some(description.map(|d| d.text.clone()).unwrap_or_default()),
            description_html: Some(description.map(|d| d.html.clone()).unwrap_or_default()),
            is_active: true,
            created_at: Utc::now().naive_utc(),
            ..NewOrgUnit::default()
        })
        .returning(org_units::id)
        .get_result(conn)?)
}

/// Creates many child org units of the course at once (batched per backend); answers their ids
/// in the order of `names_and_codes`. Codes must be free in the course (see [`next_name`]): the
/// ids are found again by code.
pub fn create_children(
    conn: &mut DbConnection,
    course: &OrgUnit,
    type_id: i64,
    names_and_codes: &[(String, String)],
) -> ApiResult<Vec<i64>> {
    let now = Utc::now().naive_utc();
    let rows: Vec<NewOrgUnit> = names_and_codes
        .iter()
        .map(|(name, code)| NewOrgUnit {
            institution_id: course.institution_id,
            type_id,
            parent_id: Some(course.id),
            name: name.clone(),
            code: Some(code.clone()),
            description_text: Some(String::new()),
            description_html: Some(String::new()),
            is_active: true,
            created_at: now,
            ..NewOrgUnit::default()
        })
        .collect();
    for chunk in rows.chunks(BATCH_ROWS / 4) {
        match conn {
            DbConnection::Pg(c) => diesel::insert_into(org_units::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(org_units::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    let mut by_code = std::collections::HashMap::with_capacity(rows.len());
    let codes: Vec<&str> = names_and_codes
        .iter()
        .map(|(_, code)| code.as_str())
        .collect();
    for chunk in codes.chunks(BATCH_ROWS) {
        let found: Vec<(i64, Option<String>)> = org_units::table
            .filter(org_units::parent_id.eq(course.id))
            .filter(org_units::type_id.eq(type_id))
            .filter(org_units::code.eq_any(chunk))
            .select((org_units::id, org_units::code))
            .load(conn)?;
        by_code.extend(
            found
                .into_iter()
                .filter_map(|(id, code)| code.map(|c| (c, id))),
        );
    }
    codes
        .iter()
        .map(|code| {
            by_code.get(*code).copied().ok_or_else(|| {
                ApiError::internal(format!("created org unit {code:?} not found again"))
            })
        })
        .collect()
}

/// Creates `count` children named `<prefix> 1`, `<prefix> 2`, ... (skipping codes taken in the
/// course), in one batch; answers their ids in order.
pub fn create_numbered(
    conn: &mut DbConnection,
    course: &OrgUnit,
    type_id: i64,
    prefix: &str,
    count: usize,
) -> ApiResult<Vec<i64>> {
    let mut taken = taken_codes(conn, course.id)?;
    let mut names = Vec::with_capacity(count);
    let mut next = 1;
    for _ in 0..count {
        let (name, code, used) = next_name(prefix, next, &mut taken);
        next = used + 1;
        names.push((name, code));
    }
    create_children(conn, course, type_id, &names)
}

/// Renames a section or group and replaces its description.
pub fn update_child(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    code: &str,
    description: &crate::wire::RichText,
) -> ApiResult<()> {
    diesel::update(org_units::table.find(id))
        .set((
            org_units::name.eq(name),
            org_units::code.eq(code),
            org_units::description_text.eq(&description.text),
            org_units::description_html.eq(&description.html),
        ))
        .execute(conn)?;
    Ok(())
}

/// How a unit of work holds the course it changes (PostgreSQL; SQLite has one writer anyway).
///
/// Every unit of work that changes a course's sections, groups or memberships locks the course
/// row first, before anything else it locks, so that all of them take their locks in one order:
/// course, then the user's enrollment, then the section settings, then AutoEnroll categories by
/// id. Neither mode conflicts with the key-share locks that foreign keys take on the course row,
/// so an insert that references the course never deadlocks against a later lock of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourseLock {
    /// Changes who belongs to the course or its parts (enrollments, memberships, AutoEnroll
    /// placement): any number at once (`FOR SHARE`).
    Members,
    /// Changes the course's structure (sections, groups, their codes, a category's groups and
    /// initial members): alone, with no membership change in flight (`FOR NO KEY UPDATE`). A
    /// creation job then sees every learner who will not be placed by their own transaction.
    Structure,
}

/// Takes the course row's lock for the rest of the transaction (see [`CourseLock`]).
pub fn lock_course(conn: &mut DbConnection, course_id: i64, mode: CourseLock) -> ApiResult<()> {
    if let DbConnection::Pg(pg) = conn {
        let course = org_units::table
            .filter(org_units::id.eq(course_id))
            .select(org_units::id);
        match mode {
            CourseLock::Members => course.for_share().load::<i64>(pg)?,
            CourseLock::Structure => course.for_no_key_update().load::<i64>(pg)?,
        };
    }
    Ok(())
}

/// Whether `user_id` is enrolled in `course_id`, holding that enrollment (`FOR SHARE`) so that
/// it cannot be removed, nor its role changed and placed, until this transaction ends: a
/// membership added now cannot outlive the enrollment or race its AutoEnroll placement.
pub fn hold_enrollment(conn: &mut DbConnection, course_id: i64, user_id: i64) -> ApiResult<bool> {
    let enrollment = enrollments::table
        .filter(enrollments::org_unit_id.eq(course_id))
        .filter(enrollments::user_id.eq(user_id))
        .select(enrollments::user_id);
    let found: Vec<i64> = match conn {
        DbConnection::Pg(pg) => enrollment.for_share().load(pg)?,
        DbConnection::Sqlite(sqlite) => enrollment.load(sqlite)?,
    };
    Ok(!found.is_empty())
}

/// Inserts memberships in batches; one that exists already is left as it is.
pub fn insert_members(conn: &mut DbConnection, rows: &[Member]) -> ApiResult<usize> {
    let mut added = 0;
    for chunk in rows.chunks(BATCH_ROWS) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_valid_and_unique() {
        let mut taken: HashSet<String> = ["section 2".to_string()].into();
        assert_eq!(
            next_name("Section", 1, &mut taken),
            ("Section 1".into(), "Section 1".into(), 1)
        );
        assert_eq!(
            next_name("Section", 2, &mut taken),
            ("Section 3".into(), "Section 3".into(), 3)
        );
        let (name, code, _) = next_name("Projects, Fall & Spring: #1", 1, &mut taken);
        assert_eq!(name, "Projects, Fall & Spring: #1 1");
        assert_eq!(code, "Projects Fall  Spring 1 1");
        assert!(validate::code("Code", &code).is_ok());
        let long = "x".repeat(80);
        let (_, code, _) = next_name(&long, 7, &mut taken);
        assert_eq!(code.chars().count(), 50);
        assert!(code.ends_with(" 7"));
        let (_, code, _) = next_name("***", 1, &mut taken);
        assert_eq!(code, "1");
    }
}
