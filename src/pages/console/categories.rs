//! A course's group categories: the list, the create form (every enrollment style and its
//! fields), the creation's status, a category with its groups and members, and the
//! membership import's form and preview.

use maud::{html, Markup};

use super::sections::Person;
use super::{course_crumbs, csrf, layout, pager, scroll, Flash, Frame};
use crate::domain::group_plan::Style;

/// What each enrollment style means, for the form's choices.
pub fn style_label(style: Style) -> &'static str {
    match style {
        Style::NumberOfGroupsNoEnrollment => "A number of groups, no one placed",
        Style::PeoplePerGroupAutoEnrollment => "Groups of a number of people, learners placed",
        Style::NumberOfGroupsAutoEnrollment => "A number of groups, learners placed",
        Style::PeoplePerGroupSelfEnrollment => "Groups of a number of people, learners choose",
        Style::SelfEnrollmentNumberOfGroups => "A number of groups, learners choose",
        Style::PeoplePerNumberOfGroupsSelfEnrollment => {
            "A number of groups of a number of people, learners choose"
        }
        Style::SingleUserMemberSpecificGroup => "One group per learner",
    }
}

/// A category as the list shows it.
#[derive(Clone, Debug)]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub style: Style,
    pub groups: usize,
    pub processing: bool,
}

pub fn list(
    frame: &Frame,
    flash: &Flash,
    course_id: i64,
    course_name: &str,
    rows: &[CategoryRow],
) -> String {
    let base = format!("/console/courses/{course_id}/categories");
    let body = html! {
        p { a href=(format!("{base}/new")) { "Create a group category" } }
        @if rows.is_empty() {
            p { "No group categories." }
        } @else {
            (scroll("Group categories", html! {
                table {
                    thead { tr {
                        th scope="col" { "Category" }
                        th scope="col" { "Enrollment style" }
                        th scope="col" { "Groups" }
                        th scope="col" { "Status" }
                    } }
                    tbody {
                        @for c in rows {
                            tr {
                                td { a href=(format!("{base}/{}", c.id)) { (c.name) } }
                                td { (style_label(c.style)) }
                                td { (c.groups) }
                                td {
                                    @if c.processing {
                                        a href=(format!("{base}/{}/status", c.id)) { "Being created" }
                                    } @else { "Ready" }
                                }
                            }
                        }
                    }
                }
            }))
        }
    };
    layout(
        &format!("Group categories of {course_name}"),
        frame,
        &course_crumbs(course_id, course_name),
        flash,
        None,
        body,
    )
}

/// The create form's fields as sent (shown again after a refusal).
#[derive(Clone, Debug, Default)]
pub struct CategoryForm {
    pub name: String,
    pub description: String,
    pub style: String,
    pub enrollment_quantity: String,
    pub number_of_groups: String,
    pub max_users_per_group: String,
    pub auto_enroll: bool,
    pub randomize_enrollments: bool,
    pub allocate_after_expiry: bool,
    pub self_enrollment_start_date: String,
    pub self_enrollment_expiry_date: String,
    pub group_prefix: String,
    pub restricted_by_org_unit_id: String,
    pub descriptions_visible: bool,
}

fn number_field(id: &str, label: &str, hint: &str, value: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        @if !hint.is_empty() { span.hint id=(format!("{id}-hint")) { (hint) } br; }
        input type="number" id=(id) name=(id) value=(value) min="0"
            aria-describedby=[(!hint.is_empty()).then(|| format!("{id}-hint"))];
    }
}

fn check(id: &str, label: &str, checked: bool) -> Markup {
    html! {
        label.check for=(id) {
            input type="checkbox" id=(id) name=(id) value="1" checked[checked];
            (label)
        }
    }
}

pub fn new_form(
    frame: &Frame,
    flash: &Flash,
    course_id: i64,
    course_name: &str,
    f: &CategoryForm,
) -> String {
    let base = format!("/console/courses/{course_id}/categories");
    let body = html! {
        p.hint { "The fields are those of the API's GroupCategoryData; each style uses the ones it needs." }
        form method="post" action=(base) {
            (csrf(frame))
            label for="Name" { "Name" }
            input type="text" id="Name" name="Name" value=(f.name) required;
            label for="Description" { "Description" }
            textarea id="Description" name="Description" { (f.description) }
            label for="EnrollmentStyle" { "Enrollment style" }
            select id="EnrollmentStyle" name="EnrollmentStyle" {
                @for style in Style::ALL {
                    option value=(style.number()) selected[f.style == style.number().to_string()] {
                        (style_label(style)) " (" (style.name()) ")"
                    }
                }
            }
            fieldset {
                legend { "Sizes" }
                (number_field("EnrollmentQuantity", "Enrollment quantity",
                    "People per group, or number of groups, as the style reads it.", &f.enrollment_quantity))
                (number_field("NumberOfGroups", "Number of groups", "", &f.number_of_groups))
                (number_field("MaxUsersPerGroup", "Most people per group", "", &f.max_users_per_group))
            }
            fieldset {
                legend { "Placement" }
                (check("AutoEnroll", "Place learners enrolled later automatically", f.auto_enroll))
                (check("RandomizeEnrollments", "Place learners in random order", f.randomize_enrollments))
                (check("DescriptionsVisibleToEnrolees", "Show group descriptions to members", f.descriptions_visible))
            }
            fieldset {
                legend { "Self-enrollment (times in UTC)" }
                label for="SelfEnrollmentStartDate" { "Opens" }
                input type="datetime-local" id="SelfEnrollmentStartDate" name="SelfEnrollmentStartDate"
                    value=(f.self_enrollment_start_date);
                label for="SelfEnrollmentExpiryDate" { "Closes" }
                input type="datetime-local" id="SelfEnrollmentExpiryDate" name="SelfEnrollmentExpiryDate"
                    value=(f.self_enrollment_expiry_date);
                (check("AllocateAfterExpiry", "Place the learners left over when it closes", f.allocate_after_expiry))
            }
            label for="GroupPrefix" { "Group name prefix (optional)" }
            input type="text" id="GroupPrefix" name="GroupPrefix" value=(f.group_prefix);
            label for="RestrictedByOrgUnitId" { "Only members of this section or group (its org unit id, optional)" }
            input type="number" id="RestrictedByOrgUnitId" name="RestrictedByOrgUnitId"
                value=(f.restricted_by_org_unit_id) min="1";
            button type="submit" { "Create the category" }
        }
    };
    let mut crumbs = course_crumbs(course_id, course_name);
    crumbs.push((base, "Group categories".into()));
    layout("Create a group category", frame, &crumbs, flash, None, body)
}

/// The creation job's progress: the page reloads itself while it runs.
pub fn status(
    frame: &Frame,
    course_id: i64,
    course_name: &str,
    category_id: i64,
    name: &str,
    processing: bool,
) -> String {
    let base = format!("/console/courses/{course_id}/categories");
    let body = html! {
        @if processing {
            p role="status" { "“" (name) "” is being created: its groups are being made and the learners placed. This page reloads itself every 2 seconds." }
            p { a href=(format!("{base}/{category_id}/status")) { "Reload now" } }
        } @else {
            p role="status" { "“" (name) "” is ready." }
            p { a href=(format!("{base}/{category_id}")) { "Open " (name) } }
        }
    };
    let mut crumbs = course_crumbs(course_id, course_name);
    crumbs.push((base, "Group categories".into()));
    layout(
        if processing {
            "Creating the group category"
        } else {
            "Group category created"
        },
        frame,
        &crumbs,
        &Flash::default(),
        processing.then_some(2),
        body,
    )
}

/// A group with its members.
#[derive(Clone, Debug)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub members: Vec<Person>,
}

/// A page of a category: `groups` are this page's, `all` every group (where a member may be
/// moved to).
pub struct CategoryPage<'a> {
    pub course_id: i64,
    pub course_name: &'a str,
    pub category_id: i64,
    pub name: &'a str,
    pub style: Style,
    pub processing: bool,
    pub groups: &'a [GroupView],
    pub all: &'a [GroupView],
    pub position: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

pub fn category(frame: &Frame, flash: &Flash, p: &CategoryPage) -> String {
    let base = format!(
        "/console/courses/{}/categories/{}",
        p.course_id, p.category_id
    );
    let body = html! {
        p { "Enrollment style: " (style_label(p.style)) "." }
        @if p.processing {
            p { a href=(format!("{base}/status")) { "Still being created: see its progress" } }
        }
        ul {
            li { a href=(format!("{base}/members.csv")) download { "Download the memberships (CSV)" } }
            li { a href=(format!("{base}/import")) { "Import memberships from CSV" } }
        }
        @if p.all.is_empty() { p { "No groups." } }
        @for g in p.groups {
            (group(frame, &base, g, p.all))
        }
        (pager(p.previous.clone(), p.next.clone(), &p.position))
        h2 { "Delete the category" }
        p.hint { "A category can be deleted once it has no groups." }
        form method="post" action=(format!("{base}/delete")) {
            (csrf(frame))
            button.danger type="submit" { "Delete " (p.name) }
        }
    };
    let mut crumbs = course_crumbs(p.course_id, p.course_name);
    crumbs.push((
        format!("/console/courses/{}/categories", p.course_id),
        "Group categories".into(),
    ));
    layout(p.name, frame, &crumbs, flash, None, body)
}

fn group(frame: &Frame, base: &str, g: &GroupView, all: &[GroupView]) -> Markup {
    let id = g.id;
    let others: Vec<&GroupView> = all.iter().filter(|o| o.id != id).collect();
    html! {
        section aria-labelledby=(format!("group-{id}")) {
            h2 id=(format!("group-{id}")) { (g.name) " (" (g.code) ")" }
            p { (g.members.len()) " " (if g.members.len() == 1 { "member" } else { "members" }) }
            @if !g.members.is_empty() {
                (scroll(&format!("Members of {}", g.name), html! {
                    table {
                        thead { tr {
                            th scope="col" { "Name" }
                            th scope="col" { "User name" }
                            @if !others.is_empty() { th scope="col" { "Move to" } }
                            th scope="col" { "Remove" }
                        } }
                        tbody {
                            @for m in &g.members {
                                tr {
                                    td { (m.name) }
                                    td { (m.user_name) }
                                    @if !others.is_empty() {
                                        td {
                                            form.inline method="post" action=(format!("{base}/move")) {
                                                (csrf(frame))
                                                input type="hidden" name="user" value=(m.id);
                                                input type="hidden" name="from" value=(id);
                                                label for=(format!("to-{id}-{}", m.id)) { "Group for " (m.name) }
                                                select id=(format!("to-{id}-{}", m.id)) name="to" {
                                                    @for o in &others { option value=(o.id) { (o.name) } }
                                                }
                                                button type="submit" { "Move" }
                                            }
                                        }
                                    }
                                    td {
                                        form.inline method="post" action=(format!("{base}/groups/{id}/remove")) {
                                            (csrf(frame))
                                            input type="hidden" name="user" value=(m.id);
                                            button.quiet type="submit" aria-label=(format!("Remove {} from {}", m.name, g.name)) { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
            form.inline method="post" action=(format!("{base}/groups/{id}/add")) {
                (csrf(frame))
                label for=(format!("who-{id}")) { "Add (user name, org-defined id or user id)" }
                input type="text" id=(format!("who-{id}")) name="who" required;
                button type="submit" { "Add to " (g.name) }
            }
            form.inline method="post" action=(format!("{base}/groups/{id}/delete")) {
                (csrf(frame))
                button.danger type="submit" { "Delete " (g.name) }
            }
        }
    }
}
