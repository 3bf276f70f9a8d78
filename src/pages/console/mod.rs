//! The console's pages (docs/console.md): plain values in, markup out. Real links and buttons,
//! a label on every input, visible focus, the sign-in pages' colours (WCAG 2.2 AA), and a
//! layout that works 360 px wide: wide tables scroll in their own box, never the page.

pub mod categories;
pub mod courses;
pub mod history;
pub mod import;
pub mod sections;
pub mod self_enrollment;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::message;

/// The console's rules beside the sign-in pages' `STYLE`. Link blue #0b57d0 is 6.2:1 on white;
/// the danger red #a50e0e is 7.5:1 under white text; borders #595959 are 7:1. List items are
/// spaced so that their links, one line high, keep 24 px targets apart (WCAG 2.2 2.5.8).
const CONSOLE_STYLE: &str = "
main.console { max-width: 72rem; margin: 1rem auto; padding: 0 1rem; }
header.bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  justify-content: space-between; padding: .5rem 1rem; border-bottom: 1px solid #595959; }
header.bar form button { margin-top: 0; }
nav.crumbs ol { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem; }
nav.crumbs li + li::before { content: '/'; margin-right: .25rem; color: #595959; }
a { color: #0b57d0; }
a:focus, select:focus, textarea:focus { outline: 3px solid #0b57d0; outline-offset: 2px; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
main.console li { margin: .5rem 0; }
h3 { font-size: 1.1rem; }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll:focus { outline: 3px solid #0b57d0; }
table { border-collapse: collapse; min-width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #595959; vertical-align: top; }
input[type=number], input[type=search], input[type=datetime-local], select, textarea {
  font-size: 1rem; padding: .4rem; border: 1px solid #595959; border-radius: 4px;
  max-width: 100%; box-sizing: border-box; }
textarea { width: 100%; min-height: 8rem; font-family: monospace; }
label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; margin: .25rem 0; }
form.inline label { margin-top: 0; }
form.inline button { margin-top: 0; padding: .4rem .8rem; }
button.danger { background: #a50e0e; }
button.quiet { background: #fff; color: #0b57d0; border: 1px solid #0b57d0; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.hint { color: #595959; }
.rejected { color: #8a1c12; font-weight: 600; }
fieldset { border: 1px solid #595959; border-radius: 4px; margin: 1rem 0; }
";

/// Who is signed in, for every page's header and forms.
#[derive(Clone, Debug)]
pub struct Frame {
    pub user_name: String,
    pub csrf: String,
}

/// A page's status line: a fixed notice after a change, or a refusal.
#[derive(Clone, Debug, Default)]
pub struct Flash {
    pub notice: Option<&'static str>,
    pub error: Option<String>,
}

/// The text of a `?done=` code: fixed sentences only, never the query's own text.
pub fn done_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "initialized" => "The sections were created.",
        "renamed" => "The section was saved.",
        "moved" => "The member was moved.",
        "deleted-section" => "The section was deleted.",
        "created" => "The group category is being created.",
        "added" => "The member was added.",
        "removed" => "The member was removed.",
        "deleted-group" => "The group was deleted.",
        "deleted-category" => "The group category was deleted.",
        "imported" => "The import was applied.",
        "joined" => "You joined the group.",
        "left" => "You left the group.",
        _ => return None,
    })
}

/// The whole page: header with the user and sign-out, breadcrumbs, the status line, `body`.
/// `refresh` asks the browser to load the page again after that many seconds.
pub fn layout(
    title: &str,
    frame: &Frame,
    crumbs: &[(String, String)],
    flash: &Flash,
    refresh: Option<u32>,
    body: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " – d2l-groups console" }
                style { (PreEscaped(super::STYLE)) (PreEscaped(CONSOLE_STYLE)) }
            }
            body {
                header.bar {
                    a href="/console/" { "Console" }
                    span { "Signed in as " strong { (frame.user_name) } }
                    form method="post" action="/d2l/logout" {
                        input type="hidden" name="csrf_token" value=(frame.csrf);
                        button.quiet type="submit" { "Sign out" }
                    }
                }
                main.console {
                    @if !crumbs.is_empty() {
                        nav.crumbs aria-label="Breadcrumb" {
                            ol {
                                @for (href, label) in crumbs {
                                    li { a href=(href) { (label) } }
                                }
                            }
                        }
                    }
                    h1 { (title) }
                    (message(flash.error.as_deref(), true))
                    (message(flash.notice, false))
                    (body)
                }
            }
        }
    }
    .into_string()
}

/// The hidden CSRF field every form carries.
pub fn csrf(frame: &Frame) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(frame.csrf); }
}

/// A wide table's box: scrolls on its own (by keyboard too: it takes focus), named for
/// screen readers.
pub fn scroll(label: &str, table: Markup) -> Markup {
    html! {
        div.scroll role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// Previous and next links of a paged list.
pub fn pager(previous: Option<String>, next: Option<String>, position: &str) -> Markup {
    html! {
        nav.pager aria-label="Pages" {
            @if let Some(href) = previous { a href=(href) rel="prev" { "Previous page" } }
            span { (position) }
            @if let Some(href) = next { a href=(href) rel="next" { "Next page" } }
        }
    }
}

/// An error page: the status and what was refused.
pub fn error(status: u16, detail: &str) -> String {
    let title = match status {
        400 => "The request was refused",
        403 => "Not allowed",
        404 => "Not found",
        409 => "Not now",
        _ => "Something went wrong",
    };
    super::page(
        title,
        html! {
            h1 { (title) }
            p class="message error" role="alert" { (detail) }
            p { a href="/console/" { "Back to the console" } }
        },
    )
}

/// A post without the session's token.
pub fn stale_form(frame: &Frame) -> String {
    layout(
        "The form had expired",
        frame,
        &[],
        &Flash {
            notice: None,
            error: Some(
                "The form had expired or did not come from this site; nothing was changed. \
                 Go back, reload the page and try again."
                    .into(),
            ),
        },
        None,
        html! { p { a href="/console/" { "Back to the console" } } },
    )
}

/// The breadcrumbs down to a course.
pub fn course_crumbs(course_id: i64, course_name: &str) -> Vec<(String, String)> {
    vec![
        ("/console/".into(), "Console".into()),
        (format!("/console/courses/{course_id}"), course_name.into()),
    ]
}
