//! The seven group enrollment styles (GRPENROLL_T): how many groups a category gets, the cap on
//! their size, and who goes where at creation. Plain functions; the job only persists them.

use chrono::NaiveDateTime;

use super::allocation;
use super::rich_text::RichText;

/// GRPENROLL_T: the one list of the styles. The wire answers a style by its name (its `Debug`
/// form) and accepts its number or its name (`wire::groups`); the database stores the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    NumberOfGroupsNoEnrollment = 0,
    PeoplePerGroupAutoEnrollment = 1,
    NumberOfGroupsAutoEnrollment = 2,
    PeoplePerGroupSelfEnrollment = 3,
    SelfEnrollmentNumberOfGroups = 4,
    PeoplePerNumberOfGroupsSelfEnrollment = 5,
    SingleUserMemberSpecificGroup = 6,
}

impl Style {
    /// Every style, in the order of their numbers.
    pub const ALL: [Style; 7] = [
        Style::NumberOfGroupsNoEnrollment,
        Style::PeoplePerGroupAutoEnrollment,
        Style::NumberOfGroupsAutoEnrollment,
        Style::PeoplePerGroupSelfEnrollment,
        Style::SelfEnrollmentNumberOfGroups,
        Style::PeoplePerNumberOfGroupsSelfEnrollment,
        Style::SingleUserMemberSpecificGroup,
    ];

    pub fn from_number(n: i64) -> Option<Style> {
        Self::ALL.into_iter().find(|s| s.number() == n)
    }

    pub fn number(self) -> i64 {
        self as i64
    }

    /// The style's GRPENROLL_T name.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The style named `text`, whatever its case.
    pub fn from_name(text: &str) -> Option<Style> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
    }

    /// Styles whose groups have a size cap (MaxUsersPerGroup is answered for these).
    pub fn has_cap(self) -> bool {
        matches!(
            self,
            Style::PeoplePerGroupAutoEnrollment
                | Style::PeoplePerGroupSelfEnrollment
                | Style::PeoplePerNumberOfGroupsSelfEnrollment
        )
    }

    /// Styles whose group count follows from the learners and the cap.
    fn counts_from_learners(self) -> bool {
        matches!(
            self,
            Style::PeoplePerGroupAutoEnrollment | Style::PeoplePerGroupSelfEnrollment
        )
    }

    /// Styles that take `NumberOfGroups` when `EnrollmentQuantity` is absent.
    fn needs_number_of_groups(self) -> bool {
        matches!(
            self,
            Style::NumberOfGroupsNoEnrollment
                | Style::NumberOfGroupsAutoEnrollment
                | Style::SelfEnrollmentNumberOfGroups
                | Style::PeoplePerNumberOfGroupsSelfEnrollment
        )
    }

    /// Styles that may set `SelfEnrollmentExpiryDate` and `AllocateAfterExpiry`.
    pub fn allows_expiry(self) -> bool {
        self.has_cap()
    }

    /// People-per-group styles: automatic placement creates a group when all are full.
    pub fn grows(self) -> bool {
        self.counts_from_learners()
    }
}

/// Longest category name and group prefix accepted.
pub const MAX_NAME_CHARS: usize = 200;

/// A category as a Create form asks for it, once its own checks passed ([`check_expiry`],
/// [`validate`]).
#[derive(Clone, Debug)]
pub struct CategorySpec {
    pub name: String,
    pub description: RichText,
    pub style: Style,
    pub quantities: Quantities,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub allocate_after_expiry: bool,
    pub self_enrollment_start_date: Option<NaiveDateTime>,
    pub self_enrollment_expiry_date: Option<NaiveDateTime>,
    pub group_prefix: Option<String>,
    pub restricted_by_org_unit_id: Option<i64>,
    pub descriptions_visible: bool,
}

/// GroupData's Create and Update forms, checked and rendered (the same as a section's).
pub type GroupChange = super::naming::ChildChange;

/// The numbers of a Create form that bear on the plan.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quantities {
    pub enrollment_quantity: Option<i64>,
    pub number_of_groups: Option<i64>,
    pub max_users_per_group: Option<i64>,
}

/// Most groups one category may be created with (style 6 excepted: one per learner).
pub const MAX_GROUPS: i64 = 10_000;

/// Checks the numbers a style needs are there and sensible; answers the 400 detail otherwise.
pub fn validate(style: Style, q: &Quantities) -> Result<(), String> {
    let positive = |field: &str, v: Option<i64>| match v {
        Some(n) if n < 1 => Err(format!("{field}: must be at least 1.")),
        Some(n) if n > MAX_GROUPS && field != "MaxUsersPerGroup" => Err(format!(
            "{field}: at most {MAX_GROUPS} groups can be created."
        )),
        _ => Ok(()),
    };
    if style == Style::SingleUserMemberSpecificGroup {
        // One group per learner: the numbers are ignored.
        return Ok(());
    }
    if q.enrollment_quantity.is_some() {
        return positive("EnrollmentQuantity", q.enrollment_quantity);
    }
    if style.needs_number_of_groups() {
        if q.number_of_groups.is_none() {
            return Err(format!(
                "NumberOfGroups: required for {style:?} when EnrollmentQuantity is null."
            ));
        }
        positive("NumberOfGroups", q.number_of_groups)?;
    }
    if style.has_cap() {
        if q.max_users_per_group.is_none() {
            return Err(format!(
                "MaxUsersPerGroup: required for {style:?} when EnrollmentQuantity is null."
            ));
        }
        positive("MaxUsersPerGroup", q.max_users_per_group)?;
    }
    Ok(())
}

/// What creation will make: how many groups, and the cap styles 1, 3 and 5 keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub groups: usize,
    pub cap: Option<usize>,
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

/// The plan for `learners` learners. The count comes from `EnrollmentQuantity` when given (and
/// then the cap is the size that lets that many groups hold everyone), else from
/// `NumberOfGroups` (styles 0, 2, 4, 5) or the learners and `MaxUsersPerGroup` (1, 3); style 6
/// makes one group per learner. Call after [`validate`].
pub fn plan(style: Style, q: &Quantities, learners: usize) -> Plan {
    if style == Style::SingleUserMemberSpecificGroup {
        return Plan {
            groups: learners,
            cap: None,
        };
    }
    if let Some(n) = q.enrollment_quantity {
        let groups = to_usize(n).max(1);
        let cap = style.has_cap().then(|| learners.div_ceil(groups).max(1));
        return Plan { groups, cap };
    }
    let cap = style
        .has_cap()
        .then(|| to_usize(q.max_users_per_group.unwrap_or(1)).max(1));
    let groups = if style.counts_from_learners() {
        allocation::groups_needed(learners, cap.unwrap_or(1))
    } else {
        to_usize(q.number_of_groups.unwrap_or(1)).max(1)
    };
    Plan { groups, cap }
}

/// Who goes in each group at creation (one pile per group, `plan.groups` piles). Only styles 1,
/// 2 and 6 place learners; the others start empty.
pub fn initial_members(style: Style, plan: &Plan, learners: &[i64]) -> Vec<Vec<i64>> {
    let mut piles = match style {
        Style::PeoplePerGroupAutoEnrollment => {
            allocation::count_off(learners, plan.cap.unwrap_or(1))
        }
        Style::NumberOfGroupsAutoEnrollment => allocation::deal(learners, plan.groups),
        Style::SingleUserMemberSpecificGroup => learners.iter().map(|l| vec![*l]).collect(),
        _ => Vec::new(),
    };
    // Counting off never makes more piles than the plan's groups; pad with empty groups.
    piles.resize(plan.groups.max(piles.len()), Vec::new());
    piles
}

#[cfg(test)]
mod tests {
    use super::*;
    use Style::*;

    fn q(eq: Option<i64>, n: Option<i64>, max: Option<i64>) -> Quantities {
        Quantities {
            enrollment_quantity: eq,
            number_of_groups: n,
            max_users_per_group: max,
        }
    }

    fn ids(n: i64) -> Vec<i64> {
        (1..=n).collect()
    }

    #[test]
    fn styles_are_known_by_number_and_by_name() {
        for (n, style) in Style::ALL.into_iter().enumerate() {
            let n = i64::try_from(n).expect("small");
            assert_eq!(style.number(), n);
            assert_eq!(Style::from_number(n), Some(style));
            assert_eq!(Style::from_name(&style.name().to_lowercase()), Some(style));
        }
        assert_eq!(Style::from_number(7), None);
        assert_eq!(Style::from_name("Bogus"), None);
        assert_eq!(
            SingleUserMemberSpecificGroup.name(),
            "SingleUserMemberSpecificGroup"
        );
    }

    #[test]
    fn each_style_demands_its_numbers() {
        assert!(validate(NumberOfGroupsNoEnrollment, &q(None, None, None))
            .expect_err("invalid")
            .starts_with("NumberOfGroups"));
        assert!(
            validate(PeoplePerGroupAutoEnrollment, &q(None, Some(3), None))
                .expect_err("invalid")
                .starts_with("MaxUsersPerGroup")
        );
        assert!(validate(
            PeoplePerNumberOfGroupsSelfEnrollment,
            &q(None, Some(3), None)
        )
        .expect_err("invalid")
        .starts_with("MaxUsersPerGroup"));
        assert!(validate(
            PeoplePerNumberOfGroupsSelfEnrollment,
            &q(None, None, Some(3))
        )
        .expect_err("invalid")
        .starts_with("NumberOfGroups"));
        assert!(validate(NumberOfGroupsAutoEnrollment, &q(None, Some(0), None)).is_err());
        assert!(
            validate(NumberOfGroupsAutoEnrollment, &q(Some(0), Some(3), None))
                .expect_err("invalid")
                .starts_with("EnrollmentQuantity")
        );
        assert!(validate(
            NumberOfGroupsAutoEnrollment,
            &q(None, Some(MAX_GROUPS + 1), None)
        )
        .is_err());
        // EnrollmentQuantity stands in for whatever the style needs.
        for style in [
            NumberOfGroupsNoEnrollment,
            PeoplePerGroupAutoEnrollment,
            PeoplePerNumberOfGroupsSelfEnrollment,
        ] {
            assert!(
                validate(style, &q(Some(4), None, None)).is_ok(),
                "{style:?}"
            );
        }
        assert!(validate(SingleUserMemberSpecificGroup, &q(None, None, None)).is_ok());
    }

    #[test]
    fn counts_come_from_the_quantity_the_style_uses() {
        assert_eq!(
            plan(NumberOfGroupsNoEnrollment, &q(None, Some(4), Some(9)), 10),
            Plan {
                groups: 4,
                cap: None
            }
        );
        assert_eq!(
            plan(PeoplePerGroupAutoEnrollment, &q(None, Some(9), Some(3)), 10),
            Plan {
                groups: 4,
                cap: Some(3)
            }
        );
        assert_eq!(
            plan(PeoplePerGroupSelfEnrollment, &q(None, None, Some(5)), 0),
            Plan {
                groups: 1,
                cap: Some(5)
            }
        );
        assert_eq!(
            plan(
                PeoplePerNumberOfGroupsSelfEnrollment,
                &q(None, Some(2), Some(5)),
                10
            ),
            Plan {
                groups: 2,
                cap: Some(5)
            }
        );
        assert_eq!(
            plan(
                NumberOfGroupsAutoEnrollment,
                &q(Some(3), Some(9), Some(9)),
                10
            ),
            Plan {
                groups: 3,
                cap: None
            }
        );
        assert_eq!(
            plan(PeoplePerGroupAutoEnrollment, &q(Some(3), None, Some(9)), 10),
            Plan {
                groups: 3,
                cap: Some(4)
            }
        );
        assert_eq!(
            plan(
                SingleUserMemberSpecificGroup,
                &q(Some(3), Some(9), Some(9)),
                7
            ),
            Plan {
                groups: 7,
                cap: None
            }
        );
    }

    #[test]
    fn initial_members_follow_the_style() {
        let l = ids(10);
        let p = plan(PeoplePerGroupAutoEnrollment, &q(None, None, Some(3)), 10);
        assert_eq!(
            initial_members(PeoplePerGroupAutoEnrollment, &p, &l),
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9], vec![10]]
        );
        let p = plan(NumberOfGroupsAutoEnrollment, &q(None, Some(3), None), 10);
        let piles = initial_members(NumberOfGroupsAutoEnrollment, &p, &l);
        assert_eq!(
            piles.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
        // With a quantity, people-per-group still fills that many groups, padding with empties.
        let p = plan(PeoplePerGroupAutoEnrollment, &q(Some(4), None, None), 9);
        let piles = initial_members(PeoplePerGroupAutoEnrollment, &p, &ids(9));
        assert_eq!(piles.len(), 4);
        assert_eq!(piles.concat(), ids(9));
        for style in [
            NumberOfGroupsNoEnrollment,
            PeoplePerGroupSelfEnrollment,
            SelfEnrollmentNumberOfGroups,
            PeoplePerNumberOfGroupsSelfEnrollment,
        ] {
            let p = plan(style, &q(None, Some(3), Some(3)), 10);
            let piles = initial_members(style, &p, &l);
            assert_eq!(piles.len(), p.groups, "{style:?}");
            assert!(piles.iter().all(Vec::is_empty), "{style:?} starts empty");
        }
        let p = plan(SingleUserMemberSpecificGroup, &q(None, None, None), 3);
        assert_eq!(
            initial_members(SingleUserMemberSpecificGroup, &p, &[7, 8, 9]),
            vec![vec![7], vec![8], vec![9]]
        );
    }
}
