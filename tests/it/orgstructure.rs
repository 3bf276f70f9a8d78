//! The orgstructure routes (`/orgstructure/...`) and the org-unit types (`/outypes/...`):
//! shapes, type filters, paging, permissions, tenant isolation, and the migration that grants
//! orgunits.read to existing roles.

use std::time::{Duration, Instant};

use crate::common;
use common::*;

use d2l_groups::schema::{oauth_clients, org_units, role_permissions};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

const ORG_UNIT_KEYS: &[&str] = &["Identifier", "Name", "Code", "Path", "Type"];
const TYPE_INFO_KEYS: &[&str] = &["Id", "Code", "Name"];
const OUTYPE_KEYS: &[&str] = &[
    "Id",
    "Code",
    "Name",
    "Description",
    "SortOrder",
    "Permissions",
];
const PAGED_KEYS: &[&str] = &["PagingInfo", "Items"];
const PAGING_KEYS: &[&str] = &["Bookmark", "HasMoreItems"];
const SCOPE: &str = "organizations:organization:read";

fn os(app: &TestApp, rest: &str) -> String {
    app.lp(&format!("/orgstructure{rest}"))
}

/// Asserts an OrgUnit (or OrgUnitProperties) and answers (id, type id).
fn assert_org_unit(v: &Value) -> (i64, i64) {
    assert_keys(v, ORG_UNIT_KEYS);
    assert_keys(&v["Type"], TYPE_INFO_KEYS);
    let id = v["Identifier"]
        .as_str()
        .unwrap_or_else(|| panic!("Identifier is a string: {v}"))
        .parse()
        .expect("numeric Identifier");
    assert!(v["Name"].is_string() && v["Path"].is_string(), "{v}");
    assert!(v["Code"].is_string() || v["Code"].is_null(), "{v}");
    assert_eq!(v["Type"]["Code"], v["Type"]["Name"], "{v}");
    (id, v["Type"]["Id"].as_i64().expect("Type.Id"))
}

/// The (id, type id) of each OrgUnit of a JSON array, asserting the shapes.
fn units(v: &Value) -> Vec<(i64, i64)> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(assert_org_unit)
        .collect()
}

/// The items of a PagedResultSet (shapes asserted), its bookmark and its more flag.
fn paged(v: &Value) -> (Vec<(i64, i64)>, Option<String>, bool) {
    assert_keys(v, PAGED_KEYS);
    assert_keys(&v["PagingInfo"], PAGING_KEYS);
    let bookmark = v["PagingInfo"]["Bookmark"].as_str().map(str::to_string);
    let more = v["PagingInfo"]["HasMoreItems"]
        .as_bool()
        .expect("HasMoreItems");
    (units(&v["Items"]), bookmark, more)
}

fn ids_of(units: &[(i64, i64)]) -> Vec<i64> {
    units.iter().map(|(id, _)| *id).collect()
}

/// Creates a group category of `n` empty groups in `course` and waits for its job; answers
/// the groups' ids.
async fn groups(app: &TestApp, course: i64, name: &str, n: i64) -> Vec<i64> {
    let form = category_form(name, json!(0), json!({"NumberOfGroups": n}));
    let url = app.lp(&format!("/{course}/groupcategories/"));
    let job = json_typed(app.post(&url, &app.admin, &form).await, 202).await;
    let cat = job["CategoryId"].as_i64().expect("CategoryId");
    let start = Instant::now();
    loop {
        let status = json_ok(
            app.get(
                &app.lp(&format!("/{course}/groupcategories/{cat}/status")),
                &app.admin,
            )
            .await,
        )
        .await;
        if status["Status"] == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "job never done");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let list = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/{cat}/groups/")),
            &app.admin,
        )
        .await,
    )
    .await;
    list.as_array()
        .expect("groups")
        .iter()
        .map(|g| g["GroupId"].as_i64().expect("GroupId"))
        .collect()
}

/// The section ids of a dealt section list.
fn section_ids(sections: &[Value]) -> Vec<i64> {
    sections
        .iter()
        .map(|s| s["SectionId"].as_i64().expect("SectionId"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One org unit

#[actix_web::test]
async fn an_org_unit_answers_its_properties() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;

    let v = json_ok(app.get(&os(&app, &format!("/{course}")), &app.admin).await).await;
    assert_eq!(assert_org_unit(&v), (course, 3));
    assert_eq!(
        v,
        json!({"Identifier": course.to_string(), "Name": "Course BIO-101", "Code": "BIO-101",
               "Path": "", "Type": {"Id": 3, "Code": "Course Offering", "Name": "Course Offering"}})
    );
    let root = json_ok(app.get(&os(&app, &format!("/{ROOT}/")), &app.admin).await).await;
    assert_eq!(assert_org_unit(&root), (ROOT, 1));
    assert_eq!(root["Type"]["Name"], "Organization");

    let sections = deal_sections(&app, course, 1).await;
    let section = section_ids(&sections)[0];
    let v = json_ok(app.get(&os(&app, &format!("/{section}")), &app.admin).await).await;
    assert_eq!(assert_org_unit(&v), (section, 4));
    assert_eq!(
        v["Type"],
        json!({"Id": 4, "Code": "Section", "Name": "Section"})
    );
    assert_eq!(v["Code"], sections[0]["Code"]);

    let missing = problem(app.get(&os(&app, "/987654"), &app.admin).await, 404).await;
    assert!(missing.contains("987654"), "{missing}");
}

// ---------------------------------------------------------------------------------------------
// Children, descendants, parents, ancestors

#[actix_web::test]
async fn children_of_a_course_are_its_sections_and_groups_filtered_by_type() {
    let app = spawn_app().await;
    let course = app.create_course("BIO-101").await;
    let sections = section_ids(&deal_sections(&app, course, 2).await);
    let groups = groups(&app, course, "Teams", 2).await;

    let all = units(
        &json_ok(
            app.get(&os(&app, &format!("/{course}/children/")), &app.admin)
                .await,
        )
        .await,
    );
    let mut expected: Vec<(i64, i64)> = sections.iter().map(|s| (*s, 4)).collect();
    expected.extend(groups.iter().map(|g| (*g, 6)));
    expected.sort_unstable();
    assert_eq!(all, expected, "sorted by id, both types");

    let only = |type_id: i64| {
        let url = os(
            &app,
            &format!("/{course}/children/?ouTypeId={type_id}&pageSize=200"),
        );
        let app = &app;
        async move { units(&json_ok(app.get(&url, &app.admin).await).await) }
    };
    assert_eq!(ids_of(&only(4).await), sections);
    assert_eq!(ids_of(&only(6).await), groups);
    assert!(only(3).await.is_empty());
    // The parameter's name in any case; a malformed id is 400 naming it.
    let v = json_ok(
        app.get(
            &os(&app, &format!("/{course}/children/?OUTYPEID=6")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(ids_of(&units(&v)), groups);
    let detail = problem(
        app.get(
            &os(&app, &format!("/{course}/children/?ouTypeId=x")),
            &app.admin,
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("ouTypeId"), "{detail}");

    // Descendants of the course are the same units; a section has none.
    let below = units(
        &json_ok(
            app.get(&os(&app, &format!("/{course}/descendants/")), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!(below, expected);
    let v = json_ok(
        app.get(
            &os(&app, &format!("/{}/children/", sections[0])),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(v, json!([]));
}

#[actix_web::test]
async fn descendants_of_the_root_reach_every_level() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let bio = app.create_course("BIO-101").await;
    let chem = app.create_course("CHEM-101").await;
    let sections = section_ids(&deal_sections(&app, bio, 2).await);

    let courses = units(
        &json_ok(
            app.get(
                &os(&app, &format!("/{ROOT}/descendants/?ouTypeId=3")),
                &app.admin,
            )
            .await,
        )
        .await,
    );
    assert_eq!(courses, vec![(bio, 3), (chem, 3)]);
    let secs = units(
        &json_ok(
            app.get(
                &os(&app, &format!("/{ROOT}/descendants/?ouTypeId=4")),
                &app.admin,
            )
            .await,
        )
        .await,
    );
    assert_eq!(ids_of(&secs), sections, "two levels down");
    let all = units(
        &json_ok(
            app.get(&os(&app, &format!("/{ROOT}/descendants/")), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!(
        ids_of(&all),
        sorted(vec![bio, chem, sections[0], sections[1]])
    );
    // Children of the root are only the courses.
    let children = units(
        &json_ok(
            app.get(&os(&app, &format!("/{ROOT}/children/")), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!(children, vec![(bio, 3), (chem, 3)]);
}

#[actix_web::test]
async fn parents_and_ancestors_go_up_by_id() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    let section = section_ids(&deal_sections(&app, course, 1).await)[0];

    let get = |rest: String| {
        let app = &app;
        async move { units(&json_ok(app.get(&os(app, &rest), &app.admin).await).await) }
    };
    assert_eq!(get(format!("/{section}/parents/")).await, vec![(course, 3)]);
    assert_eq!(get(format!("/{section}/parents/?ouTypeId=1")).await, vec![]);
    assert_eq!(
        get(format!("/{section}/ancestors/")).await,
        vec![(ROOT, 1), (course, 3)]
    );
    assert_eq!(
        get(format!("/{section}/ancestors/?ouTypeId=1")).await,
        vec![(ROOT, 1)]
    );
    assert_eq!(get(format!("/{course}/parents/")).await, vec![(ROOT, 1)]);
    assert_eq!(get(format!("/{ROOT}/parents/")).await, vec![]);
    assert_eq!(get(format!("/{ROOT}/ancestors/")).await, vec![]);
}

// ---------------------------------------------------------------------------------------------
// Paging and search

#[actix_web::test]
async fn paged_lists_follow_their_bookmarks() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    let sections = section_ids(&deal_sections(&app, course, 101).await);
    assert_eq!(sections.len(), 101);

    for route in ["children", "descendants"] {
        let first = json_ok(
            app.get(
                &os(&app, &format!("/{course}/{route}/paged/?ouTypeId=4")),
                &app.admin,
            )
            .await,
        )
        .await;
        let (items, bookmark, more) = paged(&first);
        assert_eq!(ids_of(&items), sections[..100].to_vec(), "{route}");
        assert!(more, "{route}");
        assert_eq!(
            bookmark,
            Some(sections[99].to_string()),
            "the last id: {route}"
        );
        let url = os(
            &app,
            &format!(
                "/{course}/{route}/paged/?ouTypeId=4&bookmark={}",
                sections[99]
            ),
        );
        let (items, bookmark, more) = paged(&json_ok(app.get(&url, &app.admin).await).await);
        assert_eq!(ids_of(&items), vec![sections[100]], "{route}");
        assert!(!more, "{route}");
        assert_eq!(
            bookmark,
            Some(sections[100].to_string()),
            "present on the last page: {route}"
        );
    }
    // The root's descendants, paged, filtered to sections, two levels down.
    let (items, _, more) = paged(
        &json_ok(
            app.get(
                &os(&app, &format!("/{ROOT}/descendants/paged/?ouTypeId=4")),
                &app.admin,
            )
            .await,
        )
        .await,
    );
    assert_eq!((items.len(), more), (100, true));
    // An empty page answers a null bookmark; a bookmark we never issued is 400.
    let empty = json_ok(
        app.get(
            &os(&app, &format!("/{course}/children/paged/?ouTypeId=6")),
            &app.admin,
        )
        .await,
    )
    .await;
    assert_eq!(
        empty,
        json!({"PagingInfo": {"Bookmark": null, "HasMoreItems": false}, "Items": []})
    );
    let detail = problem(
        app.get(
            &os(&app, &format!("/{course}/children/paged/?bookmark=abc")),
            &app.admin,
        )
        .await,
        400,
    )
    .await;
    assert!(detail.contains("bookmark"), "{detail}");

    // The search pages the same way; `Bookmark=null` (capitalized, D2L's own tools) is the
    // first page.
    let (items, bookmark, more) = paged(
        &json_ok(
            app.get(&os(&app, "/?OrgUnitType=4&Bookmark=null"), &app.admin)
                .await,
        )
        .await,
    );
    assert_eq!((ids_of(&items), more), (sections[..100].to_vec(), true));
    let url = os(
        &app,
        &format!("/?orgUnitType=4&bookmark={}", bookmark.expect("bookmark")),
    );
    let (items, _, more) = paged(&json_ok(app.get(&url, &app.admin).await).await);
    assert_eq!((ids_of(&items), more), (vec![sections[100]], false));
}

#[actix_web::test]
async fn the_search_filters_by_type_code_and_name() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let bio = app.create_course("BIO-101").await;
    let bio2 = app.create_course("BIO-201").await;
    let chem = app.create_course("CHEM_101").await;
    let search = |query: &str| {
        let url = os(&app, &format!("/?{query}"));
        let app = &app;
        async move {
            let (items, _, more) = paged(&json_ok(app.get(&url, &app.admin).await).await);
            assert!(!more);
            ids_of(&items)
        }
    };
    assert_eq!(search("orgUnitType=3").await, vec![bio, bio2, chem]);
    assert_eq!(
        search("").await,
        vec![ROOT, bio, bio2, chem],
        "every org unit"
    );
    assert_eq!(search("orgUnitType=1").await, vec![ROOT]);
    assert_eq!(
        search("orgUnitCode=bio").await,
        vec![bio, bio2],
        "part of the code, any case"
    );
    assert_eq!(search("orgUnitCode=101").await, vec![bio, chem]);
    assert_eq!(
        search("orgUnitCode=M_1").await,
        vec![chem],
        "_ is no wildcard"
    );
    assert_eq!(
        search("orgUnitCode=%25").await,
        Vec::<i64>::new(),
        "% is no wildcard"
    );
    assert_eq!(search("exactOrgUnitCode=bio-101").await, vec![bio]);
    assert_eq!(search("exactOrgUnitCode=BIO-10").await, Vec::<i64>::new());
    assert_eq!(search("orgUnitName=course%20bio").await, vec![bio, bio2]);
    assert_eq!(
        search("exactOrgUnitName=Course%20CHEM_101").await,
        vec![chem]
    );
    assert_eq!(
        search("ORGUNITTYPE=3&orgunitcode=BIO&exactorgunitname=course%20bio-201").await,
        vec![bio2]
    );
    let v = json_ok(
        app.get(&os(&app, "/?exactOrgUnitCode=BIO-101"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(
        v["Items"][0]["Type"],
        json!({"Id": 3, "Code": "Course Offering", "Name": "Course Offering"})
    );
    assert_eq!(
        v["PagingInfo"],
        json!({"Bookmark": bio.to_string(), "HasMoreItems": false})
    );
}

// ---------------------------------------------------------------------------------------------
// Who may read

#[actix_web::test]
async fn instructors_read_their_course_learners_get_403_and_the_root_is_admin_only() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    let sections = section_ids(&deal_sections(&app, course, 2).await);
    member(&app, course, "teacher", "Instructor").await;
    member(&app, course, "assistant", "Teaching Assistant").await;
    member(&app, course, "learner", "Student").await;

    for who in ["teacher", "assistant"] {
        let token = app.token_for(who, SCOPE);
        let v = json_ok(
            app.get(
                &os(&app, &format!("/{course}/children/?ouTypeId=4")),
                &token,
            )
            .await,
        )
        .await;
        assert_eq!(ids_of(&units(&v)), sections, "{who}");
        json_ok(app.get(&os(&app, &format!("/{course}")), &token).await).await;
        json_ok(
            app.get(&os(&app, &format!("/{course}/ancestors/")), &token)
                .await,
        )
        .await;
        // Their role at the root grants nothing institution-wide.
        let detail = problem(
            app.get(&os(&app, &format!("/{ROOT}/descendants/")), &token)
                .await,
            403,
        )
        .await;
        assert!(detail.contains("orgunits.read"), "{detail}");
        problem(app.get(&os(&app, "/?orgUnitType=3"), &token).await, 403).await;
    }
    let learner = app.token_for("learner", SCOPE);
    for rest in [
        format!("/{course}"),
        format!("/{course}/children/"),
        format!("/{course}/children/paged/"),
        format!("/{course}/descendants/"),
        format!("/{course}/descendants/paged/"),
        format!("/{course}/parents/"),
        format!("/{course}/ancestors/"),
    ] {
        let detail = problem(app.get(&os(&app, &rest), &learner).await, 403).await;
        assert!(detail.contains("orgunits.read"), "{rest}: {detail}");
    }
    // The scope is required; `core:*:*` is the catch-all.
    let unscoped = app.token_for("teacher", "enrollment:orgunit:read");
    let detail = problem(
        app.get(&os(&app, &format!("/{course}")), &unscoped).await,
        403,
    )
    .await;
    assert!(detail.starts_with("Insufficient scope to call"), "{detail}");
    let core = app.token_for("teacher", "core:*:*");
    json_ok(app.get(&os(&app, &format!("/{course}")), &core).await).await;
}

/// The default institution's admin on another institution's root org unit.
fn root_of(app: &TestApp, institution: i64) -> i64 {
    app.state
        .db
        .read_sync(|conn| {
            Ok(org_units::table
                .filter(org_units::institution_id.eq(institution))
                .filter(org_units::parent_id.is_null())
                .select(org_units::id)
                .first::<i64>(conn)?)
        })
        .expect("root")
}

#[actix_web::test]
async fn another_institutions_org_units_are_not_found() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let other = add_institution(&app, "OTHER", "Other University");
    let their_root = root_of(&app, other);
    let mine = app.create_course("BIO-101").await;
    for rest in [
        format!("/{their_root}"),
        format!("/{their_root}/children/"),
        format!("/{their_root}/descendants/paged/"),
        format!("/{their_root}/parents/"),
        format!("/{their_root}/ancestors/"),
    ] {
        problem(app.get(&os(&app, &rest), &app.admin).await, 404).await;
    }
    // Neither their units nor ours leak into the other's lists.
    let v = json_ok(app.get(&os(&app, "/"), &app.admin).await).await;
    assert_eq!(ids_of(&paged(&v).0), vec![ROOT, mine]);
    let theirs = mint_in(&app.state, "OTHER", "admin", SCOPE, 600);
    let v = json_ok(
        app.get(&os(&app, &format!("/{their_root}/descendants/")), &theirs)
            .await,
    )
    .await;
    assert_eq!(v, json!([]));
    problem(app.get(&os(&app, &format!("/{mine}")), &theirs).await, 404).await;
}

// ---------------------------------------------------------------------------------------------
// Org-unit types

#[actix_web::test]
async fn outypes_list_every_type_we_number() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let v = json_ok(app.get(&app.lp("/outypes/"), &app.admin).await).await;
    let types = v.as_array().expect("array");
    for t in types {
        assert_keys(t, OUTYPE_KEYS);
        assert_keys(&t["Permissions"], &["CanEdit", "CanDelete"]);
        assert_eq!(
            t["Permissions"],
            json!({"CanEdit": false, "CanDelete": false}),
            "{t}"
        );
        assert_eq!(t["Description"], "", "{t}");
        assert_eq!(t["Code"], t["Name"], "{t}");
        assert!(t["SortOrder"].is_i64(), "{t}");
    }
    let listed: Vec<(i64, &str)> = types
        .iter()
        .map(|t| {
            (
                t["Id"].as_i64().expect("Id"),
                t["Name"].as_str().expect("Name"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (1, "Organization"),
            (2, "Course Template"),
            (3, "Course Offering"),
            (4, "Section"),
            (5, "Semester"),
            (6, "Group"),
            (203, "Department"),
        ]
    );
    let department = json_ok(app.get(&app.lp("/outypes/department"), &app.admin).await).await;
    assert_eq!(
        department,
        json!({"Id": 203, "Code": "Department", "Name": "Department", "Description": "",
               "SortOrder": 2, "Permissions": {"CanEdit": false, "CanDelete": false}})
    );
    assert_eq!(
        json_ok(app.get(&app.lp("/outypes/203"), &app.admin).await).await,
        department
    );
    let semester = json_ok(app.get(&app.lp("/outypes/semester/"), &app.admin).await).await;
    assert_eq!(
        (semester["Id"].as_i64(), semester["Name"].as_str()),
        (Some(5), Some("Semester"))
    );
    let group = json_ok(app.get(&app.lp("/outypes/6"), &app.admin).await).await;
    assert_eq!(group["Name"], "Group");
    for unknown in ["7", "999", "abc", "04"] {
        problem(
            app.get(&app.lp(&format!("/outypes/{unknown}")), &app.admin)
                .await,
            404,
        )
        .await;
    }
    // Fixed data: any caller with the scope reads it, a learner too; without it, 403.
    let learner_id = app.create_user("learner", "Student").await;
    assert!(learner_id > 0);
    let learner = app.token_for("learner", SCOPE);
    assert_eq!(
        json_ok(app.get(&app.lp("/outypes/"), &learner).await).await,
        v
    );
    let unscoped = app.token_for("learner", "enrollment:orgunit:read");
    problem(app.get(&app.lp("/outypes/"), &unscoped).await, 403).await;
    // Every OrgUnit answered names one of these types.
    let course = app.create_course("BIO-101").await;
    let c = json_ok(app.get(&os(&app, &format!("/{course}")), &app.admin).await).await;
    assert!(listed
        .iter()
        .any(|(id, name)| c["Type"]["Id"] == *id && c["Type"]["Name"] == *name));
}

// ---------------------------------------------------------------------------------------------
// The migration that grants orgunits.read to the roles of an existing database

#[actix_web::test]
async fn the_migration_grants_orgunits_read_to_every_role_reading_enrollments() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    member(&app, course, "teacher", "Instructor").await;
    member(&app, course, "learner", "Student").await;
    // The same statements on both backends.
    let up = include_str!("../../migrations/sqlite/2026-12-01-220000_org_units_read/up.sql");
    assert_eq!(
        up,
        include_str!("../../migrations/postgres/2026-12-01-220000_org_units_read/up.sql")
    );
    let holders = |app: &TestApp| {
        app.state
            .db
            .read_sync(|conn| {
                Ok(role_permissions::table
                    .filter(role_permissions::permission.eq("orgunits.read"))
                    .count()
                    .get_result::<i64>(conn)?)
            })
            .expect("count")
    };
    // Administrator, Instructor, Teaching Assistant.
    assert_eq!(holders(&app), 3);
    // A database from before the permission existed.
    app.state
        .db
        .write_sync(|conn| {
            diesel::delete(
                role_permissions::table.filter(role_permissions::permission.eq("orgunits.read")),
            )
            .execute(conn)?;
            Ok(())
        })
        .expect("strip");
    let teacher = app.token_for("teacher", SCOPE);
    let learner = app.token_for("learner", SCOPE);
    let url = os(&app, &format!("/{course}/children/"));
    problem(app.get(&url, &teacher).await, 403).await;
    problem(app.get(&url, &app.admin).await, 403).await;

    app.state
        .db
        .write_sync(|conn| Ok(conn.batch_execute(up)?))
        .expect("migrate");
    assert_eq!(holders(&app), 3);
    json_ok(app.get(&url, &teacher).await).await;
    json_ok(app.get(&url, &app.admin).await).await;
    problem(app.get(&url, &learner).await, 403).await;
    // Twice is harmless.
    app.state
        .db
        .write_sync(|conn| Ok(conn.batch_execute(up)?))
        .expect("migrate again");
    assert_eq!(holders(&app), 3);
}

#[actix_web::test]
async fn the_lms_integration_role_reads_the_org_structure() {
    let app = spawn_app_with(|s| s.job_worker = false).await;
    let course = app.create_course("BIO-101").await;
    let institutions = json_ok(app.get(&app.url("/api/v2/institution/"), &app.admin).await).await;
    let institution = institutions["results"][0]["id"].as_i64().expect("id");
    let body = json!({"type": 1, "lti": {"version": "1.3"}, "name": "Moodle", "url": "https://lms.example.edu"});
    let res = app
        .post(
            &app.url(&format!("/api/v2/institution/{institution}/vle/")),
            &app.admin,
            &body,
        )
        .await;
    let vle = json_status(res, 201).await;
    // The VLE's own client-credentials token: its registered scope takes the orgstructure
    // routes, and its service user's LMS Integration role (at the root, cascading) reads them.
    let client_id = vle["client_id"].as_str().expect("client_id").to_string();
    let secret = vle["credentials"]
        .as_str()
        .expect("credentials")
        .to_string();
    let vle_token = || async {
        let res = token_request(
            &app,
            &[("grant_type", "client_credentials")],
            Some((client_id.as_str(), secret.as_str())),
        )
        .await;
        let granted = json_ok(res).await;
        granted["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    };
    // A VLE registered before: its default scope lacked `organizations`, and the migration
    // gives it.
    let id = client_id.clone();
    app.state
        .db
        .write_sync(move |conn| {
            diesel::update(oauth_clients::table.filter(oauth_clients::client_id.eq(&id)))
                .set(
                    oauth_clients::scope.eq(
                        "users:*:* orgunits:*:* enrollment:*:* role:*:* groups:*:* sections:*:*",
                    ),
                )
                .execute(conn)?;
            Ok(())
        })
        .expect("old scope");
    let old = vle_token().await;
    let descendants = os(&app, &format!("/{ROOT}/descendants/?ouTypeId=3"));
    problem(app.get(&descendants, &old).await, 403).await;
    let up = include_str!("../../migrations/sqlite/2026-12-01-220000_org_units_read/up.sql");
    app.state
        .db
        .write_sync(|conn| Ok(conn.batch_execute(up)?))
        .expect("migrate");
    let token = vle_token().await;
    let v = json_ok(
        app.get(
            &os(&app, &format!("/{ROOT}/descendants/?ouTypeId=3")),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(units(&v), vec![(course, 3)]);
    json_ok(app.get(&os(&app, "/?orgUnitType=3"), &token).await).await;
}
