//! (moving here from handlers/groups.rs)
pub use crate::handlers::groups::place_new_learner;
