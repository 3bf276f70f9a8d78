//! Sections of a course offering: settings that initialize them (creating the first sections
//! and dealing the course's learners among them), the sections themselves and their members.
//! Learners enrolled later are placed by `placement::sections`.

use chrono::Utc;

use crate::db::rows::{org_unit_type, Member, OrgUnit, SectionSettings, UnitWithMembers};
use crate::db::DbConnection;
use crate::domain::allocation;
use crate::domain::csv::MembershipRow;
use crate::domain::history::Actor;
use crate::domain::sections::{
    NewSettings, SectionChange, SettingsChange, DEFAULT_SETTINGS_NAME, SECTION_PREFIX,
};
use crate::error::{ApiError, ApiResult};
use crate::services::access::Course;
use crate::services::placement::import::{self, RowOutcome};

/// The course's section settings: 404 until they are initialized.
pub fn settings(conn: &mut DbConnection, course: &Course) -> ApiResult<SectionSettings> {
    crate::db::sections::find(conn, course.id)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "Org unit {} has no sections: its section settings are not initialized.",
            course.id
        ))
    })
}

/// Initializes the course's sections once, creating the first sections and dealing the
/// course's learners among them (as `actor`'s change). The course must be held with
/// `CourseLock::Structure`.
pub fn initialize(
    conn: &mut DbConnection,
    course: &Course,
    input: &NewSettings,
    actor: &Actor,
) -> ApiResult<SectionSettings> {
    if crate::db::sections::find(conn, course.id)?.is_some() {
        return Err(crate::db::sections::already_initialized(course.id));
    }
    let now = Utc::now().naive_utc();
    let settings = SectionSettings {
        org_unit_id: course.id,
        institution_id: course.institution_id,
        name: DEFAULT_SETTINGS_NAME.into(),
        description_text: String::new(),
        description_html: String::new(),
        enrollment_style: input.style.number(),
        enrollment_quantity: input.quantity,
        auto_enroll: input.auto_enroll,
        randomize_enrollments: input.randomize_enrollments,
        descriptions_visible: input.descriptions_visible,
        created_at: now,
        updated_at: now,
    };
    crate::db::sections::insert(conn, &settings)?;

    let learners = allocation::dealing_order(
        crate::db::enrollments::learners(conn, course)?,
        input.randomize_enrollments,
    );
    let piles = input.style.deal(&learners, input.quantity);
    let sections = crate::db::org_units::create_numbered(
        conn,
        course,
        org_unit_type::SECTION,
        SECTION_PREFIX,
        piles.len(),
    )?;
    let mut members = Vec::with_capacity(learners.len());
    for (section, pile) in sections.into_iter().zip(piles) {
        members.extend(pile.into_iter().map(|user_id| Member {
            org_unit_id: section,
            user_id,
            course_id: course.id,
            created_at: now,
        }));
    }
    crate::db::members::insert_members(conn, &members, actor)?;
    Ok(settings)
}

/// A section [`initialize`] would create, with the learners it would deal into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSection {
    pub name: String,
    pub code: String,
    pub members: Vec<i64>,
}

/// What [`initialize`] would make of the course now, without making it: the same refusal when
/// the sections are already initialized, the same names and the same dealing (when
/// randomized, the sizes hold but who goes where is drawn again at the commit).
pub fn preview(
    conn: &mut DbConnection,
    course: &Course,
    input: &NewSettings,
) -> ApiResult<Vec<PlannedSection>> {
    if crate::db::sections::find(conn, course.id)?.is_some() {
        return Err(crate::db::sections::already_initialized(course.id));
    }
    let learners = allocation::dealing_order(
        crate::db::enrollments::learners(conn, course)?,
        input.randomize_enrollments,
    );
    let piles = input.style.deal(&learners, input.quantity);
    let names = crate::db::org_units::numbered_names(conn, course.id, SECTION_PREFIX, piles.len())?;
    Ok(names
        .into_iter()
        .zip(piles)
        .map(|((name, code), members)| PlannedSection {
            name,
            code,
            members,
        })
        .collect())
}

/// Changes the descriptive settings; never re-deals members.
pub fn update_settings(
    conn: &mut DbConnection,
    course: &Course,
    change: &SettingsChange,
) -> ApiResult<SectionSettings> {
    settings(conn, course)?;
    crate::db::sections::update(conn, course.id, change)?;
    crate::db::sections::find(conn, course.id)?
        .ok_or_else(|| ApiError::internal("settings vanished"))
}

/// The course's sections with their members, by id.
pub fn list(conn: &mut DbConnection, course: &Course) -> ApiResult<Vec<UnitWithMembers>> {
    settings(conn, course)?;
    let sections = crate::db::org_units::children(conn, course.id, org_unit_type::SECTION)?;
    crate::db::members::attach(conn, sections)
}

/// One more section, with no members.
pub fn create(
    conn: &mut DbConnection,
    course: &Course,
    input: &SectionChange,
) -> ApiResult<UnitWithMembers> {
    settings(conn, course)?;
    crate::db::org_units::require_code_free(conn, course.id, &input.code, None)?;
    let id = crate::db::org_units::create_child(
        conn,
        course,
        org_unit_type::SECTION,
        &input.name,
        &input.code,
        Some(&input.description),
    )?;
    Ok(UnitWithMembers {
        unit: section(conn, course, id)?,
        members: Vec::new(),
    })
}

/// The course's section `id`, or 404.
fn section(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<OrgUnit> {
    crate::db::org_units::child(conn, course.id, org_unit_type::SECTION, id, "Section")
}

/// Section `id` of the initialized course, or 404.
fn initialized_section(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<OrgUnit> {
    settings(conn, course)?;
    section(conn, course, id)
}

/// Section `id` with its members.
pub fn get(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<UnitWithMembers> {
    let unit = initialized_section(conn, course, id)?;
    with_members(conn, unit)
}

fn with_members(conn: &mut DbConnection, unit: OrgUnit) -> ApiResult<UnitWithMembers> {
    let members = crate::db::members::of_unit(conn, unit.id)?;
    Ok(UnitWithMembers { unit, members })
}

/// Renames section `id` and replaces its description.
pub fn update(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
    input: &SectionChange,
) -> ApiResult<UnitWithMembers> {
    let unit = initialized_section(conn, course, id)?;
    crate::db::org_units::require_code_free(conn, course.id, &input.code, Some(unit.id))?;
    crate::db::org_units::update_child(
        conn,
        unit.id,
        &input.name,
        &input.code,
        &input.description,
    )?;
    let renamed = section(conn, course, id)?;
    with_members(conn, renamed)
}

/// Deletes section `id` and its memberships (each recorded as `actor`'s removal).
pub fn delete(conn: &mut DbConnection, course: &Course, id: i64, actor: &Actor) -> ApiResult<()> {
    let unit = initialized_section(conn, course, id)?;
    crate::db::members::remove_all(conn, unit.id, course.id, actor)?;
    crate::db::org_units::delete(conn, unit.id)
}

/// Adds `user_id` to section `id`: they must already be enrolled in the course, and stay so
/// until this transaction ends. The course must be held with `CourseLock::Members`.
/// `actor` is who asked, whose user the membership's `EnrolledByUserId` names.
pub fn enroll(
    conn: &mut DbConnection,
    course: &Course,
    id: i64,
    user_id: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let unit = initialized_section(conn, course, id)?;
    let Some(enrollment) = crate::db::enrollments::hold_enrollment(conn, course.id, user_id)?
    else {
        return Err(ApiError::not_found(format!(
            "User {user_id} not found among the users enrolled in org unit {}.",
            course.id
        )));
    };
    crate::db::members::add_enrolled(conn, unit.id, &enrollment, actor)?;
    Ok(())
}

/// Moves `user_id` from section `from` to section `to`, in the caller's one transaction: 404
/// when they are not a member of `from`; joining `to` has [`enroll`]'s rules. The course must
/// be held with `CourseLock::Members`.
pub fn move_member(
    conn: &mut DbConnection,
    course: &Course,
    user_id: i64,
    from: i64,
    to: i64,
    actor: &Actor,
) -> ApiResult<()> {
    let source = initialized_section(conn, course, from)?;
    initialized_section(conn, course, to)?;
    if from == to {
        return Err(ApiError::bad_request(format!(
            "User {user_id} is already in section {to}."
        )));
    }
    if !crate::db::members::remove_member(conn, source.id, course.id, user_id, actor)? {
        return Err(ApiError::not_found(format!(
            "User {user_id} is not a member of section {from}."
        )));
    }
    enroll(conn, course, to, user_id, actor)
}

/// Adds each row's user to the section with the row's code, in order, as [`enroll`] does (its
/// rules, its refusals), in the caller's transaction (`placement::import`). The course must
/// be held with `CourseLock::Members`.
pub fn import_members(
    conn: &mut DbConnection,
    course: &Course,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    settings(conn, course)?;
    let sections = crate::db::org_units::children(conn, course.id, org_unit_type::SECTION)?;
    import::import_rows(
        conn,
        course,
        (&sections, "section", "in this course"),
        rows,
        |conn, section, user| enroll(conn, course, section.id, user.id, actor),
    )
}

/// [`import_members`], all or nothing: refused as a whole (400, each refused row and why)
/// when any row is refused, so the caller's transaction rolls back every row.
pub fn apply_import(
    conn: &mut DbConnection,
    course: &Course,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    let outcomes = import_members(conn, course, rows, actor)?;
    import::all_or_nothing(rows, outcomes)
}

/// [`import_members`] as a dry run: each row's outcome, nothing kept.
pub fn preview_import(
    conn: &mut DbConnection,
    course: &Course,
    rows: &[MembershipRow],
    actor: &Actor,
) -> ApiResult<Vec<RowOutcome>> {
    crate::db::dry_run::rolled_back(conn, |conn| import_members(conn, course, rows, actor))
}

/// The members of section `id`, by user id.
pub fn members(conn: &mut DbConnection, course: &Course, id: i64) -> ApiResult<Vec<i64>> {
    let unit = initialized_section(conn, course, id)?;
    crate::db::members::of_unit(conn, unit.id)
}

/// The caller's sections of a course, and whether their descriptions are shown to them.
#[derive(Debug)]
pub struct MySections {
    pub descriptions_visible: bool,
    pub sections: Vec<OrgUnit>,
}

/// `user_id`'s sections of `unit` (an org unit of their institution): 403 unless they are
/// enrolled there, 404 unless it is a course offering with sections.
pub fn mine(conn: &mut DbConnection, unit: &OrgUnit, user_id: i64) -> ApiResult<MySections> {
    if !crate::db::enrollments::is_enrolled(conn, unit.id, user_id)? {
        return Err(ApiError::forbidden(format!(
            "You are not enrolled in org unit {}.",
            unit.id
        )));
    }
    let settings = crate::db::sections::find(conn, unit.id)?
        .filter(|_| unit.type_id == org_unit_type::COURSE_OFFERING)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Org unit {} is not configured to have sections.",
                unit.id
            ))
        })?;
    let sections = crate::db::org_units::children(conn, unit.id, org_unit_type::SECTION)?;
    let ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
    let mine: std::collections::HashSet<i64> =
        crate::db::members::units_of_user(conn, &ids, user_id)?
            .into_iter()
            .collect();
    Ok(MySections {
        descriptions_visible: settings.descriptions_visible,
        sections: sections
            .into_iter()
            .filter(|s| mine.contains(&s.id))
            .collect(),
    })
}
