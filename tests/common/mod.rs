//! Test harness: each test gets its own server on port 0 and its own database — a fresh SQLite
//! file, or a fresh schema in the PostgreSQL database named by `TEST_DATABASE_URL`.
//!
//! `answers` checks what the server answers, `bodies` builds the forms it takes, `fixtures`
//! sets up what tests build on; all three are re-exported, so `use common::*` brings them.
//!
//! The benchmarks include this module too (`benches/support/mod.rs`) and use only part of it,
//! hence `dead_code` is allowed.
#![allow(dead_code)]

mod answers;
mod bodies;
mod fixtures;

pub use answers::*;
pub use bodies::*;
// A bench that uses none of the fixtures would otherwise be told this import is unused.
#[allow(unused_imports)]
pub use fixtures::*;

use std::net::TcpListener;
use std::sync::Arc;

use chrono::Utc;
use d2l_groups::app::server;
use d2l_groups::auth::scopes::ScopeSet;
use d2l_groups::auth::tokens::{Claims, ScopeClaim, CLI_CLIENT_ID};
use d2l_groups::config::{RateLimitSettings, Settings};
use d2l_groups::db::rows::SigningKeyRow;
use d2l_groups::schema::{institutions, signing_keys};
use d2l_groups::state::AppState;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};

pub const V: &str = "1.47";
/// The default institution's root org unit.
pub const ROOT: i64 = 6606;

pub struct TestApp {
    pub address: String,
    pub state: Arc<AppState>,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The bootstrap admin's token, all scopes.
    pub admin: String,
    /// Stopped when the app is dropped, so that its state and its pool's connections go: a
    /// test that starts many apps (tests/it/freshness.rs) would otherwise hold them all.
    server: actix_web::dev::ServerHandle,
    /// Dropped last: the schema or file goes when the test's last app on it does.
    _database: Arc<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop at once; nothing needs to wait for it to finish.
        drop(self.server.stop(false));
    }
}

/// A database for one test: a new SQLite file, or a new schema on PostgreSQL. Dropping it
/// removes the file or drops the schema, so that a run leaves nothing behind (a schema still
/// locked by a server that outlives its test is left, after a few seconds' wait). It reads as
/// its URL (`&db`, `format!("{db}")`).
pub struct TestDatabase {
    pub url: String,
    leftover: Leftover,
}

enum Leftover {
    Schema { server: String, name: String },
    File(std::path::PathBuf),
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl AsRef<std::ffi::OsStr> for TestDatabase {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.url.as_ref()
    }
}

impl std::fmt::Display for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.leftover {
            Leftover::Schema { server, name } => {
                if let Ok(mut conn) = PgConnection::establish(server) {
                    let _ = conn.batch_execute(&format!(
                        "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {name} CASCADE"
                    ));
                }
            }
            Leftover::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
        }
    }
}

/// A new database for one test; see [`TestDatabase`].
pub fn fresh_database_url() -> TestDatabase {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                PgConnection::establish(&url).expect("TEST_DATABASE_URL must be reachable");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
            let sep = if url.contains('?') { '&' } else { '?' };
            TestDatabase {
                url: format!("{url}{sep}options=-csearch_path%3D{schema}"),
                leftover: Leftover::Schema {
                    server: url,
                    name: schema,
                },
            }
        }
        _ => {
            let dir = std::env::temp_dir().join("d2l-groups-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{}.db", uuid::Uuid::new_v4().simple()));
            TestDatabase {
                url: format!("sqlite://{}", path.display()),
                leftover: Leftover::File(path),
            }
        }
    }
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::new(database_url);
    settings.database_pool_size = 4;
    settings.workers = 1;
    // Each test its own ID-key secret, never a file in the working directory.
    settings.secret_key_file =
        d2l_groups::auth::id_key::SecretKeyFile::new(std::env::temp_dir().join(format!(
            "d2l-groups-tests/{}.secret",
            uuid::Uuid::new_v4().simple()
        )));
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Rate limits small enough to exhaust in a test.
pub async fn spawn_app_with_rate_limit(credits: u32, cost: u32) -> TestApp {
    spawn_app_with(|s| s.rate_limit = RateLimitSettings::new(credits, cost).expect("valid limits"))
        .await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = Arc::new(fresh_database_url());
    let mut settings = test_settings(&database.url);
    adjust(&mut settings);
    serve(settings, database).await
}

impl TestApp {
    /// Another server on this app's database, as a second process behind a load balancer
    /// would be: its own pool, caches, change listener and rate limiter, sharing only the
    /// database (and the ID-key secret, as processes of one deployment do).
    pub async fn another_process(&self) -> TestApp {
        let mut settings = test_settings(&self.database_url);
        settings.secret_key_file = self.state.settings.secret_key_file.clone();
        settings.rate_limit = self.state.settings.rate_limit;
        serve(settings, self._database.clone()).await
    }
}

/// Starts a server with `settings` on `database`.
async fn serve(settings: Settings, database: Arc<TestDatabase>) -> TestApp {
    let database_url = database.url.clone();
    let state = actix_web::rt::task::spawn_blocking(move || AppState::initialize(settings))
        .await
        .expect("initialize thread")
        .expect("initialize");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let srv = server(state.clone(), listener).expect("server");
    let handle = srv.handle();
    actix_web::rt::spawn(srv);
    let admin = mint(&state, "admin", "*:*:*", 3600);
    TestApp {
        address,
        state,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Below the server's 5 s keep-alive, so an idle pooled connection is never reused
            // just as the server closes it.
            .pool_idle_timeout(std::time::Duration::from_secs(3))
            .build()
            .expect("client"),
        database_url,
        admin,
        server: handle,
        _database: database,
    }
}

/// A token for a user of the default institution, as `d2l-groups token` prints it.
pub fn mint(state: &AppState, user: &str, scope: &str, ttl: i64) -> String {
    mint_in(
        state,
        d2l_groups::bootstrap::DEFAULT_ACRONYM,
        user,
        scope,
        ttl,
    )
}

pub fn mint_in(state: &AppState, institution: &str, user: &str, scope: &str, ttl: i64) -> String {
    let scopes = ScopeSet::parse(scope).expect("scope");
    state
        .db
        .read_sync(|conn| {
            let inst = d2l_groups::bootstrap::find_institution(conn, institution)?;
            let user = d2l_groups::bootstrap::find_user_by_name_or_id(conn, inst.id, user)?;
            let key = state.tokens.signing_key(conn, inst.id)?;
            state
                .tokens
                .issue(&key, user.id, &scopes, CLI_CLIENT_ID, ttl)
        })
        .expect("mint token")
        .0
}

/// The default institution's signing key row and tenant id, for crafting tokens by hand.
pub fn signing_key(state: &AppState) -> (SigningKeyRow, String) {
    state
        .db
        .read_sync(|conn| {
            Ok(signing_keys::table
                .inner_join(institutions::table)
                .filter(institutions::acronym.eq(d2l_groups::bootstrap::DEFAULT_ACRONYM))
                .select((SigningKeyRow::as_select(), institutions::tenant_id))
                .first(conn)?)
        })
        .expect("signing key")
}

/// Claims as the server issues them, for tests to alter before signing.
pub fn standard_claims(tenant: &str, user_id: i64) -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        iss: d2l_groups::config::DEFAULT_ISSUER.into(),
        aud: d2l_groups::config::DEFAULT_AUDIENCE.into(),
        sub: user_id.to_string(),
        tenantid: tenant.into(),
        scope: ScopeClaim::Text("*:*:*".into()),
        jti: uuid::Uuid::new_v4().to_string(),
        iat: now,
        nbf: now,
        exp: now + 600,
        client_id: Some(CLI_CLIENT_ID.into()),
        azp: None,
        grant_id: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `/d2l/api/lp/1.47{rest}`
    pub fn lp(&self, rest: &str) -> String {
        self.url(&format!("/d2l/api/lp/{V}{rest}"))
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, url: &str, token: &str) -> Response {
        self.send(Method::GET, url, Some(token), None).await
    }

    pub async fn post(&self, url: &str, token: &str, body: &Value) -> Response {
        self.send(Method::POST, url, Some(token), Some(body)).await
    }

    pub async fn put(&self, url: &str, token: &str, body: &Value) -> Response {
        self.send(Method::PUT, url, Some(token), Some(body)).await
    }

    pub async fn delete(&self, url: &str, token: &str) -> Response {
        self.send(Method::DELETE, url, Some(token), None).await
    }

    pub fn token_for(&self, user: &str, scope: &str) -> String {
        mint(&self.state, user, scope, 3600)
    }

    /// The id of a role of the default institution, by name.
    pub async fn role_id(&self, name: &str) -> i64 {
        let roles = json_ok(self.get(&self.lp("/roles/"), &self.admin).await).await;
        roles
            .as_array()
            .expect("roles array")
            .iter()
            .find(|r| r["DisplayName"] == name)
            .and_then(|r| r["Identifier"].as_str())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no role {name}"))
    }

    /// Creates a user through `POST /users/` (enrolled at the root with `role`); answers its id.
    pub async fn create_user(&self, user_name: &str, role: &str) -> i64 {
        let role_id = self.role_id(role).await;
        let body = user_body(user_name, role_id);
        let user = json_ok(self.post(&self.lp("/users/"), &self.admin, &body).await).await;
        user["UserId"].as_i64().expect("UserId")
    }

    /// Creates a course offering through `POST /courses/`; answers its org unit id.
    pub async fn create_course(&self, code: &str) -> i64 {
        let course = json_ok(
            self.post(&self.lp("/courses/"), &self.admin, &course_body(code))
                .await,
        )
        .await;
        course["Identifier"]
            .as_str()
            .expect("Identifier")
            .parse()
            .expect("numeric id")
    }

    /// Enrolls a user in an org unit with a role, as the admin.
    pub async fn enroll(&self, user_id: i64, org_unit_id: i64, role: &str) {
        let role_id = self.role_id(role).await;
        let body = json!({"OrgUnitId": org_unit_id, "UserId": user_id, "RoleId": role_id});
        json_ok(
            self.post(&self.lp("/enrollments/"), &self.admin, &body)
                .await,
        )
        .await;
    }

    /// Removes a user's enrollment in an org unit through
    /// `DELETE /enrollments/users/{user}/orgUnits/{org unit}`, as the admin; answers the
    /// enrollment removed.
    pub async fn unenroll(&self, user_id: i64, org_unit_id: i64) -> Value {
        let url = self.lp(&format!(
            "/enrollments/users/{user_id}/orgUnits/{org_unit_id}"
        ));
        json_ok(self.delete(&url, &self.admin).await).await
    }
}

/// The real binary serving on a free port, for tests of the process itself.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub address: String,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

pub const BIN: &str = env!("CARGO_BIN_EXE_d2l-groups");

impl ServerProcess {
    /// Starts `d2l-groups serve` on `database_url` with extra environment, and waits for the
    /// address it logs.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut command = std::process::Command::new(BIN);
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v["message"] == "serving" {
                        let _ = tx.send(v["address"].as_str().unwrap_or_default().to_string());
                    }
                }
                sink.lock().expect("log").push(line);
            }
        });
        let address = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the server logs the address it serves");
        Self {
            child,
            address,
            log,
            reader: Some(reader),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to end; answers its exit status.
    pub fn wait(&mut self, within: std::time::Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                // The log is read to its end once the process is gone.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return exit;
            }
            assert!(std::time::Instant::now() < deadline, "server did not stop");
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
