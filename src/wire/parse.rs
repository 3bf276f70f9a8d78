//! Parsing what clients send, the same way on every route: JSON whose errors name the
//! offending field, text without U+0000, canonical D2LIDs, booleans and bookmarks as
//! Brightspace's clients write them.

use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// Parses JSON, naming the path of the first offending field in the error. A string holding
/// U+0000 anywhere in the document (in a field the target type ignores, too) is a 400 naming its
/// path: PostgreSQL refuses the character in text, so it must never get that far. Fields the
/// form does not know are ignored, as Brightspace ignores them; [`parse_json_strictly`] refuses
/// them instead.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    check_body(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(field_error)?;
    finish(de)?;
    Ok(value)
}

/// [`parse_json`] under the strict-input setting (`--strict-input`): a field the form does not
/// know is a 400 naming it, and the nearest known field where one is close, so that a typo such
/// as `"AutoEnrol": true` is not silently dropped.
pub fn parse_json_strictly<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    check_body(bytes)?;
    let mut unknown: Option<String> = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut record = |path: serde_ignored::Path<'_>| {
        unknown.get_or_insert_with(|| path.to_string());
    };
    let tracked = serde_ignored::Deserializer::new(&mut de, &mut record);
    let value: T = serde_path_to_error::deserialize(tracked).map_err(field_error)?;
    finish(de)?;
    match unknown {
        None => Ok(value),
        Some(path) => Err(unknown_field_error(&path, known_fields::<T>())),
    }
}

/// What every JSON body must be before it is parsed: present, and free of U+0000.
fn check_body(bytes: &[u8]) -> ApiResult<()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A JSON request body is required."));
    }
    match json_nul_path(bytes) {
        Some(path) => Err(nul_error(&path)),
        None => Ok(()),
    }
}

fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if path.is_empty() || path == "." {
        ApiError::bad_request(format!("The request body is not valid: {inner}."))
    } else {
        ApiError::bad_request(format!("{path}: {inner}."))
    }
}

fn finish(mut de: serde_json::Deserializer<serde_json::de::SliceRead<'_>>) -> ApiResult<()> {
    de.end()
        .map_err(|e| ApiError::bad_request(format!("The request body has trailing data: {e}.")))
}

/// The strict-input refusal. `path` is where the unknown field is (`AutoEnrol`, or
/// `Items.0.Nmae` inside a nested object); `known` the top-level form's fields, which a
/// top-level field is compared with.
fn unknown_field_error(path: &str, known: &[&str]) -> ApiError {
    let top_level = !path.contains('.');
    let hint = top_level
        .then(|| nearest_name(path, known))
        .flatten()
        .map(|name| format!(" Did you mean {name:?}?"))
        .unwrap_or_default();
    ApiError::bad_request(format!(
        "{path}: unknown field (the server refuses unknown fields: strict input is on).{hint}"
    ))
}

/// The fields a form declares, as serde knows them (after renames): asked of the type's
/// `Deserialize` by a deserializer that records what `deserialize_struct` is given and stops.
/// A form that is not a plain struct (a map, a flattened one) declares none.
fn known_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(FieldsProbe) {
        Err(ProbeStop(Some(fields))) => fields,
        _ => &[],
    }
}

struct FieldsProbe;

#[derive(Debug)]
struct ProbeStop(Option<&'static [&'static str]>);

impl std::fmt::Display for ProbeStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for ProbeStop {}

impl serde::de::Error for ProbeStop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        ProbeStop(None)
    }
}

impl<'de> serde::Deserializer<'de> for FieldsProbe {
    type Error = ProbeStop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, ProbeStop> {
        Err(ProbeStop(None))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeStop> {
        Err(ProbeStop(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The known name closest to `given`, ignoring case, if it is close enough to be a typo: at
/// most a third of its length (and at least one) edits away.
pub fn nearest_name<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    let allowed = (given.chars().count() / 3).max(1);
    known
        .iter()
        .map(|name| (edit_distance(&given, &name.to_ascii_lowercase()), *name))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance: insertions, deletions and substitutions of characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
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

    #[derive(Deserialize, Debug)]
    struct Form {
        #[serde(rename = "Name")]
        _name: String,
        #[serde(rename = "AutoEnroll", default)]
        _auto_enroll: bool,
        #[serde(rename = "Items", default)]
        _items: Vec<Item>,
    }

    #[derive(Deserialize, Debug)]
    struct Item {
        #[serde(rename = "Code")]
        _code: String,
    }

    #[test]
    fn strict_input_names_an_unknown_field_and_the_nearest_known_one() {
        let body = br#"{"Name": "x", "AutoEnrol": true}"#;
        assert!(parse_json::<Form>(body).is_ok(), "lenient by default");
        let refused = parse_json_strictly::<Form>(body).expect_err("strict refuses");
        let detail = refused.to_string();
        assert!(detail.contains("AutoEnrol: unknown field"), "{detail}");
        assert!(detail.contains(r#"Did you mean "AutoEnroll"?"#), "{detail}");

        let far = parse_json_strictly::<Form>(br#"{"Name": "x", "Colour": 1}"#)
            .expect_err("strict refuses");
        assert!(!far.to_string().contains("Did you mean"), "{far}");

        let nested =
            parse_json_strictly::<Form>(br#"{"Name": "x", "Items": [{"Code": "a", "Cod": 1}]}"#)
                .expect_err("strict refuses nested fields too");
        assert!(
            nested.to_string().starts_with("Items.0.Cod: unknown field"),
            "{nested}"
        );

        assert!(parse_json_strictly::<Form>(br#"{"Name": "x", "AutoEnroll": true}"#).is_ok());
        // Type errors still name their field first.
        let typed = parse_json_strictly::<Form>(br#"{"Name": 3}"#).expect_err("type error");
        assert!(
            typed.to_string().starts_with("Name: invalid type"),
            "{typed}"
        );
    }

    #[test]
    fn nearest_name_ignores_case_and_refuses_what_is_far() {
        let known = ["Name", "Description", "AutoEnroll", "RandomizeEnrollments"];
        assert_eq!(nearest_name("name", &known), Some("Name"));
        assert_eq!(nearest_name("Descripton", &known), Some("Description"));
        assert_eq!(
            nearest_name("RandomiseEnrolments", &known),
            Some("RandomizeEnrollments")
        );
        assert_eq!(nearest_name("Style", &known), None);
        assert_eq!(nearest_name("X", &[]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
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
