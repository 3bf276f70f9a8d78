//! (moving here from handlers/sections.rs)
pub use crate::handlers::sections::place_new_learner;
