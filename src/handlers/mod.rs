//! Handlers: thin. Each parses input, runs one unit of work through `Db::read`/`Db::write`
//! (permission checks included, on the blocking pool), and shapes the answer.

pub mod courses;
pub mod enrollments;
pub mod groups;
pub mod health;
pub mod institutions;
pub mod oauth;
pub mod roles;
pub mod sections;
pub mod users;
pub mod versions;
