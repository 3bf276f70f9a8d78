//! README's first session, run as written: the shell block a new user pastes, against a real
//! server, with only the binary's path and the server's address substituted. It needs curl and
//! jq, as the README says; without them it is skipped with a line saying so (failed under CI,
//! where .ci/run installs both).

use crate::common;

use std::process::Command;

/// The fenced `sh` block of README.md holding `marker`.
fn readme_block(marker: &str) -> String {
    let readme = include_str!("../../README.md");
    readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("README.md has a sh block holding {marker:?}"))
        .to_string()
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_first_session_runs_as_written() {
    if !(have("curl") && have("jq")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have curl and jq for the README test"
        );
        eprintln!("skipped: the README's first session needs curl and jq");
        return;
    }
    let launcher = r#"D2L="cargo run -q --release --""#;
    let block = readme_block(launcher);
    let database = common::fresh_database_url();
    let server = common::ServerProcess::start(&database, &[]);
    let script = block
        .replace(launcher, &format!("D2L={:?}", common::BIN))
        .replace(
            "http://127.0.0.1:8080",
            &format!("http://{}", server.address),
        );
    let out = Command::new("timeout")
        .args(["120", "bash", "-euo", "pipefail", "-c", &script])
        .env("DATABASE_URL", &*database)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bash");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the session failed: {printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = printed.lines().collect();
    let with = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    assert!(
        printed.contains(r#""UniqueName":"admin""#),
        "whoami: {printed}"
    );
    assert_eq!(with("course 6607"), 1, "{printed}");
    assert_eq!(with("learner ada: user "), 1, "{printed}");
    assert_eq!(with("learner grace: user "), 1, "{printed}");
    // Two sections and two groups, one learner each: printed with their ids.
    let dealt = |key: &str| {
        lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v.get(key).is_some())
            .map(|v| v["Enrollments"].as_array().map_or(0, Vec::len))
            .collect::<Vec<_>>()
    };
    assert_eq!(dealt("SectionId"), [1, 1], "{printed}");
    assert_eq!(dealt("GroupId"), [1, 1], "{printed}");
    assert_eq!(with("category "), 1, "{printed}");
}
