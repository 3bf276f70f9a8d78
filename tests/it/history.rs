//! The membership history, our extension (docs/api.md, "Membership history"): every section
//! and group membership added or removed is recorded, in the same transaction, with who made
//! the change and through what (the API with its client, AutoEnroll, a job); a refused change
//! records nothing; the course's staff read it newest first, filtered and paged.

use d2l_groups::auth::tokens::CLI_CLIENT_ID;
use serde_json::{json, Value};

use crate::common::*;

const ENTRY_KEYS: &[&str] = &[
    "ChangeId",
    "OrgUnitId",
    "OrgUnitName",
    "OrgUnitType",
    "UserId",
    "Change",
    "ChangedByUserId",
    "Via",
    "ClientId",
    "ChangedAt",
];

fn history_url(app: &TestApp, course: i64, query: &str) -> String {
    app.lp(&format!("/{course}/memberships/history/{query}"))
}

/// The history's entries as the admin reads them (one page), newest first.
async fn entries(app: &TestApp, course: i64, query: &str) -> Vec<Value> {
    let res = app.get(&history_url(app, course, query), &app.admin).await;
    let v = json_ok(res).await;
    assert_keys(&v, &["PagingInfo", "Items"]);
    v["Items"].as_array().expect("items").clone()
}

/// (Change, UserId, OrgUnitId, Via) of each entry, oldest first.
fn summary(items: &[Value]) -> Vec<(String, i64, i64, String)> {
    items
        .iter()
        .rev()
        .map(|e| {
            (
                e["Change"].as_str().expect("Change").to_string(),
                e["UserId"].as_i64().expect("UserId"),
                e["OrgUnitId"].as_i64().expect("OrgUnitId"),
                e["Via"].as_str().expect("Via").to_string(),
            )
        })
        .collect()
}

fn s(text: &str) -> String {
    text.to_string()
}

/// A category made as the admin; answers its id and its groups' ids once its job is done.
async fn category_with_groups(
    app: &TestApp,
    course: i64,
    style: i64,
    extra: Value,
) -> (i64, Vec<i64>) {
    category_ready(
        app,
        V,
        course,
        &category_form("History", json!(style), extra),
    )
    .await
}

async fn admin_id(app: &TestApp) -> i64 {
    let me = json_ok(app.get(&app.lp("/users/whoami"), &app.admin).await).await;
    me["Identifier"]
        .as_str()
        .expect("id")
        .parse()
        .expect("numeric")
}

#[actix_web::test]
async fn every_membership_change_is_recorded_with_who_and_through_what() {
    let app = spawn_app().await;
    let course = app.create_course("HIST-1").await;
    let ids = learners(&app, course, "h1_", 2).await;
    let admin = admin_id(&app).await;
    // A job: the creation of a category dealing both learners (style 2, one group), which
    // also places later learners (AutoEnroll).
    let (cat, groups) = category_with_groups(
        &app,
        course,
        2,
        json!({"NumberOfGroups": 1, "AutoEnroll": true}),
    )
    .await;
    let group = groups[0];
    // AutoEnroll: a learner enrolled after it.
    let late = member(&app, course, "h1_late", "Student").await;
    // The API: the admin removes a learner from the group, then adds them back.
    let member_url = app.lp(&format!(
        "/{course}/groupcategories/{cat}/groups/{group}/enrollments/"
    ));
    ok_empty(
        app.delete(&format!("{member_url}{}", ids[0]), &app.admin)
            .await,
    )
    .await;
    ok_empty(
        app.post(&member_url, &app.admin, &json!({"UserId": ids[0]}))
            .await,
    )
    .await;

    let items = entries(&app, course, "").await;
    for e in &items {
        assert_keys(e, ENTRY_KEYS);
        assert_eq!(e["OrgUnitName"], "History 1", "{e}");
        assert_eq!(e["OrgUnitType"], "Group", "{e}");
    }
    assert_eq!(
        summary(&items),
        vec![
            (s("Added"), ids[0], group, s("Job")),
            (s("Added"), ids[1], group, s("Job")),
            (s("Added"), late, group, s("AutoEnroll")),
            (s("Removed"), ids[0], group, s("Api")),
            (s("Added"), ids[0], group, s("Api")),
        ]
    );
    // Newest first, ids descending; who and which client for the API's changes only.
    let change_ids: Vec<i64> = items
        .iter()
        .map(|e| e["ChangeId"].as_i64().expect("id"))
        .collect();
    assert!(change_ids.windows(2).all(|w| w[0] > w[1]), "{change_ids:?}");
    assert_eq!(items[0]["ChangedByUserId"], admin);
    assert_eq!(items[0]["ClientId"], CLI_CLIENT_ID);
    assert_eq!(items[4]["ChangedByUserId"], Value::Null);
    assert_eq!(items[4]["ClientId"], Value::Null);
    assert!(items[0]["ChangedAt"].as_str().expect("date").ends_with('Z'));
}

#[actix_web::test]
async fn removals_by_deleting_a_group_or_unenrolling_from_the_course_are_recorded() {
    let app = spawn_app().await;
    let course = app.create_course("HIST-2").await;
    let ids = learners(&app, course, "h2_", 3).await;
    let (cat, groups) = category_with_groups(&app, course, 2, json!({"NumberOfGroups": 1})).await;
    let group = groups[0];
    // Leaving the course takes the learner out of the group.
    app.unenroll(ids[2], course).await;
    // Deleting the group removes the other two.
    ok_empty(
        app.delete(
            &app.lp(&format!("/{course}/groupcategories/{cat}/groups/{group}")),
            &app.admin,
        )
        .await,
    )
    .await;
    let items = entries(&app, course, "").await;
    let mut removed: Vec<_> = summary(&items).into_iter().skip(3).collect();
    assert_eq!(removed[0], (s("Removed"), ids[2], group, s("Api")));
    removed[1..].sort();
    assert_eq!(
        removed[1..],
        [
            (s("Removed"), ids[0], group, s("Api")),
            (s("Removed"), ids[1], group, s("Api")),
        ]
    );
    // The group is gone, its history stays.
    assert_eq!(items[0]["OrgUnitName"], Value::Null);
    assert_eq!(items[0]["OrgUnitType"], Value::Null);
}

#[actix_web::test]
async fn a_refused_change_records_nothing_and_sections_are_recorded_too() {
    let app = spawn_app().await;
    let course = app.create_course("HIST-3").await;
    let ids = learners(&app, course, "h3_", 2).await;
    let sections = deal_sections(&app, course, 1).await;
    let section = sections[0]["SectionId"].as_i64().expect("SectionId");
    let before = entries(&app, course, "").await;
    assert_eq!(
        summary(&before),
        vec![
            (s("Added"), ids[0], section, s("Api")),
            (s("Added"), ids[1], section, s("Api")),
        ]
    );
    assert_eq!(before[0]["OrgUnitType"], "Section");
    // A self-enrollment refused (the group is full) and a group enrollment refused (not in the
    // course) leave the history as it was.
    let (cat, groups) = category_with_groups(
        &app,
        course,
        5,
        json!({"NumberOfGroups": 1, "MaxUsersPerGroup": 1}),
    )
    .await;
    let join = app.lp(&format!(
        "/{course}/groupcategories/{cat}/groups/{}/selfenrollment",
        groups[0]
    ));
    let scope = "groups:own_enrollment:create";
    let first = app.token_for("h3_00", scope);
    json_ok(
        app.send(reqwest::Method::POST, &join, Some(&first), None)
            .await,
    )
    .await;
    let second = app.token_for("h3_01", scope);
    problem(
        app.send(reqwest::Method::POST, &join, Some(&second), None)
            .await,
        409,
    )
    .await;
    let stranger = app.create_user("h3_stranger", "Student").await;
    let member_url = app.lp(&format!(
        "/{course}/groupcategories/{cat}/groups/{}/enrollments/",
        groups[0]
    ));
    problem(
        app.post(&member_url, &app.admin, &json!({"UserId": stranger}))
            .await,
        404,
    )
    .await;
    let after = entries(&app, course, "").await;
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(
        summary(&after[..1]),
        vec![(s("Added"), ids[0], groups[0], s("Api"))]
    );
    // The learner's own choice names them as who made it.
    assert_eq!(after[0]["ChangedByUserId"], ids[0]);
}

#[actix_web::test]
async fn the_history_is_filtered_paged_and_read_by_staff_only() {
    let app = spawn_app().await;
    let course = app.create_course("HIST-4").await;
    let ids = learners(&app, course, "h4_", 3).await;
    let (_, groups) = category_with_groups(&app, course, 2, json!({"NumberOfGroups": 1})).await;
    let group = groups[0];
    let sections = deal_sections(&app, course, 1).await;
    let section = sections[0]["SectionId"].as_i64().expect("SectionId");
    assert_eq!(entries(&app, course, "").await.len(), 6);
    // Filters.
    let one = entries(&app, course, &format!("?userId={}", ids[1])).await;
    assert_eq!(
        summary(&one),
        vec![
            (s("Added"), ids[1], group, s("Job")),
            (s("Added"), ids[1], section, s("Api")),
        ]
    );
    let in_section = entries(&app, course, &format!("?orgUnitId={section}")).await;
    assert_eq!(in_section.len(), 3);
    let by_job = entries(&app, course, "?via=job").await;
    assert_eq!(by_job.len(), 3);
    assert!(by_job.iter().all(|e| e["Via"] == "Job"));
    let detail = problem(
        app.get(&history_url(&app, course, "?via=mail"), &app.admin)
            .await,
        400,
    )
    .await;
    assert_eq!(
        detail,
        "via: \"mail\" is not one of Api, Console, AutoEnroll, Job."
    );

    // Staff read it: a TA may, a learner may not.
    member(&app, course, "h4_ta", "Teaching Assistant").await;
    let ta = app.token_for("h4_ta", "enrollment:orgunit:read");
    json_ok(app.get(&history_url(&app, course, ""), &ta).await).await;
    let learner = app.token_for("h4_00", "enrollment:orgunit:read");
    let detail = problem(app.get(&history_url(&app, course, ""), &learner).await, 403).await;
    assert!(detail.contains("enrollments.read"), "{detail}");
    // Not a course offering.
    problem(app.get(&history_url(&app, ROOT, ""), &app.admin).await, 404).await;
}

#[actix_web::test]
async fn a_long_history_is_paged_by_bookmark() {
    let app = spawn_app().await;
    let course = app.create_course("HIST-5").await;
    let ids = learners(&app, course, "h5_", 120).await;
    category_with_groups(&app, course, 2, json!({"NumberOfGroups": 2})).await;
    let first = json_ok(app.get(&history_url(&app, course, ""), &app.admin).await).await;
    assert_eq!(first["Items"].as_array().expect("items").len(), 100);
    assert_eq!(first["PagingInfo"]["HasMoreItems"], true);
    let bookmark = first["PagingInfo"]["Bookmark"].as_str().expect("bookmark");
    assert_eq!(
        first["Items"][99]["ChangeId"]
            .as_i64()
            .map(|i| i.to_string())
            .as_deref(),
        Some(bookmark)
    );
    let rest = json_ok(
        app.get(
            &history_url(&app, course, &format!("?bookmark={bookmark}")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(rest["Items"].as_array().expect("items").len(), 20);
    assert_eq!(rest["PagingInfo"]["HasMoreItems"], false);
    let mut users: Vec<i64> = first["Items"]
        .as_array()
        .into_iter()
        .chain(rest["Items"].as_array())
        .flatten()
        .map(|e| e["UserId"].as_i64().expect("UserId"))
        .collect();
    users.sort_unstable();
    assert_eq!(users, ids);
}
