//! A request that cannot have a database connection hears so within the checkout timeout: 503
//! problem details with `Retry-After`, and the next request after a connection frees is served.

use std::time::{Duration, Instant};

use crate::common::*;

const CHECKOUT: Duration = Duration::from_millis(400);

#[actix_web::test]
async fn an_exhausted_pool_is_a_503_after_the_checkout_timeout_then_serves_again() {
    let app = spawn_app_with(|s| {
        s.database_pool_size = 2;
        s.database_checkout_timeout = CHECKOUT;
        s.job_worker = false;
    })
    .await;
    let me = json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    let admin_id: i64 = me["Identifier"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("whoami Identifier");
    let course = app.create_course("POOL-1").await;
    let enrollment = serde_json::json!({
        "OrgUnitId": course,
        "UserId": admin_id,
        "RoleId": app.role_id("Instructor").await,
    });

    // Take every connection of the pool, as two stuck units of work would.
    let db = app.state.db.clone();
    let held = actix_web::rt::task::spawn_blocking(move || {
        (db.conn().expect("first"), db.conn().expect("second"))
    })
    .await
    .expect("checkout thread");

    let started = Instant::now();
    let res = app.get(&app.lp("/users/whoami"), &app.admin).await;
    let waited = started.elapsed();
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["status"], 503);
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        !detail.contains("pool") && !detail.contains("connection"),
        "the detail says nothing of the cause: {detail}"
    );
    assert!(
        waited >= CHECKOUT - Duration::from_millis(50),
        "a busy pool is waited for up to the checkout timeout, not refused at once: {waited:?}"
    );
    assert!(
        waited < CHECKOUT + Duration::from_millis(600),
        "the 503 comes within the checkout timeout: {waited:?}"
    );

    // A write waits and answers the same way, and changes nothing.
    let res = app
        .post(&app.lp("/enrollments/"), &app.admin, &enrollment)
        .await;
    assert_eq!(res.status(), 503);

    drop(held);
    json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    let mine = app
        .get(
            &app.lp(&format!("/enrollments/orgUnits/{course}/users/{admin_id}")),
            &app.admin,
        )
        .await;
    assert_eq!(mine.status(), 404, "the refused write left no enrollment");
    json_ok(
        app.post(&app.lp("/enrollments/"), &app.admin, &enrollment)
            .await,
    )
    .await;
}
