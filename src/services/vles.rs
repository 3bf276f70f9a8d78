//! VLE registrations. A VLE is an LMS (or other system) that calls the LP API with an OAuth
//! client of its own, bound to a service user holding the institution's integration role at
//! the root. Registering one creates all three; revoking it ends its client's tokens at once.

use chrono::Utc;

use crate::auth::Authorized;
use crate::db::rows::{Institution, NewRole, NewUser, NewVle, OAuthClient, Role, Vle};
use crate::db::{clients, institutions, org_units, roles, users, vles, DbConnection};
use crate::domain::permissions::default_role_permissions_for_integration;
use crate::error::{ApiError, ApiResult};
use crate::services::access;

/// The role of VLE service users: everything an LMS needs to provision users, courses,
/// enrollments, sections and groups, and nothing that deletes courses or manages the
/// institution. Created the first time an institution registers a VLE.
pub const INTEGRATION_ROLE: &str = "LMS Integration";

/// The scope registered for VLE clients: the LP routes, not the operator API.
pub const VLE_CLIENT_SCOPE: &str =
    "users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:* organizations:*:*";

/// A VLE's writable fields as sent, each already checked on its own (`None`: not sent).
#[derive(Clone, Debug, Default)]
pub struct VleChanges {
    pub kind: Option<i64>,
    /// A JSON object, as text.
    pub lti: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
}

/// What registering a VLE needs: its fields, and its client's secret, hashed.
#[derive(Clone, Debug)]
pub struct Registration {
    pub kind: i64,
    pub lti: String,
    pub name: String,
    pub url: String,
    pub secret_hash: String,
}

/// The institution the path names by `text`, for an operator of it (403 for anyone else, then
/// 404 unless it is the caller's own).
fn institution(conn: &mut DbConnection, auth: &Authorized, text: &str) -> ApiResult<Institution> {
    access::operator(conn, auth)?;
    institutions::find_own(conn, auth.caller.institution_id, text)
}

/// The VLEs of the institution the path names.
pub fn list(
    conn: &mut DbConnection,
    auth: &Authorized,
    institution_text: &str,
) -> ApiResult<Vec<Vle>> {
    let institution = institution(conn, auth, institution_text)?;
    vles::of_institution(conn, institution.id)
}

/// VLE `vle_text` of the institution the path names.
pub fn get(
    conn: &mut DbConnection,
    auth: &Authorized,
    institution_text: &str,
    vle_text: &str,
) -> ApiResult<Vle> {
    let institution = institution(conn, auth, institution_text)?;
    vles::find_named(conn, institution.id, vle_text)
}

/// Registers a VLE: its service user (enrolled at the root with the integration role), its
/// OAuth client (scope [`VLE_CLIENT_SCOPE`]) and its row. Its name is unique in the
/// institution regardless of case (400 otherwise).
pub fn register(
    conn: &mut DbConnection,
    auth: &Authorized,
    institution_text: &str,
    new: &Registration,
) -> ApiResult<Vle> {
    let institution = institution(conn, auth, institution_text)?;
    require_name_free(conn, institution.id, &new.name, None)?;
    let now = Utc::now().naive_utc();
    let client_id = uuid::Uuid::new_v4().to_string();
    let role = integration_role(conn, institution.id)?;
    let root = org_units::root(conn, institution.id)?;
    let user_name = format!("vle-{}", &client_id[..8]);
    let user = NewUser {
        institution_id: institution.id,
        user_name: user_name.clone(),
        user_name_key: user_name,
        first_name: new.name.chars().take(128).collect(),
        middle_name: None,
        last_name: "VLE".into(),
        external_email: None,
        org_defined_id: None,
        pronouns: None,
        is_active: true,
        created_at: now,
    };
    let user = users::create_at_root(conn, user, &root, &role)?;
    clients::insert(
        conn,
        &OAuthClient::acting_as(
            user.id,
            institution.id,
            client_id.clone(),
            client_name(&new.name),
            new.secret_hash.clone(),
            VLE_CLIENT_SCOPE.into(),
            now,
        ),
    )?;
    vles::insert(
        conn,
        NewVle {
            institution_id: institution.id,
            kind: new.kind,
            lti: new.lti.clone(),
            name_key: new.name.to_lowercase(),
            name: new.name.clone(),
            url: new.url.clone(),
            client_id,
            user_id: user.id,
            created_at: now,
            updated_at: now,
        },
    )
}

/// Applies `changes` to VLE `vle_text`; a new name renames its OAuth client too.
pub fn update(
    conn: &mut DbConnection,
    auth: &Authorized,
    institution_text: &str,
    vle_text: &str,
    changes: &VleChanges,
) -> ApiResult<Vle> {
    let mut vle = get(conn, auth, institution_text, vle_text)?;
    if let Some(name) = changes.name.clone() {
        require_name_free(conn, vle.institution_id, &name, Some(vle.id))?;
        vle.name_key = name.to_lowercase();
        vle.name = name;
    }
    if let Some(kind) = changes.kind {
        vle.kind = kind;
    }
    if let Some(lti) = changes.lti.clone() {
        vle.lti = lti;
    }
    if let Some(url) = changes.url.clone() {
        vle.url = url;
    }
    vle.updated_at = Utc::now().naive_utc();
    vles::update(conn, &vle)?;
    clients::rename(conn, &vle.client_id, &client_name(&vle.name))?;
    Ok(vle)
}

/// Revokes VLE `vle_text`: its client at once (its tokens answer 401 from now on), its service
/// user deactivated, its row gone. Answers the revoked client's id.
pub fn revoke(
    conn: &mut DbConnection,
    auth: &Authorized,
    institution_text: &str,
    vle_text: &str,
) -> ApiResult<String> {
    let vle = get(conn, auth, institution_text, vle_text)?;
    clients::revoke(conn, &vle.client_id, Utc::now().naive_utc())?;
    users::deactivate(conn, vle.user_id)?;
    vles::delete(conn, vle.id)?;
    Ok(vle.client_id)
}

/// The name a VLE's OAuth client goes by.
fn client_name(vle_name: &str) -> String {
    format!("VLE: {vle_name}")
}

fn require_name_free(
    conn: &mut DbConnection,
    institution_id: i64,
    name: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    if vles::name_taken(conn, institution_id, &name.to_lowercase(), except)? {
        Err(ApiError::bad_request(format!(
            "name: a VLE named {name:?} already exists in this institution."
        )))
    } else {
        Ok(())
    }
}

/// The institution's integration role, created on first use.
fn integration_role(conn: &mut DbConnection, institution_id: i64) -> ApiResult<Role> {
    if let Some(role) = roles::by_name(conn, institution_id, INTEGRATION_ROLE)? {
        return Ok(role);
    }
    roles::create_with_permissions(
        conn,
        NewRole {
            institution_id,
            name: INTEGRATION_ROLE,
            code: "Integration",
            is_cascading: true,
            can_be_auto_enrolled: false,
        },
        &default_role_permissions_for_integration(),
    )
}
