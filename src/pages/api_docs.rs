//! `/docs/`: the OpenAPI document (`crate::openapi`) as one page for people, rendered from the
//! document itself (so it says exactly what `/openapi.json` says): every operation grouped by
//! tag with its parameters, scope, permission, versions, request and answers, then every
//! schema with its fields. No script; the style is embedded here.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::{Map, Value};

/// Contrast: every text colour is at least 4.5:1 on its background (WCAG 2.2 AA). Long paths
/// and type names wrap anywhere, so nothing scrolls sideways on a 360 px phone.
const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; line-height: 1.45;
  overflow-wrap: anywhere; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid #595959; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; overflow-wrap: anywhere; }
h4 { font-size: .95rem; margin: .75rem 0 .25rem; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
a { color: #0b57d0; } a:focus { outline: 3px solid #0b57d0; outline-offset: 2px; }
.method { display: inline-block; min-width: 4.5rem; padding: 0 .35rem; margin-right: .35rem; border-radius: 3px;
  color: #fff; background: #1f4f8f; font-weight: 700; text-align: center; }
.operation { border: 1px solid #595959; border-radius: 4px; padding: .25rem .75rem .75rem; margin: 1rem 0; }
.meta { margin: .25rem 0; } .meta dt { font-weight: 600; } .meta dd { margin: 0 0 .25rem 1rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .875rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .25rem; border-bottom: 1px solid #595959; }
td { overflow-wrap: anywhere; }
nav ul { padding-left: 1.25rem; } nav li { margin: .15rem 0; }
";

/// The page for `document` (an OpenAPI 3.1 document as JSON).
pub fn page(document: &Value) -> String {
    let info = &document["info"];
    let title = text(&info["title"]);
    let empty = Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    let schemas = document["components"]["schemas"]
        .as_object()
        .unwrap_or(&empty);
    let tags: Vec<String> = document["tags"]
        .as_array()
        .map(|tags| tags.iter().map(|t| text(&t["name"])).collect())
        .unwrap_or_default();
    let body = html! {
        header {
            h1 { (title) " API " (text(&info["version"])) }
            p { (text(&info["summary"])) }
            p { (text(&info["description"])) }
            p {
                "The machine-readable description (OpenAPI " (text(&document["openapi"])) "): "
                a href="/openapi.json" { code { "/openapi.json" } } "."
            }
        }
        nav aria-label="Contents" {
            h2 { "Contents" }
            ul {
                @for tag in &tags {
                    li { a href={ "#tag-" (tag) } { (tag) } }
                }
                li { a href="#schemas" { "Schemas" } }
            }
        }
        main {
            @for tag in &tags {
                section aria-labelledby={ "tag-" (tag) } {
                    h2 id={ "tag-" (tag) } { (tag) }
                    @for (path, item) in paths {
                        @if let Some(methods) = item.as_object() {
                            @for (method, op) in methods {
                                @if op["tags"][0].as_str() == Some(tag.as_str()) {
                                    (operation(path, method, op))
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="schemas" {
                h2 id="schemas" { "Schemas" }
                @for (name, schema) in schemas {
                    (schema_section(name, schema))
                }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " API – d2l-groups" }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn operation(path: &str, method: &str, op: &Value) -> Markup {
    let id = text(&op["operationId"]);
    let empty = Vec::new();
    let parameters = op["parameters"].as_array().unwrap_or(&empty);
    let scopes: Vec<String> = op["x-scopes"]
        .as_array()
        .map(|s| s.iter().map(text).collect())
        .unwrap_or_default();
    let empty_map = Map::new();
    let responses = op["responses"].as_object().unwrap_or(&empty_map);
    html! {
        article class="operation" aria-labelledby={ "op-" (id) } {
            h3 id={ "op-" (id) } {
                span class="method" { (method.to_uppercase()) }
                code { (path) }
            }
            @if op["deprecated"] == Value::Bool(true) { p { strong { "Deprecated." } } }
            p { (text(&op["description"])) }
            dl class="meta" {
                dt { "Operation" } dd { code { (id) } }
                dt { "Scope" }
                dd {
                    @if scopes.is_empty() { "None (anonymous)" }
                    @else { @for (i, s) in scopes.iter().enumerate() {
                        @if i > 0 { " or " } code { (s) }
                    } }
                }
                @if op.get("x-permission").is_some() {
                    dt { "Permission" }
                    dd {
                        @match op["x-permission"].as_str() {
                            Some(p) => code { (p) },
                            None => "None: the caller's own data",
                        }
                    }
                }
                @if let Some(versions) = op.get("x-versions") {
                    dt { "Versions" } dd { (versions_text(versions)) }
                }
            }
            @if !parameters.is_empty() {
                table {
                    caption { "Parameters" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "In" } th scope="col" { "Type" } th scope="col" { "Description" } } }
                    tbody {
                        @for p in parameters {
                            tr {
                                td { code { (text(&p["name"])) } @if p["required"] == Value::Bool(true) { " (required)" } }
                                td { (text(&p["in"])) }
                                td { (type_of(&p["schema"])) }
                                td { (text(&p["description"])) }
                            }
                        }
                    }
                }
            }
            @if let Some(content) = op["requestBody"]["content"].as_object() {
                h4 { "Request body" }
                @for (media, body) in content {
                    p { code { (media) } ": " (type_of(&body["schema"])) }
                }
            }
            h4 { "Answers" }
            ul {
                @for (status, response) in responses {
                    li { (answer(status, response)) }
                }
            }
        }
    }
}

fn answer(status: &str, response: &Value) -> Markup {
    let shared = response["$ref"]
        .as_str()
        .map(|r| r.rsplit('/').next().unwrap_or(r));
    html! {
        strong { (status) } " "
        @match shared {
            Some(name) => { (name) ": problem details (" code { "application/problem+json" } ")" },
            None => {
                (text(&response["description"]))
                @if let Some(content) = response["content"].as_object() {
                    @for (media, body) in content {
                        ", " code { (media) } " " (type_of(&body["schema"]))
                    }
                }
            },
        }
    }
}

fn versions_text(versions: &Value) -> String {
    match (versions["product"].as_str(), versions["served"].as_bool()) {
        (Some(product), Some(true)) => format!(
            "{}: supported {}, deprecated {}, obsolete {} (release table \"{}\"), and unstable",
            product.to_uppercase(),
            text(&versions["supported"]),
            text(&versions["deprecated"]),
            text(&versions["obsolete"]),
            text(&versions["release"]),
        ),
        (Some(product), Some(false)) => format!("{}: none (removed)", product.to_uppercase()),
        _ => "Not versioned".to_string(),
    }
}

/// A schema's type in a few words, named schemas linked to their section.
fn type_of(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            return html! {
                @for (i, option) in options.iter().enumerate() {
                    @if i > 0 { " or " } (type_of(option))
                }
            };
        }
    }
    let kinds: Vec<String> = match &schema["type"] {
        Value::String(kind) => vec![kind.clone()],
        Value::Array(kinds) => kinds.iter().map(text).collect(),
        _ => Vec::new(),
    };
    html! {
        @for (i, kind) in kinds.iter().enumerate() {
            @if i > 0 { " or " }
            @if kind == "array" { "array of " (type_of(&schema["items"])) }
            @else { (kind) }
        }
        @if kinds.is_empty() { "any JSON" }
        @if let Some(format) = schema["format"].as_str() { " (" (format) ")" }
        @if let Some(values) = schema["enum"].as_array() {
            ": " (values.iter().map(text).collect::<Vec<_>>().join(", "))
        }
    }
}

fn schema_section(name: &str, schema: &Value) -> Markup {
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    html! {
        section class="schema" aria-labelledby={ "schema-" (name) } {
            h3 id={ "schema-" (name) } { code { (name) } }
            @if let Some(description) = schema["description"].as_str() { p { (description) } }
            @if properties.is_empty() {
                p { "Type: " (type_of(schema)) }
            } @else {
                table {
                    caption { "Fields of " (name) }
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Type" } th scope="col" { "Required" } } }
                    tbody {
                        @for (field, property) in properties {
                            tr {
                                td { code { (field) } }
                                td { (type_of(property)) }
                                td { @if required.contains(&field.as_str()) { "yes" } @else { "no" } }
                            }
                        }
                    }
                }
            }
            @if let Some(parts) = schema["allOf"].as_array() {
                p { "All of: " @for (i, part) in parts.iter().enumerate() { @if i > 0 { ", " } (type_of(part)) } }
            }
        }
    }
}
