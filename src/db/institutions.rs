//! Institutions (tenants): their records and flags.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::rows::{Institution, NewInstitution};
use super::{is_unique_violation, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::schema::institutions;

/// The institution with this id, or 404.
pub fn find(conn: &mut DbConnection, id: i64) -> ApiResult<Institution> {
    institutions::table
        .filter(institutions::id.eq(id))
        .select(Institution::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("Institution {id} not found.")))
}

/// The institution a path names by `text`, when that is `own` (the caller's) written as the
/// server writes ids: any other text, another institution's id included, is 404 naming it.
pub fn find_own(conn: &mut DbConnection, own: i64, text: &str) -> ApiResult<Institution> {
    if text != own.to_string() {
        return Err(ApiError::not_found(format!(
            "Institution {text:?} not found."
        )));
    }
    find(conn, own)
}

/// Every institution, oldest first.
pub fn all(conn: &mut DbConnection) -> ApiResult<Vec<Institution>> {
    Ok(institutions::table
        .order(institutions::id.asc())
        .select(Institution::as_select())
        .load(conn)?)
}

/// The first institution created (the bootstrap's), if any.
pub fn first(conn: &mut DbConnection) -> ApiResult<Option<Institution>> {
    Ok(institutions::table
        .order(institutions::id.asc())
        .select(Institution::as_select())
        .first(conn)
        .optional()?)
}

/// Whether any institution exists.
pub fn any(conn: &mut DbConnection) -> ApiResult<bool> {
    Ok(institutions::table.count().get_result::<i64>(conn)? > 0)
}

/// Whether an institution other than `except` has `acronym` (regardless of case).
pub fn acronym_taken(conn: &mut DbConnection, except: i64, acronym: &str) -> ApiResult<bool> {
    Ok(institutions::table
        .filter(institutions::id.ne(except))
        .select(institutions::acronym)
        .load::<String>(conn)?
        .into_iter()
        .any(|other| other.eq_ignore_ascii_case(acronym)))
}

/// Creates an institution and answers its row.
pub fn create(conn: &mut DbConnection, new: NewInstitution<'_>) -> ApiResult<Institution> {
    let id: i64 = diesel::insert_into(institutions::table)
        .values(new)
        .returning(institutions::id)
        .get_result(conn)?;
    find(conn, id)
}

/// Writes every writable field of `row`; an acronym taken in the meantime is a 400.
pub fn update(conn: &mut DbConnection, row: &Institution) -> ApiResult<()> {
    let written = diesel::update(institutions::table.find(row.id))
        .set((
            institutions::acronym.eq(&row.acronym),
            institutions::name.eq(&row.name),
            institutions::external_ic.eq(row.external_ic),
            institutions::mail_domain.eq(&row.mail_domain),
            institutions::disable_vle_learner_creation.eq(row.disable_vle_learner_creation),
            institutions::disable_vle_instructor_creation.eq(row.disable_vle_instructor_creation),
            institutions::disable_vle_user_creation.eq(row.disable_vle_user_creation),
            institutions::allow_learner_report.eq(row.allow_learner_report),
            institutions::allow_learner_audit.eq(row.allow_learner_audit),
            institutions::allow_valid_audit.eq(row.allow_valid_audit),
            institutions::updated_at.eq(row.updated_at),
        ))
        .execute(conn);
    match written {
        Err(e) if is_unique_violation(&e) => Err(ApiError::bad_request("acronym: already in use.")),
        other => {
            other?;
            Ok(())
        }
    }
}

/// Makes processes that create institutions at start-up wait for each other until the end of
/// the transaction: a PostgreSQL advisory lock (SQLite already has a single writer).
pub fn lock_creation(conn: &mut DbConnection) -> ApiResult<()> {
    if let DbConnection::Pg(_) = conn {
        conn.batch_execute("SELECT pg_advisory_xact_lock(660602)")?;
    }
    Ok(())
}
