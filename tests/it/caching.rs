//! No cache ever answers stale. For every GET route whose answer may be cached (whoami, group
//! categories and groups, sections, the class list), for the token holder's standing and for
//! the caller's permissions in an org unit: a read fills the cache, a write changes the answer,
//! and the very next read (in the same process) shows the change. Answers are keyed by caller,
//! institution, path, version and query, so nothing cached for one is served to another; each
//! answer carries its own request id and rate-limit headers. Across processes, a write is seen
//! within a bound: on PostgreSQL through another server on the same database
//! ([`PG_CROSS_PROCESS`]), on either backend after the command line writes
//! ([`cross_process_bound`]).
//!
//! Every assertion compares against the changed value, so a cache answering from before the
//! write fails it. Writes and reads go over HTTP (and the CLI); the few set-ups with no route
//! (a second institution, a failing job) are made before anything is read.

use crate::common;
use common::*;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use d2l_groups::auth::scopes::ScopeSet;
use d2l_groups::auth::tokens::CLI_CLIENT_ID;
use d2l_groups::jobs::{run_next, Outcome, WorkerSettings};
use d2l_groups::schema::group_categories;
use diesel::prelude::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// How soon another server on the same PostgreSQL database must see a write (LISTEN/NOTIFY).
const PG_CROSS_PROCESS: Duration = Duration::from_millis(100);
/// How soon a server on SQLite must see a write made by another process (the CLI).
const SQLITE_CROSS_PROCESS: Duration = Duration::from_secs(1);
/// How long a creation job may take before a test gives up.
const JOB_TIMEOUT: Duration = Duration::from_secs(20);

/// The bound within which a write by another process is seen, on the backend under test.
fn cross_process_bound() -> Duration {
    if is_postgres() {
        PG_CROSS_PROCESS
    } else {
        SQLITE_CROSS_PROCESS
    }
}

// ---------------------------------------------------------------------------------------------
// Answers, and where requests go
// ---------------------------------------------------------------------------------------------

/// An answer read to its end: status, the headers a cache could get wrong, and the body.
#[derive(Clone, Debug)]
struct Answer {
    /// The method and URL asked, for messages.
    asked: String,
    status: u16,
    content_type: String,
    request_id: Option<String>,
    remaining: Option<i64>,
    deprecation: Option<String>,
    text: String,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}: {}", self.asked, self.status, self.text)
    }
}

impl Answer {
    async fn of(asked: String, res: Response) -> Self {
        let status = res.status().as_u16();
        let content_type = header(&res, "content-type").unwrap_or_default();
        let request_id = header(&res, "x-request-id");
        let remaining = header(&res, "x-rate-limit-remaining").and_then(|v| v.parse().ok());
        let deprecation = header(&res, "deprecation");
        let text = res.text().await.expect("body");
        Self {
            asked,
            status,
            content_type,
            request_id,
            remaining,
            deprecation,
            text,
        }
    }

    fn body(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{self}: not JSON ({e})"))
    }

    /// Asserts a 200 with a JSON body of Brightspace's content type; answers the body.
    fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{self}");
        assert_eq!(self.content_type, JSON_TYPE, "{self}");
        self.body()
    }

    /// Asserts the empty 200 of a DELETE or an enrollment into a section or group.
    fn ok_empty(&self) {
        assert_eq!(self.status, 200, "{self}");
        assert!(self.text.is_empty(), "empty body expected: {self}");
    }

    /// Asserts a problem-details answer with `status`; answers its detail.
    fn refused(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{self}");
        assert_eq!(self.content_type, "application/problem+json", "{self}");
        let body = self.body();
        assert_eq!(body["status"], status, "{self}");
        body["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("detail: {self}"))
            .to_string()
    }
}

/// A server to talk to: the in-process one or another process, with its own HTTP client.
#[derive(Clone)]
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn of(app: &TestApp) -> Self {
        Self {
            base: app.address.clone(),
            http: app.client.clone(),
        }
    }

    fn of_process(server: &ServerProcess) -> Self {
        Self {
            base: format!("http://{}", server.address),
            http: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(3))
                .build()
                .expect("client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `/d2l/api/lp/1.47{rest}`
    fn lp(&self, rest: &str) -> String {
        self.url(&format!("/d2l/api/lp/{V}{rest}"))
    }

    async fn call(&self, method: Method, url: String, token: &str, body: Option<&Value>) -> Answer {
        let asked = format!("{method} {url}");
        let mut req = self.http.request(method, &url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        Answer::of(asked, req.send().await.expect("request")).await
    }

    async fn get(&self, rest: &str, token: &str) -> Answer {
        self.call(Method::GET, self.lp(rest), token, None).await
    }

    async fn post(&self, rest: &str, token: &str, body: &Value) -> Answer {
        self.call(Method::POST, self.lp(rest), token, Some(body))
            .await
    }

    async fn put(&self, rest: &str, token: &str, body: &Value) -> Answer {
        self.call(Method::PUT, self.lp(rest), token, Some(body))
            .await
    }

    async fn delete(&self, rest: &str, token: &str) -> Answer {
        self.call(Method::DELETE, self.lp(rest), token, None).await
    }

    /// Reads every route in `rests` as `token`; answers them in order.
    async fn read_all(&self, rests: &[String], token: &str) -> Vec<Answer> {
        let mut answers = Vec::with_capacity(rests.len());
        for rest in rests {
            answers.push(self.get(rest, token).await);
        }
        answers
    }

    /// Asserts every route in `rests` answers `status` to `token`.
    async fn assert_all(&self, rests: &[String], token: &str, status: u16, when: &str) {
        self.assert_each(rests, token, &vec![status; rests.len()], when)
            .await;
    }

    /// Asserts each route in `rests` answers its status in `statuses` to `token`.
    async fn assert_each(&self, rests: &[String], token: &str, statuses: &[u16], when: &str) {
        assert_eq!(rests.len(), statuses.len());
        for (answer, &status) in self.read_all(rests, token).await.iter().zip(statuses) {
            assert_eq!(answer.status, status, "{when}: {answer}");
            if status == 200 {
                answer.ok();
            } else {
                answer.refused(status);
            }
        }
    }
}

/// Polls `probe` every 2 ms until it holds; answers how long that took. A probe that holds
/// counts if it was sent within `bound` (the server answered what it knew by then); after the
/// deadline the test fails with the last answer the probe described.
async fn visible_within<F, Fut>(bound: Duration, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let start = Instant::now();
    loop {
        let sent = start.elapsed();
        match probe().await {
            Ok(()) if sent <= bound => {
                let answered = start.elapsed();
                eprintln!(
                    "{what}: visible in the answer to a probe sent after {sent:?}, in hand after \
                     {answered:?} (bound {bound:?})"
                );
                return answered;
            }
            Ok(()) => panic!("{what}: visible only after {sent:?}, beyond {bound:?}"),
            Err(last) => assert!(
                start.elapsed() <= bound,
                "{what}: not visible within {bound:?}; last answer: {last}"
            ),
        }
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Routes (the part after /d2l/api/lp/{version})
// ---------------------------------------------------------------------------------------------

const WHOAMI: &str = "/users/whoami";

fn categories(ou: i64) -> String {
    format!("/{ou}/groupcategories/")
}

fn category(ou: i64, cat: i64) -> String {
    format!("/{ou}/groupcategories/{cat}")
}

fn groups(ou: i64, cat: i64) -> String {
    format!("/{ou}/groupcategories/{cat}/groups/")
}

fn group(ou: i64, cat: i64, g: i64) -> String {
    format!("/{ou}/groupcategories/{cat}/groups/{g}")
}

fn group_members(ou: i64, cat: i64, g: i64) -> String {
    format!("/{ou}/groupcategories/{cat}/groups/{g}/enrollments")
}

fn sections(ou: i64) -> String {
    format!("/{ou}/sections/")
}

fn section(ou: i64, s: i64) -> String {
    format!("/{ou}/sections/{s}")
}

fn classlist(ou: i64) -> String {
    format!("/enrollments/orgUnits/{ou}/users/")
}

fn classlist_with(ou: i64, query: &str) -> String {
    format!("/enrollments/orgUnits/{ou}/users/?{query}")
}

fn operator_vles(institution: i64) -> String {
    format!("/api/v2/institution/{institution}/vle/")
}

// ---------------------------------------------------------------------------------------------
// Reading answers
// ---------------------------------------------------------------------------------------------

/// The values of `key` in each object of a JSON array.
fn ids_of(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array: {list}"))
        .iter()
        .map(|v| v[key].as_i64().unwrap_or_else(|| panic!("{key} in {v}")))
        .collect()
}

/// The object of a JSON array whose `key` is `id`.
fn entry<'a>(list: &'a Value, key: &str, id: i64) -> Option<&'a Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array: {list}"))
        .iter()
        .find(|v| v[key] == id)
}

/// The classlist page's users as (user id, role name).
fn classlist_rows(page: &Value) -> Vec<(i64, String)> {
    page["Items"]
        .as_array()
        .unwrap_or_else(|| panic!("Items: {page}"))
        .iter()
        .map(|item| {
            let id = item["User"]["Identifier"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("Identifier: {item}"));
            let role = item["Role"]["Name"]
                .as_str()
                .unwrap_or_else(|| panic!("Role: {item}"))
                .to_string();
            (id, role)
        })
        .collect()
}

fn classlist_ids(page: &Value) -> Vec<i64> {
    classlist_rows(page).into_iter().map(|(id, _)| id).collect()
}

/// The (sorted) members of every group or section of a list, by unit id.
fn rosters_by_id(list: &Value, key: &str) -> Vec<(i64, Vec<i64>)> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array: {list}"))
        .iter()
        .map(|u| {
            (
                u[key].as_i64().expect("unit id"),
                sorted(ids(&u["Enrollments"])),
            )
        })
        .collect()
}

fn whoami_id(me: &Value) -> i64 {
    me["Identifier"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("Identifier: {me}"))
}

// ---------------------------------------------------------------------------------------------
// Set-ups
// ---------------------------------------------------------------------------------------------

/// An app without the background job worker, for tests that make no group categories.
async fn quiet_app() -> TestApp {
    spawn_app_with(|s| s.job_worker = false).await
}

/// Posts a category Create form as the admin; asserts the 202; answers the category id.
async fn post_category(api: &Api, app: &TestApp, ou: i64, form: &Value) -> i64 {
    let answer = api.post(&categories(ou), &app.admin, form).await;
    assert_eq!(answer.status, 202, "{answer}");
    answer.body()["CategoryId"]
        .as_i64()
        .unwrap_or_else(|| panic!("CategoryId: {answer}"))
}

/// Polls the status route through `api` until the category is complete (1).
async fn wait_complete(api: &Api, token: &str, ou: i64, cat: i64) {
    let start = Instant::now();
    loop {
        let status = api
            .get(&format!("{}/status", category(ou, cat)), token)
            .await;
        match status.ok()["Status"].as_i64() {
            Some(1) => return,
            Some(0) => {}
            other => panic!("unexpected status {other:?}"),
        }
        assert!(
            start.elapsed() < JOB_TIMEOUT,
            "category {cat} still processing after {JOB_TIMEOUT:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A complete category of `n` empty groups (NumberOfGroupsNoEnrollment), made by the app's
/// own worker; answers (category id, its group ids).
async fn empty_groups(app: &TestApp, ou: i64, name: &str, n: i64) -> (i64, Vec<i64>) {
    let api = Api::of(app);
    let form = category_form(name, json!(0), json!({"NumberOfGroups": n}));
    let cat = post_category(&api, app, ou, &form).await;
    wait_complete(&api, &app.admin, ou, cat).await;
    let list = api.get(&groups(ou, cat), &app.admin).await.ok();
    (cat, ids_of(&list, "GroupId"))
}

/// The ids of `ou`'s sections, as the admin reads them.
async fn section_ids(api: &Api, app: &TestApp, ou: i64) -> Vec<i64> {
    ids_of(&api.get(&sections(ou), &app.admin).await.ok(), "SectionId")
}

/// The default institution's id, as the operator API answers it.
async fn institution_id(api: &Api, app: &TestApp) -> i64 {
    let page = api
        .call(
            Method::GET,
            api.url("/api/v2/institution/"),
            &app.admin,
            None,
        )
        .await
        .ok();
    page["results"][0]["id"].as_i64().expect("institution id")
}

/// A registered VLE: its id, a client-credentials token, and a CLI token of its service user.
struct Vle {
    id: i64,
    institution: i64,
    client_token: String,
    user_token: String,
    user_id: i64,
}

async fn register_vle(app: &TestApp, name: &str) -> Vle {
    let api = Api::of(app);
    let institution = institution_id(&api, app).await;
    let body = json!({"type": 1, "lti": {"version": "1.3"}, "name": name,
                      "url": format!("https://{}.example.edu", name.to_lowercase())});
    let created = api
        .call(
            Method::POST,
            api.url(&operator_vles(institution)),
            &app.admin,
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let vle = created.body();
    let res = token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((
            vle["client_id"].as_str().expect("client_id"),
            vle["credentials"].as_str().expect("credentials"),
        )),
    )
    .await;
    let grant = Answer::of("POST /core/connect/token".into(), res).await;
    assert_eq!(grant.status, 200, "{grant}");
    let client_token = grant.body()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let me = api.get(WHOAMI, &client_token).await.ok();
    let user_name = me["UniqueName"].as_str().expect("UniqueName").to_string();
    Vle {
        id: vle["id"].as_i64().expect("VLE id"),
        institution,
        client_token,
        user_token: app.token_for(&user_name, "*:*:*"),
        user_id: whoami_id(&me),
    }
}

/// Deletes the VLE over the operator API (revoking its client, deactivating its user).
async fn delete_vle(api: &Api, app: &TestApp, vle: &Vle) {
    let url = api.url(&format!("{}{}/", operator_vles(vle.institution), vle.id));
    let answer = api.call(Method::DELETE, url, &app.admin, None).await;
    assert_eq!(answer.status, 204, "{answer}");
}

/// Enrolls `user` in `ou` with `role` (or changes their role there) through `api`, as the admin.
async fn enroll_via(api: &Api, app: &TestApp, user: i64, ou: i64, role: &str) {
    let role_id = app.role_id(role).await;
    api.post(
        "/enrollments/",
        &app.admin,
        &json!({"OrgUnitId": ou, "UserId": user, "RoleId": role_id}),
    )
    .await
    .ok();
}

/// A user holding only `role` at the root (which grants nothing in courses) and a token.
async fn plain_user(app: &TestApp, name: &str) -> (i64, String) {
    let id = app.create_user(name, "Student").await;
    (id, app.token_for(name, "*:*:*"))
}

/// A course with a category of one group, one section and one learner (who is in both): the
/// routes a course answers, filled. Answers (course, category, group, section, learner).
async fn furnished_course(app: &TestApp, code: &str) -> (i64, i64, i64, i64, i64) {
    let api = Api::of(app);
    let course = app.create_course(code).await;
    let learner = member(
        app,
        course,
        &format!("{}-l", code.to_lowercase()),
        "Student",
    )
    .await;
    let (cat, gids) = empty_groups(app, course, &format!("{code} teams"), 1).await;
    api.post(
        &format!("{}/enrollments/", group(course, cat, gids[0])),
        &app.admin,
        &json!({"UserId": learner}),
    )
    .await
    .ok_empty();
    let section = deal_sections(app, course, 1).await[0]["SectionId"]
        .as_i64()
        .expect("SectionId");
    (course, cat, gids[0], section, learner)
}

/// What [`course_routes`] answer, in order, for an org unit that is no course offering of the
/// caller's institution (a deleted course, another institution's): the reference's 400 for
/// most group routes, 404 for the rest (docs/compatibility.md).
const NO_SUCH_COURSE: [u16; 7] = [400, 400, 404, 400, 404, 404, 404];

/// Every cached route of a furnished course.
fn course_routes(course: i64, cat: i64, g: i64, s: i64) -> Vec<String> {
    vec![
        categories(course),
        category(course, cat),
        groups(course, cat),
        group(course, cat, g),
        sections(course),
        section(course, s),
        classlist(course),
    ]
}

// ---------------------------------------------------------------------------------------------
// Groups and categories
// ---------------------------------------------------------------------------------------------

/// What the group routes of one category answer to the admin: the list, the category (alone
/// and in the course's list) and, for `g`, the group and its members.
struct GroupViews {
    list: Answer,
    category: Answer,
    categories: Answer,
    group: Answer,
    members: Answer,
}

async fn group_views(api: &Api, token: &str, ou: i64, cat: i64, g: i64) -> GroupViews {
    GroupViews {
        list: api.get(&groups(ou, cat), token).await,
        category: api.get(&category(ou, cat), token).await,
        categories: api.get(&categories(ou), token).await,
        group: api.get(&group(ou, cat, g), token).await,
        members: api.get(&group_members(ou, cat, g), token).await,
    }
}

impl GroupViews {
    /// Asserts that group `g` is answered everywhere with `name`, `code` and `members`.
    fn assert_group(&self, cat: i64, g: i64, name: &str, code: &str, members: &[i64]) {
        let list = self.list.ok();
        let listed = entry(&list, "GroupId", g).unwrap_or_else(|| panic!("{g} in {list}"));
        let single = self.group.ok();
        for (what, v) in [("list", listed), ("single", &single)] {
            assert_eq!(v["Name"], name, "{what}: {v}");
            assert_eq!(v["Code"], code, "{what}: {v}");
            assert_eq!(sorted(ids(&v["Enrollments"])), members, "{what}: {v}");
        }
        assert_eq!(sorted(ids(&self.members.ok())), members, "{}", self.members);
        let one = self.category.ok();
        assert!(ids(&one["Groups"]).contains(&g), "{one}");
        let all = self.categories.ok();
        let c = entry(&all, "GroupCategoryId", cat).unwrap_or_else(|| panic!("{cat} in {all}"));
        assert!(ids(&c["Groups"]).contains(&g), "{all}");
    }
}

#[actix_web::test]
async fn every_group_write_is_visible_to_the_next_read() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-G1").await;
    let l = learners(&app, course, "cg1-", 2).await;
    let (cat, first) = empty_groups(&app, course, "Teams", 2).await;
    assert_eq!(first.len(), 2);
    let g0 = first[0];
    // The reads that fill every cache, and the state they hold.
    group_views(&api, &admin, course, cat, g0).await;

    // POST group: it is in the list, in the category (alone and listed) and answers alone.
    let form = json!({"Name": "Cached", "Code": "CACHED1", "Description": text("first")});
    let created = api.post(&groups(course, cat), &admin, &form).await.ok();
    let g = created["GroupId"].as_i64().expect("GroupId");
    let v = group_views(&api, &admin, course, cat, g).await;
    v.assert_group(cat, g, "Cached", "CACHED1", &[]);
    assert_eq!(
        ids_of(&v.list.ok(), "GroupId"),
        vec![first[0], first[1], g],
        "{}",
        v.list
    );
    assert_eq!(v.group.ok()["Description"]["Text"], "first");

    // PUT group: name, code and description, in the list and alone.
    let form = json!({"Name": "Renamed", "Code": "RENAMED1", "Description": text("second")});
    api.put(&group(course, cat, g), &admin, &form).await.ok();
    let v = group_views(&api, &admin, course, cat, g).await;
    v.assert_group(cat, g, "Renamed", "RENAMED1", &[]);
    assert_eq!(v.group.ok()["Description"]["Text"], "second");
    let listed = v.list.ok();
    assert_eq!(
        entry(&listed, "GroupId", g).expect("listed")["Description"]["Text"],
        "second"
    );

    // POST group enrollment, twice: each member shows at once.
    for (i, user) in l.iter().enumerate() {
        api.post(
            &format!("{}/enrollments/", group(course, cat, g)),
            &admin,
            &json!({"UserId": user}),
        )
        .await
        .ok_empty();
        let v = group_views(&api, &admin, course, cat, g).await;
        v.assert_group(cat, g, "Renamed", "RENAMED1", &l[..=i]);
    }

    // DELETE group enrollment: the member is gone at once.
    api.delete(
        &format!("{}/{}", group_members(course, cat, g), l[0]),
        &admin,
    )
    .await
    .ok_empty();
    let v = group_views(&api, &admin, course, cat, g).await;
    v.assert_group(cat, g, "Renamed", "RENAMED1", &[l[1]]);
    // The other groups were never touched.
    let list = v.list.ok();
    assert_eq!(
        ids(&entry(&list, "GroupId", g0).expect("g0")["Enrollments"]),
        Vec::<i64>::new()
    );

    // DELETE group: gone from the list and the category; alone it is 404.
    api.delete(&group(course, cat, g), &admin).await.ok_empty();
    let v = group_views(&api, &admin, course, cat, g).await;
    assert_eq!(ids_of(&v.list.ok(), "GroupId"), first, "{}", v.list);
    assert_eq!(ids(&v.category.ok()["Groups"]), first, "{}", v.category);
    let all = v.categories.ok();
    assert_eq!(
        ids(&entry(&all, "GroupCategoryId", cat).expect("listed")["Groups"]),
        first
    );
    v.group.refused(404);
    v.members.refused(404);
}

#[actix_web::test]
async fn every_category_write_is_visible_to_the_next_read() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-C1").await;
    let (cat, gids) = empty_groups(&app, course, "Alpha", 1).await;
    let before = api.get(&categories(course), &admin).await.ok();
    assert_eq!(ids_of(&before, "GroupCategoryId"), vec![cat]);
    let one = api.get(&category(course, cat), &admin).await.ok();
    assert_eq!(
        (one["Name"].clone(), one["AutoEnroll"].clone()),
        (json!("Alpha"), json!(false))
    );

    // PUT category: every field it changes, alone and in the list.
    let form = json!({
        "Name": "Beta", "Description": text("now described"), "AutoEnroll": true,
        "RandomizeEnrollments": true, "DescriptionsVisibleToEnrolees": true
    });
    api.put(&category(course, cat), &admin, &form).await.ok();
    let one = api.get(&category(course, cat), &admin).await.ok();
    let all = api.get(&categories(course), &admin).await.ok();
    let listed = entry(&all, "GroupCategoryId", cat).expect("listed").clone();
    for (what, v) in [("single", &one), ("list", &listed)] {
        assert_eq!(v["Name"], "Beta", "{what}: {v}");
        assert_eq!(v["Description"]["Text"], "now described", "{what}: {v}");
        assert_eq!(v["AutoEnroll"], true, "{what}: {v}");
        assert_eq!(v["RandomizeEnrollments"], true, "{what}: {v}");
        assert_eq!(v["DescriptionsVisibleToEnrolees"], true, "{what}: {v}");
    }

    // POST category: listed at once, while its job runs and after.
    let form = category_form("Gamma", json!(0), json!({"NumberOfGroups": 2}));
    let second = post_category(&api, &app, course, &form).await;
    let all = api.get(&categories(course), &admin).await.ok();
    assert_eq!(ids_of(&all, "GroupCategoryId"), vec![cat, second], "{all}");
    wait_complete(&api, &admin, course, second).await;

    // DELETE category (once its group is gone): out of the list, 404 alone and for its groups.
    api.get(&groups(course, cat), &admin).await.ok();
    api.delete(&group(course, cat, gids[0]), &admin)
        .await
        .ok_empty();
    assert_eq!(
        ids(&api.get(&category(course, cat), &admin).await.ok()["Groups"]),
        Vec::<i64>::new()
    );
    api.delete(&category(course, cat), &admin).await.ok_empty();
    let all = api.get(&categories(course), &admin).await.ok();
    assert_eq!(ids_of(&all, "GroupCategoryId"), vec![second], "{all}");
    api.get(&category(course, cat), &admin).await.refused(404);
    api.get(&groups(course, cat), &admin).await.refused(404);
}

#[actix_web::test]
async fn groups_made_by_the_creation_job_are_visible_once_it_is_complete() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-J1").await;
    let l = learners(&app, course, "cj1-", 6).await;
    let form = category_form(
        "Dealt",
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": 3}),
    );
    let cat = post_category(&api, &app, course, &form).await;
    // The real in-process worker, woken by the POST: read while the job may still be running
    // (filling caches with "no groups yet"), until the status says it is complete; then the
    // groups must be there, at once. The worker often wins the race to the first read, so
    // this may not see the category processing (it says which); the test after this one
    // takes the worker's turn itself, after the reads, to be sure.
    let start = Instant::now();
    let mut seen_processing = false;
    loop {
        let list = api.get(&groups(course, cat), &admin).await.ok();
        api.get(&category(course, cat), &admin).await.ok();
        api.get(&categories(course), &admin).await.ok();
        let status = api
            .get(&format!("{}/status", category(course, cat)), &admin)
            .await;
        if status.ok()["Status"] == 1 {
            break;
        }
        seen_processing |= list.as_array().is_some_and(Vec::is_empty);
        assert!(start.elapsed() < JOB_TIMEOUT, "the job never completed");
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    eprintln!("read the category while processing: {seen_processing}");
    let list = api.get(&groups(course, cat), &admin).await.ok();
    let rosters = rosters_by_id(&list, "GroupId");
    assert_eq!(rosters.len(), 3, "{list}");
    let mut all: Vec<i64> = rosters.iter().flat_map(|(_, m)| m.clone()).collect();
    all.sort_unstable();
    assert_eq!(all, l, "every learner dealt: {list}");
    assert!(rosters.iter().all(|(_, m)| m.len() == 2), "{list}");
    let gids: Vec<i64> = rosters.iter().map(|(g, _)| *g).collect();
    assert_eq!(
        ids(&api.get(&category(course, cat), &admin).await.ok()["Groups"]),
        gids
    );
    let listed = api.get(&categories(course), &admin).await.ok();
    assert_eq!(
        ids(&entry(&listed, "GroupCategoryId", cat).expect("listed")["Groups"]),
        gids
    );
    for (g, members) in &rosters {
        let one = api.get(&group(course, cat, *g), &admin).await.ok();
        assert_eq!(&sorted(ids(&one["Enrollments"])), members, "{one}");
    }
}

#[actix_web::test]
async fn groups_made_by_a_job_run_in_this_process_are_visible_at_once() {
    // No worker thread: the test takes the worker's turn itself (`run_next`, what the worker
    // runs), after the reads, so that the caches surely hold "no groups yet" when it does.
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-J3").await;
    let l = learners(&app, course, "cj3-", 4).await;
    let form = category_form(
        "Here",
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": 2}),
    );
    let cat = post_category(&api, &app, course, &form).await;
    let status = format!("{}/status", category(course, cat));
    assert_eq!(api.get(&groups(course, cat), &admin).await.ok(), json!([]));
    let one = api.get(&category(course, cat), &admin).await.ok();
    assert_eq!(ids(&one["Groups"]), Vec::<i64>::new());
    let all = api.get(&categories(course), &admin).await.ok();
    assert_eq!(
        ids(&entry(&all, "GroupCategoryId", cat).expect("listed")["Groups"]),
        Vec::<i64>::new()
    );
    assert_eq!(api.get(&status, &admin).await.ok()["Status"], 0);

    let db = app.state.db.clone();
    let outcome =
        actix_web::rt::task::spawn_blocking(move || run_next(&db, &WorkerSettings::default()))
            .await
            .expect("worker turn")
            .expect("run_next");
    assert_eq!(outcome, Outcome::Done);

    assert_eq!(api.get(&status, &admin).await.ok()["Status"], 1);
    let list = api.get(&groups(course, cat), &admin).await.ok();
    let rosters = rosters_by_id(&list, "GroupId");
    let gids: Vec<i64> = rosters.iter().map(|(g, _)| *g).collect();
    assert_eq!(
        rosters.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(),
        vec![vec![l[0], l[2]], vec![l[1], l[3]]],
        "{list}"
    );
    assert_eq!(
        ids(&api.get(&category(course, cat), &admin).await.ok()["Groups"]),
        gids
    );
    let all = api.get(&categories(course), &admin).await.ok();
    assert_eq!(
        ids(&entry(&all, "GroupCategoryId", cat).expect("listed")["Groups"]),
        gids
    );
    for (g, members) in &rosters {
        let one = api.get(&group(course, cat, *g), &admin).await.ok();
        assert_eq!(&sorted(ids(&one["Enrollments"])), members, "{one}");
    }
}

#[actix_web::test]
async fn groups_made_by_another_processs_job_are_visible_within_the_bound() {
    // This process runs no jobs: the category stays processing until another process runs it.
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-J2").await;
    let l = learners(&app, course, "cj2-", 4).await;
    let form = category_form(
        "Remote",
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": 2}),
    );
    let cat = post_category(&api, &app, course, &form).await;
    assert_eq!(api.get(&groups(course, cat), &admin).await.ok(), json!([]));
    assert_eq!(
        ids(&api.get(&category(course, cat), &admin).await.ok()["Groups"]),
        Vec::<i64>::new()
    );
    api.get(&categories(course), &admin).await.ok();
    let status = format!("{}/status", category(course, cat));
    assert_eq!(api.get(&status, &admin).await.ok()["Status"], 0);

    let worker = ServerProcess::start(
        &app.database_url,
        &[("JOB_WORKER", "on"), ("JOB_POLL_INTERVAL_MS", "10")],
    );
    let there = Api::of_process(&worker);
    // The moment the worker's process answers complete, the job's transaction has committed.
    wait_complete(&there, &admin, course, cat).await;
    let (api, admin, l, status) = (&api, &admin, &l, &status);
    visible_within(
        cross_process_bound(),
        "groups of another process's job",
        || async move {
            let list = api.get(&groups(course, cat), admin).await;
            let one = api.get(&category(course, cat), admin).await;
            let status = api.get(status, admin).await;
            if list.status != 200 || one.status != 200 || status.status != 200 {
                return Err(format!("{list} / {one} / {status}"));
            }
            let rosters = rosters_by_id(&list.body(), "GroupId");
            let mut all: Vec<i64> = rosters.iter().flat_map(|(_, m)| m.clone()).collect();
            all.sort_unstable();
            let gids: Vec<i64> = rosters.iter().map(|(g, _)| *g).collect();
            if rosters.len() == 2
                && &all == l
                && ids(&one.body()["Groups"]) == gids
                && status.body()["Status"] == 1
            {
                Ok(())
            } else {
                Err(format!("{list} / {one} / {status}"))
            }
        },
    )
    .await;
}

#[actix_web::test]
async fn auto_enrollment_and_leaving_the_course_change_group_rosters_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-G2").await;
    let l = learners(&app, course, "cg2-", 3).await;
    let form = category_form(
        "Auto",
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": 2, "AutoEnroll": true}),
    );
    let cat = post_category(&api, &app, course, &form).await;
    wait_complete(&api, &admin, course, cat).await;
    let list = api.get(&groups(course, cat), &admin).await.ok();
    let before = rosters_by_id(&list, "GroupId");
    let sizes: Vec<usize> = before.iter().map(|(_, m)| m.len()).collect();
    assert_eq!(sorted(sizes), vec![1, 2], "{list}");
    let (smaller, _) = before
        .iter()
        .find(|(_, m)| m.len() == 1)
        .expect("smaller")
        .clone();
    for (g, _) in &before {
        api.get(&group(course, cat, *g), &admin).await.ok();
        api.get(&group_members(course, cat, *g), &admin).await.ok();
    }

    // A learner enrolled in the course is placed in the smaller group, seen at once.
    let newcomer = app.create_user("cg2-new", "Student").await;
    app.enroll(newcomer, course, "Student").await;
    let list = api.get(&groups(course, cat), &admin).await.ok();
    let placed = rosters_by_id(&list, "GroupId");
    let holding: Vec<i64> = placed
        .iter()
        .filter(|(_, m)| m.contains(&newcomer))
        .map(|(g, _)| *g)
        .collect();
    assert_eq!(holding, vec![smaller], "{list}");
    let one = api.get(&group(course, cat, smaller), &admin).await.ok();
    assert!(ids(&one["Enrollments"]).contains(&newcomer), "{one}");
    let members = api
        .get(&group_members(course, cat, smaller), &admin)
        .await
        .ok();
    assert!(ids(&members).contains(&newcomer), "{members}");

    // Leaving the course leaves the group, seen at once; so for an original learner.
    for leaver in [newcomer, l[0]] {
        let holder = rosters_by_id(&api.get(&groups(course, cat), &admin).await.ok(), "GroupId")
            .into_iter()
            .find(|(_, m)| m.contains(&leaver))
            .map(|(g, _)| g)
            .expect("in a group");
        api.get(&group(course, cat, holder), &admin).await.ok();
        app.unenroll(leaver, course).await;
        let list = api.get(&groups(course, cat), &admin).await.ok();
        assert!(
            rosters_by_id(&list, "GroupId")
                .iter()
                .all(|(_, m)| !m.contains(&leaver)),
            "{leaver} left: {list}"
        );
        let one = api.get(&group(course, cat, holder), &admin).await.ok();
        assert!(!ids(&one["Enrollments"]).contains(&leaver), "{one}");
        let members = api
            .get(&group_members(course, cat, holder), &admin)
            .await
            .ok();
        assert!(!ids(&members).contains(&leaver), "{members}");
    }
}

#[actix_web::test]
async fn a_deleted_course_is_404_on_every_route_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let (course, cat, g, s, _) = furnished_course(&app, "CACHE-D1").await;
    let routes = course_routes(course, cat, g, s);
    api.assert_all(&routes, &admin, 200, "before the deletion")
        .await;
    api.delete(&format!("/courses/{course}"), &admin)
        .await
        .ok_empty();
    api.assert_each(&routes, &admin, &NO_SUCH_COURSE, "after the deletion")
        .await;
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_section_write_is_visible_to_the_next_read() {
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-S1").await;
    let l = learners(&app, course, "cs1-", 4).await;

    // Before initialization the list is 404; the initialization shows it at once.
    api.get(&sections(course), &admin).await.refused(404);
    let settings = section_settings(json!(2), 2, false, false, false);
    api.post(&format!("/{course}/sections/settings"), &admin, &settings)
        .await
        .ok();
    let list = api.get(&sections(course), &admin).await.ok();
    let dealt = rosters_by_id(&list, "SectionId");
    assert_eq!(
        dealt.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(),
        vec![vec![l[0], l[2]], vec![l[1], l[3]]],
        "{list}"
    );
    let (s1, s2) = (dealt[0].0, dealt[1].0);
    api.get(&section(course, s1), &admin).await.ok();

    // PUT section: in the list and alone.
    let form = json!({"Name": "Renamed", "Code": "SREN1", "Description": text("about")});
    api.put(&section(course, s1), &admin, &form).await.ok();
    let one = api.get(&section(course, s1), &admin).await.ok();
    let list = api.get(&sections(course), &admin).await.ok();
    let listed = entry(&list, "SectionId", s1).expect("listed").clone();
    for (what, v) in [("single", &one), ("list", &listed)] {
        assert_eq!(v["Name"], "Renamed", "{what}: {v}");
        assert_eq!(v["Code"], "SREN1", "{what}: {v}");
        assert_eq!(v["Description"]["Text"], "about", "{what}: {v}");
        assert_eq!(
            sorted(ids(&v["Enrollments"])),
            vec![l[0], l[2]],
            "{what}: {v}"
        );
    }

    // POST section: listed at once, answered alone.
    let form = json!({"Name": "Third", "Code": "STHIRD", "Description": text("")});
    let s3 = api.post(&sections(course), &admin, &form).await.ok()["SectionId"]
        .as_i64()
        .expect("SectionId");
    let list = api.get(&sections(course), &admin).await.ok();
    assert_eq!(ids_of(&list, "SectionId"), vec![s1, s2, s3], "{list}");
    let one = api.get(&section(course, s3), &admin).await.ok();
    assert_eq!(ids(&one["Enrollments"]), Vec::<i64>::new());
    let roster = format!("{}/enrollments/", section(course, s3));
    assert_eq!(ids(&api.get(&roster, &admin).await.ok()), Vec::<i64>::new());

    // POST section enrollment: the member shows at once, in the list, alone and in the roster.
    api.post(&roster, &admin, &json!({"UserId": l[0]}))
        .await
        .ok_empty();
    let one = api.get(&section(course, s3), &admin).await.ok();
    assert_eq!(ids(&one["Enrollments"]), vec![l[0]], "{one}");
    let list = api.get(&sections(course), &admin).await.ok();
    assert_eq!(
        ids(&entry(&list, "SectionId", s3).expect("s3")["Enrollments"]),
        vec![l[0]]
    );
    assert_eq!(ids(&api.get(&roster, &admin).await.ok()), vec![l[0]]);

    // Leaving the course leaves every section, at once.
    app.unenroll(l[0], course).await;
    let list = api.get(&sections(course), &admin).await.ok();
    assert!(
        rosters_by_id(&list, "SectionId")
            .iter()
            .all(|(_, m)| !m.contains(&l[0])),
        "{list}"
    );
    let one = api.get(&section(course, s1), &admin).await.ok();
    assert_eq!(ids(&one["Enrollments"]), vec![l[2]], "{one}");
    assert_eq!(ids(&api.get(&roster, &admin).await.ok()), Vec::<i64>::new());

    // DELETE section: out of the list, 404 alone.
    api.delete(&section(course, s3), &admin).await.ok_empty();
    let list = api.get(&sections(course), &admin).await.ok();
    assert_eq!(ids_of(&list, "SectionId"), vec![s1, s2], "{list}");
    api.get(&section(course, s3), &admin).await.refused(404);
    api.get(&roster, &admin).await.refused(404);
}

#[actix_web::test]
async fn auto_enrollment_places_a_new_learner_in_the_sections_at_once() {
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();

    // Number style: the smallest section takes the newcomer.
    let course = app.create_course("CACHE-S2").await;
    let l = learners(&app, course, "cs2-", 3).await;
    let settings = section_settings(json!(2), 2, true, false, false);
    api.post(&format!("/{course}/sections/settings"), &admin, &settings)
        .await
        .ok();
    let list = api.get(&sections(course), &admin).await.ok();
    let dealt = rosters_by_id(&list, "SectionId");
    assert_eq!(dealt[1].1, vec![l[1]], "{list}");
    let smaller = dealt[1].0;
    api.get(&section(course, smaller), &admin).await.ok();
    let newcomer = app.create_user("cs2-new", "Student").await;
    app.enroll(newcomer, course, "Student").await;
    let list = api.get(&sections(course), &admin).await.ok();
    assert_eq!(
        ids(&entry(&list, "SectionId", smaller).expect("smaller")["Enrollments"]),
        vec![l[1], newcomer],
        "{list}"
    );
    let one = api.get(&section(course, smaller), &admin).await.ok();
    assert_eq!(ids(&one["Enrollments"]), vec![l[1], newcomer], "{one}");

    // People-per-section style, all full: a new section is made for the newcomer.
    let course = app.create_course("CACHE-S3").await;
    learners(&app, course, "cs3-", 4).await;
    let settings = section_settings(json!(1), 2, true, false, false);
    api.post(&format!("/{course}/sections/settings"), &admin, &settings)
        .await
        .ok();
    let before = section_ids(&api, &app, course).await;
    assert_eq!(before.len(), 2);
    let newcomer = app.create_user("cs3-new", "Student").await;
    app.enroll(newcomer, course, "Student").await;
    let list = api.get(&sections(course), &admin).await.ok();
    let after = rosters_by_id(&list, "SectionId");
    assert_eq!(after.len(), 3, "{list}");
    let (made, members) = after[2].clone();
    assert!(!before.contains(&made), "{list}");
    assert_eq!(members, vec![newcomer], "{list}");
    let one = api.get(&section(course, made), &admin).await.ok();
    assert_eq!(ids(&one["Enrollments"]), vec![newcomer], "{one}");
}

// ---------------------------------------------------------------------------------------------
// The class list
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn the_class_list_follows_enrollments_role_changes_and_removals_at_once() {
    let app = quiet_app().await;
    let api = Api::of(&app);
    let course = app.create_course("CACHE-E1").await;
    let instructor = member(&app, course, "ce1-inst", "Instructor").await;
    let inst_token = app.token_for("ce1-inst", "*:*:*");
    let (student, ta) = (
        app.role_id("Student").await,
        app.role_id("Teaching Assistant").await,
    );
    let all = classlist(course);
    let learners_only = classlist_with(course, &format!("roleId={student}"));
    let tas_only = classlist_with(course, &format!("roleId={ta}"));
    let user = app.create_user("ce1-user", "Student").await;

    // What each of the two callers reads, for each query: (all, Students, TAs).
    let read = |token: String| {
        let (api, all, learners_only, tas_only) = (&api, &all, &learners_only, &tas_only);
        async move {
            (
                classlist_rows(&api.get(all, &token).await.ok()),
                classlist_ids(&api.get(learners_only, &token).await.ok()),
                classlist_ids(&api.get(tas_only, &token).await.ok()),
            )
        }
    };
    for token in [app.admin.clone(), inst_token.clone()] {
        let (everyone, learners, tas) = read(token).await;
        assert_eq!(everyone, vec![(instructor, "Instructor".into())]);
        assert!(learners.is_empty() && tas.is_empty());
    }

    // Enrolled as a Student: listed at once, for both callers, under every query it matches.
    app.enroll(user, course, "Student").await;
    for token in [app.admin.clone(), inst_token.clone()] {
        let (everyone, learners, tas) = read(token).await;
        assert_eq!(
            everyone,
            vec![(instructor, "Instructor".into()), (user, "Student".into())]
        );
        assert_eq!((learners, tas), (vec![user], vec![]));
    }

    // The role changed (POST again with another RoleId): the new role at once.
    app.enroll(user, course, "Teaching Assistant").await;
    for token in [app.admin.clone(), inst_token.clone()] {
        let (everyone, learners, tas) = read(token).await;
        assert_eq!(
            everyone,
            vec![
                (instructor, "Instructor".into()),
                (user, "Teaching Assistant".into())
            ]
        );
        assert_eq!((learners, tas), (vec![], vec![user]));
    }

    // Removed (through the mirror spelling of the route): gone at once, from every query.
    api.delete(
        &format!("/enrollments/orgUnits/{course}/users/{user}"),
        &app.admin,
    )
    .await
    .ok();
    for token in [app.admin.clone(), inst_token.clone()] {
        let (everyone, learners, tas) = read(token).await;
        assert_eq!(everyone, vec![(instructor, "Instructor".into())]);
        assert!(learners.is_empty() && tas.is_empty());
    }
}

#[actix_web::test]
async fn each_class_list_query_is_answered_by_its_own_parameters_and_follows_writes() {
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-E2").await;
    let l = learners(&app, course, "ce2-", 3).await;
    let student = app.role_id("Student").await;
    let inactive = api
        .post(
            "/users/",
            &admin,
            &json!({
                "OrgDefinedId": null, "FirstName": "Sleeping", "MiddleName": null,
                "LastName": "Learner", "ExternalEmail": "ce2-off@example.edu",
                "UserName": "ce2-off", "RoleId": student, "IsActive": false,
                "SendCreationEmail": false, "Pronouns": null
            }),
        )
        .await
        .ok()["UserId"]
        .as_i64()
        .expect("UserId");
    app.enroll(inactive, course, "Student").await;

    let queries = [
        String::new(),
        "isActive=true".to_string(),
        "isActive=false".to_string(),
        format!("bookmark={}", l[0]),
        format!("bookmark={}", l[1]),
        format!("roleId={student}&bookmark={}", l[0]),
        format!("roleId={student}&isActive=false"),
    ];
    let expected = |extra: Option<i64>| -> Vec<Vec<i64>> {
        let mut active = l.clone();
        active.extend(extra);
        let mut everyone = l.clone();
        everyone.push(inactive);
        everyone.extend(extra);
        everyone.sort_unstable();
        let above = |id: i64| {
            everyone
                .iter()
                .copied()
                .filter(|u| *u > id)
                .collect::<Vec<_>>()
        };
        vec![
            everyone.clone(),
            active,
            vec![inactive],
            above(l[0]),
            above(l[1]),
            above(l[0]),
            vec![inactive],
        ]
    };
    let read_all = || {
        let (api, admin, queries) = (&api, &admin, &queries);
        async move {
            let mut got = Vec::new();
            for q in queries {
                got.push(classlist_ids(
                    &api.get(&classlist_with(course, q), admin).await.ok(),
                ));
            }
            got
        }
    };
    assert_eq!(read_all().await, expected(None), "queries: {queries:?}");
    // The same queries again: the same answers (each from its own key).
    assert_eq!(read_all().await, expected(None), "queries: {queries:?}");

    // A new learner: in every query that matches them, at once.
    let newcomer = app.create_user("ce2-new", "Student").await;
    app.enroll(newcomer, course, "Student").await;
    assert_eq!(
        read_all().await,
        expected(Some(newcomer)),
        "queries: {queries:?}"
    );

    // The page's own paging: the bookmark is the last id answered.
    let page = api
        .get(
            &classlist_with(course, &format!("bookmark={}", l[1])),
            &admin,
        )
        .await
        .ok();
    assert_eq!(
        page["PagingInfo"]["Bookmark"],
        newcomer.to_string(),
        "{page}"
    );
    assert_eq!(page["PagingInfo"]["HasMoreItems"], false, "{page}");
}

#[actix_web::test]
async fn the_class_list_follows_user_creation_and_deactivation_at_once() {
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let root_all = classlist(ROOT);
    let root_active = classlist_with(ROOT, "isActive=true");
    let root_inactive = classlist_with(ROOT, "isActive=false");
    let before = classlist_ids(&api.get(&root_all, &admin).await.ok());
    api.get(&root_active, &admin).await.ok();
    api.get(&root_inactive, &admin).await.ok();

    // POST /users/ enrolls the user at the root: listed there at once, with that role.
    let user = app.create_user("ce3-user", "Teaching Assistant").await;
    let rows = classlist_rows(&api.get(&root_all, &admin).await.ok());
    assert_eq!(rows.len(), before.len() + 1, "{rows:?}");
    assert!(
        rows.contains(&(user, "Teaching Assistant".into())),
        "{rows:?}"
    );

    // A VLE registration makes its service user, at the root: listed at once.
    let course = app.create_course("CACHE-E3").await;
    let course_active = classlist_with(course, "isActive=true");
    let course_inactive = classlist_with(course, "isActive=false");
    api.get(&course_active, &admin).await.ok();
    let vle = register_vle(&app, "Cachet").await;
    let page = api.get(&root_active, &admin).await.ok();
    assert!(classlist_ids(&page).contains(&vle.user_id), "{page}");
    let listed = page["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .find(|i| i["User"]["Identifier"].as_str() == Some(vle.user_id.to_string().as_str()))
        .expect("service user listed")
        .clone();
    assert_eq!(listed["User"]["DisplayName"], "Cachet VLE", "{listed}");

    // Enrolled in a course too; then the VLE is deleted, deactivating its user: the active
    // lists lose them and the inactive lists gain them, at once, at the root and in the course.
    app.enroll(vle.user_id, course, "Instructor").await;
    assert_eq!(
        classlist_ids(&api.get(&course_active, &admin).await.ok()),
        vec![vle.user_id]
    );
    assert!(classlist_ids(&api.get(&course_inactive, &admin).await.ok()).is_empty());
    assert!(!classlist_ids(&api.get(&root_inactive, &admin).await.ok()).contains(&vle.user_id));
    api.get(&root_active, &admin).await.ok();
    delete_vle(&api, &app, &vle).await;
    assert!(!classlist_ids(&api.get(&root_active, &admin).await.ok()).contains(&vle.user_id));
    assert!(classlist_ids(&api.get(&root_inactive, &admin).await.ok()).contains(&vle.user_id));
    assert!(classlist_ids(&api.get(&course_active, &admin).await.ok()).is_empty());
    assert_eq!(
        classlist_ids(&api.get(&course_inactive, &admin).await.ok()),
        vec![vle.user_id]
    );
    // Still enrolled: the unfiltered list keeps them.
    assert!(classlist_ids(&api.get(&root_all, &admin).await.ok()).contains(&vle.user_id));
}

// ---------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_instructor_demoted_or_unenrolled_is_refused_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let (course, cat, g, s, _) = furnished_course(&app, "CACHE-P1").await;
    let routes = course_routes(course, cat, g, s);
    let (inst, token) = plain_user(&app, "cp1-inst").await;

    app.enroll(inst, course, "Instructor").await;
    api.assert_all(&routes, &token, 200, "an Instructor").await;
    app.enroll(inst, course, "Student").await;
    api.assert_all(&routes, &token, 403, "demoted to Student")
        .await;
    app.enroll(inst, course, "Instructor").await;
    api.assert_all(&routes, &token, 200, "an Instructor again")
        .await;
    app.unenroll(inst, course).await;
    api.assert_all(&routes, &token, 403, "unenrolled").await;
    app.enroll(inst, course, "Teaching Assistant").await;
    api.assert_all(&routes, &token, 200, "a Teaching Assistant")
        .await;
}

#[actix_web::test]
async fn a_user_enrolled_after_a_refusal_is_answered_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let (course, cat, g, s, _) = furnished_course(&app, "CACHE-P2").await;
    let routes = course_routes(course, cat, g, s);
    let (user, token) = plain_user(&app, "cp2-user").await;
    let mine = format!("/{course}/sections/mysections/");

    api.assert_all(&routes, &token, 403, "not enrolled").await;
    api.get(&mine, &token).await.refused(403);
    let own = api.get("/enrollments/myenrollments/", &token).await.ok();
    assert!(
        own["Items"]
            .as_array()
            .expect("Items")
            .iter()
            .all(|i| i["OrgUnit"]["Id"] != course),
        "{own}"
    );

    // Enrolled as a learner: their own section and enrollment at once, the rest still 403.
    app.enroll(user, course, "Student").await;
    api.assert_all(&routes, &token, 403, "a Student").await;
    let s_id = section_ids(&api, &app, course).await[0];
    api.post(
        &format!("{}/enrollments/", section(course, s_id)),
        &app.admin,
        &json!({"UserId": user}),
    )
    .await
    .ok_empty();
    let sections_of_mine = api.get(&mine, &token).await.ok();
    assert_eq!(
        ids_of(&sections_of_mine, "SectionId"),
        vec![s_id],
        "{sections_of_mine}"
    );
    let own = api.get("/enrollments/myenrollments/", &token).await.ok();
    assert!(
        own["Items"]
            .as_array()
            .expect("Items")
            .iter()
            .any(|i| i["OrgUnit"]["Id"] == course),
        "{own}"
    );

    // A Teaching Assistant: every route answers at once.
    app.enroll(user, course, "Teaching Assistant").await;
    api.assert_all(&routes, &token, 200, "a Teaching Assistant")
        .await;
}

#[actix_web::test]
async fn an_administrator_demoted_at_the_root_is_refused_in_every_course_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let (course, cat, g, s, _) = furnished_course(&app, "CACHE-P3").await;
    let mut routes = course_routes(course, cat, g, s);
    routes.push(classlist(ROOT));
    let admin2 = app.create_user("cp3-admin", "Administrator").await;
    let token = app.token_for("cp3-admin", "*:*:*");

    // The Administrator role held at the root cascades into the course.
    api.assert_all(&routes, &token, 200, "an Administrator at the root")
        .await;
    app.enroll(admin2, ROOT, "Student").await;
    api.assert_all(&routes, &token, 403, "a Student at the root")
        .await;
    app.enroll(admin2, ROOT, "Administrator").await;
    api.assert_all(&routes, &token, 200, "an Administrator again")
        .await;
    app.unenroll(admin2, ROOT).await;
    api.assert_all(&routes, &token, 403, "unenrolled from the root")
        .await;
}

// ---------------------------------------------------------------------------------------------
// Standing
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_deleted_vles_client_and_service_user_are_refused_at_once() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let (course, cat, g, s, _) = furnished_course(&app, "CACHE-V1").await;
    let mut routes = course_routes(course, cat, g, s);
    routes.push(WHOAMI.to_string());
    let vle = register_vle(&app, "Moodle").await;
    let kept = register_vle(&app, "Canvas").await;

    for token in [&vle.client_token, &vle.user_token, &kept.client_token] {
        api.assert_all(&routes, token, 200, "a live VLE").await;
        let me = api.get(WHOAMI, token).await.ok();
        assert_ne!(whoami_id(&me), 0);
    }
    assert_eq!(
        whoami_id(&api.get(WHOAMI, &vle.client_token).await.ok()),
        vle.user_id
    );
    assert_eq!(
        whoami_id(&api.get(WHOAMI, &vle.user_token).await.ok()),
        vle.user_id
    );

    delete_vle(&api, &app, &vle).await;
    for answer in api.read_all(&routes, &vle.client_token).await {
        let detail = answer.refused(401);
        assert!(detail.contains("revoked"), "{answer}");
    }
    for answer in api.read_all(&routes, &vle.user_token).await {
        let detail = answer.refused(401);
        assert!(detail.contains("not active"), "{answer}");
    }
    // The other VLE is untouched.
    api.assert_all(&routes, &kept.client_token, 200, "the other VLE")
        .await;
    assert_eq!(
        whoami_id(&api.get(WHOAMI, &kept.client_token).await.ok()),
        kept.user_id
    );
}

// ---------------------------------------------------------------------------------------------
// Keys: callers, institutions, paths, versions, headers
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_answer_cached_for_one_caller_is_never_served_to_another() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let (course, cat, g, s, learner) = furnished_course(&app, "CACHE-K1").await;
    let routes = course_routes(course, cat, g, s);
    let ta = member(&app, course, "ck1-ta", "Teaching Assistant").await;
    let admin_answers: Vec<Value> = api
        .read_all(&routes, &app.admin)
        .await
        .iter()
        .map(Answer::ok)
        .collect();
    let admin_id = whoami_id(&api.get(WHOAMI, &app.admin).await.ok());

    // A Teaching Assistant of the course reads the same answers; whoami is their own.
    let ta_token = app.token_for("ck1-ta", "*:*:*");
    let ta_answers: Vec<Value> = api
        .read_all(&routes, &ta_token)
        .await
        .iter()
        .map(Answer::ok)
        .collect();
    assert_eq!(ta_answers, admin_answers);
    let me = api.get(WHOAMI, &ta_token).await.ok();
    assert_eq!(
        (whoami_id(&me), me["UniqueName"].clone()),
        (ta, json!("ck1-ta"))
    );

    // The course's learner, and a user of the institution outside the course: 403.
    let learner_token = app.token_for("cache-k1-l", "*:*:*");
    assert!(classlist_ids(&admin_answers[6]).contains(&learner));
    let (_, outsider) = plain_user(&app, "ck1-out").await;
    for token in [&learner_token, &outsider] {
        api.assert_all(&routes, token, 403, "no permission in the course")
            .await;
    }
    // The admin's token without the groups and sections read scopes: 403 where they are needed.
    let narrow = app.token_for("admin", "users:own_profile:read enrollment:orgunit:read");
    for rest in &routes[..6] {
        api.get(rest, &narrow).await.refused(403);
    }
    api.get(&routes[6], &narrow).await.ok();
    // And whoami, answered above to the admin's full token, needs its own scope.
    let no_profile = app.token_for("admin", "groups:group:read");
    api.get(WHOAMI, &no_profile).await.refused(403);
    api.get(&routes[0], &no_profile).await.ok();

    // Another institution's administrator: the course is not theirs (404), whoami is theirs.
    let other = add_institution(&app, "CACHEB", "Other University");
    let other_admin = mint_in(&app.state, "CACHEB", "admin", "*:*:*", 3600);
    api.assert_each(
        &routes,
        &other_admin,
        &NO_SUCH_COURSE,
        "another institution",
    )
    .await;
    let me = api.get(WHOAMI, &other_admin).await.ok();
    assert_ne!(whoami_id(&me), admin_id, "{me}");

    // A token of the other institution naming this institution's admin as its subject: no
    // such user there (401), even though that user's answers are cached.
    let scopes = ScopeSet::parse("*:*:*").expect("scope");
    let forged = app
        .state
        .db
        .read_sync(|conn| {
            let key = app.state.tokens.signing_key(conn, other)?;
            app.state
                .tokens
                .issue(&key, admin_id, &scopes, CLI_CLIENT_ID, 600)
        })
        .expect("sign")
        .0;
    api.get(WHOAMI, &forged).await.refused(401);
    api.assert_all(
        &routes,
        &forged,
        401,
        "another institution's token for this user",
    )
    .await;

    // And the admin's own answers are unchanged by all of it.
    let again: Vec<Value> = api
        .read_all(&routes, &app.admin)
        .await
        .iter()
        .map(Answer::ok)
        .collect();
    assert_eq!(again, admin_answers);
    assert_eq!(whoami_id(&api.get(WHOAMI, &app.admin).await.ok()), admin_id);
}

#[actix_web::test]
async fn answers_are_keyed_by_path_version_and_spelling() {
    let app = spawn_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let (a, cat_a, g_a, s_a, _) = furnished_course(&app, "CACHE-K2A").await;
    let (b, cat_b, g_b, s_b, _) = furnished_course(&app, "CACHE-K2B").await;
    api.assert_all(&course_routes(a, cat_a, g_a, s_a), &admin, 200, "course A")
        .await;
    api.assert_all(&course_routes(b, cat_b, g_b, s_b), &admin, 200, "course B")
        .await;

    // A's category, group and section named under B (or under B's category): 404.
    for rest in [
        category(b, cat_a),
        groups(b, cat_a),
        group(b, cat_a, g_a),
        group(b, cat_b, g_a),
        group(a, cat_a, g_b),
        section(b, s_a),
    ] {
        api.get(&rest, &admin).await.refused(404);
    }

    // Both spellings (with and without the trailing slash) follow a write.
    let spellings = |rest: &str| {
        let bare = rest.trim_end_matches('/').to_string();
        [bare.clone(), format!("{bare}/")]
    };
    for rest in spellings(&groups(a, cat_a))
        .iter()
        .chain(spellings(&sections(a)).iter())
    {
        api.get(rest, &admin).await.ok();
    }
    let form = |code: &str| json!({"Name": "Spelled", "Code": code, "Description": text("")});
    api.put(&group(a, cat_a, g_a), &admin, &form("SPELLEDG"))
        .await
        .ok();
    api.put(&section(a, s_a), &admin, &form("SPELLEDS"))
        .await
        .ok();
    for rest in spellings(&groups(a, cat_a)) {
        let list = api.get(&rest, &admin).await.ok();
        assert_eq!(list[0]["Name"], "Spelled", "{rest}: {list}");
    }
    for rest in spellings(&sections(a)) {
        let list = api.get(&rest, &admin).await.ok();
        assert_eq!(list[0]["Name"], "Spelled", "{rest}: {list}");
    }

    // A deprecated version answers the same body with Deprecation: true; a current one
    // without; a version the route does not serve, 404.
    for rest in course_routes(a, cat_a, g_a, s_a) {
        let current = api
            .call(
                Method::GET,
                api.url(&format!("/d2l/api/lp/1.47{rest}")),
                &admin,
                None,
            )
            .await;
        let old = api
            .call(
                Method::GET,
                api.url(&format!("/d2l/api/lp/1.44{rest}")),
                &admin,
                None,
            )
            .await;
        let again = api
            .call(
                Method::GET,
                api.url(&format!("/d2l/api/lp/1.47{rest}")),
                &admin,
                None,
            )
            .await;
        let obsolete = api
            .call(
                Method::GET,
                api.url(&format!("/d2l/api/lp/1.30{rest}")),
                &admin,
                None,
            )
            .await;
        let beyond = api
            .call(
                Method::GET,
                api.url(&format!("/d2l/api/lp/1.64{rest}")),
                &admin,
                None,
            )
            .await;
        assert_eq!(old.ok(), current.ok(), "{old}");
        assert_eq!(obsolete.ok(), current.ok(), "{obsolete}");
        assert_eq!(old.deprecation.as_deref(), Some("true"), "{old}");
        assert_eq!(obsolete.deprecation.as_deref(), Some("true"), "{obsolete}");
        assert_eq!(current.deprecation, None, "{current}");
        assert_eq!(again.deprecation, None, "{again}");
        beyond.refused(404);
    }
}

#[actix_web::test]
async fn repeated_answers_carry_their_own_headers_and_are_still_rate_limited() {
    // 200 credits at 10 a call: 20 calls a minute per caller.
    let app = spawn_app_with_rate_limit(200, 10).await;
    let api = Api::of(&app);
    let course = app.create_course("CACHE-H1").await;
    app.create_user("ch1-reader", "Administrator").await;
    let reader = app.token_for("ch1-reader", "*:*:*");
    let rest = classlist(course);

    let mut seen_ids = std::collections::HashSet::new();
    let mut last_remaining = i64::MAX;
    let mut first_body = None;
    let mut limited = None;
    for call in 0..25 {
        let answer = api.get(&rest, &reader).await;
        if answer.status == 429 {
            limited = Some((call, answer));
            break;
        }
        let body = answer.ok();
        let first = first_body.get_or_insert_with(|| body.clone()).clone();
        assert_eq!(first, body, "the same answer each time");
        let id = answer.request_id.clone().expect("X-Request-Id");
        assert!(
            seen_ids.insert(id),
            "a fresh request id on each answer: {answer:?}"
        );
        let remaining = answer.remaining.expect("X-Rate-Limit-Remaining");
        assert!(
            remaining < last_remaining,
            "remaining falls with each call: {answer:?}"
        );
        last_remaining = remaining;
    }
    let (call, answer) = limited.expect("the 21st call or so is limited");
    assert!(
        (18..=21).contains(&call),
        "limited after {call} calls: {answer}"
    );
    answer.refused(429);

    // HEAD answers as GET, without a body; whoami too, each with its own request id.
    let other = app.create_user("ch1-other", "Administrator").await;
    let token = app.token_for("ch1-other", "*:*:*");
    let get = api.get(&rest, &token).await;
    let head = api.call(Method::HEAD, api.lp(&rest), &token, None).await;
    assert_eq!(
        (head.status, head.content_type.as_str()),
        (200, JSON_TYPE),
        "{head}"
    );
    assert!(head.text.is_empty(), "{head}");
    assert_ne!(head.request_id, get.request_id);
    let me = api.get(WHOAMI, &token).await.ok();
    assert_eq!(whoami_id(&me), other);
}

// ---------------------------------------------------------------------------------------------
// Across processes
// ---------------------------------------------------------------------------------------------

/// Two servers on one PostgreSQL database: `here` (in-process) and `there` (the binary), and
/// the course they both answer, for the direction tests.
struct Pair {
    app: TestApp,
    here: Api,
    there: Api,
    _server: ServerProcess,
    course: i64,
    cat: i64,
    g: i64,
    learners: Vec<i64>,
}

async fn pair(code: &str) -> Pair {
    let app = spawn_app().await;
    let here = Api::of(&app);
    let course = app.create_course(code).await;
    let learners = learners(&app, course, &format!("{}-", code.to_lowercase()), 2).await;
    let (cat, gids) = empty_groups(&app, course, "Shared", 1).await;
    let server = ServerProcess::start(&app.database_url, &[("JOB_WORKER", "off")]);
    let there = Api::of_process(&server);
    Pair {
        app,
        here,
        there,
        _server: server,
        course,
        cat,
        g: gids[0],
        learners,
    }
}

/// Writes through `writer`, reads through `reader`: a new group, a renamed group, a group
/// member, a class-list enrollment, a permission taken and given back, a deleted VLE; each
/// seen by the reader within [`PG_CROSS_PROCESS`].
async fn writes_cross_over(p: &Pair, writer: &Api, reader: &Api) {
    let (app, course, cat) = (&p.app, p.course, p.cat);
    let admin = &app.admin;
    let bound = PG_CROSS_PROCESS;
    let (inst, inst_token) = plain_user(app, &format!("x{course}-inst")).await;
    enroll_via(writer, app, inst, course, "Instructor").await;
    let vle = register_vle(app, &format!("Remote{course}")).await;
    // The reader fills its caches.
    reader.get(&groups(course, cat), admin).await.ok();
    reader.get(&category(course, cat), admin).await.ok();
    reader.get(&group(course, cat, p.g), admin).await.ok();
    reader.get(&classlist(course), admin).await.ok();
    reader.get(&groups(course, cat), &inst_token).await.ok();
    reader.get(WHOAMI, &vle.client_token).await.ok();
    reader.get(WHOAMI, &vle.user_token).await.ok();
    reader
        .get(&groups(course, cat), &vle.client_token)
        .await
        .ok();

    // A new group.
    let form =
        json!({"Name": "Across", "Code": format!("ACROSS{course}"), "Description": text("")});
    let g = writer.post(&groups(course, cat), admin, &form).await.ok()["GroupId"]
        .as_i64()
        .expect("GroupId");
    visible_within(bound, "a new group", || async move {
        let list = reader.get(&groups(course, cat), admin).await;
        let one = reader.get(&category(course, cat), admin).await;
        match (list.status, one.status) {
            (200, 200)
                if ids_of(&list.body(), "GroupId").contains(&g)
                    && ids(&one.body()["Groups"]).contains(&g) =>
            {
                Ok(())
            }
            _ => Err(format!("{list} / {one}")),
        }
    })
    .await;

    // A renamed group.
    reader.get(&group(course, cat, g), admin).await.ok();
    let form = json!({"Name": "Renamed across", "Code": format!("RENAMED{course}"), "Description": text("")});
    writer.put(&group(course, cat, g), admin, &form).await.ok();
    visible_within(bound, "a renamed group", || async move {
        let one = reader.get(&group(course, cat, g), admin).await;
        let list = reader.get(&groups(course, cat), admin).await;
        let listed = (list.status == 200)
            .then(|| list.body())
            .and_then(|l| entry(&l, "GroupId", g).map(|v| v["Name"].clone()));
        if one.status == 200
            && one.body()["Name"] == "Renamed across"
            && listed == Some(json!("Renamed across"))
        {
            Ok(())
        } else {
            Err(format!("{one} / {list}"))
        }
    })
    .await;

    // A group member.
    let learner = p.learners[0];
    writer
        .post(
            &format!("{}/enrollments/", group(course, cat, g)),
            admin,
            &json!({"UserId": learner}),
        )
        .await
        .ok_empty();
    visible_within(bound, "a group member", || async move {
        let one = reader.get(&group(course, cat, g), admin).await;
        if one.status == 200 && ids(&one.body()["Enrollments"]) == vec![learner] {
            Ok(())
        } else {
            Err(one.to_string())
        }
    })
    .await;

    // A class-list enrollment.
    let newcomer = app.create_user(&format!("x{course}-new"), "Student").await;
    reader.get(&classlist(course), admin).await.ok();
    enroll_via(writer, app, newcomer, course, "Student").await;
    visible_within(bound, "a class-list enrollment", || async move {
        let page = reader.get(&classlist(course), admin).await;
        if page.status == 200 && classlist_ids(&page.body()).contains(&newcomer) {
            Ok(())
        } else {
            Err(page.to_string())
        }
    })
    .await;

    // A permission taken away, then given back.
    let inst_token = &inst_token;
    enroll_via(writer, app, inst, course, "Student").await;
    visible_within(bound, "a demotion", || async move {
        let answer = reader.get(&groups(course, cat), inst_token).await;
        if answer.status == 403 {
            Ok(())
        } else {
            Err(answer.to_string())
        }
    })
    .await;
    enroll_via(writer, app, inst, course, "Instructor").await;
    visible_within(bound, "a promotion", || async move {
        let answer = reader.get(&groups(course, cat), inst_token).await;
        if answer.status == 200 && ids_of(&answer.body(), "GroupId").contains(&g) {
            Ok(())
        } else {
            Err(answer.to_string())
        }
    })
    .await;

    // A deleted VLE: its client token and its user's token are refused.
    delete_vle(writer, app, &vle).await;
    let vle = &vle;
    visible_within(
        bound,
        "a revoked client and a deactivated user",
        || async move {
            let client = reader.get(WHOAMI, &vle.client_token).await;
            let user = reader.get(WHOAMI, &vle.user_token).await;
            let read = reader.get(&groups(course, cat), &vle.client_token).await;
            if (client.status, user.status, read.status) == (401, 401, 401) {
                Ok(())
            } else {
                Err(format!("{client} / {user} / {read}"))
            }
        },
    )
    .await;
}

#[actix_web::test]
async fn on_postgres_another_server_sees_writes_made_here_within_the_bound() {
    if !is_postgres() {
        eprintln!("skipped: several servers share one database only on PostgreSQL");
        return;
    }
    let p = pair("CACHE-X1").await;
    writes_cross_over(&p, &p.here, &p.there).await;
}

#[actix_web::test]
async fn on_postgres_writes_made_by_another_server_are_seen_here_within_the_bound() {
    if !is_postgres() {
        eprintln!("skipped: several servers share one database only on PostgreSQL");
        return;
    }
    let p = pair("CACHE-X2").await;
    writes_cross_over(&p, &p.there, &p.here).await;
}

/// Retries at once, so that a test reaches a job's death without waiting.
fn eager(max_attempts: u32) -> WorkerSettings {
    WorkerSettings {
        poll: Duration::from_millis(5),
        max_attempts,
        retry_delay: Duration::ZERO,
    }
}

/// Runs `d2l-groups` with `args` on the app's database; asserts success; answers stdout.
fn cli(app: &TestApp, args: &[&str]) -> String {
    let out = std::process::Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[actix_web::test]
async fn a_category_revived_from_the_command_line_is_seen_within_the_bound() {
    // No worker here: the test decides when the creation job runs.
    let app = quiet_app().await;
    let api = Api::of(&app);
    let admin = app.admin.clone();
    let course = app.create_course("CACHE-CLI").await;
    let l = learners(&app, course, "ccli-", 4).await;
    let form = category_form(
        "Revived",
        json!("NumberOfGroupsAutoEnrollment"),
        json!({"NumberOfGroups": 2}),
    );
    let cat = post_category(&api, &app, course, &form).await;
    // Set-up with no route: the job fails (an impossible style) until it is dead. Nothing is
    // read before, so no answer can hold what this changes.
    let set_style = |style: Option<i64>| {
        app.state
            .db
            .write_sync(|conn| {
                let real: i64 = group_categories::table
                    .find(cat)
                    .select(group_categories::enrollment_style)
                    .first(conn)?;
                diesel::update(group_categories::table.find(cat))
                    .set(group_categories::enrollment_style.eq(style.unwrap_or(99)))
                    .execute(conn)?;
                Ok(real)
            })
            .expect("set the style")
    };
    let real = set_style(None);
    assert_eq!(
        run_next(&app.state.db, &eager(1)).expect("run"),
        Outcome::Dead
    );
    set_style(Some(real));

    // Dead: a failed creation, absent from the list, 404 alone. These answers fill the caches.
    let detail = api.get(&category(course, cat), &admin).await.refused(404);
    assert!(detail.contains("creation failed"), "{detail}");
    api.get(&groups(course, cat), &admin).await.refused(404);
    assert!(ids_of(
        &api.get(&categories(course), &admin).await.ok(),
        "GroupCategoryId"
    )
    .is_empty());

    // The operator retries it from the command line: processing again, seen within the bound.
    let dead = cli(&app, &["jobs", "list", "--dead"]);
    let job = dead
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("job ")?;
            rest.contains(&format!("for category {cat} "))
                .then(|| rest.split(':').next().map(str::to_string))
                .flatten()
        })
        .unwrap_or_else(|| panic!("no dead job of category {cat} in {dead}"));
    cli(&app, &["jobs", "retry", &job]);
    let (api, admin, l) = (&api, &admin, &l);
    visible_within(
        cross_process_bound(),
        "a category revived by the CLI",
        || async move {
            let one = api.get(&category(course, cat), admin).await;
            let all = api.get(&categories(course), admin).await;
            let list = api.get(&groups(course, cat), admin).await;
            if one.status == 200
                && ids(&one.body()["Groups"]).is_empty()
                && all.status == 200
                && ids_of(&all.body(), "GroupCategoryId") == vec![cat]
                && list.status == 200
                && list.body() == json!([])
            {
                Ok(())
            } else {
                Err(format!("{one} / {all} / {list}"))
            }
        },
    )
    .await;

    // Another process's worker completes it: its groups are seen within the bound.
    let worker = ServerProcess::start(
        &app.database_url,
        &[("JOB_WORKER", "on"), ("JOB_POLL_INTERVAL_MS", "10")],
    );
    wait_complete(&Api::of_process(&worker), admin, course, cat).await;
    visible_within(
        cross_process_bound(),
        "the revived category's groups",
        || async move {
            let list = api.get(&groups(course, cat), admin).await;
            if list.status != 200 {
                return Err(list.to_string());
            }
            let rosters = rosters_by_id(&list.body(), "GroupId");
            let mut all: Vec<i64> = rosters.iter().flat_map(|(_, m)| m.clone()).collect();
            all.sort_unstable();
            if rosters.len() == 2 && &all == l {
                Ok(())
            } else {
                Err(list.to_string())
            }
        },
    )
    .await;
}
