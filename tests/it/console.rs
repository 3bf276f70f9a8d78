//! Issue 13, the course administrators' console: server-rendered pages under `/console/`,
//! driven over HTTP as a browser drives them (signed in through the real form, its session
//! cookies sent back, every post with the session's CSRF token), and checked against the API,
//! whose units of work and permissions the console shares.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{json, Value};

use crate::common::*;
use crate::sign_in::{
    browser, form_token, session_header, sign_in_as_browser, sign_in_at, PASSWORD,
};

/// A signed-in browser: the session's cookies and CSRF token, sent back with every request.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
}

/// Gives `user` a password and signs in as them through the sign-in form.
async fn signed_in<'a>(app: &'a TestApp, user: &str) -> Browser<'a> {
    let out = set_password(app, user, PASSWORD);
    assert!(out.status.success(), "{out:?}");
    let client = browser();
    let res = sign_in_as_browser(app, &client, user, PASSWORD).await;
    assert_eq!(res.status(), 302, "signed in");
    let cookie = session_header(res.headers());
    let mut b = Browser {
        app,
        client,
        cookie,
        csrf: String::new(),
    };
    let (status, html) = b.page("/console/").await;
    assert_eq!(status, 200, "{html}");
    b.csrf = form_token(&html);
    b
}

impl Browser<'_> {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("get")
    }

    /// A page's status and body; every page is HTML with the pages' security headers.
    async fn page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        assert_html(&res);
        (status, res.text().await.expect("body"))
    }

    /// Posts a form with the session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &self.csrf));
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields.
    async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("post")
    }

    /// Posts `multipart/form-data` as a browser posts a form with a file input: (name,
    /// file name, content) parts, and the session's CSRF token.
    async fn post_multipart(
        &self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> reqwest::Response {
        const BOUNDARY: &str = "----console-test-boundary";
        let mut body = String::new();
        let token = [("csrf_token", None, self.csrf.as_str())];
        for (name, file, content) in token.iter().chain(parts) {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            if let Some(file) = file {
                body.push_str(&format!("; filename=\"{file}\"\r\nContent-Type: text/csv"));
            }
            body.push_str(&format!("\r\n\r\n{content}\r\n"));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        self.client
            .post(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("post")
    }

    /// Posts a form that must succeed: 303 to `then`; answers the page it names.
    async fn post_ok(&self, path: &str, fields: &[(&str, &str)], then: &str) -> String {
        let res = self.post(path, fields).await;
        let status = res.status().as_u16();
        let location = header(&res, "location").unwrap_or_default();
        let body = res.text().await.expect("body");
        assert_eq!(status, 303, "{path}: {body}");
        assert_eq!(location, then, "{path}");
        let (status, html) = self.page(&location).await;
        assert_eq!(status, 200, "{html}");
        html
    }

    /// Posts a form that must be refused with `status`; answers the page.
    async fn post_refused(&self, path: &str, fields: &[(&str, &str)], status: u16) -> String {
        let res = self.post(path, fields).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        assert_html(&res);
        res.text().await.expect("body")
    }
}

fn assert_html(res: &reqwest::Response) {
    let h = res.headers();
    assert_eq!(h[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

/// `&`, `<`, `>` and quotes as maud writes them.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How many rows the page's tables have in their bodies.
fn body_rows(html: &str) -> usize {
    html.split("<tbody>")
        .skip(1)
        .map(|t| {
            t.split("</tbody>")
                .next()
                .unwrap_or("")
                .matches("<tr>")
                .count()
        })
        .sum()
}

/// A user with an org-defined id, enrolled in `course` with `role`.
async fn person(app: &TestApp, course: i64, user_name: &str, org_id: &str, role: &str) -> i64 {
    let role_id = app.role_id(role).await;
    let mut body = user_body(user_name, role_id);
    body["OrgDefinedId"] = json!(org_id);
    let user = json_ok(app.post(&app.lp("/users/"), &app.admin, &body).await).await;
    let id = user["UserId"].as_i64().expect("UserId");
    app.enroll(id, course, role).await;
    id
}

async fn api(app: &TestApp, rest: &str) -> Value {
    json_ok(app.get(&app.lp(rest), &app.admin).await).await
}

async fn section_members(app: &TestApp, course: i64) -> Vec<(String, Vec<i64>)> {
    api(app, &format!("/{course}/sections/"))
        .await
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| {
            (
                s["Name"].as_str().expect("name").to_string(),
                sorted(ids(&s["Enrollments"])),
            )
        })
        .collect()
}

async fn group_members(app: &TestApp, course: i64, cat: i64) -> Vec<(i64, String, Vec<i64>)> {
    api(app, &format!("/{course}/groupcategories/{cat}/groups/"))
        .await
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["GroupId"].as_i64().expect("id"),
                g["Code"].as_str().expect("code").to_string(),
                sorted(ids(&g["Enrollments"])),
            )
        })
        .collect()
}

/// Creates a category through the console's form and waits on its status page until it is
/// ready; answers its id.
async fn create_category(b: &Browser<'_>, course: i64, fields: &[(&str, &str)]) -> i64 {
    let res = b
        .post(&format!("/console/courses/{course}/categories"), fields)
        .await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let location = header(&res, "location").expect("location");
    let prefix = format!("/console/courses/{course}/categories/");
    let id: i64 = location
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix("/status"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("status page: {location}"));
    let start = Instant::now();
    loop {
        let (status, html) = b.page(&location).await;
        assert_eq!(status, 200, "{html}");
        if html.contains("is ready") {
            assert!(!html.contains("http-equiv=\"refresh\""), "done: no reload");
            assert!(html.contains(&format!("href=\"{prefix}{id}\"")));
            return id;
        }
        assert!(
            html.contains("<meta http-equiv=\"refresh\" content=\"2\">"),
            "reloads while processing: {html}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still processing"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn without_a_session_a_page_sends_the_browser_to_sign_in_and_back() {
    let app = spawn_app().await;
    let course = app.create_course("C-ANON").await;
    let client = browser();
    for path in [
        "/console/".to_string(),
        format!("/console/courses/{course}/sections"),
        format!("/console/courses/{course}/categories/7/members.csv"),
    ] {
        let res = client.get(app.url(&path)).send().await.expect("get");
        assert_eq!(res.status(), 302, "{path}");
        let target: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            header(&res, "location").as_deref(),
            Some(format!("/d2l/login?target={target}").as_str())
        );
    }
    // A post without a session changes nothing: it is sent to sign in too.
    let res = client
        .post(app.url(&format!("/console/courses/{course}/sections/1/delete")))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 302);
    assert!(header(&res, "location")
        .expect("location")
        .starts_with("/d2l/login?target="));

    // Signing in from the redirect comes back to the page.
    assert!(set_password(&app, "admin", PASSWORD).status.success());
    let res = client
        .get(app.url(&format!("/console/courses/{course}/sections")))
        .send()
        .await
        .expect("get");
    let login = header(&res, "location").expect("location");
    let res = sign_in_at(&app, &client, &login, "admin").await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        header(&res, "location").as_deref(),
        Some(format!("/console/courses/{course}/sections").as_str())
    );
    let cookie = session_header(res.headers());
    let res = client
        .get(app.url(&format!("/console/courses/{course}/sections")))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    assert_html(&res);
    let html = res.text().await.expect("body");
    assert!(html.contains("Sections of Course C-ANON"), "{html}");
    assert!(html.contains("This course has no sections yet."));
    assert!(!html.contains("<script"), "no JavaScript");
}

#[actix_web::test]
async fn the_course_list_is_the_users_own_courses_or_for_an_administrator_all_of_them() {
    let app = spawn_app().await;
    let mine = app.create_course("C-MINE").await;
    let other = app.create_course("C-OTHER").await;
    member(&app, mine, "teacher", "Instructor").await;

    let teacher = signed_in(&app, "teacher").await;
    let (status, html) = teacher.page("/console/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("The course offerings you are enrolled in."),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<a href=\"/console/courses/{mine}\">Course C-MINE</a>"
    )));
    assert!(html.contains("<td>Instructor</td>"));
    assert!(!html.contains("C-OTHER"), "{html}");
    assert_eq!(body_rows(&html), 1);
    // Not their course: the class list is refused as the API refuses it.
    let (status, html) = teacher.page(&format!("/console/courses/{other}")).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains(&format!(
        "Your role in org unit {other} lacks the permission enrollments.read."
    )));
    // Not a course offering of theirs at all: 404.
    let (status, _) = teacher.page("/console/courses/999999").await;
    assert_eq!(status, 404);

    let admin = signed_in(&app, "admin").await;
    let (status, html) = admin.page("/console/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Every course offering of your institution"),
        "{html}"
    );
    assert!(html.contains("Course C-MINE") && html.contains("Course C-OTHER"));
    assert_eq!(body_rows(&html), 2);
    // A bookmark past the last course: an empty page that links back to the first.
    let (status, html) = admin.page(&format!("/console/?after={other}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No course offerings to show."));
    assert!(html.contains("<a href=\"/console/\" rel=\"prev\">"));
    let (status, _) = admin.page("/console/?after=x").await;
    assert_eq!(status, 400);
}

#[actix_web::test]
async fn the_class_list_searches_and_pages_with_roles_sections_and_groups() {
    let app = spawn_app().await;
    let course = app.create_course("C-LIST").await;
    member(&app, course, "teacher", "Instructor").await;
    let ada = person(&app, course, "ada", "S-0042", "Student").await;
    learners(&app, course, "learner", 54).await;
    deal_sections(&app, course, 2).await;

    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}");
    let (status, html) = b.page(&base).await;
    assert_eq!(status, 200);
    assert!(html.contains("Page 1 of 2 (56 members)"), "{html}");
    assert_eq!(body_rows(&html), 50);
    assert!(html.contains(&format!(
        "<a href=\"{base}?page=2\" rel=\"next\">Next page</a>"
    )));
    assert!(!html.contains("rel=\"prev\""));
    assert!(html.contains("<th scope=\"col\">Sections</th>"));
    assert!(html.contains("<th scope=\"col\">Groups</th>"));
    assert!(html.contains("<td>Section 1</td>") && html.contains("<td>Section 2</td>"));
    let (status, html) = b.page(&format!("{base}?page=2")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Page 2 of 2 (56 members)"));
    assert_eq!(body_rows(&html), 6);
    assert!(html.contains(&format!("<a href=\"{base}?page=1\" rel=\"prev\">")));

    // By org-defined id, user name or name, any case.
    for term in ["s-0042", "ADA"] {
        let q: String = url::form_urlencoded::byte_serialize(term.as_bytes()).collect();
        let (status, html) = b.page(&format!("{base}?q={q}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Page 1 of 1 (1 member)"), "{term}: {html}");
        assert!(html.contains("<td>S-0042</td>") && html.contains("<td>Student</td>"));
        assert!(html.contains(&format!("value=\"{}\"", escaped(term))));
    }
    let (_, html) = b.page(&format!("{base}?q=learner0")).await;
    assert!(html.contains("Page 1 of 1 (10 members)"), "{html}");
    let (_, html) = b.page(&format!("{base}?q=nobody")).await;
    assert!(html.contains("No one matches."));
    let (status, _) = b.page(&format!("{base}?page=0")).await;
    assert_eq!(status, 400);

    // Ada's group shows beside her once a category places her.
    let cat = create_category(
        &b,
        course,
        &[
            ("Name", "Teams"),
            ("EnrollmentStyle", "2"),
            ("NumberOfGroups", "1"),
        ],
    )
    .await;
    let groups = group_members(&app, course, cat).await;
    assert!(groups[0].2.contains(&ada));
    let (_, html) = b.page(&format!("{base}?q=ada")).await;
    assert!(html.contains("<td>Teams 1 (Teams)</td>"), "{html}");
}

#[actix_web::test]
async fn sections_are_previewed_then_created_renamed_moved_between_and_deleted() {
    let app = spawn_app().await;
    let course = app.create_course("C-SECT").await;
    member(&app, course, "teacher", "Instructor").await;
    let learners = learners(&app, course, "sl", 6).await;
    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}/sections");

    // The preview makes nothing.
    let (status, html) = b
        .page(&format!("{base}/initialize?style=2&quantity=2"))
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2 sections would be created, with 6 learners dealt among them."));
    assert!(html.contains("<td>Section 1</td>") && html.contains("<td>Section 2</td>"));
    assert!(
        html.contains("<td>Test sl00, Test sl02, Test sl04</td>"),
        "{html}"
    );
    assert!(html.contains(&format!("action=\"{base}/initialize\"")));
    assert_eq!(
        problem(
            app.get(&app.lp(&format!("/{course}/sections/")), &app.admin)
                .await,
            404
        )
        .await,
        format!("Org unit {course} has no sections: its section settings are not initialized.")
    );
    // The API's own refusal of a bad quantity, beside the form.
    let (status, html) = b
        .page(&format!("{base}/initialize?style=2&quantity=0"))
        .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("EnrollmentQuantity: must be at least 1."),
        "{html}"
    );

    // Commit: the same dealing.
    let html = b
        .post_ok(
            &format!("{base}/initialize"),
            &[("style", "2"), ("quantity", "2")],
            &format!("{base}?done=initialized"),
        )
        .await;
    assert!(html.contains("The sections were created."));
    let sections = section_members(&app, course).await;
    assert_eq!(
        sections,
        vec![
            (
                "Section 1".to_string(),
                vec![learners[0], learners[2], learners[4]]
            ),
            (
                "Section 2".to_string(),
                vec![learners[1], learners[3], learners[5]]
            ),
        ]
    );
    // Again: the API's refusal.
    let html = b
        .post_refused(
            &format!("{base}/initialize"),
            &[("style", "2"), ("quantity", "2")],
            400,
        )
        .await;
    assert!(html.contains(&format!("Org unit {course} already has section settings")));

    let listed = api(&app, &format!("/{course}/sections/")).await;
    let s1 = listed[0]["SectionId"].as_i64().expect("id");
    let s2 = listed[1]["SectionId"].as_i64().expect("id");

    // Rename, with the API's checks of the code.
    b.post_ok(
        &format!("{base}/{s1}/rename"),
        &[
            ("name", "Lab A"),
            ("code", "LAB-A"),
            ("description", "Mondays"),
        ],
        &format!("{base}?done=renamed"),
    )
    .await;
    let one = api(&app, &format!("/{course}/sections/{s1}")).await;
    assert_eq!(
        (one["Name"].as_str(), one["Code"].as_str()),
        (Some("Lab A"), Some("LAB-A"))
    );
    assert_eq!(one["Description"]["Text"], "Mondays");
    let html = b
        .post_refused(
            &format!("{base}/{s2}/rename"),
            &[("name", "Lab B"), ("code", "lab-a"), ("description", "")],
            400,
        )
        .await;
    let api_refusal = problem(
        app.put(
            &app.lp(&format!("/{course}/sections/{s2}")),
            &app.admin,
            &json!({"Name": "Lab B", "Code": "lab-a", "Description": {"Content": "", "Type": "Text"}}),
        )
        .await,
        400,
    )
    .await;
    assert!(
        html.contains(&escaped(&api_refusal)),
        "{api_refusal} in {html}"
    );
    assert!(
        html.contains("value=\"Lab B\""),
        "the form again with what was sent"
    );

    // Move: out of one, into the other, in one transaction.
    let who = learners[0].to_string();
    let (from, to) = (s1.to_string(), s2.to_string());
    b.post_ok(
        &format!("{base}/move"),
        &[("user", &who), ("from", &from), ("to", &to)],
        &format!("{base}?done=moved"),
    )
    .await;
    let sections = section_members(&app, course).await;
    assert_eq!(sections[0].1, vec![learners[2], learners[4]]);
    assert_eq!(
        sections[1].1,
        sorted(vec![learners[0], learners[1], learners[3], learners[5]])
    );
    // Not in the section it is moved from: 404, and nothing changed.
    let html = b
        .post_refused(
            &format!("{base}/move"),
            &[("user", &who), ("from", &from), ("to", &to)],
            404,
        )
        .await;
    assert!(html.contains(&format!("User {who} is not a member of section {s1}.")));
    // Into a section that is not there: the removal is rolled back with it.
    let html = b
        .post_refused(
            &format!("{base}/move"),
            &[
                ("user", &learners[2].to_string()),
                ("from", &from),
                ("to", "999999"),
            ],
            404,
        )
        .await;
    assert!(html.contains("Section 999999 not found"), "{html}");
    assert_eq!(section_members(&app, course).await, sections);

    // The sections' memberships as CSV.
    let res = b
        .get(&format!("/console/courses/{course}/sections.csv"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"sections-{course}.csv\"")
    );
    let text = res.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "OrgDefinedId,UserName,UserId,SectionCode");
    assert_eq!(lines.len(), 7);
    assert!(
        lines.contains(&format!(",sl02,{},LAB-A", learners[2]).as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!(",sl00,{},Section 2", learners[0]).as_str()),
        "{text}"
    );

    // Delete.
    let html = b
        .post_ok(
            &format!("{base}/{s2}/delete"),
            &[],
            &format!("{base}?done=deleted-section"),
        )
        .await;
    assert!(html.contains("The section was deleted."));
    assert_eq!(section_members(&app, course).await.len(), 1);
}

/// The form fields of each enrollment style's category, as the console's create form sends
/// them.
const STYLE_FIELDS: [(&str, &[(&str, &str)]); 7] = [
    ("0", &[("NumberOfGroups", "2")]),
    ("1", &[("MaxUsersPerGroup", "2")]),
    (
        "2",
        &[("NumberOfGroups", "2"), ("RandomizeEnrollments", "1")],
    ),
    (
        "3",
        &[
            ("MaxUsersPerGroup", "3"),
            ("SelfEnrollmentExpiryDate", "2030-01-01T10:00"),
            ("AllocateAfterExpiry", "1"),
        ],
    ),
    (
        "4",
        &[
            ("NumberOfGroups", "2"),
            ("SelfEnrollmentStartDate", "2029-06-01T08:30"),
        ],
    ),
    (
        "5",
        &[
            ("NumberOfGroups", "2"),
            ("MaxUsersPerGroup", "2"),
            ("GroupPrefix", "Pod"),
        ],
    ),
    (
        "6",
        &[("DescriptionsVisibleToEnrolees", "1"), ("AutoEnroll", "1")],
    ),
];

#[actix_web::test]
async fn a_category_of_every_style_is_created_through_the_form_and_refusals_are_the_apis() {
    let app = spawn_app().await;
    let course = app.create_course("C-CATS").await;
    member(&app, course, "teacher", "Instructor").await;
    learners(&app, course, "cl", 4).await;
    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}/categories");

    let (status, html) = b.page(&format!("{base}/new")).await;
    assert_eq!(status, 200);
    for field in [
        "Name",
        "Description",
        "EnrollmentStyle",
        "EnrollmentQuantity",
        "NumberOfGroups",
        "MaxUsersPerGroup",
        "AutoEnroll",
        "RandomizeEnrollments",
        "DescriptionsVisibleToEnrolees",
        "SelfEnrollmentStartDate",
        "SelfEnrollmentExpiryDate",
        "AllocateAfterExpiry",
        "GroupPrefix",
        "RestrictedByOrgUnitId",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{field}\""))
                || html.contains(&format!("for=\"{field}\"")),
            "label for {field}"
        );
        assert!(
            html.contains(&format!("id=\"{field}\" name=\"{field}\"")),
            "{field}"
        );
    }

    for (style, extra) in STYLE_FIELDS {
        let name = format!("Style {style}");
        let mut fields = vec![
            ("Name", name.as_str()),
            ("EnrollmentStyle", style),
            ("Description", "Made here"),
        ];
        fields.extend_from_slice(extra);
        let cat = create_category(&b, course, &fields).await;
        let fetch = api(&app, &format!("/{course}/groupcategories/{cat}")).await;
        assert_eq!(
            fetch["EnrollmentStyle"].as_i64(),
            style.parse().ok(),
            "{fetch}"
        );
        assert_eq!(fetch["Name"], name.as_str());
        assert_eq!(fetch["Description"]["Text"], "Made here");
        let groups = group_members(&app, course, cat).await;
        match style {
            "0" | "2" | "4" | "5" => assert_eq!(groups.len(), 2, "style {style}"),
            "6" => assert_eq!(groups.len(), 4, "one per learner"),
            _ => assert!(!groups.is_empty()),
        }
        if style == "3" {
            assert_eq!(
                fetch["SelfEnrollmentExpiryDate"],
                "2030-01-01T10:00:00.000Z"
            );
        }
        if style == "5" {
            assert!(groups.iter().all(|g| g.1.starts_with("Pod")), "{groups:?}");
        }
        let (_, html) = b.page(&base).await;
        assert!(html.contains(&format!("<a href=\"{base}/{cat}\">{name}</a>")));
    }

    // Refused: the API's own message beside the form, the values kept, nothing made.
    let before = api(&app, &format!("/{course}/groupcategories/")).await;
    for (fields, body) in [
        (
            vec![("Name", "No count"), ("EnrollmentStyle", "0")],
            category_form("No count", json!(0), json!({})),
        ),
        (
            vec![
                ("Name", "Bad cap"),
                ("EnrollmentStyle", "1"),
                ("MaxUsersPerGroup", "0"),
            ],
            category_form("Bad cap", json!(1), json!({"MaxUsersPerGroup": 0})),
        ),
        (
            vec![
                ("Name", "Late"),
                ("EnrollmentStyle", "0"),
                ("NumberOfGroups", "1"),
                ("SelfEnrollmentExpiryDate", "2030-01-01T10:00"),
            ],
            category_form(
                "Late",
                json!(0),
                json!({"NumberOfGroups": 1, "SelfEnrollmentExpiryDate": "2030-01-01T10:00:00.000Z"}),
            ),
        ),
        (
            vec![
                ("Name", "Restricted"),
                ("EnrollmentStyle", "0"),
                ("NumberOfGroups", "1"),
                ("RestrictedByOrgUnitId", "999999"),
            ],
            category_form(
                "Restricted",
                json!(0),
                json!({"NumberOfGroups": 1, "RestrictedByOrgUnitId": 999999}),
            ),
        ),
    ] {
        let detail = problem(
            app.post(
                &app.lp(&format!("/{course}/groupcategories/")),
                &app.admin,
                &body,
            )
            .await,
            400,
        )
        .await;
        let html = b.post_refused(&base, &fields, 400).await;
        assert!(html.contains(&escaped(&detail)), "{detail} in {html}");
        assert!(
            html.contains(&format!("value=\"{}\"", fields[0].1)),
            "name kept"
        );
    }
    assert_eq!(
        api(&app, &format!("/{course}/groupcategories/")).await,
        before
    );
}

#[actix_web::test]
async fn members_are_added_removed_and_moved_between_groups_in_one_transaction() {
    let app = spawn_app().await;
    let course = app.create_course("C-GRP").await;
    let teacher = member(&app, course, "teacher", "Instructor").await;
    let ls = learners(&app, course, "gl", 4).await;
    let outsider = app.create_user("outsider", "Student").await;
    let b = signed_in(&app, "teacher").await;
    let cat = create_category(
        &b,
        course,
        &[
            ("Name", "Pairs"),
            ("EnrollmentStyle", "2"),
            ("NumberOfGroups", "2"),
        ],
    )
    .await;
    let base = format!("/console/courses/{course}/categories/{cat}");
    let groups = group_members(&app, course, cat).await;
    let (g1, g2) = (groups[0].0, groups[1].0);
    assert_eq!(groups[0].2, vec![ls[0], ls[2]]);

    let (status, html) = b.page(&base).await;
    assert_eq!(status, 200);
    assert!(html.contains("Test gl00") && html.contains("Test gl03"));
    assert!(html.contains(&format!("action=\"{base}/move\"")));

    // Move gl00 from group 1 to group 2.
    let (user, from, to) = (ls[0].to_string(), g1.to_string(), g2.to_string());
    let html = b
        .post_ok(
            &format!("{base}/move"),
            &[("user", &user), ("from", &from), ("to", &to)],
            &format!("{base}?done=moved"),
        )
        .await;
    assert!(html.contains("The member was moved."));
    let after = group_members(&app, course, cat).await;
    assert_eq!(after[0].2, vec![ls[2]]);
    assert_eq!(after[1].2, vec![ls[0], ls[1], ls[3]]);
    // Into a group that is not there: 404, and the removal from group 2 is rolled back.
    let html = b
        .post_refused(
            &format!("{base}/move"),
            &[("user", &user), ("from", &to), ("to", "999999")],
            404,
        )
        .await;
    assert!(html.contains("999999"), "{html}");
    assert_eq!(group_members(&app, course, cat).await, after);
    // The membership history names the console and the teacher (no OAuth client); the refused
    // move left nothing in it.
    let history = app.lp(&format!("/{course}/memberships/history/?via=console"));
    let history = json_ok(app.get(&history, &app.admin).await).await;
    let items = history["Items"].as_array().expect("items");
    let seen: Vec<(&str, i64, i64)> = items
        .iter()
        .rev()
        .map(|e| {
            let change = e["Change"].as_str().expect("Change");
            (
                change,
                e["UserId"].as_i64().expect("UserId"),
                e["OrgUnitId"].as_i64().expect("OrgUnitId"),
            )
        })
        .collect();
    assert_eq!(seen, vec![("Removed", ls[0], g1), ("Added", ls[0], g2)]);
    for e in items {
        assert_eq!(
            (&e["Via"], &e["ChangedByUserId"]),
            (&json!("Console"), &json!(teacher)),
            "{e}"
        );
        assert_eq!(e["ClientId"], Value::Null, "{e}");
    }

    // Remove, and add by user name (the API's refusal for someone not in the course).
    b.post_ok(
        &format!("{base}/groups/{g2}/remove"),
        &[("user", &user)],
        &format!("{base}?done=removed"),
    )
    .await;
    assert_eq!(
        group_members(&app, course, cat).await[1].2,
        vec![ls[1], ls[3]]
    );
    b.post_ok(
        &format!("{base}/groups/{g1}/add"),
        &[("who", "GL00")],
        &format!("{base}?done=added"),
    )
    .await;
    assert_eq!(
        group_members(&app, course, cat).await[0].2,
        vec![ls[0], ls[2]]
    );
    let html = b
        .post_refused(
            &format!("{base}/groups/{g1}/add"),
            &[("who", "outsider")],
            404,
        )
        .await;
    assert!(
        html.contains(&format!(
            "User {outsider} not found among the users this category&#39;s groups admit."
        )) || html.contains(&format!(
            "User {outsider} not found among the users this category's groups admit."
        )),
        "{html}"
    );

    // Delete a group, then the category with its other group (as the API does).
    b.post_ok(
        &format!("{base}/groups/{g1}/delete"),
        &[],
        &format!("{base}?done=deleted-group"),
    )
    .await;
    b.post_ok(
        &format!("{base}/delete"),
        &[],
        &format!("/console/courses/{course}/categories?done=deleted-category"),
    )
    .await;
    assert_eq!(
        api(&app, &format!("/{course}/groupcategories/")).await,
        json!([])
    );
}

#[actix_web::test]
async fn memberships_export_as_csv_and_import_after_a_preview_all_or_nothing() {
    let app = spawn_app().await;
    let course = app.create_course("C-CSV").await;
    member(&app, course, "teacher", "Instructor").await;
    let ada = person(&app, course, "ada", "S-1", "Student").await;
    let bob = person(&app, course, "bob", "S-2", "Student").await;
    let b = signed_in(&app, "teacher").await;
    let cat = create_category(
        &b,
        course,
        &[
            ("Name", "Teams"),
            ("EnrollmentStyle", "0"),
            ("NumberOfGroups", "2"),
        ],
    )
    .await;
    let base = format!("/console/courses/{course}/categories/{cat}");
    let groups = group_members(&app, course, cat).await;
    let (g1, code1, code2) = (groups[0].0, groups[0].1.clone(), groups[1].1.clone());
    app.post(
        &app.lp(&format!(
            "/{course}/groupcategories/{cat}/groups/{g1}/enrollments/"
        )),
        &app.admin,
        &json!({"UserId": ada}),
    )
    .await;

    let res = b.get(&format!("{base}/members.csv")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"category-{cat}.csv\"")
    );
    assert_eq!(
        res.text().await.expect("csv"),
        format!("OrgDefinedId,UserName,UserId,GroupCode\r\nS-1,ada,{ada},{code1}\r\n")
    );

    // A preview lists each row's outcome; nothing is kept.
    let (status, html) = b.page(&format!("{base}/import")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<label for=\"csv\">"));
    let csv = format!(
        "UserName,OrgDefinedId,GroupCode\nbob,,{code2}\n,S-1,{code1}\nnobody,,{code2}\nada,,NOPE\n"
    );
    let res = b
        .post(
            &format!("{base}/import"),
            &[("action", "preview"), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");
    assert!(html.contains("4 rows: 2 accepted, 2 rejected."), "{html}");
    assert!(
        html.contains(&format!("Test bob will be added to group {code2}")),
        "{html}"
    );
    assert!(html.contains(&format!("Test ada is already in group {code1}")));
    assert!(
        html.contains("Rejected: No user named &quot;nobody&quot;."),
        "{html}"
    );
    assert!(html.contains("Rejected: No group with code &quot;NOPE&quot; in this category."));
    assert_eq!(
        group_members(&app, course, cat).await,
        groups_with(&groups, g1, &[ada])
    );

    // Applying with a rejected row: refused as a whole, nothing added.
    let res = b
        .post(
            &format!("{base}/import"),
            &[("action", "apply"), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.expect("body");
    assert!(html.contains("Nothing was imported: 2 row(s) refused (line 4: No user named &quot;nobody&quot;.; line 5:"), "{html}");
    assert_eq!(
        group_members(&app, course, cat).await,
        groups_with(&groups, g1, &[ada])
    );

    // The same CSV uploaded as a file: the same preview.
    assert!(html_has_upload(&b, &format!("{base}/import")).await);
    let res = b
        .post_multipart(
            &format!("{base}/import"),
            &[
                ("action", None, "preview"),
                ("file", Some("m.csv"), &csv),
                ("csv", None, ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");
    assert!(html.contains("4 rows: 2 accepted, 2 rejected."), "{html}");
    assert!(
        html.contains("Rejected: No user named &quot;nobody&quot;."),
        "{html}"
    );
    let res = b
        .post_multipart(&format!("{base}/import"), &[("action", None, "preview")])
        .await;
    assert_eq!(res.status(), 400, "no file and no text");
    assert!(res.text().await.expect("body").contains("The CSV is empty"));

    // Only good rows: applied in one go.
    let good = format!("UserId,GroupCode\n{bob},{code2}\n{ada},{code1}\n");
    b.post_ok(
        &format!("{base}/import"),
        &[("action", "apply"), ("csv", &good)],
        &format!("{base}?done=imported"),
    )
    .await;
    let after = group_members(&app, course, cat).await;
    assert_eq!(after[0].2, vec![ada]);
    assert_eq!(after[1].2, vec![bob]);

    // A CSV that cannot be read at all.
    let res = b
        .post(
            &format!("{base}/import"),
            &[("action", "preview"), ("csv", "UserName\nada\n")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("The header has no GroupCode (or SectionCode) column."));
}

fn groups_with(
    groups: &[(i64, String, Vec<i64>)],
    group: i64,
    members: &[i64],
) -> Vec<(i64, String, Vec<i64>)> {
    groups
        .iter()
        .map(|(id, code, _)| {
            let m = if *id == group {
                members.to_vec()
            } else {
                Vec::new()
            };
            (*id, code.clone(), m)
        })
        .collect()
}

#[actix_web::test]
async fn a_teaching_assistant_may_view_but_a_manage_action_is_refused_naming_the_permission() {
    let app = spawn_app().await;
    let course = app.create_course("C-TA").await;
    member(&app, course, "ta", "Teaching Assistant").await;
    let ls = learners(&app, course, "tl", 2).await;
    deal_sections(&app, course, 2).await;
    let sections = api(&app, &format!("/{course}/sections/")).await;
    let s1 = sections[0]["SectionId"].as_i64().expect("id");
    let s2 = sections[1]["SectionId"].as_i64().expect("id");
    let b = signed_in(&app, "ta").await;

    let (status, html) = b.page(&format!("/console/courses/{course}")).await;
    assert_eq!(status, 200, "enrollments.read");
    assert!(html.contains("Test tl00"));
    let (status, html) = b.page(&format!("/console/courses/{course}/sections")).await;
    assert_eq!(status, 200, "sections.view");
    assert!(html.contains("Section 1"));
    let (status, _) = b
        .page(&format!("/console/courses/{course}/categories"))
        .await;
    assert_eq!(status, 200, "groups.view");

    let base = format!("/console/courses/{course}/sections");
    for (path, fields, permission) in [
        (format!("{base}/{s1}/delete"), vec![], "sections.manage"),
        (
            format!("{base}/{s1}/rename"),
            vec![("name", "X".to_string()), ("code", "X".to_string())],
            "sections.manage",
        ),
        (
            format!("{base}/move"),
            vec![
                ("user", ls[0].to_string()),
                ("from", s1.to_string()),
                ("to", s2.to_string()),
            ],
            "sections.enroll",
        ),
        (
            format!("{base}/initialize"),
            vec![("style", "2".to_string()), ("quantity", "1".to_string())],
            "sections.manage",
        ),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let html = b.post_refused(&path, &fields, 403).await;
        assert!(
            html.contains(&format!(
                "Your role in org unit {course} lacks the permission {permission}."
            )),
            "{path}: {html}"
        );
    }
    let (status, html) = b
        .page(&format!("/console/courses/{course}/categories/new"))
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("lacks the permission groups.manage."));
    let html = b
        .post_refused(
            &format!("/console/courses/{course}/categories"),
            &[
                ("Name", "T"),
                ("EnrollmentStyle", "0"),
                ("NumberOfGroups", "1"),
            ],
            403,
        )
        .await;
    assert!(html.contains("lacks the permission groups.manage."));
    // Nothing changed.
    assert_eq!(api(&app, &format!("/{course}/sections/")).await, sections);
    assert_eq!(
        api(&app, &format!("/{course}/groupcategories/")).await,
        json!([])
    );
}

#[actix_web::test]
async fn a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let course = app.create_course("C-CSRF").await;
    member(&app, course, "teacher", "Instructor").await;
    learners(&app, course, "xl", 2).await;
    deal_sections(&app, course, 2).await;
    let sections = api(&app, &format!("/{course}/sections/")).await;
    let s1 = sections[0]["SectionId"].as_i64().expect("id");
    let b = signed_in(&app, "teacher").await;
    let path = format!("/console/courses/{course}/sections/{s1}/delete");
    for fields in [vec![], vec![("csrf_token", "not-the-token")]] {
        let res = b.post_raw(&path, &fields).await;
        assert_eq!(res.status(), 403);
        assert_html(&res);
        let html = res.text().await.expect("body");
        assert!(html.contains("nothing was changed"), "{html}");
    }
    let res = b
        .post_raw(
            &format!("/console/courses/{course}/categories"),
            &[
                ("Name", "T"),
                ("EnrollmentStyle", "0"),
                ("NumberOfGroups", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(api(&app, &format!("/{course}/sections/")).await, sections);
    assert_eq!(
        api(&app, &format!("/{course}/groupcategories/")).await,
        json!([])
    );
    // Every page's forms carry the token.
    let (_, html) = b.page(&format!("/console/courses/{course}/sections")).await;
    let forms = html.matches("method=\"post\"").count();
    assert!(forms > 0);
    assert_eq!(
        html.matches(&format!("name=\"csrf_token\" value=\"{}\"", b.csrf))
            .count(),
        forms
    );
}

/// Whether the import page's form uploads files (multipart, with a labelled file input).
async fn html_has_upload(b: &Browser<'_>, path: &str) -> bool {
    let (status, html) = b.page(path).await;
    status == 200
        && html.contains("enctype=\"multipart/form-data\"")
        && html.contains("<label for=\"file\">")
        && html.contains("type=\"file\" id=\"file\" name=\"file\"")
}

/// Every control of `html` a person fills in (not hidden) has an id that a `<label for>`
/// names, or an `aria-label`; answers how many controls there were.
fn assert_every_control_labelled(html: &str, page: &str) -> usize {
    let mut controls = 0;
    for tag in ["<input ", "<select ", "<textarea "] {
        for part in html.split(tag).skip(1) {
            let attrs = &part[..part.find('>').expect("tag end")];
            if attrs.contains("type=\"hidden\"") {
                continue;
            }
            controls += 1;
            if attrs.contains("aria-label=") {
                continue;
            }
            let id = attrs
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("{page}: a control without an id: {tag}{attrs}"));
            let labelled = html.split("<label").skip(1).any(|label| {
                label[..label.find('>').expect("label end")].contains(&format!("for=\"{id}\""))
            });
            assert!(labelled, "{page}: no label for #{id}");
        }
    }
    controls
}

#[actix_web::test]
async fn every_control_of_every_page_has_a_label_and_no_page_runs_script() {
    let app = spawn_app().await;
    let course = app.create_course("C-A11Y").await;
    member(&app, course, "teacher", "Instructor").await;
    learners(&app, course, "al", 3).await;
    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}");
    // Before sections: the initialize form.
    let (_, html) = b.page(&format!("{base}/sections")).await;
    assert!(assert_every_control_labelled(&html, "sections (new)") >= 5);
    deal_sections(&app, course, 2).await;
    let cat = create_category(
        &b,
        course,
        &[
            ("Name", "Teams"),
            ("EnrollmentStyle", "2"),
            ("NumberOfGroups", "2"),
        ],
    )
    .await;
    let pages = [
        "/console/".to_string(),
        base.clone(),
        format!("{base}/sections"),
        format!("{base}/categories"),
        format!("{base}/categories/new"),
        format!("{base}/categories/{cat}"),
        format!("{base}/categories/{cat}/import"),
        format!("{base}/sections/import"),
        format!("{base}/history"),
    ];
    let mut controls = 0;
    for path in &pages {
        let (status, html) = b.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script"), "{path}: no script");
        assert!(html
            .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        controls += assert_every_control_labelled(&html, path);
    }
    assert!(controls > 30, "only {controls} controls");
}

/// A category of `style` made over the API as the admin, once its creation job is done;
/// answers its id and its groups' ids (ascending).
async fn api_category(
    app: &TestApp,
    course: i64,
    name: &str,
    style: i64,
    extra: Value,
) -> (i64, Vec<i64>) {
    category_ready(app, V, course, &category_form(name, json!(style), extra)).await
}

#[actix_web::test]
async fn a_learner_chooses_a_group_and_leaves_it_on_their_page_within_the_rules() {
    let app = spawn_app().await;
    let course = app.create_course("C-SELF").await;
    let ls = learners(&app, course, "sl", 2).await;
    let (cat, groups) = api_category(
        &app,
        course,
        "Project teams",
        5,
        json!({"NumberOfGroups": 2, "MaxUsersPerGroup": 1}),
    )
    .await;
    let g1 = groups[0];
    let mine = format!("/console/courses/{course}/mygroups");
    let base = format!("{mine}/{cat}/groups/{g1}");
    let nothing: [(&str, &str); 0] = [];

    // The console's first page leads a learner to their groups.
    let first = signed_in(&app, "sl00").await;
    let (_, home) = first.page("/console/").await;
    assert!(home.contains(&format!("href=\"{mine}\"")), "{home}");
    let (status, html) = first.page(&mine).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Project teams"), "{html}");
    assert!(html.contains("Join Project teams 1") && html.contains("Join Project teams 2"));
    assert!(html.contains("At most 1 members a group."), "{html}");

    let html = first
        .post_ok(
            &format!("{base}/join"),
            &nothing,
            &format!("{mine}?done=joined"),
        )
        .await;
    assert!(html.contains("You joined the group."), "{html}");
    assert!(html.contains("Project teams 1 (your group)"), "{html}");
    assert!(html.contains("Leave Project teams 1"), "{html}");
    assert!(
        !html.contains("Join Project teams 2"),
        "one group per category: {html}"
    );

    // The other learner sees the group full; joining anyway is the API's 409, on the page.
    let second = signed_in(&app, "sl01").await;
    let (_, html) = second.page(&mine).await;
    assert!(html.contains("Full"), "{html}");
    let html = second
        .post_refused(&format!("{base}/join"), &nothing, 409)
        .await;
    assert!(
        html.contains(&format!("Group {g1} is full: it holds its 1 members.")),
        "{html}"
    );
    // Without the form's token: 403, nothing changed.
    let res = second
        .post_raw(&format!("{mine}/{cat}/groups/{}/join", groups[1]), &nothing)
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(member_rows(&app, groups[1]), 0);

    let html = first
        .post_ok(
            &format!("{base}/leave"),
            &nothing,
            &format!("{mine}?done=left"),
        )
        .await;
    assert!(html.contains("You left the group."), "{html}");
    assert_eq!(member_rows(&app, g1), 0);
    // The history names the console and the learner.
    let history = app.lp(&format!("/{course}/memberships/history/?userId={}", ls[0]));
    let items = json_ok(app.get(&history, &app.admin).await).await["Items"].clone();
    let changes: Vec<(&str, &str)> = items
        .as_array()
        .expect("items")
        .iter()
        .rev()
        .map(|e| {
            (
                e["Change"].as_str().expect("Change"),
                e["Via"].as_str().expect("Via"),
            )
        })
        .collect();
    assert_eq!(changes, vec![("Added", "Console"), ("Removed", "Console")]);

    // An instructor holds no self-enrollment: 403 naming the permission.
    member(&app, course, "sl_teacher", "Instructor").await;
    let teacher = signed_in(&app, "sl_teacher").await;
    let (status, html) = teacher.page(&mine).await;
    assert_eq!(status, 403);
    assert!(html.contains("groups.self_enroll"), "{html}");
}

/// How many of a page's `<section>`s a list of units shows (`section-` or `group-` ids).
fn units_shown(html: &str, kind: &str) -> usize {
    html.matches(&format!("<section aria-labelledby=\"{kind}-"))
        .count()
}

#[actix_web::test]
async fn the_sections_and_category_pages_are_paged_with_moves_to_any_unit() {
    let app = spawn_app().await;
    let course = app.create_course("C-PAGED").await;
    member(&app, course, "teacher", "Instructor").await;
    learners(&app, course, "pl", 12).await;
    let sections = deal_sections(&app, course, 12).await;
    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}/sections");

    let (status, html) = b.page(&base).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(units_shown(&html, "section"), 10);
    assert!(html.contains("Page 1 of 2 (12 sections)"), "{html}");
    assert!(html.contains(&format!("href=\"{base}?page=2\" rel=\"next\"")));
    assert!(!html.contains("Section 11 ("), "{html}");
    // A member on the first page may be moved to a section of the second.
    let last = sections[11]["SectionId"].as_i64().expect("id");
    assert!(html.contains(&format!("<option value=\"{last}\">Section 12</option>")));

    let (status, html) = b.page(&format!("{base}?page=2")).await;
    assert_eq!(status, 200);
    assert_eq!(units_shown(&html, "section"), 2);
    assert!(html.contains("Section 11 (") && html.contains("Section 12 ("));
    assert!(html.contains("Page 2 of 2 (12 sections)"));
    assert!(html.contains(&format!("href=\"{base}?page=1\" rel=\"prev\"")));
    assert!(!html.contains("rel=\"next\""));
    // Past the end: no sections, the way back; not a number: 400.
    let (status, html) = b.page(&format!("{base}?page=3")).await;
    assert_eq!(status, 200);
    assert_eq!(units_shown(&html, "section"), 0);
    let (status, html) = b.page(&format!("{base}?page=0")).await;
    assert_eq!(status, 400);
    assert!(html.contains("page: must be a page number, 1 or more."));

    // A refused rename (the code of another section) shows the page holding its section,
    // with what was sent.
    let taken = sections[0]["Code"].as_str().expect("code");
    let html = b
        .post_refused(
            &format!("{base}/{last}/rename"),
            &[("name", "Twelve"), ("code", taken), ("description", "")],
            400,
        )
        .await;
    assert!(html.contains("Page 2 of 2"), "{html}");
    assert!(html.contains("value=\"Twelve\""), "{html}");

    // A category of 21 groups: 20 on the first page.
    let (cat, groups) = api_category(&app, course, "Many", 0, json!({"NumberOfGroups": 21})).await;
    let cat_base = format!("/console/courses/{course}/categories/{cat}");
    let (status, html) = b.page(&cat_base).await;
    assert_eq!(status, 200);
    assert_eq!(units_shown(&html, "group"), 20);
    assert!(html.contains("Page 1 of 2 (21 groups)"), "{html}");
    assert!(html.contains(&format!("href=\"{cat_base}?page=2\" rel=\"next\"")));
    let (_, html) = b.page(&format!("{cat_base}?page=2")).await;
    assert_eq!(units_shown(&html, "group"), 1);
    assert!(
        html.contains(&format!("id=\"group-{}\"", groups[20])),
        "{html}"
    );
}

#[actix_web::test]
async fn sections_import_previews_then_applies_all_or_nothing() {
    let app = spawn_app().await;
    let course = app.create_course("C-SIMP").await;
    member(&app, course, "teacher", "Instructor").await;
    learners(&app, course, "si", 2).await;
    deal_sections(&app, course, 2).await;
    // Enrolled after the dealing (no AutoEnroll): in no section yet.
    let ada = person(&app, course, "ada", "S-1", "Student").await;
    let bob = person(&app, course, "bob", "S-2", "Student").await;
    let before = section_members(&app, course).await;
    let b = signed_in(&app, "teacher").await;
    let base = format!("/console/courses/{course}/sections");
    let (_, html) = b.page(&base).await;
    assert!(html.contains(&format!("href=\"{base}/import\"")), "{html}");
    let codes: Vec<String> = api(&app, &format!("/{course}/sections/"))
        .await
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["Code"].as_str().expect("code").to_string())
        .collect();
    let (c1, c2) = (&codes[0], &codes[1]);

    let (status, html) = b.page(&format!("{base}/import")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Import section memberships"), "{html}");
    assert!(html.contains("and SectionCode;"), "{html}");
    assert!(html_has_upload(&b, &format!("{base}/import")).await);

    let csv = format!("UserName,SectionCode\nada,{c1}\nsi00,{c1}\nnobody,{c2}\nbob,NOPE\n");
    let res = b
        .post(
            &format!("{base}/import"),
            &[("action", "preview"), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("body");
    assert!(html.contains("4 rows: 2 accepted, 2 rejected."), "{html}");
    assert!(html.contains("<th scope=\"col\">Section code</th>"));
    assert!(
        html.contains(&format!("Test ada will be added to section {c1}")),
        "{html}"
    );
    assert!(html.contains(&format!("Test si00 is already in section {c1}")));
    assert!(html.contains("Rejected: No user named &quot;nobody&quot;."));
    assert!(
        html.contains("Rejected: No section with code &quot;NOPE&quot; in this course."),
        "{html}"
    );
    assert_eq!(
        section_members(&app, course).await,
        before,
        "a preview keeps nothing"
    );

    // Applied with rejected rows: refused as a whole.
    let res = b
        .post(
            &format!("{base}/import"),
            &[("action", "apply"), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.expect("body");
    assert!(
        html.contains("Nothing was imported: 2 row(s) refused (line 4: No user named"),
        "{html}"
    );
    assert_eq!(section_members(&app, course).await, before);

    // Good rows, uploaded as a file: previewed, then applied in one go.
    let good = format!("UserId,SectionCode\n{ada},{c1}\n{bob},{c2}\n");
    let res = b
        .post_multipart(
            &format!("{base}/import"),
            &[("action", None, "preview"), ("file", Some("s.csv"), &good)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("2 rows: 2 accepted, 0 rejected."));
    let html = b
        .post_ok(
            &format!("{base}/import"),
            &[("action", "apply"), ("csv", &good)],
            &format!("{base}?done=imported"),
        )
        .await;
    assert!(html.contains("The import was applied."));
    let after = section_members(&app, course).await;
    assert!(after[0].1.contains(&ada) && !after[0].1.contains(&bob));
    assert!(after[1].1.contains(&bob));
    // The export has the section codes.
    let res = b.get(&format!("{base}.csv")).await;
    let text = res.text().await.expect("csv");
    assert!(
        text.starts_with("OrgDefinedId,UserName,UserId,SectionCode\r\n"),
        "{text}"
    );
    assert!(text.contains(&format!("S-1,ada,{ada},{c1}\r\n")), "{text}");

    // A TA holds no sections.enroll: 403 naming it, on the form and on the post.
    member(&app, course, "si_ta", "Teaching Assistant").await;
    let ta = signed_in(&app, "si_ta").await;
    let (status, html) = ta.page(&format!("{base}/import")).await;
    assert_eq!(status, 403);
    assert!(html.contains("sections.enroll"), "{html}");
    let res = ta
        .post(
            &format!("{base}/import"),
            &[("action", "apply"), ("csv", &good)],
        )
        .await;
    assert_eq!(res.status(), 403);
}

/// The rows of the history page's table, each as its cells' text.
fn history_rows(html: &str) -> Vec<Vec<String>> {
    let Some(body) = html.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    let body = body.split("</tbody>").next().unwrap_or("");
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| cell.split("</td>").next().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

#[actix_web::test]
async fn the_membership_history_page_filters_by_user_and_via_and_pages() {
    let app = spawn_app().await;
    let course = app.create_course("C-HIST").await;
    member(&app, course, "teacher", "Instructor").await;
    let ls = learners(&app, course, "hl", 30).await;
    // 30 entries through the API (the admin's client), then 30 by the category's job.
    deal_sections(&app, course, 2).await;
    let (cat, groups) = api_category(&app, course, "Auto", 2, json!({"NumberOfGroups": 3})).await;
    let b = signed_in(&app, "teacher").await;
    // One more through the console: hl00 out of their group.
    assert_eq!(groups.len(), 3);
    let g = group_members(&app, course, cat)
        .await
        .into_iter()
        .find(|(_, _, members)| members.contains(&ls[0]))
        .expect("hl00's group")
        .0;
    b.post_ok(
        &format!("/console/courses/{course}/categories/{cat}/groups/{g}/remove"),
        &[("user", &ls[0].to_string())],
        &format!("/console/courses/{course}/categories/{cat}?done=removed"),
    )
    .await;

    let base = format!("/console/courses/{course}/history");
    let (_, html) = b.page(&format!("/console/courses/{course}")).await;
    assert!(
        html.contains(&format!("href=\"{base}\"")),
        "linked from the course: {html}"
    );
    let (status, html) = b.page(&base).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<title>Membership history of Course C-HIST"));
    let rows = history_rows(&html);
    assert_eq!(rows.len(), 50, "a page of 50");
    // Newest first: the console's removal, by the teacher.
    let newest = &rows[0];
    assert_eq!(newest[1], "Removed", "{newest:?}");
    assert_eq!(newest[2], "Test hl00 (hl00)");
    assert!(newest[3].ends_with("(group)"), "{newest:?}");
    assert_eq!(newest[4], "Test teacher (teacher)", "{newest:?}");
    assert_eq!(newest[5], "Console");
    assert_eq!(rows[1][5], "Job", "{:?}", rows[1]);
    assert_eq!(rows[1][4], "—");
    assert!(html.contains("rel=\"next\">Older changes</a>"), "{html}");
    assert!(!html.contains("Newest changes"));

    // The older page: the rest, the API's with its client.
    let older = html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with(&format!("{base}?before=")))
        .expect("the older page's link")
        .replace("&amp;", "&");
    let (status, html) = b.page(&older).await;
    assert_eq!(status, 200);
    let rows = history_rows(&html);
    assert_eq!(rows.len(), 11, "61 in all: {rows:?}");
    assert!(
        rows.iter().all(|r| r[5].starts_with("API (client ")),
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[3].starts_with("Section ")),
        "{rows:?}"
    );
    assert!(html.contains(&format!("href=\"{base}\">Newest changes</a>")));

    // Filtered by user (name or id) and by what it came through.
    let (_, html) = b.page(&format!("{base}?user=HL00")).await;
    let rows = history_rows(&html);
    assert_eq!(rows.len(), 3, "dealt, placed, removed: {rows:?}");
    assert!(rows.iter().all(|r| r[2] == "Test hl00 (hl00)"));
    assert!(html.contains("value=\"HL00\""), "the filter is shown");
    let (_, html) = b.page(&format!("{base}?user={}&via=Console", ls[0])).await;
    assert_eq!(history_rows(&html).len(), 1);
    assert!(
        html.contains("<option value=\"Console\" selected>Console</option>"),
        "{html}"
    );
    let (_, html) = b.page(&format!("{base}?via=job")).await;
    let rows = history_rows(&html);
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r[5] == "Job"));
    // The same entries as the API's route answers.
    let api_items = json_ok(
        app.get(
            &app.lp(&format!("/{course}/memberships/history/?via=Job")),
            &app.admin,
        )
        .await,
    )
    .await["Items"]
        .as_array()
        .expect("items")
        .len();
    assert_eq!(api_items, 30);

    // Refusals: an unknown user (404, beside the form), an unknown via or bookmark (400).
    let (status, html) = b.page(&format!("{base}?user=nobody")).await;
    assert_eq!(status, 404);
    assert!(html.contains("No user &quot;nobody&quot;"), "{html}");
    assert!(html.contains("No changes to show."));
    let (status, html) = b.page(&format!("{base}?via=mail")).await;
    assert_eq!(status, 400);
    assert!(html.contains("via: &quot;mail&quot; is not one of Api, Console, AutoEnroll, Job."));
    let (status, _) = b.page(&format!("{base}?before=x")).await;
    assert_eq!(status, 400);

    // A learner holds no enrollments.read: 403 naming it, as the API route.
    let learner = signed_in(&app, "hl01").await;
    let (status, html) = learner.page(&base).await;
    assert_eq!(status, 403);
    assert!(html.contains("enrollments.read"), "{html}");
}
