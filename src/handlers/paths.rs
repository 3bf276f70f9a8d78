//! Typed path parameters. Each route's ids are parsed once, by the extractor its handler takes:
//! a D2LID written any other way than `[1-9][0-9]*` names nothing, so it is a 404 naming what
//! was sought, before any database work.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use crate::error::{ApiError, ApiResult};
use crate::wire::path_id;

/// The D2LID in path segment `{name}`; `what` names it in the 404.
pub fn path_param(req: &HttpRequest, name: &str, what: &str) -> ApiResult<i64> {
    path_id(what, req.match_info().get(name).unwrap_or_default())
}

/// Declares a path type: its fields, each with the route segment it comes from and what the
/// 404 calls it.
macro_rules! path_type {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $segment:literal, $what:literal);+ $(;)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: i64),+
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let parse = || -> ApiResult<Self> {
                    Ok(Self { $($field: path_param(req, $segment, $what)?),+ })
                };
                ready(parse())
            }
        }
    };
}

path_type!(
    /// `{orgUnitId}`: any org unit (enrollments, roles, course offerings).
    OrgUnitPath { org_unit: "orgUnitId", "Org unit" }
);
path_type!(
    /// `{userId}`
    UserPath { user: "userId", "User" }
);
path_type!(
    /// `{roleId}`
    RolePath { role: "roleId", "Role" }
);
path_type!(
    /// `enrollments/orgUnits/{orgUnitId}/users/{userId}` and its mirror.
    EnrollmentPath { org_unit: "orgUnitId", "Org unit"; user: "userId", "User" }
);
path_type!(
    /// `{orgUnitId}/sections/{sectionId}`
    SectionPath { course: "orgUnitId", "Org unit"; section: "sectionId", "Section" }
);
path_type!(
    /// `{orgUnitId}/groupcategories/{groupCategoryId}`
    CategoryPath { course: "orgUnitId", "Org unit"; category: "groupCategoryId", "Group category" }
);
path_type!(
    /// `{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}`
    GroupPath {
        course: "orgUnitId", "Org unit";
        category: "groupCategoryId", "Group category";
        group: "groupId", "Group";
    }
);
path_type!(
    /// `.../groups/{groupId}/enrollments/{userId}`
    GroupMemberPath {
        course: "orgUnitId", "Org unit";
        category: "groupCategoryId", "Group category";
        group: "groupId", "Group";
        user: "userId", "User";
    }
);
