//! A course's sections: the list with members and the forms that change it, and the preview
//! of an initialization.

use maud::{html, Markup};

use super::{course_crumbs, csrf, layout, pager, scroll, Flash, Frame};
use crate::domain::sections::{NewSettings, Style};

/// A member as a list shows them.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub user_name: String,
}

/// A section (or, in a preview, one to be made: id 0) with its members.
#[derive(Clone, Debug)]
pub struct SectionView {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub description: String,
    pub members: Vec<Person>,
}

/// A rename that was refused: the values sent, shown again in that section's form.
#[derive(Clone, Debug)]
pub struct Draft {
    pub section_id: i64,
    pub name: String,
    pub code: String,
    pub description: String,
}

/// A page of the sections: `sections` are this page's, `all` every section (where a member
/// may be moved to).
pub struct SectionsPage<'a> {
    pub course_id: i64,
    pub course_name: &'a str,
    pub initialized: bool,
    pub sections: &'a [SectionView],
    pub all: &'a [SectionView],
    pub draft: Option<&'a Draft>,
    pub position: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

pub fn sections(frame: &Frame, flash: &Flash, p: &SectionsPage) -> String {
    let base = format!("/console/courses/{}/sections", p.course_id);
    let body = html! {
        @if !p.initialized {
            p { "This course has no sections yet." }
            (initialize_form(&base))
        } @else {
            ul {
                li { a href=(format!("/console/courses/{}/sections.csv", p.course_id)) download {
                    "Download the section memberships (CSV)"
                } }
                li { a href=(format!("{base}/import")) { "Import section memberships from CSV" } }
            }
            @if p.all.is_empty() { p { "No sections." } }
            @for s in p.sections {
                (section(frame, &base, s, p.all, p.draft.filter(|d| d.section_id == s.id)))
            }
            (pager(p.previous.clone(), p.next.clone(), &p.position))
        }
    };
    let crumbs = course_crumbs(p.course_id, p.course_name);
    layout(
        &format!("Sections of {}", p.course_name),
        frame,
        &crumbs,
        flash,
        None,
        body,
    )
}

fn initialize_form(base: &str) -> Markup {
    html! {
        h2 { "Create the sections" }
        form method="get" action=(format!("{base}/initialize")) {
            label for="style" { "How to divide the learners" }
            select id="style" name="style" {
                option value="2" { "Into a number of sections" }
                option value="1" { "Into sections of a number of people" }
            }
            label for="quantity" { "Number (of sections, or of people per section)" }
            input type="number" id="quantity" name="quantity" min="1" required;
            label.check for="randomize" {
                input type="checkbox" id="randomize" name="randomize" value="1";
                "Deal the learners in random order"
            }
            label.check for="autoEnroll" {
                input type="checkbox" id="autoEnroll" name="autoEnroll" value="1";
                "Place learners enrolled later automatically"
            }
            label.check for="descriptionsVisible" {
                input type="checkbox" id="descriptionsVisible" name="descriptionsVisible" value="1";
                "Show section descriptions to learners"
            }
            button type="submit" { "Preview" }
        }
    }
}

fn section(
    frame: &Frame,
    base: &str,
    s: &SectionView,
    all: &[SectionView],
    draft: Option<&Draft>,
) -> Markup {
    let id = s.id;
    let (name, code, description) = match draft {
        Some(d) => (d.name.as_str(), d.code.as_str(), d.description.as_str()),
        None => (s.name.as_str(), s.code.as_str(), s.description.as_str()),
    };
    let others: Vec<&SectionView> = all.iter().filter(|o| o.id != id).collect();
    html! {
        section aria-labelledby=(format!("section-{id}")) {
            h2 id=(format!("section-{id}")) { (s.name) " (" (s.code) ")" }
            p { (s.members.len()) " " (if s.members.len() == 1 { "member" } else { "members" }) }
            @if !s.members.is_empty() {
                (scroll(&format!("Members of {}", s.name), html! {
                    table {
                        thead { tr {
                            th scope="col" { "Name" }
                            th scope="col" { "User name" }
                            @if !others.is_empty() { th scope="col" { "Move to" } }
                        } }
                        tbody {
                            @for m in &s.members {
                                tr {
                                    td { (m.name) }
                                    td { (m.user_name) }
                                    @if !others.is_empty() {
                                        td {
                                            form.inline method="post" action=(format!("{base}/move")) {
                                                (csrf(frame))
                                                input type="hidden" name="user" value=(m.id);
                                                input type="hidden" name="from" value=(id);
                                                label for=(format!("to-{id}-{}", m.id)) { "Section for " (m.name) }
                                                select id=(format!("to-{id}-{}", m.id)) name="to" {
                                                    @for o in &others {
                                                        option value=(o.id) { (o.name) }
                                                    }
                                                }
                                                button type="submit" { "Move" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
            details open[draft.is_some()] {
                summary { "Rename or delete " (s.name) }
                form method="post" action=(format!("{base}/{id}/rename")) {
                    (csrf(frame))
                    label for=(format!("name-{id}")) { "Name" }
                    input type="text" id=(format!("name-{id}")) name="name" value=(name) required;
                    label for=(format!("code-{id}")) { "Code" }
                    input type="text" id=(format!("code-{id}")) name="code" value=(code) required;
                    label for=(format!("description-{id}")) { "Description" }
                    textarea id=(format!("description-{id}")) name="description" { (description) }
                    button type="submit" { "Save" }
                }
                form method="post" action=(format!("{base}/{id}/delete")) {
                    (csrf(frame))
                    button.danger type="submit" { "Delete " (s.name) " and its memberships" }
                }
            }
        }
    }
}

/// What initializing would make, and the form that makes it.
pub fn preview(
    frame: &Frame,
    course_id: i64,
    course_name: &str,
    input: &NewSettings,
    planned: &[SectionView],
) -> String {
    let base = format!("/console/courses/{course_id}/sections");
    let dealt: usize = planned.iter().map(|s| s.members.len()).sum();
    let style = match input.style {
        Style::NumberOfSections => "number of sections",
        Style::PeoplePerSection => "people per section",
    };
    let body = html! {
        p {
            "Style: " (style) ", quantity " (input.quantity) ". "
            (planned.len()) " sections would be created, with " (dealt) " learners dealt among them."
            @if input.randomize_enrollments {
                " The learners are dealt in random order: the sizes hold, but who goes where is drawn again when you create them."
            }
        }
        (scroll("Sections to be created", html! {
            table {
                thead { tr {
                    th scope="col" { "Section" }
                    th scope="col" { "Code" }
                    th scope="col" { "Learners" }
                    th scope="col" { "Who" }
                } }
                tbody {
                    @for s in planned {
                        tr {
                            td { (s.name) }
                            td { (s.code) }
                            td { (s.members.len()) }
                            td { (s.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }))
        form method="post" action=(format!("{base}/initialize")) {
            (csrf(frame))
            input type="hidden" name="style" value=(input.style.number());
            input type="hidden" name="quantity" value=(input.quantity);
            @if input.randomize_enrollments { input type="hidden" name="randomize" value="1"; }
            @if input.auto_enroll { input type="hidden" name="autoEnroll" value="1"; }
            @if input.descriptions_visible { input type="hidden" name="descriptionsVisible" value="1"; }
            button type="submit" { "Create these sections" }
        }
        p { a href=(base) { "Change the settings" } }
    };
    let mut crumbs = course_crumbs(course_id, course_name);
    crumbs.push((base.clone(), "Sections".into()));
    layout(
        "Preview: create the sections",
        frame,
        &crumbs,
        &Flash::default(),
        None,
        body,
    )
}
