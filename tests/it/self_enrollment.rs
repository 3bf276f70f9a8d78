//! Self-enrollment over the API, our extension (docs/api.md, "Self-enrollment"): a learner
//! lists the groups they may choose with the places left, joins one and leaves it, within the
//! category's window, cap, restriction and one group per category; every refusal is a 4xx
//! that changes nothing, and learners racing for the last places never exceed the cap.

use serde_json::{json, Value};

use crate::common::*;

const SCOPE: &str = "groups:own_enrollment:read,create,delete";

/// The keys of a SelfEnrollmentCategory and of each of its groups.
const CATEGORY_KEYS: &[&str] = &[
    "GroupCategoryId",
    "Name",
    "Description",
    "EnrollmentStyle",
    "MaxUsersPerGroup",
    "SelfEnrollmentStartDate",
    "SelfEnrollmentExpiryDate",
    "IsOpen",
    "MyGroupId",
    "Groups",
];
const GROUP_KEYS: &[&str] = &[
    "GroupId",
    "Name",
    "Code",
    "Description",
    "MemberCount",
    "FreePlaces",
    "IsMember",
];

/// A category of `style` made at LP 1.53 as the admin; answers its id once its job is done.
async fn category(app: &TestApp, course: i64, name: &str, style: i64, extra: Value) -> i64 {
    let form = category_form(name, json!(style), extra);
    category_ready(app, "1.53", course, &form).await.0
}

/// The group ids of a category, ascending.
async fn groups_of(app: &TestApp, course: i64, category: i64) -> Vec<i64> {
    let url = app.lp(&format!("/{course}/groupcategories/{category}/groups/"));
    sorted(ids_of(
        &json_ok(app.get(&url, &app.admin).await).await,
        "GroupId",
    ))
}

fn ids_of(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|g| g[key].as_i64().expect("id"))
        .collect()
}

/// A group's members as the admin reads them.
async fn members(app: &TestApp, course: i64, category: i64, group: i64) -> Vec<i64> {
    let url = app.lp(&format!(
        "/{course}/groupcategories/{category}/groups/{group}/enrollments"
    ));
    sorted(
        json_ok(app.get(&url, &app.admin).await)
            .await
            .as_array()
            .expect("members")
            .iter()
            .map(|v| v.as_i64().expect("user id"))
            .collect(),
    )
}

fn choose_url(app: &TestApp, course: i64, category: i64, group: i64) -> String {
    app.lp(&format!(
        "/{course}/groupcategories/{category}/groups/{group}/selfenrollment"
    ))
}

async fn join(
    app: &TestApp,
    token: &str,
    course: i64,
    category: i64,
    group: i64,
) -> reqwest::Response {
    app.send(
        reqwest::Method::POST,
        &choose_url(app, course, category, group),
        Some(token),
        None,
    )
    .await
}

async fn leave(
    app: &TestApp,
    token: &str,
    course: i64,
    category: i64,
    group: i64,
) -> reqwest::Response {
    app.delete(&choose_url(app, course, category, group), token)
        .await
}

/// A course with `n` learners named `{prefix}NN`; answers the course and the learners' ids.
async fn course_with_learners(
    app: &TestApp,
    code: &str,
    prefix: &str,
    n: usize,
) -> (i64, Vec<i64>) {
    let course = app.create_course(code).await;
    let ids = learners(app, course, prefix, n).await;
    (course, ids)
}

#[actix_web::test]
async fn a_learner_sees_the_groups_they_may_choose_with_the_places_left() {
    let app = spawn_app().await;
    let (course, _) = course_with_learners(&app, "SE-1", "se1_", 6).await;
    let chosen = category(&app, course, "Teams", 3, json!({"MaxUsersPerGroup": 3})).await;
    // Neither an automatic category nor a hand-made one is listed.
    category(&app, course, "Auto", 1, json!({"MaxUsersPerGroup": 3})).await;
    category(&app, course, "Manual", 0, json!({"NumberOfGroups": 2})).await;
    let token = app.token_for("se1_00", SCOPE);

    let res = app
        .get(
            &app.lp(&format!("/{course}/groupcategories/selfenrollment/")),
            &token,
        )
        .await;
    let list = json_ok(res).await;
    assert_eq!(ids_of(&list, "GroupCategoryId"), vec![chosen], "{list}");
    let one = &list[0];
    assert_keys(one, CATEGORY_KEYS);
    assert_eq!(one["Name"], "Teams");
    assert_eq!(one["EnrollmentStyle"], 3);
    assert_eq!(one["MaxUsersPerGroup"], 3);
    assert_eq!(one["IsOpen"], true);
    assert_eq!(one["MyGroupId"], Value::Null);
    // Six learners, three a group: two empty groups.
    let groups = one["Groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2, "{one}");
    for g in groups {
        assert_keys(g, GROUP_KEYS);
        assert_eq!(g["MemberCount"], 0);
        assert_eq!(g["FreePlaces"], 3);
        assert_eq!(g["IsMember"], false);
    }
    // The same category alone.
    let url = app.lp(&format!(
        "/{course}/groupcategories/{chosen}/selfenrollment"
    ));
    let alone = json_ok(app.get(&url, &token).await).await;
    assert_eq!(&alone, one);
}

#[actix_web::test]
async fn a_learner_joins_a_group_then_leaves_it_and_nothing_else_changes() {
    let app = spawn_app().await;
    let (course, ids) = course_with_learners(&app, "SE-2", "se2_", 4).await;
    let cat = category(&app, course, "Pairs", 3, json!({"MaxUsersPerGroup": 2})).await;
    let groups = groups_of(&app, course, cat).await;
    let (first, second) = (groups[0], groups[1]);
    let token = app.token_for("se2_01", SCOPE);

    let res = join(&app, &token, course, cat, first).await;
    assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
    let after = json_ok(res).await;
    assert_keys(&after, CATEGORY_KEYS);
    assert_eq!(after["MyGroupId"], first);
    let joined = &after["Groups"][0];
    assert_eq!(
        (joined["GroupId"].as_i64(), joined["MemberCount"].as_i64()),
        (Some(first), Some(1))
    );
    assert_eq!(joined["FreePlaces"], 1);
    assert_eq!(joined["IsMember"], true);
    assert_eq!(after["Groups"][1]["IsMember"], false);
    assert_eq!(members(&app, course, cat, first).await, vec![ids[1]]);

    // Twice: 409, still one membership.
    let detail = problem(join(&app, &token, course, cat, first).await, 409).await;
    assert_eq!(
        detail,
        format!("You are already a member of group {first}.")
    );
    // Another group of the same category: 409, leave first.
    let detail = problem(join(&app, &token, course, cat, second).await, 409).await;
    assert_eq!(
        detail,
        format!("You are already in group {first} of group category {cat}; leave it first.")
    );
    assert_eq!(members(&app, course, cat, first).await, vec![ids[1]]);
    assert!(members(&app, course, cat, second).await.is_empty());

    // Leave, then join the other group.
    let left = json_ok(leave(&app, &token, course, cat, first).await).await;
    assert_eq!(left["MyGroupId"], Value::Null);
    assert_eq!(left["Groups"][0]["MemberCount"], 0);
    assert!(members(&app, course, cat, first).await.is_empty());
    let detail = problem(leave(&app, &token, course, cat, first).await, 404).await;
    assert_eq!(detail, format!("You are not a member of group {first}."));
    let moved = json_ok(join(&app, &token, course, cat, second).await).await;
    assert_eq!(moved["MyGroupId"], second);
    assert_eq!(members(&app, course, cat, second).await, vec![ids[1]]);
}

#[actix_web::test]
async fn a_full_group_refuses_the_next_learner_and_keeps_its_members() {
    let app = spawn_app().await;
    let (course, ids) = course_with_learners(&app, "SE-3", "se3_", 4).await;
    let cat = category(
        &app,
        course,
        "Pairs",
        5,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 2}),
    )
    .await;
    let group = groups_of(&app, course, cat).await[0];
    for name in ["se3_00", "se3_01"] {
        json_ok(join(&app, &app.token_for(name, SCOPE), course, cat, group).await).await;
    }
    let third = app.token_for("se3_02", SCOPE);
    let detail = problem(join(&app, &third, course, cat, group).await, 409).await;
    assert_eq!(
        detail,
        format!("Group {group} is full: it holds its 2 members.")
    );
    assert_eq!(
        members(&app, course, cat, group).await,
        vec![ids[0], ids[1]]
    );
    let seen = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/{cat}/selfenrollment")),
            &third,
        )
        .await,
    )
    .await;
    assert_eq!(seen["Groups"][0]["FreePlaces"], 0);
    assert_eq!(seen["Groups"][0]["MemberCount"], 2);
    // Without a cap (number of groups, self-enrollment) nobody is refused for size.
    let open = category(&app, course, "Open", 4, json!({"NumberOfGroups": 1})).await;
    let only = groups_of(&app, course, open).await[0];
    for name in ["se3_00", "se3_01", "se3_02", "se3_03"] {
        let v = json_ok(join(&app, &app.token_for(name, SCOPE), course, open, only).await).await;
        assert_eq!(v["Groups"][0]["FreePlaces"], Value::Null);
        assert_eq!(v["MaxUsersPerGroup"], Value::Null);
    }
    assert_eq!(members(&app, course, open, only).await, ids);
}

#[actix_web::test]
async fn outside_the_window_nobody_joins_or_leaves() {
    let app = spawn_app().await;
    let (course, ids) = course_with_learners(&app, "SE-4", "se4_", 2).await;
    let later = category(
        &app,
        course,
        "Later",
        3,
        json!({"MaxUsersPerGroup": 2, "SelfEnrollmentStartDate": "2099-01-01T00:00:00.000Z",
               "SelfEnrollmentExpiryDate": "2099-02-01T00:00:00.000Z"}),
    )
    .await;
    let token = app.token_for("se4_00", SCOPE);
    let group = groups_of(&app, course, later).await[0];
    let detail = problem(join(&app, &token, course, later, group).await, 403).await;
    assert_eq!(
        detail,
        format!("Self-enrollment in group category {later} opens at 2099-01-01T00:00:00.000Z.")
    );
    let seen = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/{later}/selfenrollment")),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(seen["IsOpen"], false);
    assert_eq!(seen["SelfEnrollmentStartDate"], "2099-01-01T00:00:00.000Z");

    // A window that has closed: the admin places a learner, who may not leave on their own.
    let closed = category(
        &app,
        course,
        "Closed",
        3,
        json!({"MaxUsersPerGroup": 2, "SelfEnrollmentExpiryDate": "2020-01-01T00:00:00.000Z"}),
    )
    .await;
    let group = groups_of(&app, course, closed).await[0];
    let detail = problem(join(&app, &token, course, closed, group).await, 403).await;
    assert_eq!(
        detail,
        format!("Self-enrollment in group category {closed} closed at 2020-01-01T00:00:00.000Z.")
    );
    let my_id = ids[0];
    let enroll = app.lp(&format!(
        "/{course}/groupcategories/{closed}/groups/{group}/enrollments/"
    ));
    ok_empty(
        app.post(&enroll, &app.admin, &json!({"UserId": my_id}))
            .await,
    )
    .await;
    let detail = problem(leave(&app, &token, course, closed, group).await, 403).await;
    assert!(
        detail.contains("closed at 2020-01-01T00:00:00.000Z"),
        "{detail}"
    );
    assert_eq!(members(&app, course, closed, group).await, vec![my_id]);
}

#[actix_web::test]
async fn a_restricted_category_admits_only_the_members_of_its_section() {
    let app = spawn_app().await;
    let (course, ids) = course_with_learners(&app, "SE-5", "se5_", 4).await;
    // Two sections dealt round robin: learners 0 and 2 in the first, 1 and 3 in the second.
    let sections = deal_sections(&app, course, 2).await;
    let first_section = sections[0]["SectionId"].as_i64().expect("SectionId");
    let inside: Vec<i64> = sorted(
        sections[0]["Enrollments"]
            .as_array()
            .expect("members")
            .iter()
            .map(|v| v.as_i64().expect("id"))
            .collect(),
    );
    assert_eq!(inside.len(), 2);
    let outsider = *ids
        .iter()
        .find(|id| !inside.contains(id))
        .expect("an outsider");
    let insider = inside[0];
    let name_of = |id: i64| {
        format!(
            "se5_{:02}",
            ids.iter().position(|x| *x == id).expect("learner")
        )
    };
    let cat = category(
        &app,
        course,
        "Lab pairs",
        3,
        json!({"MaxUsersPerGroup": 2, "RestrictedByOrgUnitId": first_section}),
    )
    .await;
    let group = groups_of(&app, course, cat).await[0];

    let outside = app.token_for(&name_of(outsider), SCOPE);
    let listed = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/selfenrollment/")),
            &outside,
        )
        .await,
    )
    .await;
    assert_eq!(listed, json!([]), "hidden from those it does not admit");
    let detail = problem(join(&app, &outside, course, cat, group).await, 403).await;
    assert_eq!(
        detail,
        format!(
            "Group category {cat} admits only the members of org unit {first_section}, and you are not one."
        )
    );
    assert!(members(&app, course, cat, group).await.is_empty());

    let inside_token = app.token_for(&name_of(insider), SCOPE);
    let v = json_ok(join(&app, &inside_token, course, cat, group).await).await;
    assert_eq!(v["MyGroupId"], group);
    assert_eq!(members(&app, course, cat, group).await, vec![insider]);
}

#[actix_web::test]
async fn only_learners_of_the_course_with_the_scope_may_choose() {
    let app = spawn_app().await;
    let (course, _) = course_with_learners(&app, "SE-6", "se6_", 2).await;
    let auto = category(&app, course, "Auto", 1, json!({"MaxUsersPerGroup": 2})).await;
    let chosen = category(&app, course, "Chosen", 3, json!({"MaxUsersPerGroup": 2})).await;
    let auto_group = groups_of(&app, course, auto).await[0];
    let group = groups_of(&app, course, chosen).await[0];
    let learner = app.token_for("se6_00", SCOPE);
    let placed = members(&app, course, auto, auto_group).await;
    assert_eq!(placed.len(), 2, "the creation job placed both learners");

    // A category whose groups learners do not choose.
    let detail = problem(join(&app, &learner, course, auto, auto_group).await, 403).await;
    assert_eq!(
        detail,
        format!("Group category {auto} is PeoplePerGroupAutoEnrollment: learners do not choose its groups.")
    );
    // An instructor lacks the permission.
    member(&app, course, "se6_teacher", "Instructor").await;
    let teacher = app.token_for("se6_teacher", SCOPE);
    let detail = problem(join(&app, &teacher, course, chosen, group).await, 403).await;
    assert_eq!(
        detail,
        format!("Your role in org unit {course} lacks the permission groups.self_enroll.")
    );
    // A learner of another course: the permission comes from nowhere here.
    let other = app.create_course("SE-6B").await;
    member(&app, other, "se6_elsewhere", "Student").await;
    let elsewhere = app.token_for("se6_elsewhere", SCOPE);
    let detail = problem(join(&app, &elsewhere, course, chosen, group).await, 403).await;
    assert!(
        detail.contains("lacks the permission groups.self_enroll"),
        "{detail}"
    );
    // The admin holds every permission through the root, but is no member of the course.
    let detail = problem(join(&app, &app.admin, course, chosen, group).await, 403).await;
    assert_eq!(
        detail,
        format!("You are not enrolled in org unit {course}; only its members choose its groups.")
    );
    // A token without the scope.
    let narrow = app.token_for("se6_00", "groups:group:read");
    let res = join(&app, &narrow, course, chosen, group).await;
    assert_eq!(res.status(), 403);
    // A group of another category, or none at all.
    let detail = problem(join(&app, &learner, course, chosen, auto_group).await, 404).await;
    assert!(detail.contains(&auto_group.to_string()), "{detail}");
    assert!(members(&app, course, chosen, group).await.is_empty());
    assert_eq!(members(&app, course, auto, auto_group).await, placed);
}

/// 200 learners race for the places of one group of cap 5: exactly 5 get in, every other one
/// is told the group is full, and the group never holds more than its cap.
#[actix_web::test]
async fn two_hundred_learners_racing_for_five_places_never_exceed_the_cap() {
    let app = spawn_app().await;
    let course = app.create_course("SE-RACE").await;
    let learners_n = 200;
    let ids = learners(&app, course, "race", learners_n).await;
    let cat = category(&app, course, "Race", 3, json!({"MaxUsersPerGroup": 5})).await;
    let group = groups_of(&app, course, cat).await[0];
    let tokens: Vec<String> = (0..learners_n)
        .map(|i| app.token_for(&format!("race{i:02}"), SCOPE))
        .collect();
    let url = choose_url(&app, course, cat, group);
    let racers = tokens.iter().map(|token| {
        let client = app.client.clone();
        let url = url.clone();
        let token = token.clone();
        async move {
            let res = client
                .post(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("join");
            let status = res.status().as_u16();
            let body: Value = res.json().await.expect("JSON");
            (status, body)
        }
    });
    let outcomes = futures_util::future::join_all(racers).await;
    let won = outcomes.iter().filter(|(s, _)| *s == 200).count();
    let full = outcomes
        .iter()
        .filter(|(s, b)| {
            *s == 409 && b["detail"] == format!("Group {group} is full: it holds its 5 members.")
        })
        .count();
    assert_eq!((won, full), (5, learners_n - 5), "{outcomes:?}");
    let in_group = members(&app, course, cat, group).await;
    assert_eq!(in_group.len(), 5);
    assert!(in_group.iter().all(|id| ids.contains(id)));
    assert_eq!(member_rows(&app, group), 5);
}
