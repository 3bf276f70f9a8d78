//! A new learner's section: AutoEnroll sections take them by the settings' style, in turns
//! (the section settings are locked while one placement reads the sizes and adds).

use crate::db::rows::{org_unit_type, OrgUnit};
use crate::db::DbConnection;
use crate::domain::allocation::Placement;
use crate::domain::sections::{Style, SECTION_PREFIX};
use crate::error::{ApiError, ApiResult};

/// Called when `user_id` has just become a learner of `course` (inside that transaction, which
/// holds the course with [`CourseLock::Members`](crate::db::org_units::CourseLock)): with
/// AutoEnroll on, places them in a section unless they are in one already — the smallest for
/// number-of-sections style; the first not full for people-per-section style, creating a new
/// section when all are full.
pub fn place_new_learner(conn: &mut DbConnection, course: &OrgUnit, user_id: i64) -> ApiResult<()> {
    // Read unlocked first: most courses have no AutoEnroll sections, and they need no turn.
    if !crate::db::sections::find(conn, course.id)?.is_some_and(|s| s.auto_enroll) {
        return Ok(());
    }
    let Some(settings) = crate::db::sections::lock(conn, course.id)?.filter(|s| s.auto_enroll)
    else {
        return Ok(());
    };
    let sections = crate::db::org_units::children(conn, course.id, org_unit_type::SECTION)?;
    let ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
    if !crate::db::members::units_of_user(conn, &ids, user_id)?.is_empty() {
        return Ok(());
    }
    let sizes = crate::db::members::sizes_of(conn, &ids)?;
    let style = stored_style(settings.enrollment_style)?;
    let section = match style.place(&sizes, settings.enrollment_quantity) {
        None => return Ok(()),
        Some(Placement::Existing(i)) => *ids
            .get(i)
            .ok_or_else(|| ApiError::internal("placement out of range"))?,
        Some(Placement::New) => {
            let mut taken = crate::db::org_units::taken_codes(conn, course.id)?;
            let (name, code, _) =
                crate::domain::naming::next_name(SECTION_PREFIX, sections.len() + 1, &mut taken);
            crate::db::org_units::create_child(
                conn,
                course,
                org_unit_type::SECTION,
                &name,
                &code,
                None,
            )?
        }
    };
    let actor = crate::domain::history::Actor::auto_enroll();
    crate::db::members::add_member(conn, section, course.id, user_id, &actor)?;
    Ok(())
}

/// The style of stored settings: a number no style has is an internal error.
fn stored_style(number: i64) -> ApiResult<Style> {
    Style::from_number(number)
        .ok_or_else(|| ApiError::internal(format!("stored section style {number}")))
}
