//! The route table: every route the server answers, with the versions it serves, the OAuth
//! scope it requires and the role permission its handler checks. Read this file to know the API.
//!
//! LP routes live under `/d2l/api/lp/{version}` and pass the per-route gate
//! (`middleware::gate`); trailing slashes are optional on every route, as Brightspace's own
//! routing table is inconsistent about them. A known path with an unknown method is 405; an
//! unknown path is 404. Every GET route answers HEAD too, and U+0000 in a path segment or
//! query parameter is a 400 on every route (see [`RouteTable`]).
//!
//! What a route takes and answers trails it (`.takes::<CreateUserData>().ok::<UserData>()`,
//! `.query(&[...])`): the OpenAPI description (`crate::openapi`, `/openapi.json`, `/docs/`) is
//! built from this table and those types, so it describes exactly what is served.

use std::sync::{Arc, OnceLock};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{guard, web, FromRequest, Handler, Responder, Route};

use crate::auth::scopes::RequiredScope;
use crate::domain::permissions::Permission::{self, *};
use crate::error::ApiError;
use crate::handlers::{
    authorize, classlist, console, courses, enrollments, groups, health, history, id_key_flow,
    institutions, metrics, oauth, openapi, orgstructure, roles, sections, sign_in, testing, users,
    versions,
};
use crate::middleware::RouteSpec;
use crate::openapi::{Access, Doc, Document, Operation};
use crate::versions::{Product, RouteVersions, LE_ROUTES, LP_ROUTES, REMOVED_IN_LP_1_39};
use crate::wire::classlist::{ClasslistUser, ObjectListPage};
use crate::wire::courses::{CourseOffering, CreateCourseOffering};
use crate::wire::enrollments::{
    CreateEnrollmentData, EnrollmentData, MyOrgUnitInfo, OrgUnitUser, UserOrgUnit,
};
use crate::wire::groups::{
    GroupCategoryCreate, GroupCategoryFetch, GroupCategoryJobStatus, GroupCategoryUpdate,
    GroupFetch, GroupInput, GroupsJobData,
};
use crate::wire::history::MembershipChangeData;
use crate::wire::institutions::{InstitutionFields, InstitutionOut, Page, VleFields, VleOut};
use crate::wire::oauth::{Jwk, JwkSet, TokenError, TokenRequest, TokenResponse};
use crate::wire::orgstructure::{OrgUnitData, OrgUnitType};
use crate::wire::roles::RoleData;
use crate::wire::sections::{
    SectionEnrolled, SectionFetch, SectionInput, SectionSettingsCreate, SectionSettingsFetch,
    SectionSettingsUpdate, UserEnrollment,
};
use crate::wire::self_enrollment::SelfEnrollmentCategory;
use crate::wire::users::{CreateUserData, UserData, UserSearch, WhoAmIUser};
use crate::wire::versions::{
    BulkVersionCheck, ProductVersions, VersionCheckRequest, VersionSupport,
};
use crate::wire::{PagedResultSet, Status};

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;
const PATCH: Method = Method::PATCH;

/// Registers every route, and the 404 for every other path; leaves the OpenAPI description
/// (built once per process) for `/openapi.json` and `/docs/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    table().register(cfg);
    test_mode_routes(cfg);
    cfg.app_data(web::Data::from(description()));
    cfg.default_service(web::to(not_found));
}

/// The metrics listener's one route (`METRICS_ADDRESS`; `app::metrics_server`).
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::scrape));
    cfg.default_service(web::to(not_found));
}

/// The OpenAPI 3.1 description of the table's routes (`crate::openapi`), built on first use.
pub fn description() -> Arc<Document> {
    static DOCUMENT: OnceLock<Arc<Document>> = OnceLock::new();
    DOCUMENT
        .get_or_init(|| Arc::new(Document::build(&table().operations)))
        .clone()
}

/// The query parameters of the lists of one's own enrollments.
const OWN_ENROLLMENTS: &[&str] = &[
    "orgUnitTypeId",
    "orgUnitType",
    "isActive",
    "roleId",
    "canAccess",
    "startDateTime",
    "endDateTime",
    "bookmark",
];
/// The class list's filters.
const CLASSLIST: &[&str] = &["onlyShowShownInGrades", "roleId", "searchTerm"];
/// The operator API's list parameters.
const LIST: &[&str] = &["limit", "offset", "search", "ordering"];

// ---------------------------------------------------------------------------------------------
// TEST MODE ONLY (`serve --test-mode`, docs/testing.md). These paths exist only on a server in
// test mode: on any other, a guard lets no request match them and they answer the 404 of an
// unknown path. No token (test mode listens on loopback unless forced); not in [`served`]: they
// are no part of the API.
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
fn test_mode_routes(cfg: &mut web::ServiceConfig) {
    let only = || guard::fn_guard(|ctx| {
        ctx.app_data::<crate::state::State>()
            .is_some_and(|state| state.settings.test_mode.is_some())
    });
    let other_methods = |allow: &'static str| web::to(move |req: actix_web::HttpRequest| async move {
        method_not_allowed(req, allow.to_string())
    });
    // Empty the database and seed the world again (same ids); the clock back on real time.
    cfg.service(web::resource("/testing/reset").guard(only())
        .route(web::post().to(testing::reset))
        .default_service(other_methods("POST")));
    // The seeded world's ids, by the names the seed file used.
    cfg.service(web::resource("/testing/seed").guard(only())
        .route(method_route(&GET).to(testing::seeded))
        .default_service(other_methods("GET, HEAD")));
    // The business clock: read it, move it ahead, back to real time.
    cfg.service(web::resource("/testing/clock").guard(only())
        .route(method_route(&GET).to(testing::clock))
        .route(web::put().to(testing::set_clock))
        .route(web::delete().to(testing::real_clock))
        .default_service(other_methods("GET, HEAD, PUT, DELETE")));
}

/// Every (method, path) the table serves, paths as written above (LP paths under
/// `/d2l/api/lp/{version}`). GET routes answer HEAD too, which this does not list again. Tests
/// walk it, so that a rule meant for every route is checked on every route, new ones included.
pub fn served() -> Vec<(Method, String)> {
    table().written
}

#[rustfmt::skip]
fn table() -> RouteTable {
    let mut t = RouteTable::default();

    // Anonymous: versions, OAuth, health.
    t.open(GET,  "/d2l/api/versions/",                        versions::all_products).ok_list::<ProductVersions>();
    t.open(POST, "/d2l/api/versions/check",                   versions::check).takes_list::<VersionCheckRequest>().ok::<BulkVersionCheck>();
    t.open(GET,  "/d2l/api/{productCode}/versions/",          versions::one_product).ok::<ProductVersions>();
    t.open(GET,  "/d2l/api/{productCode}/versions/{version}", versions::one_version).ok::<VersionSupport>();
    t.token_endpoint(POST, "/core/connect/token",             oauth::token).form::<TokenRequest>().ok::<TokenResponse>().error::<TokenError>(400).error::<TokenError>(401);
    t.open(GET,  "/core/.well-known/jwks",                    oauth::jwks).ok::<JwkSet>();
    t.open(GET,  "/core/jwk/{kid}",                           oauth::jwk).ok::<Jwk>();
    t.open(GET,  "/healthz",                                  health::live).ok::<Status>();
    t.open(GET,  "/metrics",                                  metrics::public);
    // Sign-in pages and browser sessions (HTML).
    t.open(GET,  "/d2l/login",                                sign_in::login_page);
    t.open(POST, "/d2l/lp/auth/login/login.d2l",              sign_in::login);
    t.open(GET,  "/d2l/home",                                 sign_in::home);
    t.open(GET,  "/d2l/logout",                               sign_in::logout_page);
    t.open(POST, "/d2l/logout",                               sign_in::logout);
    // OAuth 2.0 authorization (HTML) and the user's authorized apps.
    t.open(GET,  "/oauth2/auth",                              authorize::authorize).html().redirect(302);
    t.open(POST, "/oauth2/auth",                              authorize::consent);
    t.open(GET,  "/d2l/apps",                                 authorize::apps);
    t.open(POST, "/d2l/apps/revoke",                          authorize::revoke);
    // D2L's ID-key user-context flow (HTML redirects).
    t.open(GET,  "/d2l/auth/api/token",                       id_key_flow::token);
    t.open(GET,  "/d2l/auth/api/cancel",                      id_key_flow::cancel);
    t.open(GET,  "/readyz",                                   health::ready).ok::<Status>();
    // This API's OpenAPI 3.1 description, and its documentation page.
    t.open(GET,  "/openapi.json",                             openapi::json).ok::<serde_json::Value>();
    t.open(GET,  "/docs/",                                    openapi::docs).html();

    // The course administrators' console (HTML, docs/console.md): the browser session's user,
    // checked with the permission named here exactly as the API route of the same action
    // checks it. Literal segments come before {ids}.
    t.page(GET,  "/console/",                                                                  Some(OrgUnitsRead),     console::courses::home);
    t.page(GET,  "/console/courses/{orgUnitId}",                                               Some(EnrollmentsRead),  console::courses::course);
    t.page(GET,  "/console/courses/{orgUnitId}/sections",                                      Some(SectionsView),     console::sections::list);
    t.page(GET,  "/console/courses/{orgUnitId}/sections.csv",                                  Some(SectionsView),     console::csv::export);
    t.page(GET,  "/console/courses/{orgUnitId}/sections/import",                               Some(SectionsEnroll),   console::csv::import_form);
    t.page(POST, "/console/courses/{orgUnitId}/sections/import",                               Some(SectionsEnroll),   console::csv::import);
    t.page(GET,  "/console/courses/{orgUnitId}/sections/initialize",                           Some(SectionsManage),   console::sections::preview);
    t.page(POST, "/console/courses/{orgUnitId}/sections/initialize",                           Some(SectionsManage),   console::sections::initialize);
    t.page(POST, "/console/courses/{orgUnitId}/sections/move",                                 Some(SectionsEnroll),   console::sections::move_member);
    t.page(POST, "/console/courses/{orgUnitId}/sections/{sectionId}/rename",                   Some(SectionsManage),   console::sections::rename);
    t.page(POST, "/console/courses/{orgUnitId}/sections/{sectionId}/delete",                   Some(SectionsManage),   console::sections::delete);
    t.page(GET,  "/console/courses/{orgUnitId}/history",                                       Some(EnrollmentsRead),  console::history::list);
    t.page(GET,  "/console/courses/{orgUnitId}/categories",                                    Some(GroupsView),       console::categories::list);
    t.page(POST, "/console/courses/{orgUnitId}/categories",                                    Some(GroupsManage),     console::categories::create);
    t.page(GET,  "/console/courses/{orgUnitId}/categories/new",                                Some(GroupsManage),     console::categories::new_form);
    t.page(GET,  "/console/courses/{orgUnitId}/categories/{groupCategoryId}",                  Some(GroupsView),       console::categories::category);
    t.page(GET,  "/console/courses/{orgUnitId}/categories/{groupCategoryId}/status",           Some(GroupsView),       console::categories::status);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/delete",           Some(GroupsManage),     console::categories::delete);
    t.page(GET,  "/console/courses/{orgUnitId}/categories/{groupCategoryId}/members.csv",      Some(GroupsView),       console::csv::export);
    t.page(GET,  "/console/courses/{orgUnitId}/categories/{groupCategoryId}/import",           Some(GroupsEnroll),     console::csv::import_form);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/import",           Some(GroupsEnroll),     console::csv::import);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/move",             Some(GroupsEnroll),     console::groups::move_member);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/groups/{groupId}/add",    Some(GroupsEnroll), console::groups::add);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/groups/{groupId}/remove", Some(GroupsEnroll), console::groups::remove);
    t.page(POST, "/console/courses/{orgUnitId}/categories/{groupCategoryId}/groups/{groupId}/delete", Some(GroupsManage), console::groups::delete);
    // A learner choosing their own group (self-enrollment), as the API's selfenrollment routes.
    t.page(GET,  "/console/courses/{orgUnitId}/mygroups",                                      Some(GroupsSelfEnroll), console::self_enrollment::choices);
    t.page(POST, "/console/courses/{orgUnitId}/mygroups/{groupCategoryId}/groups/{groupId}/join",  Some(GroupsSelfEnroll), console::self_enrollment::join);
    t.page(POST, "/console/courses/{orgUnitId}/mygroups/{groupCategoryId}/groups/{groupId}/leave", Some(GroupsSelfEnroll), console::self_enrollment::leave);

    // LP routes under /d2l/api/lp/{version}:
    // mount and versions, method, path, scope, the permission its handler checks, handler,
    // then what it takes and answers (for the OpenAPI description).

    // Users
    t.route(Lp(LP_ROUTES),          GET,    "/users/whoami",                                                                        "users:own_profile:read|users:profile:read", None,         users::whoami).ok::<WhoAmIUser>();
    t.route(Lp(LP_ROUTES),          POST,   "/users/",                                                                              "users:userdata:create",          Some(UsersCreate),       users::create).takes::<CreateUserData>().ok::<UserData>();
    t.route(Lp(LP_ROUTES),          GET,    "/users/",                                                                              "users:userdata:read",            Some(UsersRead),         users::search).query(&["userName", "orgDefinedId", "bookmark"]).ok::<UserSearch>();
    t.route(Lp(LP_ROUTES),          GET,    "/users/{userId}",                                                                      "users:userdata:read",            Some(UsersRead),         users::get).ok::<UserData>();

    // Course offerings
    t.route(Lp(LP_ROUTES),          POST,   "/courses/",                                                                            "orgunits:course:create",         Some(CoursesCreate),     courses::create).takes::<CreateCourseOffering>().ok::<CourseOffering>();
    t.route(Lp(LP_ROUTES),          GET,    "/courses/{orgUnitId}",                                                                 "orgunits:course:read",           Some(CoursesRead),       courses::get).ok::<CourseOffering>();
    t.route(Lp(LP_ROUTES),          DELETE, "/courses/{orgUnitId}",                                                                 "orgunits:course:delete",         Some(CoursesDelete),     courses::delete).empty();

    // Enrollments
    t.route(Lp(LP_ROUTES),          POST,   "/enrollments/",                                                                        "enrollment:orgunit:create",      Some(EnrollmentsManage), enrollments::create).takes::<CreateEnrollmentData>().ok::<EnrollmentData>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/myenrollments/",                                                          "enrollment:own_enrollment:read", None,                    enrollments::mine).query(OWN_ENROLLMENTS).ok::<PagedResultSet<MyOrgUnitInfo>>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/myenrollments/{orgUnitId}",                                               "enrollment:own_enrollment:read", None,                    enrollments::my_one).ok::<MyOrgUnitInfo>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/users/{userId}/orgUnits/",                                                "enrollment:orgunit:read",        Some(EnrollmentsRead),   enrollments::of_user).query(OWN_ENROLLMENTS).ok::<PagedResultSet<UserOrgUnit>>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/users/{userId}/orgUnits/{orgUnitId}",                                     "enrollment:orgunit:read",        Some(EnrollmentsRead),   enrollments::get).ok::<EnrollmentData>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/orgUnits/{orgUnitId}/users/",                                             "enrollment:orgunit:read",        Some(EnrollmentsRead),   enrollments::list).query(&["roleId", "isActive", "bookmark"]).ok::<PagedResultSet<OrgUnitUser>>();
    t.route(Lp(LP_ROUTES),          GET,    "/enrollments/orgUnits/{orgUnitId}/users/{userId}",                                     "enrollment:orgunit:read",        Some(EnrollmentsRead),   enrollments::get).ok::<EnrollmentData>();
    t.route(Lp(LP_ROUTES),          DELETE, "/enrollments/orgUnits/{orgUnitId}/users/{userId}",                                     "enrollment:orgunit:delete",      Some(EnrollmentsManage), enrollments::delete).ok::<EnrollmentData>();
    t.route(Lp(LP_ROUTES),          DELETE, "/enrollments/users/{userId}/orgUnits/{orgUnitId}",                                     "enrollment:orgunit:delete",      Some(EnrollmentsManage), enrollments::delete).ok::<EnrollmentData>();

    // Roles
    t.route(Lp(LP_ROUTES),          GET,    "/roles/",                                                                              "role:detail:read",               Some(RolesRead),         roles::list).ok_list::<RoleData>();
    t.route(Lp(LP_ROUTES),          GET,    "/roles/{roleId}",                                                                      "role:detail:read",               Some(RolesRead),         roles::get).ok::<RoleData>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/roles/",                                                                  "role:detail:read",               Some(RolesRead),         roles::enrollable).ok_list::<RoleData>();

    // Org structure (orgunits.read where asked; the search at the root) and org-unit types
    // (fixed data: token and scope only). Literal segments come before {orgUnitTypeId}.
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/",                                                                       "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::search).query(&["orgUnitType", "orgUnitCode", "orgUnitName", "exactOrgUnitCode", "exactOrgUnitName", "bookmark"]).ok::<PagedResultSet<OrgUnitData>>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}",                                                            "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::get).ok::<OrgUnitData>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/children/",                                                  "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::children).query(&["ouTypeId"]).ok_list::<OrgUnitData>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/children/paged/",                                            "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::children_paged).query(&["ouTypeId", "bookmark"]).ok::<PagedResultSet<OrgUnitData>>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/descendants/",                                               "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::descendants).query(&["ouTypeId"]).ok_list::<OrgUnitData>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/descendants/paged/",                                         "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::descendants_paged).query(&["ouTypeId", "bookmark"]).ok::<PagedResultSet<OrgUnitData>>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/parents/",                                                   "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::parents).query(&["ouTypeId"]).ok_list::<OrgUnitData>();
    t.route(Lp(LP_ROUTES),          GET,    "/orgstructure/{orgUnitId}/ancestors/",                                                 "organizations:organization:read", Some(OrgUnitsRead),   orgstructure::ancestors).query(&["ouTypeId"]).ok_list::<OrgUnitData>();
    t.route(Lp(LP_ROUTES),          GET,    "/outypes/",                                                                            "organizations:organization:read", None,                 orgstructure::types).ok_list::<OrgUnitType>();
    t.route(Lp(LP_ROUTES),          GET,    "/outypes/department",                                                                  "organizations:organization:read", None,                 orgstructure::department).ok::<OrgUnitType>();
    t.route(Lp(LP_ROUTES),          GET,    "/outypes/semester",                                                                    "organizations:organization:read", None,                 orgstructure::semester).ok::<OrgUnitType>();
    t.route(Lp(LP_ROUTES),          GET,    "/outypes/{orgUnitTypeId}",                                                             "organizations:organization:read", None,                 orgstructure::get_type).ok::<OrgUnitType>();

    // Sections of a course offering. Literal segments (settings, mysections) come before {sectionId}.

    // The legacy PUT /sections/ was removed in LP 1.39: no version serves it, so it is always 404.
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/sections/settings",                                                       "sections:section:read",          Some(SectionsView),      sections::get_settings).ok::<SectionSettingsFetch>();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/sections/settings",                                                       "sections:section:create",        Some(SectionsManage),    sections::create_settings).takes::<SectionSettingsCreate>().ok::<SectionSettingsFetch>();
    t.route(Lp(LP_ROUTES),          PUT,    "/{orgUnitId}/sections/settings",                                                       "sections:section:update",        Some(SectionsManage),    sections::update_settings).takes::<SectionSettingsUpdate>().ok::<SectionSettingsFetch>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/sections/mysections/",                                                    "sections:own_section:read",      None,                    sections::mine).ok_list::<SectionEnrolled>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/sections/",                                                               "sections:section:read",          Some(SectionsView),      sections::list).ok_list::<SectionFetch>();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/sections/",                                                               "sections:section:create",        Some(SectionsManage),    sections::create).takes::<SectionInput>().ok::<SectionFetch>();
    t.route(Lp(REMOVED_IN_LP_1_39), PUT,    "/{orgUnitId}/sections/",                                                               "sections:section:update",        Some(SectionsManage),    sections::legacy_initialize);
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/sections/{sectionId}",                                                    "sections:section:read",          Some(SectionsView),      sections::get).ok::<SectionFetch>();
    t.route(Lp(LP_ROUTES),          PUT,    "/{orgUnitId}/sections/{sectionId}",                                                    "sections:section:update",        Some(SectionsManage),    sections::update).takes::<SectionInput>().ok::<SectionFetch>();
    t.route(Lp(LP_ROUTES),          DELETE, "/{orgUnitId}/sections/{sectionId}",                                                    "sections:section:delete",        Some(SectionsManage),    sections::delete).empty();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/sections/{sectionId}/enrollments/",                                       "sections:enrollment:create",     Some(SectionsEnroll),    sections::enroll).takes::<UserEnrollment>().empty();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/sections/{sectionId}/enrollments/",                                       "sections:section:read",          Some(SectionsView),      sections::members).ok_list::<i64>();

    // Group categories and their groups, of a course offering.
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/",                                                        "groups:group:read",              Some(GroupsView),        groups::list_categories).ok_list::<GroupCategoryFetch>();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/groupcategories/",                                                        "groups:group:create",            Some(GroupsManage),      groups::create_category).takes::<GroupCategoryCreate>().accepted::<GroupsJobData>();
    // Self-enrollment, our extension (docs/api.md): the caller's own membership. The literal
    // segment comes before {groupCategoryId}.
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/selfenrollment/",                                         "groups:own_enrollment:read",     Some(GroupsSelfEnroll),  groups::self_enrollment::choices).ok_list::<SelfEnrollmentCategory>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}/selfenrollment",                        "groups:own_enrollment:read",     Some(GroupsSelfEnroll),  groups::self_enrollment::choice).ok::<SelfEnrollmentCategory>();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/selfenrollment",       "groups:own_enrollment:create",   Some(GroupsSelfEnroll),  groups::self_enrollment::join).ok::<SelfEnrollmentCategory>();
    t.route(Lp(LP_ROUTES),          DELETE, "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/selfenrollment",       "groups:own_enrollment:delete",   Some(GroupsSelfEnroll),  groups::self_enrollment::leave).ok::<SelfEnrollmentCategory>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}",                                       "groups:group:read",              Some(GroupsView),        groups::get_category).ok::<GroupCategoryFetch>();
    t.route(Lp(LP_ROUTES),          PUT,    "/{orgUnitId}/groupcategories/{groupCategoryId}",                                       "groups:group:update",            Some(GroupsManage),      groups::update_category).takes::<GroupCategoryUpdate>().ok::<GroupCategoryFetch>();
    t.route(Lp(LP_ROUTES),          DELETE, "/{orgUnitId}/groupcategories/{groupCategoryId}",                                       "groups:group:delete",            Some(GroupsManage),      groups::delete_category).empty();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}/status",                                "groups:group:read",              Some(GroupsView),        groups::category_status).ok::<GroupCategoryJobStatus>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/",                               "groups:group:read",              Some(GroupsView),        groups::list_groups).ok_list::<GroupFetch>();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/",                               "groups:group:create",            Some(GroupsManage),      groups::create_group).takes::<GroupInput>().ok::<GroupFetch>();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}",                      "groups:group:read",              Some(GroupsView),        groups::get_group).ok::<GroupFetch>();
    t.route(Lp(LP_ROUTES),          PUT,    "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}",                      "groups:group:update",            Some(GroupsManage),      groups::update_group).takes::<GroupInput>().ok::<GroupFetch>();
    t.route(Lp(LP_ROUTES),          DELETE, "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}",                      "groups:group:delete",            Some(GroupsManage),      groups::delete_group).empty();
    t.route(Lp(LP_ROUTES),          POST,   "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments/",         "groups:enrollment:create",       Some(GroupsEnroll),      groups::enroll).takes::<UserEnrollment>().empty();
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments",          "groups:group:read",              Some(GroupsView),        groups::members).ok_list::<i64>();
    t.route(Lp(LP_ROUTES),          DELETE, "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments/{userId}", "groups:enrollment:delete",       Some(GroupsEnroll),      groups::unenroll).empty();

    // The membership history of a course's sections and groups, our extension (docs/api.md).
    t.route(Lp(LP_ROUTES),          GET,    "/{orgUnitId}/memberships/history/",                                                    "enrollment:orgunit:read",        Some(EnrollmentsRead),   history::list).query(&["userId", "orgUnitId", "via", "bookmark"]).ok::<PagedResultSet<MembershipChangeData>>();

    // LE routes under /d2l/api/le/{version}: the classlist (enrollments.read, or enrolled there).
    t.route(Le(LE_ROUTES),          GET,    "/{orgUnitId}/classlist/",                                                              "enrollment:orgunit:read",        Some(EnrollmentsRead),   classlist::list).query(CLASSLIST).ok_list::<ClasslistUser>();
    t.route(Le(LE_ROUTES),          GET,    "/{orgUnitId}/classlist/paged/",                                                        "enrollment:orgunit:read",        Some(EnrollmentsRead),   classlist::paged).query(CLASSLIST).query(&["bookmark"]).ok::<ObjectListPage<ClasslistUser>>();

    // The operator API (not versioned): an institution's own record and its VLE registrations.
    t.route(Operator,               GET,    "/api/v2/institution/",                                          "institutions:institution:read",   Some(InstitutionManage), institutions::list).query(LIST).ok::<Page<InstitutionOut>>();
    t.route(Operator,               GET,    "/api/v2/institution/{institution_id}/",                         "institutions:institution:read",   Some(InstitutionManage), institutions::get).ok::<InstitutionOut>();
    t.route(Operator,               PUT,    "/api/v2/institution/{institution_id}/",                         "institutions:institution:update", Some(InstitutionManage), institutions::put).takes::<InstitutionFields>().ok::<InstitutionOut>();
    t.route(Operator,               PATCH,  "/api/v2/institution/{institution_id}/",                         "institutions:institution:update", Some(InstitutionManage), institutions::patch).takes::<InstitutionFields>().ok::<InstitutionOut>();
    t.route(Operator,               GET,    "/api/v2/institution/{parent_lookup_institution_id}/vle/",       "institutions:vle:read",           Some(InstitutionManage), institutions::list_vles).query(LIST).ok::<Page<VleOut>>();
    t.route(Operator,               POST,   "/api/v2/institution/{parent_lookup_institution_id}/vle/",       "institutions:vle:create",         Some(InstitutionManage), institutions::create_vle).takes::<VleFields>().created::<VleOut>();
    t.route(Operator,               GET,    "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/",  "institutions:vle:read",           Some(InstitutionManage), institutions::get_vle).ok::<VleOut>();
    t.route(Operator,               PUT,    "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/",  "institutions:vle:update",         Some(InstitutionManage), institutions::put_vle).takes::<VleFields>().ok::<VleOut>();
    t.route(Operator,               PATCH,  "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/",  "institutions:vle:update",         Some(InstitutionManage), institutions::patch_vle).takes::<VleFields>().ok::<VleOut>();
    t.route(Operator,               DELETE, "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/",  "institutions:vle:delete",         Some(InstitutionManage), institutions::delete_vle).no_content();

    t
}

/// Where a gated route is mounted.
#[derive(Clone, Copy)]
enum Mount {
    /// The versioned LP API, under `/d2l/api/lp/{version}`, serving these versions.
    Lp(RouteVersions),
    /// The versioned LE API, under `/d2l/api/le/{version}`, serving these versions.
    Le(RouteVersions),
    /// The operator API (not versioned): the path as written.
    Operator,
}
use Mount::{Le, Lp, Operator};

/// Collects routes by path, so that one resource holds every method of a path (a wrong method
/// is then 405, not a fall-through), in the order written (literal segments before `{id}`).
///
/// Two rules hold for every route because they are applied here, once, rather than per route:
/// - A `GET` route also answers `HEAD` (same handler, same status and headers; the HTTP layer
///   sends no body for HEAD), and a 405's `Allow` lists HEAD beside GET.
/// - Text holding U+0000 in a path segment or query parameter is a 400 naming it, before the
///   route's gate or handler runs ([`reject_nul`]; the token endpoint checks its own).
#[derive(Default)]
struct RouteTable {
    /// (path, its routes, their methods for the 405's `Allow`)
    resources: Vec<(String, Vec<Route>, Vec<Method>)>,
    /// Each route's method and path as written, for [`served`].
    written: Vec<(Method, String)>,
    /// Each route as the OpenAPI description tells it, with the [`Doc`] written beside it.
    operations: Vec<Operation>,
}

impl RouteTable {
    /// An anonymous route; described in the OpenAPI document when its [`Doc`] says what it
    /// answers.
    fn open<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Doc
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = method_route(&method).to(handler);
        self.add(path.to_string(), method.clone(), route);
        self.describe::<F>(method, path.to_string(), Access::Open)
    }

    /// A console page (`handlers::console`): no token gate (the browser session is checked by
    /// the handler), and `permission` left in the request for the handler's access checks.
    fn page<F, Args>(
        &mut self,
        method: Method,
        path: &str,
        permission: Option<Permission>,
        handler: F,
    ) where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = method_route(&method)
            .to(handler)
            .wrap(from_fn(move |req, next| {
                console::with_permission(permission, req, next)
            }));
        self.add(path.to_string(), method, route);
    }

    /// The OAuth token endpoint answers every failure in RFC 6749's shape, so it checks its
    /// query string for U+0000 itself (`oauth::token`) instead of through [`reject_nul`]; it
    /// has no path parameters.
    fn token_endpoint<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Doc
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = method_route(&method).to(handler);
        self.insert(path.to_string(), method.clone(), route);
        self.describe::<F>(method, path.to_string(), Access::Open)
    }

    /// A route behind the per-route gate (version, token, scope), its spec left in the request
    /// for the handler's `Authorized` extractor.
    fn route<F, Args>(
        &mut self,
        mount: Mount,
        method: Method,
        path: &'static str,
        scope: &'static str,
        permission: Option<Permission>,
        handler: F,
    ) -> &mut Doc
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let (versions, full) = match mount {
            Mount::Lp(versions) => (
                Some((Product::Lp, versions)),
                format!("/d2l/api/lp/{{version}}{path}"),
            ),
            Mount::Le(versions) => (
                Some((Product::Le, versions)),
                format!("/d2l/api/le/{{version}}{path}"),
            ),
            Mount::Operator => (None, path.to_string()),
        };
        let spec = Arc::new(RouteSpec {
            method: method.clone(),
            path,
            versions,
            scopes: scope
                .split('|')
                .map(|one| {
                    RequiredScope::parse(one)
                        .unwrap_or_else(|| panic!("route table: malformed scope {scope:?}"))
                })
                .collect(),
            permission,
        });
        let access = Access::Gated {
            versions: spec.versions,
            scopes: scope.split('|').collect(),
            permission,
        };
        let route = method_route(&method)
            .to(handler)
            .wrap(from_fn(move |req, next| {
                crate::middleware::gate(spec.clone(), req, next)
            }));
        self.add(full.clone(), method.clone(), route);
        self.describe::<F>(method, full, access)
    }

    /// Records the route for the OpenAPI description; its [`Doc`] is filled in by the table.
    fn describe<F>(&mut self, method: Method, path: String, access: Access) -> &mut Doc {
        let handler = std::any::type_name::<F>();
        let handler = handler
            .strip_prefix("d2l_groups::handlers::")
            .unwrap_or(handler);
        self.operations.push(Operation {
            method: method.as_str().to_ascii_lowercase(),
            path,
            handler,
            access,
            doc: Doc::default(),
        });
        let at = self.operations.len() - 1;
        &mut self.operations[at].doc
    }

    /// Paths are keyed without their trailing slash: `.../enrollments/` and `.../enrollments`
    /// are one resource answering both spellings.
    fn add(&mut self, path: String, method: Method, route: Route) {
        self.insert(path, method, route.wrap(from_fn(reject_nul)));
    }

    fn insert(&mut self, path: String, method: Method, route: Route) {
        self.written.push((method.clone(), path.clone()));
        let path = path.trim_end_matches('/').to_string();
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
            let allow = allow_header(&methods);
            let other = format!("{path}/");
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

/// A route answering `method`; a GET route answers HEAD too (RFC 9110 §9.3.2: HEAD is GET
/// without the body, and actix sends none for a HEAD request whatever the handler answers).
fn method_route(method: &Method) -> Route {
    if *method == Method::GET {
        web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
    } else {
        web::method(method.clone())
    }
}

/// The 405's `Allow`: the methods served, HEAD right after GET.
fn allow_header(methods: &[Method]) -> String {
    let mut allow: Vec<String> = Vec::new();
    for method in methods {
        allow.push(method.to_string());
        if *method == Method::GET {
            allow.push(Method::HEAD.to_string());
        }
    }
    allow.join(", ")
}

/// PostgreSQL refuses U+0000 in text, and no route has a use for it: a path segment or query
/// parameter holding it (sent as `%00`) is a 400 naming the route parameter or query parameter,
/// answered before the gate, so it never reaches authentication's lookups, a handler or the
/// database. This holds for id segments too (`/users/%00` is 400, not the 404 of a
/// non-canonical id): the rule is checked before any segment is interpreted, so its answer
/// does not depend on what the segment names. Bodies are checked where they are parsed
/// (`wire::parse_json`, the token endpoint's form). The token endpoint alone does its own
/// query check, to answer in RFC 6749's shape.
async fn reject_nul(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let field = req
        .match_info()
        .iter()
        .find(|(_, value)| value.contains('\0'))
        .map(|(name, _)| name.to_string())
        .or_else(|| crate::wire::query_nul_parameter(req.query_string()));
    match field {
        Some(field) => Ok(req.error_response(crate::wire::nul_error(&field))),
        None => next.call(req).await,
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
