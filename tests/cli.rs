//! The binary as an operator uses it: `migrate` (twice), `token`, `client add`, and `serve`
//! answering those credentials, then stopping cleanly on SIGTERM.

mod common;

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
    let url = common::fresh_database_url();
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}

#[actix_web::test]
async fn serve_answers_cli_credentials_and_stops_on_sigterm() {
    let url = common::fresh_database_url();
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
}
