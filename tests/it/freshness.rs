//! No stale answer (issue 24), generated from the route table: for every write route, and every
//! read route about the same course (its sections, groups, categories, class lists, enrollments,
//! org structure, whoami, the operator's records), the read made right after the write has
//! answered shows the write: at once on the process that made it, and within a generous bound
//! on a second process of the same database.
//!
//! A read is compared with the same read made with `Cache-Control: no-cache`, which the server
//! answers from the database (and only then remembers). The comparison is made as three callers
//! (the admin, an instructor, a learner), whose answers and permissions are remembered apart.
//!
//! Each write route has its cases in [`cases`], each run on a world of its own; a write route
//! added to the table without a case fails [`every_write_route_has_a_case_or_a_reason`].

use std::time::{Duration, Instant};

use d2l_groups::config::RateLimitSettings;
use reqwest::header::CACHE_CONTROL;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// The LP and LE version every read and write is made at: the newest, so that every field a
/// route can answer is answered.
const AT: &str = "unstable";
/// How long a second process may answer the old state after the write answered; the measured
/// bound is far lower (docs/scaling.md), this only keeps a loaded CI machine from flaking.
const OTHER_PROCESS_LIMIT: Duration = Duration::from_secs(3);

/// A course with everything a read can show, on two server processes of one database.
struct World {
    app: TestApp,
    other: TestApp,
    course: i64,
    /// A second course with learners and nothing else (for a first sections setting).
    bare: i64,
    learners: Vec<i64>,
    instructor: i64,
    /// A Student of the institution, enrolled in no course.
    spare: i64,
    student_role: i64,
    sections: Vec<i64>,
    category: i64,
    groups: Vec<i64>,
    /// A self-enrollment category, and its groups.
    chooser: i64,
    choices: Vec<i64>,
    institution: i64,
    vle: i64,
    /// (who, token): the callers whose answers are compared.
    callers: Vec<(&'static str, String)>,
}

async fn world() -> World {
    let app = spawn_app_with(|s| {
        s.rate_limit = RateLimitSettings::new(100_000_000, 1).expect("limits");
    })
    .await;
    let other = app.another_process().await;
    let course = app.create_course("FRESH-1").await;
    let bare = app.create_course("FRESH-2").await;
    let learners = learners(&app, course, "fresh", 6).await;
    for learner in &learners[..2] {
        app.enroll(*learner, bare, "Student").await;
    }
    let instructor = member(&app, course, "fresh.instructor", "Instructor").await;
    let spare = app.create_user("fresh.spare", "Student").await;
    let student_role = app.role_id("Student").await;
    let sections: Vec<i64> = deal_sections(&app, course, 2)
        .await
        .iter()
        .map(|s| s["SectionId"].as_i64().expect("SectionId"))
        .collect();
    let (category, groups) = category_ready(
        &app,
        "1.53",
        course,
        &category_form(
            "Labs",
            json!(2),
            json!({"NumberOfGroups": 2, "GroupPrefix": "Lab", "AutoEnroll": true}),
        ),
    )
    .await;
    let (chooser, choices) = category_ready(
        &app,
        "1.53",
        course,
        &category_form("Teams", json!(3), json!({"MaxUsersPerGroup": 4})),
    )
    .await;
    // fresh05 has chosen a group of the self-enrollment category (and may leave it).
    let joined = app.lp(&format!(
        "/{course}/groupcategories/{chooser}/groups/{}/selfenrollment",
        choices[1]
    ));
    let token = app.token_for("fresh05", "*:*:*");
    json_ok(app.send(Method::POST, &joined, Some(&token), None).await).await;
    let institutions = json_ok(app.get(&app.url("/api/v2/institution/"), &app.admin).await).await;
    let institution = institutions["results"][0]["id"].as_i64().expect("id");
    let vle = json_status(
        app.post(
            &app.url(&format!("/api/v2/institution/{institution}/vle/")),
            &app.admin,
            &json!({"type": 1, "lti": {"version": "1.3"}, "name": "Moodle",
                    "url": "https://lms.example.edu"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_i64()
        .expect("VLE id");
    let callers = vec![
        ("admin", app.admin.clone()),
        ("instructor", app.token_for("fresh.instructor", "*:*:*")),
        ("learner", app.token_for("fresh00", "*:*:*")),
    ];
    World {
        app,
        other,
        course,
        bare,
        learners,
        instructor,
        spare,
        student_role,
        sections,
        category,
        groups,
        chooser,
        choices,
        institution,
        vle,
        callers,
    }
}

/// One write to make: `url` on process A as `token`, expecting `status`.
struct Case {
    name: String,
    method: Method,
    url: String,
    body: Option<Value>,
    token: String,
    status: u16,
    /// A category whose creation job must be waited for, then every read checked again.
    job_of: Option<String>,
}

/// The route table's (method, pattern) pairs, reqwest's methods.
fn served() -> Vec<(Method, String)> {
    d2l_groups::routes::served()
        .into_iter()
        .map(|(m, p)| {
            (
                Method::from_bytes(m.as_str().as_bytes()).expect("method"),
                p,
            )
        })
        .collect()
}

/// Write routes that change no data any read of a course shows, with the reason; their own
/// suites cover them (and `caching::` the standing they change).
fn not_about_courses(method: &Method, pattern: &str) -> Option<&'static str> {
    match (method.as_str(), pattern) {
        ("POST", "/d2l/api/versions/check") => Some("reads only"),
        ("POST", "/core/connect/token") => Some("issues a token; tests/it/protocol.rs"),
        ("POST", "/d2l/lp/auth/login/login.d2l") | ("POST", "/d2l/logout") => {
            Some("browser sessions; tests/it/sign_in.rs")
        }
        ("POST", "/oauth2/auth") | ("POST", "/d2l/apps/revoke") => {
            Some("OAuth grants; tests/it/oauth_code.rs")
        }
        ("PUT", "/d2l/api/lp/{version}/{orgUnitId}/sections/") => {
            Some("removed in LP 1.39: no version serves it")
        }
        _ => None,
    }
}

fn is_write(method: &Method) -> bool {
    ![Method::GET, Method::HEAD].contains(method)
}

impl World {
    fn lp(&self, rest: &str) -> String {
        self.app.url(&format!("/d2l/api/lp/{AT}{rest}"))
    }

    fn admin_case(&self, name: &str, method: Method, url: String, body: Option<Value>) -> Case {
        Case {
            name: name.to_string(),
            method,
            url,
            body,
            token: self.app.admin.clone(),
            status: 200,
            job_of: None,
        }
    }

    /// The writes made through `pattern`, each a case of its own: a route that writes into
    /// several kinds of org unit (an enrollment: course, section, group) has one per kind.
    fn cases(&self, method: &Method, pattern: &str) -> Vec<Case> {
        let (c, s0, g0) = (self.course, self.sections[0], self.groups[0]);
        let (k, learner) = (self.category, self.learners[0]);
        let lp = pattern.strip_prefix("/d2l/api/lp/{version}");
        let case = |name: &str, url: String, body: Option<Value>| {
            self.admin_case(name, method.clone(), url, body)
        };
        let enrollment = |ou: i64, user: i64| json!({"OrgUnitId": ou, "UserId": user, "RoleId": self.student_role});
        let group_form = json!({"Name": "Extra", "Code": "EXTRA-1", "Description": text("d")});
        match (method.as_str(), lp.unwrap_or(pattern)) {
            ("POST", "/users/") => vec![case(
                "create a user",
                self.lp("/users/"),
                Some(user_body("fresh.new", self.student_role)),
            )],
            ("POST", "/courses/") => vec![case(
                "create a course",
                self.lp("/courses/"),
                Some(course_body("FRESH-3")),
            )],
            ("DELETE", "/courses/{orgUnitId}") => vec![case(
                "delete a course",
                self.lp(&format!("/courses/{}", self.bare)),
                None,
            )],
            ("POST", "/enrollments/") => vec![
                case(
                    "enroll in the course",
                    self.lp("/enrollments/"),
                    Some(enrollment(c, self.spare)),
                ),
                case(
                    "enroll in a section",
                    self.lp("/enrollments/"),
                    Some(enrollment(s0, self.learners[1])),
                ),
                case(
                    "enroll in a group",
                    self.lp("/enrollments/"),
                    Some(enrollment(g0, self.learners[1])),
                ),
                case(
                    "enroll the instructor as a student (a demotion)",
                    self.lp("/enrollments/"),
                    Some(enrollment(c, self.instructor)),
                ),
            ],
            ("DELETE", p @ "/enrollments/orgUnits/{orgUnitId}/users/{userId}")
            | ("DELETE", p @ "/enrollments/users/{userId}/orgUnits/{orgUnitId}") => {
                let url = |ou: i64, user: i64| {
                    self.lp(
                        &p.replace("{orgUnitId}", &ou.to_string())
                            .replace("{userId}", &user.to_string()),
                    )
                };
                vec![
                    case("unenroll from the course", url(c, learner), None),
                    case("unenroll from a section", url(s0, learner), None),
                    case("unenroll from a group", url(g0, learner), None),
                ]
            }
            ("POST", "/{orgUnitId}/sections/settings") => vec![case(
                "a first sections setting",
                self.lp(&format!("/{}/sections/settings", self.bare)),
                Some(section_settings(json!(2), 2, true, false, false)),
            )],
            ("PUT", "/{orgUnitId}/sections/settings") => vec![case(
                "update the sections setting",
                self.lp(&format!("/{c}/sections/settings")),
                Some(json!({
                    "Name": "Sections", "Description": text("d"), "AutoEnroll": true,
                    "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": true
                })),
            )],
            ("POST", "/{orgUnitId}/sections/") => vec![case(
                "add a section",
                self.lp(&format!("/{c}/sections/")),
                Some(group_form),
            )],
            ("PUT", "/{orgUnitId}/sections/{sectionId}") => vec![case(
                "rename a section",
                self.lp(&format!("/{c}/sections/{s0}")),
                Some(group_form),
            )],
            ("DELETE", "/{orgUnitId}/sections/{sectionId}") => vec![case(
                "delete a section",
                self.lp(&format!("/{c}/sections/{s0}")),
                None,
            )],
            ("POST", "/{orgUnitId}/sections/{sectionId}/enrollments/") => vec![case(
                "add a section member",
                self.lp(&format!("/{c}/sections/{s0}/enrollments/")),
                Some(json!({"UserId": self.learners[1]})),
            )],
            ("POST", "/{orgUnitId}/groupcategories/") => {
                let mut created = case(
                    "create a category",
                    self.lp(&format!("/{c}/groupcategories/")),
                    Some(category_form(
                        "More labs",
                        json!(2),
                        json!({"NumberOfGroups": 3, "GroupPrefix": "More", "AutoEnroll": true}),
                    )),
                );
                created.status = 202;
                created.job_of = Some(self.lp(&format!("/{c}/groupcategories/")));
                vec![created]
            }
            (
                verb @ ("POST" | "DELETE"),
                "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/selfenrollment",
            ) => {
                // fresh04 joins (POST); fresh05 leaves the group it chose in the world (DELETE).
                let (who, group) = if verb == "POST" {
                    ("fresh04", self.choices[0])
                } else {
                    ("fresh05", self.choices[1])
                };
                let mut chosen = case(
                    "a learner chooses their group",
                    self.lp(&format!(
                        "/{c}/groupcategories/{}/groups/{group}/selfenrollment",
                        self.chooser
                    )),
                    None,
                );
                chosen.token = self.app.token_for(who, "*:*:*");
                vec![chosen]
            }
            ("PUT", "/{orgUnitId}/groupcategories/{groupCategoryId}") => vec![case(
                "update a category",
                self.lp(&format!("/{c}/groupcategories/{k}")),
                Some(json!({"Name": "Renamed labs", "Description": text("d"),
                            "AutoEnroll": true, "RandomizeEnrollments": false,
                            "DescriptionsVisibleToEnrolees": true})),
            )],
            ("DELETE", "/{orgUnitId}/groupcategories/{groupCategoryId}") => vec![case(
                "delete a category with its groups",
                self.lp(&format!("/{c}/groupcategories/{k}")),
                None,
            )],
            ("POST", "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/") => vec![case(
                "add a group",
                self.lp(&format!("/{c}/groupcategories/{k}/groups/")),
                Some(group_form),
            )],
            ("PUT", "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}") => {
                vec![case(
                    "rename a group",
                    self.lp(&format!("/{c}/groupcategories/{k}/groups/{g0}")),
                    Some(group_form),
                )]
            }
            ("DELETE", "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}") => {
                vec![case(
                    "delete a group",
                    self.lp(&format!("/{c}/groupcategories/{k}/groups/{g0}")),
                    None,
                )]
            }
            (
                "POST",
                "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments/",
            ) => vec![case(
                "add a group member",
                self.lp(&format!("/{c}/groupcategories/{k}/groups/{g0}/enrollments/")),
                Some(json!({"UserId": self.learners[1]})),
            )],
            (
                "DELETE",
                "/{orgUnitId}/groupcategories/{groupCategoryId}/groups/{groupId}/enrollments/{userId}",
            ) => vec![case(
                "remove a group member",
                self.lp(&format!(
                    "/{c}/groupcategories/{k}/groups/{g0}/enrollments/{learner}"
                )),
                None,
            )],
            ("PUT", "/api/v2/institution/{institution_id}/") => vec![case(
                "replace the institution",
                self.app.url(&format!("/api/v2/institution/{}/", self.institution)),
                Some(json!({
                    "acronym": "ACME", "name": "Acme University", "external_ic": true,
                    "mail_domain": "example.edu", "disable_vle_learner_creation": false,
                    "disable_vle_instructor_creation": false, "disable_vle_user_creation": false,
                    "allow_learner_report": true, "allow_learner_audit": false,
                    "allow_valid_audit": true
                })),
            )],
            ("PATCH", "/api/v2/institution/{institution_id}/") => vec![case(
                "rename the institution",
                self.app.url(&format!("/api/v2/institution/{}/", self.institution)),
                Some(json!({"name": "Acme"})),
            )],
            ("POST", "/api/v2/institution/{parent_lookup_institution_id}/vle/") => {
                let mut made = case(
                    "register a VLE",
                    self.app.url(&format!("/api/v2/institution/{}/vle/", self.institution)),
                    Some(json!({"type": 1, "lti": {"version": "1.3"}, "name": "Canvas",
                                "url": "https://canvas.example.edu"})),
                );
                made.status = 201;
                vec![made]
            }
            ("PUT" | "PATCH", "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/") => {
                vec![case(
                    "change a VLE",
                    self.app.url(&format!(
                        "/api/v2/institution/{}/vle/{}/",
                        self.institution, self.vle
                    )),
                    Some(json!({"type": 1, "lti": {"version": "1.3"}, "name": "Renamed",
                                "url": "https://lms.example.edu"})),
                )]
            }
            ("DELETE", "/api/v2/institution/{parent_lookup_institution_id}/vle/{id}/") => {
                let mut gone = case(
                    "delete a VLE",
                    self.app.url(&format!(
                        "/api/v2/institution/{}/vle/{}/",
                        self.institution, self.vle
                    )),
                    None,
                );
                gone.status = 204;
                vec![gone]
            }
            _ => Vec::new(),
        }
    }

    /// Every read route about the world, with real ids: each `{param}` of a pattern takes each
    /// of its candidate values (an `{orgUnitId}` the course, the bare course, a section and a
    /// group, where the route is about any org unit).
    fn reads(&self) -> Vec<String> {
        let mut urls = Vec::new();
        for (method, pattern) in served() {
            if method != Method::GET {
                continue;
            }
            let rest = if let Some(rest) = pattern.strip_prefix("/d2l/api/lp/{version}") {
                format!("/d2l/api/lp/{AT}{rest}")
            } else if let Some(rest) = pattern.strip_prefix("/d2l/api/le/{version}") {
                format!("/d2l/api/le/{AT}{rest}")
            } else if pattern.starts_with("/api/v2/") {
                pattern.clone()
            } else {
                continue;
            };
            if rest.contains("{orgUnitTypeId}") {
                continue;
            }
            for filled in self.fill(&rest) {
                urls.push(self.app.url(&filled));
            }
        }
        urls
    }

    /// `pattern` with each combination of candidate values.
    fn fill(&self, pattern: &str) -> Vec<String> {
        let of_course = pattern.contains("{sectionId}")
            || pattern.contains("{groupCategoryId}")
            || pattern.contains("/sections/")
            || pattern.contains("/groupcategories/")
            || pattern.contains("/classlist/")
            || pattern.contains("/memberships/");
        let org_units: Vec<i64> = if of_course {
            vec![self.course, self.bare]
        } else {
            vec![self.course, self.bare, self.sections[0], self.groups[0]]
        };
        let pairs: Vec<(i64, i64)> = vec![
            (self.category, self.groups[0]),
            (self.category, self.groups[1]),
            (self.chooser, self.choices[1]),
        ];
        let ids = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>();
        let mut out = vec![pattern.to_string()];
        if pattern.contains("{groupId}") {
            out = out
                .iter()
                .flat_map(|p| {
                    pairs.iter().map(move |(k, g)| {
                        p.replace("{groupCategoryId}", &k.to_string())
                            .replace("{groupId}", &g.to_string())
                    })
                })
                .collect();
        }
        for (name, values) in [
            ("orgUnitId", ids(&org_units)),
            ("userId", ids(&[self.learners[2], self.instructor])),
            ("sectionId", ids(&self.sections)),
            ("roleId", ids(&[self.student_role])),
            ("institution_id", ids(&[self.institution])),
            ("parent_lookup_institution_id", ids(&[self.institution])),
            ("id", ids(&[self.vle])),
            ("groupCategoryId", ids(&[self.category, self.chooser])),
        ] {
            out = expand(out, name, &values);
        }
        out
    }
}

/// Each of `patterns` with `{name}` set to each of `values` (unchanged where it has none).
fn expand(patterns: Vec<String>, name: &str, values: &[String]) -> Vec<String> {
    let token = format!("{{{name}}}");
    patterns
        .into_iter()
        .flat_map(|p| {
            if p.contains(&token) {
                values.iter().map(|v| p.replace(&token, v)).collect()
            } else {
                vec![p]
            }
        })
        .collect()
}

/// (status, body) of a GET as `token`, from memory when the server has it, or from the
/// database when `fresh`.
async fn read(app: &TestApp, url: &str, token: &str, fresh: bool) -> (u16, String) {
    let mut req = app.client.get(url).bearer_auth(token);
    if fresh {
        req = req.header(CACHE_CONTROL, "no-cache");
    }
    let res = req.send().await.expect("read");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

/// Whether `app`'s remembered answer to `url` is what the database holds: what it answers
/// from memory equals what it reads fresh just before or just after (a job may complete in
/// between, which is a change, not staleness).
async fn is_fresh(app: &TestApp, url: &str, token: &str) -> Result<(), String> {
    let before = read(app, url, token, true).await;
    let remembered = read(app, url, token, false).await;
    if remembered == before {
        return Ok(());
    }
    let after = read(app, url, token, true).await;
    if remembered == after {
        return Ok(());
    }
    Err(format!(
        "remembered {} {}\n    database {} {}",
        remembered.0, remembered.1, after.0, after.1
    ))
}

/// Reads everything as every caller on both processes, so that each has it in memory.
async fn prime(world: &World, reads: &[String]) -> Vec<(u16, String)> {
    let mut seen = Vec::new();
    for (_, token) in &world.callers {
        for url in reads {
            seen.push(read(&world.app, url, token, false).await);
            let other = url.replacen(&world.app.address, &world.other.address, 1);
            read(&world.other, &other, token, false).await;
        }
    }
    seen
}

/// Every read, as every caller: fresh at once on process A; on process B within the limit.
async fn check_all(world: &World, reads: &[String], case: &str) -> Vec<String> {
    let mut stale = Vec::new();
    for (who, token) in &world.callers {
        for url in reads {
            if let Err(e) = is_fresh(&world.app, url, token).await {
                stale.push(format!("{case}: process A, as {who}, GET {url}:\n    {e}"));
            }
        }
    }
    let started = Instant::now();
    for (who, token) in &world.callers {
        for url in reads {
            let other = url.replacen(&world.app.address, &world.other.address, 1);
            loop {
                match is_fresh(&world.other, &other, token).await {
                    Ok(()) => break,
                    Err(e) if started.elapsed() > OTHER_PROCESS_LIMIT => {
                        stale.push(format!(
                            "{case}: process B, as {who}, GET {other} after {:?}:\n    {e}",
                            started.elapsed()
                        ));
                        break;
                    }
                    Err(_) => actix_web::rt::time::sleep(Duration::from_millis(5)).await,
                }
            }
        }
    }
    stale
}

/// Runs every case of the write routes whose pattern `wanted` picks, each on a world of its
/// own, and fails with every stale read found.
async fn run_cases(wanted: impl Fn(&Method, &str) -> bool) {
    let routes: Vec<(Method, String)> = served()
        .into_iter()
        .filter(|(m, p)| is_write(m) && not_about_courses(m, p).is_none() && wanted(m, p))
        .collect();
    assert!(!routes.is_empty(), "no write route picked");
    let mut stale = Vec::new();
    for (method, pattern) in routes {
        for i in 0.. {
            let world = world().await;
            let mut cases = world.cases(&method, &pattern);
            if i >= cases.len() {
                break;
            }
            let case = cases.remove(i);
            let reads = world.reads();
            let before = prime(&world, &reads).await;
            let res = world
                .app
                .send(
                    case.method.clone(),
                    &case.url,
                    Some(&case.token),
                    case.body.as_ref(),
                )
                .await;
            let status = res.status().as_u16();
            let text = res.text().await.expect("body");
            assert_eq!(
                status, case.status,
                "{} ({method} {pattern}): {text}",
                case.name
            );
            stale.extend(check_all(&world, &reads, &case.name).await);
            if let Some(list) = &case.job_of {
                wait_for_jobs(&world, list).await;
                stale.extend(check_all(&world, &reads, &format!("{} (job done)", case.name)).await);
            }
            // The write showed somewhere: a case whose write changed no read tests nothing.
            let mut after = Vec::new();
            for (_, token) in &world.callers {
                for url in &reads {
                    after.push(read(&world.app, url, token, true).await);
                }
            }
            assert_ne!(before, after, "{}: no read shows the write", case.name);
        }
    }
    assert!(stale.is_empty(), "stale reads:\n{}", stale.join("\n"));
}

/// Waits until every category listed at `list` has status 1.
async fn wait_for_jobs(world: &World, list: &str) {
    let started = Instant::now();
    loop {
        let (_, body) = read(&world.app, list, &world.app.admin, true).await;
        let categories: Value = serde_json::from_str(&body).expect("categories");
        let ready = categories
            .as_array()
            .expect("array")
            .iter()
            .all(|c| c["Status"] == json!(1) || c.get("Status").is_none());
        let ids: Vec<i64> = categories
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|c| c["GroupCategoryId"].as_i64())
            .collect();
        let mut all_ready = ready;
        for id in ids {
            let status = format!("{}{id}/status", list);
            let (_, body) = read(&world.app, &status, &world.app.admin, true).await;
            let v: Value = serde_json::from_str(&body).expect("status");
            all_ready &= v["Status"] == json!(1);
        }
        if all_ready {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "category job");
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn every_write_route_has_a_case_or_a_reason() {
    let world = world().await;
    let missing: Vec<String> = served()
        .into_iter()
        .filter(|(m, p)| is_write(m) && not_about_courses(m, p).is_none())
        .filter(|(m, p)| !p.starts_with("/console/") && world.cases(m, p).is_empty())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "write routes without a freshness case (give each one in `World::cases`):\n{}",
        missing.join("\n")
    );
    assert!(world.reads().len() > 40, "{:?}", world.reads());
}

#[actix_web::test]
async fn enrollment_writes_are_seen_by_every_read() {
    run_cases(|_, p| p.contains("/enrollments/") && !p.contains("{groupId}")).await;
}

#[actix_web::test]
async fn section_writes_are_seen_by_every_read() {
    run_cases(|_, p| p.contains("/sections/") && !p.contains("/enrollments/")).await;
}

#[actix_web::test]
async fn section_member_writes_are_seen_by_every_read() {
    run_cases(|_, p| p.contains("/sections/{sectionId}/enrollments/")).await;
}

#[actix_web::test]
async fn category_writes_are_seen_by_every_read() {
    run_cases(|_, p| p.contains("/groupcategories/") && !p.contains("{groupId}")).await;
}

#[actix_web::test]
async fn group_writes_are_seen_by_every_read() {
    run_cases(|_, p| p.contains("{groupId}")).await;
}

#[actix_web::test]
async fn user_course_and_operator_writes_are_seen_by_every_read() {
    run_cases(|_, p| {
        p.ends_with("/users/") || p.contains("/courses/") || p.starts_with("/api/v2/")
    })
    .await;
}
