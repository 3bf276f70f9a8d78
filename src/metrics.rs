//! Metrics for operators, in the Prometheus/OpenMetrics text format at `/metrics`
//! (docs/operators.md, "Metrics"): requests and their latency per route, method and status,
//! rate-limit rejections, the job queue's depth and the jobs' durations, and the database pool.
//!
//! The registry belongs to the application state rather than to the process (as a global
//! recorder would): each server counts only its own requests, so several servers in one process
//! (the tests run many) never mix their counts. Routes are labelled by the route table's
//! pattern (`/d2l/api/lp/{version}/users/{userId}`), never by the raw path, so that the number
//! of series stays bounded whatever clients ask for; methods outside HTTP's usual ones count
//! as `other`, and unrouted paths as `unmatched`.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::db::jobs::{ALLOCATE_AFTER_EXPIRY, CREATE_GROUPS};
use crate::db::PoolUsage;

/// The content type of [`Metrics::render`]'s text: OpenMetrics 1.0, which Prometheus asks for
/// first and parses natively.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request that matched no route (a 404 for an unknown path).
pub const UNMATCHED: &str = "unmatched";

// Durations are named in seconds rather than registered with a `# UNIT` line: the unit line is
// optional metadata, and some parsers refuse it on histograms.

/// Request latency buckets, in seconds: most answers take a few milliseconds, a slow write
/// under contention a second or more.
const REQUEST_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Job duration buckets, in seconds: a small category's groups in milliseconds, a large
/// course's allocation in seconds to minutes.
const JOB_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The job kinds reported, each with every state, so that an empty queue reads 0 rather
/// than nothing.
const JOB_KINDS: [&str; 2] = [CREATE_GROUPS, ALLOCATE_AFTER_EXPIRY];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketLabels {
    bucket: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    kind: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

fn job_histogram() -> Histogram {
    Histogram::new(JOB_BUCKETS)
}

/// One server's metrics: recorded by the middleware and the job worker, read by `/metrics`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_durations: Histograms<RequestLabels>,
    rate_limit_rejections: Family<BucketLabels, Counter>,
    job_durations: Histograms<JobLabels>,
    queue_depth: Family<QueueLabels, Gauge>,
    connections: Family<PoolLabels, Gauge>,
    connections_max: Gauge,
}

/// Whose rate-limit bucket refused a call (`rate_limit::RateKey`'s kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Client,
    User,
    Ip,
}

/// How a job's run ended (`jobs::Outcome` without `Idle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEnd {
    Done,
    /// Failed and rescheduled.
    Failed,
    /// Failed its last attempt.
    Dead,
}

/// Jobs waiting in one state: `due` (to run now, or running), `scheduled` (a retry's or a later
/// allocation's time not yet come) or `dead` (left to an operator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    pub kind: String,
    pub state: &'static str,
    pub jobs: i64,
}

pub const QUEUE_STATES: [&str; 3] = ["due", "scheduled", "dead"];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let request_durations: Histograms<RequestLabels> =
            Family::new_with_constructor(request_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer's headers, by method, route pattern and status",
            request_durations.clone(),
        );
        let rate_limit_rejections = Family::<BucketLabels, Counter>::default();
        registry.register(
            "rate_limit_rejections",
            "Calls answered 429 because their bucket was empty, by kind of bucket (client, user, ip)",
            rate_limit_rejections.clone(),
        );
        let job_durations: Histograms<JobLabels> = Family::new_with_constructor(job_histogram);
        registry.register(
            "job_duration_seconds",
            "Time a background job's run took, by kind and outcome (done, failed, dead)",
            job_durations.clone(),
        );
        let queue_depth = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "jobs_queue_depth",
            "Background jobs in the queue, by kind and state (due, scheduled, dead), read at scrape time",
            queue_depth.clone(),
        );
        let connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database pool connections, by state (in_use, idle)",
            connections.clone(),
        );
        let connections_max = Gauge::default();
        registry.register(
            "db_connections_max",
            "The most connections the database pool opens",
            connections_max.clone(),
        );
        Self {
            registry,
            requests,
            request_durations,
            rate_limit_rejections,
            job_durations,
            queue_depth,
            connections,
            connections_max,
        }
    }

    /// Counts an answered request. `route` is the matched route's pattern, `None` when no route
    /// matched.
    pub fn observe_request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let labels = RequestLabels {
            method: method_label(method),
            route: match route {
                Some(pattern) if !pattern.is_empty() => pattern.to_string(),
                _ => UNMATCHED.to_string(),
            },
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.request_durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    pub fn rate_limited(&self, bucket: Bucket) {
        let bucket = match bucket {
            Bucket::Client => "client",
            Bucket::User => "user",
            Bucket::Ip => "ip",
        };
        self.rate_limit_rejections
            .get_or_create(&BucketLabels { bucket })
            .inc();
    }

    pub fn observe_job(&self, kind: &str, end: JobEnd, took: Duration) {
        let outcome = match end {
            JobEnd::Done => "done",
            JobEnd::Failed => "failed",
            JobEnd::Dead => "dead",
        };
        self.job_durations
            .get_or_create(&JobLabels {
                kind: kind_label(kind),
                outcome,
            })
            .observe(took.as_secs_f64());
    }

    /// Sets the queue's depth as just read, every known kind and state included (0 when
    /// absent); `None` when the queue could not be read, which leaves the family out of the
    /// scrape rather than reporting numbers that are not known.
    pub fn set_queue_depth(&self, depths: Option<&[QueueDepth]>) {
        let Some(depths) = depths else {
            self.queue_depth.clear();
            return;
        };
        for kind in JOB_KINDS {
            for state in QUEUE_STATES {
                let jobs = depths
                    .iter()
                    .filter(|d| d.kind == kind && d.state == state)
                    .map(|d| d.jobs)
                    .sum();
                self.queue_depth
                    .get_or_create(&QueueLabels { kind, state })
                    .set(jobs);
            }
        }
        for state in QUEUE_STATES {
            let others: i64 = depths
                .iter()
                .filter(|d| d.state == state && !JOB_KINDS.contains(&d.kind.as_str()))
                .map(|d| d.jobs)
                .sum();
            if others > 0 {
                self.queue_depth
                    .get_or_create(&QueueLabels {
                        kind: "other",
                        state,
                    })
                    .set(others);
            }
        }
    }

    pub fn set_pool(&self, usage: PoolUsage) {
        let gauge = |state| self.connections.get_or_create(&PoolLabels { state });
        gauge("in_use").set(i64::from(usage.in_use));
        gauge("idle").set(i64::from(usage.idle));
        self.connections_max.set(i64::from(usage.max));
    }

    /// The OpenMetrics text of everything recorded ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("other")
}

fn kind_label(kind: &str) -> &'static str {
    JOB_KINDS
        .iter()
        .find(|known| **known == kind)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_pattern_and_odd_methods_bounded() {
        let metrics = Metrics::new();
        let pattern = "/d2l/api/lp/{version}/users/{userId}";
        metrics.observe_request("GET", Some(pattern), 200, Duration::from_millis(3));
        metrics.observe_request("BREW", None, 404, Duration::from_millis(1));
        let text = metrics.render();
        assert!(
            text.contains(&format!(
                "http_requests_total{{method=\"GET\",route=\"{pattern}\",status=\"200\"}} 1"
            )),
            "{text}"
        );
        assert!(
            text.contains(
                "http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1"
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn an_unreadable_queue_is_left_out_rather_than_reported_empty() {
        let metrics = Metrics::new();
        metrics.set_queue_depth(Some(&[QueueDepth {
            kind: CREATE_GROUPS.into(),
            state: "dead",
            jobs: 2,
        }]));
        let text = metrics.render();
        assert!(text.contains("jobs_queue_depth{kind=\"create_groups\",state=\"dead\"} 2"));
        assert!(text.contains("jobs_queue_depth{kind=\"allocate_after_expiry\",state=\"due\"} 0"));
        metrics.set_queue_depth(None);
        assert!(!metrics.render().contains("jobs_queue_depth{"));
    }
}
