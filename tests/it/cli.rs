//! The binary as an operator uses it: `migrate` (twice), `token`, `client add`, and `serve`
//! answering those credentials, then stopping cleanly on SIGTERM; `jobs list|retry|discard`
//! on dead jobs.

use crate::common;

use std::process::{Command, Output};
use std::time::Duration;

use common::BIN;

fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups")
}

/// A new database set up as an operator's first step does it: `migrate`.
fn migrated_database() -> common::TestDatabase {
    let url = common::fresh_database_url();
    let out = run(&url, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    url
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn migrate_twice_is_harmless() {
    let url = common::fresh_database_url();
    for _ in 0..2 {
        let out = run(&url, &["migrate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout(&out).contains("migrations applied"));
    }
}

#[test]
fn token_refuses_unknown_users_and_bad_arguments() {
    let url = migrated_database();
    let out = run(&url, &["token", "--user", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    let out = run(
        &url,
        &["token", "--user", "admin", "--scope", "not-a-scope"],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&url, &["token", "--user", "admin", "--ttl", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run("mysql://localhost/x", &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the scheme \"mysql\""));
}

#[actix_web::test]
async fn serve_answers_cli_credentials_and_stops_on_sigterm() {
    let url = migrated_database();
    // Credentials made before the server starts: the server must accept them.
    let token = run(
        &url,
        &[
            "token",
            "--user",
            "1000",
            "--scope",
            "users:own_profile:read",
            "--ttl",
            "600",
        ],
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = stdout(&token).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let client = run(
        &url,
        &[
            "client",
            "add",
            "--name",
            "ci",
            "--user",
            "admin",
            "--scope",
            "users:*:*",
        ],
    );
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let printed = stdout(&client);
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {printed}"))
            .to_string()
    };
    let (client_id, client_secret) = (field("client_id"), field("client_secret"));

    let mut server = common::ServerProcess::start(&url, &[]);
    let address = server.address.clone();
    let http = reqwest::Client::new();

    let me = http
        .get(format!("http://{address}/d2l/api/lp/1.47/users/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("whoami");
    assert_eq!(me.status(), 200);
    let request_id = me
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("X-Request-Id")
        .to_string();
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["UniqueName"], "admin");

    let issued = http
        .post(format!("http://{address}/core/connect/token"))
        .basic_auth(&client_id, Some(&client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=users:own_profile:read")
        .send()
        .await
        .expect("token");
    assert_eq!(issued.status(), 200);
    let issued: serde_json::Value = issued.json().await.expect("json");
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["scope"], "users:own_profile:read");

    server.signal("-TERM");
    let exit = server.wait(Duration::from_secs(20));
    assert!(exit.success(), "exit status {exit:?}");
    let log = server.log.lock().expect("log").clone();
    assert!(
        log.iter().any(|l| l.contains("\"stopped\"")),
        "log ends with a stop: {log:?}"
    );
    // Structured logs: the request's line carries the id answered in X-Request-Id.
    let line = log
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["message"] == "request completed" && v["span"]["request_id"] == request_id.as_str()
        })
        .unwrap_or_else(|| panic!("no log line for request {request_id}: {log:?}"));
    assert_eq!(line["status"], 200);
    assert_eq!(line["span"]["path"], "/d2l/api/lp/1.47/users/whoami");
    assert!(line["elapsed_ms"].as_f64().is_some());
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (install the openssl package)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-s", "-S"])
        .args(args)
        .output()
        .expect("curl (install the curl package)")
}

#[test]
fn serve_speaks_https_when_given_a_certificate() {
    let url = migrated_database();
    let dir = std::env::temp_dir().join(format!("d2l-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = self_signed(&dir);
    let token = run(&url, &["token", "--user", "admin"]);
    assert!(token.status.success());
    let token = stdout(&token).trim().to_string();

    let server = common::ServerProcess::start(
        &url,
        &[
            ("TLS_CERT_FILE", cert.to_str().expect("path")),
            ("TLS_KEY_FILE", key.to_str().expect("path")),
        ],
    );
    let base = format!("https://{}", server.address);
    let cacert = cert.to_str().expect("path");

    let versions = curl(&["--cacert", cacert, &format!("{base}/d2l/api/versions/")]);
    assert!(
        versions.status.success(),
        "{}",
        String::from_utf8_lossy(&versions.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&versions.stdout).expect("json");
    assert_eq!(body[0]["ProductCode"], "lp");

    let me = curl(&[
        "--cacert",
        cacert,
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{base}/d2l/api/lp/1.47/users/whoami"),
    ]);
    let me: serde_json::Value = serde_json::from_slice(&me.stdout).expect("json");
    assert_eq!(me["UniqueName"], "admin");

    // The certificate is what clients verify: without it, curl refuses the connection.
    let untrusted = curl(&[&format!("{base}/d2l/api/versions/")]);
    assert!(!untrusted.status.success());
    // And plain HTTP on the TLS port gets no HTTP answer.
    let plain = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://{}/healthz", server.address),
    ]);
    assert_ne!(stdout(&plain), "200");

    // A missing key file is refused at start, before serving.
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("TLS_CERT_FILE", cert.to_str().expect("path"))
        .env(
            "TLS_KEY_FILE",
            dir.join("missing.pem").to_str().expect("path"),
        )
        .output()
        .expect("serve");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pem"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ENUM_ENCODING=names` answers enumerations by name, for clients written against servers
/// that sent names; numbers are still accepted. (A process answers one way, so this runs in a
/// process of its own; the suite's in-process servers answer numbers.)
#[actix_web::test]
async fn serve_answers_enumerations_by_name_when_asked() {
    let url = migrated_database();
    let token = run(&url, &["token", "--user", "admin", "--ttl", "600"]);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = stdout(&token).trim().to_string();
    let server = common::ServerProcess::start(&url, &[("ENUM_ENCODING", "names")]);
    let http = reqwest::Client::new();
    let course: serde_json::Value = http
        .post(server.url("/d2l/api/lp/1.47/courses/"))
        .bearer_auth(&token)
        .json(&common::course_body("ENUM-NAMES"))
        .send()
        .await
        .expect("course")
        .json()
        .await
        .expect("json");
    let course = course["Identifier"]
        .as_str()
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("a course: {course}"));
    let settings = http
        .post(server.url(&format!("/d2l/api/lp/1.47/{course}/sections/settings")))
        .bearer_auth(&token)
        .json(&common::section_settings(
            serde_json::json!(2),
            1,
            false,
            false,
            false,
        ))
        .send()
        .await
        .expect("settings");
    assert_eq!(settings.status(), 200);
    let settings: serde_json::Value = settings.json().await.expect("json");
    assert_eq!(
        settings["EnrollmentStyle"], "NumberOfSectionsAutoEnrollment",
        "{settings}"
    );
}

/// `BRIGHTSPACE_RELEASE` and `STRICT_VERSIONS` reach the served version table; a release
/// this server does not know is refused at start, naming the ones it does.
#[test]
fn serve_plays_the_brightspace_release_it_is_given() {
    let url = common::fresh_database_url();
    let migrated = run(&url, &["migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let server = common::ServerProcess::start(
        &url,
        &[
            ("BRIGHTSPACE_RELEASE", "20.26.6"),
            ("STRICT_VERSIONS", "true"),
        ],
    );
    let support = |version: &str| {
        let out = curl(&[&server.url(&format!("/d2l/api/lp/versions/{version}"))]);
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        body["Supported"].clone()
    };
    // 1.46 is deprecated in 20.26.6 (served); 1.45 obsolete, which strict refuses.
    assert_eq!(support("1.46"), true);
    assert_eq!(support("1.45"), false);
    assert_eq!(support("unstable"), true);
    drop(server);

    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("BRIGHTSPACE_RELEASE", "20.25.1")
        .output()
        .expect("serve");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("20.25.1") && said.contains("reference") && said.contains("20.26.6"),
        "{said}"
    );
}

// ---------------------------------------------------------------------------------------------
// jobs list | retry | discard

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_string).collect()
}

fn category_body(name: &str) -> serde_json::Value {
    common::category_form(
        name,
        serde_json::json!("NumberOfGroupsAutoEnrollment"),
        serde_json::json!({"NumberOfGroups": 2}),
    )
}

async fn create_category(app: &common::TestApp, course: i64, name: &str) -> i64 {
    let res = app
        .post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &category_body(name),
        )
        .await;
    assert_eq!(res.status(), 202);
    let job: serde_json::Value = res.json().await.expect("json");
    job["CategoryId"].as_i64().expect("CategoryId")
}

/// The one job of a category, by id.
fn job_of(app: &common::TestApp, category: i64) -> Option<d2l_groups::db::rows::Job> {
    use d2l_groups::schema::jobs;
    use diesel::prelude::*;
    app.state
        .db
        .read_sync(|conn| {
            Ok(jobs::table
                .filter(jobs::category_id.eq(category))
                .select(d2l_groups::db::rows::Job::as_select())
                .first(conn)
                .optional()?)
        })
        .expect("job")
}

/// Marks a job dead as the worker does after its last attempt.
fn kill_job(app: &common::TestApp, id: i64, attempts: i64, error: &str) {
    use d2l_groups::schema::jobs;
    use diesel::prelude::*;
    app.state
        .db
        .write_sync(|conn| {
            diesel::update(jobs::table.find(id))
                .set((
                    jobs::attempts.eq(attempts),
                    jobs::last_error.eq(error),
                    jobs::dead_at.eq(Some(chrono::Utc::now().naive_utc())),
                ))
                .execute(conn)?;
            Ok(())
        })
        .expect("kill job");
}

async fn status_of(app: &common::TestApp, course: i64, category: i64) -> reqwest::Response {
    app.get(
        &app.lp(&format!("/{course}/groupcategories/{category}/status")),
        &app.admin,
    )
    .await
}

#[actix_web::test]
async fn jobs_list_retry_and_discard_act_on_dead_jobs() {
    use d2l_groups::jobs::{run_next, Outcome, WorkerSettings};
    let app = common::spawn_app_with(|s| s.job_worker = false).await;
    let url = app.database_url.clone();
    let course = app.create_course("OPS-1").await;

    let out = run(&url, &["jobs", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out), vec!["no jobs"]);

    // A complete category with a dead allocation job, a category whose creation job is dead
    // (the error spans lines, as database errors can), and one whose job is simply due.
    let complete = create_category(&app, course, "Complete").await;
    assert_eq!(
        run_next(&app.state.db, &WorkerSettings::default()).expect("run"),
        Outcome::Done
    );
    let allocation = app
        .state
        .db
        .write_sync(|conn| {
            d2l_groups::jobs::enqueue(
                conn,
                d2l_groups::jobs::ALLOCATE_AFTER_EXPIRY,
                complete,
                chrono::Utc::now().naive_utc(),
            )?;
            Ok(())
        })
        .map(|()| job_of(&app, complete).expect("allocation job").id)
        .expect("enqueue");
    kill_job(&app, allocation, 10, "internal error: no room");
    let failed = create_category(&app, course, "Failed").await;
    let creation = job_of(&app, failed).expect("creation job").id;
    kill_job(&app, creation, 5, "internal error: boom\n  at line two");
    let pending = create_category(&app, course, "Pending").await;
    let due = job_of(&app, pending).expect("pending job").id;
    problem_404(status_of(&app, course, failed).await).await;

    let out = run(&url, &["jobs", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = lines(&out);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(
        all[0].starts_with(&format!(
            "job {allocation}: allocate_after_expiry for category {complete} of course {course}, dead since "
        )) && all[0].ends_with(", 10 attempts; last error: internal error: no room"),
        "{all:?}"
    );
    assert!(
        all[1].starts_with(&format!(
            "job {creation}: create_groups for category {failed} of course {course}, dead since "
        )) && all[1].ends_with(", 5 attempts; last error: internal error: boom at line two"),
        "{all:?}"
    );
    assert!(
        all[2].starts_with(&format!(
            "job {due}: create_groups for category {pending} of course {course}, due at "
        )) && all[2].ends_with(", 0 attempts"),
        "{all:?}"
    );
    let out = run(&url, &["jobs", "list", "--dead"]);
    assert!(out.status.success());
    assert_eq!(lines(&out), all[..2].to_vec());

    // Unknown ids and live jobs are refused, and change nothing.
    for action in ["retry", "discard"] {
        let out = run(&url, &["jobs", action, "999999"]);
        assert_eq!(out.status.code(), Some(1), "{action}");
        assert!(stderr(&out).contains("no job 999999"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
        let out = run(&url, &["jobs", action, &due.to_string()]);
        assert_eq!(out.status.code(), Some(1), "{action}");
        assert!(
            stderr(&out).contains(&format!("job {due} is not dead")),
            "{}",
            stderr(&out)
        );
        let out = run(&url, &["jobs", action, "x"]);
        assert_eq!(out.status.code(), Some(2), "clap refuses a non-number");
    }
    assert!(job_of(&app, pending).is_some());

    // retry: due again, attempts reset; the category is processing again.
    let out = run(&url, &["jobs", "retry", &creation.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            format!(
                "job {creation}: create_groups for category {failed} is due again, attempts reset"
            ),
            format!("category {failed} is processing again (Status 0) until the job completes it"),
        ]
    );
    let job = job_of(&app, failed).expect("job");
    assert_eq!((job.attempts, job.dead_at), (0, None));
    assert!(job.run_at <= chrono::Utc::now().naive_utc());
    let status = common::json_ok(status_of(&app, course, failed).await).await;
    assert_eq!(status["Status"], 0);
    let out = run(&url, &["jobs", "list", "--dead"]);
    assert_eq!(lines(&out), all[..1].to_vec());

    // discard of a complete category's job: the category stays as it was.
    let out = run(&url, &["jobs", "discard", &allocation.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            format!("job {allocation}: allocate_after_expiry for category {complete} discarded"),
            format!("category {complete} is kept as it is; the job's work is not done"),
        ]
    );
    assert!(job_of(&app, complete).is_none());
    let status = common::json_ok(status_of(&app, course, complete).await).await;
    assert_eq!(status["Status"], 1);

    // discard of a creation job: the never-created category goes with it.
    kill_job(&app, creation, 3, "internal error: boom again");
    let out = run(&url, &["jobs", "discard", &creation.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        vec![
            format!("job {creation}: create_groups for category {failed} discarded"),
            format!(
                "category {failed} was never created (no groups) and nothing would finish it; it is deleted"
            ),
        ]
    );
    let detail = problem_404(status_of(&app, course, failed).await).await;
    assert!(
        !detail.contains("creation failed"),
        "gone, not failed: {detail}"
    );
    let out = run(&url, &["jobs", "discard", &creation.to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!("no job {creation}")));

    let out = run(&url, &["jobs", "list", "--dead"]);
    assert!(out.status.success());
    assert_eq!(lines(&out), vec!["no dead jobs"]);
    let out = run(&url, &["jobs", "list"]);
    assert_eq!(lines(&out), all[2..].to_vec());
}

async fn problem_404(res: reqwest::Response) -> String {
    common::problem(res, 404).await
}

#[test]
fn jobs_commands_refuse_a_database_that_does_not_exist() {
    let url = if common::is_postgres() {
        let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
        let (server, _) = base.rsplit_once('/').expect("a database in the URL");
        format!("{server}/d2l_groups_no_such_database")
    } else {
        let path = std::env::temp_dir().join(format!(
            "d2l-groups-missing-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        format!("sqlite://{}", path.display())
    };
    let commands: &[&[&str]] = if common::is_postgres() {
        // One is enough: each waits out the pool's connection timeout.
        &[&["jobs", "list"]]
    } else {
        &[
            &["jobs", "list"],
            &["jobs", "list", "--dead"],
            &["jobs", "retry", "1"],
            &["jobs", "discard", "1"],
        ]
    };
    for args in commands {
        let out = run(&url, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(stdout(&out).is_empty(), "{args:?}");
        let err = stderr(&out);
        if common::is_postgres() {
            assert!(err.contains("d2l_groups_no_such_database"), "{err}");
        } else {
            assert!(err.contains("no SQLite database at"), "{err}");
            let path = url.trim_start_matches("sqlite://");
            assert!(
                !std::path::Path::new(path).exists(),
                "{args:?} created {path}"
            );
        }
    }
}
