//! Units of work: the body of one transaction, run by a route or a job. Each is a plain
//! function `fn(&mut DbConnection, proof, input) -> ApiResult<rows>`: no actix, no wire types,
//! no table names (queries are `crate::db`'s). Access is proven before the work starts: a unit
//! that reads a course takes an [`access::Course`], one that changes it an [`access::Held`]
//! (the course, its lock held in the mode the type names), which only [`access`] can make.
//! A unit that writes answers a [`Wrote`]: its value with what it touched, made from the
//! proof it holds, so that what the caches forget is said once, where the writes are.
//!
//! Sibling rule: a resource file (users, courses, enrollments, roles, sections, groups,
//! group_jobs, history, institutions, vles) may call `access`, `policy` and `placement`, never another
//! resource file. What two resources share belongs in `db` or in one of those three. `seed`
//! alone composes resource units, as a script of API calls would (test fixtures).

pub mod access;
pub mod classlist;
pub mod courses;
pub mod enrollments;
pub mod group_jobs;
pub mod groups;
pub mod history;
pub mod id_keys;
pub mod institutions;
pub mod oauth;
pub mod orgstructure;
pub mod placement;
pub mod policy;
pub mod roles;
pub mod sections;
pub mod seed;
pub mod sign_in;
pub mod users;
pub mod vles;
pub mod wrote;

pub use wrote::Wrote;
