//! Group categories and their groups. Creating a category is asynchronous: the request records
//! the category and a job in one transaction and answers 202; the job (`crate::jobs`, doing
//! `services::group_jobs`) creates the groups and allocates the learners in one transaction and
//! marks the category Complete. Until then every write to the category, its groups or their
//! members is 409. If the job dies (it failed its last allowed attempt), the creation has
//! failed: the category answers 404 everywhere but `DELETE`, which clears it away.
//!
//! Each route keeps the reference's answer for a course that is not one (`Missing`) and takes
//! the course lock its change needs (`CourseLock`).

mod categories;
mod group;
pub mod self_enrollment;

pub use categories::{
    category_status, create_category, delete_category, get_category, list_categories,
    update_category,
};
pub use group::{
    create_group, delete_group, enroll, get_group, list_groups, members, unenroll, update_group,
};
