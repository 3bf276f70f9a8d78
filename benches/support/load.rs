//! A cheap HTTP/1.1 load generator for `benches/http.rs`: keep-alive connections over tokio's
//! `TcpStream`, requests built once as bytes, answers parsed only as far as the status line,
//! `Content-Length` or chunked framing. On a 2-core machine whose other core runs the server,
//! the client's own CPU per request has to stay far below the server's, which reqwest's does
//! not (header maps, body buffering, a connection pool per request).
//!
//! Two drivers:
//! - [`closed_loop`]: C connections each sending back-to-back for a time (what wrk does);
//! - [`open_loop`]: requests scheduled at a fixed rate, each latency measured from the time it
//!   was due, not from when it was sent, so a slow server cannot hide its queue by slowing the
//!   client down (no coordinated omission).

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request ready to send, as bytes.
#[derive(Clone)]
pub struct Request {
    pub bytes: Arc<[u8]>,
}

impl Request {
    /// `GET path`, with a bearer token when given.
    pub fn get(host: &str, path: &str, token: Option<&str>) -> Self {
        let mut text =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n");
        if let Some(t) = token {
            text.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        text.push_str("\r\n");
        Self {
            bytes: text.into_bytes().into(),
        }
    }

    /// `POST path` with a JSON body and a bearer token.
    pub fn post_json(host: &str, path: &str, token: &str, body: &str) -> Self {
        let text = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Self {
            bytes: text.into_bytes().into(),
        }
    }
}

/// Longest wait for one answer before it counts as a transport failure.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How an answer was framed, counted once per phase so that the report can say whether the
/// server sent `Content-Length` (it should, for JSON answers) or chunked bodies.
#[derive(Clone, Copy, Default, Debug)]
pub struct Framing {
    pub content_length: u64,
    pub chunked: u64,
}

/// One keep-alive connection.
pub struct Conn {
    addr: String,
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` that hold data not yet consumed.
    filled: usize,
    pub framing: Framing,
}

/// What one answer was: its status and body length.
pub struct Answer {
    pub status: u16,
    pub body_len: usize,
}

impl Conn {
    pub async fn open(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            addr: addr.to_string(),
            stream,
            buf: vec![0; 64 * 1024],
            filled: 0,
            framing: Framing::default(),
        })
    }

    /// Sends `req` and reads its answer. A connection the server closed while idle (keep-alive
    /// timeout) is reopened and the request sent once more; any other failure is the caller's.
    pub async fn send(&mut self, req: &Request) -> io::Result<Answer> {
        match self.exchange_within(req).await {
            Ok(answer) => Ok(answer),
            Err(e) if self.filled == 0 && is_closed(&e) => {
                self.reopen().await?;
                self.exchange_within(req).await
            }
            Err(e) => {
                // Whatever state the stream is in, it cannot be trusted for the next request.
                let _ = self.reopen().await;
                Err(e)
            }
        }
    }

    async fn reopen(&mut self) -> io::Result<()> {
        let stream = TcpStream::connect(&self.addr).await?;
        stream.set_nodelay(true)?;
        self.stream = stream;
        self.filled = 0;
        Ok(())
    }

    /// [`Conn::exchange`], given up after [`ANSWER_TIMEOUT`] so that a hung server ends a run.
    async fn exchange_within(&mut self, req: &Request) -> io::Result<Answer> {
        match tokio::time::timeout(ANSWER_TIMEOUT, self.exchange(req)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer within {ANSWER_TIMEOUT:?}"),
            )),
        }
    }

    async fn exchange(&mut self, req: &Request) -> io::Result<Answer> {
        self.stream.write_all(&req.bytes).await?;
        // The head: up to the blank line.
        let head_end = loop {
            if let Some(i) = find(&self.buf[..self.filled], b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = &self.buf[..head_end];
        let status = parse_status(head)?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        for line in head.split(|b| *b == b'\n').skip(1) {
            let line = trim(line);
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"content-length") {
                length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = contains_ignore_case(value, b"chunked");
            } else if name.eq_ignore_ascii_case(b"connection") {
                close = contains_ignore_case(value, b"close");
            }
        }
        self.consume(head_end);
        let body_len = if chunked {
            self.framing.chunked += 1;
            self.read_chunked().await?
        } else {
            self.framing.content_length += 1;
            // No length and no chunking: 1xx/204/304 have no body; anything else would be
            // framed by the close, which this server does not do.
            let n = length.unwrap_or(0);
            while self.filled < n {
                self.fill().await?;
            }
            self.consume(n);
            n
        };
        if close {
            self.reopen().await?;
        }
        Ok(Answer { status, body_len })
    }

    /// Reads a chunked body to its end (trailers included); answers its decoded length.
    async fn read_chunked(&mut self) -> io::Result<usize> {
        let mut total = 0;
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[..self.filled], b"\r\n") {
                    break i;
                }
                self.fill().await?;
            };
            let size_text = &self.buf[..line_end];
            let size_text = size_text
                .split(|b| *b == b';')
                .next()
                .map(trim)
                .unwrap_or_default();
            let size = std::str::from_utf8(size_text)
                .ok()
                .and_then(|s| usize::from_str_radix(s, 16).ok())
                .ok_or_else(|| invalid("bad chunk size"))?;
            self.consume(line_end + 2);
            if size == 0 {
                // Trailers, if any, end with an empty line.
                loop {
                    let end = loop {
                        if let Some(i) = find(&self.buf[..self.filled], b"\r\n") {
                            break i;
                        }
                        self.fill().await?;
                    };
                    self.consume(end + 2);
                    if end == 0 {
                        return Ok(total);
                    }
                }
            }
            while self.filled < size + 2 {
                self.fill().await?;
            }
            self.consume(size + 2);
            total += size;
        }
    }

    /// Reads more bytes into the buffer, growing it when full.
    async fn fill(&mut self) -> io::Result<()> {
        if self.filled == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        self.filled += n;
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn parse_status(head: &[u8]) -> io::Result<u16> {
    // "HTTP/1.1 200 OK"
    let mut parts = head.splitn(3, |b| *b == b' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with(b"HTTP/1.") {
        return Err(invalid("not an HTTP/1 answer"));
    }
    parts
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| invalid("bad status line"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// What a phase saw. Latencies are in microseconds, of every answered request (errors too).
#[derive(Default)]
pub struct Tally {
    pub answered: u64,
    /// Non-2xx answers by status; transport failures under status 0.
    pub errors: BTreeMap<u16, u64>,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
    pub latencies_us: Vec<u32>,
    pub framing: Framing,
    /// Open loop only: requests due but never sent before the run was cut off.
    pub unsent: u64,
}

impl Tally {
    fn record(&mut self, outcome: io::Result<Answer>, latency: Duration) {
        let us = latency.as_micros().min(u32::MAX as u128) as u32;
        match outcome {
            Ok(answer) => {
                self.answered += 1;
                self.latencies_us.push(us);
                if !(200..300).contains(&answer.status) {
                    *self.errors.entry(answer.status).or_default() += 1;
                    self.first_error
                        .get_or_insert_with(|| format!("HTTP {}", answer.status));
                }
            }
            Err(e) => {
                *self.errors.entry(0).or_default() += 1;
                self.first_error
                    .get_or_insert_with(|| format!("transport: {e}"));
            }
        }
    }

    /// A request that was due at `due` and never sent: its wait until now goes into the
    /// latencies, a lower bound of what it would have taken.
    fn record_unsent(&mut self, due: Instant) {
        self.unsent += 1;
        let us = due.elapsed().as_micros().min(u32::MAX as u128) as u32;
        self.latencies_us.push(us);
    }

    pub fn merge(&mut self, other: Tally) {
        self.answered += other.answered;
        self.unsent += other.unsent;
        for (status, n) in other.errors {
            *self.errors.entry(status).or_default() += n;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies_us.extend(other.latencies_us);
        self.framing.content_length += other.framing.content_length;
        self.framing.chunked += other.framing.chunked;
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Sorts the latencies, for [`Tally::percentile_ms`].
    pub fn sort(&mut self) {
        self.latencies_us.sort_unstable();
    }

    /// The `p`-th percentile (nearest rank) in milliseconds, of sorted latencies.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = &self.latencies_us;
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
    }

    /// "0", or "12 (first: HTTP 404)"-style text, for the tables.
    pub fn errors_text(&self) -> String {
        let n = self.error_count();
        if n == 0 {
            return "0".into();
        }
        let by: Vec<String> = self
            .errors
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("{n} × transport")
                } else {
                    format!("{n} × {s}")
                }
            })
            .collect();
        format!(
            "{n}: {} (first: {})",
            by.join(", "),
            self.first_error.as_deref().unwrap_or("?")
        )
    }
}

/// Opens `n` connections to `addr`.
pub async fn open_all(addr: &str, n: usize) -> io::Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        conns.push(Conn::open(addr).await?);
    }
    Ok(conns)
}

/// Closed loop: every connection sends `requests` in turn (each connection starting at a
/// different one), back to back, until `duration` has passed; requests in flight at the
/// deadline are waited for. Answers the tally and the time from the start to the last answer.
pub async fn closed_loop(
    conns: Vec<Conn>,
    requests: Arc<Vec<Request>>,
    duration: Duration,
) -> (Tally, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(conns.len());
    for (i, mut conn) in conns.into_iter().enumerate() {
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut next = i % requests.len();
            loop {
                let sent = Instant::now();
                if sent >= deadline {
                    break;
                }
                let outcome = conn.send(&requests[next]).await;
                tally.record(outcome, sent.elapsed());
                next = (next + 1) % requests.len();
            }
            tally.framing = conn.framing;
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await.expect("load task"));
    }
    (total, started.elapsed())
}

/// What an open-loop run saw, beside its tally.
pub struct OpenOutcome {
    /// `tally.unsent` counts the requests whose time came but that no connection had sent when
    /// the run was cut off (the server fell behind); their wait so far is in the latencies, as
    /// a lower bound.
    pub tally: Tally,
    /// From the first scheduled time to the last answer.
    pub elapsed: Duration,
    pub scheduled: u64,
}

/// Open loop: request `i` of `schedule` is due at `t0 + i / rate`, whether or not earlier ones
/// were answered. A dispatcher thread releases each at its time into a queue that the
/// connections take from; when none is free the request waits, and the wait counts in its
/// latency, measured from when it was due. After the last one is due, the run waits at most
/// `grace` for the queue to drain, then counts what is still unsent.
pub async fn open_loop(
    conns: Vec<Conn>,
    schedule: Vec<Request>,
    rate: f64,
    grace: Duration,
) -> OpenOutcome {
    struct Job {
        due: Instant,
        req: Request,
    }
    let scheduled = schedule.len() as u64;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    // A little ahead, so that the connections are all waiting when the first is due.
    let t0 = Instant::now() + Duration::from_millis(20);
    let last_due = t0 + Duration::from_secs_f64(scheduled as f64 / rate);
    let cutoff = last_due + grace;
    // A plain thread sleeps with finer resolution than tokio's millisecond timer.
    let dispatcher = std::thread::spawn(move || {
        for (i, req) in schedule.into_iter().enumerate() {
            let due = t0 + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send(Job { due, req }).is_err() {
                break;
            }
        }
    });
    let mut tasks = Vec::with_capacity(conns.len());
    for mut conn in conns {
        let rx = rx.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let job = {
                    let mut rx = rx.lock().await;
                    match tokio::time::timeout_at(cutoff.into(), rx.recv()).await {
                        Ok(Some(job)) => job,
                        // The queue is closed and empty, or the run is cut off.
                        Ok(None) | Err(_) => break,
                    }
                };
                if Instant::now() >= cutoff {
                    tally.record_unsent(job.due);
                    break;
                }
                let outcome = conn.send(&job.req).await;
                tally.record(outcome, job.due.elapsed());
            }
            tally.framing = conn.framing;
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await.expect("load task"));
    }
    // What is still queued was due and never sent; the dispatcher stops at the closed channel.
    {
        let mut rx = rx.lock().await;
        rx.close();
        while let Ok(job) = rx.try_recv() {
            total.record_unsent(job.due);
        }
    }
    let _ = dispatcher.join();
    let elapsed = Instant::now().saturating_duration_since(t0);
    OpenOutcome {
        tally: total,
        elapsed,
        scheduled,
    }
}
