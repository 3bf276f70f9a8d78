//! Server-rendered HTML pages (sign-in, and later the console): plain values in, markup out.
//! No JavaScript; every form posts a CSRF token; maud escapes every value it is given.

pub mod console;
pub mod oauth;
pub mod sign_in;

use maud::{html, Markup, DOCTYPE};

/// The Content-Security-Policy of every page: nothing loads from elsewhere, no script runs,
/// forms post only here, and no other site may frame a page (clickjacking of a sign-in).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Colours chosen for WCAG 2.2 AA contrast (text on white at least 4.5:1).
const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
main { max-width: 28rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem;
  font-size: 1rem; border: 1px solid #595959; border-radius: 4px; }
input:focus, button:focus { outline: 3px solid #0b57d0; outline-offset: 2px; }
button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; color: #fff;
  background: #0b57d0; border: 0; border-radius: 4px; cursor: pointer; }
.message { padding: .75rem; border-radius: 4px; margin: 1rem 0; }
.error { background: #fdecea; color: #8a1c12; border: 1px solid #8a1c12; }
.notice { background: #e8f0fe; color: #0b3d91; border: 1px solid #0b3d91; }
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

/// A status line above a form: `error` for refusals (announced to screen readers at once),
/// otherwise a notice.
pub fn message(text: Option<&str>, error: bool) -> Markup {
    html! {
        @if let Some(text) = text {
            @if error {
                p class="message error" role="alert" { (text) }
            } @else {
                p class="message notice" role="status" { (text) }
            }
        }
    }
}
