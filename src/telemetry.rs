//! Structured logs through `tracing`: human-readable text or JSON lines (`LOG_FORMAT`), filtered
//! by `RUST_LOG` (default `info`). Every line logged while serving a request carries its id and
//! its trace id. Text is coloured only on a terminal: a file, a pipe or a log collector gets no
//! ANSI escape codes (nor a terminal when `NO_COLOR` is set).
//!
//! Also here, as plain functions: which incoming `X-Request-Id` is honoured, and W3C Trace
//! Context (`traceparent`, `tracestate`), read and answered by `middleware::request_context`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.with_ansi(colour_wanted()).try_init(),
    };
}

/// Colour for people at a terminal only (<https://no-color.org>: any non-empty `NO_COLOR`
/// turns it off there too).
fn colour_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The longest `X-Request-Id` honoured; longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// An incoming `X-Request-Id` is honoured when it is 1 to 128 of HTTP's token characters
/// (RFC 9110 §5.6.2: letters, digits and ``!#$%&'*+-.^_`|~``): enough for UUIDs, ULIDs and
/// the usual proxies' ids, and nothing that could break a log line or a header.
pub fn valid_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len()) && id.bytes().all(is_tchar)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A W3C Trace Context `traceparent` as this server reads it (version, trace id, parent id,
/// flags), all lowercase hex as the header requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: String,
    pub parent_id: String,
    pub flags: String,
}

impl TraceParent {
    /// Parses a `traceparent` header (W3C Trace Context §3.2); `None` for anything the
    /// specification says to ignore: a wrong length or separator, upper-case or non-hex
    /// digits, an all-zero trace or parent id, version `ff`, or version 00 with trailing data.
    /// A later version is read by its first four fields, as the specification asks.
    pub fn parse(header: &str) -> Option<Self> {
        let bytes = header.as_bytes();
        if bytes.len() < 55 {
            return None;
        }
        let (version, trace_id, parent_id, flags) = (
            header.get(0..2)?,
            header.get(3..35)?,
            header.get(36..52)?,
            header.get(53..55)?,
        );
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        if !lower_hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && bytes.len() != 55 {
            return None;
        }
        if version != "00" && bytes.len() > 55 && bytes[55] != b'-' {
            return None;
        }
        if !lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(flags) {
            return None;
        }
        if all_zero(trace_id) || all_zero(parent_id) {
            return None;
        }
        Some(Self {
            trace_id: trace_id.to_string(),
            parent_id: parent_id.to_string(),
            flags: flags.to_string(),
        })
    }
}

fn lower_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn all_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// A new trace id: 16 random bytes in lowercase hex, never all zeros.
pub fn new_trace_id() -> String {
    format!("{:032x}", rand::random::<u128>().max(1))
}

/// A new span id: 8 random bytes in lowercase hex, never all zeros.
pub fn new_span_id() -> String {
    format!("{:016x}", rand::random::<u64>().max(1))
}

/// The `traceparent` this server answers and passes on: version 00, the trace id, this
/// server's span id as the parent, and the flags.
pub fn traceparent(trace_id: &str, span_id: &str, flags: &str) -> String {
    format!("00-{trace_id}-{span_id}-{flags}")
}

/// Whether a `tracestate` may be passed on (W3C Trace Context §3.3): at most 32 list members
/// of `key=value`, keys as the grammar says (`vendor` or `tenant@vendor`), values of printable
/// ASCII without `,` or `=` and not ending in a space, 512 characters in all. Anything else is
/// dropped rather than repeated.
pub fn valid_tracestate(header: &str) -> bool {
    if header.len() > 512 {
        return false;
    }
    let members: Vec<&str> = header
        .split(',')
        .map(|m| m.trim_matches([' ', '\t']))
        .filter(|m| !m.is_empty())
        .collect();
    !members.is_empty()
        && members.len() <= 32
        && members.iter().all(|member| {
            member
                .split_once('=')
                .is_some_and(|(key, value)| tracestate_key(key) && tracestate_value(value))
        })
}

fn tracestate_key(key: &str) -> bool {
    let part = |s: &str, max: usize, first_digit_ok: bool| {
        let bytes = s.as_bytes();
        (1..=max).contains(&bytes.len())
            && (bytes[0].is_ascii_lowercase() || (first_digit_ok && bytes[0].is_ascii_digit()))
            && bytes
                .iter()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'))
    };
    match key.split_once('@') {
        None => part(key, 256, false),
        Some((tenant, system)) => part(tenant, 241, true) && part(system, 14, false),
    }
}

fn tracestate_value(value: &str) -> bool {
    (1..=256).contains(&value.len())
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
        && !value.ends_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_token_characters_of_bounded_length() {
        assert!(valid_request_id("3f1c0d2e-8a8b-4e0c-9a53-6f1c2d3e4f50"));
        assert!(valid_request_id("01HZX3K9Q2ABCDEF"));
        assert!(valid_request_id("a"));
        assert!(valid_request_id(&"x".repeat(128)));
        assert!(!valid_request_id(&"x".repeat(129)));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id("line\nbreak"));
        assert!(!valid_request_id("quote\"d"));
        assert!(!valid_request_id("é"));
        assert!(!valid_request_id("a/b"));
    }

    #[test]
    fn traceparent_is_read_as_the_specification_says() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            TraceParent::parse(good),
            Some(TraceParent {
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                parent_id: "00f067aa0ba902b7".into(),
                flags: "01".into(),
            })
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            "0é-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
        // A later version: its first four fields, and what follows a dash is left alone.
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-next";
        assert!(TraceParent::parse(later).is_some());
        let glued = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x";
        assert!(TraceParent::parse(glued).is_none());
    }

    #[test]
    fn random_ids_are_lowercase_hex_of_the_asked_length() {
        let trace = new_trace_id();
        let span = new_span_id();
        assert_eq!(trace.len(), 32);
        assert_eq!(span.len(), 16);
        assert!(lower_hex(&trace) && lower_hex(&span));
        assert_ne!(new_trace_id(), trace);
        let answered = traceparent(&trace, &span, "01");
        assert!(TraceParent::parse(&answered).is_some(), "{answered}");
    }

    #[test]
    fn tracestate_is_passed_on_only_when_well_formed() {
        assert!(valid_tracestate("congo=t61rcWkgMzE"));
        assert!(valid_tracestate("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"));
        assert!(valid_tracestate("fw529a3039@dt=x ,, 1tenant@vendor=y"));
        assert!(!valid_tracestate(""));
        assert!(!valid_tracestate("Upper=x"));
        assert!(!valid_tracestate("novalue"));
        assert!(!valid_tracestate("k=a=b"));
        // White space after a member is the list's (OWS), not the value's.
        assert!(valid_tracestate("k=trailing "));
        assert!(valid_tracestate("k=in side"));
        assert!(!valid_tracestate("k=\u{7f}"));
        assert!(!valid_tracestate(&format!("k={}", "v".repeat(600))));
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert!(!valid_tracestate(&many.join(",")));
    }
}
