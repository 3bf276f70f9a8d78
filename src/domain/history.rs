//! The history of membership changes: who added or removed whom, in which section or group,
//! when, and through what (the API, the console, AutoEnroll or a job). Every write of a
//! section or group membership records one entry, in the transaction that makes the change
//! (`db::members`), so the history holds exactly what was committed.

/// Through what a membership changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A call of the API (a bearer token, an ID-key signature).
    Api,
    /// A page of the console.
    Console,
    /// AutoEnroll placing a new learner.
    AutoEnroll,
    /// A background job: a category's creation, the allocation after expiry.
    Job,
}

impl Via {
    pub const ALL: [Via; 4] = [Via::Api, Via::Console, Via::AutoEnroll, Via::Job];

    /// As stored, and as answered.
    pub fn name(self) -> &'static str {
        match self {
            Via::Api => "Api",
            Via::Console => "Console",
            Via::AutoEnroll => "AutoEnroll",
            Via::Job => "Job",
        }
    }

    /// A stored or requested name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Via> {
        Via::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }
}

/// What happened to the membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "Added",
            Change::Removed => "Removed",
        }
    }

    pub fn from_name(name: &str) -> Option<Change> {
        [Change::Added, Change::Removed]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

/// Who makes a change, and through what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user who asked; none for AutoEnroll and jobs, which act for the institution.
    pub user_id: Option<i64>,
    pub via: Via,
    /// The OAuth client (or ID-key app) the call came through, for `Via::Api`.
    pub client_id: Option<String>,
}

impl Actor {
    pub fn auto_enroll() -> Actor {
        Actor {
            user_id: None,
            via: Via::AutoEnroll,
            client_id: None,
        }
    }

    pub fn job() -> Actor {
        Actor {
            user_id: None,
            via: Via::Job,
            client_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for via in Via::ALL {
            assert_eq!(Via::from_name(via.name()), Some(via));
            assert_eq!(Via::from_name(&via.name().to_lowercase()), Some(via));
        }
        assert_eq!(Via::from_name("mail"), None);
        assert_eq!(Change::from_name("removed"), Some(Change::Removed));
        assert_eq!(Change::from_name("moved"), None);
    }
}
