//! Group categories and their groups. Creating a category is asynchronous: the request records
//! the category and a job in one transaction and answers 202; the job (see `crate::jobs`)
//! creates the groups and allocates the learners in one transaction and marks the category
//! Complete. Until then every write to the category, its groups or their members is 409. If
//! the job dies (it failed its last allowed attempt), the creation has failed: the category
//! answers 404 everywhere but `DELETE`, which clears it away.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Authorized;
use crate::db::org_units::CourseLock;
use crate::db::org_units::TakenCodes;
use crate::db::rows::{org_unit_type, GroupCategory, Member, NewGroupCategory, OrgUnit};
use crate::db::DbConnection;
use crate::domain::allocation::{self, Placement};
use crate::domain::group_plan::{self, Quantities, Style};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};
use crate::handlers::extract::{Body, RawBody};
use crate::handlers::paths::path_param;
use crate::handlers::reply::{ok, ok_empty, reply};
use crate::jobs;
use crate::schema::{category_groups, group_categories, org_unit_members, org_units};
use crate::services::access::{self, Missing};
use crate::state::State;
use crate::wire::groups::*;
use crate::wire::sections::UserEnrollment;
use crate::wire::{RichText, RichTextInput, UtcDateTime};

/// Longest category name and group prefix accepted.
const MAX_NAME_CHARS: usize = 200;

// ---------------------------------------------------------------------------------------------
// Loading and checking

/// The category, and whether its creation failed for good (its job is dead, so it would
/// otherwise be "processing" forever). Only `DELETE` of the category sees a failed one.
fn lookup_category(
    conn: &mut DbConnection,
    course_id: i64,
    category_id: i64,
) -> ApiResult<(GroupCategory, bool)> {
    let category = group_categories::table
        .filter(group_categories::id.eq(category_id))
        .filter(group_categories::course_id.eq(course_id))
        .select(GroupCategory::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Group category {category_id} not found in org unit {course_id}."
            ))
        })?;
    let failed = category.status == GroupCategory::PROCESSING
        && !jobs::failed_creations(conn, &[category.id])?.is_empty();
    Ok((category, failed))
}

/// The category named by the path. One whose creation failed for good is, to every route but
/// `DELETE`, a category that was never created: 404, saying so (docs/compatibility.md).
fn find_category(
    conn: &mut DbConnection,
    course_id: i64,
    category_id: i64,
) -> ApiResult<GroupCategory> {
    match lookup_category(conn, course_id, category_id)? {
        (_, true) => Err(ApiError::not_found(format!(
            "Group category {category_id} not found in org unit {course_id}: its creation failed. \
             Create it again; DELETE clears the failed one away."
        ))),
        (category, false) => Ok(category),
    }
}

/// 409 while the category's creation job has not finished (a failed creation never gets here:
/// `find_category` answers 404 for it).
fn writable(category: &GroupCategory) -> ApiResult<()> {
    if category.status == GroupCategory::PROCESSING {
        Err(ApiError::Conflict(format!(
            "Group category {} is still being created; try again when its status is 1.",
            category.id
        )))
    } else {
        Ok(())
    }
}

/// The category's groups, by id.
fn groups_of(conn: &mut DbConnection, category_id: i64) -> ApiResult<Vec<OrgUnit>> {
    Ok(category_groups::table
        .inner_join(org_units::table)
        .filter(category_groups::category_id.eq(category_id))
        .order(org_units::id.asc())
        .select(OrgUnit::as_select())
        .load(conn)?)
}

fn group_ids_of(conn: &mut DbConnection, category_id: i64) -> ApiResult<Vec<i64>> {
    Ok(category_groups::table
        .filter(category_groups::category_id.eq(category_id))
        .order(category_groups::group_id.asc())
        .select(category_groups::group_id)
        .load(conn)?)
}

fn find_group(conn: &mut DbConnection, category_id: i64, group_id: i64) -> ApiResult<OrgUnit> {
    category_groups::table
        .inner_join(org_units::table)
        .filter(category_groups::category_id.eq(category_id))
        .filter(category_groups::group_id.eq(group_id))
        .select(OrgUnit::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Group {group_id} not found in group category {category_id}."
            ))
        })
}

fn style_of(category: &GroupCategory) -> ApiResult<GroupEnrollmentStyle> {
    GroupEnrollmentStyle::from_number(category.enrollment_style).ok_or_else(|| {
        ApiError::internal(format!("stored group style {}", category.enrollment_style))
    })
}

fn category_fetch(conn: &mut DbConnection, c: &GroupCategory) -> ApiResult<GroupCategoryFetch> {
    let style = style_of(c)?;
    Ok(GroupCategoryFetch {
        group_category_id: c.id,
        name: c.name.clone(),
        description: RichText::from_stored(Some(&c.description_text), Some(&c.description_html)),
        enrollment_style: style,
        enrollment_quantity: c.enrollment_quantity,
        max_users_per_group: if style.style().has_cap() {
            c.max_users_per_group
        } else {
            None
        },
        auto_enroll: c.auto_enroll,
        randomize_enrollments: c.randomize_enrollments,
        groups: group_ids_of(conn, c.id)?,
        allocate_after_expiry: c.allocate_after_expiry,
        self_enrollment_expiry_date: c.self_enrollment_expiry_date.map(UtcDateTime),
        restricted_by_org_unit_id: c.restricted_by_org_unit_id,
        descriptions_visible_to_enrolees: c.descriptions_visible,
    })
}

fn group_fetch(unit: &OrgUnit, members: Vec<i64>) -> GroupFetch {
    GroupFetch {
        group_id: unit.id,
        name: unit.name.clone(),
        code: unit.code.clone().unwrap_or_default(),
        description: RichText::from_stored(
            unit.description_text.as_deref(),
            unit.description_html.as_deref(),
        ),
        enrollments: members,
    }
}

fn members_of_one(conn: &mut DbConnection, unit: i64) -> ApiResult<Vec<i64>> {
    Ok(crate::db::members::members_of(conn, &[unit])?
        .remove(&unit)
        .unwrap_or_default())
}

/// The learners a category allocates: the course's learners, narrowed to the members of its
/// restricting section or group when it has one.
fn eligible_learners(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category: &GroupCategory,
) -> ApiResult<Vec<i64>> {
    let learners = crate::db::enrollments::learners(conn, course)?;
    match category.restricted_by_org_unit_id {
        None => Ok(learners),
        Some(restriction) => {
            let allowed: HashSet<i64> = members_of_one(conn, restriction)?.into_iter().collect();
            Ok(learners
                .into_iter()
                .filter(|l| allowed.contains(l))
                .collect())
        }
    }
}

fn course_id(req: &HttpRequest) -> ApiResult<i64> {
    path_param(req, "orgUnitId", "Org unit")
}

fn category_id(req: &HttpRequest) -> ApiResult<i64> {
    path_param(req, "groupCategoryId", "Group category")
}

fn group_id(req: &HttpRequest) -> ApiResult<i64> {
    path_param(req, "groupId", "Group")
}

// ---------------------------------------------------------------------------------------------
// Creating groups (run by the job worker)

/// Creates one group of the category, with the next free name and code; answers its id.
fn add_group(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category_id: i64,
    prefix: &str,
    start: usize,
    taken: &mut HashSet<String>,
) -> ApiResult<(i64, usize)> {
    let (name, code, n) = crate::domain::naming::next_name(prefix, start, taken);
    let id =
        crate::db::org_units::create_child(conn, course, org_unit_type::GROUP, &name, &code, None)?;
    diesel::insert_into(category_groups::table)
        .values((
            category_groups::group_id.eq(id),
            category_groups::category_id.eq(category_id),
        ))
        .execute(conn)?;
    Ok((id, n))
}

fn prefix_of(category: &GroupCategory) -> String {
    category
        .group_prefix
        .clone()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| category.name.clone())
}

fn quantities_of(category: &GroupCategory) -> Quantities {
    Quantities {
        enrollment_quantity: category.enrollment_quantity,
        number_of_groups: category.number_of_groups,
        max_users_per_group: category.max_users_per_group,
    }
}

/// The creation job's work: groups, initial members, status Complete, and the expiry job if
/// one is wanted. Does nothing for a category already complete (jobs may run twice).
pub fn create_groups(conn: &mut DbConnection, category_id: i64) -> ApiResult<()> {
    let Some(category) = group_categories::table
        .find(category_id)
        .select(GroupCategory::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(());
    };
    if category.status == GroupCategory::COMPLETE {
        return Ok(());
    }
    let course = org_units::table
        .find(category.course_id)
        .select(OrgUnit::as_select())
        .first(conn)?;
    crate::db::org_units::lock_course(conn, course.id, CourseLock::Structure)?;
    let style = style_of(&category)?.style();
    let learners = allocation::dealing_order(
        eligible_learners(conn, &course, &category)?,
        category.randomize_enrollments,
    );
    let plan = group_plan::plan(style, &quantities_of(&category), learners.len());
    let piles = group_plan::initial_members(style, &plan, &learners);

    let prefix = prefix_of(&category);
    let now = Utc::now().naive_utc();
    let mut members = Vec::with_capacity(learners.len());
    // Every group in one batch: on PostgreSQL a thousand single inserts would cost a round
    // trip each.
    let groups = crate::db::org_units::create_numbered(
        conn,
        &course,
        org_unit_type::GROUP,
        &prefix,
        piles.len(),
    )?;
    let links: Vec<(i64, i64)> = groups.iter().map(|g| (*g, category.id)).collect();
    for chunk in links.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(group, cat)| {
                (
                    category_groups::group_id.eq(*group),
                    category_groups::category_id.eq(*cat),
                )
            })
            .collect();
        match conn {
            DbConnection::Pg(c) => diesel::insert_into(category_groups::table)
                .values(&rows)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(category_groups::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    for (group, pile) in groups.iter().zip(piles) {
        members.extend(pile.into_iter().map(|user_id| Member {
            org_unit_id: *group,
            user_id,
            course_id: course.id,
            created_at: now,
        }));
    }
    crate::db::members::insert_members(conn, &members)?;

    let cap = plan.cap.and_then(|c| i64::try_from(c).ok());
    diesel::update(group_categories::table.find(category.id))
        .set((
            group_categories::status.eq(GroupCategory::COMPLETE),
            group_categories::max_users_per_group.eq(cap),
            group_categories::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let (true, Some(expiry)) = (
        category.allocate_after_expiry,
        category.self_enrollment_expiry_date,
    ) {
        jobs::enqueue(conn, jobs::ALLOCATE_AFTER_EXPIRY, category.id, expiry)?;
    }
    Ok(())
}

/// Places one learner in the category by its automatic rule; answers the group, if any.
fn place(
    conn: &mut DbConnection,
    course: &OrgUnit,
    category: &GroupCategory,
    groups: &mut Vec<(i64, usize)>,
    taken: &mut TakenCodes,
) -> ApiResult<Option<i64>> {
    let style = style_of(category)?.style();
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
            let taken = taken.get(conn, course.id)?;
            let (id, _) = add_group(
                conn,
                course,
                category.id,
                &prefix_of(category),
                groups.len() + 1,
                taken,
            )?;
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

/// A category's groups with their sizes, and the users already in one of them.
type Occupancy = (Vec<(i64, usize)>, HashSet<i64>);

/// The groups of a category with their sizes, and the set of users already in one.
fn sizes_and_members(conn: &mut DbConnection, category_id: i64) -> ApiResult<Occupancy> {
    let ids = group_ids_of(conn, category_id)?;
    let members = crate::db::members::members_of(conn, &ids)?;
    let placed: HashSet<i64> = members.values().flatten().copied().collect();
    let sizes = ids
        .iter()
        .map(|id| (*id, members.get(id).map_or(0, Vec::len)))
        .collect();
    Ok((sizes, placed))
}

/// The expiry job's work: every eligible learner in no group of the category is placed in the
/// groups with room (people-per-group styles create a group when all are full).
pub fn allocate_after_expiry(conn: &mut DbConnection, category_id: i64) -> ApiResult<()> {
    let Some(category) = group_categories::table
        .find(category_id)
        .select(GroupCategory::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(());
    };
    let course = org_units::table
        .find(category.course_id)
        .select(OrgUnit::as_select())
        .first(conn)?;
    crate::db::org_units::lock_course(conn, course.id, CourseLock::Structure)?;
    let (mut groups, placed) = sizes_and_members(conn, category.id)?;
    let waiting: Vec<i64> = eligible_learners(conn, &course, &category)?
        .into_iter()
        .filter(|l| !placed.contains(l))
        .collect();
    let mut taken = TakenCodes::default();
    let now = Utc::now().naive_utc();
    let mut members = Vec::new();
    for learner in allocation::dealing_order(waiting, category.randomize_enrollments) {
        if let Some(group) = place(conn, &course, &category, &mut groups, &mut taken)? {
            members.push(Member {
                org_unit_id: group,
                user_id: learner,
                course_id: course.id,
                created_at: now,
            });
        }
    }
    crate::db::members::insert_members(conn, &members)?;
    Ok(())
}

/// The course's complete AutoEnroll categories, by id, each locked (`FOR NO KEY UPDATE` on
/// PostgreSQL) for the rest of the transaction: placements into one category take turns, so
/// that sizes and caps are read after the previous placement committed. Locked in id order, the
/// one order every placement uses.
fn lock_auto_enroll_categories(
    conn: &mut DbConnection,
    course_id: i64,
) -> ApiResult<Vec<GroupCategory>> {
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

/// Called when `user_id` has just become a learner of `course` (inside that transaction, which
/// holds the course with [`CourseLock::Members`]): each complete AutoEnroll category the learner
/// is eligible for and not yet placed in gets them.
pub fn place_new_learner(conn: &mut DbConnection, course: &OrgUnit, user_id: i64) -> ApiResult<()> {
    let categories = lock_auto_enroll_categories(conn, course.id)?;
    for category in categories {
        if let Some(restriction) = category.restricted_by_org_unit_id {
            if crate::db::members::units_of_user(conn, &[restriction], user_id)?.is_empty() {
                continue;
            }
        }
        let ids = group_ids_of(conn, category.id)?;
        if !crate::db::members::units_of_user(conn, &ids, user_id)?.is_empty() {
            continue;
        }
        let sizes = crate::db::members::sizes_of(conn, &ids)?;
        let mut groups: Vec<(i64, usize)> = ids.into_iter().zip(sizes).collect();
        let mut taken = TakenCodes::default();
        if let Some(group) = place(conn, course, &category, &mut groups, &mut taken)? {
            crate::db::members::add_member(conn, group, course.id, user_id)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Categories

/// `GET .../groupcategories/`
pub async fn list_categories(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let id = course_id(&req)?;
    let all = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            let mut categories: Vec<GroupCategory> = group_categories::table
                .filter(group_categories::course_id.eq(unit.id))
                .order(group_categories::id.asc())
                .select(GroupCategory::as_select())
                .load(conn)?;
            // Failed creations are left out, as everywhere else.
            let processing: Vec<i64> = categories
                .iter()
                .filter(|c| c.status == GroupCategory::PROCESSING)
                .map(|c| c.id)
                .collect();
            let failed = jobs::failed_creations(conn, &processing)?;
            categories.retain(|c| !failed.contains(&c.id));
            categories
                .iter()
                .map(|c| category_fetch(conn, c))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    ok(&all)
}

/// Checks a Create form; answers the rendered description.
fn validate_create(input: &GroupCategoryCreate) -> ApiResult<RichText> {
    validate::name("Name", &input.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?;
    let style = input.enrollment_style.style();
    let quantities = Quantities {
        enrollment_quantity: input.enrollment_quantity,
        number_of_groups: input.number_of_groups,
        max_users_per_group: input.max_users_per_group,
    };
    group_plan::validate(style, &quantities).map_err(ApiError::BadRequest)?;
    if input.allocate_after_expiry && input.self_enrollment_expiry_date.is_none() {
        return Err(ApiError::bad_request(
            "AllocateAfterExpiry: requires a SelfEnrollmentExpiryDate.",
        ));
    }
    if (input.allocate_after_expiry || input.self_enrollment_expiry_date.is_some())
        && !style.allows_expiry()
    {
        let field = if input.allocate_after_expiry {
            "AllocateAfterExpiry"
        } else {
            "SelfEnrollmentExpiryDate"
        };
        return Err(ApiError::bad_request(format!(
            "{field}: only for PeoplePerGroupAutoEnrollment, PeoplePerGroupSelfEnrollment and PeoplePerNumberOfGroupsSelfEnrollment."
        )));
    }
    if let Some(prefix) = &input.group_prefix {
        if prefix.chars().count() > MAX_NAME_CHARS {
            return Err(ApiError::bad_request(format!(
                "GroupPrefix: at most {MAX_NAME_CHARS} characters are allowed."
            )));
        }
    }
    Ok(RichTextInput::render_optional(input.description.as_ref()))
}

/// `POST .../groupcategories/`: validates, records the category and its creation job, 202.
pub async fn create_category(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<GroupCategoryCreate>,
) -> ApiResult<HttpResponse> {
    let id = course_id(&req)?;
    let input = body.0;
    let description = validate_create(&input)?;
    let job = state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            if let Some(restriction) = input.restricted_by_org_unit_id {
                let ok = org_units::table
                    .filter(org_units::id.eq(restriction))
                    .filter(org_units::parent_id.eq(unit.id))
                    .filter(org_units::type_id.eq_any([org_unit_type::SECTION, org_unit_type::GROUP]))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0;
                if !ok {
                    return Err(ApiError::bad_request(format!(
                        "RestrictedByOrgUnitId: {restriction} is not a section or group of org unit {id}."
                    )));
                }
            }
            let now = Utc::now().naive_utc();
            let category_id: i64 = diesel::insert_into(group_categories::table)
                .values(NewGroupCategory {
                    course_id: unit.id,
                    institution_id: unit.institution_id,
                    name: input.name.clone(),
                    description_text: description.text.clone(),
                    description_html: description.html.clone(),
                    enrollment_style: input.enrollment_style.number(),
                    enrollment_quantity: input.enrollment_quantity,
                    number_of_groups: input.number_of_groups,
                    max_users_per_group: input.max_users_per_group,
                    auto_enroll: input.auto_enroll,
                    randomize_enrollments: input.randomize_enrollments,
                    allocate_after_expiry: input.allocate_after_expiry,
                    self_enrollment_expiry_date: input.self_enrollment_expiry_date.map(|d| d.0),
                    group_prefix: input.group_prefix.clone(),
                    restricted_by_org_unit_id: input.restricted_by_org_unit_id,
                    descriptions_visible: input.descriptions_visible_to_enrolees,
                    status: GroupCategory::PROCESSING,
                    submitted_at: now,
                    updated_at: now,
                })
                .returning(group_categories::id)
                .get_result(conn)?;
            jobs::enqueue(conn, jobs::CREATE_GROUPS, category_id, now)?;
            Ok(GroupsJobData {
                org_unit_id: unit.id,
                category_id,
                submit_date: UtcDateTime(now),
                status: GroupCategory::PROCESSING,
            })
        })
        .await?;
    state.jobs.wake();
    reply(StatusCode::ACCEPTED, &job)
}

/// `GET .../groupcategories/(groupCategoryId)`
pub async fn get_category(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    let fetch = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            let category = find_category(conn, unit.id, cat)?;
            category_fetch(conn, &category)
        })
        .await?;
    ok(&fetch)
}

/// `GET .../groupcategories/(groupCategoryId)/status`
pub async fn category_status(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    let status = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            Ok(find_category(conn, unit.id, cat)?.status)
        })
        .await?;
    ok(&GroupCategoryJobStatus { status })
}

/// `PUT .../groupcategories/(groupCategoryId)`: the Update form only.
pub async fn update_category(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<GroupCategoryUpdate>,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    let input = body.0;
    validate::name("Name", &input.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?;
    let description = RichTextInput::render_optional(input.description.as_ref());
    let fetch = state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::NotFound)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            diesel::update(group_categories::table.find(category.id))
                .set((
                    group_categories::name.eq(&input.name),
                    group_categories::description_text.eq(&description.text),
                    group_categories::description_html.eq(&description.html),
                    group_categories::auto_enroll.eq(input.auto_enroll),
                    group_categories::randomize_enrollments.eq(input.randomize_enrollments),
                    group_categories::descriptions_visible
                        .eq(input.descriptions_visible_to_enrolees),
                    group_categories::updated_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            let category = find_category(conn, unit.id, cat)?;
            category_fetch(conn, &category)
        })
        .await?;
    ok(&fetch)
}

/// `DELETE .../groupcategories/(groupCategoryId)`: only once it has no groups (400 otherwise).
/// A category whose creation failed for good can be deleted (it has no groups, creation being
/// all or nothing), with its dead job: that is how an administrator starts again.
pub async fn delete_category(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Structure)?;
            let (category, failed) = lookup_category(conn, unit.id, cat)?;
            if !failed {
                writable(&category)?;
            }
            let groups = group_ids_of(conn, category.id)?.len();
            if groups > 0 {
                return Err(ApiError::bad_request(format!(
                    "Group category {cat} still has {groups} groups; delete them first."
                )));
            }
            diesel::delete(group_categories::table.find(category.id)).execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

// ---------------------------------------------------------------------------------------------
// Groups

/// `GET .../groupcategories/(groupCategoryId)/groups/`
pub async fn list_groups(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    let groups = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::NotFound)?;
            let category = find_category(conn, unit.id, cat)?;
            let groups = groups_of(conn, category.id)?;
            let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
            let mut members = crate::db::members::members_of(conn, &ids)?;
            Ok(groups
                .iter()
                .map(|g| group_fetch(g, members.remove(&g.id).unwrap_or_default()))
                .collect::<Vec<_>>())
        })
        .await?;
    ok(&groups)
}

/// `POST .../groupcategories/(groupCategoryId)/groups/`
pub async fn create_group(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<GroupInput>,
) -> ApiResult<HttpResponse> {
    let (id, cat) = (course_id(&req)?, category_id(&req)?);
    let input = body.0;
    let description = input.validated()?;
    let group = state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::NotFound)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Structure)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            crate::db::org_units::require_code_free(conn, unit.id, &input.code, None)?;
            let group_id = crate::db::org_units::create_child(
                conn,
                &unit,
                org_unit_type::GROUP,
                &input.name,
                &input.code,
                Some(&description),
            )?;
            diesel::insert_into(category_groups::table)
                .values((
                    category_groups::group_id.eq(group_id),
                    category_groups::category_id.eq(category.id),
                ))
                .execute(conn)?;
            let group = find_group(conn, category.id, group_id)?;
            Ok(group_fetch(&group, Vec::new()))
        })
        .await?;
    ok(&group)
}

/// `GET .../groups/(groupId)`
pub async fn get_group(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    let group = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            let category = find_category(conn, unit.id, cat)?;
            let group = find_group(conn, category.id, gid)?;
            let members = members_of_one(conn, group.id)?;
            Ok(group_fetch(&group, members))
        })
        .await?;
    ok(&group)
}

/// `PUT .../groups/(groupId)`: Name, Code, Description.
pub async fn update_group(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: Body<GroupInput>,
) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    let input = body.0;
    let description = input.validated()?;
    let group = state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::NotFound)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Structure)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            let group = find_group(conn, category.id, gid)?;
            crate::db::org_units::require_code_free(conn, unit.id, &input.code, Some(group.id))?;
            crate::db::org_units::update_child(
                conn,
                group.id,
                &input.name,
                &input.code,
                &description,
            )?;
            let group = find_group(conn, category.id, gid)?;
            let members = members_of_one(conn, group.id)?;
            Ok(group_fetch(&group, members))
        })
        .await?;
    ok(&group)
}

/// `DELETE .../groups/(groupId)`: the group and its memberships.
pub async fn delete_group(
    state: State,
    auth: Authorized,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Structure)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            let group = find_group(conn, category.id, gid)?;
            diesel::delete(org_units::table.find(group.id)).execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

// ---------------------------------------------------------------------------------------------
// Group members

/// `POST .../groups/(groupId)/enrollments/`: the user must be enrolled in the course (and a
/// member of the restricting org unit, if any), else 404. Caps do not bind this explicit call.
pub async fn enroll(
    state: State,
    auth: Authorized,
    req: HttpRequest,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    let user_id = UserEnrollment::from_body(&body.0)?;
    state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::NotFound)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            let group = find_group(conn, category.id, gid)?;
            let eligible = crate::db::enrollments::hold_enrollment(conn, unit.id, user_id)?
                && match category.restricted_by_org_unit_id {
                    Some(restriction) => members_of_one(conn, restriction)?.contains(&user_id),
                    None => true,
                };
            if !eligible {
                return Err(ApiError::not_found(format!(
                    "User {user_id} not found among the users this category's groups admit."
                )));
            }
            crate::db::members::add_member(conn, group.id, unit.id, user_id)?;
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

/// `DELETE .../groups/(groupId)/enrollments/(userId)`
pub async fn unenroll(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    let user_id = path_param(&req, "userId", "User")?;
    state
        .db
        .write(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            crate::db::org_units::lock_course(conn, unit.id, CourseLock::Members)?;
            let category = find_category(conn, unit.id, cat)?;
            writable(&category)?;
            let group = find_group(conn, category.id, gid)?;
            let removed = diesel::delete(
                org_unit_members::table
                    .filter(org_unit_members::org_unit_id.eq(group.id))
                    .filter(org_unit_members::user_id.eq(user_id)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(ApiError::not_found(format!(
                    "User {user_id} is not a member of group {gid}."
                )));
            }
            Ok(())
        })
        .await?;
    Ok(ok_empty())
}

/// `GET .../groups/(groupId)/enrollments`: the members' user ids.
pub async fn members(state: State, auth: Authorized, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (id, cat, gid) = (course_id(&req)?, category_id(&req)?, group_id(&req)?);
    let members = state
        .db
        .read(move |conn| {
            let unit = access::course(conn, &auth, id, Missing::BadRequest)?;
            let category = find_category(conn, unit.id, cat)?;
            let group = find_group(conn, category.id, gid)?;
            members_of_one(conn, group.id)
        })
        .await?;
    ok(&members)
}
