//! What operators read: text logs without colour codes when stderr is not a terminal, each
//! request's line naming its id and trace; and the ids themselves over HTTP: an incoming
//! `X-Request-Id` honoured when valid, W3C `traceparent` and `tracestate` followed when valid
//! and ignored (a new trace begun) when not.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use reqwest::Response;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The answered `traceparent`'s (trace id, span id, flags), checked to be well formed.
fn answered_trace(res: &Response) -> (String, String, String) {
    let value = header(res, "traceparent").expect("traceparent answered");
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    assert!(
        is_hex(parts[1], 32) && parts[1] != "0".repeat(32),
        "{value}"
    );
    assert!(
        is_hex(parts[2], 16) && parts[2] != "0".repeat(16),
        "{value}"
    );
    assert!(is_hex(parts[3], 2), "{value}");
    (parts[1].into(), parts[2].into(), parts[3].into())
}

async fn healthz(app: &TestApp, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.get(app.url("/healthz"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("healthz");
    assert_eq!(res.status(), 200);
    res
}

#[actix_web::test]
async fn a_valid_incoming_request_id_is_kept_and_an_invalid_one_replaced() {
    let app = spawn_app().await;
    for kept in [
        "3f1c0d2e-8a8b-4e0c-9a53-6f1c2d3e4f50",
        "lb.7f3a~trace_01",
        &"x".repeat(128),
    ] {
        let res = healthz(&app, &[("x-request-id", kept)]).await;
        assert_eq!(header(&res, "x-request-id").as_deref(), Some(kept));
    }
    // Also on an error answered by the rate limiter's layer and the gate.
    let res = app
        .client
        .get(app.lp("/users/whoami"))
        .header("x-request-id", "no-token-call")
        .send()
        .await
        .expect("whoami");
    assert_eq!(res.status(), 401);
    assert_eq!(
        header(&res, "x-request-id").as_deref(),
        Some("no-token-call")
    );

    let too_long = "y".repeat(129);
    for replaced in ["two words", "a/b", "quote\"d", too_long.as_str(), ""] {
        let res = healthz(&app, &[("x-request-id", replaced)]).await;
        let answered = header(&res, "x-request-id").expect("X-Request-Id");
        assert_ne!(answered, replaced);
        assert!(uuid::Uuid::parse_str(&answered).is_ok(), "{answered}");
    }
    // Two ids: neither is trusted.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "first")
        .header("x-request-id", "second")
        .send()
        .await
        .expect("healthz");
    let answered = header(&res, "x-request-id").expect("X-Request-Id");
    assert!(uuid::Uuid::parse_str(&answered).is_ok(), "{answered}");

    // Absent: a new id each time.
    let a = header(&healthz(&app, &[]).await, "x-request-id").expect("id");
    let b = header(&healthz(&app, &[]).await, "x-request-id").expect("id");
    assert_ne!(a, b);
    assert!(uuid::Uuid::parse_str(&a).is_ok());
}

#[actix_web::test]
async fn a_valid_traceparent_is_followed_and_an_invalid_one_ignored() {
    let app = spawn_app().await;
    let incoming = format!("00-{TRACE}-{PARENT}-01");

    // Valid: the same trace and flags, this server's own span; tracestate passed on.
    let res = healthz(
        &app,
        &[
            ("traceparent", &incoming),
            ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
        ],
    )
    .await;
    let (trace, span, flags) = answered_trace(&res);
    assert_eq!(trace, TRACE);
    assert_eq!(flags, "01");
    assert_ne!(
        span, PARENT,
        "the answer names this server's span, not the caller's"
    );
    assert_eq!(
        header(&res, "tracestate").as_deref(),
        Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
    );
    let (_, other_span, _) = answered_trace(&healthz(&app, &[("traceparent", &incoming)]).await);
    assert_ne!(other_span, span, "each request is a span of its own");

    // A malformed tracestate is dropped, the trace still followed.
    let res = healthz(
        &app,
        &[("traceparent", &incoming), ("tracestate", "Not Valid")],
    )
    .await;
    assert_eq!(answered_trace(&res).0, TRACE);
    assert_eq!(header(&res, "tracestate"), None);

    // Invalid: ignored, as the specification says; a new trace, no tracestate.
    for invalid in [
        format!("00-{}-{PARENT}-01", TRACE.to_uppercase()),
        format!("00-{}-{PARENT}-01", "0".repeat(32)),
        format!("00-{TRACE}-{}-01", "0".repeat(16)),
        format!("ff-{TRACE}-{PARENT}-01"),
        format!("00-{TRACE}-{PARENT}-01-extra"),
        format!("00-{TRACE}-{PARENT}"),
        "garbage".to_string(),
    ] {
        let res = healthz(
            &app,
            &[
                ("traceparent", &invalid),
                ("tracestate", "congo=t61rcWkgMzE"),
            ],
        )
        .await;
        let (trace, _, flags) = answered_trace(&res);
        assert_ne!(trace, TRACE, "{invalid}");
        assert_eq!(flags, "00", "{invalid}");
        assert_eq!(header(&res, "tracestate"), None, "{invalid}");
    }

    // Absent: a new trace for each request.
    let (a, _, flags) = answered_trace(&healthz(&app, &[]).await);
    let (b, _, _) = answered_trace(&healthz(&app, &[]).await);
    assert_ne!(a, b);
    assert_eq!(flags, "00");
}

/// Runs `serve` with `LOG_FORMAT=text` and stderr to a pipe (not a terminal), as under a
/// service manager or a log collector; answers the address it serves and the log so far.
struct TextServer {
    child: std::process::Child,
    address: String,
    log: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl TextServer {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("LOG_FORMAT", "text")
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr);
            let mut line = Vec::new();
            while lines.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let text = String::from_utf8_lossy(&line).into_owned();
                if text.contains(" serving ") {
                    if let Some(address) = text
                        .split_whitespace()
                        .find_map(|word| word.strip_prefix("address="))
                    {
                        let _ = tx.send(address.to_string());
                    }
                }
                sink.lock().expect("log").extend_from_slice(&line);
                line.clear();
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "no address logged: {}",
                    String::from_utf8_lossy(&log.lock().expect("log"))
                )
            });
        Self {
            child,
            address,
            log,
            reader: Some(reader),
        }
    }

    /// Stops the server (SIGTERM) and answers its whole log.
    fn stop(mut self) -> Vec<u8> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(25));
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let log = self.log.lock().expect("log").clone();
        log
    }
}

impl Drop for TextServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[actix_web::test]
async fn text_logs_off_a_terminal_have_no_colour_and_name_each_requests_ids() {
    let server = TextServer::start(&common::fresh_database_url());
    let res = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.address))
        .header("x-request-id", "text-log-req-1")
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "x-request-id").as_deref(),
        Some("text-log-req-1")
    );
    let log = server.stop();
    let text = String::from_utf8_lossy(&log).into_owned();
    assert!(
        !log.contains(&0x1b),
        "ANSI escape codes in a log written to a pipe:\n{text}"
    );
    let line = text
        .lines()
        .find(|l| l.contains("request completed") && l.contains("request_id=text-log-req-1"))
        .unwrap_or_else(|| panic!("no log line for the request:\n{text}"));
    assert!(line.contains(&format!("trace_id={TRACE}")), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("path=/healthz"), "{line}");
    assert!(text.contains(" INFO "), "levels are still written: {text}");
}

#[actix_web::test]
async fn json_logs_name_the_honoured_request_id_and_the_trace() {
    let mut server = ServerProcess::start(&common::fresh_database_url(), &[]);
    let res = reqwest::Client::new()
        .get(server.url("/healthz"))
        .header("x-request-id", "json-log-req-1")
        .header("traceparent", format!("00-{TRACE}-{PARENT}-00"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(res.status(), 200);
    let (_, span, _) = answered_trace(&res);
    server.signal("-TERM");
    assert!(server.wait(Duration::from_secs(20)).success());
    let log = server.log.lock().expect("log").clone();
    let line = log
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["message"] == "request completed" && v["span"]["request_id"] == "json-log-req-1"
        })
        .unwrap_or_else(|| panic!("no log line for the request: {log:?}"));
    assert_eq!(line["span"]["trace_id"], TRACE);
    assert_eq!(line["span"]["span_id"], span.as_str());
    assert_eq!(line["status"], 200);
}
