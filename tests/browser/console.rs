//! The course administrators' console (`/console/`) in a browser: an instructor finds their
//! course and its class list, creates group categories of every style through the form and
//! watches them be made, moves a member between groups, exports and imports memberships as
//! CSV, initializes sections after a preview; a teaching assistant is refused a manage action.
//! Every page a person reaches is checked with axe-core and at a phone's width.

use std::time::{Duration, Instant};

use fantoccini::Locator;

use crate::common::*;
use crate::harness::*;

/// The status page of a category being created: reopened until it says the category is
/// ready (the page reloads itself every 2 seconds; a test does not wait for that), then
/// follows the link to the category.
async fn wait_until_ready(b: &Browser, name: &str) {
    let status = b.url().await.to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = b.text().await;
        if text.contains(&format!("“{name}” is ready.")) {
            break;
        }
        assert!(
            text.contains(&format!("“{name}” is being created")),
            "the status page says what is happening: {text}"
        );
        assert!(
            Instant::now() < deadline,
            "{name} still being created after 20 s: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.open(&status).await;
    }
    assert_notice(b, &format!("“{name}” is ready.")).await;
    b.follow_link(&format!("Open {name}")).await;
    assert_eq!(b.title().await, format!("{name} – d2l-groups console"));
}

/// Fails unless the page's status line (`role=status`) says `text`.
async fn assert_notice(b: &Browser, text: &str) {
    assert_eq!(
        b.message().await,
        Some(Message {
            role: "status".into(),
            text: text.into(),
        })
    );
}

/// Opens the create form of `course`, fills the name, picks `style` (its number) and fills
/// `fields` (labels and values; "on" ticks a checkbox), and submits it.
async fn submit_category_form(
    b: &Browser,
    app: &TestApp,
    course: i64,
    name: &str,
    style: &str,
    fields: &[(&str, &str)],
) {
    b.open(&app.url(&format!("/console/courses/{course}/categories/new")))
        .await;
    b.fill("Name", name).await;
    b.by_label("Enrollment style")
        .await
        .select_by_value(style)
        .await
        .unwrap_or_else(|e| panic!("choose style {style}: {e}"));
    for (label, value) in fields {
        if matches!(*label, "Opens" | "Closes") {
            // Typing into a date-time picker depends on the browser's locale: set its value.
            let field = serde_json::to_value(b.by_label(label).await).expect("element");
            b.script(
                "arguments[0].value = arguments[1]",
                vec![field, serde_json::json!(value)],
            )
            .await;
        } else if *value == "on" {
            b.set_checked(label, true).await;
        } else {
            b.fill(label, value).await;
        }
    }
    b.press_button("Create the category").await;
}

/// Creates a category through the form and waits until its page shows.
async fn create_category(
    b: &Browser,
    app: &TestApp,
    course: i64,
    name: &str,
    style: &str,
    fields: &[(&str, &str)],
) {
    submit_category_form(b, app, course, name, style, fields).await;
    wait_until_ready(b, name).await;
}

/// The text of the members' table of `group` on a category page (empty when it has none).
async fn members_of(b: &Browser, group: &str) -> String {
    let name = format!("Members of {group}");
    if b.count_role("region", &name).await == 0 {
        return String::new();
    }
    b.by_role("region", &name)
        .await
        .text()
        .await
        .expect("members' text")
}

/// Clicks the submit button of the form that holds `field`, and waits for the next page.
async fn submit_form_of(b: &Browser, field: &fantoccini::elements::Element) {
    let button = field
        .find(Locator::XPath("ancestor::form//button[@type='submit']"))
        .await
        .expect("the form's button");
    b.mark_page().await;
    button.click().await.expect("click the form's button");
    b.wait_for_new_page().await;
}

#[actix_web::test]
async fn an_instructor_finds_their_course_and_its_class_list() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-HOME").await;
        app.create_course("C-ELSE").await;
        member(&app, course, "teacher", "Instructor").await;
        learners(&app, course, "cb", 3).await;
        deal_sections(&app, course, 2).await;

        b.sign_in_as(&app, "teacher").await;
        b.open(&app.url("/console/")).await;
        assert_eq!(b.title().await, "Your courses – d2l-groups console");
        b.by_role("heading", "Your courses").await;
        let text = b.text().await;
        assert!(
            text.contains("The course offerings you are enrolled in."),
            "{text}"
        );
        assert!(text.contains("Signed in as teacher"), "{text}");
        assert!(!text.contains("C-ELSE"), "only their own courses: {text}");
        assert_accessible(&b, "console home").await;
        b.assert_fits_phone("console home").await;
        b.screenshot_for_docs("console-home").await;

        b.follow_link("Course C-HOME").await;
        assert_eq!(b.path().await, format!("/console/courses/{course}"));
        b.by_role("heading", "Class list").await;
        let list = b
            .by_role("region", "Class list")
            .await
            .text()
            .await
            .expect("class list");
        for who in [
            "Test cb00",
            "Test cb01",
            "Test cb02",
            "teacher",
            "Instructor",
        ] {
            assert!(list.contains(who), "{who} in {list}");
        }
        assert!(
            list.contains("Section 1") && list.contains("Section 2"),
            "{list}"
        );
        assert!(b.text().await.contains("Page 1 of 1 (4 members)"));
        assert_accessible(&b, "class list").await;
        b.assert_fits_phone("class list").await;
        b.screenshot_for_docs("console-class-list").await;

        // The search form narrows the list.
        b.fill("Search by name, user name or org-defined id", "CB01")
            .await;
        b.press_button("Search").await;
        assert!(b.text().await.contains("Page 1 of 1 (1 member)"));
        let list = b
            .by_role("region", "Class list")
            .await
            .text()
            .await
            .expect("class list");
        assert!(
            list.contains("Test cb01") && !list.contains("Test cb00"),
            "{list}"
        );
    })
    .await;
}

#[actix_web::test]
async fn a_teaching_assistant_is_refused_deleting_a_section_naming_the_permission() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-TA").await;
        member(&app, course, "ta", "Teaching Assistant").await;
        learners(&app, course, "tl", 2).await;
        deal_sections(&app, course, 2).await;

        b.sign_in_as(&app, "ta").await;
        b.open(&app.url(&format!("/console/courses/{course}/sections")))
            .await;
        assert_eq!(
            b.title().await,
            "Sections of Course C-TA – d2l-groups console"
        );
        // A TA may look: the sections and their members show.
        let members = b
            .by_role("region", "Members of Section 1")
            .await
            .text()
            .await
            .expect("members");
        assert!(members.contains("Test tl00"), "{members}");
        // The delete button sits behind its disclosure.
        b.by_text("Rename or delete Section 1")
            .await
            .click()
            .await
            .expect("open the disclosure");
        b.press_button("Delete Section 1 and its memberships").await;
        // Refused beside the page it came from, with the API's 403 and its reason.
        assert_eq!(
            b.title().await,
            "Sections of Course C-TA – d2l-groups console"
        );
        assert_eq!(
            b.message().await,
            Some(Message {
                role: "alert".into(),
                text: format!(
                    "Your role in org unit {course} lacks the permission sections.manage."
                ),
            })
        );
        assert_accessible(&b, "403 page").await;
        b.assert_fits_phone("403 page").await;
        // Nothing changed: the section is still there.
        b.open(&app.url(&format!("/console/courses/{course}/sections")))
            .await;
        b.by_role("region", "Members of Section 1").await;
    })
    .await;
}

#[actix_web::test]
async fn a_member_is_moved_between_two_groups_with_the_move_form() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-MOVE").await;
        member(&app, course, "teacher", "Instructor").await;
        learners(&app, course, "gl", 4).await;
        b.sign_in_as(&app, "teacher").await;
        create_category(&b, &app, course, "Pairs", "2", &[("Number of groups", "2")]).await;
        let one = members_of(&b, "Pairs 1").await;
        let two = members_of(&b, "Pairs 2").await;
        assert!(
            one.contains("Test gl00") && one.contains("Test gl02"),
            "{one}"
        );
        assert!(
            two.contains("Test gl01") && !two.contains("Test gl00"),
            "{two}"
        );

        b.choose("Group for Test gl00", "Pairs 2").await;
        let field = b.by_label("Group for Test gl00").await;
        submit_form_of(&b, &field).await;
        assert_notice(&b, "The member was moved.").await;
        let one = members_of(&b, "Pairs 1").await;
        let two = members_of(&b, "Pairs 2").await;
        assert!(
            !one.contains("Test gl00") && one.contains("Test gl02"),
            "{one}"
        );
        assert!(
            two.contains("Test gl00") && two.contains("Test gl01"),
            "{two}"
        );
        assert!(b.text().await.contains("3 members"));
        assert_accessible(&b, "category page after a move").await;
        b.assert_fits_phone("category page after a move").await;
    })
    .await;
}

/// The form's fields each enrollment style needs (labels as the form shows them).
const STYLES: [(&str, &[(&str, &str)]); 7] = [
    ("0", &[("Number of groups", "2")]),
    ("1", &[("Most people per group", "2")]),
    (
        "2",
        &[
            ("Number of groups", "2"),
            ("Place learners in random order", "on"),
        ],
    ),
    (
        "3",
        &[
            ("Most people per group", "3"),
            ("Closes", "2030-01-01T10:00"),
            ("Place the learners left over when it closes", "on"),
        ],
    ),
    (
        "4",
        &[("Number of groups", "2"), ("Opens", "2029-06-01T08:30")],
    ),
    (
        "5",
        &[
            ("Number of groups", "2"),
            ("Most people per group", "2"),
            ("Group name prefix (optional)", "Pod"),
        ],
    ),
    (
        "6",
        &[
            ("Show group descriptions to members", "on"),
            ("Place learners enrolled later automatically", "on"),
        ],
    ),
];

#[actix_web::test]
async fn a_category_of_every_style_is_created_through_the_form_and_shows_its_groups() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-CATS").await;
        member(&app, course, "teacher", "Instructor").await;
        learners(&app, course, "cl", 4).await;
        b.sign_in_as(&app, "teacher").await;

        // The form, then the form again with the API's refusal beside it.
        b.open(&app.url(&format!("/console/courses/{course}/categories/new")))
            .await;
        assert_eq!(
            b.title().await,
            "Create a group category – d2l-groups console"
        );
        assert_accessible(&b, "create form").await;
        b.assert_fits_phone("create form").await;
        b.screenshot_for_docs("console-create-category").await;
        submit_category_form(&b, &app, course, "No count", "0", &[]).await;
        let refusal = b.message().await.expect("a message");
        assert_eq!(refusal.role, "alert", "{refusal:?}");
        assert!(
            refusal.text.contains("NumberOfGroups: required"),
            "{refusal:?}"
        );
        assert_eq!(b.value_of("Name").await, "No count", "the name is kept");
        assert_accessible(&b, "create form with an error").await;
        b.assert_fits_phone("create form with an error").await;

        for (style, fields) in STYLES {
            let name = format!("Style {style}");
            create_category(&b, &app, course, &name, style, fields).await;
            let text = b.text().await;
            match style {
                "0" | "4" => {
                    assert!(text.contains(&format!("{name} 2")), "two groups: {text}");
                    assert!(text.contains("0 members"), "no one placed: {text}");
                }
                "2" => {
                    assert!(text.contains(&format!("{name} 2")), "two groups: {text}");
                    assert!(text.contains("2 members"), "learners placed: {text}");
                }
                "5" => assert!(text.contains("Pod"), "named with the prefix: {text}"),
                "6" => {
                    for who in ["cl00", "cl01", "cl02", "cl03"] {
                        assert!(text.contains(who), "one group per learner: {text}");
                    }
                }
                _ => assert!(text.contains(&format!("{name} 1")), "{text}"),
            }
            assert!(
                text.contains("Enrollment style: "),
                "the style is shown: {text}"
            );
        }
        // The list names them all, ready.
        b.open(&app.url(&format!("/console/courses/{course}/categories")))
            .await;
        let list = b
            .by_role("region", "Group categories")
            .await
            .text()
            .await
            .expect("list");
        for (style, _) in STYLES {
            assert!(list.contains(&format!("Style {style}")), "{list}");
        }
        assert!(!list.contains("Being created"), "{list}");

        // The category page of the placed style, checked and pictured.
        b.follow_link("Style 2").await;
        assert_accessible(&b, "category page").await;
        b.assert_fits_phone("category page").await;
        b.screenshot_for_docs("console-category").await;
    })
    .await;
}

/// The groups of `category` as the API lists them: (id, name, code).
async fn groups_of(app: &TestApp, course: i64, category: i64) -> Vec<(i64, String, String)> {
    let groups = json_ok(
        app.get(
            &app.lp(&format!("/{course}/groupcategories/{category}/groups/")),
            &app.admin,
        )
        .await,
    )
    .await;
    groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["GroupId"].as_i64().expect("GroupId"),
                g["Name"].as_str().expect("Name").to_string(),
                g["Code"].as_str().expect("Code").to_string(),
            )
        })
        .collect()
}

/// The category whose page the browser shows.
async fn category_shown(b: &Browser) -> i64 {
    let url = b.url().await;
    url.path()
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a category page: {url}"))
}

#[actix_web::test]
async fn memberships_export_as_csv_and_import_by_pasting_after_a_preview() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-CSV").await;
        member(&app, course, "teacher", "Instructor").await;
        let ada = app.create_user("ada", "Student").await;
        app.enroll(ada, course, "Student").await;
        let bob = app.create_user("bob", "Student").await;
        app.enroll(bob, course, "Student").await;
        b.sign_in_as(&app, "teacher").await;
        create_category(&b, &app, course, "Teams", "0", &[("Number of groups", "2")]).await;
        let cat = category_shown(&b).await;
        let groups = groups_of(&app, course, cat).await;
        let (g1, name1, code1) = groups[0].clone();
        let (_, name2, code2) = groups[1].clone();
        app.post(
            &app.lp(&format!(
                "/{course}/groupcategories/{cat}/groups/{g1}/enrollments/"
            )),
            &app.admin,
            &serde_json::json!({"UserId": ada}),
        )
        .await;

        // The export link answers the memberships as CSV, to this browser's session.
        b.open(&app.url(&format!("/console/courses/{course}/categories/{cat}")))
            .await;
        assert!(members_of(&b, &name1).await.contains("Test ada"));
        let href = b
            .by_role("link", "Download the memberships (CSV)")
            .await
            .attr("href")
            .await
            .expect("href")
            .expect("the link has an address");
        let cookies: Vec<String> = b
            .client()
            .get_all_cookies()
            .await
            .expect("cookies")
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect();
        let res = reqwest::Client::new()
            .get(app.url(&href))
            .header(reqwest::header::COOKIE, cookies.join("; "))
            .send()
            .await
            .expect("the CSV");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()[reqwest::header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            res.text().await.expect("csv"),
            format!("OrgDefinedId,UserName,UserId,GroupCode\r\n,ada,{ada},{code1}\r\n")
        );

        // A pasted CSV with a row that names no one: the preview says why.
        b.follow_link("Import memberships from CSV").await;
        assert_accessible(&b, "import form").await;
        b.fill(
            "Or paste the CSV",
            &format!("UserName,GroupCode\nbob,{code2}\nnobody,{code2}\n"),
        )
        .await;
        b.press_button("Preview").await;
        let text = b.text().await;
        assert!(text.contains("2 rows: 1 accepted, 1 rejected."), "{text}");
        assert!(
            text.contains("Rejected: No user named \"nobody\"."),
            "{text}"
        );
        assert!(
            text.contains(&format!("Test bob will be added to group {code2}")),
            "{text}"
        );
        assert_accessible(&b, "import preview with a rejected row").await;
        b.assert_fits_phone("import preview with a rejected row")
            .await;

        // Only the good row: previewed, then applied.
        b.fill(
            "Or paste the CSV",
            &format!("UserName,GroupCode\nbob,{code2}\n"),
        )
        .await;
        b.press_button("Preview").await;
        let text = b.text().await;
        assert!(text.contains("1 rows: 1 accepted, 0 rejected."), "{text}");
        b.press_button("Apply the import").await;
        assert_notice(&b, "The import was applied.").await;
        assert!(members_of(&b, &name2).await.contains("Test bob"));
        assert!(members_of(&b, &name1).await.contains("Test ada"));
        assert_eq!(groups_of(&app, course, cat).await.len(), 2);
    })
    .await;
}

#[actix_web::test]
async fn sections_are_previewed_then_created() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-SECT").await;
        member(&app, course, "teacher", "Instructor").await;
        learners(&app, course, "sl", 4).await;
        b.sign_in_as(&app, "teacher").await;
        b.open(&app.url(&format!("/console/courses/{course}/sections")))
            .await;
        assert!(b.text().await.contains("This course has no sections yet."));
        assert_accessible(&b, "sections page, none yet").await;
        b.assert_fits_phone("sections page, none yet").await;

        b.choose("How to divide the learners", "Into a number of sections")
            .await;
        b.fill("Number (of sections, or of people per section)", "2")
            .await;
        b.press_button("Preview").await;
        assert_eq!(
            b.title().await,
            "Preview: create the sections – d2l-groups console"
        );
        let text = b.text().await;
        assert!(
            text.contains("2 sections would be created, with 4 learners dealt among them."),
            "{text}"
        );
        assert!(text.contains("Test sl00, Test sl02"), "{text}");
        assert_accessible(&b, "sections preview").await;
        b.assert_fits_phone("sections preview").await;

        b.press_button("Create these sections").await;
        assert_notice(&b, "The sections were created.").await;
        let one = b
            .by_role("region", "Members of Section 1")
            .await
            .text()
            .await
            .expect("members");
        assert!(
            one.contains("Test sl00") && one.contains("Test sl02"),
            "{one}"
        );
        assert!(!one.contains("Test sl01"), "{one}");
        assert_accessible(&b, "sections page").await;
        b.assert_fits_phone("sections page").await;
        b.screenshot_for_docs("console-sections").await;
    })
    .await;
}

/// A self-enrollment category of `course` (style 5: two groups of at most `cap`), made over
/// the API: its id and its groups' ids.
async fn choose_your_group(app: &TestApp, course: i64, name: &str, cap: i64) -> (i64, Vec<i64>) {
    let form = category_form(
        name,
        serde_json::json!(5),
        serde_json::json!({"NumberOfGroups": 2, "MaxUsersPerGroup": cap}),
    );
    category_ready(app, V, course, &form).await
}

/// The text of region `name` (a table's box), its cells and rows each one space apart.
async fn region_text(b: &Browser, name: &str) -> String {
    let text = b
        .by_role("region", name)
        .await
        .text()
        .await
        .expect("the region's text");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the groups' table of `category` on a learner's page.
async fn choices_of(b: &Browser, category: &str) -> String {
    region_text(b, &format!("Groups of {category}")).await
}

#[actix_web::test]
async fn a_learner_joins_and_leaves_a_group_and_is_refused_a_full_one() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-MINE").await;
        let ls = learners(&app, course, "ml", 3).await;
        let (cat, groups) = choose_your_group(&app, course, "Project teams", 2).await;
        let mine = format!("/console/courses/{course}/mygroups");

        b.sign_in_as(&app, "ml00").await;
        b.open(&app.url("/console/")).await;
        b.follow_link("Your groups in Course C-MINE").await;
        assert_eq!(b.path().await, mine);
        assert_eq!(
            b.title().await,
            "Your groups in Course C-MINE – d2l-groups console"
        );
        let text = b.text().await;
        assert!(text.contains("At most 2 members a group."), "{text}");
        let table = choices_of(&b, "Project teams").await;
        assert!(
            table.contains("Project teams 1 0 2 Join Project teams 1"),
            "no members, two free places: {table}"
        );
        assert_accessible(&b, "a learner's groups").await;
        b.assert_fits_phone("a learner's groups").await;

        b.press_button("Join Project teams 1").await;
        assert_eq!(b.path().await, format!("{mine}?done=joined"));
        assert_notice(&b, "You joined the group.").await;
        let table = choices_of(&b, "Project teams").await;
        assert!(
            table.contains("Project teams 1 (your group) 1 1 Leave Project teams 1"),
            "a member, one free place: {table}"
        );
        assert!(
            !table.contains("Join Project teams 2"),
            "one group per category: {table}"
        );
        assert_eq!(member_rows(&app, groups[0]), 1);
        // The API says the same: the learner is a member of the group.
        let group = json_ok(
            app.get(
                &app.lp(&format!(
                    "/{course}/groupcategories/{cat}/groups/{}",
                    groups[0]
                )),
                &app.admin,
            )
            .await,
        )
        .await;
        assert_eq!(group["Enrollments"], serde_json::json!([ls[0]]));
        assert_accessible(&b, "a learner's groups, joined").await;
        b.assert_fits_phone("a learner's groups, joined").await;
        b.screenshot_for_docs("console-mygroups").await;

        b.press_button("Leave Project teams 1").await;
        assert_notice(&b, "You left the group.").await;
        assert_eq!(member_rows(&app, groups[0]), 0);
        let table = choices_of(&b, "Project teams").await;
        assert!(table.contains("Join Project teams 2"), "{table}");

        // Group 2 fills up while the page is open: joining it is refused, and says why.
        for learner in &ls[1..] {
            app.post(
                &app.lp(&format!(
                    "/{course}/groupcategories/{cat}/groups/{}/enrollments/",
                    groups[1]
                )),
                &app.admin,
                &serde_json::json!({"UserId": learner}),
            )
            .await;
        }
        assert_eq!(member_rows(&app, groups[1]), 2);
        b.press_button("Join Project teams 2").await;
        assert_eq!(
            b.message().await,
            Some(Message {
                role: "alert".into(),
                text: format!("Group {} is full: it holds its 2 members.", groups[1]),
            })
        );
        let table = choices_of(&b, "Project teams").await;
        assert!(table.contains("Project teams 2 2 0 Full"), "{table}");
        assert_eq!(member_rows(&app, groups[1]), 2, "nothing changed");
        assert_accessible(&b, "a learner refused a full group").await;
        b.assert_fits_phone("a learner refused a full group").await;
    })
    .await;
}

/// Whether the focused element shows its focus: an outline at least 2 px wide.
async fn focus_visible(b: &Browser) -> bool {
    let seen = b
        .script(
            "const s = getComputedStyle(document.activeElement);
             return [s.outlineStyle, parseFloat(s.outlineWidth)];",
            vec![],
        )
        .await;
    seen[0].as_str() != Some("none") && seen[1].as_f64().unwrap_or(0.0) >= 2.0
}

/// Presses Tab from the top of the page until `wanted` has the focus (at most 20 times);
/// answers what the focus passed through on the way.
async fn tab_to(b: &Browser, wanted: &str) -> Vec<String> {
    b.focus_top().await;
    let mut seen = Vec::new();
    for _ in 0..20 {
        b.press(Key::Tab).await;
        let now = b.focused().await;
        seen.push(now.clone());
        if now == wanted {
            return seen;
        }
    }
    panic!("Tab never reached {wanted}: {seen:?}");
}

/// Reaches `wanted` with Tab alone ([`tab_to`]), sees that it shows its focus, and presses
/// Enter on it; answers what the focus passed through.
async fn press_by_keyboard(b: &Browser, wanted: &str) -> Vec<String> {
    let seen = tab_to(b, wanted).await;
    assert!(focus_visible(b).await, "{wanted} shows its focus");
    b.mark_page().await;
    b.press(Key::Enter).await;
    b.wait_for_new_page().await;
    seen
}

#[actix_web::test]
async fn a_learner_joins_and_leaves_a_group_by_keyboard_alone() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-KEYS").await;
        learners(&app, course, "kl", 1).await;
        let (_, groups) = choose_your_group(&app, course, "Pairs", 2).await;
        b.sign_in_as(&app, "kl00").await;
        b.open(&app.url(&format!("/console/courses/{course}/mygroups")))
            .await;

        // Tab, Tab, ...: the header, the breadcrumbs, the table's box, then the buttons.
        let seen = press_by_keyboard(&b, r#"button "Join Pairs 2""#).await;
        assert_eq!(seen[0], r#"a "Console""#, "{seen:?}");
        assert!(
            seen.contains(&r#"button "Join Pairs 1""#.to_string()),
            "{seen:?}"
        );
        assert_notice(&b, "You joined the group.").await;
        assert_eq!(member_rows(&app, groups[1]), 1);

        // And out again, the same way.
        press_by_keyboard(&b, r#"button "Leave Pairs 2""#).await;
        assert_notice(&b, "You left the group.").await;
        assert_eq!(member_rows(&app, groups[1]), 0);
    })
    .await;
}

#[actix_web::test]
async fn an_instructor_reads_the_membership_history_and_filters_it() {
    browser_test(|b| async move {
        let app = spawn_app().await;
        let course = app.create_course("C-HIST").await;
        member(&app, course, "teacher", "Instructor").await;
        learners(&app, course, "hl", 4).await;
        deal_sections(&app, course, 2).await;
        b.sign_in_as(&app, "teacher").await;
        // A change through the console: a category whose job places the learners, then a move.
        create_category(&b, &app, course, "Pairs", "2", &[("Number of groups", "2")]).await;
        b.choose("Group for Test hl00", "Pairs 2").await;
        let field = b.by_label("Group for Test hl00").await;
        submit_form_of(&b, &field).await;

        b.open(&app.url(&format!("/console/courses/{course}")))
            .await;
        b.follow_link("Membership history").await;
        assert_eq!(
            b.title().await,
            "Membership history of Course C-HIST – d2l-groups console"
        );
        let table = region_text(&b, "Membership changes").await;
        for seen in [
            "Added Test hl00 (hl00) Pairs 2 (group) Test teacher (teacher) Console",
            "Removed Test hl00 (hl00) Pairs 1 (group) Test teacher (teacher) Console",
            "Job",
            "API (client ",
        ] {
            assert!(table.contains(seen), "{seen} in {table}");
        }
        assert_accessible(&b, "membership history").await;
        b.assert_fits_phone("membership history").await;
        b.screenshot_for_docs("console-history").await;

        // Filtered: only the console's changes of hl00.
        b.fill("User (user name or id)", "hl00").await;
        b.choose("Through", "Console").await;
        b.press_button("Filter").await;
        let table = region_text(&b, "Membership changes").await;
        assert!(!table.contains("Job") && !table.contains("API"), "{table}");
        assert_eq!(table.matches("Console").count(), 2, "{table}");
        assert_eq!(b.value_of("User (user name or id)").await, "hl00");
        assert_accessible(&b, "membership history, filtered").await;
    })
    .await;
}
