//! Setting the server up as an operator does, and the mistakes that used to pass in silence:
//! a malformed DATABASE_URL, a CLI command run against a database that is not there, a signing
//! key generated on every command, an in-memory database whose connections disagreed, a typo
//! in a JSON field, and the container's health check.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::json;

/// The binary run in `dir`, with DATABASE_URL set only when given (else its default,
/// `sqlite://d2l-groups.db`, relative to `dir`).
fn run_in(dir: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .env("SECRET_KEY_FILE", dir.join("test.secret"));
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("run d2l-groups")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that a command failed (exit 1, nothing on stdout) saying `says`; its stderr.
fn refused(out: &Output, what: &str, says: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what}");
    assert!(out.stdout.is_empty(), "{what}");
    let err = stderr(out);
    assert!(err.contains(says), "{what}: {err}");
    err
}

fn empty_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "d2l-groups-tests/dir-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn malformed_database_urls_are_refused_naming_the_accepted_forms() {
    let dir = empty_dir();
    for (url, says) in [
        ("postgres:127.0.0.1", "needs // after the scheme"),
        (
            "postgresql:db.example.edu/groups",
            "needs // after the scheme",
        ),
        ("mysql://u@localhost/groups", "the scheme \"mysql\""),
        ("postgres://u@localhost:99999/groups", "not a valid URL"),
    ] {
        for args in [&["migrate"][..], &["serve", "--bind", "127.0.0.1:0"][..]] {
            let err = refused(&run_in(&dir, Some(url), args), url, says);
            assert!(
                err.contains("sqlite::memory:") && err.contains("postgres://USER"),
                "{url}: names the accepted forms: {err}"
            );
        }
    }
    assert!(
        files_in(&dir).is_empty(),
        "no SQLite file made of a mistaken URL: {:?}",
        files_in(&dir)
    );
}

#[test]
fn commands_other_than_migrate_and_serve_never_create_a_database() {
    let dir = empty_dir();
    let commands: &[&[&str]] = &[
        &["token", "--user", "admin"],
        &[
            "client",
            "add",
            "--name",
            "x",
            "--user",
            "admin",
            "--scope",
            "users:*:*",
        ],
        &["client", "list"],
        &["institution", "add", "--acronym", "UOC", "--name", "U"],
        &["role", "auto-enroll", "--role", "Student", "on"],
        &["app", "list"],
        &["jobs", "list"],
    ];
    for args in commands {
        // The default URL, relative to a directory holding no database: as an operator who
        // runs `token` from the wrong directory.
        let what = format!("{args:?}");
        let err = refused(
            &run_in(&dir, None, args),
            &what,
            "no SQLite database at d2l-groups.db",
        );
        assert!(err.contains("migrate"), "{what}: {err}");
        assert!(
            files_in(&dir).is_empty(),
            "{args:?} made {:?}",
            files_in(&dir)
        );
        // An in-memory database would vanish with the command: refused too.
        refused(
            &run_in(&dir, Some("sqlite::memory:"), args),
            &what,
            "in-memory",
        );
    }
    refused(
        &run_in(&dir, Some("sqlite::memory:"), &["migrate"]),
        "migrate",
        "in-memory",
    );

    // A database that exists but was never migrated (an empty file, or a PostgreSQL schema):
    // refused, and left as it was.
    let database = fresh_database_url();
    if !is_postgres() {
        std::fs::write(database.trim_start_matches("sqlite://"), b"").expect("empty file");
    }
    let out = run_in(&dir, Some(&database), &["token", "--user", "admin"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("never set up"), "{}", stderr(&out));
    let db = d2l_groups::db::Db::connect(&database, 1).expect("connect");
    let tables = db.read_sync(d2l_groups::db::institutions::any);
    assert!(tables.is_err(), "no table was created: {tables:?}");

    // After `migrate` the same commands work, from any directory.
    let out = run_in(&dir, Some(&database), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_in(&empty_dir(), Some(&database), &["token", "--user", "admin"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn signing_keys(database_url: &str) -> i64 {
    use d2l_groups::schema::signing_keys;
    use diesel::prelude::*;
    let db = d2l_groups::db::Db::connect(database_url, 1).expect("connect");
    db.read_sync(|conn| Ok(signing_keys::table.count().get_result::<i64>(conn)?))
        .expect("count keys")
}

#[test]
fn a_signing_key_is_made_once_when_an_institution_is_made() {
    let dir = empty_dir();
    let database = fresh_database_url();
    let out = run_in(&dir, Some(&database), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(signing_keys(&database), 1);
    for args in [
        &["migrate"][..],
        &["token", "--user", "admin"][..],
        &["token", "--user", "admin"][..],
        &[
            "client",
            "add",
            "--name",
            "x",
            "--user",
            "admin",
            "--scope",
            "users:*:*",
        ][..],
    ] {
        let out = run_in(&dir, Some(&database), args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(signing_keys(&database), 1, "no command made another key");
    let out = run_in(
        &dir,
        Some(&database),
        &["institution", "add", "--acronym", "UOC", "--name", "U of C"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(signing_keys(&database), 2, "the new institution's own key");
    let out = run_in(
        &dir,
        Some(&database),
        &["institution", "add", "--acronym", "uoc", "--name", "Again"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    assert_eq!(
        signing_keys(&database),
        2,
        "a refused institution made no key"
    );
}

/// `sqlite::memory:` is one database for every pooled connection: what one request writes,
/// the next (on whichever connection) reads, under concurrent writers.
#[actix_web::test]
async fn an_in_memory_database_is_shared_by_the_whole_pool() {
    let app = spawn_app_with(|s| {
        s.database_url = "sqlite::memory:".into();
        s.database_pool_size = 4;
    })
    .await;
    let course = app.create_course("MEM-1").await;
    let writers = (0..24).map(|i| {
        let app = &app;
        async move {
            let user = app.create_user(&format!("mem{i}"), "Student").await;
            app.enroll(user, course, "Student").await;
            user
        }
    });
    let users = futures_util::future::join_all(writers).await;
    let res = app
        .get(
            &app.lp(&format!("/enrollments/orgUnits/{course}/users/")),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    let listed = body["Items"].as_array().expect("Items").len();
    assert_eq!(listed, users.len(), "every enrollment on every connection");
}

#[actix_web::test]
async fn strict_input_refuses_unknown_fields_naming_the_nearest_known_one() {
    let typo = category_form("Labs", json!(0), json!({"NumberOfGroups": 2}));
    let mut typo = typo.as_object().expect("object").clone();
    typo.remove("AutoEnroll");
    typo.insert("AutoEnrol".into(), json!(true));
    let typo = serde_json::Value::Object(typo);

    // Off by default: Brightspace ignores the field, and so do we.
    let lenient = spawn_app().await;
    let course = lenient.create_course("STRICT-0").await;
    let url = lenient.lp(&format!("/{course}/groupcategories/"));
    let res = lenient.post(&url, &lenient.admin, &typo).await;
    assert_eq!(res.status(), 202);

    let strict = spawn_app_with(|s| s.strict_input = true).await;
    let course = strict.create_course("STRICT-1").await;
    let url = strict.lp(&format!("/{course}/groupcategories/"));
    let res = strict.post(&url, &strict.admin, &typo).await;
    let detail = problem(res, 400).await;
    assert!(detail.starts_with("AutoEnrol: unknown field"), "{detail}");
    assert!(detail.contains("Did you mean \"AutoEnroll\"?"), "{detail}");
    let listed = strict.get(&url, &strict.admin).await;
    let listed: serde_json::Value = listed.json().await.expect("json");
    assert_eq!(listed, json!([]), "nothing was created");

    // A field nothing resembles is named without a guess; a correct body passes.
    let mut odd = typo.as_object().expect("object").clone();
    odd.remove("AutoEnrol");
    odd.insert("Colour".into(), json!("red"));
    let res = strict
        .post(&url, &strict.admin, &serde_json::Value::Object(odd))
        .await;
    let detail = problem(res, 400).await;
    assert!(detail.starts_with("Colour: unknown field"), "{detail}");
    assert!(!detail.contains("Did you mean"), "{detail}");
    let good = category_form("Labs", json!(0), json!({"NumberOfGroups": 2}));
    let res = strict.post(&url, &strict.admin, &good).await;
    assert_eq!(res.status(), 202);
}

#[test]
fn healthcheck_asks_the_local_server_for_healthz() {
    let database = fresh_database_url();
    let server = ServerProcess::start(&database, &[]);
    let out = Command::new(BIN)
        .args(["healthcheck"])
        .env("BIND_ADDRESS", &server.address)
        .output()
        .expect("run healthcheck");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("200"));
    drop(server);

    // Nothing listening: unhealthy, exit 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = Command::new(BIN)
        .args(["healthcheck", "--bind", &format!("0.0.0.0:{port}")])
        .output()
        .expect("run healthcheck");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("127.0.0.1:{port}")),
        "{}",
        stderr(&out)
    );
}
