mod common;
use common::*;

#[actix_web::test]
async fn whoami_answers_the_bootstrap_admin() {
    let app = spawn_app().await;
    let res = app.get(&app.lp("/users/whoami"), &app.admin).await;
    assert!(res.headers().contains_key("x-request-id"));
    let me = json_ok(res).await;
    assert_eq!(me["UniqueName"], "admin");
    let course = app.create_course("SMOKE-1").await;
    assert!(course > ROOT);
}
