//! A database outage (issue 8), PostgreSQL only: the server reaches PostgreSQL through a TCP
//! proxy that the test controls, so the outage is this one server's alone and the shared
//! PostgreSQL server is never stopped. An outage cuts every live connection and refuses new
//! ones (the proxy closes its listening socket); recovery listens on the same port again.
//!
//! While the database is away every database-backed route must answer 503 problem details with
//! `Retry-After`, within the pool's checkout timeout (2 s by default), never 401 (an outage is
//! not a bad token) and never 500, and no answer may carry the database's error text; once it
//! is back the server serves again by itself, with every write it acknowledged.

use crate::common::*;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// The default checkout timeout: the longest a database-backed answer may take in an outage.
const FAST: Duration = Duration::from_secs(2);
/// `/readyz` is what orchestrators poll; it must answer sooner still.
const READY_FAST: Duration = Duration::from_secs(1);
/// How long the server may take to serve again once the database is back.
const RECOVERY: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// The proxy
// ---------------------------------------------------------------------------------------------

/// A TCP proxy in front of PostgreSQL, on its own thread and runtime: the test thread blocks in
/// `read_sync` and friends, and the bytes those calls need must keep flowing meanwhile.
struct Proxy {
    port: u16,
    /// `true` while the proxy forwards. Dropping it ends the proxy.
    up: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let (up, watch) = watch::channel(true);
        let thread = std::thread::Builder::new()
            .name("pg-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                runtime.block_on(async move {
                    let first = TcpListener::from_std(listener).expect("proxy listener");
                    serve(first, port, upstream, watch).await;
                });
            })
            .expect("proxy thread");
        Self {
            port,
            up: Some(up),
            thread: Some(thread),
        }
    }

    /// The outage: every live connection is closed and new ones are refused.
    fn cut(&self) {
        self.up.as_ref().expect("proxy running").send_replace(false);
        // The proxy's thread closes the sockets; give it a moment.
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Recovery: the same port accepts and forwards again.
    fn restore(&self) {
        self.up.as_ref().expect("proxy running").send_replace(true);
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Closing the channel ends every task of the proxy.
        self.up.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts and forwards while up; closes the listening socket while down (connections are
/// refused) and binds the same port again when up. Ends when the control channel closes.
async fn serve(first: TcpListener, port: u16, upstream: SocketAddr, mut up: watch::Receiver<bool>) {
    // Each connection watches the switch through its own receiver.
    let for_connections = up.clone();
    let mut listener = Some(first);
    loop {
        let current = match listener.take() {
            Some(l) => l,
            None => match rebind(port) {
                Ok(l) => l,
                Err(e) => panic!("the proxy cannot listen on port {port} again: {e}"),
            },
        };
        loop {
            tokio::select! {
                accepted = current.accept() => {
                    if let Ok((client, _)) = accepted {
                        tokio::spawn(forward(client, upstream, for_connections.clone()));
                    }
                }
                changed = up.wait_for(|u| !*u) => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
        drop(current);
        if up.wait_for(|u| *u).await.is_err() {
            return;
        }
    }
}

fn rebind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

/// Forwards one connection until either side closes it or the outage cuts it.
async fn forward(mut client: TcpStream, upstream: SocketAddr, mut up: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = up.wait_for(|u| !*u) => {}
    }
}

/// PostgreSQL's address, from `TEST_DATABASE_URL`.
fn upstream() -> SocketAddr {
    let url = url::Url::parse(&std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL"))
        .expect("TEST_DATABASE_URL is a URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}")
        .parse()
        .expect("TEST_DATABASE_URL names an IP address and port")
}

/// The per-test URL with its host and port replaced by the proxy's; its options (the test's
/// schema) are kept.
fn through_proxy(database_url: &str, port: u16) -> String {
    let mut url = url::Url::parse(database_url).expect("database URL");
    url.set_host(Some("127.0.0.1")).expect("set host");
    url.set_port(Some(port)).expect("set port");
    url.to_string()
}

/// A server whose database is reached through `proxy`; answers it and what no answer may name.
async fn app_behind(proxy: &Proxy) -> (TestApp, Vec<String>) {
    let port = proxy.port;
    let app = spawn_app_with(move |s| s.database_url = through_proxy(&s.database_url, port)).await;
    let direct = url::Url::parse(&app.database_url).expect("database URL");
    let upstream = upstream();
    let mut secret = vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        port.to_string(),
        upstream.port().to_string(),
        upstream.ip().to_string(),
    ];
    let database = direct.path().trim_start_matches('/').to_string();
    if !database.is_empty() {
        secret.push(database);
    }
    // The schema of this test, from `options=-csearch_path=...`.
    for (key, value) in direct.query_pairs() {
        if key == "options" {
            if let Some(schema) = value.split('=').nth(1) {
                secret.push(schema.to_string());
            }
        }
    }
    secret.sort();
    secret.dedup();
    (app, secret)
}

// ---------------------------------------------------------------------------------------------
// Checking answers
// ---------------------------------------------------------------------------------------------

/// Words of a database error that no answer may carry, case-insensitively.
const DATABASE_WORDS: &[&str] = &["connection", "postgres", "refused", "r2d2"];

/// Whether `text` holds `needle` as a token of its own (not inside a longer word or number).
fn holds_token(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// What an answer may not carry: the database's words, host, port, database or schema.
fn leaks(body: &str, secret: &[String]) -> Vec<String> {
    let lower = body.to_lowercase();
    let mut found: Vec<String> = DATABASE_WORDS
        .iter()
        .filter(|w| lower.contains(*w))
        .map(|w| w.to_string())
        .collect();
    found.extend(secret.iter().filter(|s| holds_token(body, s)).cloned());
    found
}

/// One answer, timed.
struct Answer {
    label: String,
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: String,
    took: Duration,
}

impl Answer {
    fn describe(&self) -> String {
        let body: String = self.body.chars().take(300).collect();
        format!(
            "{}: {} in {:?} (Retry-After {:?}, content type {:?}) {body}",
            self.label, self.status, self.took, self.retry_after, self.content_type
        )
    }
}

/// A client that gives up well after the old 10 s stall, so that a stall is measured and
/// reported rather than waited out forever; it never reuses connections across the outage.
fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client")
}

async fn call(label: &str, request: reqwest::RequestBuilder) -> Answer {
    let start = Instant::now();
    match request.send().await {
        Ok(res) => {
            let header = |name: &str| {
                res.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = header("retry-after");
            let content_type = header("content-type").unwrap_or_default();
            let status = res.status().as_u16();
            let body = res
                .text()
                .await
                .unwrap_or_else(|e| format!("<unreadable: {e}>"));
            Answer {
                label: label.to_string(),
                status,
                retry_after,
                content_type,
                body,
                took: start.elapsed(),
            }
        }
        Err(e) => Answer {
            label: label.to_string(),
            status: 0,
            retry_after: None,
            content_type: String::new(),
            body: format!("<no answer: {e}>"),
            took: start.elapsed(),
        },
    }
}

/// What an answer during the outage must be.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// 503 problem details with `Retry-After`, within `FAST`.
    Unavailable,
    /// The token endpoint: 503 with `Retry-After`, never `invalid_client`, within `FAST`.
    TokenUnavailable,
    /// `/readyz`: 503 within `READY_FAST`.
    NotReady,
    /// Needs no database: 200.
    Served,
    /// May be served from memory or not: 200 or 503, within `FAST`.
    ServedOrUnavailable,
}

/// The problems of one answer given during the outage (empty when it is right).
fn judge(answer: &Answer, expect: Expect, secret: &[String]) -> Vec<String> {
    let mut wrong = Vec::new();
    let limit = if expect == Expect::NotReady {
        READY_FAST
    } else {
        FAST
    };
    if answer.took >= limit {
        wrong.push(format!("took {:?}, not under {limit:?}", answer.took));
    }
    match answer.status {
        401 => wrong.push("401: an outage is not a bad token".into()),
        500..=502 | 504..=599 => wrong.push(format!("{}: must be 503", answer.status)),
        _ => {}
    }
    let leaked = leaks(&answer.body, secret);
    if !leaked.is_empty() {
        wrong.push(format!("the answer carries database details {leaked:?}"));
    }
    let unavailable = |wrong: &mut Vec<String>| {
        if answer.status != 503 {
            wrong.push(format!("status {}, want 503", answer.status));
        }
        match answer.retry_after.as_deref().map(str::parse::<u64>) {
            Some(Ok(secs)) if secs >= 1 => {}
            other => wrong.push(format!(
                "Retry-After should be whole seconds, got {:?} ({other:?})",
                answer.retry_after
            )),
        }
    };
    match expect {
        Expect::Unavailable => {
            unavailable(&mut wrong);
            if answer.content_type != "application/problem+json" {
                wrong.push(format!(
                    "content type {:?}, want application/problem+json",
                    answer.content_type
                ));
            }
            match serde_json::from_str::<Value>(&answer.body) {
                Ok(body) if body["status"] == 503 && body["detail"].is_string() => {}
                _ => wrong.push("the body is not a 503 problem".into()),
            }
        }
        Expect::TokenUnavailable => {
            unavailable(&mut wrong);
            if answer.body.contains("invalid_client") {
                wrong.push("invalid_client: an outage is not a bad client".into());
            }
        }
        Expect::NotReady => {
            if answer.status != 503 {
                wrong.push(format!("status {}, want 503", answer.status));
            }
        }
        Expect::Served => {
            if answer.status != 200 {
                wrong.push(format!("status {}, want 200", answer.status));
            }
        }
        Expect::ServedOrUnavailable => {
            if answer.status != 200 && answer.status != 503 {
                wrong.push(format!("status {}, want 200 or 503", answer.status));
            }
        }
    }
    wrong
}

// ---------------------------------------------------------------------------------------------
// Setup helpers
// ---------------------------------------------------------------------------------------------

fn token_request(
    client: &reqwest::Client,
    app: &TestApp,
    client_id: &str,
    secret: &str,
) -> reqwest::RequestBuilder {
    client
        .post(app.url("/core/connect/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .basic_auth(client_id, Some(secret))
        .body("grant_type=client_credentials")
}

fn skip_on_sqlite(test: &str) -> bool {
    if is_postgres() {
        return false;
    }
    println!("{test}: PostgreSQL only (set TEST_DATABASE_URL); skipped on SQLite");
    true
}

/// Polls until `url` answers 200 as the admin; panics after `RECOVERY`.
async fn wait_until_served(app: &TestApp, client: &reqwest::Client, url: &str) -> Duration {
    let start = Instant::now();
    loop {
        let answer = call(url, client.get(url).bearer_auth(&app.admin)).await;
        if answer.status == 200 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < RECOVERY,
            "the server did not recover by itself within {RECOVERY:?}; last answer {}",
            answer.describe()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn an_outage_is_a_fast_503_everywhere_and_the_server_recovers_by_itself() {
    if skip_on_sqlite("outage") {
        return;
    }
    let proxy = Proxy::start(upstream());
    let (app, secret) = app_behind(&proxy).await;
    let client = probe_client();
    let student = app.role_id("Student").await;

    // Writes acknowledged before the outage.
    let course = app.create_course("OUTAGE-1").await;
    let user = app.create_user("outage.kept", "Student").await;
    app.enroll(user, course, "Student").await;
    let leaver = app.create_user("outage.leaver", "Student").await;
    app.enroll(leaver, course, "Student").await;

    // An OAuth client's token from the token endpoint, used once so it is known and cached.
    let (client_id, client_secret) = register_client(&app, "*:*:*", "outage tests");
    let res = token_request(&client, &app, &client_id, &client_secret)
        .send()
        .await
        .expect("token request");
    let oauth = json_ok(res).await["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    json_ok(app.get(&app.lp("/users/whoami"), &oauth).await).await;
    json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    // A valid CLI token never presented before the outage.
    let fresh = app.token_for("admin", "*:*:*");
    // A section, whose memberships are enrollments (issue 11).
    let section = deal_sections(&app, course, 1).await[0]["SectionId"]
        .as_i64()
        .expect("SectionId");

    proxy.cut();

    let get = |url: String, token: &str| client.get(url).bearer_auth(token);
    let lp = |rest: &str| app.lp(rest);
    let probes: Vec<(&str, reqwest::RequestBuilder, Expect)> = vec![
        (
            "whoami, CLI token seen before",
            get(lp("/users/whoami"), &app.admin),
            Expect::Unavailable,
        ),
        (
            "whoami, CLI token never seen",
            get(lp("/users/whoami"), &fresh),
            Expect::Unavailable,
        ),
        (
            "whoami, OAuth client token",
            get(lp("/users/whoami"), &oauth),
            Expect::Unavailable,
        ),
        (
            "GET course, OAuth client token",
            get(lp(&format!("/courses/{course}")), &oauth),
            Expect::Unavailable,
        ),
        (
            "GET user",
            get(lp(&format!("/users/{user}")), &app.admin),
            Expect::Unavailable,
        ),
        (
            "GET enrollments of the course",
            get(
                lp(&format!("/enrollments/orgUnits/{course}/users/")),
                &app.admin,
            ),
            Expect::Unavailable,
        ),
        (
            "GET sections",
            get(lp(&format!("/{course}/sections/")), &app.admin),
            Expect::Unavailable,
        ),
        (
            "POST /users/",
            client
                .post(lp("/users/"))
                .bearer_auth(&app.admin)
                .json(&user_body("outage.during", student)),
            Expect::Unavailable,
        ),
        (
            "POST /users/, OAuth client token",
            client
                .post(lp("/users/"))
                .bearer_auth(&oauth)
                .json(&user_body("outage.during2", student)),
            Expect::Unavailable,
        ),
        (
            "POST /enrollments/",
            client
                .post(lp("/enrollments/"))
                .bearer_auth(&app.admin)
                .json(&json!({"OrgUnitId": course, "UserId": leaver, "RoleId": student})),
            Expect::Unavailable,
        ),
        (
            "POST /enrollments/ into a section",
            client
                .post(lp("/enrollments/"))
                .bearer_auth(&app.admin)
                .json(&json!({"OrgUnitId": section, "UserId": leaver, "RoleId": student})),
            Expect::Unavailable,
        ),
        (
            "a user's org units",
            get(
                lp(&format!("/enrollments/users/{user}/orgUnits/")),
                &app.admin,
            ),
            Expect::Unavailable,
        ),
        (
            "orgstructure descendants",
            get(
                lp(&format!("/orgstructure/{course}/descendants/?ouTypeId=4")),
                &app.admin,
            ),
            Expect::Unavailable,
        ),
        (
            "LE classlist",
            get(
                app.url(&format!("/d2l/api/le/1.99/{course}/classlist/")),
                &app.admin,
            ),
            Expect::Unavailable,
        ),
        (
            "DELETE enrollment",
            client
                .delete(lp(&format!(
                    "/enrollments/orgUnits/{course}/users/{leaver}"
                )))
                .bearer_auth(&app.admin),
            Expect::Unavailable,
        ),
        (
            "POST group category",
            client
                .post(lp(&format!("/{course}/groupcategories/")))
                .bearer_auth(&app.admin)
                .json(&json!({
                    "Name": "During", "Description": {"Content": "", "Type": "Text"},
                    "EnrollmentStyle": 0, "EnrollmentQuantity": null, "AutoEnroll": false,
                    "RandomizeEnrollments": false, "NumberOfGroups": 2,
                    "MaxUsersPerGroup": null, "AllocateAfterExpiry": false,
                    "SelfEnrollmentExpiryDate": null, "GroupPrefix": null,
                    "RestrictedByOrgUnitId": null, "DescriptionsVisibleToEnrolees": false
                })),
            Expect::Unavailable,
        ),
        (
            "operator API: GET institutions",
            get(app.url("/api/v2/institution/"), &app.admin),
            Expect::Unavailable,
        ),
        (
            "token endpoint",
            token_request(&client, &app, &client_id, &client_secret),
            Expect::TokenUnavailable,
        ),
        ("/readyz", client.get(app.url("/readyz")), Expect::NotReady),
        (
            "JWKS",
            client.get(app.url("/core/.well-known/jwks")),
            Expect::ServedOrUnavailable,
        ),
        ("/healthz", client.get(app.url("/healthz")), Expect::Served),
        (
            "sign-in page",
            client.get(app.url("/d2l/login")),
            Expect::Served,
        ),
        (
            "sign-in post",
            client
                .post(app.url("/d2l/lp/auth/login/login.d2l"))
                .form(&[("userName", "admin"), ("password", "long enough")]),
            Expect::Unavailable,
        ),
        (
            "versions",
            client.get(app.url("/d2l/api/versions/")),
            Expect::Served,
        ),
    ];
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (label, request, expect) in probes {
        let answer = call(label, request).await;
        for problem in judge(&answer, expect, &secret) {
            failures.push(format!("{label}: {problem}"));
        }
        seen.push(answer.describe());
    }
    // Many at once: nobody queues behind another's wait for the database.
    let many: Vec<_> = (0..16)
        .map(|i| {
            let label = format!("concurrent GET user #{i}");
            let request = get(lp(&format!("/users/{user}")), &app.admin);
            async move { call(&label, request).await }
        })
        .collect();
    for answer in futures_util::future::join_all(many).await {
        for problem in judge(&answer, Expect::Unavailable, &secret) {
            failures.push(format!("{}: {problem}", answer.label));
        }
        seen.push(answer.describe());
    }
    let readyz = seen
        .iter()
        .find(|s| s.starts_with("/readyz"))
        .cloned()
        .unwrap_or_default();
    println!("during the outage:\n  {}", seen.join("\n  "));
    assert!(
        failures.is_empty(),
        "during the outage:\n  {}\n\nanswers seen:\n  {}",
        failures.join("\n  "),
        seen.join("\n  ")
    );
    assert!(!readyz.is_empty());

    proxy.restore();
    let took = wait_until_served(&app, &client, &app.lp(&format!("/users/{user}"))).await;
    println!("served again {took:?} after the database came back");
    json_ok(client.get(app.url("/readyz")).send().await.expect("readyz")).await;

    // Every acknowledged write is there; nothing answered 503 happened.
    let kept = json_ok(
        app.get(&app.lp(&format!("/users/{user}")), &app.admin)
            .await,
    )
    .await;
    assert_eq!(kept["UserName"], "outage.kept", "{kept}");
    json_ok(
        app.get(&app.lp(&format!("/courses/{course}")), &app.admin)
            .await,
    )
    .await;
    for enrolled in [user, leaver] {
        let e = json_ok(
            app.get(
                &app.lp(&format!("/enrollments/orgUnits/{course}/users/{enrolled}")),
                &app.admin,
            )
            .await,
        )
        .await;
        assert_eq!(e["RoleId"], student, "{e}");
    }
    let during = app
        .get(&app.lp("/users/?userName=outage.during"), &app.admin)
        .await;
    assert_eq!(during.status(), 404, "a write answered 503 did not happen");
    // Tokens, the token endpoint and writes work again.
    json_ok(app.get(&app.lp("/users/whoami"), &oauth).await).await;
    json_ok(app.get(&app.lp("/users/whoami"), &fresh).await).await;
    let res = token_request(&client, &app, &client_id, &client_secret)
        .send()
        .await
        .expect("token request");
    json_ok(res).await;
    app.create_user("outage.after", "Student").await;
}

#[actix_web::test]
async fn writes_acknowledged_around_an_outage_are_all_kept() {
    if skip_on_sqlite("outage") {
        return;
    }
    let proxy = Proxy::start(upstream());
    let (app, secret) = app_behind(&proxy).await;
    let client = probe_client();
    let student = app.role_id("Student").await;

    // A client creating users one after another while the database goes away and comes back.
    let mut acknowledged = Vec::new();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut phase = 0;
    let mut phase_started = Instant::now();
    let mut recovered_after = None;
    for i in 0..10_000 {
        let name = format!("stream.{i:05}");
        let answer = call(
            &name,
            client
                .post(app.lp("/users/"))
                .bearer_auth(&app.admin)
                .json(&user_body(&name, student)),
        )
        .await;
        *statuses.entry(answer.status).or_default() += 1;
        match answer.status {
            200 => acknowledged.push(name),
            503 => {
                for problem in judge(&answer, Expect::Unavailable, &secret) {
                    failures.push(format!("{name}: {problem}"));
                }
            }
            _ => failures.push(answer.describe()),
        }
        // A steady trickle, well inside the rate limit.
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        let elapsed = phase_started.elapsed();
        match phase {
            // Up for a second, then the outage.
            0 if elapsed > Duration::from_secs(1) => {
                proxy.cut();
                phase = 1;
                phase_started = Instant::now();
            }
            // Down for two seconds, then back.
            1 if elapsed > Duration::from_secs(2) => {
                proxy.restore();
                phase = 2;
                phase_started = Instant::now();
            }
            // Back: stop once writes succeed again for a second.
            2 => {
                if answer.status == 200 {
                    recovered_after.get_or_insert(elapsed);
                }
                if recovered_after.is_some_and(|r| elapsed > r + Duration::from_secs(1)) {
                    break;
                }
                assert!(
                    elapsed < RECOVERY,
                    "writes did not succeed again within {RECOVERY:?} after the database came \
                     back: {}",
                    answer.describe()
                );
            }
            _ => {}
        }
    }
    println!("answers by status: {statuses:?}; recovered after {recovered_after:?}");
    assert!(
        failures.is_empty(),
        "answers around the outage:\n  {}",
        failures.join("\n  ")
    );
    assert!(
        statuses.get(&503).is_some_and(|n| *n > 0),
        "the outage was seen: {statuses:?}"
    );
    let missing: Vec<&String> = {
        let mut missing = Vec::new();
        for name in &acknowledged {
            let res = app
                .send(
                    Method::GET,
                    &app.lp(&format!("/users/?userName={name}")),
                    Some(&app.admin),
                    None,
                )
                .await;
            if res.status() != 200 {
                missing.push(name);
            }
        }
        missing
    };
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged users are gone: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
}
