//! Checks on the server's answers: status, content type, body shape.

use std::collections::BTreeSet;

use reqwest::Response;
use serde_json::Value;

/// Brightspace's JSON content type, as every `/d2l/api` success answers it.
pub const JSON_TYPE: &str = "application/json; charset=utf-8";

/// A header's value, if the answer has it.
pub fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header").to_string())
}

/// Asserts `status` and answers the body parsed as JSON, whatever its content type.
pub async fn json_status(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "expected {status}, got {got}: {text}");
    serde_json::from_str(&text).expect("JSON body")
}

/// Asserts `status` with a JSON body of Brightspace's content type, and answers the body.
pub async fn json_typed(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "expected {status}, got {got}: {text}");
    assert_eq!(ctype, JSON_TYPE, "content type of {text}");
    serde_json::from_str(&text).expect("JSON body")
}

/// Asserts a 200 with a JSON body of Brightspace's content type, and answers the body.
pub async fn json_ok(res: Response) -> Value {
    json_typed(res, 200).await
}

/// Asserts the empty 200 that DELETE and enrollment into a section or group answer.
pub async fn ok_empty(res: Response) {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 200, "expected 200, got {status}: {text}");
    assert!(text.is_empty(), "empty body expected: {text}");
}

/// The status of an answer, its body read to the end (so the connection can be reused).
pub async fn status_of(res: Response) -> u16 {
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    status
}

/// Asserts a problem-details answer with `status`, and answers its `detail`.
pub async fn problem(res: Response, status: u16) -> String {
    let body = problem_body(res, status).await;
    body["detail"].as_str().expect("detail").to_string()
}

/// [`problem`], answering the whole problem document.
pub async fn problem_body(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let ctype = header(&res, "content-type").unwrap_or_default();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "expected {status}, got {got}: {text}");
    assert_eq!(ctype, "application/problem+json", "content type of {text}");
    let body: Value = serde_json::from_str(&text).expect("problem JSON");
    assert_eq!(body["status"], status, "{text}");
    assert!(
        body["title"].is_string() && body["type"].is_string(),
        "{text}"
    );
    let detail = body["detail"].as_str().expect("detail");
    assert_eq!(body["Errors"][0]["Message"], detail, "{text}");
    body
}

/// Asserts that `v` is an object with exactly the keys `expected`.
pub fn assert_keys(v: &Value, expected: &[&str]) {
    let got: BTreeSet<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(got, want, "keys of {v}");
}

/// The numbers of a JSON array of ids (`Enrollments`, `Groups`, a roster).
pub fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| x.as_i64().expect("numeric id"))
        .collect()
}

/// The member ids of each section or group of a list, in list order.
pub fn rosters(units: &[Value]) -> Vec<Vec<i64>> {
    units.iter().map(|u| ids(&u["Enrollments"])).collect()
}

pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v
}
