//! Placing a learner who has just joined a course: AutoEnroll sections and categories take
//! them by their automatic rules. Called inside the enrollment's transaction, which holds the
//! course with `CourseLock::Members`; the section settings and then each category are locked
//! in turn (the lock order, docs/architecture.md).

pub mod groups;
pub mod import;
pub mod sections;

use crate::db::rows::OrgUnit;
use crate::db::DbConnection;
use crate::error::ApiResult;

/// Places `user_id`, just made a learner of `course`, in a section and in each AutoEnroll
/// category's group, where the rules say so.
pub fn place_new_learner(conn: &mut DbConnection, course: &OrgUnit, user_id: i64) -> ApiResult<()> {
    sections::place_new_learner(conn, course, user_id)?;
    groups::place_new_learner(conn, course, user_id)
}
