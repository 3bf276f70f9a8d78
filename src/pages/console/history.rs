//! A course's membership history: who added or removed whom, in which section or group, when,
//! and through what; filtered by user and by what it came through, newest first.

use maud::html;

use super::{course_crumbs, layout, scroll, Flash, Frame};
use crate::domain::history::Via;

/// The filters as the form shows them.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// A user name or user id, as typed.
    pub user: String,
    pub via: Option<&'static str>,
}

/// One entry, in words.
#[derive(Clone, Debug)]
pub struct HistoryRow {
    pub when: String,
    /// "Added" or "Removed".
    pub change: String,
    pub member: String,
    pub unit: String,
    /// Who made it; none for AutoEnroll and jobs.
    pub by: Option<String>,
    pub through: String,
}

pub struct HistoryPage<'a> {
    pub course_id: i64,
    pub course_name: &'a str,
    pub filters: &'a Filters,
    pub entries: &'a [HistoryRow],
    /// The newest entries again, when this page is not the first.
    pub first: Option<String>,
    /// The older entries, when there are more.
    pub next: Option<String>,
}

pub fn history(frame: &Frame, flash: &Flash, p: &HistoryPage) -> String {
    let base = format!("/console/courses/{}/history", p.course_id);
    let body = html! {
        p { "Every change to a section's or group's members, newest first." }
        form.inline method="get" action=(base) role="search" aria-label="Filter the history" {
            label for="user" { "User (user name or id)" }
            input type="search" id="user" name="user" value=(p.filters.user);
            label for="via" { "Through" }
            select id="via" name="via" {
                option value="" selected[p.filters.via.is_none()] { "Anything" }
                @for via in Via::ALL {
                    option value=(via.name()) selected[p.filters.via == Some(via.name())] { (via.name()) }
                }
            }
            button type="submit" { "Filter" }
        }
        @if p.entries.is_empty() {
            p { "No changes to show." }
        } @else {
            (scroll("Membership changes", html! {
                table {
                    thead { tr {
                        th scope="col" { "When" }
                        th scope="col" { "Change" }
                        th scope="col" { "Member" }
                        th scope="col" { "Section or group" }
                        th scope="col" { "By" }
                        th scope="col" { "Through" }
                    } }
                    tbody {
                        @for e in p.entries {
                            tr {
                                td { (e.when) }
                                td { (e.change) }
                                td { (e.member) }
                                td { (e.unit) }
                                td { (e.by.as_deref().unwrap_or("—")) }
                                td { (e.through) }
                            }
                        }
                    }
                }
            }))
        }
        (pager_first(p.first.clone(), p.next.clone()))
    };
    layout(
        &format!("Membership history of {}", p.course_name),
        frame,
        &course_crumbs(p.course_id, p.course_name),
        flash,
        None,
        body,
    )
}

/// The history pages by bookmark: back to the newest, on to older ones.
fn pager_first(first: Option<String>, next: Option<String>) -> maud::Markup {
    html! {
        nav.pager aria-label="Pages" {
            @if let Some(href) = first { a href=(href) { "Newest changes" } }
            @if let Some(href) = next { a href=(href) rel="next" { "Older changes" } }
        }
    }
}
