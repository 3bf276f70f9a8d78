//! The console's first page (the user's courses) and a course's class list.

use maud::html;

use super::{course_crumbs, layout, pager, scroll, Flash, Frame};
use crate::db::rows::User;

/// A course offering as `/console/` lists it.
#[derive(Clone, Debug)]
pub struct CourseRow {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    /// The user's role there, when the list is their own enrollments.
    pub role: Option<String>,
}

pub fn home(
    frame: &Frame,
    flash: &Flash,
    rows: &[CourseRow],
    institution_wide: bool,
    first: Option<String>,
    next: Option<String>,
) -> String {
    let body = html! {
        p {
            @if institution_wide {
                "Every course offering of your institution (your role there cascades to them)."
            } @else {
                "The course offerings you are enrolled in."
            }
        }
        @if rows.is_empty() {
            p { "No course offerings to show." }
        } @else {
            (scroll("Courses", html! {
                table {
                    caption.hint { "Course offerings, by id" }
                    thead { tr {
                        th scope="col" { "Course" }
                        th scope="col" { "Code" }
                        th scope="col" { "Org unit id" }
                        @if !institution_wide {
                            th scope="col" { "Your role" }
                            th scope="col" { "Groups you choose" }
                        }
                    } }
                    tbody {
                        @for row in rows {
                            tr {
                                td { a href=(format!("/console/courses/{}", row.id)) { (row.name) } }
                                td { (row.code.as_deref().unwrap_or("")) }
                                td { (row.id) }
                                @if !institution_wide {
                                    td { (row.role.as_deref().unwrap_or("")) }
                                    td {
                                        a href=(format!("/console/courses/{}/mygroups", row.id))
                                            aria-label=(format!("Your groups in {}", row.name)) { "Your groups" }
                                    }
                                }
                            }
                        }
                    }
                }
            }))
        }
        (pager(first, next, ""))
    };
    layout("Your courses", frame, &[], flash, None, body)
}

/// One class list entry.
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub user: User,
    pub role: String,
    /// The sections they belong to; `None` when the reader may not view sections.
    pub sections: Option<Vec<String>>,
    /// The groups they belong to (each with its category); `None` when the reader may not
    /// view groups.
    pub groups: Option<Vec<String>>,
}

/// A page of a course's class list.
pub struct ClassList<'a> {
    pub course_id: i64,
    pub course_name: &'a str,
    pub search: &'a str,
    pub members: &'a [MemberRow],
    /// "Page 1 of 3 (120 members)".
    pub position: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub shows_sections: bool,
    pub shows_groups: bool,
}

pub fn class_list(frame: &Frame, flash: &Flash, list: &ClassList) -> String {
    let id = list.course_id;
    let body = html! {
        nav aria-label="Course" {
            ul {
                li { a href=(format!("/console/courses/{id}/sections")) { "Sections" } }
                li { a href=(format!("/console/courses/{id}/categories")) { "Group categories" } }
                li { a href=(format!("/console/courses/{id}/history")) { "Membership history" } }
            }
        }
        h2 { "Class list" }
        form.inline method="get" action=(format!("/console/courses/{id}")) role="search" {
            label for="q" { "Search by name, user name or org-defined id" }
            input type="search" id="q" name="q" value=(list.search);
            button type="submit" { "Search" }
        }
        @if list.members.is_empty() {
            p { "No one matches." }
        } @else {
            (scroll("Class list", html! {
                table {
                    thead { tr {
                        th scope="col" { "Name" }
                        th scope="col" { "User name" }
                        th scope="col" { "Org-defined id" }
                        th scope="col" { "Role" }
                        @if list.shows_sections { th scope="col" { "Sections" } }
                        @if list.shows_groups { th scope="col" { "Groups" } }
                    } }
                    tbody {
                        @for m in list.members {
                            tr {
                                td { (m.user.display_name()) }
                                td { (m.user.user_name) }
                                td { (m.user.org_defined_id.as_deref().unwrap_or("")) }
                                td { (m.role) }
                                @if let Some(sections) = &m.sections { td { (sections.join(", ")) } }
                                @if let Some(groups) = &m.groups { td { (groups.join(", ")) } }
                            }
                        }
                    }
                }
            }))
        }
        (pager(list.previous.clone(), list.next.clone(), &list.position))
    };
    let crumbs = course_crumbs(id, list.course_name);
    layout(list.course_name, frame, &crumbs[..1], flash, None, body)
}
