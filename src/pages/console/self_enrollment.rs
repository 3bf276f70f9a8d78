//! A learner's page of the groups they may choose (self-enrollment), with a join or leave
//! button per group: the console face of `services::groups::self_enrollment`.

use maud::html;

use super::{csrf, layout, scroll, Flash, Frame};
use crate::db::rows::SelfEnrollmentChoice;
use crate::domain::self_enrollment::Window;

/// Brightspace's date form, as the API answers it.
fn when(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the window says now.
fn window_text(choice: &SelfEnrollmentChoice) -> String {
    match choice.window {
        Window::NotYetOpen(start) => format!("Opens {}.", when(start)),
        Window::Closed(expiry) => format!("Closed {}.", when(expiry)),
        Window::Open => match choice.category.self_enrollment_expiry_date {
            Some(expiry) => format!("Open until {}.", when(expiry)),
            None => "Open.".to_string(),
        },
    }
}

pub fn choices(
    frame: &Frame,
    flash: &Flash,
    course_id: i64,
    course_name: &str,
    all: &[SelfEnrollmentChoice],
) -> String {
    let base = format!("/console/courses/{course_id}/mygroups");
    let body = html! {
        @if all.is_empty() {
            p { "No group category of this course lets you choose your group." }
        }
        @for choice in all {
            @let c = &choice.category;
            section aria-labelledby=(format!("category-{}", c.id)) {
                h2 id=(format!("category-{}", c.id)) { (c.name) }
                p { (window_text(choice)) }
                @if let Some(cap) = choice.cap {
                    p.hint { "At most " (cap) " members a group." }
                }
                (scroll(&format!("Groups of {}", c.name), html! {
                    table {
                        thead { tr {
                            th scope="col" { "Group" }
                            th scope="col" { "Members" }
                            th scope="col" { "Free places" }
                            th scope="col" { "Your choice" }
                        } }
                        tbody {
                            @for g in &choice.groups {
                                @let mine = choice.my_group == Some(g.unit.id);
                                @let action = format!("{base}/{}/groups/{}", c.id, g.unit.id);
                                tr {
                                    td { (g.unit.name) @if mine { " (your group)" } }
                                    td { (g.members) }
                                    td {
                                        @match g.free_places {
                                            Some(free) => { (free) }
                                            None => { "No limit" }
                                        }
                                    }
                                    td {
                                        @if !choice.window.is_open() {
                                            "—"
                                        } @else if mine {
                                            form method="post" action=(format!("{action}/leave")) {
                                                (csrf(frame))
                                                button.quiet type="submit" { "Leave " (g.unit.name) }
                                            }
                                        } @else if choice.my_group.is_none() && g.free_places != Some(0) {
                                            form method="post" action=(format!("{action}/join")) {
                                                (csrf(frame))
                                                button type="submit" { "Join " (g.unit.name) }
                                            }
                                        } @else if g.free_places == Some(0) {
                                            "Full"
                                        } @else {
                                            "—"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        }
    };
    layout(
        &format!("Your groups in {course_name}"),
        frame,
        &[("/console/".to_string(), "Console".to_string())],
        flash,
        None,
        body,
    )
}
