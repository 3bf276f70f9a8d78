//! The org structure around an org unit, and the institution-wide search of org units. The
//! unit is proven first (`access::org_unit`, with orgunits.read there; the search at the
//! root), so these read only what the caller may see: their own institution's tree.

use crate::db::org_structure::{self, Search, Window};
use crate::db::rows::OrgUnit;
use crate::db::DbConnection;
use crate::error::ApiResult;

/// Which org units around the proven one a list names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Immediately below it.
    Children,
    /// Below it, at every level.
    Descendants,
    /// Immediately above it.
    Parents,
    /// Above it, at every level.
    Ancestors,
}

/// The org units in `relation` to `unit` that `window` keeps, by id. Parents and ancestors are
/// few and never paged: their window's bookmark and limit are ignored.
pub fn related(
    conn: &mut DbConnection,
    unit: &OrgUnit,
    relation: Relation,
    window: Window,
) -> ApiResult<Vec<OrgUnit>> {
    match relation {
        Relation::Children => org_structure::children(conn, unit, window),
        Relation::Descendants => org_structure::descendants(conn, unit, window),
        Relation::Parents => org_structure::parents(conn, unit, window.type_id),
        Relation::Ancestors => org_structure::ancestors(conn, unit, window.type_id),
    }
}

/// Up to `limit` org units of the institution of `root` (proven at the root) matching
/// `search`, with an id above `after`.
pub fn search(
    conn: &mut DbConnection,
    root: &OrgUnit,
    search: &Search,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<OrgUnit>> {
    org_structure::search(conn, root.institution_id, search, after, limit)
}
