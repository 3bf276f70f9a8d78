//! OAuth scopes as Brightspace writes them: `group:resource:action[,action...]`, with `*`
//! matching anything in its segment and `core:*:*` as the catch-all.

use std::fmt;

/// A scope a route requires: exactly one group, resource and action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredScope {
    pub group: &'static str,
    pub resource: &'static str,
    pub action: &'static str,
}

impl RequiredScope {
    /// Splits `"users:userdata:read"` from the route table's literals.
    pub fn parse(text: &'static str) -> Option<Self> {
        let mut parts = text.split(':');
        let scope = Self::new(parts.next()?, parts.next()?, parts.next()?);
        let well_formed = parts.next().is_none()
            && [scope.group, scope.resource, scope.action]
                .iter()
                .all(|p| !p.is_empty() && !p.contains(['*', ',', ' ']));
        well_formed.then_some(scope)
    }

    pub const fn new(group: &'static str, resource: &'static str, action: &'static str) -> Self {
        Self {
            group,
            resource,
            action,
        }
    }
}

impl fmt::Display for RequiredScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.group, self.resource, self.action)
    }
}

/// One granted scope token, e.g. `groups:group:read,create` or `*:*:*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantedScope {
    group: String,
    resource: String,
    actions: Vec<String>,
}

impl GrantedScope {
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split(':');
        let group = parts.next()?.trim();
        let resource = parts.next()?.trim();
        let actions = parts.next()?.trim();
        if parts.next().is_some() || group.is_empty() || resource.is_empty() || actions.is_empty() {
            return None;
        }
        let actions: Vec<String> = actions.split(',').map(|a| a.trim().to_string()).collect();
        if actions.iter().any(|a| a.is_empty()) {
            return None;
        }
        Some(Self {
            group: group.to_string(),
            resource: resource.to_string(),
            actions,
        })
    }

    pub fn allows(&self, required: &RequiredScope) -> bool {
        if self.group == "core" && self.resource == "*" && self.actions.iter().any(|a| a == "*") {
            return true;
        }
        segment_matches(&self.group, required.group)
            && segment_matches(&self.resource, required.resource)
            && self
                .actions
                .iter()
                .any(|a| segment_matches(a, required.action))
    }

    /// True when every request this scope allows is also allowed by `other`; used to keep a
    /// client from asking the token endpoint for more than it was registered with.
    pub fn within(&self, other: &GrantedScope) -> bool {
        let wider = |mine: &str, theirs: &str| theirs == "*" || mine == theirs;
        if other.group == "core" && other.resource == "*" && other.actions.iter().any(|a| a == "*")
        {
            return true;
        }
        wider(&self.group, &other.group)
            && wider(&self.resource, &other.resource)
            && self
                .actions
                .iter()
                .all(|a| other.actions.iter().any(|o| wider(a, o)))
    }
}

fn segment_matches(granted: &str, required: &str) -> bool {
    granted == "*" || granted.eq_ignore_ascii_case(required)
}

impl fmt::Display for GrantedScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.group,
            self.resource,
            self.actions.join(",")
        )
    }
}

/// The scopes a token carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(pub Vec<GrantedScope>);

impl ScopeSet {
    /// Parses a space-separated scope string; a malformed token is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut scopes = Vec::new();
        for token in text.split_whitespace() {
            scopes.push(GrantedScope::parse(token).ok_or_else(|| {
                format!("malformed scope {token:?}: expected group:resource:action")
            })?);
        }
        Ok(Self(scopes))
    }

    pub fn allows(&self, required: &RequiredScope) -> bool {
        self.0.iter().any(|s| s.allows(required))
    }

    /// True when every scope here is covered by some scope of `registered`.
    pub fn within(&self, registered: &ScopeSet) -> bool {
        self.0
            .iter()
            .all(|s| registered.0.iter().any(|r| s.within(r)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|s| s.to_string()).collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ_GROUPS: RequiredScope = RequiredScope::new("groups", "group", "read");

    fn set(s: &str) -> ScopeSet {
        ScopeSet::parse(s).expect("valid scope")
    }

    #[test]
    fn wildcards_match_in_any_segment() {
        for s in [
            "groups:group:read",
            "groups:*:*",
            "*:*:read",
            "*:*:*",
            "groups:group:*",
            "core:*:*",
        ] {
            assert!(set(s).allows(&READ_GROUPS), "{s}");
        }
        for s in [
            "groups:group:create",
            "sections:*:*",
            "*:*:create",
            "groups:enrollment:read",
            "core:*:read",
        ] {
            assert!(!set(s).allows(&READ_GROUPS), "{s}");
        }
    }

    #[test]
    fn comma_joined_actions_are_honoured() {
        assert!(set("groups:group:create,read").allows(&READ_GROUPS));
        assert!(!set("groups:group:create,delete").allows(&READ_GROUPS));
    }

    #[test]
    fn any_token_of_a_set_may_match() {
        assert!(set("users:own_profile:read groups:group:read").allows(&READ_GROUPS));
        assert!(set("").0.is_empty());
    }

    #[test]
    fn malformed_scopes_are_rejected() {
        for s in [
            "groups",
            "groups:group",
            "a:b:c:d",
            "groups::read",
            "groups:group:read,",
        ] {
            assert!(ScopeSet::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn requested_scopes_must_fit_registered_ones() {
        assert!(set("groups:group:read").within(&set("groups:*:*")));
        assert!(set("groups:group:read,create").within(&set("groups:group:*")));
        assert!(!set("groups:group:read").within(&set("sections:*:*")));
        assert!(!set("*:*:*").within(&set("groups:*:*")));
        assert!(set("*:*:*").within(&set("*:*:*")));
        assert!(set("users:userdata:read").within(&set("core:*:*")));
    }
}
