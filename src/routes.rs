//! The route table: every route the server answers, with the versions it serves, the OAuth
//! scope it requires and the role permission its handler checks. Read this file to know the API.
//!
//! LP routes live under `/d2l/api/lp/{version}` and pass the per-route gate
//! (`middleware::gate`); trailing slashes are optional on every route, as Brightspace's own
//! routing table is inconsistent about them. A known path with an unknown method is 405; an
//! unknown path is 404.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, FromRequest, Handler, HttpMessage, Responder, Route};

use crate::auth::permissions::Permission::{self, *};
use crate::auth::scopes::RequiredScope;
use crate::error::ApiError;
use crate::handlers::{courses, enrollments, health, oauth, roles, users, versions};
use crate::versions::{VersionRange, LP_ROUTES};

/// What the table says about one LP route.
#[derive(Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub versions: VersionRange,
    pub scope: RequiredScope,
    /// The permission the handler checks in the route's org unit; `None` for routes that only
    /// touch the caller's own data.
    pub permission: Option<Permission>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut t = RouteTable::default();
    let (get, post, delete) = (Method::GET, Method::POST, Method::DELETE);

    // Anonymous: versions, OAuth, health.
    t.open(get.clone(), "/d2l/api/versions/", versions::all_products);
    t.open(post.clone(), "/d2l/api/versions/check", versions::check);
    t.open(
        get.clone(),
        "/d2l/api/{productCode}/versions/",
        versions::one_product,
    );
    t.open(
        get.clone(),
        "/d2l/api/{productCode}/versions/{version}",
        versions::one_version,
    );
    t.open(post.clone(), "/core/connect/token", oauth::token);
    t.open(get.clone(), "/core/.well-known/jwks", oauth::jwks);
    t.open(get.clone(), "/core/jwk/{kid}", oauth::jwk);
    t.open(get.clone(), "/healthz", health::live);
    t.open(get.clone(), "/readyz", health::ready);

    // LP routes      method          path below /d2l/api/lp/{version}                      scope                                permission
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/users/whoami",
        "users:own_profile:read",
        None,
        users::whoami,
    );
    t.lp(
        LP_ROUTES,
        post.clone(),
        "/users/",
        "users:userdata:create",
        Some(UsersCreate),
        users::create,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/users/",
        "users:userdata:read",
        Some(UsersRead),
        users::search,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/users/{userId}",
        "users:userdata:read",
        Some(UsersRead),
        users::get,
    );

    t.lp(
        LP_ROUTES,
        post.clone(),
        "/courses/",
        "orgunits:course:create",
        Some(CoursesCreate),
        courses::create,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/courses/{orgUnitId}",
        "orgunits:course:read",
        Some(CoursesRead),
        courses::get,
    );
    t.lp(
        LP_ROUTES,
        delete.clone(),
        "/courses/{orgUnitId}",
        "orgunits:course:delete",
        Some(CoursesDelete),
        courses::delete,
    );

    t.lp(
        LP_ROUTES,
        post.clone(),
        "/enrollments/",
        "enrollment:orgunit:create",
        Some(EnrollmentsManage),
        enrollments::create,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/enrollments/myenrollments/",
        "enrollment:own_enrollment:read",
        None,
        enrollments::mine,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/enrollments/orgUnits/{orgUnitId}/users/",
        "enrollment:orgunit:read",
        Some(EnrollmentsRead),
        enrollments::list,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/enrollments/orgUnits/{orgUnitId}/users/{userId}",
        "enrollment:orgunit:read",
        Some(EnrollmentsRead),
        enrollments::get,
    );
    t.lp(
        LP_ROUTES,
        delete.clone(),
        "/enrollments/orgUnits/{orgUnitId}/users/{userId}",
        "enrollment:orgunit:delete",
        Some(EnrollmentsManage),
        enrollments::delete,
    );
    t.lp(
        LP_ROUTES,
        delete.clone(),
        "/enrollments/users/{userId}/orgUnits/{orgUnitId}",
        "enrollment:orgunit:delete",
        Some(EnrollmentsManage),
        enrollments::delete,
    );

    t.lp(
        LP_ROUTES,
        get.clone(),
        "/roles/",
        "role:detail:read",
        Some(RolesRead),
        roles::list,
    );
    t.lp(
        LP_ROUTES,
        get.clone(),
        "/roles/{roleId}",
        "role:detail:read",
        Some(RolesRead),
        roles::get,
    );
    t.lp(
        LP_ROUTES,
        get,
        "/{orgUnitId}/roles/",
        "role:detail:read",
        Some(RolesRead),
        roles::enrollable,
    );

    t.register(cfg);
    cfg.default_service(web::to(not_found));
}

/// Collects routes by path, so that one resource holds every method of a path (a wrong method
/// is then 405, not a fall-through), in the order written (literal segments before `{id}`).
#[derive(Default)]
struct RouteTable {
    /// (path, its routes, their methods for the 405's `Allow`)
    resources: Vec<(String, Vec<Route>, Vec<Method>)>,
}

impl RouteTable {
    fn open<F, Args>(&mut self, method: Method, path: &str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(
            path.to_string(),
            method.clone(),
            web::method(method).to(handler),
        );
    }

    fn lp<F, Args>(
        &mut self,
        versions: VersionRange,
        method: Method,
        path: &'static str,
        scope: &'static str,
        permission: Option<Permission>,
        handler: F,
    ) where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let spec = Arc::new(RouteSpec {
            method: method.clone(),
            path,
            versions,
            scope: RequiredScope::parse(scope)
                .unwrap_or_else(|| panic!("route table: malformed scope {scope:?}")),
            permission,
        });
        let route = web::method(method.clone())
            .to(handler)
            .wrap(from_fn(move |req, next| {
                crate::middleware::gate(spec.clone(), req, next)
            }));
        self.add(format!("/d2l/api/lp/{{version}}{path}"), method, route);
    }

    fn add(&mut self, path: String, method: Method, route: Route) {
        match self.resources.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, routes, methods)) => {
                routes.push(route);
                methods.push(method);
            }
            None => self.resources.push((path, vec![route], vec![method])),
        }
    }

    fn register(self, cfg: &mut web::ServiceConfig) {
        for (path, routes, methods) in self.resources {
            let allow: Vec<String> = methods.iter().map(Method::to_string).collect();
            let allow = allow.join(", ");
            let other = match path.strip_suffix('/') {
                Some(bare) => bare.to_string(),
                None => format!("{path}/"),
            };
            let mut resource = web::resource(vec![path, other]).default_service(web::to(
                move |req: actix_web::HttpRequest| {
                    let allow = allow.clone();
                    async move { method_not_allowed(req, allow) }
                },
            ));
            for route in routes {
                resource = resource.route(route);
            }
            cfg.service(resource);
        }
    }
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "No route matches {} {}.",
        req.method(),
        req.path()
    )))
}

fn method_not_allowed(
    req: actix_web::HttpRequest,
    allow: String,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        allow,
    })
}

/// What an LP handler knows of its caller: who they are and the permission its route requires.
pub struct Authorized {
    pub caller: crate::auth::Caller,
    pub permission: Option<Permission>,
}

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let permission = req
            .extensions()
            .get::<Arc<RouteSpec>>()
            .and_then(|s| s.permission);
        let caller = crate::auth::Caller::from_request(req, payload).into_inner();
        std::future::ready(caller.map(|caller| Authorized { caller, permission }))
    }
}

impl Authorized {
    /// The route's permission; every LP route with an org unit names one.
    pub fn permission(&self) -> Result<Permission, ApiError> {
        self.permission
            .ok_or_else(|| ApiError::internal("route table names no permission for this route"))
    }
}
