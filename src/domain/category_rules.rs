//! The rules a group category's self-enrollment settings keep with each other and with its
//! style: checked once on Create, and again on Update, where LP 1.53 lets a client move the
//! window, the cap, the prefix and the allocation after expiry of a category that exists.

use chrono::NaiveDateTime;

use super::group_plan::{Style, MAX_NAME_CHARS};
use super::rich_text::RichText;

/// What an Update form may change of a category.
#[derive(Clone, Debug)]
pub struct CategoryChanges {
    pub name: String,
    pub description: RichText,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub descriptions_visible: bool,
    /// The keys of LP 1.53's form; none below it.
    pub settings: SettingsChanges,
}

/// The settings of a category that must agree with each other, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelfEnrollment {
    pub max_users_per_group: Option<i64>,
    pub allocate_after_expiry: bool,
    pub start: Option<NaiveDateTime>,
    pub expiry: Option<NaiveDateTime>,
    pub group_prefix: Option<String>,
}

/// LP 1.53's Update keys, each as sent: `None` when the key is absent (the stored value
/// stays), `Some(None)` when it is null (the value is cleared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChanges {
    pub max_users_per_group: Option<Option<i64>>,
    pub allocate_after_expiry: Option<bool>,
    pub start: Option<Option<NaiveDateTime>>,
    pub expiry: Option<Option<NaiveDateTime>>,
    pub group_prefix: Option<Option<String>>,
}

impl SelfEnrollment {
    /// These settings with `changes` applied, checked as a Create form is; answers the 400
    /// detail otherwise.
    pub fn changed(&self, style: Style, changes: &SettingsChanges) -> Result<Self, String> {
        let next = SelfEnrollment {
            max_users_per_group: changes
                .max_users_per_group
                .unwrap_or(self.max_users_per_group),
            allocate_after_expiry: changes
                .allocate_after_expiry
                .unwrap_or(self.allocate_after_expiry),
            start: changes.start.unwrap_or(self.start),
            expiry: changes.expiry.unwrap_or(self.expiry),
            group_prefix: changes
                .group_prefix
                .clone()
                .unwrap_or_else(|| self.group_prefix.clone()),
        };
        if changes.max_users_per_group.is_some() {
            check_cap(style, next.max_users_per_group)?;
        }
        check_expiry(style, next.allocate_after_expiry, next.expiry.is_some())?;
        check_window(next.start, next.expiry)?;
        check_prefix(next.group_prefix.as_deref())?;
        Ok(next)
    }

    /// When the allocation after expiry is due, if the category wants one.
    pub fn allocation_due(&self) -> Option<NaiveDateTime> {
        self.expiry.filter(|_| self.allocate_after_expiry)
    }
}

/// A new cap: only the people-per-group styles have one, and it holds at least one person.
/// Members beyond a lowered cap stay; the cap bounds who joins next.
fn check_cap(style: Style, cap: Option<i64>) -> Result<(), String> {
    match cap {
        None if style.has_cap() => Err(format!("MaxUsersPerGroup: may not be null for {style:?}.")),
        Some(_) if !style.has_cap() => Err(format!(
            "MaxUsersPerGroup: {style:?} has no cap; send null."
        )),
        Some(n) if n < 1 => Err("MaxUsersPerGroup: must be at least 1.".into()),
        _ => Ok(()),
    }
}

/// The self-enrollment window opens before it closes: a start after the expiry is a 400.
pub fn check_window(
    start: Option<NaiveDateTime>,
    expiry: Option<NaiveDateTime>,
) -> Result<(), String> {
    match (start, expiry) {
        (Some(start), Some(expiry)) if start > expiry => {
            Err("SelfEnrollmentStartDate: must not be after SelfEnrollmentExpiryDate.".into())
        }
        _ => Ok(()),
    }
}

/// Self-enrollment expiry: allocating after it needs a date, and only the capped styles
/// (people per group) have one. Answers the 400 detail otherwise.
pub fn check_expiry(
    style: Style,
    allocate_after_expiry: bool,
    expires: bool,
) -> Result<(), String> {
    if allocate_after_expiry && !expires {
        return Err("AllocateAfterExpiry: requires a SelfEnrollmentExpiryDate.".into());
    }
    if (allocate_after_expiry || expires) && !style.allows_expiry() {
        let field = if allocate_after_expiry {
            "AllocateAfterExpiry"
        } else {
            "SelfEnrollmentExpiryDate"
        };
        return Err(format!(
            "{field}: only for PeoplePerGroupAutoEnrollment, PeoplePerGroupSelfEnrollment and PeoplePerNumberOfGroupsSelfEnrollment."
        ));
    }
    Ok(())
}

/// A group prefix: at most [`MAX_NAME_CHARS`] characters.
pub fn check_prefix(prefix: Option<&str>) -> Result<(), String> {
    match prefix {
        Some(p) if p.chars().count() > MAX_NAME_CHARS => Err(format!(
            "GroupPrefix: at most {MAX_NAME_CHARS} characters are allowed."
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Style::*;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 9, 1)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap_or_default()
    }

    fn stored() -> SelfEnrollment {
        SelfEnrollment {
            max_users_per_group: Some(4),
            allocate_after_expiry: true,
            start: Some(at(1)),
            expiry: Some(at(5)),
            group_prefix: Some("Team".into()),
        }
    }

    #[test]
    fn the_window_opens_before_it_closes() {
        assert_eq!(check_window(Some(at(1)), Some(at(2))), Ok(()));
        assert_eq!(check_window(Some(at(2)), Some(at(2))), Ok(()));
        assert_eq!(check_window(Some(at(1)), None), Ok(()));
        assert_eq!(check_window(None, Some(at(1))), Ok(()));
        let refused = check_window(Some(at(3)), Some(at(2)));
        assert!(refused.is_err_and(|e| e.starts_with("SelfEnrollmentStartDate: ")));
    }

    #[test]
    fn absent_keys_keep_and_null_keys_clear() {
        let style = PeoplePerGroupSelfEnrollment;
        let kept = stored().changed(style, &SettingsChanges::default());
        assert_eq!(kept, Ok(stored()));

        let changes = SettingsChanges {
            start: Some(None),
            group_prefix: Some(None),
            max_users_per_group: Some(Some(6)),
            ..SettingsChanges::default()
        };
        let next = stored().changed(style, &changes);
        let expected = SelfEnrollment {
            start: None,
            group_prefix: None,
            max_users_per_group: Some(6),
            ..stored()
        };
        assert_eq!(next, Ok(expected));
    }

    #[test]
    fn the_merged_settings_are_checked_as_on_create() {
        let style = PeoplePerGroupSelfEnrollment;
        let check = |changes: SettingsChanges| stored().changed(style, &changes);
        let starts_with =
            |r: Result<SelfEnrollment, String>, field: &str| r.is_err_and(|e| e.starts_with(field));
        // Clearing the expiry while allocation after it stays on.
        let no_expiry = SettingsChanges {
            expiry: Some(None),
            ..Default::default()
        };
        assert!(starts_with(check(no_expiry), "AllocateAfterExpiry: "));
        // Both cleared together is fine.
        let neither = SettingsChanges {
            expiry: Some(None),
            allocate_after_expiry: Some(false),
            ..Default::default()
        };
        assert!(check(neither).is_ok_and(|s| s.allocation_due().is_none()));
        // A start moved past the stored expiry.
        let late = SettingsChanges {
            start: Some(Some(at(6))),
            ..Default::default()
        };
        assert!(starts_with(check(late), "SelfEnrollmentStartDate: "));
        for cap in [None, Some(0)] {
            let bad = SettingsChanges {
                max_users_per_group: Some(cap),
                ..Default::default()
            };
            assert!(starts_with(check(bad), "MaxUsersPerGroup: "));
        }
        let long = SettingsChanges {
            group_prefix: Some(Some("x".repeat(MAX_NAME_CHARS + 1))),
            ..Default::default()
        };
        assert!(starts_with(check(long), "GroupPrefix: "));
    }

    #[test]
    fn only_capped_styles_take_a_cap_or_an_expiry() {
        let plain = SelfEnrollment {
            max_users_per_group: None,
            allocate_after_expiry: false,
            start: None,
            expiry: None,
            group_prefix: None,
        };
        let cap = SettingsChanges {
            max_users_per_group: Some(Some(3)),
            ..Default::default()
        };
        let refused = plain.changed(NumberOfGroupsAutoEnrollment, &cap);
        assert!(refused.is_err_and(|e| e.starts_with("MaxUsersPerGroup: ")));
        let null_cap = SettingsChanges {
            max_users_per_group: Some(None),
            ..Default::default()
        };
        assert!(plain
            .changed(NumberOfGroupsAutoEnrollment, &null_cap)
            .is_ok());
        let expiry = SettingsChanges {
            expiry: Some(Some(at(2))),
            ..Default::default()
        };
        let refused = plain.changed(SelfEnrollmentNumberOfGroups, &expiry);
        assert!(refused.is_err_and(|e| e.starts_with("SelfEnrollmentExpiryDate: ")));
    }
}
