//! Headless Chromium driven through chromedriver (Debian's `chromium` and `chromium-driver`),
//! with the few page operations the console tests need, each bounded in time.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a page may take to show what a step expects.
const WAIT: Duration = Duration::from_secs(15);

/// chromedriver, in its own process group with every Chromium process it starts; dropping it
/// kills the whole group, so a failing test leaks no process.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

/// A browser session on a fresh profile.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    screenshots: PathBuf,
    _driver: Driver,
    profile: tempfile::TempDir,
}

/// Where screenshots go: `target/console-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    tern_tests::artifact_dir()
        .parent()
        .expect("the target directory")
        .join("console-screenshots")
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium with a fresh profile
    /// and a window of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: install Debian's chromium and chromium-driver packages \
                 (apt-get install chromium chromium-driver), as .ci/run does"
            );
        }
        let screenshots = screenshot_dir();
        // A fresh set: no picture from an earlier run (a failure.png) is left to mislead.
        let _ = std::fs::remove_dir_all(&screenshots);
        std::fs::create_dir_all(&screenshots).expect("screenshot directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!(
                    "--log-path={}",
                    screenshots.join("chromedriver.log").display()
                ))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts"),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("a Chromium profile directory");
        // Without the networking switches Chromium keeps calling home, which a closed
        // network refuses, and it can hang.
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // Numbers and dates as the assertions expect them, whatever the machine's locale.
            "--lang=en-US".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        let downloads = profile.path().join("downloads");
        let Value::Object(capabilities) = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": args,
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            },
        }) else {
            unreachable!("a JSON object literal")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let url = format!("http://127.0.0.1:{port}");
        let client = tokio::time::timeout(Duration::from_secs(60), builder.connect(&url))
            .await
            .expect("Chromium started within 60 s")
            .expect("a WebDriver session");
        Browser {
            client,
            screenshots,
            _driver: driver,
            profile,
        }
    }

    /// Sets the size of the window (the viewport the page lays out in).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window resized");
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page opens");
    }

    /// The first element matching `css`, waiting until one exists.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(err) => {
                self.fail(format!("no element {css} within {WAIT:?}: {err}"))
                    .await
            }
        }
    }

    /// Saves `failure.png`, showing the page as it was, then panics with `message`.
    async fn fail(&self, message: String) -> ! {
        self.screenshot("failure").await;
        panic!("{message}");
    }

    /// The button inside `scope` (CSS) whose text is `label`, waiting until it exists.
    pub async fn button(&self, scope: &str, label: &str) -> Element {
        let scope = self.find(scope).await;
        let xpath = format!(".//button[normalize-space(.)={label:?}]");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(button) = scope.find(Locator::XPath(&xpath)).await {
                return button;
            }
            if Instant::now() > deadline {
                self.fail(format!("no button {label:?} within {WAIT:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the button labelled `label` inside `scope`.
    pub async fn click_button(&self, scope: &str, label: &str) {
        self.button(scope, label)
            .await
            .click()
            .await
            .unwrap_or_else(|err| panic!("click {label:?}: {err}"));
    }

    /// Replaces the value of the input matching `css` by typing `value`.
    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("input cleared");
        input.send_keys(value).await.expect("typed");
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// Waits until the text of the first element matching `css` contains `needle`; returns it.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                self.fail(format!(
                    "{css} did not show {needle:?} within {WAIT:?}; it shows {text:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("query")
            .is_empty()
        {
            if Instant::now() > deadline {
                self.fail(format!("{css} still shown after {WAIT:?}")).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("query")
            .len()
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .expect("script runs")
    }

    /// Waits until the browser has downloaded `name`; returns its contents.
    pub async fn downloaded(&self, name: &str) -> String {
        let path = self.profile.path().join("downloads").join(name);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return text;
            }
            if Instant::now() > deadline {
                self.fail(format!("{name} was not downloaded within {WAIT:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the viewport as `name.png` in the screenshot directory.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot saved");
        println!("screenshot: {}", path.display());
    }

    /// Ends the session (Chromium exits); chromedriver is killed when `self` is dropped.
    pub async fn close(self) {
        let Browser {
            client,
            _driver: driver,
            profile,
            ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(20), client.close()).await;
        // chromedriver and any Chromium left go first, then their profile.
        drop(driver);
        drop(profile);
    }
}
