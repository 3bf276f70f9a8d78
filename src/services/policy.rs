//! What an institution allows its VLE clients (an LMS calling with its own OAuth client):
//! creating users at all, giving them addresses outside the institution's mail domain, and
//! enrolling or creating them as learners or instructors. Callers that are not VLE clients
//! (administrators, the CLI) are bound by none of it.

use crate::auth::tokens::CLI_CLIENT_ID;
use crate::auth::Caller;
use crate::db::rows::{Institution, Role, Vle};
use crate::db::{institutions, vles, DbConnection};
use crate::domain::validate;
use crate::error::{ApiError, ApiResult};

/// The VLE whose client the caller's token was issued to, if any.
pub fn vle_of_caller(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Option<Vle>> {
    match caller.client_id.as_deref().filter(|c| *c != CLI_CLIENT_ID) {
        Some(client_id) => vles::of_client(conn, client_id),
        None => Ok(None),
    }
}

/// The institution whose flags bind the caller, when the caller is a VLE client.
pub fn vle_institution(conn: &mut DbConnection, caller: &Caller) -> ApiResult<Option<Institution>> {
    match vle_of_caller(conn, caller)? {
        Some(vle) => Ok(Some(institutions::find(conn, vle.institution_id)?)),
        None => Ok(None),
    }
}

/// 403 when the institution does not let VLE clients give out `role` (learners and
/// instructors each have a flag); `action` says what was refused ("enroll users", "create
/// users").
pub fn require_role_allowed(institution: &Institution, role: &Role, action: &str) -> ApiResult<()> {
    // The learner role is the one that can be auto-enrolled, whatever the tenant calls it.
    let refused = match role.name.as_str() {
        _ if role.can_be_auto_enrolled => institution.disable_vle_learner_creation,
        "Instructor" => institution.disable_vle_instructor_creation,
        _ => false,
    };
    if refused {
        Err(ApiError::forbidden(format!(
            "This institution does not allow VLE clients to {action} as {}.",
            role.name
        )))
    } else {
        Ok(())
    }
}

/// 403 when the institution does not let VLE clients create users; 400 when `email` lies
/// outside its mail domain.
pub fn require_user_creation_allowed(
    institution: &Institution,
    email: Option<&str>,
) -> ApiResult<()> {
    if institution.disable_vle_user_creation {
        return Err(ApiError::forbidden(
            "This institution does not allow VLE clients to create users.",
        ));
    }
    if let (Some(domain), Some(email)) = (institution.mail_domain.as_deref(), email) {
        if validate::email_domain(email).as_deref() != Some(domain) {
            return Err(ApiError::bad_request(format!(
                "ExternalEmail: VLE clients may only give addresses at {domain}."
            )));
        }
    }
    Ok(())
}
