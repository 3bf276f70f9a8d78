//! The integration suite: one test binary, so that the crate and its dependencies are linked
//! once rather than once per file, with one helper module (`common`) that every suite shares.
//! Each suite is a module; `cargo test NAME` still picks tests by (module path) name.

#[path = "../common/mod.rs"]
mod common;

mod caching;
mod categories_2026;
mod classlist;
mod cli;
mod client_assertion;
mod console;
mod freshness;
mod groups;
mod history;
mod id_key;
mod institutions;
mod jobs;
mod layers;
mod memberships;
mod metrics;
mod oauth_code;
mod openapi;
mod orgstructure;
mod processes;
mod protocol;
mod readme;
mod reliability;
mod resources;
mod schema;
mod sections;
mod self_enrollment;
mod setup;
mod sign_in;
mod telemetry;
mod testing_mode;
