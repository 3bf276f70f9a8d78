//! The caller's own institution, as its Administrators see and change it through the operator
//! API. Each sees only their own: a path naming any other institution is "not found".

use chrono::Utc;

use crate::auth::Authorized;
use crate::db::rows::Institution;
use crate::db::{institutions, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::services::access;

/// An institution's writable fields as sent, each already checked on its own (`None`: not
/// sent). `mail_domain: Some(None)` removes the domain.
#[derive(Clone, Debug, Default)]
pub struct InstitutionChanges {
    pub acronym: Option<String>,
    pub name: Option<String>,
    pub external_ic: Option<bool>,
    pub mail_domain: Option<Option<String>>,
    pub disable_vle_learner_creation: Option<bool>,
    pub disable_vle_instructor_creation: Option<bool>,
    pub disable_vle_user_creation: Option<bool>,
    pub allow_learner_report: Option<bool>,
    pub allow_learner_audit: Option<bool>,
    pub allow_valid_audit: Option<bool>,
}

/// The caller's institution.
pub fn mine(conn: &mut DbConnection, auth: &Authorized) -> ApiResult<Institution> {
    access::operator(conn, auth)?;
    institutions::find(conn, auth.caller.institution_id)
}

/// The institution the path names by `text`: the caller's, or 404.
pub fn get(conn: &mut DbConnection, auth: &Authorized, text: &str) -> ApiResult<Institution> {
    access::operator(conn, auth)?;
    institutions::find_own(conn, auth.caller.institution_id, text)
}

/// Applies `changes` to the institution the path names; an acronym is unique among all
/// institutions regardless of case (400 otherwise).
pub fn update(
    conn: &mut DbConnection,
    auth: &Authorized,
    text: &str,
    changes: &InstitutionChanges,
) -> ApiResult<Institution> {
    let mut row = get(conn, auth, text)?;
    if let Some(acronym) = changes.acronym.clone() {
        if institutions::acronym_taken(conn, row.id, &acronym)? {
            return Err(ApiError::bad_request(format!(
                "acronym: {acronym:?} is already in use."
            )));
        }
        row.acronym = acronym;
    }
    let set = |target: &mut bool, value: Option<bool>| {
        if let Some(v) = value {
            *target = v;
        }
    };
    if let Some(name) = changes.name.clone() {
        row.name = name;
    }
    set(&mut row.external_ic, changes.external_ic);
    if let Some(domain) = changes.mail_domain.clone() {
        row.mail_domain = domain;
    }
    set(
        &mut row.disable_vle_learner_creation,
        changes.disable_vle_learner_creation,
    );
    set(
        &mut row.disable_vle_instructor_creation,
        changes.disable_vle_instructor_creation,
    );
    set(
        &mut row.disable_vle_user_creation,
        changes.disable_vle_user_creation,
    );
    set(&mut row.allow_learner_report, changes.allow_learner_report);
    set(&mut row.allow_learner_audit, changes.allow_learner_audit);
    set(&mut row.allow_valid_audit, changes.allow_valid_audit);
    row.updated_at = Utc::now().naive_utc();
    institutions::update(conn, &row)?;
    Ok(row)
}
