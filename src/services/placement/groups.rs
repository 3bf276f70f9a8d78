//! A learner's group in each AutoEnroll category, and the one rule that places a learner in a
//! category's groups (shared with allocation after a self-enrollment expiry).

use crate::db::org_units::{self, TakenCodes};
use crate::db::rows::{org_unit_type, GroupCategory, OrgUnit};
use crate::db::{categories, members, DbConnection};
use crate::domain::allocation::{self, Placement};
use crate::domain::group_plan::Style;
use crate::domain::history::Actor;
use crate::domain::naming::next_name;
use crate::error::{ApiError, ApiResult};

/// What the category's groups are named after: its group prefix, else its name.
pub fn prefix_of(category: &GroupCategory) -> String {
    category
        .group_prefix
        .clone()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| category.name.clone())
}

/// Creates one group of the category, with the next free name and code; answers its id.
fn add_group(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category: &GroupCategory,
    start: usize,
    taken: &mut TakenCodes,
) -> ApiResult<i64> {
    let taken = taken.get(conn, course.id)?;
    let (name, code, _) = next_name(&prefix_of(category), start, taken);
    let id = org_units::create_child(conn, course, org_unit_type::GROUP, &name, &code, None)?;
    categories::link_groups(conn, category.id, &[id])?;
    Ok(id)
}

/// Places one learner in the category by its automatic rule, given its groups with their
/// sizes (`groups`, updated); answers the group, if any.
pub fn place(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category: &GroupCategory,
    groups: &mut Vec<(i64, usize)>,
    taken: &mut TakenCodes,
) -> ApiResult<Option<i64>> {
    let style = categories::style_of(category)?;
    let sizes: Vec<usize> = groups.iter().map(|(_, size)| *size).collect();
    let placement = if style == Style::SingleUserMemberSpecificGroup {
        Placement::New
    } else if let Some(cap) = category.max_users_per_group.filter(|_| style.has_cap()) {
        allocation::first_not_full(&sizes, usize::try_from(cap).unwrap_or(usize::MAX))
    } else {
        allocation::smallest(&sizes)
    };
    let index = match placement {
        Placement::Existing(i) => i,
        Placement::New if style == Style::SingleUserMemberSpecificGroup || style.grows() => {
            let id = add_group(conn, course, category, groups.len() + 1, taken)?;
            groups.push((id, 0));
            groups.len() - 1
        }
        // A fixed number of groups, all full (or none at all): the learner stays unplaced.
        Placement::New => return Ok(None),
    };
    let Some(slot) = groups.get_mut(index) else {
        return Err(ApiError::internal("placement out of range"));
    };
    slot.1 += 1;
    Ok(Some(slot.0))
}

/// Called when `user_id` has just become a learner of `course` (inside that transaction, which
/// holds the course with `CourseLock::Members`): each complete AutoEnroll category the learner
/// is eligible for and not yet placed in gets them. The categories are locked in id order.
pub fn place_new_learner(conn: &mut DbConnection, course: &OrgUnit, user_id: i64) -> ApiResult<()> {
    for category in categories::lock_auto_enroll(conn, course.id)? {
        if let Some(restriction) = category.restricted_by_org_unit_id {
            if members::units_of_user(conn, &[restriction], user_id)?.is_empty() {
                continue;
            }
        }
        let ids = categories::group_ids_of(conn, category.id)?;
        if !members::units_of_user(conn, &ids, user_id)?.is_empty() {
            continue;
        }
        let sizes = members::sizes_of(conn, &ids)?;
        let mut groups: Vec<(i64, usize)> = ids.into_iter().zip(sizes).collect();
        let mut taken = TakenCodes::default();
        if let Some(group) = place(conn, course, &category, &mut groups, &mut taken)? {
            members::add_member(conn, group, course.id, user_id, &Actor::auto_enroll())?;
        }
    }
    Ok(())
}
