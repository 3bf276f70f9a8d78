//! A course's section settings (`section_settings`): one row per course whose sections are
//! initialized.

use chrono::Utc;
use diesel::prelude::*;

use super::rows::SectionSettings;
use super::DbConnection;
use crate::domain::sections::SettingsChange;
use crate::error::{ApiError, ApiResult};
use crate::schema::section_settings;

/// The course's section settings, if they are initialized.
pub fn find(conn: &mut DbConnection, course_id: i64) -> ApiResult<Option<SectionSettings>> {
    Ok(section_settings::table
        .find(course_id)
        .select(SectionSettings::as_select())
        .get_result(conn)
        .optional()?)
}

/// The 400 for initializing settings a second time.
pub fn already_initialized(course_id: i64) -> ApiError {
    ApiError::bad_request(format!(
        "Org unit {course_id} already has section settings; use PUT to change them."
    ))
}

/// Inserts the course's settings; settings inserted first by another transaction are
/// [`already_initialized`].
pub fn insert(conn: &mut DbConnection, settings: &SectionSettings) -> ApiResult<()> {
    match diesel::insert_into(section_settings::table)
        .values(settings)
        .execute(conn)
    {
        Err(e) if super::is_unique_violation(&e) => Err(already_initialized(settings.org_unit_id)),
        other => other.map(drop).map_err(Into::into),
    }
}

/// Replaces the descriptive settings of the course.
pub fn update(conn: &mut DbConnection, course_id: i64, change: &SettingsChange) -> ApiResult<()> {
    diesel::update(section_settings::table.find(course_id))
        .set((
            section_settings::name.eq(&change.name),
            section_settings::description_text.eq(&change.description.text),
            section_settings::description_html.eq(&change.description.html),
            section_settings::auto_enroll.eq(change.auto_enroll),
            section_settings::randomize_enrollments.eq(change.randomize_enrollments),
            section_settings::descriptions_visible.eq(change.descriptions_visible),
            section_settings::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The course's section settings, locked (`FOR NO KEY UPDATE` on PostgreSQL) for the rest of
/// the transaction: AutoEnroll placements into the course's sections take turns, each reading
/// the sizes the previous one committed.
pub fn lock(conn: &mut DbConnection, course_id: i64) -> ApiResult<Option<SectionSettings>> {
    // A macro, not a value: `as_select()` is typed by the backend it is loaded on.
    macro_rules! settings {
        () => {
            section_settings::table
                .find(course_id)
                .select(SectionSettings::as_select())
        };
    }
    Ok(match conn {
        DbConnection::Pg(pg) => settings!().for_no_key_update().first(pg).optional()?,
        DbConnection::Sqlite(sqlite) => settings!().first(sqlite).optional()?,
    })
}
