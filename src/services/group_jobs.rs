//! The group category jobs' work (run by `crate::jobs`): creating a category's groups with
//! their first members, and allocating the learners left in no group once self-enrollment has
//! expired. Each takes the course with `CourseLock::Structure` first, and does nothing when
//! its category is gone (or, for creation, already complete): a job may run twice.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use crate::db::org_units::{self, TakenCodes};
use crate::db::rows::{org_unit_type, GroupCategory, Member, OrgUnit};
use crate::db::{categories, enrollments, jobs, members, DbConnection};
use crate::domain::allocation;
use crate::domain::group_plan::{self, Quantities};
use crate::domain::history::Actor;
use crate::error::ApiResult;
use crate::services::access::{Held, StructureHeld};
use crate::services::placement::groups::{place, prefix_of};

/// The learners a category allocates: the course's learners, narrowed to the members of its
/// restricting section or group when it has one.
fn eligible_learners(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category: &GroupCategory,
) -> ApiResult<Vec<i64>> {
    let learners = enrollments::learners(conn, course)?;
    match category.restricted_by_org_unit_id {
        None => Ok(learners),
        Some(restriction) => {
            let allowed: HashSet<i64> = members::of_unit(conn, restriction)?.into_iter().collect();
            Ok(learners
                .into_iter()
                .filter(|l| allowed.contains(l))
                .collect())
        }
    }
}

/// The category's course, locked for a change of its structure.
fn locked_course(
    conn: &mut DbConnection,
    category: &GroupCategory,
) -> ApiResult<Held<StructureHeld>> {
    Held::for_job(conn, category.course_id)
}

fn quantities_of(category: &GroupCategory) -> Quantities {
    Quantities {
        enrollment_quantity: category.enrollment_quantity,
        number_of_groups: category.number_of_groups,
        max_users_per_group: category.max_users_per_group,
    }
}

/// The creation job's work at business time `now` (`crate::clock`): groups, initial members,
/// status Complete, and the expiry job if one is wanted. Does nothing for a category already
/// complete (jobs may run twice).
pub fn create_groups(
    conn: &mut DbConnection,
    category_id: i64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let Some(category) = categories::by_id(conn, category_id)? else {
        return Ok(());
    };
    if category.status == GroupCategory::COMPLETE {
        return Ok(());
    }
    let course = locked_course(conn, &category)?;
    let style = categories::style_of(&category)?;
    let learners = allocation::dealing_order(
        eligible_learners(conn, &course, &category)?,
        category.randomize_enrollments,
    );
    let plan = group_plan::plan(style, &quantities_of(&category), learners.len());
    let piles = group_plan::initial_members(style, &plan, &learners);

    // Every group in one batch: on PostgreSQL a thousand single inserts would cost a round
    // trip each.
    let groups = org_units::create_numbered(
        conn,
        &course,
        org_unit_type::GROUP,
        &prefix_of(&category),
        piles.len(),
    )?;
    categories::link_groups(conn, category.id, &groups)?;
    let mut first_members = Vec::with_capacity(learners.len());
    for (group, pile) in groups.iter().zip(piles) {
        first_members.extend(pile.into_iter().map(|user_id| Member {
            org_unit_id: *group,
            user_id,
            course_id: course.id,
            created_at: now,
        }));
    }
    members::insert_members(conn, &first_members, &Actor::job())?;

    let cap = plan.cap.and_then(|c| i64::try_from(c).ok());
    categories::complete(conn, category.id, cap, now)?;
    if let (true, Some(expiry)) = (
        category.allocate_after_expiry,
        category.self_enrollment_expiry_date,
    ) {
        jobs::enqueue(conn, jobs::ALLOCATE_AFTER_EXPIRY, category.id, expiry)?;
    }
    Ok(())
}

/// A category's groups with their sizes, and the users already in one of them.
type Occupancy = (Vec<(i64, usize)>, HashSet<i64>);

/// The groups of a category with their sizes, and the set of users already in one.
fn sizes_and_members(conn: &mut DbConnection, category_id: i64) -> ApiResult<Occupancy> {
    let ids = categories::group_ids_of(conn, category_id)?;
    let members = members::members_of(conn, &ids)?;
    let placed: HashSet<i64> = members.values().flatten().copied().collect();
    let sizes = ids
        .iter()
        .map(|id| (*id, members.get(id).map_or(0, Vec::len)))
        .collect();
    Ok((sizes, placed))
}

/// The expiry job's work, if still wanted and due at business time `now` (`crate::clock`):
/// every eligible learner in no group of the category is placed in the groups with room
/// (people-per-group styles create a group when all are full).
pub fn allocate_after_expiry(
    conn: &mut DbConnection,
    category_id: i64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let Some(category) = categories::by_id(conn, category_id)? else {
        return Ok(());
    };
    let course = locked_course(conn, &category)?;
    // Read again under the course lock: an Update may have moved or cancelled the allocation
    // since this job was queued, and a job it could not cancel (running) must not act on it.
    let Some(category) = categories::by_id(conn, category_id)? else {
        return Ok(());
    };
    let due = categories::self_enrollment_of(&category).allocation_due();
    if due.is_none_or(|due| due > now) {
        return Ok(());
    }
    let (mut groups, placed) = sizes_and_members(conn, category.id)?;
    let waiting: Vec<i64> = eligible_learners(conn, &course, &category)?
        .into_iter()
        .filter(|l| !placed.contains(l))
        .collect();
    let mut taken = TakenCodes::default();
    let mut placements = Vec::new();
    for learner in allocation::dealing_order(waiting, category.randomize_enrollments) {
        if let Some(group) = place(conn, &course, &category, &mut groups, &mut taken)? {
            placements.push(Member {
                org_unit_id: group,
                user_id: learner,
                course_id: course.id,
                created_at: now,
            });
        }
    }
    members::insert_members(conn, &placements, &Actor::job())?;
    Ok(())
}
