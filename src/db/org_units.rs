//! Org units: the institution's tree (root, ancestors) and a course's child org units, the
//! sections and groups, with their codes (unique in the course regardless of case), batch
//! creation, and the course lock that orders every writer of a course.

use std::collections::HashSet;

use chrono::Utc;
use diesel::prelude::*;

use super::rows::{org_unit_type, NewOrgUnit, OrgUnit};
use super::{DbConnection, BATCH_ROWS};
use crate::domain::naming::next_name;
use crate::domain::rich_text::RichText;
use crate::error::{ApiError, ApiResult};
use crate::schema::org_units;

/// Loads an org unit of the caller's institution; another institution's is "not found".
pub fn find_in_institution(
    conn: &mut DbConnection,
    institution_id: i64,
    id: i64,
) -> ApiResult<OrgUnit> {
    org_units::table
        .filter(org_units::id.eq(id))
        .filter(org_units::institution_id.eq(institution_id))
        .select(OrgUnit::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Org unit {id} not found.")))
}

/// [`find_in_institution`], and on PostgreSQL the row's lock in `mode` for the rest of the
/// transaction, in the same statement (see [`CourseLock`]): one round trip where a write
/// would otherwise find the course and then lock it.
pub fn find_in_institution_locked(
    conn: &mut DbConnection,
    institution_id: i64,
    id: i64,
    mode: CourseLock,
) -> ApiResult<OrgUnit> {
    let unit = org_units::table
        .filter(org_units::id.eq(id))
        .filter(org_units::institution_id.eq(institution_id));
    let found = match conn {
        DbConnection::Pg(pg) => {
            let unit = unit.select(OrgUnit::as_select());
            match mode {
                CourseLock::Members => unit.for_share().get_result(pg),
                CourseLock::Structure => unit.for_no_key_update().get_result(pg),
            }
        }
        DbConnection::Sqlite(sqlite) => unit.select(OrgUnit::as_select()).get_result(sqlite),
    };
    found
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Org unit {id} not found.")))
}

/// The institution's root org unit (the Organization).
pub fn root(conn: &mut DbConnection, institution_id: i64) -> ApiResult<OrgUnit> {
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
pub fn ancestors(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<Vec<i64>> {
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
        .get_result(conn)
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

/// Creates a child org unit (section or group) of the course; answers its id.
pub fn create_child(
    conn: &mut DbConnection,
    course: &OrgUnit,
    type_id: i64,
    name: &str,
    code: &str,
    description: Option<&RichText>,
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
/// in the order of `names_and_codes`. Codes must be free in the course (see `domain::naming::next_name`): the
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
        per_backend!(conn, c => diesel::insert_into(org_units::table).values(chunk).execute(c))?;
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
    let names = numbered_names(conn, course.id, prefix, count)?;
    create_children(conn, course, type_id, &names)
}

/// The (name, code) of each of `count` children [`create_numbered`] would create now: also
/// what a preview of it shows.
pub fn numbered_names(
    conn: &mut DbConnection,
    course_id: i64,
    prefix: &str,
    count: usize,
) -> ApiResult<Vec<(String, String)>> {
    let mut taken = taken_codes(conn, course_id)?;
    let mut names = Vec::with_capacity(count);
    let mut next = 1;
    for _ in 0..count {
        let (name, code, used) = next_name(prefix, next, &mut taken);
        next = used + 1;
        names.push((name, code));
    }
    Ok(names)
}

/// Renames a section or group and replaces its description.
pub fn update_child(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    code: &str,
    description: &RichText,
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

/// Deletes a section or group; its memberships go with it (foreign keys cascade).
pub fn delete(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
    diesel::delete(org_units::table.find(id)).execute(conn)?;
    Ok(())
}

/// Deletes org units `ids` (a category's groups), in batches.
pub fn delete_all(conn: &mut DbConnection, ids: &[i64]) -> ApiResult<()> {
    for chunk in ids.chunks(super::BATCH_ROWS) {
        diesel::delete(org_units::table.filter(org_units::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

/// Org unit `id`, whatever its institution (for work that already knows it is theirs: jobs).
pub fn find(conn: &mut DbConnection, id: i64) -> ApiResult<OrgUnit> {
    org_units::table
        .find(id)
        .select(OrgUnit::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Org unit {id} not found.")))
}

/// Creates an institution's root org unit (its Organization), coded with its acronym.
pub fn create_root(
    conn: &mut DbConnection,
    institution_id: i64,
    name: &str,
    acronym: &str,
) -> ApiResult<OrgUnit> {
    let id: i64 = diesel::insert_into(org_units::table)
        .values(NewOrgUnit {
            institution_id,
            type_id: org_unit_type::ORGANIZATION,
            name: name.to_string(),
            code: Some(acronym.to_string()),
            is_active: true,
            created_at: Utc::now().naive_utc(),
            ..NewOrgUnit::default()
        })
        .returning(org_units::id)
        .get_result(conn)?;
    find(conn, id)
}
