//! A real headless Chromium for the web interface's tests, driven over WebDriver (fantoccini).
//! Each `Browser` starts its own chromedriver on a free port, with a fresh profile, and stops it
//! (and the browser it started) when dropped, also when the test fails. `Browser::run` wraps a
//! test's steps: when one panics, it saves a screenshot and the page's HTML under the system temp
//! directory and prints their paths before the test fails. Every wait polls with a deadline.
//!
//! Binaries: `HEARTH_TEST_CHROMIUM` (default `/usr/bin/chromium`) and `HEARTH_TEST_CHROMEDRIVER`
//! (default `chromedriver` on `PATH`); Debian's `chromium` and `chromium-driver` packages.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};
use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long a step may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// Where tests put the screenshots the README shows: `HEARTH_SCREENSHOTS_DIR` (set it to
/// `docs/screenshots` to refresh the committed ones), else a temporary directory.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("HEARTH_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("hearth-screenshots"))
}

/// How the browser is set up.
#[derive(Debug, Clone, Copy)]
pub struct BrowserOptions {
    /// Run scripts (`false` tests the pages as they work without JavaScript).
    pub javascript: bool,
    /// Window width in CSS pixels.
    pub width: u32,
    /// Window height in CSS pixels.
    pub height: u32,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            javascript: true,
            width: 1280,
            height: 900,
        }
    }
}

/// A chromedriver process; dropping it kills its whole process group (the driver and the
/// browser it launched), so nothing outlives the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The driver leads its own process group (see `spawn_driver`); the browser is in it.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.wait();
    }
}

fn chromium_binary() -> String {
    std::env::var("HEARTH_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn chromedriver_binary() -> String {
    std::env::var("HEARTH_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// Starts chromedriver on a free port and waits until it answers. A port taken between
/// choosing and binding it makes the driver exit at once; then another port is tried.
async fn spawn_driver() -> Driver {
    use std::os::unix::process::CommandExt;
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port();
        let child = Command::new(chromedriver_binary())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): install Debian's chromium-driver, or set \
                     HEARTH_TEST_CHROMEDRIVER",
                    chromedriver_binary()
                )
            });
        let mut driver = Driver { child, port };
        let status_url = format!("http://127.0.0.1:{port}/status");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                last_error = format!("chromedriver exited with {status}");
                break;
            }
            if let Ok(response) = reqwest::get(&status_url).await
                && response.status().is_success()
            {
                return driver;
            }
            if Instant::now() > deadline {
                last_error = "chromedriver did not answer in time".to_owned();
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        // `driver` drops here, which stops it before the next attempt.
    }
    panic!("could not start chromedriver: {last_error}");
}

/// A panic caught from a future, so that the browser can record the page before the test fails.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// A headless Chromium session.
pub struct Browser {
    client: Client,
    test: String,
    options: BrowserOptions,
    // Field order is drop order: the profile directory goes after the browser has stopped.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser for the test named `test`, with JavaScript on or off.
    pub async fn start(test: &str, javascript: bool) -> Self {
        Self::start_with(
            test,
            BrowserOptions {
                javascript,
                ..BrowserOptions::default()
            },
        )
        .await
    }

    /// Starts a browser with JavaScript on, in the 1280×1000 window the README's screenshots
    /// are taken in.
    pub async fn start_for_screenshots(test: &str) -> Self {
        Self::start_with(
            test,
            BrowserOptions {
                javascript: true,
                width: 1280,
                height: 1000,
            },
        )
        .await
    }

    /// Starts a browser with `options`.
    pub async fn start_with(test: &str, options: BrowserOptions) -> Self {
        let driver = spawn_driver().await;
        let profile = tempfile::Builder::new()
            .prefix("hearth-chromium-")
            .tempdir()
            .expect("a profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-crash-reporter".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--lang=en-US".to_owned(),
            format!("--window-size={},{}", options.width, options.height),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut chrome_options = Map::new();
        if !options.javascript {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
            chrome_options.insert(
                "prefs".to_owned(),
                json!({"profile.managed_default_content_settings.javascript": 2}),
            );
        }
        chrome_options.insert("binary".to_owned(), Value::from(chromium_binary()));
        chrome_options.insert("args".to_owned(), json!(args));
        let mut capabilities = Map::new();
        capabilities.insert("browserName".to_owned(), Value::from("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            Value::Object(chrome_options),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        Self {
            client,
            test: test.to_owned(),
            options,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs a test's steps; when one panics, saves the page (see `save_artifacts`) and fails the
    /// test with the original panic.
    pub async fn run<F: Future<Output = ()>>(&self, steps: F) {
        if let Err(panic) = CatchUnwind(Box::pin(steps)).await {
            self.save_artifacts("failure").await;
            resume_unwind(panic);
        }
    }

    /// Saves a screenshot and the HTML of the current page under the system temp directory and
    /// prints their paths.
    pub async fn save_artifacts(&self, label: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join("hearth-browser-artifacts");
        let _ = std::fs::create_dir_all(&dir);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let base = dir.join(format!("{}-{label}-{stamp}", self.test));
        let png = base.with_extension("png");
        let html = base.with_extension("html");
        match self.client.screenshot().await {
            Ok(bytes) => {
                let _ = std::fs::write(&png, bytes);
            }
            Err(e) => eprintln!("[{}] no screenshot: {e}", self.test),
        }
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        match self.client.source().await {
            Ok(source) => {
                let _ = std::fs::write(&html, format!("<!-- {url} -->\n{source}"));
            }
            Err(e) => eprintln!("[{}] no page source: {e}", self.test),
        }
        eprintln!(
            "[{}] page at {url} saved:\n  screenshot: {}\n  html:       {}",
            self.test,
            png.display(),
            html.display()
        );
        (png, html)
    }

    /// The options it was started with.
    pub fn options(&self) -> BrowserOptions {
        self.options
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Signs `name` in with `password` through the sign-in form of the server at `base`, and
    /// waits until the header shows them.
    pub async fn sign_in(&self, base: &str, name: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#username", name).await;
        self.fill("#password", password).await;
        self.click("main form button[type=submit]").await;
        self.wait_for_text(".account-nav", name).await;
    }

    /// Reloads the page.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload the page");
    }

    /// The current address's path, with its query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Polls `check` until it returns `Some`, failing the test with `what` at the deadline.
    pub async fn wait_for<T, Fut>(&self, what: &str, mut check: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() > deadline {
                let path = self.client.current_url().await.map(|u| u.to_string());
                panic!(
                    "timed out waiting for {what} (page: {})",
                    path.unwrap_or_default()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for(&format!("an element matching `{css}`"), || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Every element matching `css` now (possibly none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// True when an element matches `css` now.
    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Replaces the text of the field matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear the field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into `{css}`: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// The text of the element matching `css`, waiting for it to appear.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// Waits until the element matching `css` contains `needle`; returns its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        self.wait_for(&format!("`{css}` to contain {needle:?}"), || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            let text = element.text().await.ok()?;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// Waits until the address's path (with query) satisfies `check`; returns it.
    pub async fn wait_for_path(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_for(&format!("the address to be {what}"), || async {
            let path = self.path().await;
            check(&path).then_some(path)
        })
        .await
    }

    /// The value of an attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .expect("read an attribute")
    }

    /// The HTML of the page.
    pub async fn html(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// True when scripts ran on the current page (the enhancement script marks `<html>`).
    pub async fn scripts_ran(&self) -> bool {
        self.attr("html", "class")
            .await
            .is_some_and(|class| class.split_whitespace().any(|c| c == "js"))
    }

    /// Saves a screenshot of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }

    /// Ends the session (the browser quits); the driver stops when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
