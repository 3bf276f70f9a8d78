//! Server-rendered HTML pages (sign-in, and later the console): plain values in, markup out.
//! No JavaScript; every form posts a CSRF token; maud escapes every value it is given.

pub mod api_docs;
pub mod console;
pub mod oauth;
pub mod sign_in;

use maud::{html, Markup, DOCTYPE};

/// The Content-Security-Policy of every page: nothing loads from elsewhere, no script runs,
/// forms post only here, and no other site may frame a page (clickjacking of a sign-in).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Colours chosen for WCAG 2.2 AA contrast (text on white at least 4.5:1). Nothing is wider
/// than a 360 px phone: table cells wrap anywhere (a timestamp, a scope list) rather than
/// make the page scroll sideways (WCAG 1.4.10, reflow).
const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
main { max-width: 28rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem;
  font-size: 1rem; border: 1px solid #595959; border-radius: 4px; }
input:focus, button:focus, .message:focus { outline: 3px solid #0b57d0; outline-offset: 2px; }
button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; color: #fff;
  background: #0b57d0; border: 0; border-radius: 4px; cursor: pointer; }
.message { padding: .75rem; border-radius: 4px; margin: 1rem 0; }
.error { background: #fdecea; color: #8a1c12; border: 1px solid #8a1c12; }
.notice { background: #e8f0fe; color: #0b3d91; border: 1px solid #0b3d91; }
table { border-collapse: collapse; width: 100%; font-size: .875rem; }
th, td { text-align: left; vertical-align: top; padding: .5rem .25rem; border-bottom: 1px solid #595959; }
td { overflow-wrap: anywhere; }
td button { margin-top: 0; padding: .4rem .6rem; font-size: .875rem; }
";

/// A whole page: `title` names it (and the tab), `body` goes in `<main>`.
pub fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – d2l-groups" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                main { (body) }
            }
        }
    }
    .into_string()
}

/// A status line above a form: `error` for refusals, otherwise a notice. An error takes the
/// focus when the page loads (`autofocus` on a `tabindex="-1"` element, no script needed), so
/// a screen reader reads it first even where a `role="alert"` present at load is not announced,
/// and the next Tab goes on to the form; the page then gives no other element `autofocus`.
pub fn message(text: Option<&str>, error: bool) -> Markup {
    html! {
        @if let Some(text) = text {
            @if error {
                p class="message error" tabindex="-1" autofocus role="alert" { (text) }
            } @else {
                p class="message notice" role="status" { (text) }
            }
        }
    }
}
