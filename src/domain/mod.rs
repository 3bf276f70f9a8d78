//! Domain rules as plain functions, testable without HTTP or a database.

pub mod allocation;
pub mod category_rules;
pub mod csv;
pub mod group_plan;
pub mod history;
pub mod ids;
pub mod naming;
pub mod oauth;
pub mod permissions;
pub mod rich_text;
pub mod sections;
pub mod self_enrollment;
pub mod sign_in;
pub mod validate;
