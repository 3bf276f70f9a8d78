//! The membership history (`membership_changes`): recorded by `db::members` in the
//! transaction of each change, read a page at a time, newest first.

use chrono::Utc;
use diesel::prelude::*;

use super::rows::{MembershipChange, MembershipChangeView, NewMembershipChange};
use super::{DbConnection, BATCH_ROWS};
use crate::domain::history::{Actor, Change, Via};
use crate::error::ApiResult;
use crate::schema::{membership_changes, org_units};

/// Records `change` of each (org unit, user) of `course_id`, made by `actor`, now.
pub fn record(
    conn: &mut DbConnection,
    course_id: i64,
    memberships: &[(i64, i64)],
    change: Change,
    actor: &Actor,
) -> ApiResult<()> {
    let now = Utc::now().naive_utc();
    for chunk in memberships.chunks(BATCH_ROWS) {
        let rows: Vec<NewMembershipChange> = chunk
            .iter()
            .map(|&(org_unit_id, user_id)| NewMembershipChange {
                course_id,
                org_unit_id,
                user_id,
                change: change.name().to_string(),
                by_user_id: actor.user_id,
                via: actor.via.name().to_string(),
                client_id: actor.client_id.clone(),
                changed_at: now,
            })
            .collect();
        per_backend!(conn, c => diesel::insert_into(membership_changes::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Which entries a page holds: `None` is any.
#[derive(Clone, Copy, Debug, Default)]
pub struct HistoryFilter {
    pub user_id: Option<i64>,
    pub org_unit_id: Option<i64>,
    pub via: Option<Via>,
}

/// Up to `limit` of the course's entries older than entry `before` (all when `None`), newest
/// first, each with its section or group when that still exists.
pub fn page_of_course(
    conn: &mut DbConnection,
    course_id: i64,
    filter: HistoryFilter,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<MembershipChangeView>> {
    let mut query = membership_changes::table
        .left_join(org_units::table.on(org_units::id.eq(membership_changes::org_unit_id)))
        .filter(membership_changes::course_id.eq(course_id))
        .into_boxed();
    if let Some(user) = filter.user_id {
        query = query.filter(membership_changes::user_id.eq(user));
    }
    if let Some(unit) = filter.org_unit_id {
        query = query.filter(membership_changes::org_unit_id.eq(unit));
    }
    if let Some(via) = filter.via {
        query = query.filter(membership_changes::via.eq(via.name()));
    }
    if let Some(before) = before {
        query = query.filter(membership_changes::id.lt(before));
    }
    let rows: Vec<(MembershipChange, Option<String>, Option<i64>)> = query
        .order(membership_changes::id.desc())
        .limit(limit)
        .select((
            MembershipChange::as_select(),
            org_units::name.nullable(),
            org_units::type_id.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(entry, name, type_id)| MembershipChangeView {
            entry,
            unit: name.zip(type_id),
        })
        .collect())
}
