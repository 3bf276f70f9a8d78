//! The org structure as the orgstructure routes read it: an org unit's children, descendants,
//! parents and ancestors, each filtered by type, and the institution-wide search. Everything
//! is in id order; a page is the units with an id above the bookmark.

use diesel::prelude::*;

use super::rows::OrgUnit;
use super::{DbConnection, BATCH_ROWS};
use crate::error::{ApiError, ApiResult};
use crate::schema::org_units;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends: searches ignore case.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A `LIKE` pattern (escape character `\`) matching any text that contains `text`, lower-cased
/// (compare it with `lower(column)`).
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Which units a list holds: of one type (`None`: any), with an id above `after`, at most
/// `limit` of them (`None`: all).
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub type_id: Option<i64>,
    pub after: i64,
    pub limit: Option<i64>,
}

/// `unit`'s immediate children.
pub fn children(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    window: Window,
) -> ApiResult<Vec<OrgUnit>> {
    let mut q = org_units::table
        .filter(org_units::institution_id.eq(unit.institution_id))
        .filter(org_units::parent_id.eq(unit.id))
        .filter(org_units::id.gt(window.after))
        .into_boxed();
    if let Some(type_id) = window.type_id {
        q = q.filter(org_units::type_id.eq(type_id));
    }
    if let Some(limit) = window.limit {
        q = q.limit(limit);
    }
    Ok(q.order(org_units::id.asc())
        .select(OrgUnit::as_select())
        .load(conn)?)
}

/// Every org unit below `unit`, at all levels. Below the root that is every other org unit
/// of the institution, read in one statement; below any other unit the tree is walked a
/// level at a time (a course has one level: its sections and groups).
pub fn descendants(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    window: Window,
) -> ApiResult<Vec<OrgUnit>> {
    if unit.parent_id.is_none() {
        let mut q = org_units::table
            .filter(org_units::institution_id.eq(unit.institution_id))
            .filter(org_units::id.ne(unit.id))
            .filter(org_units::id.gt(window.after))
            .into_boxed();
        if let Some(type_id) = window.type_id {
            q = q.filter(org_units::type_id.eq(type_id));
        }
        if let Some(limit) = window.limit {
            q = q.limit(limit);
        }
        return Ok(q
            .order(org_units::id.asc())
            .select(OrgUnit::as_select())
            .load(conn)?);
    }
    let mut ids: Vec<i64> = below(conn, unit)?
        .into_iter()
        .filter(|(id, type_id)| {
            *id > window.after && window.type_id.is_none_or(|wanted| wanted == *type_id)
        })
        .map(|(id, _)| id)
        .collect();
    ids.sort_unstable();
    if let Some(limit) = window.limit {
        ids.truncate(usize::try_from(limit).unwrap_or(0));
    }
    by_ids(conn, &ids, None)
}

/// (id, type) of every org unit below `unit`, level by level.
fn below(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<Vec<(i64, i64)>> {
    let mut found = Vec::new();
    let mut level = vec![unit.id];
    let mut depth = 0;
    while !level.is_empty() {
        depth += 1;
        if depth > 32 {
            return Err(ApiError::internal(format!(
                "org unit {} has a cyclic or too deep structure",
                unit.id
            )));
        }
        let mut next: Vec<(i64, i64)> = Vec::new();
        for chunk in level.chunks(BATCH_ROWS) {
            next.extend(
                org_units::table
                    .filter(org_units::institution_id.eq(unit.institution_id))
                    .filter(org_units::parent_id.eq_any(chunk))
                    .select((org_units::id, org_units::type_id))
                    .load::<(i64, i64)>(conn)?,
            );
        }
        level = next.iter().map(|(id, _)| *id).collect();
        found.extend(next);
    }
    Ok(found)
}

/// The org units `ids` (ascending) of one type (`None`: any), in id order.
fn by_ids(conn: &mut DbConnection, ids: &[i64], type_id: Option<i64>) -> ApiResult<Vec<OrgUnit>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let mut q = org_units::table
            .filter(org_units::id.eq_any(chunk))
            .into_boxed();
        if let Some(type_id) = type_id {
            q = q.filter(org_units::type_id.eq(type_id));
        }
        out.extend(
            q.order(org_units::id.asc())
                .select(OrgUnit::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// `unit`'s immediate parent, if it has one of the type (`None`: any).
pub fn parents(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    type_id: Option<i64>,
) -> ApiResult<Vec<OrgUnit>> {
    match unit.parent_id {
        Some(parent) => by_ids(conn, &[parent], type_id),
        None => Ok(Vec::new()),
    }
}

/// Every org unit above `unit` of the type (`None`: any), in id order.
pub fn ancestors(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    type_id: Option<i64>,
) -> ApiResult<Vec<OrgUnit>> {
    let mut ids = super::org_units::ancestors(conn, unit)?;
    ids.sort_unstable();
    by_ids(conn, &ids, type_id)
}

/// What `GET /orgstructure/` searches for; `None` is anything. Code and name match ignoring
/// case: the plain forms anywhere in the text, the exact forms the whole text.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub type_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub exact_code: Option<String>,
    pub exact_name: Option<String>,
}

/// Up to `limit` of the institution's org units that match `search`, with an id above `after`.
pub fn search(
    conn: &mut DbConnection,
    institution_id: i64,
    search: &Search,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<OrgUnit>> {
    let mut q = org_units::table
        .filter(org_units::institution_id.eq(institution_id))
        .filter(org_units::id.gt(after))
        .into_boxed();
    if let Some(type_id) = search.type_id {
        q = q.filter(org_units::type_id.eq(type_id));
    }
    if let Some(code) = &search.code {
        q = q.filter(
            lower(org_units::code)
                .like(contains_pattern(code))
                .escape('\\'),
        );
    }
    if let Some(name) = &search.name {
        q = q.filter(
            lower(org_units::name.nullable())
                .like(contains_pattern(name))
                .escape('\\'),
        );
    }
    if let Some(code) = &search.exact_code {
        q = q.filter(lower(org_units::code).eq(code.to_lowercase()));
    }
    if let Some(name) = &search.exact_name {
        q = q.filter(lower(org_units::name.nullable()).eq(name.to_lowercase()));
    }
    Ok(q.order(org_units::id.asc())
        .limit(limit)
        .select(OrgUnit::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards_and_ignore_case() {
        assert_eq!(contains_pattern("BIO"), "%bio%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
