//! The HTTP benchmark's plumbing (`benches/http.rs`): the release server as its own process,
//! pinned to one core; CPU pinning of the benchmark itself; CPU and memory figures from
//! `/proc`; the operator commands (`token`, `client add`); seeding learners straight into the
//! server's database; and the few HTTP calls of the set-up, through reqwest (set-up is not
//! measured, so its client's cost does not matter there).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use d2l_groups::db::{Db, DbConnection};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::common::BIN;

const TASKSET: &str = "taskset";

/// The real binary, `d2l-groups serve`, started on its own database URL.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// host:port it serves on.
    pub address: String,
    /// What pinning it got, for the report: its `Cpus_allowed_list`, or why not.
    pub pinning: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `serve --bind 127.0.0.1:0` on `database_url`, pinned to `cpu` with `taskset -c`
    /// when given, and waits for the address it logs. The rate limit is raised out of the way;
    /// everything else is production's defaults (pool size, workers: one per core it may use).
    pub fn start(database_url: &str, cpu: Option<usize>) -> Self {
        let mut command = match cpu {
            Some(cpu) => {
                let mut c = Command::new(TASKSET);
                c.args(["-c", &cpu.to_string(), BIN]);
                c
            }
            None => Command::new(BIN),
        };
        // Per-request log lines cost the server CPU and the pipe; the benchmark keeps the
        // one line it needs ("serving", from the CLI module) and warnings.
        let log_filter = std::env::var("BENCH_SERVER_LOG")
            .unwrap_or_else(|_| "warn,d2l_groups::cli=info".into());
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", log_filter)
            .env("RATE_LIMIT_CREDITS_PER_MINUTE", "4000000000")
            .env("RATE_LIMIT_REQUEST_COST", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn d2l-groups serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v["message"] == "serving" {
                        let _ = tx.send(v["address"].as_str().unwrap_or_default().to_string());
                    }
                }
                let mut sink = sink.lock().expect("log");
                // Warnings only, normally; keep a bounded tail in case a filter lets more in.
                if sink.len() < 10_000 {
                    sink.push(line);
                }
            }
        });
        let address = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not log its address within 120 s; its log: {:?}",
                    log.lock().expect("log")
                );
            }
        };
        // taskset execs the server, so the pid is the server's.
        let pid = child.id();
        let pinning = match (cpu, cpus_allowed(pid)) {
            (Some(cpu), Some(list)) if list == cpu.to_string() => format!("pinned to CPU {list}"),
            (Some(cpu), list) => format!(
                "NOT pinned as asked (CPU {cpu}); allowed: {}",
                list.unwrap_or_else(|| "?".into())
            ),
            (None, list) => format!(
                "not pinned; allowed: {}",
                list.unwrap_or_else(|| "?".into())
            ),
        };
        let pinning = format!(
            "{pinning}, nice {}",
            nice_of(pid).map_or("?".into(), |n| n.to_string())
        );
        Self {
            child,
            pid,
            address: address.trim_start_matches("http://").to_string(),
            pinning,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// SIGTERM, then waits for the exit (a SQLite file must not have two servers at once).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Lines the server logged (warnings and errors, with the default filter).
    pub fn warnings(&self) -> Vec<String> {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| !l.contains("\"serving\""))
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pins this process, every thread it has now and so every thread it starts later, to `cpu`,
/// with `taskset -a -cp`. Answers what it got, for the report.
pub fn pin_self(cpu: usize) -> String {
    let pid = std::process::id();
    let outcome = Command::new(TASKSET)
        .args(["-a", "-cp", &cpu.to_string(), &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let allowed = cpus_allowed(pid).unwrap_or_else(|| "?".into());
    match outcome {
        Ok(o) if o.status.success() && allowed == cpu.to_string() => {
            format!("pinned to CPU {allowed}")
        }
        Ok(o) => format!(
            "NOT pinned ({}); allowed: {allowed}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("NOT pinned (taskset: {e}); allowed: {allowed}"),
    }
}

/// Sets this process's nice value (`renice -n`), before it starts any thread or child, so
/// that all of them, the server included, inherit it. Answers what it got, for the report.
pub fn set_nice(value: i32) -> String {
    let pid = std::process::id().to_string();
    let outcome = Command::new("renice")
        .args(["-n", &value.to_string(), "-p", &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match (outcome, nice_of(std::process::id())) {
        (Ok(o), Some(now)) if o.status.success() && now == i64::from(value) => {
            format!("nice {now} (server and load generator)")
        }
        (Ok(o), now) => format!(
            "nice NOT set to {value} ({}); nice {}",
            String::from_utf8_lossy(&o.stderr).trim(),
            now.map_or("?".into(), |n| n.to_string())
        ),
        (Err(e), _) => format!("nice NOT set to {value} (renice: {e})"),
    }
}

/// The nice value of a process (field 19 of `/proc/<pid>/stat`).
pub fn nice_of(pid: u32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(16)?.parse().ok()
}

/// `Cpus_allowed_list` of a process.
pub fn cpus_allowed(pid: u32) -> Option<String> {
    status_field(pid, "Cpus_allowed_list:")
}

fn status_field(pid: u32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_string())
}

/// Peak resident set (`VmHWM`) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Current resident set (`VmRSS`) of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:")?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// utime + stime of a process, all its threads, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime 14 and stime 15, so 11 and 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux unless it says otherwise).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}

/// "2 × Intel(R) Xeon(R) Processor" from /proc/cpuinfo, and the memory total.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpus = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| format!(", {:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("nproc {cpus}, {model}{memory}")
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// CPU accounting of the server and of the PostgreSQL backends that serve it.

/// CPU counters at one moment: the server's, this process's, and each PostgreSQL backend
/// connected to the server (by pid).
#[derive(Clone)]
pub struct CpuSample {
    at: Instant,
    server: u64,
    me: u64,
    postgres: BTreeMap<u32, u64>,
    /// Per CPU (`/proc/stat`): ticks busy (all but idle and iowait), ticks in all.
    cpus: Vec<(u64, u64)>,
}

/// CPU used between two samples, in microseconds.
#[derive(Clone, Default)]
pub struct CpuUsed {
    pub server_us: f64,
    pub me_us: f64,
    /// None on SQLite, or when the backends could not be found.
    pub postgres_us: Option<f64>,
    /// Wall time between the samples, in microseconds.
    pub wall_us: f64,
    /// How busy each CPU was between the samples, 0 to 1, whoever used it: with the server
    /// pinned to CPU 0 and the client to CPU 1, what exceeds their own share is other
    /// processes' (PostgreSQL's, or other work on a shared machine).
    pub cpu_busy: Vec<f64>,
}

impl CpuUsed {
    /// The share of CPU `cpu` used by others than `own_us` of CPU time in the window.
    pub fn others_on(&self, cpu: usize, own_us: f64) -> Option<f64> {
        let busy = *self.cpu_busy.get(cpu)?;
        Some((busy - own_us / self.wall_us.max(1.0)).max(0.0))
    }
}

/// Busy and total ticks of each CPU, from the `cpuN` lines of `/proc/stat`.
fn cpu_ticks_per_cpu() -> Vec<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total.saturating_sub(idle), total)
        })
        .collect()
}

/// Reads the counters. On PostgreSQL it finds the backends serving the server: the server's
/// TCP sockets to the database port (its `/proc/<pid>/fd` against `/proc/net/tcp*`), matched
/// to `pg_stat_activity.client_port`. Backends that serve other clients of a shared database
/// (other tests, other benchmarks) are not counted, nor are PostgreSQL's own auxiliary
/// processes (WAL writer, checkpointer).
pub struct CpuProbe {
    pub server_pid: u32,
    ticks_per_second: u64,
    /// Our own connection to the database, for `pg_stat_activity`; None on SQLite.
    postgres: Option<(Db, u16)>,
}

impl CpuProbe {
    pub fn new(server_pid: u32, db: &Db, database_url: &str) -> Self {
        let postgres = database_url.starts_with("postgres").then(|| {
            let port = url::Url::parse(database_url)
                .ok()
                .and_then(|u| u.port())
                .unwrap_or(5432);
            (db.clone(), port)
        });
        Self {
            server_pid,
            ticks_per_second: clock_ticks_per_second(),
            postgres,
        }
    }

    pub fn sample(&self) -> CpuSample {
        let postgres = match &self.postgres {
            Some((db, port)) => self
                .backends(db, *port)
                .into_iter()
                .filter_map(|pid| Some((pid, cpu_ticks(pid)?)))
                .collect(),
            None => BTreeMap::new(),
        };
        CpuSample {
            at: Instant::now(),
            server: cpu_ticks(self.server_pid).unwrap_or(0),
            me: cpu_ticks(std::process::id()).unwrap_or(0),
            postgres,
            cpus: cpu_ticks_per_cpu(),
        }
    }

    /// The PostgreSQL backends serving the server now (pids), for the report; empty on SQLite.
    pub fn backends_now(&self) -> Vec<u32> {
        match &self.postgres {
            Some((db, port)) => self.backends(db, *port),
            None => Vec::new(),
        }
    }

    /// What was used from `start` to `end`. A backend that appeared in between counts from
    /// zero (its whole life is inside the window); one that ended in between is lost.
    pub fn used(&self, start: &CpuSample, end: &CpuSample) -> CpuUsed {
        let us = |ticks: u64| ticks as f64 * 1e6 / self.ticks_per_second as f64;
        let postgres = self.postgres.as_ref().and_then(|_| {
            if end.postgres.is_empty() {
                return None;
            }
            let ticks: u64 = end
                .postgres
                .iter()
                .map(|(pid, t)| t.saturating_sub(start.postgres.get(pid).copied().unwrap_or(0)))
                .sum();
            Some(us(ticks))
        });
        let cpu_busy = start
            .cpus
            .iter()
            .zip(&end.cpus)
            .map(|((b0, t0), (b1, t1))| {
                let total = t1.saturating_sub(*t0);
                if total == 0 {
                    0.0
                } else {
                    b1.saturating_sub(*b0) as f64 / total as f64
                }
            })
            .collect();
        CpuUsed {
            server_us: us(end.server.saturating_sub(start.server)),
            me_us: us(end.me.saturating_sub(start.me)),
            postgres_us: postgres,
            wall_us: end.at.duration_since(start.at).as_secs_f64() * 1e6,
            cpu_busy,
        }
    }

    fn backends(&self, db: &Db, port: u16) -> Vec<u32> {
        let local_ports = sockets_to_port(self.server_pid, port);
        if local_ports.is_empty() {
            return Vec::new();
        }
        #[derive(QueryableByName)]
        struct Activity {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            client_port: i32,
        }
        let rows: Vec<Activity> = match db.conn() {
            Ok(mut conn) => match &mut *conn {
                DbConnection::Pg(c) => diesel::sql_query(
                    "SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL",
                )
                .load(c)
                .unwrap_or_default(),
                DbConnection::Sqlite(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        rows.into_iter()
            .filter(|a| local_ports.contains(&(a.client_port as u16)))
            .map(|a| a.pid as u32)
            .collect()
    }
}

/// Local ports of `pid`'s TCP connections whose remote port is `remote_port`.
fn sockets_to_port(pid: u32, remote_port: u16) -> HashSet<u16> {
    let inodes: HashSet<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|target| {
                    let t = target.to_string_lossy().into_owned();
                    t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(inode)) = (f.get(1), f.get(2), f.get(9)) else {
                continue;
            };
            let port_of = |addr: &str| {
                addr.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if inode.parse().is_ok_and(|i: u64| inodes.contains(&i))
                && port_of(remote) == Some(remote_port)
            {
                if let Some(p) = port_of(local) {
                    ports.insert(p);
                }
            }
        }
    }
    ports
}

// ---------------------------------------------------------------------------------------------
// Operator commands.

/// Runs the binary with `args` on `database_url`; answers its stdout, or panics with stderr.
pub fn cli(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run d2l-groups");
    assert!(
        out.status.success(),
        "d2l-groups {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Registers an OAuth client acting as `user` with `scope`; answers (client_id, secret).
pub fn add_client(database_url: &str, user: &str, scope: &str) -> (String, String) {
    let printed = cli(
        database_url,
        &[
            "client",
            "add",
            "--name",
            "http-bench",
            "--user",
            user,
            "--scope",
            scope,
        ],
    );
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name}= in the output of client add: {printed}"))
            .trim()
            .to_string()
    };
    (field("client_id"), field("client_secret"))
}

/// The schema named in a PostgreSQL test URL (`options=-csearch_path%3D<schema>`), if any.
pub fn schema_of(database_url: &str) -> Option<String> {
    database_url
        .split("search_path%3D")
        .nth(1)
        .map(|s| s.split('&').next().unwrap_or(s).to_string())
}

/// Drops the benchmark's PostgreSQL schema, or removes its SQLite file.
pub fn drop_database(db: &Db, database_url: &str) {
    if let Some(schema) = schema_of(database_url) {
        if let Ok(mut conn) = db.conn() {
            if let DbConnection::Pg(c) = &mut *conn {
                match diesel::sql_query(format!("DROP SCHEMA {schema} CASCADE")).execute(c) {
                    Ok(_) => println!("dropped schema {schema}"),
                    Err(e) => println!("could not drop schema {schema}: {e}"),
                }
            }
        }
    } else if let Some(path) = database_url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Set-up through HTTP.

pub struct Setup {
    client: reqwest::Client,
    base: String,
    pub admin: String,
}

impl Setup {
    pub fn new(base: &str, admin: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(3))
                .build()
                .expect("client"),
            base: base.trim_end_matches('/').to_string(),
            admin: admin.to_string(),
        }
    }

    pub fn lp(&self, rest: &str) -> String {
        format!("/d2l/api/lp/{}{rest}", super::common::V)
    }

    /// GET `path` with `token`; answers the status and the JSON body (Null if none).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("GET");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.admin)
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A token from `POST /core/connect/token` (client credentials).
    pub async fn client_token(&self, id: &str, secret: &str, scope: &str) -> String {
        let res = self
            .client
            .post(format!("{}/core/connect/token", self.base))
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&scope={}",
                url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()
            ))
            .send()
            .await
            .expect("token endpoint");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "token endpoint: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// `POST /courses/`; answers the org unit id.
    pub async fn create_course(&self, code: &str) -> i64 {
        let (status, body) = self
            .post(&self.lp("/courses/"), &super::common::course_body(code))
            .await;
        assert_eq!(status, 200, "create course {code}: {body}");
        body["Identifier"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("course Identifier")
    }

    /// Creates a category of `groups` groups in `style` (a GRPENROLL_T name that takes
    /// NumberOfGroups) and waits for its job to finish; answers the category id.
    pub async fn create_category(
        &self,
        course: i64,
        name: &str,
        style: &str,
        groups: usize,
    ) -> i64 {
        let body = json!({
            "Name": name, "Description": {"Content": "", "Type": "Text"},
            "EnrollmentStyle": style, "EnrollmentQuantity": null,
            "AutoEnroll": false, "RandomizeEnrollments": false, "NumberOfGroups": groups,
            "MaxUsersPerGroup": null, "AllocateAfterExpiry": false, "SelfEnrollmentExpiryDate": null,
            "GroupPrefix": name, "RestrictedByOrgUnitId": null, "DescriptionsVisibleToEnrolees": false
        });
        let base = self.lp(&format!("/{course}/groupcategories/"));
        let started = Instant::now();
        let (status, job) = self.post(&base, &body).await;
        assert!(
            status == 202 || status == 200,
            "create category {name}: {status} {job}"
        );
        let category = job["CategoryId"].as_i64().expect("CategoryId");
        let status_url = format!("{base}{category}/status");
        loop {
            let (code, s) = self.get(&status_url, Some(&self.admin)).await;
            assert_eq!(code, 200, "category status: {s}");
            match s["Status"].as_i64() {
                Some(1) => break,
                Some(0) | None => {}
                Some(_) => panic!("category {name} failed: {s}"),
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "category {name} never completed"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!(
            "  category {name} ({style}, {groups} groups) on course {course} in {:.2?}",
            started.elapsed()
        );
        category
    }

    /// `POST /sections/settings`: `sections` sections, learners placed in order.
    pub async fn create_sections(&self, course: i64, sections: usize) {
        let body = json!({
            "EnrollmentStyle": "NumberOfSectionsAutoEnrollment", "EnrollmentQuantity": sections,
            "AutoEnroll": false, "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false
        });
        let (status, answer) = self
            .post(&self.lp(&format!("/{course}/sections/settings")), &body)
            .await;
        assert_eq!(status, 200, "sections settings: {answer}");
    }

    /// The group ids of a category.
    pub async fn group_ids(&self, course: i64, category: i64) -> Vec<i64> {
        let (status, groups) = self
            .get(
                &self.lp(&format!("/{course}/groupcategories/{category}/groups/")),
                Some(&self.admin),
            )
            .await;
        assert_eq!(status, 200, "groups of {category}: {groups}");
        groups
            .as_array()
            .expect("groups array")
            .iter()
            .filter_map(|g| g["GroupId"].as_i64())
            .collect()
    }
}

/// Members listed under `Enrollments` across an array of groups or sections.
pub fn members_in(list: &Value) -> usize {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|g| g["Enrollments"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0)
}
