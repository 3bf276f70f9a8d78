//! Parsing what clients send, the same way on every route: JSON whose errors name the
//! offending field, text without U+0000, canonical D2LIDs, booleans and bookmarks as
//! Brightspace's clients write them.

use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// Parses JSON, naming the path of the first offending field in the error. A string holding
/// U+0000 anywhere in the document (in a field the target type ignores, too) is a 400 naming its
/// path: PostgreSQL refuses the character in text, so it must never get that far.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A JSON request body is required."));
    }
    if let Some(path) = json_nul_path(bytes) {
        return Err(nul_error(&path));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            ApiError::bad_request(format!("The request body is not valid: {inner}."))
        } else {
            ApiError::bad_request(format!("{path}: {inner}."))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("The request body has trailing data: {e}.")))?;
    Ok(value)
}

/// The one answer to text holding U+0000, wherever it came from; `field` names where.
pub fn nul_error(field: &str) -> ApiError {
    ApiError::bad_request(format!("{field}: text may not contain U+0000 (NUL)."))
}

/// The JSON path (as `serde_path_to_error` writes it: `Items[2].Name`) of the first string or
/// key holding U+0000, if any. Raw NUL bytes are not valid JSON, so the character can only
/// arrive as the escape `\u0000`; bodies without that escape (all but hostile ones) cost one
/// scan and no second parse. A body that is not valid JSON is left to the caller's parse,
/// which names its error.
fn json_nul_path(bytes: &[u8]) -> Option<String> {
    let escaped = bytes.windows(6).any(|w| {
        w[0] == b'\\' && w[1].eq_ignore_ascii_case(&b'u') && w[2..].iter().all(|b| *b == b'0')
    });
    if !escaped {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut path = String::new();
    nul_in_value(&value, &mut path).then_some(path)
}

/// Depth-first search for U+0000, leaving the path of the first hit in `path`.
fn nul_in_value(value: &serde_json::Value, path: &mut String) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = nul_in_value(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(map) => map.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            if key.contains('\0') {
                path.push_str(&key.escape_debug().to_string());
                return true;
            }
            path.push_str(key);
            let found = nul_in_value(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

/// The name of the first query parameter whose name or value holds U+0000 (sent as `%00`).
/// Only a query string containing `%00` is decoded; one that does not decode is left to the
/// handler's own parse, which answers it.
pub fn query_nul_parameter(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs
        .into_iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.escape_debug().to_string())
}

/// Query-string booleans as clients send them: `true`/`True`/`1`, `false`/`False`/`0`.
pub fn parse_bool(name: &str, value: &str) -> ApiResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{name}: {value:?} is not a boolean."
        ))),
    }
}

pub use crate::domain::ids::canonical_id;

/// Parses a D2LID taken from a query string: anything not canonical is a 400 naming it.
pub fn parse_id(name: &str, value: &str) -> ApiResult<i64> {
    canonical_id(value)
        .ok_or_else(|| ApiError::bad_request(format!("{name}: {value:?} is not a valid id.")))
}

/// Parses a D2LID taken from the path; anything not canonical names nothing, so it is a 404.
pub fn path_id(what: &str, value: &str) -> ApiResult<i64> {
    canonical_id(value).ok_or_else(|| ApiError::not_found(format!("{what} {value:?} not found.")))
}

/// Reads a bookmark back: the key after which the next page starts.
pub fn parse_bookmark(value: Option<&str>) -> ApiResult<i64> {
    match value {
        None | Some("") | Some("0") => Ok(0),
        Some(v) => canonical_id(v).ok_or_else(|| {
            ApiError::bad_request(format!(
                "bookmark: {v:?} is not a bookmark this server issued."
            ))
        }),
    }
}

/// A UTCDateTime query parameter (`startDateTime=2026-09-01T00:00:00.000Z`), or a 400 naming it.
pub fn parse_utc(name: &str, value: &str) -> ApiResult<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|dt| dt.with_timezone(&chrono::Utc).naive_utc())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name}: {value:?} is not a UTC date-time (yyyy-MM-ddTHH:mm:ss.fffZ)."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn booleans_accept_what_clients_send() {
        for t in ["true", "True", "1", "TRUE"] {
            assert!(parse_bool("b", t).expect("bool"));
        }
        for f in ["false", "False", "0"] {
            assert!(!parse_bool("b", f).expect("bool"));
        }
        assert!(parse_bool("b", "yes").is_err());
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(rename = "Name")]
            _name: String,
        }
        let err = parse_json::<T>(br#"{"Name": 5}"#).expect_err("wrong type");
        assert!(err.to_string().starts_with("Name:"), "{err}");
        assert!(parse_json::<T>(b"").is_err());
        assert!(parse_json::<T>(br#"{"Name": "a"} x"#).is_err());
        assert!(parse_json::<T>(br#"{"Name": "a", "Other": 1}"#).is_ok());
    }

    #[test]
    fn ids_are_canonical() {
        assert_eq!(canonical_id("1"), Some(1));
        assert_eq!(canonical_id("6606"), Some(6606));
        assert_eq!(canonical_id("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            "0",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e0",
            "0x1",
            "١",
            "9223372036854775808",
        ] {
            assert_eq!(canonical_id(bad), None, "{bad:?}");
        }
        assert!(parse_bookmark(Some("0")).is_ok());
        assert!(parse_bookmark(Some("00")).is_err());
    }

    #[test]
    fn nul_anywhere_in_json_is_named_by_its_path() {
        let path = |body: &str| json_nul_path(body.as_bytes());
        assert_eq!(path(r#"{"Name": "a\u0000"}"#), Some("Name".into()));
        assert_eq!(
            path(r#"{"A": 1, "D": {"Content": "x\u0000y"}}"#),
            Some("D.Content".into())
        );
        assert_eq!(
            path(r#"[{"P": "lp"}, {"P": "\u0000"}]"#),
            Some("[1].P".into())
        );
        assert_eq!(path(r#"{"L": [["ok", "\u0000"]]}"#), Some("L[0][1]".into()));
        assert_eq!(path(r#"{"K\u0000": 1}"#), Some("K\\0".into()));
        // The text `\u0000` (an escaped backslash) is not a NUL; nor is malformed JSON named.
        assert_eq!(path(r#"{"Name": "C:\\u0000"}"#), None);
        assert_eq!(path(r#"{"Name": "\u0000"#), None);
        assert_eq!(path(r#"{"Name": "a"}"#), None);

        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(rename = "Name")]
            _name: String,
        }
        let err = parse_json::<T>(br#"{"Name": "ok", "Unread": ["\u0000"]}"#).expect_err("NUL");
        assert!(err.to_string().starts_with("Unread[0]: "), "{err}");
        assert!(parse_json::<T>(br#"{"Name": "C:\\u0000"}"#).is_ok());
    }

    #[test]
    fn nul_in_a_query_names_the_parameter() {
        assert_eq!(query_nul_parameter("a=1&b=x%00"), Some("b".into()));
        assert_eq!(query_nul_parameter("a%00=1"), Some("a\\0".into()));
        assert_eq!(query_nul_parameter("a=1&b=%2500"), None);
        assert_eq!(query_nul_parameter("a=1"), None);
    }
}
