//! Names and codes of sections and groups: what a client gives one, and what one created
//! automatically is called.

use std::collections::HashSet;

use super::rich_text::RichText;
use super::validate;

/// The Create and Update forms of a section or group (SectionData and GroupData are the same
/// form), checked and rendered: its name, its code (unique in the course regardless of case)
/// and its description as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildChange {
    pub name: String,
    pub code: String,
    pub description: RichText,
}

/// The name and code of the next automatically created unit: name `<prefix> <n>` with the
/// first `n` from `start` whose code is free. The code is the name made valid (forbidden
/// characters dropped, the prefix shortened to fit 50 characters); it is added to `taken`.
pub fn next_name(
    prefix: &str,
    start: usize,
    taken: &mut HashSet<String>,
) -> (String, String, usize) {
    let clean: String = prefix
        .chars()
        .filter(|c| !validate::FORBIDDEN_CODE_CHARS.contains(c) && !c.is_control())
        .collect();
    let clean = clean.trim();
    let mut n = start.max(1);
    loop {
        let suffix = n.to_string();
        let room = validate::MAX_CODE_CHARS - suffix.len() - 1;
        let stem: String = clean.chars().take(room).collect();
        let code = if stem.trim().is_empty() {
            suffix.clone()
        } else {
            format!("{} {suffix}", stem.trim_end())
        };
        if taken.insert(code.to_lowercase()) {
            return (format!("{prefix} {n}"), code, n);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_valid_and_unique() {
        let mut taken: HashSet<String> = ["section 2".to_string()].into();
        assert_eq!(
            next_name("Section", 1, &mut taken),
            ("Section 1".into(), "Section 1".into(), 1)
        );
        assert_eq!(
            next_name("Section", 2, &mut taken),
            ("Section 3".into(), "Section 3".into(), 3)
        );
        let (name, code, _) = next_name("Projects, Fall & Spring: #1", 1, &mut taken);
        assert_eq!(name, "Projects, Fall & Spring: #1 1");
        assert_eq!(code, "Projects Fall  Spring 1 1");
        assert!(validate::code("Code", &code).is_ok());
        let long = "x".repeat(80);
        let (_, code, _) = next_name(&long, 7, &mut taken);
        assert_eq!(code.chars().count(), 50);
        assert!(code.ends_with(" 7"));
        let (_, code, _) = next_name("***", 1, &mut taken);
        assert_eq!(code, "1");
    }
}
