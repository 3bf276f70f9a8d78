//! Self-enrollment: a learner sees the groups of a category they may choose from, with the
//! places left in each, and joins or leaves one (`domain::self_enrollment` holds the rules).
//! The API routes and the console's learner page both run these units.
//!
//! Joining locks the category (`categories::lock`, after the course's shared lock), so that
//! learners racing for the last places of a category take turns: each reads the sizes the
//! previous one committed, and no group ever holds more than its cap.

use chrono::NaiveDateTime;

use super::{find_category, writable};
use crate::db::rows::{
    ChoosableGroup, Enrollment, GroupCategory, OrgUnit, SelfEnrollmentChoice as Choice,
};
use crate::db::{categories, enrollments, members, DbConnection};
use crate::domain::history::Actor;
use crate::domain::self_enrollment::{self as rules, Refusal, Rules, Window};
use crate::error::{ApiError, ApiResult};
use crate::services::access::Course;

/// The caller's own enrollment in the course, held until the transaction ends (their
/// membership takes its role and must not outlive it); 403 without one: only the course's
/// own members choose its groups, whatever role they hold above it.
fn own_enrollment(conn: &mut DbConnection, course: &Course, user_id: i64) -> ApiResult<Enrollment> {
    enrollments::hold_enrollment(conn, course.id, user_id)?.ok_or_else(|| {
        ApiError::forbidden(format!(
            "You are not enrolled in org unit {}; only its members choose its groups.",
            course.id
        ))
    })
}

/// The user who chooses: self-enrollment is always a user's own act.
fn learner(actor: &Actor) -> ApiResult<i64> {
    actor
        .user_id
        .ok_or_else(|| ApiError::internal("self-enrollment without a user"))
}

/// Whether `user_id` may belong to the category's groups at all (its restriction).
fn admitted(conn: &mut DbConnection, category: &GroupCategory, user_id: i64) -> ApiResult<bool> {
    Ok(match category.restricted_by_org_unit_id {
        Some(restriction) => !members::units_of_user(conn, &[restriction], user_id)?.is_empty(),
        None => true,
    })
}

fn rules_of(
    conn: &mut DbConnection,
    category: &GroupCategory,
    user_id: i64,
    now: NaiveDateTime,
) -> ApiResult<Rules> {
    let style = categories::style_of(category)?;
    Ok(Rules {
        style,
        window: Window::at(
            category.self_enrollment_start_date,
            category.self_enrollment_expiry_date,
            now,
        ),
        cap: rules::cap_of(style, category.max_users_per_group),
        admitted: admitted(conn, category, user_id)?,
    })
}

/// The category with its groups, their sizes and the learner's group.
fn choice(
    conn: &mut DbConnection,
    category: GroupCategory,
    rules: &Rules,
    user_id: i64,
) -> ApiResult<Choice> {
    let units = categories::groups_of(conn, category.id)?;
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let sizes = members::sizes_of(conn, &ids)?;
    let my_group = members::units_of_user(conn, &ids, user_id)?
        .first()
        .copied();
    let groups = units
        .into_iter()
        .zip(sizes)
        .map(|(unit, members)| ChoosableGroup {
            free_places: rules::free_places(rules.cap, members),
            unit,
            members,
        })
        .collect();
    Ok(Choice {
        category,
        style: rules.style,
        window: rules.window,
        cap: rules.cap,
        my_group,
        groups,
    })
}

/// The course's complete self-enrollment categories that admit the learner, by id (those
/// restricted to a section or group they are not in are left out, as Brightspace hides them).
pub fn choices(
    conn: &mut DbConnection,
    course: &Course,
    user_id: i64,
    now: NaiveDateTime,
) -> ApiResult<Vec<Choice>> {
    own_enrollment(conn, course, user_id)?;
    let mut out = Vec::new();
    for listed in super::list_categories(conn, course)? {
        let category = listed.category;
        if category.status != GroupCategory::COMPLETE || !rules::is_self_enrollment(listed.style) {
            continue;
        }
        let rules = rules_of(conn, &category, user_id, now)?;
        if rules.admitted {
            out.push(choice(conn, category, &rules, user_id)?);
        }
    }
    Ok(out)
}

/// One category as the learner may choose in it: 404 unless it is a self-enrollment category,
/// 403 when its restriction leaves the learner out, 409 while it is being created.
pub fn one_choice(
    conn: &mut DbConnection,
    course: &Course,
    user_id: i64,
    category_id: i64,
    now: NaiveDateTime,
) -> ApiResult<Choice> {
    own_enrollment(conn, course, user_id)?;
    let category = writable(find_category(conn, course, category_id)?)?;
    let rules = rules_of(conn, &category, user_id, now)?;
    if !rules::is_self_enrollment(rules.style) {
        return Err(refusal(
            &category,
            0,
            Refusal::NotSelfEnrollment(rules.style),
        ));
    }
    if !rules.admitted {
        return Err(refusal(&category, 0, Refusal::NotAdmitted));
    }
    choice(conn, category, &rules, user_id)
}

/// The category (locked: joins and leaves of one category take turns), complete, and the
/// group of it that the path names.
fn locked_group(
    conn: &mut DbConnection,
    course: &Course,
    category_id: i64,
    group_id: i64,
) -> ApiResult<(GroupCategory, OrgUnit, Vec<i64>)> {
    categories::lock(conn, course.id, category_id)?;
    let category = writable(find_category(conn, course, category_id)?)?;
    let group = categories::find_group(conn, category.id, group_id)?;
    let ids = categories::group_ids_of(conn, category.id)?;
    Ok((category, group, ids))
}

/// The learner (`actor`'s user) joins `group_id`, within the category's rules; answers the
/// category as they now see it. Nothing changes when a rule refuses.
pub fn join(
    conn: &mut DbConnection,
    course: &Course,
    actor: &Actor,
    category_id: i64,
    group_id: i64,
    now: NaiveDateTime,
) -> ApiResult<Choice> {
    let user_id = learner(actor)?;
    let enrollment = own_enrollment(conn, course, user_id)?;
    let (category, group, ids) = locked_group(conn, course, category_id, group_id)?;
    let rules = rules_of(conn, &category, user_id, now)?;
    let current = members::units_of_user(conn, &ids, user_id)?
        .first()
        .copied();
    let size = members::sizes_of(conn, &[group.id])?
        .first()
        .copied()
        .unwrap_or(0);
    rules::may_join(&rules, current, group.id, size)
        .map_err(|why| refusal(&category, group.id, why))?;
    members::add_enrolled(conn, group.id, &enrollment, actor)?;
    choice(conn, category, &rules, user_id)
}

/// The learner (`actor`'s user) leaves `group_id`, within the category's window; answers the
/// category as they now see it.
pub fn leave(
    conn: &mut DbConnection,
    course: &Course,
    actor: &Actor,
    category_id: i64,
    group_id: i64,
    now: NaiveDateTime,
) -> ApiResult<Choice> {
    let user_id = learner(actor)?;
    own_enrollment(conn, course, user_id)?;
    let (category, group, ids) = locked_group(conn, course, category_id, group_id)?;
    let rules = rules_of(conn, &category, user_id, now)?;
    let current = members::units_of_user(conn, &ids, user_id)?
        .first()
        .copied();
    rules::may_leave(&rules, current, group.id).map_err(|why| refusal(&category, group.id, why))?;
    members::remove_member(conn, group.id, course.id, user_id, actor)?;
    choice(conn, category, &rules, user_id)
}

/// Brightspace's UTCDateTime form, for the texts below.
fn utc(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The answer for a rule that refused: 403 when the learner may not choose here (now), 409
/// when the group or their own membership stands in the way, 404 for leaving a group they
/// are not in.
fn refusal(category: &GroupCategory, group: i64, why: Refusal) -> ApiError {
    let id = category.id;
    match why {
        Refusal::NotSelfEnrollment(style) => ApiError::forbidden(format!(
            "Group category {id} is {}: learners do not choose its groups.",
            style.name()
        )),
        Refusal::NotYetOpen(start) => ApiError::forbidden(format!(
            "Self-enrollment in group category {id} opens at {}.",
            utc(start)
        )),
        Refusal::Closed(expiry) => ApiError::forbidden(format!(
            "Self-enrollment in group category {id} closed at {}.",
            utc(expiry)
        )),
        Refusal::NotAdmitted => ApiError::forbidden(format!(
            "Group category {id} admits only the members of org unit {}, and you are not one.",
            category.restricted_by_org_unit_id.unwrap_or_default()
        )),
        Refusal::AlreadyMember => {
            ApiError::Conflict(format!("You are already a member of group {group}."))
        }
        Refusal::InAnotherGroup(other) => ApiError::Conflict(format!(
            "You are already in group {other} of group category {id}; leave it first."
        )),
        Refusal::Full { cap } => ApiError::Conflict(format!(
            "Group {group} is full: it holds its {cap} members."
        )),
        Refusal::NotAMember => {
            ApiError::not_found(format!("You are not a member of group {group}."))
        }
    }
}
