//! Tokens do not outlive their users (issue 8): a validly signed, unexpired token whose user is
//! inactive, is a deleted VLE's (deactivated) service user, or is no user of the token's
//! institution at all answers 401 with a `WWW-Authenticate: Bearer` challenge on every route —
//! not 200, and not the 400/403/404 a route would answer a real caller.
//!
//! The tokens are signed here with the institution's real key (as tests/protocol.rs does), so
//! nothing but the user behind `sub` makes them unacceptable.

use crate::common::*;

use reqwest::Response;
use serde_json::{json, Value};

/// A CLI-style token with every scope for user `sub` of the default institution.
fn token_for_id(app: &TestApp, sub: i64) -> String {
    let (_, tenant) = signing_key(&app.state);
    let claims = serde_json::to_value(standard_claims(&tenant, sub)).expect("claims JSON");
    sign_real(app, &claims)
}

async fn create_user(app: &TestApp, name: &str, role: &str, active: bool) -> i64 {
    let mut body = user_body(name, app.role_id(role).await);
    body["IsActive"] = json!(active);
    let user = json_ok(app.post(&app.lp("/users/"), &app.admin, &body).await).await;
    assert_eq!(user["Activation"]["IsActive"], active, "{user}");
    user["UserId"].as_i64().expect("UserId")
}

/// What the sample of routes works on: a course with an enrolled learner.
struct Targets {
    course: i64,
    learner: i64,
    student: i64,
    institution: i64,
}

async fn targets(app: &TestApp) -> Targets {
    let course = app.create_course("TOKENS-1").await;
    let learner = create_user(app, "tokens.learner", "Student", true).await;
    app.enroll(learner, course, "Student").await;
    let page = json_ok(app.get(&app.url("/api/v2/institution/"), &app.admin).await).await;
    Targets {
        course,
        learner,
        student: app.role_id("Student").await,
        institution: page["results"][0]["id"].as_i64().expect("institution id"),
    }
}

/// One answer's failure to be a 401 with a Bearer challenge, if it is not one.
async fn not_a_challenge(label: &str, res: Response) -> Option<String> {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = res.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let right = status == 401
        && challenge.starts_with("Bearer")
        && ctype == "application/problem+json"
        && body["status"] == 401;
    (!right).then(|| {
        format!(
            "{label}: {status}, WWW-Authenticate {challenge:?}, {ctype}: {}",
            text.chars().take(300).collect::<String>()
        )
    })
}

/// Calls whoami and a sample of other routes (GETs, POSTs, a DELETE, operator API routes) with
/// `token`; answers every call that was not a 401 with a Bearer challenge.
async fn refused_everywhere(app: &TestApp, t: &Targets, token: &str) -> Vec<String> {
    let course = t.course;
    let learner = t.learner;
    let calls: Vec<(&str, Response)> = vec![
        ("GET whoami", app.get(&app.lp("/users/whoami"), token).await),
        (
            "GET course",
            app.get(&app.lp(&format!("/courses/{course}")), token).await,
        ),
        (
            "GET enrollments of the course",
            app.get(
                &app.lp(&format!("/enrollments/orgUnits/{course}/users/")),
                token,
            )
            .await,
        ),
        (
            "GET own enrollments",
            app.get(&app.lp("/enrollments/myenrollments/"), token).await,
        ),
        (
            "POST /enrollments/",
            app.post(
                &app.lp("/enrollments/"),
                token,
                &json!({"OrgUnitId": course, "UserId": learner, "RoleId": t.student}),
            )
            .await,
        ),
        (
            "POST /users/",
            app.post(
                &app.lp("/users/"),
                token,
                &user_body("tokens.intruder", t.student),
            )
            .await,
        ),
        (
            "POST sections settings",
            app.post(
                &app.lp(&format!("/{course}/sections/settings")),
                token,
                &json!({
                    "EnrollmentStyle": 2, "EnrollmentQuantity": 2, "AutoEnroll": false,
                    "RandomizeEnrollments": false, "DescriptionsVisibleToEnrollees": false
                }),
            )
            .await,
        ),
        (
            "DELETE enrollment",
            app.delete(
                &app.lp(&format!("/enrollments/orgUnits/{course}/users/{learner}")),
                token,
            )
            .await,
        ),
        (
            "operator API: GET institutions",
            app.get(&app.url("/api/v2/institution/"), token).await,
        ),
        (
            "operator API: POST VLE",
            app.post(
                &app.url(&format!("/api/v2/institution/{}/vle/", t.institution)),
                token,
                &json!({"type": 1, "lti": {"version": "1.3"}, "name": "Intruder",
                        "url": "https://intruder.example.edu"}),
            )
            .await,
        ),
    ];
    let mut wrong = Vec::new();
    for (label, res) in calls {
        if let Some(problem) = not_a_challenge(label, res).await {
            wrong.push(problem);
        }
    }
    wrong
}

/// Nothing the refused calls asked for happened.
async fn nothing_changed(app: &TestApp, t: &Targets) {
    let e = json_ok(
        app.get(
            &app.lp(&format!(
                "/enrollments/orgUnits/{}/users/{}",
                t.course, t.learner
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(e["RoleId"], t.student, "{e}");
    let res = app
        .get(&app.lp("/users/?userName=tokens.intruder"), &app.admin)
        .await;
    assert_eq!(res.status(), 404, "no user was created");
    let settings = app
        .get(
            &app.lp(&format!("/{}/sections/settings", t.course)),
            &app.admin,
        )
        .await;
    assert_eq!(settings.status(), 404, "sections were not initialized");
    let vles = json_ok(
        app.get(
            &app.url(&format!("/api/v2/institution/{}/vle/", t.institution)),
            &app.admin,
        )
        .await,
    )
    .await;
    assert!(
        !vles.to_string().contains("Intruder"),
        "no VLE was registered: {vles}"
    );
}

fn assert_refused(what: &str, wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{what}: every route should answer 401 with WWW-Authenticate: Bearer, but:\n  {}",
        wrong.join("\n  ")
    );
}

#[actix_web::test]
async fn tokens_of_inactive_users_are_401_everywhere() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    // Administrators: were they active, every call below would succeed.
    let active = create_user(&app, "tokens.active", "Administrator", true).await;
    let inactive = create_user(&app, "tokens.inactive", "Administrator", false).await;

    // The same kind of token works for the active twin, so only the user's state differs.
    let twin = token_for_id(&app, active);
    json_ok(app.get(&app.lp("/users/whoami"), &twin).await).await;
    json_ok(
        app.get(&app.lp(&format!("/courses/{}", t.course)), &twin)
            .await,
    )
    .await;

    let token = token_for_id(&app, inactive);
    assert_refused(
        "a token of a user created inactive",
        &refused_everywhere(&app, &t, &token).await,
    );
    // Presented again (a verified token may be cached): still refused.
    assert_refused(
        "a token of a user created inactive, again",
        &refused_everywhere(&app, &t, &token).await,
    );
    nothing_changed(&app, &t).await;
}

#[actix_web::test]
async fn tokens_of_a_deleted_vles_service_user_are_401_everywhere() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    let body = json!({"type": 1, "lti": {"version": "1.3"}, "name": "Moodle",
                      "url": "https://moodle.example.edu"});
    let res = app
        .post(
            &app.url(&format!("/api/v2/institution/{}/vle/", t.institution)),
            &app.admin,
            &body,
        )
        .await;
    assert_eq!(res.status(), 201);
    let vle: Value = res.json().await.expect("VLE JSON");
    let vle_id = vle["id"].as_i64().expect("id");
    let res = app
        .client
        .post(app.url("/core/connect/token"))
        .basic_auth(
            vle["client_id"].as_str().expect("client_id"),
            Some(vle["credentials"].as_str().expect("credentials")),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("token request");
    let vle_token = json_ok(res).await["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let me = json_ok(app.get(&app.lp("/users/whoami"), &vle_token).await).await;
    let service_user: i64 = me["Identifier"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("numeric Identifier");
    // A token for the service user that is not the VLE client's (as `d2l-groups token` would
    // mint), used while the VLE exists so that it is known to the server.
    let token = token_for_id(&app, service_user);
    json_ok(app.get(&app.lp("/users/whoami"), &token).await).await;

    let res = app
        .delete(
            &app.url(&format!(
                "/api/v2/institution/{}/vle/{vle_id}/",
                t.institution
            )),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), 204);

    assert_refused(
        "a CLI token of a deleted VLE's service user",
        &refused_everywhere(&app, &t, &token).await,
    );
    assert_refused(
        "the deleted VLE's own client token",
        &refused_everywhere(&app, &t, &vle_token).await,
    );
    // A token signed after the deletion is refused as well.
    let late = token_for_id(&app, service_user);
    assert_refused(
        "a token of the service user signed after the deletion",
        &refused_everywhere(&app, &t, &late).await,
    );
    nothing_changed(&app, &t).await;
}

#[actix_web::test]
async fn tokens_whose_subject_is_no_user_of_the_institution_are_401_everywhere() {
    let app = spawn_app().await;
    let t = targets(&app).await;
    // No such user anywhere.
    let unknown = token_for_id(&app, 987_654_321);
    assert_refused(
        "a token for an unknown user id",
        &refused_everywhere(&app, &t, &unknown).await,
    );
    // A user of another institution, named in a token of this one.
    let key = d2l_groups::auth::tokens::generate_key_row(0).expect("key");
    let other_admin = app
        .state
        .db
        .write_sync(|conn| {
            d2l_groups::bootstrap::create_institution(
                conn,
                "OTHER",
                "Other College",
                None,
                "Student",
                key.clone(),
            )
        })
        .expect("create institution")
        .admin
        .id;
    let foreign = token_for_id(&app, other_admin);
    assert_refused(
        "a token naming another institution's administrator",
        &refused_everywhere(&app, &t, &foreign).await,
    );
    nothing_changed(&app, &t).await;
}
