//! The harness's own checks: that axe-core and the phone-width check find faults when there
//! are some (so a page passing them means something), that the form helpers fill what they
//! name, and that WebDriver's scripts run on our pages while their Content-Security-Policy
//! still binds the page's own content.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::common::*;
use crate::harness::*;

/// A page with known faults: no language, no title, an image without text, a field without a
/// label, low-contrast text, and a block wider than a phone.
const FAULTY: &str = r#"<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<img src="picture.png">
<input type="text" name="q">
<p style="color: #aaa; background: #fff">faint</p>
<div style="width: 900px">wide</div>
</body></html>"#;

#[actix_web::test]
async fn axe_and_the_phone_check_find_the_faults_of_a_faulty_page() {
    browser_test(|b| async move {
        let url = format!(
            "data:text/html;charset=utf-8,{}",
            utf8_percent_encode(FAULTY, NON_ALPHANUMERIC)
        );
        b.open(&url).await;
        let violations = b.axe_violations().await;
        let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
        for rule in [
            "html-has-lang",
            "document-title",
            "image-alt",
            "label",
            "color-contrast",
        ] {
            assert!(ids.contains(&rule), "{rule} in {ids:?}");
        }
        let image = violations
            .iter()
            .find(|v| v.id == "image-alt")
            .expect("image-alt");
        assert_eq!(image.targets, ["img"], "{image:?}");
        assert_eq!(image.impact, "critical", "{image:?}");
        assert!(!image.help.is_empty(), "{image:?}");

        let fit = b.phone_fit().await;
        assert_eq!(fit.inner_width, u64::from(PHONE.0), "{fit:?}");
        assert!(fit.scroll_width >= 900, "{fit:?}");
        assert!(
            fit.too_wide.iter().any(|e| e.starts_with("div ")),
            "{fit:?}"
        );
        // And the window is back to its desktop width afterwards.
        let width = b.script("return window.innerWidth", vec![]).await;
        assert_eq!(width, u64::from(DESKTOP.0));
    })
    .await;
}

/// A form with each kind of field the helpers fill, labelled in each way they find.
const FORM: &str = r#"<!DOCTYPE html><html lang="en"><head><title>Form</title></head><body><main>
<form id="f" aria-label="Course">
<label for="name">Name</label> <input id="name" name="name" value="old">
<label>Notes <textarea name="notes"></textarea></label>
<label for="kind">Kind</label>
<select id="kind" name="kind"><option value="c">Course</option><option value="s">Section</option></select>
<input type="checkbox" id="active" name="active" checked><label for="active">Active</label>
<input type="checkbox" name="public" aria-label="Public">
<button type="button">Save</button> <input type="submit" value="Save and close">
<p hidden>Save</p>
</form></main></body></html>"#;

#[actix_web::test]
async fn the_form_helpers_find_fields_by_label_and_buttons_by_role() {
    browser_test(|b| async move {
        let url = format!(
            "data:text/html;charset=utf-8,{}",
            utf8_percent_encode(FORM, NON_ALPHANUMERIC)
        );
        b.open(&url).await;
        b.fill("Name", "Biology 101").await;
        b.fill("Notes", "Cells").await;
        b.choose("Kind", "Section").await;
        b.set_checked("Active", false).await;
        b.set_checked("Public", true).await;
        b.set_checked("Public", true).await;
        assert_eq!(b.value_of("Name").await, "Biology 101");
        let sent = b
            .script(
                "return [...new FormData(document.getElementById('f'))]",
                vec![],
            )
            .await;
        assert_eq!(
            sent,
            serde_json::json!([
                ["name", "Biology 101"],
                ["notes", "Cells"],
                ["kind", "s"],
                ["public", "on"]
            ])
        );
        // Roles by tag or attribute; a hidden element is never found.
        b.by_role("button", "Save").await;
        b.by_role("button", "Save and close").await;
        b.by_role("form", "Course").await;
        b.by_role("checkbox", "Public").await;
        b.by_role("combobox", "Kind").await;
        assert_eq!(b.count_role("button", "Delete").await, 0);
        assert_eq!(
            b.by_text("Save").await.tag_name().await.expect("tag"),
            "button"
        );
    })
    .await;
}

#[actix_web::test]
async fn webdriver_scripts_run_on_our_pages_while_their_csp_still_blocks_page_scripts() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        b.open(&app.url("/d2l/login")).await;
        assert_eq!(b.script("return 6 * 7", vec![]).await, 42);
        // A script element the page itself would run: the CSP refuses it.
        let ran = b
            .client()
            .execute_async(
                "const done = arguments[0];
                 let refused = false;
                 document.addEventListener('securitypolicyviolation', () => { refused = true; });
                 const s = document.createElement('script');
                 s.textContent = 'window.__ranInline = true';
                 document.body.append(s);
                 setTimeout(() => done({ran: window.__ranInline === true, refused}), 100);",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(ran["ran"], false, "{ran}");
        assert_eq!(ran["refused"], true, "{ran}");
        // axe-core, injected the same way, runs to completion.
        assert_accessible(&b, "sign-in page").await;
    })
    .await;
}
