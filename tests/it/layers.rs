//! The crate's rules of direction (docs/architecture.md, "Layers"), checked on the source:
//! which layer may name what, and that the module import graph has no cycle. A change that
//! reaches up a layer fails here, naming the file and the import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (files under this prefix, what they must not name, what they may name despite that).
const RULES: &[(&str, &[&str], &[&str])] = &[
    // Plain rules: nothing from the crate.
    ("src/domain/", &["crate::"], &[]),
    // Queries: below everything but the schema, the error type and the plain rules.
    (
        "src/db/",
        &[
            "crate::services",
            "crate::handlers",
            "crate::wire",
            "crate::auth",
            "crate::jobs",
            "crate::bootstrap",
            "crate::state",
            "crate::app",
            "crate::routes",
            "crate::middleware",
            "crate::cli",
        ],
        &[],
    ),
    // Units of work: no HTTP, no JSON shapes, no tables (they call db's queries).
    (
        "src/services/",
        &[
            "actix_web",
            "crate::handlers",
            "crate::wire",
            "crate::schema",
            "diesel::",
            "crate::state",
            "crate::app",
            "crate::routes",
            "crate::middleware",
            "crate::jobs",
        ],
        &[],
    ),
    // JSON shapes: built from rows and plain values, never from HTTP or the database.
    (
        "src/wire/",
        &[
            "actix_web",
            "crate::services",
            "crate::handlers",
            "crate::state",
            "crate::jobs",
            "crate::schema",
            "diesel::",
            "crate::db::",
        ],
        &["crate::db::rows"],
    ),
    // Pages: HTML built from plain values and rows, like the JSON shapes.
    (
        "src/pages/",
        &[
            "actix_web",
            "crate::services",
            "crate::handlers",
            "crate::state",
            "crate::jobs",
            "crate::schema",
            "diesel::",
            "crate::db::",
        ],
        &["crate::db::rows"],
    ),
    // Handlers: parse, prove access, one unit of work, answer; never a table.
    // Handlers pass a unit of work's `Wrote` to `Db::write` and never say what it touched:
    // only a proof of access or a unit of work makes a claim narrower than "anything".
    (
        "src/handlers/",
        &[
            "diesel::",
            "crate::schema",
            "crate::jobs::",
            "changes::Touch",
            "Touch::",
            "uncached(",
        ],
        &["crate::jobs::JobRunner"],
    ),
    (
        "src/auth/",
        &[
            "diesel::",
            "crate::schema",
            "crate::handlers",
            "crate::services",
            "actix_web",
        ],
        &[],
    ),
    (
        "src/jobs.rs",
        &["diesel::", "crate::schema", "crate::handlers", "actix_web"],
        &[],
    ),
    (
        "src/bootstrap.rs",
        &["diesel::", "crate::schema", "crate::handlers", "actix_web"],
        &[],
    ),
    (
        "src/cli",
        &["diesel::", "crate::schema", "crate::handlers"],
        &[],
    ),
];

/// Where the HTTP layer may be named at all: the server, the table, the middleware, the
/// handlers, the error type (it is actix's `ResponseError`), and `Db::read`/`write` (which
/// run on actix's blocking pool).
const ACTIX_ALLOWED: &[&str] = &[
    "src/app.rs",
    "src/state.rs",
    "src/routes.rs",
    "src/middleware.rs",
    "src/handlers/",
    "src/error.rs",
    "src/db/mod.rs",
    "src/cli",
];

/// Where SQL may be written: the database layer (and the error type, which classifies
/// Diesel's errors).
const SQL_ALLOWED: &[&str] = &["src/db/", "src/schema.rs", "src/error.rs"];

#[test]
fn each_layer_names_only_what_is_below_it() {
    let mut broken = Vec::new();
    for (file, code) in sources() {
        for (prefix, forbidden, allowed) in RULES {
            if !file.starts_with(prefix) {
                continue;
            }
            for name in *forbidden {
                for (line, text) in occurrences(&code, name) {
                    if !allowed.iter().any(|a| text.contains(a)) {
                        broken.push(format!("{file}:{line}: {name} in {}", text.trim()));
                    }
                }
            }
        }
        if !ACTIX_ALLOWED.iter().any(|p| file.starts_with(p)) {
            for (line, text) in occurrences(&code, "actix_web") {
                broken.push(format!("{file}:{line}: actix_web in {}", text.trim()));
            }
        }
        if !SQL_ALLOWED.iter().any(|p| file.starts_with(p)) {
            for name in ["diesel::", "crate::schema"] {
                for (line, text) in occurrences(&code, name) {
                    broken.push(format!("{file}:{line}: {name} in {}", text.trim()));
                }
            }
        }
        // Only the route table names the handlers (they reach their siblings by `super::`).
        if file != "src/routes.rs" {
            for (line, text) in occurrences(&code, "crate::handlers") {
                broken.push(format!("{file}:{line}: crate::handlers in {}", text.trim()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "rules of direction broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_module_import_graph_has_no_cycle() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().map(|f| module_of(f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, code) in &sources {
        let from = module_of(file);
        for path in imported_paths(&from, code) {
            let Some(to) = resolve(&modules, &path) else {
                continue;
            };
            // A module's facade over its own children (`pub use child::x`) is containment,
            // not a dependency; a child reaching its parent (`super::`) is one.
            if to == from || to.starts_with(&format!("{from}::")) {
                continue;
            }
            graph.entry(from.clone()).or_default().insert(to);
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the module import graph has a cycle: {}",
            cycle.join(" -> ")
        );
    }
    // The check sees real imports: handlers reach services, services reach db.
    assert!(graph["handlers::groups::group"]
        .iter()
        .any(|m| m.starts_with("services")));
    assert!(graph["services::access"]
        .iter()
        .any(|m| m.starts_with("db")));
}

/// The crate's files, by path relative to the crate root, comments stripped.
fn sources() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeMap::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path: PathBuf = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    strip_comments(&text),
                );
            }
        }
    }
    out
}

/// The code without `//` comments (doc comments name layers in prose) and without the
/// unit tests at the end of a file (`#[cfg(test)] mod tests`), which may reach anywhere.
fn strip_comments(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "",
            false => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines (1-based) holding `name` as a path, not inside a longer identifier.
fn occurrences<'a>(code: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    code.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.match_indices(name).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|(i, line)| (i + 1, line))
        .collect()
}

/// `src/db/org_units.rs` → `db::org_units`; `src/db/mod.rs` → `db`; `src/lib.rs` → `crate`.
fn module_of(file: &str) -> String {
    let path = file.trim_start_matches("src/").trim_end_matches(".rs");
    let path = path.trim_end_matches("/mod");
    match path {
        "lib" | "main" => "crate".to_string(),
        other => other.replace('/', "::"),
    }
}

/// Every path the code names through `crate::` or `super::`, as module segments, with use
/// groups (`crate::db::{members, org_units::{self, X}}`) expanded.
fn imported_paths(module: &str, code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (start, prefix) in [("crate::", None), ("super::", Some(()))] {
        for (at, _) in code.match_indices(start) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let base: Vec<String> = match prefix {
                None => Vec::new(),
                Some(()) => {
                    let mut parts: Vec<String> = module.split("::").map(str::to_string).collect();
                    parts.pop();
                    parts
                }
            };
            expand(&code[at + start.len()..], base, &mut out);
        }
    }
    out
}

/// Reads one path (or a `{...}` group of them) from the start of `rest`, onto `base`.
fn expand(rest: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = base;
    let mut rest = rest;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !ident.is_empty() {
            path.push(ident.clone());
            rest = &rest[ident.len()..];
        }
        if let Some(next) = rest.strip_prefix("::") {
            rest = next;
            if let Some(group) = rest.strip_prefix('{') {
                for item in split_group(group) {
                    expand(item.trim(), path.clone(), out);
                }
                return;
            }
            continue;
        }
        out.push(path);
        return;
    }
}

/// The top-level items of a use group, up to its closing brace.
fn split_group(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The longest prefix of `path` that is a module of the crate (`db::org_units::CourseLock` →
/// `db::org_units`); `crate` itself is no module of interest.
fn resolve(modules: &BTreeSet<String>, path: &[String]) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m) && m != "crate")
}

/// A cycle in the graph, if any, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_checks_see_use_groups_and_cycles() {
    let mut out = Vec::new();
    expand(
        "db::{members, org_units::{self, CourseLock}, DbConnection};",
        Vec::new(),
        &mut out,
    );
    let joined: Vec<String> = out.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "db::members",
            "db::org_units::self",
            "db::org_units::CourseLock",
            "db::DbConnection"
        ]
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        occurrences("use crate::schema::x;\nmy_crate::schema", "crate::schema").len(),
        1
    );
}
