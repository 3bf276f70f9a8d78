//! The LE classlist: an org unit's enrolled users with their roles there (the enrollments of
//! the unit asked about, as `enrollments::page_of_org_unit` reads them), with the classlist's
//! own filters.

use diesel::prelude::*;

use super::org_structure::contains_pattern;
use super::rows::{Role, User};
use super::DbConnection;
use crate::error::ApiResult;
use crate::schema::{enrollments, roles, users};

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends: the search term ignores case.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Which of the unit's enrollments a classlist shows; `None` or false is any.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub role_id: Option<i64>,
    /// `onlyShowShownInGrades`: only the learners (roles named Student), the users a
    /// gradebook lists.
    pub learners_only: bool,
    /// `searchTerm`: part of the user name, first name, last name or org-defined id, any case.
    pub search_term: Option<String>,
    /// Match `search_term` against first and last names only (a reader who may not see the
    /// user names and org-defined ids must not find people by them either).
    pub names_only: bool,
}

/// Up to `limit` (`None`: all) of the users enrolled in `org_unit_id` with an id above
/// `after` that `filter` keeps, with their roles there, by user id.
pub fn page(
    conn: &mut DbConnection,
    org_unit_id: i64,
    filter: &Filter,
    after: i64,
    limit: Option<i64>,
) -> ApiResult<Vec<(User, Role)>> {
    let mut q = enrollments::table
        .inner_join(users::table)
        .inner_join(roles::table)
        .filter(enrollments::org_unit_id.eq(org_unit_id))
        .filter(enrollments::user_id.gt(after))
        .into_boxed();
    if let Some(role_id) = filter.role_id {
        q = q.filter(enrollments::role_id.eq(role_id));
    }
    if filter.learners_only {
        q = q.filter(roles::can_be_auto_enrolled.eq(true));
    }
    if let Some(term) = &filter.search_term {
        let pattern = contains_pattern(term);
        let first = lower(users::first_name.nullable())
            .like(pattern.clone())
            .escape('\\');
        let last = lower(users::last_name.nullable())
            .like(pattern.clone())
            .escape('\\');
        q = if filter.names_only {
            q.filter(first.or(last))
        } else {
            let user_name = lower(users::user_name.nullable())
                .like(pattern.clone())
                .escape('\\');
            let org_defined_id = lower(users::org_defined_id).like(pattern).escape('\\');
            q.filter(first.or(last).or(user_name).or(org_defined_id))
        };
    }
    if let Some(limit) = limit {
        q = q.limit(limit);
    }
    Ok(q.order(enrollments::user_id.asc())
        .select((User::as_select(), Role::as_select()))
        .load(conn)?)
}
