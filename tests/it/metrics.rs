//! `/metrics` as Prometheus scrapes it: parsed by a real OpenMetrics text parser
//! (`openmetrics-parser`), counting exactly this server's requests by route pattern, method and
//! status, its rate-limit rejections, its job's duration, its queue and its pool; served on an
//! address of its own when the operator asks (`METRICS_ADDRESS`).

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use openmetrics_parser::{MetricNumber, OpenMetricsType, OpenMetricsValue};
use serde_json::json;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One scrape: each family's type, and each sample's value by (family, labels).
struct Scrape {
    types: BTreeMap<String, OpenMetricsType>,
    samples: BTreeMap<(String, BTreeMap<String, String>), OpenMetricsValue>,
}

type Labels<'a> = &'a [(&'a str, &'a str)];

impl Scrape {
    fn parse(text: &str) -> Self {
        let exposition = openmetrics_parser::openmetrics::parse_openmetrics(text)
            .unwrap_or_else(|e| panic!("not valid OpenMetrics text ({e}):\n{text}"));
        let mut types = BTreeMap::new();
        let mut samples = BTreeMap::new();
        for (name, family) in &exposition.families {
            types.insert(name.clone(), family.family_type);
            for sample in family.iter_samples() {
                let labels: BTreeMap<String, String> = sample
                    .get_labelset()
                    .expect("labels")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                samples.insert((name.clone(), labels), sample.value.clone());
            }
        }
        Self { types, samples }
    }

    fn get(&self, family: &str, labels: Labels) -> Option<&OpenMetricsValue> {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples.get(&(family.to_string(), labels))
    }

    /// Every label set of a family, with its value.
    fn family(&self, family: &str) -> Vec<(&BTreeMap<String, String>, &OpenMetricsValue)> {
        self.samples
            .iter()
            .filter(|((name, _), _)| name == family)
            .map(|((_, labels), value)| (labels, value))
            .collect()
    }

    fn counter(&self, family: &str, labels: Labels) -> f64 {
        match self.get(family, labels) {
            Some(OpenMetricsValue::Counter(c)) => number(&c.value),
            other => panic!("{family} {labels:?}: {other:?}"),
        }
    }

    fn gauge(&self, family: &str, labels: Labels) -> f64 {
        match self.get(family, labels) {
            Some(OpenMetricsValue::Gauge(g)) => number(g),
            other => panic!("{family} {labels:?}: {other:?}"),
        }
    }

    /// A histogram's count, sum and bucket bounds.
    fn histogram(&self, family: &str, labels: Labels) -> (u64, f64, Vec<f64>) {
        match self.get(family, labels) {
            Some(OpenMetricsValue::Histogram(h)) => (
                h.count.expect("_count"),
                h.sum.as_ref().map(number).expect("_sum"),
                h.buckets.iter().map(|b| b.upper_bound).collect(),
            ),
            other => panic!("{family} {labels:?}: {other:?}"),
        }
    }
}

fn number(n: &MetricNumber) -> f64 {
    match n {
        MetricNumber::Float(f) => *f,
        MetricNumber::Int(i) => *i as f64,
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let res = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some(OPENMETRICS),
        "the scrape's content type"
    );
    Scrape::parse(&res.text().await.expect("body"))
}

const WHOAMI: &str = "/d2l/api/lp/{version}/users/whoami";
const USER: &str = "/d2l/api/lp/{version}/users/{userId}";
const CATEGORIES: &str = "/d2l/api/lp/{version}/{orgUnitId}/groupcategories";

#[actix_web::test]
async fn metrics_count_this_servers_requests_rejections_jobs_queue_and_pool() {
    // Ten calls a minute per bucket: the learner below runs out.
    let app = spawn_app_with_rate_limit(100, 10).await;
    // Another server in the same process, whose requests must not show in the first one's.
    let other = spawn_app().await;
    assert_eq!(
        status_of(other.get(&other.lp("/users/whoami"), &other.admin).await).await,
        200
    );

    // The admin's bucket: seven calls.
    assert_eq!(
        status_of(app.get(&app.lp("/users/whoami"), &app.admin).await).await,
        200
    );
    problem(app.get(&app.lp("/users/987654"), &app.admin).await, 404).await;
    let narrow = app.token_for("admin", "users:own_profile:read");
    problem(app.get(&app.lp("/users/987654"), &narrow).await, 403).await;
    app.create_user("metrics-learner", "Student").await;
    let course = app.create_course("METRICS-101").await;
    let form = category_form("Teams", json!(0), json!({"NumberOfGroups": 2}));
    json_typed(
        app.post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &form,
        )
        .await,
        202,
    )
    .await;
    // An unknown path, anonymous: the client IP's bucket.
    problem(
        app.client
            .get(app.url("/no/such/path"))
            .send()
            .await
            .expect("get"),
        404,
    )
    .await;
    // The learner's own bucket, until it is empty.
    let token = app.token_for("metrics-learner", "*:*:*");
    let mut learner_ok = 0.0;
    loop {
        match status_of(app.get(&app.lp("/users/whoami"), &token).await).await {
            200 => learner_ok += 1.0,
            429 => break,
            other => panic!("whoami answered {other}"),
        }
        assert!(learner_ok < 50.0, "the learner was never limited");
    }
    // The category's creation job, done by this server's worker.
    for _ in 0..400 {
        if app.state.jobs.completed() >= 1 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.state.jobs.completed(), 1, "the creation job ran");

    let m = scrape(&app).await;
    assert_eq!(m.types["http_requests"], OpenMetricsType::Counter);
    assert_eq!(
        m.types["http_request_duration_seconds"],
        OpenMetricsType::Histogram
    );
    assert_eq!(m.types["jobs_queue_depth"], OpenMetricsType::Gauge);
    let requests = |method: &str, route: &str, status: &str| {
        m.counter(
            "http_requests",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("GET", WHOAMI, "200"), 1.0 + learner_ok);
    assert_eq!(requests("GET", WHOAMI, "429"), 1.0);
    assert_eq!(requests("GET", USER, "404"), 1.0);
    assert_eq!(requests("GET", USER, "403"), 1.0);
    assert_eq!(requests("POST", CATEGORIES, "202"), 1.0);
    assert_eq!(requests("GET", "unmatched", "404"), 1.0);
    // Exactly what this test asked of this server, and nothing of the other one's, nor of the
    // scrape itself (counted once answered).
    let mut series: Vec<(String, String, String)> = m
        .family("http_requests")
        .into_iter()
        .map(|(l, _)| (l["method"].clone(), l["route"].clone(), l["status"].clone()))
        .collect();
    series.sort();
    let mut expected: Vec<(String, String, String)> = [
        ("GET", "/d2l/api/lp/{version}/roles", "200"),
        ("GET", USER, "403"),
        ("GET", USER, "404"),
        ("GET", WHOAMI, "200"),
        ("GET", WHOAMI, "429"),
        ("GET", "unmatched", "404"),
        ("POST", "/d2l/api/lp/{version}/courses", "200"),
        ("POST", "/d2l/api/lp/{version}/users", "200"),
        ("POST", CATEGORIES, "202"),
    ]
    .iter()
    .map(|(m, r, s)| (m.to_string(), r.to_string(), s.to_string()))
    .collect();
    expected.sort();
    assert_eq!(series, expected);

    // Latency: a histogram per series, with the buckets the server declares.
    let (count, sum, buckets) = m.histogram(
        "http_request_duration_seconds",
        &[("method", "GET"), ("route", WHOAMI), ("status", "200")],
    );
    assert_eq!(count as f64, 1.0 + learner_ok);
    assert!(sum > 0.0 && sum < 60.0, "sum {sum}");
    assert_eq!(
        buckets,
        vec![
            0.001,
            0.0025,
            0.005,
            0.01,
            0.025,
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.5,
            5.0,
            10.0,
            f64::INFINITY
        ]
    );

    assert_eq!(
        m.counter("rate_limit_rejections", &[("bucket", "user")]),
        1.0
    );
    assert_eq!(m.family("rate_limit_rejections").len(), 1);

    let (count, sum, buckets) = m.histogram(
        "job_duration_seconds",
        &[("kind", "create_groups"), ("outcome", "done")],
    );
    assert_eq!(count, 1);
    assert!(sum > 0.0, "the job took some time: {sum}");
    assert_eq!(buckets.len(), 12);
    assert_eq!(buckets.last(), Some(&f64::INFINITY));
    assert_eq!(m.family("job_duration_seconds").len(), 1);

    // The queue is empty again, every kind and state reported.
    for kind in ["create_groups", "allocate_after_expiry"] {
        for state in ["due", "scheduled", "dead"] {
            assert_eq!(
                m.gauge("jobs_queue_depth", &[("kind", kind), ("state", state)]),
                0.0,
                "{kind} {state}"
            );
        }
    }

    // The test pool holds four connections.
    let max = m.gauge("db_connections_max", &[]);
    assert_eq!(max, 4.0);
    let in_use = m.gauge("db_connections", &[("state", "in_use")]);
    let idle = m.gauge("db_connections", &[("state", "idle")]);
    assert!(
        idle >= 1.0 && in_use >= 0.0 && in_use + idle <= max,
        "{in_use} {idle}"
    );

    // The first scrape is counted once answered; the other server saw only its own call.
    let again = scrape(&app).await;
    assert_eq!(
        again.counter(
            "http_requests",
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ),
        1.0
    );
    let theirs = scrape(&other).await;
    assert_eq!(
        theirs
            .family("http_requests")
            .into_iter()
            .map(|(l, v)| (l["route"].clone(), format!("{v:?}")))
            .filter(|(route, _)| route != "/metrics")
            .count(),
        1,
        "the other server counts its whoami alone"
    );
}

#[actix_web::test]
async fn the_queue_depth_counts_due_scheduled_and_dead_jobs_by_kind() {
    // No worker: the jobs stay where they are put.
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("METRICS-Q").await;
    for name in ["One", "Two"] {
        let form = category_form(name, json!(0), json!({"NumberOfGroups": 1}));
        json_typed(
            app.post(
                &app.lp(&format!("/{course}/groupcategories/")),
                &app.admin,
                &form,
            )
            .await,
            202,
        )
        .await;
    }
    let m = scrape(&app).await;
    let depth =
        |kind: &str, state: &str| m.gauge("jobs_queue_depth", &[("kind", kind), ("state", state)]);
    assert_eq!(depth("create_groups", "due"), 2.0);
    assert_eq!(depth("create_groups", "scheduled"), 0.0);
    assert_eq!(depth("create_groups", "dead"), 0.0);
    assert_eq!(depth("allocate_after_expiry", "due"), 0.0);

    // One job retried later, one dead, as the worker leaves them.
    let jobs = app
        .state
        .db
        .read_sync(|conn| d2l_groups::jobs::list(conn, false))
        .expect("jobs");
    assert_eq!(jobs.len(), 2);
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::hours(1);
    let (first, second) = (jobs[0].job.id, jobs[1].job.id);
    app.state
        .db
        .write_sync(move |conn| {
            d2l_groups::db::jobs::reschedule(conn, first, 1, later, "boom")?;
            d2l_groups::db::jobs::bury(conn, second, 10, "boom", later)
        })
        .expect("reschedule and bury");
    let m = scrape(&app).await;
    let depth =
        |kind: &str, state: &str| m.gauge("jobs_queue_depth", &[("kind", kind), ("state", state)]);
    assert_eq!(depth("create_groups", "due"), 0.0);
    assert_eq!(depth("create_groups", "scheduled"), 1.0);
    assert_eq!(depth("create_groups", "dead"), 1.0);
}

#[actix_web::test]
async fn metrics_can_be_served_on_their_own_address_only() {
    let url = common::fresh_database_url();
    let server = common::ServerProcess::start(&url, &[("METRICS_ADDRESS", "127.0.0.1:0")]);
    let metrics_address = {
        let log = server.log.lock().expect("log").clone();
        log.iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["message"] == "serving metrics")
            .and_then(|v| v["address"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("the metrics address is logged: {log:?}"))
    };
    assert_ne!(metrics_address, server.address);
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.expect("get") }
    };
    // The API's port serves no /metrics; its health still answers.
    problem(get(server.url("/metrics")).await, 404).await;
    assert_eq!(status_of(get(server.url("/healthz")).await).await, 200);
    // The metrics' own address serves them, and nothing else.
    let res = get(format!("http://{metrics_address}/metrics")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type").as_deref(), Some(OPENMETRICS));
    let m = Scrape::parse(&res.text().await.expect("body"));
    let requests = |route: &str, status: &str| {
        m.counter(
            "http_requests",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/healthz", "200"), 1.0);
    assert_eq!(requests("/metrics", "404"), 1.0);
    problem(get(format!("http://{metrics_address}/healthz")).await, 404).await;
}
