//! The browser harness: one chromedriver per test binary run, a fresh headless Chromium session
//! per test, and the helpers a page's test needs (find by label, role or text; fill and submit
//! forms; keys; the status message; a phone's width; screenshots; axe-core's WCAG checks).
//!
//! A test is `browser_test(|b| async move { ... }).await` inside `#[actix_web::test]`; it gets a
//! [`Browser`] and spawns its own server with `spawn_app`. docs/architecture.md, "Writing a
//! browser test for a new page", walks through one.
//!
//! Process hygiene: chromedriver runs under a small `sh` in a process group of its own that
//! reads the test binary's pipe; when the binary ends, however it ends, the pipe closes and the
//! shell ends the whole group (chromedriver and every Chromium it started). Each test's
//! session is closed when the test ends, failed or not, and its profile directory removed.
// Helpers are here for the next page's tests too, not only for today's.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

pub use fantoccini::key::Key;

use crate::common::TestApp;

/// The password [`Browser::sign_in_as`] gives a user.
pub const PASSWORD: &str = "correct horse battery";

/// Debian's paths; `CHROMIUM` and `CHROMEDRIVER` name others.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Without these Chromium reaches for the network (updates, sync, QUIC probes) and, on a
/// closed network, hangs on the connections; `--no-sandbox` because tests may run as root in
/// a container. Each session adds its own empty `--user-data-dir`.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--force-device-scale-factor=1",
];

/// Browsers open at once, whatever the test threads: each is a few processes and the machine
/// has 2 cores.
const BROWSERS_AT_ONCE: usize = 2;
static BROWSERS: Semaphore = Semaphore::const_new(BROWSERS_AT_ONCE);

/// A test that takes longer has hung (a page that never loads, a script that never answers).
const TEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The window of every session; [`Browser::assert_fits_phone`] narrows it for a while.
pub const DESKTOP: (u32, u32) = (1280, 900);
/// A small phone in portrait (CSS pixels).
pub const PHONE: (u32, u32) = (360, 800);

/// axe-core (MPL-2.0, tests/browser/vendor/axe.min.js with its licence header), injected into
/// the page by WebDriver's script execution, which the pages' CSP does not govern.
const AXE: &str = include_str!("vendor/axe.min.js");
/// WCAG 2.0, 2.1 and 2.2 at levels A and AA.
pub const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The key WebDriver gives element references in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| CHROMIUM.into(), PathBuf::from)
}

fn chromedriver() -> PathBuf {
    std::env::var_os("CHROMEDRIVER").map_or_else(|| CHROMEDRIVER.into(), PathBuf::from)
}

/// Where profiles and chromedriver's log go.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join("d2l-groups-browser");
    std::fs::create_dir_all(&dir).expect("browser scratch directory");
    dir
}

/// The running chromedriver: its address, and the write end of the pipe that keeps it alive.
struct Driver {
    url: String,
    log: PathBuf,
    _alive: Mutex<ChildStdin>,
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

/// `$1` chromedriver, `$2` its port, `$3` its log. Waits for the end of its input (the test
/// binary has exited), then ends its whole process group: chromedriver and every Chromium it
/// started, which outlive chromedriver otherwise. An empty log is not kept.
const WATCHDOG: &str = r#""$1" --port="$2" --log-path="$3" --log-level=WARNING </dev/null >/dev/null 2>&1 &
while read -r _; do :; done
[ -s "$3" ] || rm -f "$3"
kill -TERM 0"#;

fn start_driver() -> Result<Driver, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for chromedriver: {e}"))?
        .port();
    let log = scratch().join(format!("chromedriver-{port}.log"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(chromedriver())
        .arg(port.to_string())
        .arg(&log)
        // Chromium keeps its crash reports and caches under these, whatever the profile: here,
        // rather than in the home directory of whoever runs the tests.
        .env("XDG_CONFIG_HOME", scratch().join("config"))
        .env("XDG_CACHE_HOME", scratch().join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start sh for chromedriver: {e}"))?;
    let alive = child
        .stdin
        .take()
        .ok_or("no pipe to chromedriver's shell")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "chromedriver's shell ended ({status}); see {}",
                log.display()
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "chromedriver did not listen on port {port} within 20 s; see {}",
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(Driver {
        url: format!("http://127.0.0.1:{port}"),
        log,
        _alive: Mutex::new(alive),
    })
}

/// What is missing to run browser tests, if anything.
fn missing_browser() -> Option<String> {
    let missing: Vec<String> = [chromium(), chromedriver()]
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}

/// Runs one browser test: a fresh Chromium session (at most [`BROWSERS_AT_ONCE`] at a time),
/// closed when `test` ends, passed or failed. Without Chromium the test prints one line saying
/// so and passes, except under CI (`CI` set), where it fails.
pub async fn browser_test<F, Fut>(test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = std::thread::current()
        .name()
        .unwrap_or("browser test")
        .to_string();
    if let Some(missing) = missing_browser() {
        let advice = "install them with `apt-get install chromium chromium-driver` \
                      (or name them with CHROMIUM and CHROMEDRIVER)";
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        if ci {
            panic!("{name}: {missing} not found, and CI needs the browser tests: {advice}");
        }
        // Straight to stderr (the test harness swallows `println!` of a passing test), in one
        // write, so that the line is not cut by the harness's own output.
        let line = format!("{name}: browser test SKIPPED: {missing} not found; {advice}\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
        return;
    }
    let driver = match DRIVER.get_or_init(start_driver) {
        Ok(driver) => driver,
        Err(e) => panic!("{name}: {e}"),
    };
    let _permit = BROWSERS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let profile = scratch().join(format!("profile-{}", uuid::Uuid::new_v4().simple()));
    let client = new_session(driver, &profile).await;
    let browser = Browser {
        client: client.clone(),
    };
    let outcome =
        tokio::time::timeout(TEST_TIMEOUT, AssertUnwindSafe(test(browser)).catch_unwind()).await;
    let _ = client.close().await;
    let _ = std::fs::remove_dir_all(&profile);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{name}: still running after {TEST_TIMEOUT:?}"),
    }
}

async fn new_session(driver: &Driver, profile: &Path) -> Client {
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1));
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium(), "args": args}),
    );
    caps.insert(
        "timeouts".into(),
        json!({"script": 30_000, "pageLoad": 30_000, "implicit": 0}),
    );
    let mut last = None;
    for _ in 0..3 {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!(
        "no Chromium session from chromedriver at {} ({:?}); see {}",
        driver.url,
        last,
        driver.log.display()
    )
}

/// Finds elements as a user does: by their label, role and accessible name, or text. Answers
/// the visible matches. Accessible names are approximated (aria-label, aria-labelledby,
/// `<label>`, a button's value, text), which is what our pages use.
const FIND: &str = r#"
const [how, wanted, role] = arguments;
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const name = e => {
  if (e.hasAttribute('aria-label')) return norm(e.getAttribute('aria-label'));
  const by = e.getAttribute('aria-labelledby');
  if (by) return norm(by.split(/\s+/).map(id => (document.getElementById(id) || {}).textContent || '').join(' '));
  if (e.labels && e.labels.length) return norm([...e.labels].map(l => l.textContent).join(' '));
  if (e.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(e.type)) return norm(e.value);
  if (e.tagName === 'IMG') return norm(e.alt);
  return norm(e.textContent);
};
const IMPLICIT = {
  alert: '', status: '', banner: 'body > header', contentinfo: 'body > footer',
  button: 'button, input[type=submit], input[type=button], input[type=reset]',
  link: 'a[href]', heading: 'h1, h2, h3, h4, h5, h6',
  textbox: 'input:not([type]), input[type=text], input[type=email], input[type=search], input[type=tel], input[type=url], input[type=password], textarea',
  checkbox: 'input[type=checkbox]', radio: 'input[type=radio]', combobox: 'select',
  table: 'table', row: 'tr', cell: 'td', columnheader: 'th[scope=col], thead th',
  rowheader: 'th[scope=row]', list: 'ul, ol', listitem: 'li', form: 'form[aria-label], form[aria-labelledby]',
  main: 'main', navigation: 'nav', img: 'img[alt]:not([alt=""])',
};
let found = [];
if (how === 'label') {
  found = [...document.querySelectorAll('input, select, textarea, button')]
    .filter(e => (e.labels && [...e.labels].some(l => norm(l.textContent) === wanted))
      || norm(e.getAttribute('aria-label')) === wanted);
} else if (how === 'text') {
  found = [...document.body.querySelectorAll('*')]
    .filter(e => norm(e.textContent) === wanted
      && ![...e.children].some(c => norm(c.textContent) === wanted));
} else {
  const implicit = IMPLICIT[role] ? ', ' + IMPLICIT[role] : '';
  found = [...document.querySelectorAll(`[role="${role}"]` + implicit)]
    .filter(e => (!e.hasAttribute('role') || e.getAttribute('role') === role) && name(e) === wanted);
}
return found.filter(visible);
"#;

/// The focused element, described as a person hears it: its role-ish tag and its name.
const FOCUSED: &str = r#"
const e = document.activeElement;
if (!e || e === document.body) return 'nothing';
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
const label = e.getAttribute('aria-label') || (e.labels && e.labels.length ? [...e.labels].map(l => l.textContent).join(' ') : e.textContent);
return `${e.getAttribute('role') || e.tagName.toLowerCase()} "${norm(label)}"`;
"#;

/// A status or error message of the page (`role=alert` or `role=status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub text: String,
}

/// A page measured at a phone's width.
#[derive(Debug, Clone)]
pub struct PhoneFit {
    pub inner_width: u64,
    pub scroll_width: u64,
    /// Elements whose right edge is past the window (`tag#id right-edge`).
    pub too_wide: Vec<String>,
}

/// One axe-core finding.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    /// A CSS selector of each element at fault.
    pub targets: Vec<String>,
}

/// One test's browser session. Every helper panics with what it saw when the page is not as
/// expected, so a test reads as a list of steps.
#[derive(Clone)]
pub struct Browser {
    client: Client,
}

impl Browser {
    /// The WebDriver client, for what no helper does.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for it to load.
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.settle().await;
    }

    /// Waits for two rendering frames: by then the browser has applied `autofocus` and laid
    /// the page out, which the load event alone does not promise.
    async fn settle(&self) {
        self.client
            .execute_async(
                "const done = arguments[0];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .expect("a rendering frame");
    }

    /// The address shown, whole.
    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("current URL")
    }

    /// The path and query of the address shown (`/d2l/login?signedOut=1`).
    pub async fn path(&self) -> String {
        let url = self.url().await;
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    /// The page's text as shown (`innerText` of the body), spaces collapsed.
    pub async fn text(&self) -> String {
        let text = self.script("return document.body.innerText", vec![]).await;
        text.as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and answers its result.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    async fn find_all(&self, how: &str, wanted: &str, role: &str) -> Vec<Element> {
        let found = self
            .script(FIND, vec![json!(how), json!(wanted), json!(role)])
            .await;
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.get(ELEMENT_KEY).and_then(Value::as_str))
                    .map(|id| {
                        Element::from_element_id(
                            self.client.clone(),
                            ElementRef::from(id.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn one(&self, how: &str, wanted: &str, role: &str) -> Element {
        let mut found = self.find_all(how, wanted, role).await;
        if found.len() != 1 {
            let path = self.path().await;
            let text = self.text().await;
            panic!(
                "expected one visible element by {how} {role} {wanted:?} on {path}, found {}; the page reads: {text}",
                found.len()
            );
        }
        found.remove(0)
    }

    /// The one visible form field labelled `label` (by `<label>` or aria-label).
    pub async fn by_label(&self, label: &str) -> Element {
        self.one("label", label, "").await
    }

    /// The one visible element of ARIA `role` (explicit or implied by its tag) named `name`:
    /// `by_role("button", "Sign in")`, `by_role("link", "Home")`, `by_role("heading", ...)`.
    pub async fn by_role(&self, role: &str, name: &str) -> Element {
        self.one("role", name, role).await
    }

    /// How many visible elements of `role` are named `name` (0 when none, unlike `by_role`).
    pub async fn count_role(&self, role: &str, name: &str) -> usize {
        self.find_all("role", name, role).await.len()
    }

    /// The innermost visible element whose whole text is `text`.
    pub async fn by_text(&self, text: &str) -> Element {
        self.one("text", text, "").await
    }

    /// Types `value` into the field labelled `label`, replacing what it held.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.by_label(label).await;
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type into field");
    }

    /// Picks the option shown as `option` in the drop-down labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        self.by_label(label)
            .await
            .select_by_label(option)
            .await
            .unwrap_or_else(|e| panic!("choose {option:?} in {label:?}: {e}"));
    }

    /// Ticks (`true`) or clears the checkbox or radio button labelled `label`.
    pub async fn set_checked(&self, label: &str, checked: bool) {
        let field = self.by_label(label).await;
        if field.is_selected().await.expect("checked state") != checked {
            field
                .click()
                .await
                .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
        }
    }

    /// What the field labelled `label` holds now.
    pub async fn value_of(&self, label: &str) -> String {
        self.by_label(label)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Marks the page shown, so that [`Browser::wait_for_new_page`] can tell when another one
    /// has replaced it.
    pub async fn mark_page(&self) {
        self.script("window.__d2lOldPage = true", vec![]).await;
    }

    /// Waits until a page other than the marked one has loaded.
    pub async fn wait_for_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // The old page may be gone mid-navigation; a failed probe is a retry.
            let state = self
                .client
                .execute(
                    "return window.__d2lOldPage ? 'old' : document.readyState",
                    vec![],
                )
                .await;
            if matches!(&state, Ok(Value::String(s)) if s == "complete") {
                self.settle().await;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page within 20 s (last seen {state:?})"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks the button named `name` that submits a form, and waits for the next page.
    pub async fn press_button(&self, name: &str) {
        let button = self.by_role("button", name).await;
        self.mark_page().await;
        button
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {name:?}: {e}"));
        self.wait_for_new_page().await;
    }

    /// Follows the link named `name` and waits for the next page.
    pub async fn follow_link(&self, name: &str) {
        let link = self.by_role("link", name).await;
        self.mark_page().await;
        link.click()
            .await
            .unwrap_or_else(|e| panic!("follow {name:?}: {e}"));
        self.wait_for_new_page().await;
    }

    /// The page's alert or status message, if it shows one.
    pub async fn message(&self) -> Option<Message> {
        let found = self
            .script(
                "const e = document.querySelector('[role=alert], [role=status]');
                 return e ? [e.getAttribute('role'), e.textContent.replace(/\\s+/g, ' ').trim()] : null;",
                vec![],
            )
            .await;
        let pair = found.as_array()?;
        Some(Message {
            role: pair.first()?.as_str()?.to_string(),
            text: pair.get(1)?.as_str()?.to_string(),
        })
    }

    /// Presses and releases `key` (`Key::Tab`, `Key::Enter`) wherever the focus is, as a
    /// keyboard does.
    pub async fn press(&self, key: Key) {
        let key: char = key.into();
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client
            .perform_actions(actions)
            .await
            .expect("key press");
    }

    /// Types `text` key by key into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for c in text.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.expect("typing");
    }

    /// Whether `element` has the keyboard focus.
    pub async fn is_focused(&self, element: &Element) -> bool {
        let element = serde_json::to_value(element).expect("element reference");
        self.script(
            "return arguments[0] === document.activeElement",
            vec![element],
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// The focused element as `tag "name"` (`input "User name"`, `button "Sign in"`), or
    /// `nothing`.
    pub async fn focused(&self) -> String {
        let v = self.script(FOCUSED, vec![]).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// Moves the keyboard's starting point to the top of the page, as if it had just loaded
    /// without autofocus: the next Tab reaches the page's first focusable element.
    pub async fn focus_top(&self) {
        self.script(
            "document.activeElement && document.activeElement.blur();
             const top = document.createElement('span');
             top.tabIndex = -1;
             document.body.prepend(top);
             top.focus();
             top.addEventListener('blur', () => top.remove());",
            vec![],
        )
        .await;
    }

    /// Signs in through the sign-in form at `app` as a user does (its password must have been
    /// set, e.g. with `common::set_password`); answers where the browser landed.
    pub async fn sign_in(&self, app: &TestApp, user: &str, password: &str) -> String {
        self.open(&app.url("/d2l/login")).await;
        self.fill("User name", user).await;
        self.fill("Password", password).await;
        self.press_button("Sign in").await;
        self.path().await
    }

    /// Gives `user` the password [`PASSWORD`] (with the CLI, as an operator does) and signs
    /// in as them through the form; fails unless the browser lands on `/d2l/home`.
    pub async fn sign_in_as(&self, app: &TestApp, user: &str) {
        let out = crate::common::set_password(app, user, PASSWORD);
        assert!(
            out.status.success(),
            "set {user}'s password: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let landed = self.sign_in(app, user, PASSWORD).await;
        assert_eq!(
            landed,
            "/d2l/home",
            "{user} signed in: {}",
            self.text().await
        );
    }

    /// Narrows the window to a phone's width ([`PHONE`]), measures the page, and widens the
    /// window again.
    pub async fn phone_fit(&self) -> PhoneFit {
        self.client
            .set_window_size(PHONE.0, PHONE.1)
            .await
            .expect("resize to a phone");
        let seen = self
            .script(
                "const w = window.innerWidth;
                 const wide = [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 0.5)
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' '
                     + Math.round(e.getBoundingClientRect().right) + 'px');
                 return [w, document.documentElement.scrollWidth, wide];",
                vec![],
            )
            .await;
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("resize back");
        PhoneFit {
            inner_width: seen[0].as_u64().expect("innerWidth"),
            scroll_width: seen[1].as_u64().expect("scrollWidth"),
            too_wide: seen[2]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Fails if the page scrolls sideways at a phone's width (`scrollWidth > innerWidth` at
    /// [`PHONE`]), naming what sticks out.
    pub async fn assert_fits_phone(&self, page: &str) {
        let fit = self.phone_fit().await;
        assert!(
            fit.inner_width <= u64::from(PHONE.0),
            "{page}: the window did not narrow to {} px ({fit:?})",
            PHONE.0
        );
        assert!(
            fit.scroll_width <= fit.inner_width,
            "{page} scrolls sideways at {} px wide (scrollWidth {}); too wide: {:?}",
            fit.inner_width,
            fit.scroll_width,
            fit.too_wide
        );
    }

    /// Saves what the window shows as a PNG at `path` (directories made as needed).
    pub async fn save_screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// When `SAVE_SCREENSHOTS` is set, saves the window as `docs/screenshots/{name}.png` (the
    /// pictures the docs show); otherwise does nothing, so a plain run writes no file.
    pub async fn screenshot_for_docs(&self, name: &str) {
        if std::env::var_os("SAVE_SCREENSHOTS").is_some() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs/screenshots")
                .join(format!("{name}.png"));
            self.save_screenshot(&path).await;
        }
    }

    /// Runs axe-core on the page with the [`WCAG_TAGS`] rules; answers its violations.
    pub async fn axe_violations(&self) -> Vec<Violation> {
        let script = format!(
            "const done = arguments[arguments.length - 1];\n{AXE}\n;\
             window.axe.run(document, {{runOnly: {{type: 'tag', values: arguments[0]}}, resultTypes: ['violations']}})\
               .then(r => done({{violations: r.violations.map(v => ({{id: v.id, impact: v.impact || '', help: v.help,\
                 targets: v.nodes.map(n => [].concat(n.target).join(' '))}}))}}))\
               .catch(e => done({{error: String(e)}}));"
        );
        let answer = self
            .client
            .execute_async(&script, vec![json!(WCAG_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("axe-core could not run: {e}"));
        if let Some(error) = answer.get("error") {
            panic!("axe-core failed: {error}");
        }
        answer["violations"]
            .as_array()
            .expect("axe violations")
            .iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().into(),
                impact: v["impact"].as_str().unwrap_or_default().into(),
                help: v["help"].as_str().unwrap_or_default().into(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }
}

/// Fails, listing each violation (rule, impact, what it asks, where), unless axe-core finds
/// nothing against WCAG 2.0/2.1/2.2 A and AA on the page `browser` shows.
pub async fn assert_accessible(browser: &Browser, page: &str) {
    let violations = browser.axe_violations().await;
    if !violations.is_empty() {
        let list: Vec<String> = violations
            .iter()
            .map(|v| {
                format!(
                    "- {} ({}): {} at {}",
                    v.id,
                    v.impact,
                    v.help,
                    v.targets.join(", ")
                )
            })
            .collect();
        panic!(
            "{page} ({}): {} accessibility violation(s):\n{}",
            browser.path().await,
            violations.len(),
            list.join("\n")
        );
    }
}

/// An app's own web server on another origin (another port of loopback), as every real app's
/// redirect URI is: it records each request's URL and answers a small page. A test whose
/// callback were a path of our own server would miss what a browser refuses across origins
/// (the consent form's `form-action`, for one).
pub struct AppOrigin {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub origin: String,
    received: std::sync::Arc<Mutex<Vec<url::Url>>>,
}

impl AppOrigin {
    /// Starts the app's server; it stops with the test's runtime.
    pub async fn start() -> AppOrigin {
        use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
        let received = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let server = HttpServer::new(move || {
            let seen = seen.clone();
            App::new().default_service(web::to(move |req: HttpRequest| {
                let seen = seen.clone();
                async move {
                    if req.path() == "/favicon.ico" {
                        return HttpResponse::NotFound().finish();
                    }
                    let here = format!("http://{}{}", req.connection_info().host(), req.uri());
                    if let Ok(url) = url::Url::parse(&here) {
                        seen.lock().expect("not poisoned").push(url);
                    }
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(
                            "<!doctype html><html lang=en><title>The app</title>\
                             <main><h1>The app received the answer</h1></main></html>",
                        )
                }
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind the app's port");
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        AppOrigin {
            origin: format!("http://127.0.0.1:{port}"),
            received,
        }
    }

    /// `path` on the app's origin.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Every URL the app has been sent to so far, oldest first.
    pub fn received(&self) -> Vec<url::Url> {
        self.received.lock().expect("not poisoned").clone()
    }
}
