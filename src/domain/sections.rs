//! The two section enrollment styles (SECTENROLL_T) and what each means: how a course's
//! learners are dealt into its first sections, and where a learner enrolled later is placed.

use super::allocation::{self, Placement};

/// Most sections one initialization may create.
pub const MAX_SECTIONS: i64 = 5_000;
/// The settings' Name before anyone sets one.
pub const DEFAULT_SETTINGS_NAME: &str = "Sections";
/// What sections are called when created for the course (`Section 1`, `Section 2`, ...).
pub const SECTION_PREFIX: &str = "Section";

/// SECTENROLL_T, as stored; the wire type names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// EnrollmentQuantity is the size of each section.
    PeoplePerSection = 1,
    /// EnrollmentQuantity is the number of sections.
    NumberOfSections = 2,
}

impl Style {
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::PeoplePerSection),
            2 => Some(Self::NumberOfSections),
            _ => None,
        }
    }

    pub fn number(self) -> i64 {
        self as i64
    }

    /// The members of each first section, from the learners in dealing order: `quantity`
    /// sections dealt round, or sections of `quantity` counted off.
    pub fn deal(self, learners: &[i64], quantity: i64) -> Vec<Vec<i64>> {
        let quantity = usize::try_from(quantity).unwrap_or(usize::MAX);
        match self {
            Style::NumberOfSections => allocation::deal(learners, quantity),
            Style::PeoplePerSection => allocation::count_off(learners, quantity),
        }
    }

    /// Where a learner enrolled later goes, given the sections' sizes: the smallest for
    /// number-of-sections style, the first not full for people-per-section style (a new
    /// section when all are full). `None`: number-of-sections style only fills sections that
    /// exist.
    pub fn place(self, sizes: &[usize], quantity: i64) -> Option<Placement> {
        match self {
            Style::NumberOfSections => match allocation::smallest(sizes) {
                Placement::New => None,
                existing => Some(existing),
            },
            Style::PeoplePerSection => Some(allocation::first_not_full(
                sizes,
                usize::try_from(quantity).unwrap_or(usize::MAX),
            )),
        }
    }
}

/// SectionSettingsData's Create form, checked: what initializing the sections needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSettings {
    pub style: Style,
    pub quantity: i64,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub descriptions_visible: bool,
}

impl NewSettings {
    /// Checks the quantity: at least 1, and at most [`MAX_SECTIONS`] sections.
    pub fn check(&self) -> Result<(), String> {
        if self.quantity < 1 {
            return Err("EnrollmentQuantity: must be at least 1.".into());
        }
        if self.style == Style::NumberOfSections && self.quantity > MAX_SECTIONS {
            return Err(format!(
                "EnrollmentQuantity: at most {MAX_SECTIONS} sections can be created."
            ));
        }
        Ok(())
    }
}

/// SectionSettingsData's Update form, checked and rendered: the descriptive settings (the
/// style and quantity never change once the sections are dealt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsChange {
    pub name: String,
    pub description: super::rich_text::RichText,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub descriptions_visible: bool,
}

/// SectionData's Create and Update forms, checked and rendered (the same as a group's).
pub type SectionChange = super::naming::ChildChange;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for style in [Style::PeoplePerSection, Style::NumberOfSections] {
            assert_eq!(Style::from_number(style.number()), Some(style));
        }
        assert_eq!(Style::from_number(0), None);
    }

    #[test]
    fn number_of_sections_never_places_in_a_new_section() {
        assert_eq!(Style::NumberOfSections.place(&[], 3), None);
        assert_eq!(
            Style::NumberOfSections.place(&[2, 1, 2], 3),
            Some(Placement::Existing(1))
        );
        assert_eq!(
            Style::PeoplePerSection.place(&[2, 2], 2),
            Some(Placement::New)
        );
    }
}
