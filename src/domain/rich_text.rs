//! Rich text: HTML is sanitized with an allow-list before it is stored, so no script can ever
//! come back out; plain text is escaped to give its HTML form.

/// Rich text as stored and answered: sanitized HTML and the text it shows. Serialized with
/// Brightspace's field names, as every answer carries it that way.
#[derive(Clone, Debug, Default, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RichText {
    #[serde(rename = "Text")]
    pub text: String,
    #[serde(rename = "Html")]
    pub html: String,
}

impl RichText {
    pub fn from_stored(text: Option<&str>, html: Option<&str>) -> Self {
        Self {
            text: text.unwrap_or_default().to_string(),
            html: html.unwrap_or_default().to_string(),
        }
    }
}

/// Renders input content into the stored and answered pair.
pub fn render(content: &str, is_html: bool) -> RichText {
    if is_html {
        let html = ammonia::clean(content);
        RichText {
            text: text_of_html(&html),
            html,
        }
    } else {
        RichText {
            text: content.to_string(),
            html: escape_html(content),
        }
    }
}

/// The text a browser would show for sanitized HTML: tags dropped, entities decoded.
pub fn text_of_html(html: &str) -> String {
    let stripped = ammonia::Builder::empty().clean(html).to_string();
    unescape_html(&stripped)
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';').filter(|i| *i <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_never_survive() {
        let r = render(
            "<p onclick=\"x()\">Hi <b>there</b><script>alert(1)</script></p>",
            true,
        );
        assert_eq!(r.html, "<p>Hi <b>there</b></p>");
        assert_eq!(r.text, "Hi there");
    }

    #[test]
    fn text_is_escaped_into_html() {
        let r = render("a < b & \"c\"", false);
        assert_eq!(r.text, "a < b & \"c\"");
        assert_eq!(r.html, "a &lt; b &amp; &quot;c&quot;");
    }

    #[test]
    fn entities_decode_in_the_text_form() {
        let r = render("<p>Fish &amp; chips &#169; &#x41;</p>", true);
        assert_eq!(r.text, "Fish & chips © A");
    }
}
