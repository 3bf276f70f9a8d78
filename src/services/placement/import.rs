//! A membership import (docs/console.md, "CSV"): each row's user placed in the unit its code
//! names, by the unit's own rules (a group's `groups::enroll`, a section's
//! `sections::enroll`), so that a category's import and the sections' import share one loop,
//! one way of naming a user, and one all-or-nothing rule.

use crate::db::rows::{OrgUnit, User};
use crate::db::{members, users, DbConnection};
use crate::domain::csv::MembershipRow;
use crate::error::{ApiError, ApiResult};
use crate::services::access::Course;

/// What one row of an import did (or, in a preview, would do).
#[derive(Debug, Clone)]
pub enum RowOutcome {
    /// The user joins the unit.
    Added { user: User, unit: OrgUnit },
    /// The user was in the unit already: nothing to do.
    AlreadyMember { user: User, unit: OrgUnit },
    /// Refused, and why (the API's own words where the API has the rule).
    Rejected(String),
}

/// The user a row names, in the caller's institution: by UserId, else UserName, else
/// OrgDefinedId (which must name one user); ids the row also gives must name the same user.
fn user_of_row(conn: &mut DbConnection, course: &Course, row: &MembershipRow) -> ApiResult<User> {
    let institution = course.institution_id;
    let by_id = match row.user_id {
        Some(id) => Some(users::find(conn, institution, id)?),
        None => None,
    };
    let by_name = match &row.user_name {
        Some(name) => Some(
            users::by_name_key(conn, institution, &name.to_lowercase())?
                .ok_or_else(|| ApiError::not_found(format!("No user named {name:?}.")))?,
        ),
        None => None,
    };
    let by_org_id = match &row.org_defined_id {
        Some(org_id) => {
            let mut found = users::with_org_defined_id(conn, institution, org_id)?;
            match found.len() {
                0 => {
                    return Err(ApiError::not_found(format!(
                        "No user with OrgDefinedId {org_id:?}."
                    )))
                }
                1 => found.pop(),
                n => {
                    return Err(ApiError::bad_request(format!(
                        "OrgDefinedId {org_id:?} names {n} users; give the UserName or UserId."
                    )))
                }
            }
        }
        None => None,
    };
    let found: Vec<User> = [by_id, by_name, by_org_id].into_iter().flatten().collect();
    match found.first() {
        Some(first) if found.iter().all(|u| u.id == first.id) => Ok(first.clone()),
        Some(_) => Err(ApiError::bad_request(
            "The row's UserId, UserName and OrgDefinedId name different users.",
        )),
        None => Err(ApiError::bad_request("The row names no user.")),
    }
}

/// Places each row's user in the unit of `units` whose code the row names (`kind` and `place`
/// name them in a refusal: "group", "in this category"), in order, with `join` (the unit's own rules and
/// refusals), in the caller's transaction. A refused row changes nothing and the rows after
/// it are still tried, so that every outcome is known; trouble (a 5xx, contention) ends the
/// whole import.
pub fn import_rows(
    conn: &mut DbConnection,
    course: &Course,
    (units, kind, place): (&[OrgUnit], &str, &str),
    rows: &[MembershipRow],
    mut join: impl FnMut(&mut DbConnection, &OrgUnit, &User) -> ApiResult<()>,
) -> ApiResult<Vec<RowOutcome>> {
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        let outcome = (|| {
            if let Some(problem) = &row.problem {
                return Err(ApiError::bad_request(problem.clone()));
            }
            let unit = units
                .iter()
                .find(|u| {
                    u.code
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&row.unit_code))
                })
                .ok_or_else(|| {
                    ApiError::not_found(format!("No {kind} with code {:?} {place}.", row.unit_code))
                })?;
            let user = user_of_row(conn, course, row)?;
            if !members::units_of_user(conn, &[unit.id], user.id)?.is_empty() {
                return Ok(RowOutcome::AlreadyMember {
                    user,
                    unit: unit.clone(),
                });
            }
            join(conn, unit, &user)?;
            Ok(RowOutcome::Added {
                user,
                unit: unit.clone(),
            })
        })();
        outcomes.push(match outcome {
            Ok(done) => done,
            Err(
                trouble @ (ApiError::Unavailable(_)
                | ApiError::Internal(_)
                | ApiError::Contention(_)),
            ) => return Err(trouble),
            Err(refusal) => RowOutcome::Rejected(refusal.to_string()),
        });
    }
    Ok(outcomes)
}

/// The outcomes of an import to apply, all or nothing: when any row was refused, the whole
/// import is refused (400, listing each refused row and why), so that the caller's
/// transaction rolls back every row.
pub fn all_or_nothing(
    rows: &[MembershipRow],
    outcomes: Vec<RowOutcome>,
) -> ApiResult<Vec<RowOutcome>> {
    let refused: Vec<String> = rows
        .iter()
        .zip(&outcomes)
        .filter_map(|(row, outcome)| match outcome {
            RowOutcome::Rejected(why) => Some(format!("line {}: {why}", row.line)),
            _ => None,
        })
        .collect();
    if refused.is_empty() {
        Ok(outcomes)
    } else {
        Err(ApiError::bad_request(format!(
            "Nothing was imported: {} row(s) refused ({}).",
            refused.len(),
            refused.join("; ")
        )))
    }
}
