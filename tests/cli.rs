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
    let url = common::fresh_database_url();
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
