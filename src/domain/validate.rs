//! Field rules shared by courses, sections and groups. Each returns the 400 detail naming the
//! field and the reason.

/// Characters Brightspace refuses in org-unit codes, straight and curly quotes alike.
pub const FORBIDDEN_CODE_CHARS: &[char] = &[
    '\\', ':', '*', '?', '"', '<', '>', '|', '\'', '#', ',', '%', '&', '\u{201c}', '\u{201d}',
    '\u{2018}', '\u{2019}',
];

pub const MAX_CODE_CHARS: usize = 50;

/// An org-unit code: at most 50 characters, none of the forbidden ones, no line breaks.
pub fn code(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field}: a code is required."));
    }
    if value.trim() != value {
        return Err(format!("{field}: codes may not begin or end with spaces."));
    }
    if value.chars().count() > MAX_CODE_CHARS {
        return Err(format!(
            "{field}: codes may be at most {MAX_CODE_CHARS} characters long."
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| FORBIDDEN_CODE_CHARS.contains(c) || *c == '\n' || *c == '\r')
    {
        return Err(format!(
            "{field}: codes may not contain the character {bad:?}."
        ));
    }
    Ok(())
}

/// A required name: not blank, at most `max` characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field}: a value is required."));
    }
    if value.chars().count() > max {
        return Err(format!("{field}: at most {max} characters are allowed."));
    }
    Ok(())
}

/// An e-mail address, checked for shape only: one `@`, something on each side, a dot in the
/// domain, no spaces.
pub fn email(field: &str, value: &str) -> Result<(), String> {
    let ok = value.len() <= 254
        && !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{field}: {value:?} is not an e-mail address."))
    }
}

/// The domain part of an address, lower-cased.
pub fn email_domain(value: &str) -> Option<String> {
    value.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_brightspace_rules() {
        assert!(code("Code", "BIO-101_A.2026").is_ok());
        assert!(code("Code", &"x".repeat(50)).is_ok());
        assert!(code("Code", &"x".repeat(51)).is_err());
        assert!(code("Code", "").is_err());
        assert!(code("Code", " BIO").is_err());
        assert!(code("Code", "BIO ").is_err());
        for bad in [
            "a\\b",
            "a:b",
            "a*b",
            "a?b",
            "a\"b",
            "a<b",
            "a>b",
            "a|b",
            "a'b",
            "a#b",
            "a,b",
            "a%b",
            "a&b",
            "a\u{201c}b",
            "a\u{2019}b",
            "a\nb",
        ] {
            let err = code("Code", bad).expect_err(bad);
            assert!(err.starts_with("Code:"), "{err}");
        }
    }

    #[test]
    fn names_are_required() {
        assert!(name("Name", "Biology", 10).is_ok());
        assert!(name("Name", "  ", 10).is_err());
        assert!(name("Name", "abcdefghijk", 10).is_err());
    }

    #[test]
    fn emails_are_shape_checked() {
        assert!(email("E", "ada@example.edu").is_ok());
        for bad in [
            "ada",
            "ada@",
            "@example.edu",
            "a b@example.edu",
            "ada@example",
            "a@b@c.d",
            "ada@.edu",
        ] {
            assert!(email("E", bad).is_err(), "{bad}");
        }
        assert_eq!(
            email_domain("Ada@Example.EDU").as_deref(),
            Some("example.edu")
        );
    }
}
