//! API versions: which LP versions exist, which are supported or deprecated, and what a route
//! serves. The versions API and the per-route gate both read these same constants.

use std::fmt;

/// An LP API version such as `1.47`. Parsed strictly: `1.047` or `v1.47` are not versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        Some(Self {
            major: parse_component(major)?,
            minor: parse_component(minor)?,
        })
    }
}

fn parse_component(text: &str) -> Option<u32> {
    let canonical = !text.is_empty()
        && text.len() <= 4
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// How a route treats a version that it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Supported,
    /// Still answered, with a `Deprecation: true` header.
    Deprecated,
}

/// The versions one route answers: `[deprecated_from, supported_from)` deprecated,
/// `[supported_from, latest]` supported, anything else 404.
#[derive(Clone, Copy, Debug)]
pub struct VersionRange {
    pub deprecated_from: ApiVersion,
    pub supported_from: ApiVersion,
    pub latest: ApiVersion,
}

impl VersionRange {
    pub fn classify(&self, version: ApiVersion) -> Option<Support> {
        if version < self.deprecated_from || version > self.latest {
            None
        } else if version < self.supported_from {
            Some(Support::Deprecated)
        } else {
            Some(Support::Supported)
        }
    }

    /// Every version the range answers, oldest first.
    pub fn all(&self) -> Vec<ApiVersion> {
        let mut out = Vec::new();
        let mut v = self.deprecated_from;
        while v <= self.latest {
            out.push(v);
            v = ApiVersion::new(v.major, v.minor + 1);
            if v.minor > 99 {
                break;
            }
        }
        out
    }
}

/// The newest LP version this server speaks.
pub const LP_LATEST: ApiVersion = ApiVersion::new(1, 50);

/// The LP routes of the reference: 1.46+ supported, 1.43–1.45 deprecated, 1.42- obsolete.
pub const LP_ROUTES: VersionRange = VersionRange {
    deprecated_from: ApiVersion::new(1, 43),
    supported_from: ApiVersion::new(1, 46),
    latest: LP_LATEST,
};

/// A route that existed once and is gone from every version this server speaks (the legacy
/// `PUT /sections/`, removed in LP 1.39): every version gets 404.
pub const REMOVED_IN_LP_1_39: VersionRange = VersionRange {
    deprecated_from: ApiVersion::new(1, 0),
    supported_from: ApiVersion::new(1, 0),
    latest: ApiVersion::new(1, 38),
};

/// Products the versions API reports, with the range that product's routes serve.
pub const PRODUCTS: &[(&str, VersionRange)] = &[("lp", LP_ROUTES)];

pub fn product(code: &str) -> Option<VersionRange> {
    PRODUCTS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, range)| *range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_canonical_versions() {
        assert_eq!(ApiVersion::parse("1.47"), Some(ApiVersion::new(1, 47)));
        assert_eq!(ApiVersion::parse("1.5"), Some(ApiVersion::new(1, 5)));
        for bad in [
            "", "1", "1.", ".5", "1.047", "v1.47", "1.47.1", "1.4x", "01.47", "1.-1",
        ] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn classifies_the_lp_range() {
        let c = |s| LP_ROUTES.classify(ApiVersion::parse(s).unwrap_or(ApiVersion::new(0, 0)));
        assert_eq!(c("1.42"), None);
        assert_eq!(c("1.43"), Some(Support::Deprecated));
        assert_eq!(c("1.45"), Some(Support::Deprecated));
        assert_eq!(c("1.46"), Some(Support::Supported));
        assert_eq!(c("1.50"), Some(Support::Supported));
        assert_eq!(c("1.51"), None);
        assert_eq!(c("2.0"), None);
        assert_eq!(c("1.5"), None);
    }

    #[test]
    fn lists_every_version_in_order() {
        let all: Vec<String> = LP_ROUTES.all().iter().map(|v| v.to_string()).collect();
        assert_eq!(
            all,
            ["1.43", "1.44", "1.45", "1.46", "1.47", "1.48", "1.49", "1.50"]
        );
    }
}
