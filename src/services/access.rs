//! Access: who may act where. Every check of a role permission in an org unit goes through
//! here, and the proof it gives ([`Course`]) is what course-changing units of work take, so
//! none of them can run unchecked.

use std::marker::PhantomData;
use std::ops::Deref;

use super::wrote::{Alone, LockClass, Shared, Wrote};
use crate::auth::{Authorized, Caller, PermissionsOf};
use crate::db::changes::{Dep, Touch};
use crate::db::org_units::{self, CourseLock};
use crate::db::rows::{org_unit_type, OrgUnit, Role};
use crate::db::{permissions as held, DbConnection};
use crate::domain::history::{Actor, Via};
use crate::domain::permissions::{counted_roles, may_grant, Permission, PermissionSet};
use crate::error::{ApiError, ApiResult};

/// A course offering of the caller's institution on which the caller holds the route's
/// permission. Only this module makes one.
#[derive(Debug)]
pub struct Course(OrgUnit);

impl Deref for Course {
    type Target = OrgUnit;

    fn deref(&self) -> &OrgUnit {
        &self.0
    }
}

impl Course {
    /// A course offering reached without a caller: by a job, which acts for the institution
    /// that queued it. Any other org unit is an error, never a course.
    pub fn for_job(conn: &mut DbConnection, id: i64) -> ApiResult<Course> {
        let unit = org_units::find(conn, id)?;
        if unit.type_id == org_unit_type::COURSE_OFFERING {
            Ok(Course(unit))
        } else {
            Err(ApiError::internal(format!(
                "org unit {id} is not a course offering"
            )))
        }
    }
}

/// How a route answers an org unit that is not a course offering of the caller's institution:
/// the reference lists 400 for most group routes and 404 for the rest (docs/compatibility.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    BadRequest,
    NotFound,
}

impl Missing {
    fn error(self, id: i64) -> ApiError {
        let detail = format!("No such org unit: {id} is not a course offering of yours.");
        match self {
            Missing::BadRequest => ApiError::BadRequest(detail),
            Missing::NotFound => ApiError::NotFound(detail),
        }
    }
}

/// The course offering `id`, with the route's permission checked there. An org unit that is
/// not a course offering of the caller's institution is `missing`, whatever the caller's role.
pub fn course(
    conn: &mut DbConnection,
    auth: &Authorized,
    id: i64,
    missing: Missing,
) -> ApiResult<Course> {
    let unit = org_units::find_in_institution(conn, auth.caller.institution_id, id);
    checked_course(conn, auth, unit, id, missing)
}

/// The org unit looked up as course offering `id`, if it is one, with the route's permission
/// checked there.
fn checked_course(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: ApiResult<OrgUnit>,
    id: i64,
    missing: Missing,
) -> ApiResult<Course> {
    let unit = match unit {
        Ok(unit) if unit.type_id == org_unit_type::COURSE_OFFERING => unit,
        Ok(_) | Err(ApiError::NotFound(_)) => return Err(missing.error(id)),
        Err(trouble) => return Err(trouble),
    };
    require_in(conn, auth, &unit, auth.permission()?)?;
    Ok(Course(unit))
}

/// A [`Course`] whose lock the transaction holds in the mode `L` names, until it ends: what
/// every unit of work that changes a course takes (the lock order, docs/architecture.md), and
/// what makes its [`Wrote`], so that the lock it holds and what it says it touched come from
/// one proof.
#[derive(Debug)]
pub struct Held<L: Hold> {
    course: Course,
    mode: PhantomData<L>,
}

/// A course lock mode, as a type.
pub trait Hold {
    const MODE: CourseLock;
    /// Whether a write holding it may share a batch.
    type Class: LockClass;
}

/// The course held `FOR SHARE`: who belongs to it changes, any number of writers at once.
#[derive(Debug)]
pub enum MembersHeld {}

/// The course held `FOR NO KEY UPDATE`: its structure changes, alone.
#[derive(Debug)]
pub enum StructureHeld {}

impl Hold for MembersHeld {
    const MODE: CourseLock = CourseLock::Members;
    type Class = Shared;
}

impl Hold for StructureHeld {
    const MODE: CourseLock = CourseLock::Structure;
    type Class = Alone;
}

impl<L: Hold> Deref for Held<L> {
    type Target = Course;

    fn deref(&self) -> &Course {
        &self.course
    }
}

impl<L: Hold> Held<L> {
    /// The course's structure changed (sections, groups, categories, settings), or something
    /// beside it (a category's jobs). Said as anything, since a structure change also adds or
    /// removes org units (whose ids the permission memo knows); run alone on PostgreSQL, as
    /// its row locks are not taken in the batches' order.
    pub fn changed<T>(&self, value: T) -> Wrote<T, Alone> {
        Wrote::new(value, Touch::All)
    }
}

impl Held<StructureHeld> {
    /// A job's course: it acts for the institution that queued it, and holds the course as
    /// the route that queued it would.
    pub fn for_job(conn: &mut DbConnection, id: i64) -> ApiResult<Self> {
        org_units::lock_course(conn, id, CourseLock::Structure)?;
        Ok(Held {
            course: Course::for_job(conn, id)?,
            mode: PhantomData,
        })
    }
}

impl Held<MembersHeld> {
    /// Only the member list of section or group `list` of this course changed.
    pub fn members_changed<T>(&self, value: T, list: i64) -> Wrote<T, Shared> {
        Wrote::new(
            value,
            Touch::Members {
                course: self.id,
                list,
            },
        )
    }

    /// Rows of this course changed and nothing outside it: the member lists of several of its
    /// sections and groups (a bulk move, an import), a category's record.
    pub fn course_changed<T>(&self, value: T) -> Wrote<T, Shared> {
        Wrote::new(value, Touch::Course(self.id))
    }
}

/// [`course`], with the course's lock held in `L`'s mode for the rest of the transaction.
/// The lock is taken as the course is read, before the permission is checked: a caller
/// refused holds it only until its transaction, or its savepoint in a batch, is rolled back.
pub fn course_held<L: Hold>(
    conn: &mut DbConnection,
    auth: &Authorized,
    id: i64,
    missing: Missing,
) -> ApiResult<Held<L>> {
    let unit = org_units::find_in_institution_locked(conn, auth.caller.institution_id, id, L::MODE);
    Ok(Held {
        course: checked_course(conn, auth, unit, id, missing)?,
        mode: PhantomData,
    })
}

/// An org unit whose members change, held `FOR SHARE` (its course too, for a section or
/// group) until the transaction ends: the proof an enrollment's unit of work takes.
#[derive(Debug)]
pub struct HeldUnit(OrgUnit);

impl Deref for HeldUnit {
    type Target = OrgUnit;

    fn deref(&self) -> &OrgUnit {
        &self.0
    }
}

impl HeldUnit {
    /// `user`'s enrollment here changed ([`touched_by_enrollment`]).
    pub fn enrollment_changed<T>(&self, value: T, user: i64) -> Wrote<T, Shared> {
        Wrote::new(value, touched_by_enrollment(&self.0, user))
    }
}

/// Org unit `id` of the caller's institution, with the route's permission checked there: 404
/// when it is another institution's (or none), 403 when the role lacks the permission.
pub fn org_unit(conn: &mut DbConnection, auth: &Authorized, id: i64) -> ApiResult<OrgUnit> {
    let unit = own_org_unit(conn, &auth.caller, id)?;
    require_in(conn, auth, &unit, auth.permission()?)?;
    Ok(unit)
}

/// [`org_unit`] for a change to who belongs to it, held with `CourseLock::Members` for the
/// rest of the transaction (the lock order, docs/architecture.md: the course first), in the
/// statement that reads it; a section's or group's course is held too, as the section and
/// group routes hold it (a structure change that deletes the part at once may deadlock with
/// this and be retried, docs/architecture.md).
pub fn org_unit_for_members(
    conn: &mut DbConnection,
    auth: &Authorized,
    id: i64,
) -> ApiResult<HeldUnit> {
    let unit = org_units::find_in_institution_locked(
        conn,
        auth.caller.institution_id,
        id,
        CourseLock::Members,
    )?;
    if let (true, Some(course)) = (org_unit_type::is_course_part(unit.type_id), unit.parent_id) {
        org_units::lock_course(conn, course, CourseLock::Members)?;
    }
    require_in(conn, auth, &unit, auth.permission()?)?;
    Ok(HeldUnit(unit))
}

/// Org unit `id` of the caller's institution, for routes about the caller's own data (no
/// permission needed); another institution's is 404.
pub fn own_org_unit(conn: &mut DbConnection, caller: &Caller, id: i64) -> ApiResult<OrgUnit> {
    org_units::find_in_institution(conn, caller.institution_id, id)
}

/// The institution's root, with the route's permission checked there: institution-wide
/// actions (users, courses, roles, the operator API).
pub fn at_root(conn: &mut DbConnection, auth: &Authorized) -> ApiResult<OrgUnit> {
    let root = org_units::root(conn, auth.caller.institution_id)?;
    require_in(conn, auth, &root, auth.permission()?)?;
    Ok(root)
}

/// The caller's effective permissions in `unit`: their enrollment there, plus their cascading
/// enrollments above it (`domain::permissions::counted_roles`). Remembered until a change to
/// the caller's enrollments (or anything outside courses) is recorded; so a unit of work must
/// ask before it writes, or it could remember what it wrote and then rolled back (a batch
/// rolled back records what its undone writes touched, for the units that ran after them).
pub fn permissions_in(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
) -> ApiResult<PermissionSet> {
    let memo = &auth.known_permissions;
    let key = PermissionsOf::Holder {
        user_id: auth.caller.user_id,
        org_unit_id: unit.id,
    };
    if crate::db::memo::in_write() {
        // Read in the write's own transaction, once for the units of one batch.
        return crate::db::memo::read_in_write(key, Some(auth.caller.user_id), || {
            read_permissions(conn, auth.caller.user_id, unit)
        });
    }
    if let Some(known) = memo.get(&key) {
        return Ok(known);
    }
    let stamp = memo.stamp();
    let held = read_permissions(conn, auth.caller.user_id, unit)?;
    // They change with the caller's own enrollments only (and with roles and the org
    // structure, which only writes of anything change).
    memo.put(
        key,
        held.clone(),
        stamp,
        vec![Dep::EnrollmentsOf(auth.caller.user_id)],
        1,
    );
    Ok(held)
}

fn read_permissions(
    conn: &mut DbConnection,
    user_id: i64,
    unit: &OrgUnit,
) -> ApiResult<PermissionSet> {
    let mut units = org_units::ancestors(conn, unit)?;
    // A section or group grants what its course grants: its members hold their course role
    // there, and the course's staff manage it without being members.
    let (counted_at, at_organization) = match unit.parent_id {
        Some(course) if org_unit_type::is_course_part(unit.type_id) => (course, false),
        _ => {
            units.push(unit.id);
            (unit.id, unit.type_id == org_unit_type::ORGANIZATION)
        }
    };
    let enrollments = held::held_at(conn, user_id, &units)?;
    let roles = counted_roles(&enrollments, counted_at, at_organization);
    held::of_roles(conn, &roles)
}

/// What an enrollment of `user_id` in `unit` (or its removal) touched: only that course's rows
/// (its class list, and the groups and sections AutoEnroll places the learner in) and that
/// user's permissions, when it is a course offering; only the member list, when it is a
/// section or group (whose permissions are its course's); anything else otherwise, since a
/// cascading role there reaches every course below.
fn touched_by_enrollment(unit: &OrgUnit, user_id: i64) -> Touch {
    match unit.parent_id {
        _ if unit.type_id == org_unit_type::COURSE_OFFERING => Touch::Enrollment {
            course: unit.id,
            user: user_id,
        },
        Some(course) if org_unit_type::is_course_part(unit.type_id) => Touch::Members {
            course,
            list: unit.id,
        },
        _ => Touch::All,
    }
}

/// Who a caller's changes are recorded as made by (`db::history`): the console's callers
/// through the console, everyone else through the API with their OAuth client.
pub fn actor(caller: &Caller) -> Actor {
    let console = caller.client_id.as_deref() == Some(crate::auth::tokens::CONSOLE_CLIENT_ID);
    Actor {
        user_id: Some(caller.user_id),
        via: if console { Via::Console } else { Via::Api },
        client_id: caller.client_id.clone().filter(|_| !console),
    }
}

/// 403 unless the caller holds `permission` in `unit`. Inside a write the caller's standing is
/// read again too, in the write's own transaction (401 when the user was deactivated or
/// removed, or the client or authorization revoked, since the request was let in): a write
/// decides from the database, never from what a cache of this or another process holds.
fn require_in(
    conn: &mut DbConnection,
    auth: &Authorized,
    unit: &OrgUnit,
    permission: Permission,
) -> ApiResult<()> {
    if crate::db::memo::in_write() {
        require_standing(conn, &auth.caller)?;
    }
    if permissions_in(conn, auth, unit)?.contains(&permission) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Your role in org unit {} lacks the permission {}.",
            unit.id,
            permission.name()
        )))
    }
}

/// 401 unless the caller's token holder still stands ([`crate::db::standing`]), read now.
fn require_standing(conn: &mut DbConnection, caller: &Caller) -> ApiResult<()> {
    let client_id = crate::auth::standing_client(caller);
    // Read in the write's own transaction, once for the units of one batch.
    let key = (caller.institution_id, client_id.clone(), caller.grant_id);
    let standing = crate::db::memo::read_in_write(key, Some(caller.user_id), || {
        crate::db::standing::of_token_holder(
            conn,
            caller.institution_id,
            caller.user_id,
            client_id.as_deref(),
            caller.grant_id,
        )
    })?;
    match standing.refusal() {
        None => Ok(()),
        Some(reason) => Err(ApiError::Unauthorized(reason.into())),
    }
}

/// A caller may only hand out (or take away) a role whose powers they hold themselves in that
/// org unit (`domain::permissions::may_grant`), so an Instructor can enroll Students but never
/// mint an Administrator.
pub fn require_grantable(
    conn: &mut DbConnection,
    auth: &Authorized,
    caller_permissions: &PermissionSet,
    role: &Role,
) -> ApiResult<()> {
    let granted = role_grants(conn, auth, role)?;
    if may_grant(caller_permissions, &granted) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "You may not assign the role {:?}: it holds permissions your role lacks.",
            role.name
        )))
    }
}

/// What `role` grants, remembered until a write outside courses (roles change only so).
fn role_grants(
    conn: &mut DbConnection,
    auth: &Authorized,
    role: &Role,
) -> ApiResult<PermissionSet> {
    let memo = &auth.known_permissions;
    let key = PermissionsOf::Role(role.id);
    if crate::db::memo::in_write() {
        return crate::db::memo::read_in_write(key, None, || held::of_roles(conn, &[role.id]));
    }
    if let Some(known) = memo.get(&key) {
        return Ok(known);
    }
    let stamp = memo.stamp();
    let granted = held::of_roles(conn, &[role.id])?;
    memo.put(key, granted.clone(), stamp, Vec::new(), 1);
    Ok(granted)
}

/// The operator API's callers: Administrators of their institution (the route's permission at
/// the root), never a VLE client, whatever its role.
pub fn operator(conn: &mut DbConnection, auth: &Authorized) -> ApiResult<OrgUnit> {
    if crate::services::policy::vle_of_caller(conn, &auth.caller)?.is_some() {
        return Err(ApiError::forbidden(
            "VLE clients may not manage institutions or VLEs.",
        ));
    }
    at_root(conn, auth)
}
