//! Test mode as an integration suite in another language uses it (docs/testing.md): the real
//! binary serving `examples/world.yaml` with `--test-mode`, spoken to over HTTP only (plus the
//! `token` command a suite can run as well): a token by the client-credentials grant, the
//! seeded ids read, things changed, a reset back to the seeded world with the same ids, and
//! the clock moved past a self-enrollment expiry so that the allocation after it runs. Then
//! `seed` refusing bad files (naming the entry, writing nothing), the test routes absent
//! without test mode, and test mode refused on a non-loopback address unless forced.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};

use crate::common::{self, json_ok, problem, ServerProcess, BIN};

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/world.yaml");
const CLIENT_ID: &str = "integration-suite";
const CLIENT_SECRET: &str = "integration-suite-secret-0123456789";

fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A suite's view of the server: its address and an HTTP client.
struct Suite {
    base: String,
    http: Client,
}

impl Suite {
    fn new(server: &ServerProcess) -> Self {
        Self {
            base: server.url(""),
            // As a scripted client: a redirect is an answer to look at, not to follow.
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    fn lp(&self, rest: &str) -> String {
        format!("{}/d2l/api/lp/1.47{rest}", self.base)
    }

    async fn token(&self) -> String {
        let res = self
            .http
            .post(format!("{}/core/connect/token", self.base))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("grant_type", "client_credentials"), ("scope", "*:*:*")])
            .send()
            .await
            .expect("token request");
        let body = json_ok(res).await;
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    async fn get(&self, url: &str, token: &str) -> reqwest::Response {
        self.http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// The members of each group of a category, by group id.
    async fn groups(&self, token: &str, course: i64, category: i64) -> Vec<(i64, Vec<i64>)> {
        let url = self.lp(&format!("/{course}/groupcategories/{category}/groups/"));
        let list = json_ok(self.get(&url, token).await).await;
        let mut groups: Vec<(i64, Vec<i64>)> = list
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                let mut members: Vec<i64> = g["Enrollments"]
                    .as_array()
                    .expect("Enrollments")
                    .iter()
                    .map(|m| m.as_i64().expect("user id"))
                    .collect();
                members.sort_unstable();
                (g["GroupId"].as_i64().expect("GroupId"), members)
            })
            .collect();
        groups.sort_unstable();
        groups
    }
}

fn id(ids: &Value, pointer: &str) -> i64 {
    ids.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("no id at {pointer} in {ids}"))
}

#[actix_web::test]
async fn an_outside_suite_seeds_resets_and_moves_the_clock() {
    let url = common::fresh_database_url();
    let server = ServerProcess::start(&url, &[("TEST_MODE", "true"), ("TEST_SEED_FILE", WORLD)]);
    let suite = Suite::new(&server);
    assert!(
        server
            .log
            .lock()
            .expect("log")
            .iter()
            .any(|line| line.contains("TEST MODE") && line.contains("WARN")),
        "test mode is logged loudly at start"
    );

    // The seeded ids, by the names the file uses.
    let ids = json_ok(
        suite
            .send(reqwest::Method::GET, "/testing/seed", None)
            .await,
    )
    .await;
    assert_eq!(ids["institution"]["root_org_unit_id"], 6606);
    assert_eq!(ids["clients"], json!([CLIENT_ID]));
    let (admin, ada, blaise, carl, dora) = (
        id(&ids, "/users/admin"),
        id(&ids, "/users/ada"),
        id(&ids, "/users/blaise"),
        id(&ids, "/users/carl"),
        id(&ids, "/users/dora"),
    );
    assert_eq!(admin, 1000);
    let bio = id(&ids, "/courses/BIO-101/id");
    let projects = id(&ids, "/courses/BIO-101/categories/Projects/id");
    let group_1 = id(
        &ids,
        "/courses/BIO-101/categories/Projects/groups/Projects 1",
    );
    let review = id(&ids, "/courses/BIO-101/categories/Projects/groups/REVIEW");
    let lab_a = id(&ids, "/courses/BIO-101/sections/LAB-A");
    let student = id(&ids, "/roles/Student");

    // A token as an outside suite gets one, and the world as seeded.
    let token = suite.token().await;
    let me = json_ok(suite.get(&suite.lp("/users/whoami"), &token).await).await;
    assert_eq!(me["Identifier"], admin.to_string());
    let seeded_groups = suite.groups(&token, bio, projects).await;
    let mut pair = vec![ada, blaise];
    pair.sort_unstable();
    assert!(
        seeded_groups.contains(&(group_1, pair.clone())),
        "{seeded_groups:?}"
    );
    assert!(
        seeded_groups.contains(&(review, vec![dora])),
        "{seeded_groups:?}"
    );
    let lab = json_ok(
        suite
            .get(&suite.lp(&format!("/{bio}/sections/{lab_a}")), &token)
            .await,
    )
    .await;
    let mut lab_members: Vec<i64> =
        serde_json::from_value(lab["Enrollments"].clone()).expect("ids");
    lab_members.sort_unstable();
    let mut expected = vec![ada, carl];
    expected.sort_unstable();
    assert_eq!(lab_members, expected);
    // Ada signs in with the seeded password.
    let sign_in = suite
        .http
        .post(format!("{}/d2l/lp/auth/login/login.d2l", suite.base))
        .form(&[("userName", "ada"), ("password", "ada's long password")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(
        sign_in.status(),
        302,
        "ada signs in with her seeded password"
    );

    // Change things: a new course, a learner out of a group, a new user.
    let made = json_ok(
        suite
            .http
            .post(suite.lp("/courses/"))
            .bearer_auth(&token)
            .json(&common::course_body("TMP-1"))
            .send()
            .await
            .expect("course"),
    )
    .await;
    let temporary = made["Identifier"].as_str().expect("Identifier").to_string();
    let removed = suite
        .http
        .delete(suite.lp(&format!(
            "/{bio}/groupcategories/{projects}/groups/{group_1}/enrollments/{ada}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("unenroll");
    assert_eq!(removed.status(), 200);
    let after_change = suite.groups(&token, bio, projects).await;
    assert!(
        after_change.contains(&(group_1, vec![blaise])),
        "{after_change:?}"
    );
    json_ok(
        suite
            .http
            .post(suite.lp("/users/"))
            .bearer_auth(&token)
            .json(&common::user_body("eve", student))
            .send()
            .await
            .expect("user"),
    )
    .await;

    // Reset: the seeded world again, with the same ids; the token still works.
    let again = json_ok(
        suite
            .send(reqwest::Method::POST, "/testing/reset", None)
            .await,
    )
    .await;
    assert_eq!(again, ids, "a reset seeds the same world with the same ids");
    assert_eq!(suite.groups(&token, bio, projects).await, seeded_groups);
    let gone = suite
        .get(&suite.lp(&format!("/courses/{temporary}")), &token)
        .await;
    problem(gone, 404).await;
    let eve = suite.get(&suite.lp("/users/?userName=eve"), &token).await;
    problem(eve, 404).await;
    json_ok(suite.get(&suite.lp("/users/whoami"), &token).await).await;
    let fresh = suite.token().await;
    json_ok(suite.get(&suite.lp("/users/whoami"), &fresh).await).await;

    // Self-enrollment that closes tomorrow, with the allocation after it.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let form = common::category_form(
        "Teams",
        json!(3),
        json!({"MaxUsersPerGroup": 2, "SelfEnrollmentExpiryDate": tomorrow, "AllocateAfterExpiry": true}),
    );
    let job = suite
        .http
        .post(suite.lp(&format!("/{bio}/groupcategories/")))
        .bearer_auth(&token)
        .json(&form)
        .send()
        .await
        .expect("category");
    assert_eq!(job.status(), 202);
    let teams = job.json::<Value>().await.expect("job")["CategoryId"]
        .as_i64()
        .expect("CategoryId");
    let status = suite.lp(&format!("/{bio}/groupcategories/{teams}/status"));
    let mut ready = false;
    for _ in 0..200 {
        if json_ok(suite.get(&status, &token).await).await["Status"] == 1 {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the category is created");
    let learners = {
        let mut all = vec![ada, blaise, carl, dora];
        all.sort_unstable();
        all
    };
    let before = suite.groups(&token, bio, teams).await;
    assert!(
        before.iter().all(|(_, members)| members.is_empty()),
        "{before:?}"
    );

    // A learner's token (the CLI's, as a suite may get one), and the window as they see it.
    let out = run(&url, &["token", "--user", "ada"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ada_token = text(&out.stdout).trim().to_string();
    let choice = suite.lp(&format!("/{bio}/groupcategories/{teams}/selfenrollment"));
    assert_eq!(
        json_ok(suite.get(&choice, &ada_token).await).await["IsOpen"],
        true
    );

    // The clock refuses to run behind real time, and changes nothing then.
    let refused = suite
        .send(
            reqwest::Method::PUT,
            "/testing/clock",
            Some(json!({"OffsetSeconds": -60})),
        )
        .await;
    assert!(problem(refused, 400).await.contains("ahead of real time"));
    let both = suite
        .send(
            reqwest::Method::PUT,
            "/testing/clock",
            Some(json!({"OffsetSeconds": 1, "Now": tomorrow})),
        )
        .await;
    problem(both, 400).await;
    let reading = json_ok(
        suite
            .send(reqwest::Method::GET, "/testing/clock", None)
            .await,
    )
    .await;
    assert_eq!(reading["IsRealTime"], true);

    // Two days on: the window has closed, and the allocation places every learner.
    let moved = json_ok(
        suite
            .send(
                reqwest::Method::PUT,
                "/testing/clock",
                Some(json!({"OffsetSeconds": 2 * 86_400})),
            )
            .await,
    )
    .await;
    assert_eq!(moved["IsRealTime"], false);
    assert_eq!(moved["OffsetSeconds"], 172_800.0);
    let now =
        chrono::DateTime::parse_from_rfc3339(moved["Now"].as_str().expect("Now")).expect("date");
    assert!(now > chrono::Utc::now() + chrono::Duration::days(2) - chrono::Duration::minutes(1));
    assert_eq!(
        json_ok(suite.get(&choice, &ada_token).await).await["IsOpen"],
        false
    );
    let mut placed = Vec::new();
    for _ in 0..200 {
        let groups = suite.groups(&token, bio, teams).await;
        placed = groups.iter().flat_map(|(_, m)| m.clone()).collect();
        placed.sort_unstable();
        if placed == learners {
            assert!(groups.iter().all(|(_, m)| m.len() <= 2), "{groups:?}");
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        placed, learners,
        "the allocation after expiry placed every learner"
    );

    // Back to real time, and a reset leaves the clock there too.
    let real = json_ok(
        suite
            .send(reqwest::Method::DELETE, "/testing/clock", None)
            .await,
    )
    .await;
    assert_eq!(real["IsRealTime"], true);
    assert_eq!(
        json_ok(suite.get(&choice, &ada_token).await).await["IsOpen"],
        true
    );
    json_ok(
        suite
            .send(
                reqwest::Method::PUT,
                "/testing/clock",
                Some(json!({"Now": tomorrow})),
            )
            .await,
    )
    .await;
    let reset = suite
        .send(reqwest::Method::POST, "/testing/reset", None)
        .await;
    assert_eq!(json_ok(reset).await, ids);
    let reading = json_ok(
        suite
            .send(reqwest::Method::GET, "/testing/clock", None)
            .await,
    )
    .await;
    assert_eq!(reading["IsRealTime"], true);
    problem(suite.get(&status, &token).await, 404).await;
    // A method the route does not serve.
    let wrong = suite
        .send(reqwest::Method::GET, "/testing/reset", None)
        .await;
    assert_eq!(wrong.status(), 405);
}

#[test]
fn seed_refuses_a_bad_file_naming_the_entry_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("seed-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = common::fresh_database_url();
    // `seed`, like every command but `serve` and `migrate`, never creates a database.
    let out = run(&url, &["seed", "/no/such/world.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    };

    // A typo in an optional key is an error, not a silent default (JSON this time).
    let typo = write(
        "typo.json",
        r#"{"courses": [{"Code": "C-1", "Name": "One", "GroupCategories": [
             {"Name": "G", "EnrollmentStyle": 0, "NumberOfGroups": 1, "AutoEnrol": true}]}]}"#,
    );
    let out = run(&url, &["seed", &typo]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("courses[0].GroupCategories[0]") && err.contains("AutoEnrol"),
        "{err}"
    );

    // The API's own form rules, each refusal naming its entry.
    let rules = write(
        "rules.yaml",
        "users:\n  - {UserName: ok, FirstName: A, LastName: B, Role: Student}\n  - {UserName: has space, FirstName: A, LastName: B, Role: Student}\n\
         courses:\n  - Code: C-1\n    Name: One\n    GroupCategories:\n      - {Name: G, EnrollmentStyle: 1}\n",
    );
    let out = run(&url, &["seed", &rules]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("users[1].UserName:"), "{err}");
    assert!(
        err.contains("courses[0].GroupCategories[0].MaxUsersPerGroup:"),
        "{err}"
    );

    // What only the database can say (no such user), after users and a course were written:
    // all of it rolled back.
    let late = write(
        "late.yaml",
        "users:\n  - {UserName: zed, FirstName: Z, LastName: Z, Role: Student}\n\
         courses:\n  - Code: C-1\n    Name: One\n    Enrollments:\n      - {User: zed, Role: Student}\n      - {User: nobody, Role: Student}\n",
    );
    let out = run(&url, &["seed", &late]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("nothing was seeded") && err.contains("courses[0].Enrollments[1].User"),
        "{err}"
    );

    // Nothing was kept: the same user and course seed cleanly now.
    let good = write(
        "good.yaml",
        "users:\n  - {UserName: zed, FirstName: Z, LastName: Z, Role: Student}\n\
         courses:\n  - Code: C-1\n    Name: One\n    Enrollments:\n      - {User: zed, Role: Student}\n",
    );
    let out = run(&url, &["seed", &good]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ids: Value = serde_json::from_slice(&out.stdout).expect("the ids, as JSON");
    assert!(ids["users"]["zed"].as_i64().is_some(), "{ids}");
    assert!(ids["courses"]["C-1"]["id"].as_i64().is_some(), "{ids}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn the_test_routes_do_not_exist_without_test_mode() {
    let app = common::spawn_app().await;
    let http = Client::new();
    for (method, path) in [
        (reqwest::Method::POST, "/testing/reset"),
        (reqwest::Method::GET, "/testing/seed"),
        (reqwest::Method::GET, "/testing/clock"),
        (reqwest::Method::PUT, "/testing/clock"),
        (reqwest::Method::DELETE, "/testing/clock"),
    ] {
        let res = http
            .request(method.clone(), app.url(path))
            .json(&json!({"OffsetSeconds": 60}))
            .send()
            .await
            .expect("request");
        let detail = problem(res, 404).await;
        assert!(
            detail.contains("No route matches"),
            "{method} {path}: {detail}"
        );
    }
    assert!(app.state.clock.offset().is_zero());
}

#[test]
fn test_mode_is_refused_on_a_non_loopback_address_unless_forced() {
    let url = common::fresh_database_url();
    let out = Command::new(BIN)
        .args(["serve", "--bind", "0.0.0.0:0", "--test-mode"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("serve");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("test mode is refused on 0.0.0.0:0"), "{err}");
    assert!(err.contains("--test-mode-allow-remote"), "{err}");

    // Forced, it serves (and says loudly what it is).
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "0.0.0.0:0",
            "--test-mode",
            "--test-mode-allow-remote",
        ])
        .env("DATABASE_URL", &url)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut warned = false;
    let mut serving = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        warned |= line.contains("TEST MODE");
        if line.contains("\"serving\"") {
            serving = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned && serving, "forced test mode serves, warning first");
}
