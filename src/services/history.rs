//! The course's membership history (`db::history`), read a page at a time, newest first.
//! Recording happens where memberships change (`db::members`), never here.

use crate::db::history::{self, HistoryFilter};
use crate::db::rows::{MembershipChangeView, User};
use crate::db::{users, DbConnection};
use crate::error::ApiResult;
use crate::services::access::Course;

/// Up to `limit` entries of the course's history older than entry `before`, newest first.
pub fn page(
    conn: &mut DbConnection,
    course: &Course,
    filter: HistoryFilter,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<MembershipChangeView>> {
    history::page_of_course(conn, course.id, filter, before, limit)
}

/// The users `entries` name (the members and who changed them), as far as the course's
/// institution still has them: the names a page of the console shows.
pub fn people(
    conn: &mut DbConnection,
    course: &Course,
    entries: &[MembershipChangeView],
) -> ApiResult<Vec<User>> {
    let mut ids: Vec<i64> = entries
        .iter()
        .flat_map(|e| [Some(e.entry.user_id), e.entry.by_user_id])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    users::with_ids(conn, course.institution_id, &ids)
}

/// The user a filter names, by user name (any case) or user id, in the course's institution;
/// 404 when there is none.
pub fn named_user(conn: &mut DbConnection, course: &Course, who: &str) -> ApiResult<User> {
    users::find_user_by_name_or_id(conn, course.institution_id, who.trim())
}
