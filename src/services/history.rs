//! The course's membership history (`db::history`), read a page at a time, newest first.
//! Recording happens where memberships change (`db::members`), never here.

use crate::db::history::{self, HistoryFilter};
use crate::db::rows::MembershipChangeView;
use crate::db::DbConnection;
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
