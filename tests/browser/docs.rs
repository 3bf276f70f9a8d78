//! The API documentation page (`/docs/`), rendered from the OpenAPI document: readable and
//! navigable as a person uses it, accessible (axe) and usable at a phone's width.

use crate::common::*;
use crate::harness::*;

#[actix_web::test]
async fn the_api_documentation_page_is_accessible_and_fits_a_phone() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        b.open(&app.url("/docs/")).await;
        assert_eq!(b.title().await, "d2l-groups API – d2l-groups");
        b.by_role("heading", "groupcategories").await;
        b.by_role("heading", "Schemas").await;
        let text = b.text().await;
        assert!(text.contains("groups:group:create") && text.contains("groups.manage"));
        assert_accessible(&b, "API documentation page").await;
        b.assert_fits_phone("API documentation page").await;
        // The contents lead to each tag's section.
        b.by_role("link", "sections").await;
        assert_eq!(b.count_role("link", "/openapi.json").await, 1);
    })
    .await;
}
