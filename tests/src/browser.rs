//! Headless Chromium through chromedriver, with a fresh profile per browser.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub struct Browser {
    pub client: Client,
    driver: Child,
    /// The profile folder, deleted with the browser unless the caller keeps it ([`Browser::start_in`]).
    _profile: Option<tempfile::TempDir>,
}

/// A DevTools protocol command sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How long to wait for the app to show something before failing a test.
pub const WAIT: Duration = Duration::from_secs(20);

impl Browser {
    /// A tablet-sized (820×1180, a 10-inch tablet in portrait) headless Chromium.
    pub async fn start() -> Browser {
        Browser::start_sized(820, 1180).await
    }

    pub async fn start_sized(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        Browser::start_with_profile(profile, width, height).await
    }

    /// Starts with the given profile folder (e.g. one on a small file system, to fill the disk).
    pub async fn start_with_profile(
        profile: tempfile::TempDir,
        width: u32,
        height: u32,
    ) -> Browser {
        Browser::start_with_profile_and_args(profile, width, height, &[]).await
    }

    /// A new browser process on a profile folder the caller keeps: closed and started again on the same
    /// folder, it is the same device after a restart (service worker, IndexedDB and caches kept).
    pub async fn start_in(profile: &std::path::Path) -> Browser {
        Browser::launch(profile, None, 820, 1180, &[]).await
    }

    /// As [`Browser::start_with_profile`], with more Chromium flags (e.g. the HTTP cache elsewhere).
    pub async fn start_with_profile_and_args(
        profile: tempfile::TempDir,
        width: u32,
        height: u32,
        more: &[&str],
    ) -> Browser {
        let path = profile.path().to_path_buf();
        Browser::launch(&path, Some(profile), width, height, more).await
    }

    async fn launch(
        path: &std::path::Path,
        profile: Option<tempfile::TempDir>,
        width: u32,
        height: u32,
        more: &[&str],
    ) -> Browser {
        let port = free_port();
        let driver =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, which Chromium joins: killed whole when the browser is dropped.
                .process_group(0)
                .spawn()
                .expect("chromedriver is installed (scripts/setup.sh --browser)");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--lang=ja-JP",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--user-data-dir={}", path.display()));
        args.extend(more.iter().map(|a| a.to_string()));
        args.extend(extra_args());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("could not start a Chromium session: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.into(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("DevTools command {cmd} failed: {e}"))
    }

    /// Cuts (or restores) the page's network, as DevTools' offline mode does.
    pub async fn set_offline(&self, offline: bool) {
        self.cdp("Network.enable", json!({})).await;
        let conditions = json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
        self.cdp("Network.emulateNetworkConditions", conditions)
            .await;
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// Waits for an element, failing with the page's text if it never comes.
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                return el;
            }
            if Instant::now() > deadline {
                let text = self
                    .eval_string("return document.body ? document.body.innerText : ''")
                    .await;
                panic!("timed out waiting for `{css}`; the page shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a JS expression is truthy.
    pub async fn wait_until(&self, what: &str, expr: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.eval(&format!("return !!({expr})")).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let text = self
                    .eval_string("return document.body ? document.body.innerText : ''")
                    .await;
                panic!("timed out waiting until {what} (`{expr}`); the page shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element; when the app re-rendered it between finding and clicking (a stale element) or
    /// the layout was still settling, finds it again.
    pub async fn click(&self, css: &str) {
        for attempt in 0.. {
            let element = self.wait(css).await;
            self.wait_still(css).await;
            match element.click().await {
                Ok(()) => return,
                // Re-rendered, or still moving into place (another element would get the click).
                Err(e)
                    if attempt < 20
                        && (e.to_string().contains("stale element")
                            || e.to_string().contains("click intercepted")) =>
                {
                    // A sticky bar may cover an element scrolled just into view: bring it to the middle.
                    let _ = self
                        .client
                        .execute(
                            &format!(
                                "document.querySelector({css:?})?.scrollIntoView({{block: 'center'}})"
                            ),
                            vec![],
                        )
                        .await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("could not click `{css}`: {e}"),
            }
        }
    }

    /// Waits (up to two seconds) until the element stays where it is for 100 ms, as a person's finger would:
    /// a banner appearing above it (the sign-in reminder, after an answer from the server) moves it, and a
    /// click aimed at its old place would land on something else without any error.
    async fn wait_still(&self, css: &str) {
        let rect = format!(
            "const r = document.querySelector({css:?})?.getBoundingClientRect(); \
             return r ? [r.x, r.y, r.width, r.height] : null;"
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut before = self.eval(&rect).await;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.eval(&rect).await;
            if now == before {
                return;
            }
            before = now;
        }
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async script: it finishes by calling `done(value)` (the last argument).
    pub async fn eval_async(&self, script: &str) -> Value {
        let wrapped = format!("const done = arguments[arguments.length - 1];\n{script}");
        self.client
            .execute_async(&wrapped, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Gives the page a virtual passkey authenticator (DevTools WebAuthn): user verification by "biometrics"
    /// always succeeds, as if the person touched the sensor.
    pub async fn add_virtual_authenticator(&self) {
        self.cdp("WebAuthn.enable", json!({ "enableUI": false }))
            .await;
        self.cdp(
            "WebAuthn.addVirtualAuthenticator",
            json!({ "options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true
            } }),
        )
        .await;
    }

    pub async fn eval_string(&self, script: &str) -> String {
        self.eval(script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Types into an input the way a user does: focus, replace the value, fire `input` and `change`.
    pub async fn fill(&self, css: &str, value: &str) {
        self.wait(css).await;
        let script = format!(
            "const el=document.querySelector({css:?});el.focus();el.value={value:?};\
             el.dispatchEvent(new Event('input',{{bubbles:true}}));el.dispatchEvent(new Event('change',{{bubbles:true}}));"
        );
        self.eval(&script).await;
    }

    /// First visit: sets up a facility (kind as `FacilityKind::as_str`, e.g. `clinic`) and waits for home.
    pub async fn set_up_facility(&self, url: &str, name: &str, kind: &str, user: &str) {
        self.goto(url).await;
        self.fill("select[name=kind]", kind).await;
        self.fill("input[name=name]", name).await;
        self.fill("input[name=user]", user).await;
        self.click("button[type=submit]").await;
        self.wait(".checklist-row").await;
    }

    /// Registers a vendor on 事業者 (the form sheet), with its systems and emergency number when given, and
    /// waits until it is listed.
    pub async fn add_vendor(&self, url: &str, name: &str, systems: &str, phone: &str) {
        self.goto(&format!("{url}/vendors")).await;
        self.click(".add-vendor").await;
        self.fill(".vendor-sheet input[name=vendor_name]", name)
            .await;
        if !systems.is_empty() {
            self.fill(".vendor-sheet input[name=vendor_systems]", systems)
                .await;
        }
        if !phone.is_empty() {
            self.fill(".vendor-sheet input[name=vendor_phone]", phone)
                .await;
        }
        self.click(".save-vendor").await;
        self.wait_until(
            "the vendor is listed",
            &format!("document.querySelector('.vendor-list')?.textContent.includes({name:?})"),
        )
        .await;
    }

    /// The facility's join link a second device opens (設定 → 共有), once the index reached the server.
    pub async fn join_link(&self, url: &str) -> String {
        self.wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
            .await;
        self.goto(&format!("{url}/settings")).await;
        self.wait(".share-link").await;
        let join = self
            .eval_string("return document.querySelector('.share-link').value")
            .await;
        assert!(join.contains("/join/"), "{join}");
        join
    }

    /// From the home screen, opens the first checklist; returns its URL without `/section/N`.
    pub async fn open_first_checklist(&self) -> String {
        self.click(".checklist-row .checklist-link").await;
        self.wait("li.item").await;
        self.checklist_url().await
    }

    /// The current checklist's URL without `/section/N` (or `/print`).
    pub async fn checklist_url(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .expect("a current URL")
            .to_string();
        let base = url.split("/section/").next().unwrap_or(&url);
        base.trim_end_matches("/print").to_string()
    }

    /// Waits until the service worker controls the page (the app shell is cached for offline use).
    pub async fn wait_for_service_worker(&self) {
        self.wait_until(
            "the service worker controls the page",
            "navigator.serviceWorker.controller !== null",
        )
        .await;
    }

    /// Whether no element matches `css` now.
    pub async fn absent(&self, css: &str) -> bool {
        self.eval(&format!("return document.querySelector({css:?}) === null"))
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// Answers an item of the checklist on screen はい and waits until that is saved.
    pub async fn answer_yes(&self, item: &str) {
        self.click(&format!(
            r#"li[data-item="{item}"] button[data-choice="yes"]"#
        ))
        .await;
        self.wait(&format!(r#"li[data-item="{item}"][data-answer="yes"]"#))
            .await;
        self.wait_saved().await;
    }

    /// Waits until everything the app holds is committed to IndexedDB.
    pub async fn wait_saved(&self) {
        self.wait_until(
            "the app reports it saved",
            "document.querySelector('.save-state[data-state=\"saved\"]')",
        )
        .await;
    }

    /// A PNG of one element, as the screen shows it (a camera's view of a QR code, say).
    pub async fn screenshot(&self, css: &str) -> Vec<u8> {
        self.wait(css).await;
        // In page coordinates (the viewport's rectangle plus the scroll), captured beyond the viewport: the
        // element is wherever the page's layout puts it, scrolled or not.
        let rect = self
            .eval(&format!(
                "const e = document.querySelector({css:?}); e.scrollIntoView({{ block: 'center' }}); \
                 const r = e.getBoundingClientRect(); \
                 return {{ x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height }};"
            ))
            .await;
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true, "clip": {
                    "x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"], "scale": 1
                } }),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(
                shot["data"]
                    .as_str()
                    .expect("captureScreenshot returns data"),
            )
            .expect("base64 PNG")
    }

    /// Moves the page's clock to 10:00 local time on a date, from the next page load on (`Date` and
    /// `Date.now()` shifted, running on from there). Returns the script's id, for [`Browser::unset_clock`].
    pub async fn set_clock(&self, y: i32, m: u32, d: u32) -> String {
        let source = format!(
            "(() => {{ const D = Date; const offset = new D({y}, {}, {d}, 10).getTime() - D.now();\
             class Shifted extends D {{ constructor(...a) {{ if (a.length === 0) super(D.now() + offset); else super(...a); }}\
             static now() {{ return D.now() + offset; }} }}\
             globalThis.Date = Shifted; }})();",
            m - 1
        );
        let out = self
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": source }),
            )
            .await;
        out["identifier"].as_str().unwrap().to_string()
    }

    /// Takes back a [`Browser::set_clock`] (from the next page load on).
    pub async fn unset_clock(&self, id: String) {
        self.cdp(
            "Page.removeScriptToEvaluateOnNewDocument",
            json!({ "identifier": id }),
        )
        .await;
    }

    /// Prints the current page to PDF as the browser's print dialog would (CSS page size honoured).
    pub async fn print_pdf(&self) -> Vec<u8> {
        let out = self
            .cdp(
                "Page.printToPDF",
                json!({ "preferCSSPageSize": true, "printBackground": false }),
            )
            .await;
        let data = out["data"].as_str().expect("printToPDF returns data");
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64 PDF")
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.kill_all();
    }

    /// Kills chromedriver and every Chromium process it started (its process group): a test that panics
    /// leaves no browser running.
    fn kill_all(&mut self) {
        if matches!(self.driver.try_wait(), Ok(Some(_))) {
            // Already done (closed): its id may belong to someone else by now.
            return;
        }
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Extra Chromium flags from `MAMORI_CHROMIUM_ARGS` (space-separated), for looking into the browser's own
/// behaviour, e.g. `--enable-logging --log-file=/tmp/chromium.log --vmodule=*indexed_db*=2`.
fn extra_args() -> Vec<String> {
    std::env::var("MAMORI_CHROMIUM_ARGS")
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}
