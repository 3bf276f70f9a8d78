//! Sections of a course offering: settings that initialize them (creating the first sections
//! and allocating the course's learners), the sections themselves, their members, and the
//! automatic placement of learners enrolled later.

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::enrollments::LEARNER_ROLE;
use crate::db::org_units::CourseLock;
use crate::db::rows::{org_unit_type, Member, OrgUnit, SectionSettings};
use crate::db::DbConnection;
use crate::domain::allocation::{self, Placement};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::{Body, RawBody};
use crate::handlers::paths::path_param;
use crate::handlers::reply::{ok, ok_empty};
use crate::schema::{org_units, section_settings};
use crate::services::access::{self, Missing};
use crate::state::State;
use crate::wire::sections::*;
use crate::wire::{RichText, RichTextInput};

/// Most sections one initialization may create.
pub const MAX_SECTIONS: i64 = 5_000;
/// The settings' Name before anyone sets one.
pub const DEFAULT_SETTINGS_NAME: &str = "Sections";
const SECTION_PREFIX: &str = "Section";

fn style_of(settings: &SectionSettings) -> ApiResult<SectionEnrollmentStyle> {
    SectionEnrollmentStyle::from_number(settings.enrollment_style).ok_or_else(|| {
        ApiError::internal(format!(
            "stored section style {}",
            settings.enrollment_style
        ))
    })
}

fn settings_fetch(settings: &SectionSettings) -> ApiResult<SectionSettingsFetch> {
    Ok(SectionSettingsFetch {
        name: settings.name.clone(),
        description: RichText::from_stored(
            Some(&settings.description_text),
            Some(&settings.description_html),
        ),
        enrollment_style: style_of(settings)?,
        enrollment_quantity: settings.enrollment_quantity,
        auto_enroll: settings.auto_enroll,
        randomize_enrollments: settings.randomize_enrollments,
        descriptions_visible_to_enrollees: settings.descriptions_visible,
    })
}

fn section_fetch(unit: &OrgUnit, members: Vec<i64>) -> SectionFetch {
    SectionFetch {
        section_id: unit.id,
        name: unit.name.clone(),
        code: unit.code.clone().unwrap_or_default(),
        description: RichText::from_stored(
            unit.description_text.as_deref(),
            unit.description_html.as_deref(),
        ),
        enrollments: members,
    }
}

fn find_settings(conn: &mut DbConnection, course_id: i64) -> ApiResult<Option<SectionSettings>> {
    Ok(section_settings::table
        .find(course_id)
        .select(SectionSettings::as_select())
        .first(conn)
        .optional()?)
}

/// The course named by the path, once the caller's permission there is checked.
fn course(conn: &mut DbConnection, auth: &Authorized, id: i64) -> ApiResult<OrgUnit> {
    let course = access::course(conn, auth, id, Missing::NotFound)?;
    Ok(OrgUnit::clone(&course))
}

/// The course and its section settings: 404 until the settings are initialized.
fn initialized(
    conn: &mut DbConnection,
    auth: &Authorized,
    id: i64,
) -> ApiResult<(OrgUnit, SectionSettings)> {
    let unit = course(conn, auth, id)?;
    let settings = find_settings(conn, unit.id)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "Org unit {id} has no sections: its section settings are not initialized."
        ))
    })?;
    Ok((unit, settings))
}

/// [`initialized`] for a write: also takes the course's lock in `mode`.
fn initialized_for_write(
    conn: &mut DbConnection,
    auth: &Authorized,
    id: i64,
    mode: CourseLock,
) -> ApiResult<(OrgUnit, SectionSettings)> {
    let unit = course(conn, auth, id)?;
    crate::db::org_units::lock_course(conn, unit.id, mode)?;
    initialized(conn, auth, id)
}

fn ids(req: &HttpRequest) -> ApiResult<i64> {
    path_param(req, "orgUnitId", "Org unit")
}

/// `GET /sections/settings`
pub async fn get_settings(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let fetch = state
        .db
        .read(move |conn| settings_fetch(&initialized(conn, &auth, id)?.1))
        .await?;
    ok(&fetch)
}

/// `POST /sections/settings`: initializes once, creating the first sections and dealing the
/// course's learners among them, all in one transaction.
pub async fn create_settings(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<SectionSettingsCreate>,
) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let input = body.0;
    if input.enrollment_quantity < 1 {
        return Err(ApiError::bad_request(
            "EnrollmentQuantity: must be at least 1.",
        ));
    }
    if input.enrollment_style == SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment
        && input.enrollment_quantity > MAX_SECTIONS
    {
        return Err(ApiError::bad_request(format!(
            "EnrollmentQuantity: at most {MAX_SECTIONS} sections can be created."
        )));
    }
    let fetch = state
        .db
        .write(move |conn| {
            let unit = course(conn, &auth, id)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Structure)?;
            if find_settings(conn, unit.id)?.is_some() {
                return Err(ApiError::bad_request(format!(
                    "Org unit {id} already has section settings; use PUT to change them."
                )));
            }
            let now = Utc::now().naive_utc();
            let settings = SectionSettings {
                org_unit_id: unit.id,
                institution_id: unit.institution_id,
                name: DEFAULT_SETTINGS_NAME.into(),
                description_text: String::new(),
                description_html: String::new(),
                enrollment_style: input.enrollment_style.number(),
                enrollment_quantity: input.enrollment_quantity,
                auto_enroll: input.auto_enroll,
                randomize_enrollments: input.randomize_enrollments,
                descriptions_visible: input.descriptions_visible_to_enrollees,
                created_at: now,
                updated_at: now,
            };
            let inserted = diesel::insert_into(section_settings::table)
                .values(&settings)
                .execute(conn);
            match inserted {
                Err(e) if crate::db::is_unique_violation(&e) => {
                    return Err(ApiError::bad_request(format!(
                        "Org unit {id} already has section settings; use PUT to change them."
                    )));
                }
                other => {
                    other?;
                }
            }

            let learners = allocation::dealing_order(
                crate::db::enrollments::learners(conn, &unit)?,
                input.randomize_enrollments,
            );
            let quantity = usize::try_from(input.enrollment_quantity).unwrap_or(usize::MAX);
            let piles = match input.enrollment_style {
                SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment => {
                    allocation::deal(&learners, quantity)
                }
                SectionEnrollmentStyle::PeoplePerSectionAutoEnrollment => {
                    allocation::count_off(&learners, quantity)
                }
            };
            let sections = crate::db::org_units::create_numbered(
                conn,
                &unit,
                org_unit_type::SECTION,
                SECTION_PREFIX,
                piles.len(),
            )?;
            let mut members = Vec::with_capacity(learners.len());
            for (section, pile) in sections.into_iter().zip(piles) {
                members.extend(pile.into_iter().map(|user_id| Member {
                    org_unit_id: section,
                    user_id,
                    course_id: unit.id,
                    created_at: now,
                }));
            }
            crate::db::members::insert_members(conn, &members)?;
            settings_fetch(&settings)
        })
        .await?;
    ok(&fetch)
}

/// `PUT /sections/settings`: changes the descriptive settings; never re-deals members.
pub async fn update_settings(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<SectionSettingsUpdate>,
) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let input = body.0;
    validate::name("Name", &input.name, 256).map_err(ApiError::BadRequest)?;
    let description = RichTextInput::render_optional(input.description.as_ref());
    let fetch = state
        .db
        .write(move |conn| {
            let (unit, _) = initialized_for_write(conn, &auth, id, CourseLock::Structure)?;
            diesel::update(section_settings::table.find(unit.id))
                .set((
                    section_settings::name.eq(&input.name),
                    section_settings::description_text.eq(&description.text),
                    section_settings::description_html.eq(&description.html),
                    section_settings::auto_enroll.eq(input.auto_enroll),
                    section_settings::randomize_enrollments.eq(input.randomize_enrollments),
                    section_settings::descriptions_visible
                        .eq(input.descriptions_visible_to_enrollees),
                    section_settings::updated_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            let settings = find_settings(conn, unit.id)?
                .ok_or_else(|| ApiError::internal("settings vanished"))?;
            settings_fetch(&settings)
        })
        .await?;
    ok(&fetch)
}

/// `GET /sections/`
pub async fn list(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let sections = state
        .db
        .read(move |conn| {
            let (unit, _) = initialized(conn, &auth, id)?;
            let sections = crate::db::org_units::children(conn, unit.id, org_unit_type::SECTION)?;
            let ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
            let mut members = crate::db::members::members_of(conn, &ids)?;
            Ok(sections
                .iter()
                .map(|s| section_fetch(s, members.remove(&s.id).unwrap_or_default()))
                .collect::<Vec<_>>())
        })
        .await?;
    ok(&sections)
}

/// `POST /sections/`: one more section.
pub async fn create(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<SectionInput>,
) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let input = body.0;
    let description = input.validated()?;
    let section = state
        .db
        .write(move |conn| {
            let (unit, _) = initialized_for_write(conn, &auth, id, CourseLock::Structure)?;
            crate::db::org_units::require_code_free(conn, unit.id, &input.code, None)?;
            let section_id = crate::db::org_units::create_child(
                conn,
                &unit,
                org_unit_type::SECTION,
                &input.name,
                &input.code,
                Some(&description),
            )?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            Ok(section_fetch(&section, Vec::new()))
        })
        .await?;
    ok(&section)
}

fn section_id(req: &HttpRequest) -> ApiResult<i64> {
    path_param(req, "sectionId", "Section")
}

/// `GET /sections/(sectionId)`
pub async fn get(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (id, section_id) = (ids(&req)?, section_id(&req)?);
    let section = state
        .db
        .read(move |conn| {
            let (unit, _) = initialized(conn, &auth, id)?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            let members = crate::db::members::members_of(conn, &[section.id])?
                .remove(&section.id)
                .unwrap_or_default();
            Ok(section_fetch(&section, members))
        })
        .await?;
    ok(&section)
}

/// `PUT /sections/(sectionId)`: Name, Code, Description.
pub async fn update(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<SectionInput>,
) -> ApiResult<HttpResponse> {
    let (id, section_id) = (ids(&req)?, section_id(&req)?);
    let input = body.0;
    let description = input.validated()?;
    let section = state
        .db
        .write(move |conn| {
            let (unit, _) = initialized_for_write(conn, &auth, id, CourseLock::Structure)?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            crate::db::org_units::require_code_free(conn, unit.id, &input.code, Some(section.id))?;
            crate::db::org_units::update_child(
                conn,
                section.id,
                &input.name,
                &input.code,
                &description,
            )?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            let members = crate::db::members::members_of(conn, &[section.id])?
                .remove(&section.id)
                .unwrap_or_default();
            Ok(section_fetch(&section, members))
        })
        .await?;
    ok(&section)
}

/// `DELETE /sections/(sectionId)`: the section and its memberships.
pub async fn delete(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (id, section_id) = (ids(&req)?, section_id(&req)?);
    state
        .db
        .write(move |conn| {
            let (unit, _) = initialized_for_write(conn, &auth, id, CourseLock::Structure)?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            diesel::delete(org_units::table.find(section.id)).execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

/// `POST /sections/(sectionId)/enrollments/`: the user must already be enrolled in the course.
pub async fn enroll(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let (id, section_id) = (ids(&req)?, section_id(&req)?);
    let user_id = UserEnrollment::from_body(&body.0)?;
    state
        .db
        .write(move |conn| {
            let (unit, _) = initialized_for_write(conn, &auth, id, CourseLock::Members)?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            if !crate::db::enrollments::hold_enrollment(conn, unit.id, user_id)? {
                return Err(ApiError::not_found(format!(
                    "User {user_id} not found among the users enrolled in org unit {id}."
                )));
            }
            crate::db::members::add_member(conn, section.id, unit.id, user_id)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

/// `GET /sections/(sectionId)/enrollments/`: the members' user ids.
pub async fn members(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (id, section_id) = (ids(&req)?, section_id(&req)?);
    let members = state
        .db
        .read(move |conn| {
            let (unit, _) = initialized(conn, &auth, id)?;
            let section = crate::db::org_units::child(
                conn,
                unit.id,
                org_unit_type::SECTION,
                section_id,
                "Section",
            )?;
            Ok(crate::db::members::members_of(conn, &[section.id])?
                .remove(&section.id)
                .unwrap_or_default())
        })
        .await?;
    ok(&members)
}

/// `GET /sections/mysections/`: the caller's sections, Enrolled form; 403 unless the caller is
/// enrolled in the course.
pub async fn mine(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = ids(&req)?;
    let caller = auth.caller;
    let sections = state
        .db
        .read(move |conn| {
            let unit = crate::services::access::own_org_unit(conn, &caller, id)?;
            if !crate::db::enrollments::is_enrolled(conn, unit.id, caller.user_id)? {
                return Err(ApiError::forbidden(format!(
                    "You are not enrolled in org unit {id}."
                )));
            }
            let settings = find_settings(conn, unit.id)?
                .filter(|_| unit.type_id == org_unit_type::COURSE_OFFERING)
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "Org unit {id} is not configured to have sections."
                    ))
                })?;
            let sections = crate::db::org_units::children(conn, unit.id, org_unit_type::SECTION)?;
            let ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
            let mine: HashSet<i64> = crate::db::members::units_of_user(conn, &ids, caller.user_id)?
                .into_iter()
                .collect();
            Ok(sections
                .into_iter()
                .filter(|s| mine.contains(&s.id))
                .map(|s| SectionEnrolled {
                    section_id: s.id,
                    description: settings.descriptions_visible.then(|| {
                        RichText::from_stored(
                            s.description_text.as_deref(),
                            s.description_html.as_deref(),
                        )
                    }),
                    name: s.name,
                    code: s.code.unwrap_or_default(),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    ok(&sections)
}

/// Legacy `PUT /sections/`: gone since LP 1.39, so the route table serves it on no version and
/// the gate answers 404 before this runs.
pub async fn legacy_initialize() -> ApiResult<HttpResponse> {
    Err(ApiError::not_found(
        "PUT /sections/ was removed in LP 1.39; use POST /sections/settings.",
    ))
}

/// The course's section settings, locked (`FOR NO KEY UPDATE` on PostgreSQL) for the rest of
/// the transaction: AutoEnroll placements into the course's sections take turns, each reading
/// the sizes the previous one committed.
fn lock_settings(conn: &mut DbConnection, course_id: i64) -> ApiResult<Option<SectionSettings>> {
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

/// Called when `user_id` has just become a learner of `course` (inside that transaction, which
/// holds the course with [`CourseLock::Members`]): with AutoEnroll on, places them in a section
/// unless they are in one already — the smallest for number-of-sections style; the first not
/// full for people-per-section style, creating a new section when all are full.
pub fn place_new_learner(conn: &mut DbConnection, course: &OrgUnit, user_id: i64) -> ApiResult<()> {
    // Read unlocked first: most courses have no AutoEnroll sections, and they need no turn.
    if !find_settings(conn, course.id)?.is_some_and(|s| s.auto_enroll) {
        return Ok(());
    }
    let Some(settings) = lock_settings(conn, course.id)?.filter(|s| s.auto_enroll) else {
        return Ok(());
    };
    let sections = crate::db::org_units::children(conn, course.id, org_unit_type::SECTION)?;
    let ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
    if !crate::db::members::units_of_user(conn, &ids, user_id)?.is_empty() {
        return Ok(());
    }
    let sizes = crate::db::members::sizes_of(conn, &ids)?;
    let placement = match style_of(&settings)? {
        SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment => allocation::smallest(&sizes),
        SectionEnrollmentStyle::PeoplePerSectionAutoEnrollment => allocation::first_not_full(
            &sizes,
            usize::try_from(settings.enrollment_quantity).unwrap_or(usize::MAX),
        ),
    };
    let section = match (placement, style_of(&settings)?) {
        (Placement::Existing(i), _) => *ids
            .get(i)
            .ok_or_else(|| ApiError::internal("placement out of range"))?,
        // Number-of-sections style only fills sections that exist.
        (Placement::New, SectionEnrollmentStyle::NumberOfSectionsAutoEnrollment) => return Ok(()),
        (Placement::New, SectionEnrollmentStyle::PeoplePerSectionAutoEnrollment) => {
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
    crate::db::members::add_member(conn, section, course.id, user_id)?;
    Ok(())
}

/// Whether `role_name` makes its holder a learner that sections and groups allocate.
pub fn is_learner_role(role_name: &str) -> bool {
    role_name == LEARNER_ROLE
}
