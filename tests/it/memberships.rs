//! Memberships of sections and groups are enrollments in them (brightspace-2026.md, section 2):
//! the enrollment routes, myenrollments and the section and group routes read one table and
//! agree; writes through either side are seen by the other; the migration carried existing
//! memberships forward.

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use serde_json::{json, Value};

use crate::common::*;

const ALL: &str = "*:*:*";
const USER_ORG_UNIT_KEYS: &[&str] = &[
    "OrgUnit",
    "Role",
    "IsCascading",
    "EnrolledByUserId",
    "EnrolledByUserDate",
];
const ORG_UNIT_INFO_KEYS: &[&str] = &["Id", "Type", "Name", "Code", "HomeUrl", "ImageUrl"];
const ENROLLMENT_DATA_KEYS: &[&str] = &["OrgUnitId", "UserId", "RoleId", "IsCascading"];

/// A course with `learners` Students (user names `{code}.lNN`, lower case), its sections dealt
/// (2, style 2) and a category of 2 groups dealt at creation; answers (course, learners,
/// sections as (id, members), groups as (id, members), category).
struct World {
    course: i64,
    learners: Vec<i64>,
    sections: Vec<(i64, Vec<i64>)>,
    groups: Vec<(i64, Vec<i64>)>,
    category: i64,
}

async fn world(app: &TestApp, code: &str, n: usize) -> World {
    let course = app.create_course(code).await;
    let learners = learners(app, course, &format!("{}.l", code.to_lowercase()), n).await;
    let sections = deal_sections(app, course, 2)
        .await
        .iter()
        .map(|s| {
            (
                s["SectionId"].as_i64().expect("SectionId"),
                ids(&s["Enrollments"]),
            )
        })
        .collect();
    let form = category_form("Teams", json!(2), json!({"NumberOfGroups": 2}));
    let job = json_typed(
        app.post(
            &app.lp(&format!("/{course}/groupcategories/")),
            &app.admin,
            &form,
        )
        .await,
        202,
    )
    .await;
    let category = job["CategoryId"].as_i64().expect("CategoryId");
    let groups_url = app.lp(&format!("/{course}/groupcategories/{category}/groups/"));
    let groups = loop {
        let status = json_ok(
            app.get(
                &app.lp(&format!("/{course}/groupcategories/{category}/status")),
                &app.admin,
            )
            .await,
        )
        .await;
        if status["Status"] == 1 {
            break json_ok(app.get(&groups_url, &app.admin).await).await;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let groups = groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["GroupId"].as_i64().expect("GroupId"),
                ids(&g["Enrollments"]),
            )
        })
        .collect();
    World {
        course,
        learners,
        sections,
        groups,
        category,
    }
}

/// The user ids of a PagedResultSet of OrgUnitUser, with each one's role name.
fn class_list(v: &Value) -> Vec<(i64, String)> {
    v["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|item| {
            let id = item["User"]["Identifier"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("Identifier");
            let role = item["Role"]["Name"]
                .as_str()
                .expect("Role.Name")
                .to_string();
            (id, role)
        })
        .collect()
}

async fn members_by_enrollment_route(app: &TestApp, unit: i64) -> Vec<(i64, String)> {
    let url = app.lp(&format!("/enrollments/orgUnits/{unit}/users/"));
    class_list(&json_ok(app.get(&url, &app.admin).await).await)
}

/// The org unit ids (and type ids) of a PagedResultSet of MyOrgUnitInfo or UserOrgUnit.
fn units(v: &Value) -> Vec<(i64, i64)> {
    v["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|item| {
            (
                item["OrgUnit"]["Id"].as_i64().expect("OrgUnit.Id"),
                item["OrgUnit"]["Type"]["Id"].as_i64().expect("Type.Id"),
            )
        })
        .collect()
}

async fn user_id_of(app: &TestApp, token: &str) -> i64 {
    let me = json_ok(app.get(&app.lp("/users/whoami"), token).await).await;
    me["Identifier"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("whoami Identifier")
}

fn section_of(world: &World, user: i64) -> i64 {
    world
        .sections
        .iter()
        .find(|(_, m)| m.contains(&user))
        .map(|(id, _)| *id)
        .expect("a section holds the learner")
}

fn group_of(world: &World, user: i64) -> i64 {
    world
        .groups
        .iter()
        .find(|(_, m)| m.contains(&user))
        .map(|(id, _)| *id)
        .expect("a group holds the learner")
}

#[actix_web::test]
async fn section_and_group_members_are_listed_by_the_enrollment_routes() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-1", 4).await;
    for (unit, members) in w.sections.iter().chain(&w.groups) {
        assert!(!members.is_empty(), "dealt: {unit}");
        let res = app
            .get(
                &app.lp(&format!("/enrollments/orgUnits/{unit}/users/")),
                &app.admin,
            )
            .await;
        assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
        let listed = class_list(&json_ok(res).await);
        let expected: Vec<(i64, String)> = members
            .iter()
            .map(|m| (*m, "Student".to_string()))
            .collect();
        assert_eq!(listed, expected, "org unit {unit}");
    }
    // The course's own class list is its enrollments only, not its parts' again.
    let course = members_by_enrollment_route(&app, w.course).await;
    assert_eq!(
        course.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        w.learners
    );
}

#[actix_web::test]
async fn a_learners_myenrollments_lists_their_course_section_and_group() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-2", 4).await;
    let learner = w.learners[0];
    let token = app.token_for("mem-2.l00", "enrollment:own_enrollment:read");
    let (section, group) = (section_of(&w, learner), group_of(&w, learner));

    let res = app
        .get(&app.lp("/enrollments/myenrollments/"), &token)
        .await;
    assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
    let all = json_ok(res).await;
    let listed = units(&all);
    for expected in [(w.course, 3), (section, 4), (group, 6)] {
        assert!(listed.contains(&expected), "{expected:?} in {all}");
    }
    for item in all["Items"].as_array().expect("Items") {
        assert_keys(&item["OrgUnit"], ORG_UNIT_INFO_KEYS);
        let id = item["OrgUnit"]["Id"].as_i64().expect("Id");
        let home = &item["OrgUnit"]["HomeUrl"];
        if id == w.course {
            assert_eq!(
                home,
                &json!(format!("{}/d2l/home/{}", app.address, w.course))
            );
        }
        if id == section || id == group {
            // Sections and groups have no home page; the member's role is their course role.
            assert_eq!(home, &Value::Null, "{item}");
            assert_eq!(item["Access"]["ClasslistRoleName"], "Student", "{item}");
            assert_eq!(item["Access"]["CanAccess"], true, "{item}");
        }
    }
    assert_eq!(
        listed.iter().filter(|(_, t)| *t == 4).count(),
        1,
        "one section"
    );
    assert_eq!(
        listed.iter().filter(|(_, t)| *t == 6).count(),
        1,
        "one group"
    );

    // orgUnitTypeId filters, and may list several types.
    let sections = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=4"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(units(&sections), vec![(section, 4)]);
    let parts = json_ok(
        app.get(
            &app.lp("/enrollments/myenrollments/?orgUnitTypeId=4,6"),
            &token,
        )
        .await,
    )
    .await;
    let mut expected = vec![(section, 4), (group, 6)];
    expected.sort();
    assert_eq!(units(&parts), expected);

    // One of them by id; one the learner is not in is 404.
    let one = json_ok(
        app.get(
            &app.lp(&format!("/enrollments/myenrollments/{group}")),
            &token,
        )
        .await,
    )
    .await;
    assert_keys(&one, &["OrgUnit", "Access", "PinDate"]);
    assert_eq!(one["OrgUnit"]["Id"], group);
    assert_eq!(
        one["OrgUnit"]["Type"],
        json!({"Id": 6, "Code": "Group", "Name": "Group"})
    );
    let other_group = w
        .groups
        .iter()
        .map(|(id, _)| *id)
        .find(|id| *id != group)
        .expect("a second group");
    let detail = problem(
        app.get(
            &app.lp(&format!("/enrollments/myenrollments/{other_group}")),
            &token,
        )
        .await,
        404,
    )
    .await;
    assert!(detail.contains(&other_group.to_string()), "{detail}");
}

#[actix_web::test]
async fn a_users_org_units_list_courses_sections_and_groups_with_who_enrolled_them() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-3", 2).await;
    let learner = w.learners[1];
    let admin_id = user_id_of(&app, &app.admin).await;
    let url = app.lp(&format!("/enrollments/users/{learner}/orgUnits/"));

    let res = app.get(&url, &app.admin).await;
    assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
    let all = json_ok(res).await;
    assert_keys(&all, &["PagingInfo", "Items"]);
    let (section, group) = (section_of(&w, learner), group_of(&w, learner));
    let listed = units(&all);
    for expected in [(ROOT, 1), (w.course, 3), (section, 4), (group, 6)] {
        assert!(listed.contains(&expected), "{expected:?} in {all}");
    }
    for item in all["Items"].as_array().expect("Items") {
        assert_keys(item, USER_ORG_UNIT_KEYS);
        assert_keys(&item["OrgUnit"], ORG_UNIT_INFO_KEYS);
        assert_eq!(item["Role"]["Name"], "Student", "{item}");
        assert_eq!(item["IsCascading"], false, "{item}");
        let id = item["OrgUnit"]["Id"].as_i64().expect("Id");
        if id == w.course {
            // Enrolled by the admin's call; dealt into a section and a group by no one.
            assert_eq!(item["EnrolledByUserId"], admin_id, "{item}");
            assert!(item["EnrolledByUserDate"].is_string(), "{item}");
        }
        if id == section || id == group {
            assert_eq!(item["EnrolledByUserId"], Value::Null, "{item}");
            assert_eq!(item["EnrolledByUserDate"], Value::Null, "{item}");
        }
    }
    assert_eq!(all["PagingInfo"]["HasMoreItems"], false);
    assert_eq!(
        all["PagingInfo"]["Bookmark"],
        json!(listed.last().expect("items").0.to_string())
    );

    // Filters: the course offerings only (GSU's alias too), a role, a bookmark.
    for query in ["?orgUnitTypeId=3", "?orgUnitType=3"] {
        let courses = json_ok(app.get(&format!("{url}{query}"), &app.admin).await).await;
        assert_eq!(units(&courses), vec![(w.course, 3)], "{query}");
    }
    let student = app.role_id("Student").await;
    let by_role = json_ok(
        app.get(
            &format!("{url}?roleId={student}&orgUnitTypeId=4,6"),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(units(&by_role).len(), 2, "{by_role}");
    let after = json_ok(
        app.get(&format!("{url}?bookmark={}", w.course), &app.admin)
            .await,
    )
    .await;
    assert!(
        units(&after).iter().all(|(id, _)| *id > w.course),
        "{after}"
    );

    // One's own list needs no permission; another's needs it at the root.
    let own = app.token_for("mem-3.l01", "enrollment:orgunit:read");
    json_ok(app.get(&url, &own).await).await;
    let other = app.lp(&format!("/enrollments/users/{}/orgUnits/", w.learners[0]));
    problem(app.get(&other, &own).await, 403).await;
    problem(
        app.get(&app.lp("/enrollments/users/999999/orgUnits/"), &app.admin)
            .await,
        404,
    )
    .await;

    // The single lookup answers EnrollmentData for a group as for a course.
    let one = json_ok(
        app.get(
            &app.lp(&format!("/enrollments/users/{learner}/orgUnits/{group}")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_keys(&one, ENROLLMENT_DATA_KEYS);
    assert_eq!(
        one,
        json!({"OrgUnitId": group, "UserId": learner, "RoleId": student, "IsCascading": false})
    );
    let other_group = w
        .groups
        .iter()
        .map(|(id, _)| *id)
        .find(|id| *id != group)
        .expect("a second group");
    problem(
        app.get(
            &app.lp(&format!(
                "/enrollments/users/{learner}/orgUnits/{other_group}"
            )),
            &app.admin,
        )
        .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn posting_an_enrollment_in_a_section_or_group_makes_a_membership() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-4", 2).await;
    let admin_id = user_id_of(&app, &app.admin).await;
    // A learner who joined after the dealing is in no section and no group.
    let late = member(&app, w.course, "mem-4.late", "Student").await;
    let student = app.role_id("Student").await;
    let instructor = app.role_id("Instructor").await;
    let (section, group) = (w.sections[0].0, w.groups[0].0);

    for unit in [section, group] {
        let body = json!({"OrgUnitId": unit, "UserId": late, "RoleId": student});
        let res = app.post(&app.lp("/enrollments/"), &app.admin, &body).await;
        assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
        let made = json_ok(res).await;
        assert_eq!(
            made,
            json!({"OrgUnitId": unit, "UserId": late, "RoleId": student, "IsCascading": false})
        );
        // Posting again changes nothing.
        json_ok(app.post(&app.lp("/enrollments/"), &app.admin, &body).await).await;
    }
    let sections = json_ok(
        app.get(&app.lp(&format!("/{}/sections/", w.course)), &app.admin)
            .await,
    )
    .await;
    let listed = sections
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["SectionId"] == section)
        .map(|s| ids(&s["Enrollments"]))
        .expect("the section");
    assert!(listed.contains(&late), "section route agrees: {listed:?}");
    let group_members = json_ok(
        app.get(
            &app.lp(&format!(
                "/{}/groupcategories/{}/groups/{group}/enrollments",
                w.course, w.category
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert!(ids(&group_members).contains(&late), "group route agrees");
    let mine = json_ok(
        app.get(
            &app.lp(&format!(
                "/enrollments/users/{late}/orgUnits/?orgUnitTypeId=6"
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(mine["Items"][0]["EnrolledByUserId"], admin_id, "{mine}");

    // Another role than the course's is a 400 naming RoleId; a user not in the course, 404.
    let wrong = json!({"OrgUnitId": w.sections[1].0, "UserId": late, "RoleId": instructor});
    let detail = problem(
        app.post(&app.lp("/enrollments/"), &app.admin, &wrong).await,
        400,
    )
    .await;
    assert!(detail.starts_with("RoleId"), "{detail}");
    let outsider = app.create_user("mem-4.out", "Student").await;
    let body = json!({"OrgUnitId": section, "UserId": outsider, "RoleId": student});
    problem(
        app.post(&app.lp("/enrollments/"), &app.admin, &body).await,
        404,
    )
    .await;
    assert_eq!(
        member_rows(&app, w.sections[1].0),
        w.sections[1].1.len() as i64
    );

    // DELETE through the enrollment route leaves the group, and answers what it was.
    let gone = json_ok(
        app.delete(
            &app.lp(&format!("/enrollments/orgUnits/{group}/users/{late}")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(gone["OrgUnitId"], group);
    let after = json_ok(
        app.get(
            &app.lp(&format!(
                "/{}/groupcategories/{}/groups/{group}/enrollments",
                w.course, w.category
            )),
            &app.admin,
        )
        .await,
    )
    .await;
    assert!(!ids(&after).contains(&late), "{after}");
}

#[actix_web::test]
async fn a_members_role_follows_their_course_role_and_leaves_with_the_course() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-5", 2).await;
    let learner = w.learners[0];
    let (section, group) = (section_of(&w, learner), group_of(&w, learner));
    let ta = app.role_id("Teaching Assistant").await;
    let body = json!({"OrgUnitId": w.course, "UserId": learner, "RoleId": ta});
    json_ok(app.post(&app.lp("/enrollments/"), &app.admin, &body).await).await;
    for unit in [section, group] {
        let listed = members_by_enrollment_route(&app, unit).await;
        assert!(
            listed.contains(&(learner, "Teaching Assistant".to_string())),
            "{unit}: {listed:?}"
        );
    }
    app.unenroll(learner, w.course).await;
    let left = json_ok(
        app.get(
            &app.lp(&format!("/enrollments/users/{learner}/orgUnits/")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(units(&left), vec![(ROOT, 1)], "{left}");
    for unit in [section, group] {
        let listed = members_by_enrollment_route(&app, unit).await;
        assert!(
            listed.iter().all(|(id, _)| *id != learner),
            "{unit}: {listed:?}"
        );
    }
}

#[actix_web::test]
async fn course_staff_read_a_sections_class_list_and_learners_may_not() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-6", 2).await;
    member(&app, w.course, "mem-6.teacher", "Instructor").await;
    let section = w.sections[0].0;
    let url = app.lp(&format!("/enrollments/orgUnits/{section}/users/"));
    let teacher = app.token_for("mem-6.teacher", ALL);
    let listed = class_list(&json_ok(app.get(&url, &teacher).await).await);
    assert_eq!(
        listed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        w.sections[0].1
    );
    let learner = app.token_for("mem-6.l00", ALL);
    problem(app.get(&url, &learner).await, 403).await;
}

#[actix_web::test]
async fn a_groups_remembered_class_list_sees_a_new_member_at_once() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-7", 2).await;
    let late = member(&app, w.course, "mem-7.late", "Student").await;
    let group = w.groups[0].0;
    let before = members_by_enrollment_route(&app, group).await;
    assert!(!before.iter().any(|(id, _)| *id == late));
    let url = app.lp(&format!(
        "/{}/groupcategories/{}/groups/{group}/enrollments/",
        w.course, w.category
    ));
    ok_empty(app.post(&url, &app.admin, &json!({"UserId": late})).await).await;
    let after = members_by_enrollment_route(&app, group).await;
    assert!(after.contains(&(late, "Student".to_string())), "{after:?}");
    let unenroll = app.lp(&format!(
        "/{}/groupcategories/{}/groups/{group}/enrollments/{late}",
        w.course, w.category
    ));
    ok_empty(app.delete(&unenroll, &app.admin).await).await;
    assert_eq!(members_by_enrollment_route(&app, group).await, before);
}

const MEMBERSHIPS_MIGRATION: &str = "20261201190000";

#[actix_web::test]
async fn the_migration_carries_memberships_forward_and_back() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-8", 4).await;
    let before: Vec<Vec<(i64, String)>> = {
        let mut all = Vec::new();
        for (unit, _) in w.sections.iter().chain(&w.groups) {
            all.push(members_by_enrollment_route(&app, *unit).await);
        }
        all
    };
    let db = d2l_groups::db::Db::connect(&app.database_url, 1).expect("connect");
    let mut conn = db.conn().expect("conn");
    // Back to the table of memberships: every membership is a row there.
    let undo = |conn: &mut d2l_groups::db::DbConnection| {
        macro_rules! revert {
            ($c:expr, $migrations:expr) => {
                loop {
                    let version = $c.revert_last_migration($migrations).expect("down");
                    if version.to_string() == MEMBERSHIPS_MIGRATION {
                        break;
                    }
                }
            };
        }
        match conn {
            d2l_groups::db::DbConnection::Sqlite(c) => {
                revert!(c, d2l_groups::db::SQLITE_MIGRATIONS)
            }
            d2l_groups::db::DbConnection::Pg(c) => revert!(c, d2l_groups::db::POSTGRES_MIGRATIONS),
        }
    };
    undo(&mut conn);
    let count = |conn: &mut d2l_groups::db::DbConnection, sql: &str| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> = match conn {
            d2l_groups::db::DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
            d2l_groups::db::DbConnection::Pg(c) => diesel::sql_query(sql).load(c),
        }
        .expect("count");
        rows[0].n
    };
    let dealt: usize = w
        .sections
        .iter()
        .chain(&w.groups)
        .map(|(_, m)| m.len())
        .sum();
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS n FROM org_unit_members"),
        dealt as i64
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM enrollments e JOIN org_units o ON o.id = e.org_unit_id WHERE o.type_id IN (4, 6)"
        ),
        0
    );
    // And forward again: the same members, with their course roles.
    match &mut *conn {
        d2l_groups::db::DbConnection::Sqlite(c) => {
            c.run_pending_migrations(d2l_groups::db::SQLITE_MIGRATIONS)
                .expect("up");
        }
        d2l_groups::db::DbConnection::Pg(c) => {
            c.run_pending_migrations(d2l_groups::db::POSTGRES_MIGRATIONS)
                .expect("up");
        }
    }
    drop(conn);
    // What the server remembered is forgotten by its watcher; ask fresh through new paths.
    let mut after = Vec::new();
    for (unit, _) in w.sections.iter().chain(&w.groups) {
        let url = app.lp(&format!(
            "/enrollments/orgUnits/{unit}/users/?isActive=true"
        ));
        after.push(class_list(&json_ok(app.get(&url, &app.admin).await).await));
    }
    assert_eq!(after, before);
}

#[actix_web::test]
async fn myenrollments_filters_by_access_and_by_a_date_window() {
    let app = spawn_app().await;
    let learner = app.create_user("mem-9.l", "Student").await;
    let course = |code: &'static str, start: Value, end: Value| {
        let mut body = course_body(code);
        body["StartDate"] = start;
        body["EndDate"] = end;
        body
    };
    let mut made = Vec::new();
    for body in [
        course("MEM-9-OPEN", Value::Null, Value::Null),
        course(
            "MEM-9-PAST",
            json!("2019-01-01T00:00:00.000Z"),
            json!("2020-01-01T00:00:00.000Z"),
        ),
        course("MEM-9-NEXT", json!("2040-01-01T00:00:00.000Z"), Value::Null),
    ] {
        let v = json_ok(app.post(&app.lp("/courses/"), &app.admin, &body).await).await;
        let id: i64 = v["Identifier"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("id");
        app.enroll(learner, id, "Student").await;
        made.push(id);
    }
    let (open, past, next) = (made[0], made[1], made[2]);
    let token = app.token_for("mem-9.l", "enrollment:own_enrollment:read");
    let listed = |query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let url = app.lp(&format!(
                "/enrollments/myenrollments/?orgUnitTypeId=3&{query}"
            ));
            let v = json_ok(app.get(&url, &token).await).await;
            units(&v).into_iter().map(|(id, _)| id).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("canAccess=true").await, vec![open]);
    assert_eq!(listed("canAccess=false").await, vec![past, next]);
    assert_eq!(
        listed("startDateTime=2025-01-01T00:00:00.000Z").await,
        vec![open, next]
    );
    assert_eq!(
        listed("endDateTime=2030-01-01T00:00:00.000Z").await,
        vec![open, past]
    );
    assert_eq!(
        listed("startDateTime=2025-01-01T00:00:00.000Z&endDateTime=2030-01-01T00:00:00.000Z").await,
        vec![open]
    );
    let url = app.lp("/enrollments/myenrollments/?startDateTime=yesterday");
    let detail = problem(app.get(&url, &token).await, 400).await;
    assert!(detail.starts_with("startDateTime: "), "{detail}");
}

/// The (id, type id) of each OrgUnit of an orgstructure array.
fn org_units_of(v: &Value) -> Vec<(i64, i64)> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|u| {
            let id = u["Identifier"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("Identifier");
            (id, u["Type"]["Id"].as_i64().expect("Type.Id"))
        })
        .collect()
}

#[actix_web::test]
async fn an_instructor_finds_the_sections_and_groups_through_orgstructure() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-10", 2).await;
    member(&app, w.course, "mem-10.teacher", "Instructor").await;
    let teacher = app.token_for("mem-10.teacher", ALL);
    let mut sections: Vec<(i64, i64)> = w.sections.iter().map(|(id, _)| (*id, 4)).collect();
    let mut groups: Vec<(i64, i64)> = w.groups.iter().map(|(id, _)| (*id, 6)).collect();
    sections.sort();
    groups.sort();
    for (route, type_id, expected) in [
        ("descendants", 4, &sections),
        ("descendants", 6, &groups),
        ("children", 4, &sections),
        ("children", 6, &groups),
    ] {
        let url = app.lp(&format!(
            "/orgstructure/{}/{route}/?ouTypeId={type_id}",
            w.course
        ));
        let res = app.get(&url, &teacher).await;
        assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
        assert_eq!(&org_units_of(&json_ok(res).await), expected, "{url}");
    }
    // From a group up: its course, then the root.
    let group = w.groups[0].0;
    let parents = json_ok(
        app.get(
            &app.lp(&format!("/orgstructure/{group}/parents/")),
            &teacher,
        )
        .await,
    )
    .await;
    assert_eq!(org_units_of(&parents), vec![(w.course, 3)]);
    // And what it finds, the enrollment routes list the members of.
    for (unit, members) in w.sections.iter().chain(&w.groups) {
        let listed = class_list(
            &json_ok(
                app.get(
                    &app.lp(&format!("/enrollments/orgUnits/{unit}/users/")),
                    &teacher,
                )
                .await,
            )
            .await,
        );
        assert_eq!(
            listed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            *members
        );
    }
}

#[actix_web::test]
async fn the_le_classlist_of_a_section_or_group_lists_its_members() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-11", 4).await;
    member(&app, w.course, "mem-11.teacher", "Instructor").await;
    let teacher = app.token_for("mem-11.teacher", ALL);
    for (unit, members) in w.sections.iter().chain(&w.groups) {
        let url = app.url(&format!("/d2l/api/le/1.99/{unit}/classlist/"));
        let res = app.get(&url, &teacher).await;
        assert_eq!(header(&res, "content-type").as_deref(), Some(JSON_TYPE));
        let listed = json_ok(res).await;
        let ids: Vec<i64> = listed
            .as_array()
            .expect("array")
            .iter()
            .map(|u| {
                u["Identifier"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("Identifier")
            })
            .collect();
        assert_eq!(&ids, members, "{url}");
        for user in listed.as_array().expect("array") {
            assert_eq!(user["ClasslistRoleDisplayName"], "Student", "{user}");
        }
        let paged = json_ok(
            app.get(
                &app.url(&format!("/d2l/api/le/1.99/{unit}/classlist/paged/")),
                &teacher,
            )
            .await,
        )
        .await;
        assert_eq!(
            paged["Objects"].as_array().map(Vec::len),
            Some(members.len())
        );
        assert_eq!(paged["Next"], Value::Null);
    }
    // A member of one group sees their group's classlist (the learner's view), not another's.
    let learner = w.learners[0];
    let group = group_of(&w, learner);
    let other = w
        .groups
        .iter()
        .map(|(id, _)| *id)
        .find(|id| *id != group)
        .expect("two groups");
    let token = app.token_for("mem-11.l00", "enrollment:orgunit:read");
    json_ok(
        app.get(
            &app.url(&format!("/d2l/api/le/1.99/{group}/classlist/")),
            &token,
        )
        .await,
    )
    .await;
    problem(
        app.get(
            &app.url(&format!("/d2l/api/le/1.99/{other}/classlist/")),
            &token,
        )
        .await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn concurrent_memberships_through_both_routes_land_once_each() {
    let app = spawn_app().await;
    let w = world(&app, "MEM-12", 2).await;
    let student = app.role_id("Student").await;
    let mut late = Vec::new();
    for i in 0..12 {
        late.push(member(&app, w.course, &format!("mem-12.late{i:02}"), "Student").await);
    }
    let group = w.groups[0].0;
    let by_group_route = app.lp(&format!(
        "/{}/groupcategories/{}/groups/{group}/enrollments/",
        w.course, w.category
    ));
    // Every late learner joins twice at once, once through each route.
    let calls = late.iter().flat_map(|user| {
        let user = *user;
        let generic = json!({"OrgUnitId": group, "UserId": user, "RoleId": student});
        let app = &app;
        let by_group_route = by_group_route.clone();
        [
            Box::pin(async move {
                app.post(&app.lp("/enrollments/"), &app.admin, &generic)
                    .await
            })
                as std::pin::Pin<Box<dyn std::future::Future<Output = reqwest::Response>>>,
            Box::pin(async move {
                app.post(&by_group_route, &app.admin, &json!({"UserId": user}))
                    .await
            }),
        ]
    });
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
    }
    let listed = members_by_enrollment_route(&app, group).await;
    let mut expected: Vec<(i64, String)> = w.groups[0]
        .1
        .iter()
        .chain(&late)
        .map(|id| (*id, "Student".to_string()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(member_rows(&app, group), expected.len() as i64);
}
