//! The OpenAPI description (`/openapi.json`, `/docs/`, `d2l-groups openapi`): every route of
//! the table is in it with its scope, it validates against the OpenAPI 3.1 schema (vendored in
//! `vendor/oas-3.1`, checked with the `jsonschema` crate) and, where installed, with PyPI's
//! `openapi-spec-validator`; a broken document is rejected; its `$ref`s resolve; and real
//! answers validate against the schemas it gives them.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

const OAS_31_SCHEMA: &str = include_str!("vendor/oas-3.1/schema.json");

fn document() -> Value {
    d2l_groups::routes::description().value.clone()
}

/// The API routes: those behind the gate (LP, LE, the operator API).
fn is_api(path: &str) -> bool {
    path.starts_with("/d2l/api/lp/{version}")
        || path.starts_with("/d2l/api/le/{version}")
        || path.starts_with("/api/v2/")
}

/// Every way `document` breaks the rules this suite holds it to: the OpenAPI 3.1 schema, the
/// JSON Schema 2020-12 meta-schema for each schema object, and `$ref`s that resolve.
fn problems(document: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(OAS_31_SCHEMA).expect("vendored schema");
    let validator = jsonschema::validator_for(&schema).expect("the OAS 3.1 schema compiles");
    let mut found: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("OAS 3.1 schema: {e} at {}", e.instance_path()))
        .collect();
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let mut checked = schema.clone();
            if let Some(object) = checked.as_object_mut() {
                object.insert(
                    "$schema".into(),
                    json!("https://json-schema.org/draft/2020-12/schema"),
                );
            }
            if let Err(e) = jsonschema::meta::validate(&checked) {
                found.push(format!("schema {name}: {e}"));
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(document, &mut refs);
    for reference in refs {
        let resolved = reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer));
        if resolved.is_none() {
            found.push(format!("$ref {reference} does not resolve"));
        }
    }
    found
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_api_route_of_the_table_is_described_with_its_scope() {
    let doc = document();
    let mut api_routes = 0;
    for (method, path) in d2l_groups::routes::served() {
        if !is_api(&path) {
            continue;
        }
        api_routes += 1;
        let method = method.as_str().to_ascii_lowercase();
        let op = &doc["paths"][&path][&method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let scopes: Vec<&str> = op["x-scopes"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no x-scopes"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!scopes.is_empty(), "{method} {path}: no scope");
        // Each scope is one alternative OAuth2 requirement, and a flow's declared scope.
        let security: Vec<&str> = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no security"))
            .iter()
            .map(|r| r["oauth2"][0].as_str().expect("one oauth2 scope"))
            .collect();
        assert_eq!(security, scopes, "{method} {path}");
        for scope in &scopes {
            let flows = &doc["components"]["securitySchemes"]["oauth2"]["flows"];
            assert!(
                flows["clientCredentials"]["scopes"][scope].is_string(),
                "{scope}"
            );
        }
        assert!(op.get("x-permission").is_some(), "{method} {path}");
        assert!(op["x-mount"].is_string(), "{method} {path}");
        assert!(op["x-versions"].is_object(), "{method} {path}");
        // Every path parameter is declared.
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let declared = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert!(declared, "{method} {path}: path parameter {name}");
        }
        // Every route served by some version says what it answers on success.
        if op["x-versions"]["served"] != false {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path}: no success answer declared"
            );
        }
    }
    assert!(api_routes >= 70, "only {api_routes} API routes found");
    // The token, JWKS, versions, health and description routes are described too.
    for (method, path) in [
        ("post", "/core/connect/token"),
        ("get", "/core/.well-known/jwks"),
        ("get", "/d2l/api/versions/"),
        ("post", "/d2l/api/versions/check"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/openapi.json"),
        ("get", "/docs/"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        assert_eq!(doc["paths"][path][method]["security"], json!([]), "{path}");
    }
}

/// The scope the document names is the one the gate asks for: a token with every other scope
/// is refused for lack of it, and a token with only it gets past the scope check.
#[actix_web::test]
async fn the_scope_described_is_the_scope_the_gate_checks() {
    let app = spawn_app().await;
    let doc = document();
    let all: Vec<String> = doc["components"]["securitySchemes"]["oauth2"]["flows"]
        ["clientCredentials"]["scopes"]
        .as_object()
        .expect("scopes")
        .keys()
        .cloned()
        .collect();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(scopes) = op["x-scopes"].as_array() else {
                continue;
            };
            if op["x-versions"]["served"] == false {
                continue;
            }
            let scopes: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
            let url = app.url(&concrete(path));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let others: Vec<&str> = all
                .iter()
                .map(String::as_str)
                .filter(|s| !scopes.contains(s))
                .collect();
            let without = app.token_for("admin", &others.join(" "));
            let res = app
                .send(method.clone(), &url, Some(&without), Some(&json!({})))
                .await;
            let detail = problem(res, 403).await;
            assert!(
                detail.starts_with("Insufficient scope"),
                "{method} {path} without {scopes:?}: {detail}"
            );
            for scope in &scopes {
                let with = app.token_for("admin", scope);
                let res = app
                    .send(method.clone(), &url, Some(&with), Some(&json!({})))
                    .await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap_or_default();
                assert!(
                    !(status == 403 && body.contains("Insufficient scope")),
                    "{method} {path} with {scope}: {status} {body}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 70, "only {checked} operations checked");
}

/// A path of the document with its parameters filled in: the version, a product, ids.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{version}" => V,
            "{productCode}" => "lp",
            s if s.starts_with('{') => "7",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_document_validates_and_its_refs_resolve() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let found = problems(&doc);
    assert!(found.is_empty(), "{found:#?}");
}

/// One way to break a document.
type Break = Box<dyn Fn(&mut Value)>;

/// The validation really fails: each kind of fault is found in an otherwise valid document.
#[test]
fn a_broken_document_is_rejected() {
    let good = document();
    let breaks: Vec<(&str, Break)> = vec![
        (
            "no info",
            Box::new(|d: &mut Value| {
                d.as_object_mut().expect("doc").remove("info");
            }),
        ),
        (
            "a 2.0 version",
            Box::new(|d: &mut Value| d["openapi"] = json!("2.0")),
        ),
        (
            "responses not an object",
            Box::new(|d: &mut Value| {
                d["paths"]["/healthz"]["get"]["responses"] = json!("ok");
            }),
        ),
        (
            "a parameter in the body",
            Box::new(|d: &mut Value| {
                d["paths"]["/core/jwk/{kid}"]["get"]["parameters"][0]["in"] = json!("body");
            }),
        ),
        (
            "a schema of a type that does not exist",
            Box::new(|d: &mut Value| {
                d["components"]["schemas"]["GroupFetch"]["type"] = json!("integr");
            }),
        ),
        (
            "a dangling $ref",
            Box::new(|d: &mut Value| {
                d["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]
                    ["schema"] = json!({"$ref": "#/components/schemas/Nothing"});
            }),
        ),
    ];
    for (what, break_it) in breaks {
        let mut broken = good.clone();
        break_it(&mut broken);
        assert_ne!(broken, good, "{what}: nothing changed");
        assert!(!problems(&broken).is_empty(), "{what} was accepted");
    }
}

/// PyPI's `openapi-spec-validator` (its own semantic checks beside the schema: path parameters
/// declared, unique operation ids, defaults valid). `.ci/run` installs it and names it with
/// `OPENAPI_SPEC_VALIDATOR`; elsewhere the test says it was skipped, unless `CI` is set.
#[test]
fn the_document_passes_openapi_spec_validator() {
    let validator = std::env::var("OPENAPI_SPEC_VALIDATOR")
        .unwrap_or_else(|_| "openapi-spec-validator".to_string());
    let available = std::process::Command::new(&validator)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "openapi-spec-validator is missing ({validator}); pip install openapi-spec-validator"
        );
        eprintln!("skipped: openapi-spec-validator not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("d2l-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let check = |name: &str, doc: &Value| {
        let file = dir.join(name);
        std::fs::write(&file, serde_json::to_vec(doc).expect("json")).expect("write");
        let out = std::process::Command::new(&validator)
            .args(["--schema", "3.1"])
            .arg(&file)
            .output()
            .expect("run openapi-spec-validator");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let doc = document();
    let (valid, said) = check("openapi.json", &doc);
    assert!(valid, "{said}");
    // And it refuses a document whose path names a parameter no operation declares.
    let mut broken = doc.clone();
    broken["paths"]["/core/jwk/{kid}"]["get"]
        .as_object_mut()
        .expect("op")
        .remove("parameters");
    let (valid, said) = check("broken.json", &broken);
    assert!(!valid, "accepted an undeclared path parameter: {said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A validator for `name`'s schema in `doc`, strict: an object may hold no key its schema does
/// not name, so an answer with a field the document forgot fails as one missing a field does.
fn validator_of(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut components = doc["components"].clone();
    // A schema that is a part of another (`allOf`, serde's flatten) cannot forbid the keys of
    // the other parts; the whole (the schema holding the allOf) forbids the keys of none.
    let mut parts = Vec::new();
    collect_refs(&json!(all_of_members(doc)), &mut parts);
    if let Some(schemas) = components["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            let is_part = parts.iter().any(|r| r.ends_with(&format!("/{name}")));
            if !is_part {
                forbid_unknown_keys(schema);
            }
        }
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"answer": schema},
        "$ref": "#/$defs/answer",
        "components": components
    });
    jsonschema::validator_for(&root).expect("schema compiles")
}

/// Every `allOf` list of the document's schemas.
fn all_of_members(doc: &Value) -> Vec<Value> {
    fn walk(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Object(map) => {
                if let Some(parts) = map.get("allOf") {
                    out.push(parts.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&doc["components"]["schemas"], &mut out);
    out
}

/// Adds `unevaluatedProperties: false` to each object schema: to one with `allOf` (which then
/// sees what its parts evaluated), not to its parts.
fn forbid_unknown_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let whole = map.contains_key("properties") || map.contains_key("allOf");
            if whole && !map.contains_key("unevaluatedProperties") {
                map.insert("unevaluatedProperties".into(), json!(false));
            }
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    ("allOf", Value::Array(parts)) => {
                        for part in parts {
                            if let Value::Object(inner) = part {
                                inner.values_mut().for_each(forbid_unknown_keys);
                            }
                        }
                    }
                    (_, v) => forbid_unknown_keys(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_unknown_keys),
        _ => {}
    }
}

/// The 200 schema the document gives `method path`.
fn answer_schema(doc: &Value, method: &str, path: &str, status: &str) -> Value {
    let response = &doc["paths"][path][method]["responses"][status];
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema"
    );
    schema.clone()
}

async fn assert_answer_fits(doc: &Value, method: &str, template: &str, status: &str, body: &Value) {
    let validator = validator_of(doc, &answer_schema(doc, method, template, status));
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {template}: {errors:#?}\n{body:#}"
    );
}

#[actix_web::test]
async fn real_answers_validate_against_the_documented_schemas() {
    let app = spawn_app().await;
    let doc = document();
    let course = app.create_course("OAS-101").await;
    let learners = learners(&app, course, "oas", 4).await;
    let lp = "/d2l/api/lp/{version}";
    let form = category_form(
        "Teams",
        json!(1),
        json!({"EnrollmentQuantity": 2, "AutoEnroll": true}),
    );
    let (category, groups) = category_ready(&app, V, course, &form).await;
    let sections = deal_sections(&app, course, 2).await;

    let checks: Vec<(String, String)> = vec![
        (format!("{lp}/users/whoami"), "/users/whoami".into()),
        (format!("{lp}/users/{{userId}}"), format!("/users/{}", learners[0])),
        (format!("{lp}/users/"), "/users/".into()),
        (format!("{lp}/users/"), "/users/?userName=admin".into()),
        (format!("{lp}/courses/{{orgUnitId}}"), format!("/courses/{course}")),
        (format!("{lp}/enrollments/orgUnits/{{orgUnitId}}/users/"), format!("/enrollments/orgUnits/{course}/users/")),
        (format!("{lp}/enrollments/myenrollments/"), "/enrollments/myenrollments/".into()),
        (format!("{lp}/roles/"), "/roles/".into()),
        (format!("{lp}/orgstructure/{{orgUnitId}}/children/paged/"), format!("/orgstructure/{ROOT}/children/paged/")),
        (format!("{lp}/outypes/"), "/outypes/".into()),
        (format!("{lp}/{{orgUnitId}}/sections/"), format!("/{course}/sections/")),
        (format!("{lp}/{{orgUnitId}}/sections/settings"), format!("/{course}/sections/settings")),
        (format!("{lp}/{{orgUnitId}}/groupcategories/"), format!("/{course}/groupcategories/")),
        (format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}"), format!("/{course}/groupcategories/{category}")),
        (format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}/groups/"), format!("/{course}/groupcategories/{category}/groups/")),
        (format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}/groups/{{groupId}}"), format!("/{course}/groupcategories/{category}/groups/{}", groups[0])),
        (format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}/groups/{{groupId}}/enrollments"), format!("/{course}/groupcategories/{category}/groups/{}/enrollments", groups[0])),
        (format!("{lp}/{{orgUnitId}}/memberships/history/"), format!("/{course}/memberships/history/")),
    ];
    for (template, rest) in &checks {
        let body = json_ok(app.get(&app.lp(rest), &app.admin).await).await;
        assert_answer_fits(&doc, "get", template, "200", &body).await;
    }
    // The LP 1.53 form of a category carries two more keys, which the schema knows too.
    let newer = app.url(&format!(
        "/d2l/api/lp/1.53/{course}/groupcategories/{category}"
    ));
    let body = json_ok(app.get(&newer, &app.admin).await).await;
    assert!(body.get("GroupPrefix").is_some());
    assert_answer_fits(
        &doc,
        "get",
        &format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}"),
        "200",
        &body,
    )
    .await;
    // The LE class list, paged.
    let paged = app.url(&format!("/d2l/api/le/1.82/{course}/classlist/paged/"));
    let body = json_ok(app.get(&paged, &app.admin).await).await;
    assert_answer_fits(
        &doc,
        "get",
        "/d2l/api/le/{version}/{orgUnitId}/classlist/paged/",
        "200",
        &body,
    )
    .await;
    // A section's Fetch form, from the answer of its initialization.
    assert_answer_fits(
        &doc,
        "get",
        &format!("{lp}/{{orgUnitId}}/sections/{{sectionId}}"),
        "200",
        &sections[0],
    )
    .await;
    // The 202 of a category's creation.
    let job = json_typed(
        app.post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &form,
        )
        .await,
        202,
    )
    .await;
    assert_answer_fits(
        &doc,
        "post",
        &format!("{lp}/{{orgUnitId}}/groupcategories/"),
        "202",
        &job,
    )
    .await;
    // Anonymous routes: versions and the JWKS.
    let versions = app
        .client
        .get(app.url("/d2l/api/versions/"))
        .send()
        .await
        .expect("versions");
    assert_answer_fits(
        &doc,
        "get",
        "/d2l/api/versions/",
        "200",
        &json_ok(versions).await,
    )
    .await;
    let jwks = app
        .client
        .get(app.url("/core/.well-known/jwks"))
        .send()
        .await
        .expect("jwks");
    assert_answer_fits(
        &doc,
        "get",
        "/core/.well-known/jwks",
        "200",
        &json_ok(jwks).await,
    )
    .await;
    // A refusal is the ProblemDetails every gated route refers to.
    let missing = app
        .get(
            &app.lp(&format!("/{course}/groupcategories/999999")),
            &app.admin,
        )
        .await;
    let refusal = problem_body(missing, 404).await;
    let schema = json!({"$ref": "#/components/schemas/ProblemDetails"});
    let errors: Vec<String> = validator_of(&doc, &schema)
        .iter_errors(&refusal)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the check is not empty: a GroupData without its Code, or with a stray key, fails.
    let group = json_ok(
        app.get(
            &app.lp(&format!(
                "/{course}/groupcategories/{category}/groups/{}",
                groups[0]
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    let validator = validator_of(
        &doc,
        &answer_schema(
            &doc,
            "get",
            &format!("{lp}/{{orgUnitId}}/groupcategories/{{groupCategoryId}}/groups/{{groupId}}"),
            "200",
        ),
    );
    assert!(validator.is_valid(&group));
    let mut without_code = group.clone();
    without_code.as_object_mut().expect("group").remove("Code");
    assert!(
        !validator.is_valid(&without_code),
        "a GroupData without Code passed"
    );
    let mut stray = group.clone();
    stray["Codes"] = json!("x");
    assert!(
        !validator.is_valid(&stray),
        "a GroupData with a stray key passed"
    );
}

#[actix_web::test]
async fn the_document_and_its_page_are_served_to_anyone() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/json")
    );
    let served: Value = res.json().await.expect("json");
    assert_eq!(served, document());
    // HEAD too, as every GET route.
    let head = app
        .client
        .head(app.url("/openapi.json"))
        .send()
        .await
        .expect("head");
    assert_eq!(head.status().as_u16(), 200);

    let res = app.client.get(app.url("/docs/")).send().await.expect("get");
    assert_eq!(res.status().as_u16(), 200);
    assert!(header(&res, "content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(
        header(&res, "content-security-policy").is_some_and(|c| c.contains("default-src 'none'"))
    );
    let page = res.text().await.expect("text");
    assert!(!page.contains("<script"), "the page runs no script");
    // Every operation and every schema of the document is on the page.
    let doc = document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("item") {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(page.contains(&format!("id=\"op-{id}\"")), "{path}: {id}");
        }
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    assert!(page.contains("groups:group:read") && page.contains("groups.manage"));
    // Without the slash too.
    let res = app.client.get(app.url("/docs")).send().await.expect("get");
    assert_eq!(res.status().as_u16(), 200);
}

#[actix_web::test]
async fn the_cli_prints_the_document_the_server_serves() {
    let out = std::process::Command::new(BIN)
        .arg("openapi")
        .env("DATABASE_URL", "sqlite:///nonexistent/dir/never-created.db")
        .output()
        .expect("run d2l-groups openapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(printed, document());
}
