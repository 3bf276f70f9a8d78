//! Group categories and the groups that belong to them (`group_categories`, `category_groups`).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{
    org_unit_type, GroupCategory, GroupCategoryWithGroups, NewGroupCategory, OrgUnit,
};
use super::{DbConnection, BATCH_ROWS};
use crate::domain::category_rules::{CategoryChanges, SelfEnrollment};
use crate::domain::group_plan::{CategorySpec, Style};
use crate::error::{ApiError, ApiResult};
use crate::schema::{category_groups, group_categories, org_units};

/// Category `id` of the course, or 404.
pub fn find(conn: &mut DbConnection, course_id: i64, id: i64) -> ApiResult<GroupCategory> {
    group_categories::table
        .filter(group_categories::id.eq(id))
        .filter(group_categories::course_id.eq(course_id))
        .select(GroupCategory::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Group category {id} not found in org unit {course_id}."
            ))
        })
}

/// Category `id` of the course, or 404, locked (`FOR NO KEY UPDATE` on PostgreSQL) for the rest
/// of the transaction: learners joining one category take turns, so that each reads the group
/// sizes and memberships the previous one committed, and no cap is ever exceeded. Taken after
/// the course's lock, as every category lock is (the lock order, docs/architecture.md).
pub fn lock(conn: &mut DbConnection, course_id: i64, id: i64) -> ApiResult<GroupCategory> {
    // Built per backend: the locking clause changes the statement's type.
    macro_rules! category {
        () => {
            group_categories::table
                .filter(group_categories::id.eq(id))
                .filter(group_categories::course_id.eq(course_id))
                .select(GroupCategory::as_select())
        };
    }
    let found = match conn {
        DbConnection::Pg(pg) => category!().for_no_key_update().get_result(pg),
        DbConnection::Sqlite(sqlite) => category!().get_result(sqlite),
    };
    found.optional()?.ok_or_else(|| {
        ApiError::not_found(format!(
            "Group category {id} not found in org unit {course_id}."
        ))
    })
}

/// Category `id`, whatever its course (for jobs, which know it by id alone): none when it has
/// been deleted since the job was queued.
pub fn by_id(conn: &mut DbConnection, id: i64) -> ApiResult<Option<GroupCategory>> {
    Ok(group_categories::table
        .find(id)
        .select(GroupCategory::as_select())
        .get_result(conn)
        .optional()?)
}

/// The course's categories, by id.
pub fn of_course(conn: &mut DbConnection, course_id: i64) -> ApiResult<Vec<GroupCategory>> {
    Ok(group_categories::table
        .filter(group_categories::course_id.eq(course_id))
        .order(group_categories::id.asc())
        .select(GroupCategory::as_select())
        .load(conn)?)
}

/// The category's stored enrollment style; one this server does not know is a 500.
pub fn style_of(category: &GroupCategory) -> ApiResult<Style> {
    Style::from_number(category.enrollment_style).ok_or_else(|| {
        ApiError::internal(format!("stored group style {}", category.enrollment_style))
    })
}

/// The category's settings that an Update merges onto and checks together.
pub fn self_enrollment_of(category: &GroupCategory) -> SelfEnrollment {
    SelfEnrollment {
        max_users_per_group: category.max_users_per_group,
        allocate_after_expiry: category.allocate_after_expiry,
        start: category.self_enrollment_start_date,
        expiry: category.self_enrollment_expiry_date,
        group_prefix: category.group_prefix.clone(),
    }
}

/// The category with its style and its groups' ids.
pub fn with_groups(
    conn: &mut DbConnection,
    category: GroupCategory,
) -> ApiResult<GroupCategoryWithGroups> {
    Ok(GroupCategoryWithGroups {
        style: style_of(&category)?,
        groups: group_ids_of(conn, category.id)?,
        category,
    })
}

/// The category's groups, by id.
pub fn groups_of(conn: &mut DbConnection, category_id: i64) -> ApiResult<Vec<OrgUnit>> {
    Ok(category_groups::table
        .inner_join(org_units::table)
        .filter(category_groups::category_id.eq(category_id))
        .order(org_units::id.asc())
        .select(OrgUnit::as_select())
        .load(conn)?)
}

/// The ids of the category's groups, in order.
pub fn group_ids_of(conn: &mut DbConnection, category_id: i64) -> ApiResult<Vec<i64>> {
    Ok(category_groups::table
        .filter(category_groups::category_id.eq(category_id))
        .order(category_groups::group_id.asc())
        .select(category_groups::group_id)
        .load(conn)?)
}

/// Group `group_id` of the category, or 404.
pub fn find_group(conn: &mut DbConnection, category_id: i64, group_id: i64) -> ApiResult<OrgUnit> {
    category_groups::table
        .inner_join(org_units::table)
        .filter(category_groups::category_id.eq(category_id))
        .filter(category_groups::group_id.eq(group_id))
        .select(OrgUnit::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Group {group_id} not found in group category {category_id}."
            ))
        })
}

/// Category `category_id` of the course with its group `group_id`, in one statement; none
/// when either is missing (the caller asks again, one at a time, to say which).
pub fn find_with_group(
    conn: &mut DbConnection,
    course_id: i64,
    category_id: i64,
    group_id: i64,
) -> ApiResult<Option<(GroupCategory, OrgUnit)>> {
    Ok(group_categories::table
        .inner_join(category_groups::table.inner_join(org_units::table))
        .filter(group_categories::id.eq(category_id))
        .filter(group_categories::course_id.eq(course_id))
        .filter(category_groups::group_id.eq(group_id))
        .select((GroupCategory::as_select(), OrgUnit::as_select()))
        .get_result(conn)
        .optional()?)
}

/// Whether `unit_id` is a section or a group of the course (what may restrict a category).
pub fn is_part_of_course(conn: &mut DbConnection, course_id: i64, unit_id: i64) -> ApiResult<bool> {
    let found: i64 = org_units::table
        .filter(org_units::id.eq(unit_id))
        .filter(org_units::parent_id.eq(course_id))
        .filter(org_units::type_id.eq_any([org_unit_type::SECTION, org_unit_type::GROUP]))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Records a category of `course`, still processing (its creation job makes the groups).
pub fn insert(
    conn: &mut DbConnection,
    course: &OrgUnit,
    spec: &CategorySpec,
    now: NaiveDateTime,
) -> ApiResult<GroupCategory> {
    let id: i64 = diesel::insert_into(group_categories::table)
        .values(NewGroupCategory {
            course_id: course.id,
            institution_id: course.institution_id,
            name: spec.name.clone(),
            description_text: spec.description.text.clone(),
            description_html: spec.description.html.clone(),
            enrollment_style: spec.style.number(),
            enrollment_quantity: spec.quantities.enrollment_quantity,
            number_of_groups: spec.quantities.number_of_groups,
            max_users_per_group: spec.quantities.max_users_per_group,
            auto_enroll: spec.auto_enroll,
            randomize_enrollments: spec.randomize_enrollments,
            allocate_after_expiry: spec.allocate_after_expiry,
            self_enrollment_expiry_date: spec.self_enrollment_expiry_date,
            self_enrollment_start_date: spec.self_enrollment_start_date,
            group_prefix: spec.group_prefix.clone(),
            restricted_by_org_unit_id: spec.restricted_by_org_unit_id,
            descriptions_visible: spec.descriptions_visible,
            status: GroupCategory::PROCESSING,
            submitted_at: now,
            updated_at: now,
        })
        .returning(group_categories::id)
        .get_result(conn)?;
    find(conn, course.id, id)
}

/// Applies an Update form to category `id`.
/// Writes an Update form: its own keys, and the settings merged from it ([`SelfEnrollment`]).
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &CategoryChanges,
    settings: &SelfEnrollment,
) -> ApiResult<()> {
    diesel::update(group_categories::table.find(id))
        .set((
            group_categories::max_users_per_group.eq(settings.max_users_per_group),
            group_categories::allocate_after_expiry.eq(settings.allocate_after_expiry),
            group_categories::self_enrollment_start_date.eq(settings.start),
            group_categories::self_enrollment_expiry_date.eq(settings.expiry),
            group_categories::group_prefix.eq(&settings.group_prefix),
            group_categories::name.eq(&changes.name),
            group_categories::description_text.eq(&changes.description.text),
            group_categories::description_html.eq(&changes.description.html),
            group_categories::auto_enroll.eq(changes.auto_enroll),
            group_categories::randomize_enrollments.eq(changes.randomize_enrollments),
            group_categories::descriptions_visible.eq(changes.descriptions_visible),
            group_categories::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks category `id` Complete, keeping the cap its creation settled on.
pub fn complete(
    conn: &mut DbConnection,
    id: i64,
    cap: Option<i64>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    diesel::update(group_categories::table.find(id))
        .set((
            group_categories::status.eq(GroupCategory::COMPLETE),
            group_categories::max_users_per_group.eq(cap),
            group_categories::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes category `id` (its jobs go with it: foreign keys cascade).
pub fn delete(conn: &mut DbConnection, id: i64) -> ApiResult<()> {
    diesel::delete(group_categories::table.find(id)).execute(conn)?;
    Ok(())
}

/// Makes `groups` the category's, in batches: a thousand single inserts would cost a round
/// trip each on PostgreSQL.
pub fn link_groups(conn: &mut DbConnection, category_id: i64, groups: &[i64]) -> ApiResult<()> {
    for chunk in groups.chunks(BATCH_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|group| {
                (
                    category_groups::group_id.eq(*group),
                    category_groups::category_id.eq(category_id),
                )
            })
            .collect();
        per_backend!(conn, c => diesel::insert_into(category_groups::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// The course's complete AutoEnroll categories, by id, each locked (`FOR NO KEY UPDATE` on
/// PostgreSQL) for the rest of the transaction: placements into one category take turns, so
/// that sizes and caps are read after the previous placement committed. Locked in id order, the
/// one order every placement uses.
pub fn lock_auto_enroll(conn: &mut DbConnection, course_id: i64) -> ApiResult<Vec<GroupCategory>> {
    // Built per backend: the locking clause changes the statement's type.
    macro_rules! categories {
        () => {
            group_categories::table
                .filter(group_categories::course_id.eq(course_id))
                .filter(group_categories::auto_enroll.eq(true))
                .filter(group_categories::status.eq(GroupCategory::COMPLETE))
                .order(group_categories::id.asc())
                .select(GroupCategory::as_select())
        };
    }
    Ok(match conn {
        DbConnection::Pg(pg) => categories!().for_no_key_update().load(pg)?,
        DbConnection::Sqlite(sqlite) => categories!().load(sqlite)?,
    })
}
