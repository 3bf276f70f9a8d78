//! Group categories, their groups and the groups' members: the units of work of the group
//! routes. Creating a category only records it with its creation job (`group_jobs` does the
//! rest); until that job completes, every write to the category, its groups or their members
//! is 409, and once the job is dead the category is a failed creation: 404 to every route but
//! the category's `DELETE`, which clears it away (docs/compatibility.md).

pub mod self_enrollment;

use chrono::Utc;

use crate::db::org_units;
use crate::db::rows::{
    org_unit_type, GroupCategory, GroupCategoryWithGroups, OrgUnit, UnitWithMembers,
};
use crate::db::{categories, enrollments, jobs, members, users, DbConnection};
use crate::domain::category_rules::CategoryChanges;
use crate::domain::csv::MembershipRow;
use crate::domain::group_plan::{CategorySpec, GroupChange};
use crate::domain::history::Actor;
use crate::error::{ApiError, ApiResult};
use crate::services::access::Course;
use crate::services::placement::import;

// ---------------------------------------------------------------------------------------------
// Finding what the path names

/// The category, and whether its creation failed for good (its job is dead, so it would
/// otherwise be "processing" forever). Only `DELETE` of the category sees a failed one.
fn lookup_category(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
) -> ApiResult<(GroupCategory, bool)> {
    let category = categories::find(conn, course.id, id)?;
    let failed = category.status == GroupCategory::PROCESSING
        && !jobs::failed_creations(conn, &[category.id])?.is_empty();
    Ok((category, failed))
}

/// The category named by the path. One whose creation failed for good is, to every route but
/// `DELETE`, a category that was never created: 404, saying so.
fn find_category(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<GroupCategory> {
    match lookup_category(conn, course, id)? {
        (_, true) => Err(ApiError::not_found(format!(
            "Group category {id} not found in org unit {}: its creation failed. \
             Create it again; DELETE clears the failed one away.",
            course.id
        ))),
        (category, false) => Ok(category),
    }
}

/// 409 while the category's creation job has not finished (a failed creation never gets here:
/// `find_category` answers 404 for it).
fn writable(category: GroupCategory) -> ApiResult<GroupCategory> {
    if category.status == GroupCategory::PROCESSING {
        Err(ApiError::Conflict(format!(
            "Group category {} is still being created; try again when its status is 1.",
            category.id
        )))
    } else {
        Ok(category)
    }
}

/// The category named by the path, for a write: found, and complete.
fn writable_category(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
) -> ApiResult<GroupCategory> {
    writable(find_category(conn, course, id)?)
}

/// The group named by the path, in a category that may be written to: in one statement when
/// both are there and the category is complete, else one at a time, to say what is wrong.
fn writable_group(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
) -> ApiResult<(GroupCategory, OrgUnit)> {
    if let Some((found, unit)) = categories::find_with_group(conn, course.id, category, group)? {
        if found.status != GroupCategory::PROCESSING {
            return Ok((found, unit));
        }
    }
    let category = writable_category(conn, course, category)?;
    let unit = categories::find_group(conn, category.id, group)?;
    Ok((category, unit))
}

fn with_members(conn: &mut DbConnection, unit: OrgUnit) -> ApiResult<UnitWithMembers> {
    Ok(UnitWithMembers {
        members: members::of_unit(conn, unit.id)?,
        unit,
    })
}

// ---------------------------------------------------------------------------------------------
// Categories

/// The course's categories, by id; failed creations are left out, as everywhere else.
pub fn list_categories(
    conn: &mut DbConnection,
    course: &Course,
) -> ApiResult<Vec<GroupCategoryWithGroups>> {
    let mut all = categories::of_course(conn, course.id)?;
    let processing: Vec<i64> = all
        .iter()
        .filter(|c| c.status == GroupCategory::PROCESSING)
        .map(|c| c.id)
        .collect();
    let failed = jobs::failed_creations(conn, &processing)?;
    all.retain(|c| !failed.contains(&c.id));
    all.into_iter()
        .map(|c| categories::with_groups(conn, c))
        .collect()
}

/// Records the category and its creation job; answers the category, still processing. A
/// restricting org unit must be a section or group of the course (400).
pub fn create_category(
    conn: &mut DbConnection,
    course: &Course,
    spec: &CategorySpec,
) -> ApiResult<GroupCategory> {
    if let Some(restriction) = spec.restricted_by_org_unit_id {
        if !categories::is_part_of_course(conn, course.id, restriction)? {
            return Err(ApiError::bad_request(format!(
                "RestrictedByOrgUnitId: {restriction} is not a section or group of org unit {}.",
                course.id
            )));
        }
    }
    let now = Utc::now().naive_utc();
    let category = categories::insert(conn, course, spec, now)?;
    jobs::enqueue(conn, jobs::CREATE_GROUPS, category.id, now)?;
    Ok(category)
}

pub fn get_category(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
) -> ApiResult<GroupCategoryWithGroups> {
    let category = find_category(conn, course, id)?;
    categories::with_groups(conn, category)
}

/// The category's GROUPSJOBSTATUS_T.
pub fn category_status(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<i64> {
    Ok(find_category(conn, course, id)?.status)
}

/// Applies an Update form; when the allocation after expiry moves (turned on or off, or its
/// date changed), its job is scheduled again.
pub fn update_category(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
    changes: &CategoryChanges,
) -> ApiResult<GroupCategoryWithGroups> {
    let category = writable_category(conn, course, id)?;
    let stored = categories::self_enrollment_of(&category);
    let style = categories::style_of(&category)?;
    let settings = stored
        .changed(style, &changes.settings)
        .map_err(ApiError::BadRequest)?;
    categories::update(conn, category.id, changes, &settings)?;
    if stored.allocation_due() != settings.allocation_due() {
        jobs::cancel_pending(conn, jobs::ALLOCATE_AFTER_EXPIRY, category.id)?;
        if let Some(due) = settings.allocation_due() {
            jobs::enqueue(conn, jobs::ALLOCATE_AFTER_EXPIRY, category.id, due)?;
        }
    }
    get_category(conn, course, id)
}

/// Deletes the category with its groups and their memberships (as Brightspace's own "delete
/// category" does), the history recording who left each group. A category whose creation
/// failed for good can be deleted too, with its dead job: that is how an administrator starts
/// again.
pub fn delete_category(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let (category, failed) = lookup_category(conn, course, id)?;
    let category = if failed {
        category
    } else {
        writable(category)?
    };
    let groups = categories::group_ids_of(conn, category.id)?;
    members::remove_all_of(conn, &groups, course.id, actor)?;
    jobs::cancel_pending(conn, jobs::ALLOCATE_AFTER_EXPIRY, category.id)?;
    categories::delete(conn, category.id)?;
    org_units::delete_all(conn, &groups)
}

// ---------------------------------------------------------------------------------------------
// Groups

/// The category's groups, by id, each with its members.
pub fn list_groups(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
) -> ApiResult<Vec<UnitWithMembers>> {
    let category = find_category(conn, course, category)?;
    let groups = categories::groups_of(conn, category.id)?;
    members::attach(conn, groups)
}

/// Creates a group of the category; its code must be free in the course (400).
pub fn create_group(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    change: &GroupChange,
) -> ApiResult<UnitWithMembers> {
    let category = writable_category(conn, course, category)?;
    org_units::require_code_free(conn, course.id, &change.code, None)?;
    let id = org_units::create_child(
        conn,
        course,
        org_unit_type::GROUP,
        &change.name,
        &change.code,
        Some(&change.description),
    )?;
    categories::link_groups(conn, category.id, &[id])?;
    Ok(UnitWithMembers {
        unit: categories::find_group(conn, category.id, id)?,
        members: Vec::new(),
    })
}

pub fn get_group(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
) -> ApiResult<UnitWithMembers> {
    let category = find_category(conn, course, category)?;
    let group = categories::find_group(conn, category.id, group)?;
    with_members(conn, group)
}

/// Renames the group and replaces its description; codes stay unique in the course (400).
pub fn update_group(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
    change: &GroupChange,
) -> ApiResult<UnitWithMembers> {
    let (category, unit) = writable_group(conn, course, category, group)?;
    org_units::require_code_free(conn, course.id, &change.code, Some(unit.id))?;
    org_units::update_child(
        conn,
        unit.id,
        &change.name,
        &change.code,
        &change.description,
    )?;
    let unit = categories::find_group(conn, category.id, group)?;
    with_members(conn, unit)
}

/// Deletes the group; its memberships go with it (each recorded as `actor`'s removal).
pub fn delete_group(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let (_, unit) = writable_group(conn, course, category, group)?;
    members::remove_all(conn, unit.id, course.id, actor)?;
    org_units::delete(conn, unit.id)
}

// ---------------------------------------------------------------------------------------------
// Group members

/// Adds `user_id` to the group: they must be enrolled in the course (and a member of the
/// restricting org unit, if any), else 404. Caps do not bind this explicit call. `actor` is
/// who asked, whose user the membership's `EnrolledByUserId` names.
pub fn enroll(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let (category, unit) = writable_group(conn, course, category, group)?;
    let enrollment = enrollments::hold_enrollment(conn, course.id, user_id)?;
    let admitted = match category.restricted_by_org_unit_id {
        Some(restriction) => !members::units_of_user(conn, &[restriction], user_id)?.is_empty(),
        None => true,
    };
    match enrollment {
        Some(enrollment) if admitted => {
            members::add_enrolled(conn, unit.id, &enrollment, actor)?;
            Ok(())
        }
        _ => Err(ApiError::not_found(format!(
            "User {user_id} not found among the users this category's groups admit."
        ))),
    }
}

/// Removes `user_id` from the group, by `actor`; 404 when they were not in it.
pub fn unenroll(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let (_, unit) = writable_group(conn, course, category, group)?;
    if !members::remove_member(conn, unit.id, course.id, user_id, actor)? {
        return Err(ApiError::not_found(format!(
            "User {user_id} is not a member of group {group}."
        )));
    }
    Ok(())
}

/// The group's members' user ids.
pub fn members(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
) -> ApiResult<Vec<i64>> {
    let category = find_category(conn, course, category)?;
    let unit = categories::find_group(conn, category.id, group)?;
    members::of_unit(conn, unit.id)
}

// ---------------------------------------------------------------------------------------------
// Moving and importing members (the console)

/// Moves `user_id` from group `from` to group `to` of the category, in the caller's one
/// transaction: [`unenroll`]'s rules for leaving, then [`enroll`]'s for joining, so nothing
/// changes when either refuses.
pub fn move_member(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    from: i64,
    to: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<()> {
    if from == to {
        return Err(ApiError::bad_request(format!(
            "User {user_id} is already in group {to}."
        )));
    }
    unenroll(conn, course, category, from, user_id, actor)?;
    enroll(conn, course, category, to, user_id, actor)
}

/// [`enroll`] of the user `who` names in the caller's institution: their user name (any
/// case), else their org-defined id, else (digits) their user id; 404 when none.
pub fn enroll_named(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    group: i64,
    who: &str,
    actor: &Actor,
) -> ApiResult<()> {
    let who = who.trim();
    if who.is_empty() {
        return Err(ApiError::bad_request(
            "Give a user name, org-defined id or user id.",
        ));
    }
    let institution = course.institution_id;
    let user = match users::by_name_key(conn, institution, &who.to_lowercase())? {
        Some(user) => user,
        None => {
            let by_org_id = users::with_org_defined_id(conn, institution, who)?;
            match (by_org_id.as_slice(), who.parse::<i64>()) {
                ([one], _) => one.clone(),
                ([], Ok(id)) => users::find(conn, institution, id)?,
                ([], Err(_)) => {
                    return Err(ApiError::not_found(format!(
                        "No user with user name or org-defined id {who:?}."
                    )))
                }
                (many, _) => {
                    return Err(ApiError::bad_request(format!(
                        "Org-defined id {who:?} names {} users; give the user name.",
                        many.len()
                    )))
                }
            }
        }
    };
    enroll(conn, course, category, group, user.id, actor)
}

pub use crate::services::placement::import::RowOutcome;

/// Adds each row's user to the category's group with the row's code, in order, as [`enroll`]
/// does (its rules, its refusals), in the caller's transaction; a refused row changes nothing
/// and the rows after it are still tried (`placement::import`). The course must be held with
/// `CourseLock::Members`.
pub fn import_members(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    let category = writable_category(conn, course, category)?;
    let groups = categories::groups_of(conn, category.id)?;
    import::import_rows(
        conn,
        course,
        (&groups, "group", "in this category"),
        rows,
        |conn, group, user| enroll(conn, course, category.id, group.id, user.id, actor),
    )
}

/// [`import_members`], all or nothing: when any row is refused, the whole import is refused
/// (400, listing each refused row and why), so the caller's transaction rolls back every row.
pub fn apply_import(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    let outcomes = import_members(conn, course, category, rows, actor)?;
    import::all_or_nothing(rows, outcomes)
}

/// [`import_members`] as a dry run: each row's outcome, nothing kept.
pub fn preview_import(
    conn: &mut DbConnection,
    course: &Course,
    category: i64,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    crate::db::dry_run::rolled_back(conn, |conn| {
        import_members(conn, course, category, rows, actor)
    })
}
