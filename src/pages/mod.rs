//! Server-rendered HTML pages (sign-in, and later the console): plain values in, markup out.
//! No JavaScript; every form posts a CSRF token; maud escapes every value it is given.

pub mod api_docs;
pub mod console;
pub mod oauth;
pub mod sign_in;

use maud::{html, Markup, DOCTYPE};

/// The Content-Security-Policy of every page: nothing loads from elsewhere, no script runs,
/// forms post only here (and their answers lead only here, or on to `onward`), and no other
/// site may frame a page (clickjacking of a sign-in).
///
/// `onward` are the absolute URLs a form's answer may redirect the browser to: browsers hold
/// a form submission's redirects to `form-action` as well, so the consent form of an OAuth
/// app on another origin must name that app's redirect URI, or Allow and Deny go nowhere.
/// Only the origin of each is named (a redirect is matched without its path); a URL of a
/// scheme without an origin (an app's `com.example.app:/callback`) names its scheme.
pub fn content_security_policy(onward: &[String]) -> String {
    let mut form_action = String::from("'self'");
    for source in onward.iter().filter_map(|url| form_source(url)) {
        if !form_action.split(' ').any(|s| s == source) {
            form_action.push(' ');
            form_action.push_str(&source);
        }
    }
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The CSP source expression that lets a redirect reach `url`: its origin, or its scheme.
fn form_source(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let origin = url.origin();
    if origin.is_tuple() {
        return Some(origin.ascii_serialization());
    }
    let scheme = url.scheme();
    // A custom scheme never carries ';', ',' or spaces (RFC 3986 §3.1), so it cannot add a
    // directive; `javascript:` and `data:` are never a redirect target.
    (!matches!(scheme, "javascript" | "data" | "blob" | "filesystem")).then(|| format!("{scheme}:"))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_lead_here_unless_an_onward_origin_is_named() {
        let alone = content_security_policy(&[]);
        assert!(alone.contains("form-action 'self';"), "{alone}");
        let onward = content_security_policy(&[
            "http://127.0.0.1:9999/callback?x=1".into(),
            "http://127.0.0.1:9999/other".into(),
            "https://app.example/cb".into(),
            "com.example.app:/callback".into(),
            "javascript:alert(1)".into(),
            "not a url".into(),
        ]);
        assert!(
            onward.contains(
                "form-action 'self' http://127.0.0.1:9999 https://app.example com.example.app:;"
            ),
            "{onward}"
        );
        assert!(onward.contains("default-src 'none'") && onward.contains("frame-ancestors 'none'"));
    }
}
