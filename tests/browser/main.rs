//! The browser suite: our HTML pages driven in a real headless Chromium over WebDriver, each
//! page checked with axe-core (WCAG 2.0/2.1/2.2 A and AA), at a phone's width, and by keyboard.
//!
//! A target of its own (`cargo test --test browser`), sharing `tests/common` with the
//! integration suite: each test spawns its own server on its own database (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL`). `harness` is the part a new page's test builds on;
//! without Chromium the tests say they were skipped and pass, unless `CI` is set.

#[path = "../common/mod.rs"]
mod common;

mod harness;

mod console;
mod docs;
mod harness_checks;
mod oauth;
mod sign_in;
