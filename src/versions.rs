//! API versions: which versions of each product (lp, le) exist, which are supported,
//! deprecated or obsolete under the Brightspace release this server plays, and which routes
//! serve them. The versions API and the per-route gate both read the one [`VersionPolicy`].

use std::fmt;

/// An API version such as `1.47`. Parsed strictly: `1.047` or `v1.47` are not versions.
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

/// The pseudo-version D2L's own tools call: the latest contract.
pub const UNSTABLE: &str = "unstable";

/// Every product's first version: everything from here to the latest was released.
const FIRST: ApiVersion = ApiVersion::new(1, 0);

/// Where a version stands in its product's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Supported,
    /// Still answered, with `Deprecation: true`.
    Deprecated,
    /// Past its end of support, yet still answered by Brightspace (clients depend on it), with
    /// `Deprecation` and `Sunset`; refused (404) under the strict policy.
    Obsolete,
}

/// One product's versions: below `deprecated_from` obsolete, below `supported_from`
/// deprecated, up to `latest` supported; none above `latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    pub deprecated_from: ApiVersion,
    pub supported_from: ApiVersion,
    pub latest: ApiVersion,
}

impl Lifecycle {
    pub fn classify(&self, version: ApiVersion) -> Option<Support> {
        if version < FIRST || version > self.latest || version.major != self.latest.major {
            None
        } else if version < self.deprecated_from {
            Some(Support::Obsolete)
        } else if version < self.supported_from {
            Some(Support::Deprecated)
        } else {
            Some(Support::Supported)
        }
    }
}

/// A Brightspace release's version table: what `--brightspace-release` names.
#[derive(Debug, PartialEq, Eq)]
pub struct Release {
    pub name: &'static str,
    pub lp: Lifecycle,
    pub le: Lifecycle,
    /// The `Sunset` of an obsolete version (an HTTP-date): D2L's notice that from 20.27.1
    /// (January 2027) obsolete contracts may be removed.
    pub sunset: &'static str,
}

const fn v(major: u32, minor: u32) -> ApiVersion {
    ApiVersion::new(major, minor)
}

/// The latest versions seen on live tenants in late 2026 (brightspace-2026.md, 1.2).
const LP_LATEST: ApiVersion = v(1, 63);
const LE_LATEST: ApiVersion = v(1, 99);
const SUNSET: &str = "Fri, 01 Jan 2027 00:00:00 GMT";

/// The table of our groups and sections reference (1.46+ supported, 1.43–1.45 deprecated,
/// 1.42 and below obsolete), up to today's latest; LE, which that reference does not cover,
/// as D2L's 2026 table has it. The default.
pub const REFERENCE: Release = Release {
    name: "reference",
    lp: Lifecycle {
        deprecated_from: v(1, 43),
        supported_from: v(1, 46),
        latest: LP_LATEST,
    },
    le: LE_2026,
    sunset: SUNSET,
};

/// D2L's table of June 2026 (Brightspace 20.26.6): LP 1.49+, 1.46–1.48 deprecated.
pub const JUNE_2026: Release = Release {
    name: "20.26.6",
    lp: Lifecycle {
        deprecated_from: v(1, 46),
        supported_from: v(1, 49),
        latest: LP_LATEST,
    },
    le: LE_2026,
    sunset: SUNSET,
};

const LE_2026: Lifecycle = Lifecycle {
    deprecated_from: v(1, 75),
    supported_from: v(1, 82),
    latest: LE_LATEST,
};

/// Every release profile, by name.
pub const RELEASES: &[&Release] = &[&REFERENCE, &JUNE_2026];

pub fn release(name: &str) -> Option<&'static Release> {
    RELEASES
        .iter()
        .copied()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The versions in force: a release's table, and whether obsolete versions are refused
/// (`--strict-versions`, for integrators who want to find such calls before D2L removes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionPolicy {
    pub release: &'static Release,
    pub strict: bool,
}

impl Default for VersionPolicy {
    fn default() -> Self {
        Self {
            release: &REFERENCE,
            strict: false,
        }
    }
}

impl VersionPolicy {
    /// The products the versions API reports, lowercase, with their versions.
    pub fn products(&self) -> [(&'static str, Lifecycle); 2] {
        [("lp", self.release.lp), ("le", self.release.le)]
    }

    /// Product `code` (any case).
    pub fn product(&self, code: &str) -> Option<(&'static str, Lifecycle)> {
        self.products()
            .into_iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
    }

    /// The version `text` names (`unstable` is the latest) and how it is served, or none
    /// when it is not (malformed, above the latest, or obsolete under the strict policy).
    pub fn serves(&self, product: &Lifecycle, text: &str) -> Option<(ApiVersion, Support)> {
        let version = if text == UNSTABLE {
            product.latest
        } else {
            ApiVersion::parse(text)?
        };
        match product.classify(version)? {
            Support::Obsolete if self.strict => None,
            support => Some((version, support)),
        }
    }

    /// Every version served, oldest first: every minor from 1.0 (from the first deprecated
    /// one under the strict policy) to the latest.
    pub fn listed(&self, product: &Lifecycle) -> Vec<ApiVersion> {
        let from = if self.strict {
            product.deprecated_from
        } else {
            FIRST
        };
        (from.minor..=product.latest.minor)
            .map(|minor| ApiVersion::new(product.latest.major, minor))
            .collect()
    }
}

/// The versioned products whose routes the route table mounts (`/d2l/api/<code>/<version>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    Lp,
    Le,
}

impl Product {
    /// The product's code in paths and in the versions API.
    pub fn code(self) -> &'static str {
        match self {
            Product::Lp => "lp",
            Product::Le => "le",
        }
    }

    /// The product's table under `policy`.
    pub fn lifecycle(self, policy: &VersionPolicy) -> Lifecycle {
        match self {
            Product::Lp => policy.release.lp,
            Product::Le => policy.release.le,
        }
    }
}

/// Which versions of its product one route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteVersions {
    /// Every version the policy serves.
    Served,
    /// None: a route that existed once and is gone (the legacy `PUT /sections/`, removed in LP
    /// 1.39), so that every version is 404 rather than whatever else the path would match.
    Removed,
}

/// What the LP routes of the route table answer.
pub const LP_ROUTES: RouteVersions = RouteVersions::Served;
/// What the LE routes of the route table answer.
pub const LE_ROUTES: RouteVersions = RouteVersions::Served;
/// The legacy `PUT /sections/`: gone from every version.
pub const REMOVED_IN_LP_1_39: RouteVersions = RouteVersions::Removed;

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ApiVersion {
        ApiVersion::parse(text).unwrap_or(ApiVersion::new(0, 0))
    }

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
    fn classifies_the_reference_lp_table() {
        let lp = REFERENCE.lp;
        let c = |s| lp.classify(parsed(s));
        assert_eq!(c("1.0"), Some(Support::Obsolete));
        assert_eq!(c("1.31"), Some(Support::Obsolete));
        assert_eq!(c("1.42"), Some(Support::Obsolete));
        assert_eq!(c("1.43"), Some(Support::Deprecated));
        assert_eq!(c("1.45"), Some(Support::Deprecated));
        assert_eq!(c("1.46"), Some(Support::Supported));
        assert_eq!(c("1.63"), Some(Support::Supported));
        assert_eq!(c("1.64"), None);
        assert_eq!(c("2.0"), None);
        assert_eq!(c("0.9"), None);
    }

    #[test]
    fn the_2026_table_moves_the_lines() {
        let c = |s| JUNE_2026.lp.classify(parsed(s));
        assert_eq!(c("1.45"), Some(Support::Obsolete));
        assert_eq!(c("1.48"), Some(Support::Deprecated));
        assert_eq!(c("1.49"), Some(Support::Supported));
        let le = |s| JUNE_2026.le.classify(parsed(s));
        assert_eq!(le("1.74"), Some(Support::Obsolete));
        assert_eq!(le("1.81"), Some(Support::Deprecated));
        assert_eq!(le("1.99"), Some(Support::Supported));
        assert_eq!(le("1.100"), None);
    }

    #[test]
    fn unstable_is_the_latest_and_strict_refuses_obsolete() {
        let lenient = VersionPolicy::default();
        let strict = VersionPolicy {
            strict: true,
            ..lenient
        };
        let lp = REFERENCE.lp;
        assert_eq!(
            lenient.serves(&lp, UNSTABLE),
            Some((LP_LATEST, Support::Supported))
        );
        assert_eq!(
            lenient.serves(&lp, "1.31"),
            Some((v(1, 31), Support::Obsolete))
        );
        assert_eq!(strict.serves(&lp, "1.31"), None);
        assert_eq!(
            strict.serves(&lp, "1.43"),
            Some((v(1, 43), Support::Deprecated))
        );
        assert_eq!(lenient.serves(&lp, "1.047"), None);
    }

    #[test]
    fn lists_every_version_served_in_order() {
        let lenient = VersionPolicy::default();
        let all: Vec<String> = lenient
            .listed(&REFERENCE.lp)
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(all.len(), 64);
        assert_eq!((all[0].as_str(), all[63].as_str()), ("1.0", "1.63"));
        let strict = VersionPolicy {
            strict: true,
            ..lenient
        };
        assert_eq!(strict.listed(&REFERENCE.lp).first(), Some(&v(1, 43)));
    }

    #[test]
    fn releases_are_found_by_name() {
        assert_eq!(release("reference"), Some(&REFERENCE));
        assert_eq!(release("20.26.6"), Some(&JUNE_2026));
        assert_eq!(release("20.25.1"), None);
    }
}
