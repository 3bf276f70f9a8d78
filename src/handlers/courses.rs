//! Course offerings: create, fetch, delete. Offerings are org units under the institution's root.

use actix_web::HttpResponse;

use super::extract::Body;
use super::paths::OrgUnitPath;
use super::reply::{ok, ok_empty};
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::services::access::{self, Missing};
use crate::services::{courses, Wrote};
use crate::state::State;
use crate::wire::courses::{CourseOffering, CreateCourseOffering};

/// `POST /courses/`
pub async fn create(
    state: State,
    auth: Authorized,
    body: Body<CreateCourseOffering>,
) -> ApiResult<HttpResponse> {
    let offering = body.0.validated()?;
    let view = state
        .db
        .write(0, move |conn| {
            let root = access::at_root(conn, &auth)?;
            Ok(Wrote::anything(courses::create(conn, &root, &offering)?))
        })
        .await?;
    ok(&CourseOffering::from(&view))
}

/// `GET /courses/(orgUnitId)`
pub async fn get(state: State, auth: Authorized, path: OrgUnitPath) -> ApiResult<HttpResponse> {
    let view = state
        .db
        .read(move |conn| {
            let course = access::course(conn, &auth, path.org_unit, Missing::NotFound)?;
            courses::get(conn, &course)
        })
        .await?;
    ok(&CourseOffering::from(&view))
}

/// `DELETE /courses/(orgUnitId)`: removes the offering with its enrollments and descendants.
pub async fn delete(state: State, auth: Authorized, path: OrgUnitPath) -> ApiResult<HttpResponse> {
    state
        .db
        .write(path.org_unit, move |conn| {
            let course = access::course(conn, &auth, path.org_unit, Missing::NotFound)?;
            Ok(Wrote::anything(courses::delete(conn, &course)?))
        })
        .await?;
    Ok(ok_empty())
}
