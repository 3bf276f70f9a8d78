//! The LE classlist of an org unit: its enrolled users with their roles there.
//!
//! Who may read it: a caller holding enrollments.read in the unit sees everything; a caller
//! enrolled in the unit without it (a learner: Brightspace shows the Classlist tool to
//! learners) sees the same people, but not the user names, org-defined ids and e-mail
//! addresses of others, and cannot search by them. Anyone else gets the permission's 403.

use crate::auth::Authorized;
use crate::db::classlist::{self, Filter};
use crate::db::rows::{OrgUnit, Role, User};
use crate::db::{enrollments, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::services::access;

/// How much of the classlist the caller sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// With the route's permission (enrollments.read): everything.
    Full,
    /// Enrolled in the unit without it: others' user names, org-defined ids and e-mail
    /// addresses are hidden; the caller's own are shown.
    Member { user_id: i64 },
}

/// Org unit `id` of the caller's institution (404 otherwise) and how the caller may read its
/// classlist: with the route's permission there, or else as one enrolled there (403 when
/// neither).
pub fn reader(conn: &mut DbConnection, auth: &Authorized, id: i64) -> ApiResult<(OrgUnit, Reader)> {
    match access::org_unit(conn, auth, id) {
        Ok(unit) => Ok((unit, Reader::Full)),
        Err(ApiError::Forbidden(refusal)) => {
            let unit = access::own_org_unit(conn, &auth.caller, id)?;
            if enrollments::is_enrolled(conn, unit.id, auth.caller.user_id)? {
                Ok((
                    unit,
                    Reader::Member {
                        user_id: auth.caller.user_id,
                    },
                ))
            } else {
                Err(ApiError::Forbidden(refusal))
            }
        }
        Err(other) => Err(other),
    }
}

/// Up to `limit` (`None`: all) of `unit`'s classlist with a user id above `after`, by user id;
/// each entry says whether `reader` may see that user's private fields.
pub fn page(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    reader: Reader,
    mut filter: Filter,
    after: i64,
    limit: Option<i64>,
) -> ApiResult<Vec<(User, Role, bool)>> {
    filter.names_only = reader != Reader::Full;
    let rows = classlist::page(conn, unit.id, &filter, after, limit)?;
    Ok(rows
        .into_iter()
        .map(|(user, role)| {
            let shown = match reader {
                Reader::Full => true,
                Reader::Member { user_id } => user.id == user_id,
            };
            (user, role, shown)
        })
        .collect())
}

/// The console's page of `unit`'s class list for a reader with the permission: `limit`
/// entries from the `offset`th that `filter` keeps, by user id, and how many it keeps in all.
/// It reads every entry the filter keeps (a class list is thousands at most), so that a page
/// can link to the one before it as well as the one after.
pub fn window(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    filter: Filter,
    offset: usize,
    limit: usize,
) -> ApiResult<(Vec<(User, Role)>, usize)> {
    let all = classlist::page(conn, unit.id, &filter, 0, None)?;
    let total = all.len();
    Ok((all.into_iter().skip(offset).take(limit).collect(), total))
}

/// Everyone enrolled in `unit`, by user id: the names a console page shows for member ids.
pub fn everyone(conn: &mut DbConnection, unit: &OrgUnit) -> ApiResult<Vec<(User, Role)>> {
    classlist::page(conn, unit.id, &Filter::default(), 0, None)
}
