//! Self-enrollment: when a learner may join or leave a group of a category on their own.
//! Brightspace offers this only in its pages (its API has no route for it); ours is the same
//! rule for the API and the console, written once here:
//!
//! - only the self-enrollment styles (3, 4, 5) let learners choose;
//! - the window: from `SelfEnrollmentStartDate` (if any) until `SelfEnrollmentExpiryDate`
//!   (if any); outside it nobody joins or leaves, and after it the allocation after expiry
//!   (when asked for) places whoever is left;
//! - one group per category: a learner leaves their group before joining another;
//! - the cap (`MaxUsersPerGroup`, styles 3 and 5) bounds who joins; members beyond a cap
//!   lowered later stay;
//! - a category restricted to a section or group (`RestrictedByOrgUnitId`) admits only its
//!   members.

use chrono::NaiveDateTime;

use super::group_plan::Style;

/// Where `now` stands in a category's self-enrollment window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Before `SelfEnrollmentStartDate`.
    NotYetOpen(NaiveDateTime),
    Open,
    /// At or after `SelfEnrollmentExpiryDate`.
    Closed(NaiveDateTime),
}

impl Window {
    /// The window of a category whose self-enrollment runs from `start` to `expiry`, at `now`.
    pub fn at(
        start: Option<NaiveDateTime>,
        expiry: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Window {
        match (start, expiry) {
            (Some(start), _) if now < start => Window::NotYetOpen(start),
            (_, Some(expiry)) if now >= expiry => Window::Closed(expiry),
            _ => Window::Open,
        }
    }

    pub fn is_open(self) -> bool {
        self == Window::Open
    }
}

/// A category as self-enrollment sees it.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub style: Style,
    pub window: Window,
    /// `MaxUsersPerGroup`, for the styles that have a cap.
    pub cap: Option<i64>,
    /// Whether the learner may belong to this category's groups at all: no restriction, or
    /// a member of the restricting section or group.
    pub admitted: bool,
}

/// Why a learner may not join or leave: each is a 4xx with its own text (`services`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The category's style does not let learners choose their group.
    NotSelfEnrollment(Style),
    NotYetOpen(NaiveDateTime),
    Closed(NaiveDateTime),
    /// Restricted to the members of another section or group, which the learner is not.
    NotAdmitted,
    /// The learner is in this very group already.
    AlreadyMember,
    /// The learner is in another group of the category.
    InAnotherGroup(i64),
    /// The group holds `cap` members or more.
    Full {
        cap: i64,
    },
    /// Leaving a group the learner is not in.
    NotAMember,
}

/// Whether the style lets learners choose their group.
pub fn is_self_enrollment(style: Style) -> bool {
    matches!(
        style,
        Style::PeoplePerGroupSelfEnrollment
            | Style::SelfEnrollmentNumberOfGroups
            | Style::PeoplePerNumberOfGroupsSelfEnrollment
    )
}

/// The cap that binds self-enrollment in a category of `style`, if any.
pub fn cap_of(style: Style, max_users_per_group: Option<i64>) -> Option<i64> {
    max_users_per_group.filter(|_| style.has_cap())
}

/// How many more may join a group of `size` members under `cap` (`None`: no cap).
pub fn free_places(cap: Option<i64>, size: usize) -> Option<i64> {
    cap.map(|cap| (cap - i64::try_from(size).unwrap_or(i64::MAX)).max(0))
}

/// Checks that do not depend on the group: the style, the window, the restriction.
fn may_choose(rules: &Rules) -> Result<(), Refusal> {
    if !is_self_enrollment(rules.style) {
        return Err(Refusal::NotSelfEnrollment(rules.style));
    }
    match rules.window {
        Window::NotYetOpen(start) => return Err(Refusal::NotYetOpen(start)),
        Window::Closed(expiry) => return Err(Refusal::Closed(expiry)),
        Window::Open => {}
    }
    if !rules.admitted {
        return Err(Refusal::NotAdmitted);
    }
    Ok(())
}

/// May the learner, now in `current` (their group of this category, if any), join `group`,
/// which has `size` members?
pub fn may_join(
    rules: &Rules,
    current: Option<i64>,
    group: i64,
    size: usize,
) -> Result<(), Refusal> {
    may_choose(rules)?;
    match current {
        Some(held) if held == group => return Err(Refusal::AlreadyMember),
        Some(other) => return Err(Refusal::InAnotherGroup(other)),
        None => {}
    }
    match free_places(rules.cap, size) {
        Some(0) => Err(Refusal::Full {
            cap: rules.cap.unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

/// May the learner, now in `current`, leave `group`? Only within the window, as joining: after
/// it the groups are what the allocation works from.
pub fn may_leave(rules: &Rules, current: Option<i64>, group: i64) -> Result<(), Refusal> {
    if !is_self_enrollment(rules.style) {
        return Err(Refusal::NotSelfEnrollment(rules.style));
    }
    if current != Some(group) {
        return Err(Refusal::NotAMember);
    }
    may_choose(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 9, day)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("date")
    }

    fn open(style: Style, cap: Option<i64>) -> Rules {
        Rules {
            style,
            window: Window::Open,
            cap: cap_of(style, cap),
            admitted: true,
        }
    }

    #[test]
    fn the_window_opens_at_the_start_and_closes_at_the_expiry() {
        let (start, expiry) = (Some(at(10)), Some(at(20)));
        assert_eq!(Window::at(start, expiry, at(9)), Window::NotYetOpen(at(10)));
        assert_eq!(Window::at(start, expiry, at(10)), Window::Open);
        assert_eq!(Window::at(start, expiry, at(19)), Window::Open);
        assert_eq!(Window::at(start, expiry, at(20)), Window::Closed(at(20)));
        assert_eq!(Window::at(None, None, at(1)), Window::Open);
        assert_eq!(Window::at(None, expiry, at(25)), Window::Closed(at(20)));
        assert_eq!(Window::at(start, None, at(25)), Window::Open);
    }

    #[test]
    fn only_the_self_enrollment_styles_let_learners_choose() {
        for style in Style::ALL {
            let chosen = may_join(&open(style, Some(3)), None, 1, 0);
            assert_eq!(chosen.is_ok(), is_self_enrollment(style), "{style:?}");
        }
        let auto = open(Style::PeoplePerGroupAutoEnrollment, Some(3));
        assert_eq!(
            may_leave(&auto, Some(1), 1),
            Err(Refusal::NotSelfEnrollment(
                Style::PeoplePerGroupAutoEnrollment
            ))
        );
    }

    #[test]
    fn a_full_group_refuses_and_the_cap_binds_only_the_capped_styles() {
        let capped = open(Style::PeoplePerGroupSelfEnrollment, Some(2));
        assert_eq!(may_join(&capped, None, 1, 1), Ok(()));
        assert_eq!(may_join(&capped, None, 1, 2), Err(Refusal::Full { cap: 2 }));
        // A cap lowered below the members already there.
        assert_eq!(may_join(&capped, None, 1, 5), Err(Refusal::Full { cap: 2 }));
        let uncapped = open(Style::SelfEnrollmentNumberOfGroups, Some(2));
        assert_eq!(uncapped.cap, None);
        assert_eq!(may_join(&uncapped, None, 1, 50), Ok(()));
        assert_eq!(free_places(Some(3), 1), Some(2));
        assert_eq!(free_places(Some(3), 7), Some(0));
        assert_eq!(free_places(None, 7), None);
    }

    #[test]
    fn one_group_per_category() {
        let rules = open(Style::PeoplePerNumberOfGroupsSelfEnrollment, Some(4));
        assert_eq!(may_join(&rules, Some(1), 1, 1), Err(Refusal::AlreadyMember));
        assert_eq!(
            may_join(&rules, Some(1), 2, 1),
            Err(Refusal::InAnotherGroup(1))
        );
        assert_eq!(may_leave(&rules, Some(1), 2), Err(Refusal::NotAMember));
        assert_eq!(may_leave(&rules, None, 2), Err(Refusal::NotAMember));
        assert_eq!(may_leave(&rules, Some(2), 2), Ok(()));
    }

    #[test]
    fn outside_the_window_or_the_restriction_nobody_joins_or_leaves() {
        let mut rules = open(Style::PeoplePerGroupSelfEnrollment, Some(4));
        rules.window = Window::NotYetOpen(at(10));
        assert_eq!(
            may_join(&rules, None, 1, 0),
            Err(Refusal::NotYetOpen(at(10)))
        );
        rules.window = Window::Closed(at(20));
        assert_eq!(may_join(&rules, None, 1, 0), Err(Refusal::Closed(at(20))));
        assert_eq!(may_leave(&rules, Some(1), 1), Err(Refusal::Closed(at(20))));
        rules.window = Window::Open;
        rules.admitted = false;
        assert_eq!(may_join(&rules, None, 1, 0), Err(Refusal::NotAdmitted));
    }
}
