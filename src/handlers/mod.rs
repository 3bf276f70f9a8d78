//! Handlers: the only code that speaks actix. Each one
//! 1. parses: typed paths (`paths`), the query and the body (`extract`), and checks the input's
//!    own rules (`wire` and `domain`), before any database work;
//! 2. runs one closure through `Db::read`/`Db::write` (on the blocking pool) that proves access
//!    (`services::access`) and calls one unit of work in `services`;
//! 3. answers: the unit's rows turned into wire types, through `reply`.
//!
//! No handler names a table or writes a query (Diesel is the database layer's); no business
//! rule is decided here.

pub mod authorize;
pub mod browser;
pub mod classlist;
pub mod console;
pub mod courses;
pub mod enrollments;
pub mod extract;
pub mod groups;
pub mod health;
pub mod history;
pub mod id_key_flow;
pub mod institutions;
pub mod metrics;
pub mod oauth;
pub mod onward;
pub mod openapi;
pub mod orgstructure;
pub mod paths;
pub mod remember;
pub mod reply;
pub mod roles;
pub mod sections;
pub mod sign_in;
pub mod testing;
pub mod users;
pub mod versions;
