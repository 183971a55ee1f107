//! The public pages in a real headless browser: Debian's Chromium, driven through chromedriver
//! (WebDriver over HTTP on loopback), against the real router on a real loopback port. A visitor
//! subscribes and confirms, requests a gated report and downloads it through the mailed link, and
//! submits a vulnerability report whose injected markup stays inert, on the refused form and on
//! the follow-up page. Every step leaves a screenshot in `<CARGO_TARGET_TMPDIR>/screenshots/`.
//! Chromium and chromedriver come from scripts/test-services/trust.sh; without them the test
//! prints `SKIPPED` (and fails under `CI=true`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use custodian_auth::AuthService;
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock};
use custodian_trust::{RecordingMailer, TrustConfig, TrustService, Visibility};
use custodian_web::{AppState, RouterLimits, router};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::access::soc2;
use crate::common::{START, skip};
use crate::pages::PlainSealer;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long any one wait (driver start, page change, download) may take.
const PATIENCE: Duration = Duration::from_secs(20);
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const PDF: &[u8] = b"%PDF-1.4\n% Custodian browser test\n%%EOF\n";

/// The Trust Center on a loopback port, with the service and the mailbox behind it.
struct Site {
    base: String,
    trust: TrustService,
    mail: RecordingMailer,
    server: JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves the real router; the base URL is the real address, so mailed links work in the browser.
async fn site(t: &TestDb) -> Site {
    t.db.migrate(&[custodian_trust::COMPONENT, custodian_auth::COMPONENT])
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(START));
    let mail = RecordingMailer::default();
    let config = TrustConfig::new(&base, "Example <Mobile> & Co", "security@example.com");
    let trust = TrustService::open(t.db.clone(), clock.clone(), config, Arc::new(mail.clone()))
        .await
        .unwrap();
    let auth = AuthService::new(t.db.clone(), clock.clone(), Arc::new(PlainSealer));
    let mut state = AppState::new(
        t.db.clone(),
        auth,
        clock,
        vec![custodian_trust::COMPONENT],
        "Acme <Mobile>",
    );
    state.trust = Some(trust.clone());
    let app = router(state, RouterLimits::default());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Site {
        base,
        trust,
        mail,
        server,
    }
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The link under `path` in the last mail to `to`, exactly as the mail states it.
    fn mailed_link(&self, to: &str, path: &str) -> String {
        let sent = self.mail.sent();
        let mail = sent
            .iter()
            .rev()
            .find(|m| m.to.to_string() == to)
            .unwrap_or_else(|| panic!("no mail to {to} in {sent:?}"));
        let line = mail
            .text
            .lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no {path} link in {}", mail.text))
            .trim();
        assert!(line.starts_with(&self.url(path)), "{line}");
        line.to_owned()
    }
}

/// chromedriver on a loopback port (it accepts loopback clients only by default); killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it is ready for sessions.
    async fn start(http: &reqwest::Client) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e}"));
        let driver = Driver { child, port };
        let status = format!("http://127.0.0.1:{port}/status");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(r) = http.get(&status).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready: {status}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session. Deleted on drop when a failed assertion skipped [`Browser::quit`].
struct Browser {
    http: reqwest::Client,
    session: String,
    id: Option<String>,
    downloads: PathBuf,
    shots: PathBuf,
    backend: &'static str,
    // Dropped after the session ends: Chromium's profile, then chromedriver.
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // Drop cannot await; a plain HTTP/1.1 DELETE on a blocking socket ends the session
            // and with it Chromium.
            let _ = delete_session_blocking(self.driver.port, &id);
        }
    }
}

fn delete_session_blocking(port: u16, id: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver answers once Chromium has quit; the first bytes of the answer are enough.
    let mut answer = [0u8; 512];
    let _answered = s.read(&mut answer)?;
    Ok(())
}

fn capabilities(profile: &Path, downloads: &Path) -> Value {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        // Without these Chromium reaches for the internet, which this machine refuses.
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        &format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,1000",
    ];
    json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "timeouts": { "pageLoad": 20_000, "script": 10_000 },
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": args,
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        },
    } } })
}

impl Browser {
    /// Starts chromedriver, waits until it is ready, and opens a session with a fresh profile.
    async fn start(backend: &'static str) -> Browser {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let driver = Driver::start(&http).await;
        let root = format!("http://127.0.0.1:{}", driver.port);
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        let caps = capabilities(&profile.path().join("chromium"), &downloads);
        let resp = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap();
        let v: Value = resp.json().await.unwrap();
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            http,
            session: format!("{root}/session/{id}"),
            id: Some(id),
            downloads,
            shots,
            backend,
            driver,
            _profile: profile,
        }
    }

    /// One WebDriver command; panics with the driver's error unless it succeeded.
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let mut v: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v["value"].take()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    /// Clears a field and types `text` into it, key by key.
    async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/clear"), json!({})).await;
        self.post(&format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }

    /// Chooses a local file in a file input (WebDriver types its path into the input).
    async fn attach(&self, css: &str, path: &Path) {
        let el = self.find(css).await;
        let path = path.to_str().unwrap();
        self.post(&format!("/element/{el}/value"), json!({ "text": path }))
            .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Runs `body` (a function body; `arguments` holds `args`) in the page.
    async fn script(&self, body: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": body, "args": args }))
            .await
    }

    /// Waits until the loaded page's title (before the " · brand" suffix) is `want`.
    async fn wait_title(&self, want: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let v = self
                .script("return [document.readyState, document.title]", json!([]))
                .await;
            let title = v[1].as_str().unwrap_or_default();
            if v[0] == "complete" && title.split(" · ").next() == Some(want) {
                return;
            }
            assert!(Instant::now() < deadline, "title {title:?}, want {want:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matching `css` is on the loaded page.
    async fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        let check =
            "return document.readyState === 'complete' && !!document.querySelector(arguments[0])";
        while self.script(check, json!([css])).await != true {
            assert!(Instant::now() < deadline, "no {css} on the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot as `<backend>-<step>.png` and checks it is a PNG.
    async fn shot(&self, step: &str) {
        let b64 = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        let path = self.shots.join(format!("{}-{step}.png", self.backend));
        std::fs::write(&path, &png).unwrap();
        let saved = std::fs::read(&path).unwrap();
        assert!(saved.starts_with(PNG), "{} is not a PNG", path.display());
    }

    /// Waits for a finished download named `name` and returns its bytes.
    async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.join(name);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let is_partial = std::fs::read_dir(&self.downloads).is_ok_and(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "crdownload")))
            });
            if !is_partial && let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            assert!(
                Instant::now() < deadline,
                "{} never arrived",
                path.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the session (and Chromium with it).
    async fn quit(mut self) {
        self.command(reqwest::Method::DELETE, "", None).await;
        self.id = None;
    }
}

/// No element that could run script, and nothing ran.
async fn assert_inert(b: &Browser) {
    let v = b
        .script(
            "return [document.querySelectorAll('script, img, iframe, object').length, \
             document.querySelectorAll('[onerror], [onload]').length, typeof window.__pwned]",
            json!([]),
        )
        .await;
    assert_eq!(v, json!([0, 0, "undefined"]), "injected markup came alive");
}

async fn subscribe_and_confirm(s: &Site, b: &Browser) {
    b.goto(&s.url("/subscribe")).await;
    b.wait_title("Subscribe").await;
    b.fill("#email", "sub@example.org").await;
    // Every topic starts checked; the visitor opts out of one.
    b.click("input[name=topic][value=certifications]").await;
    b.shot("01-subscribe-form").await;
    b.click("form[action='/subscribe'] button[type=submit]")
        .await;
    b.wait_title("Check your inbox").await;
    b.shot("02-subscribe-check-inbox").await;

    let link = s.mailed_link("sub@example.org", "/subscribe/confirm/");
    b.goto(&link).await;
    b.wait_title("Confirm your subscription").await;
    b.shot("03-subscribe-confirm-button").await;
    let subs = s.trust.subscribers().await.unwrap();
    assert!(
        subs[0].confirmed_at.is_none(),
        "opening the link only shows a button"
    );
    b.click("main form button[type=submit]").await;
    b.wait_title("Subscribed").await;
    b.shot("04-subscribed").await;

    let subs = s.trust.subscribers().await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].email, "sub@example.org");
    assert!(subs[0].is_active(), "{:?}", subs[0]);
    let mut topics: Vec<&str> = subs[0].topics.split(',').collect();
    topics.sort_unstable();
    assert_eq!(topics, ["advisories", "incidents"]);
}

async fn request_gated_report(s: &Site, b: &Browser) {
    s.trust
        .create_attestation(&soc2("soc2", Visibility::Gated))
        .await
        .unwrap();
    s.trust
        .upload_document("soc2", "soc2-report.pdf", "application/pdf", PDF)
        .await
        .unwrap();
    b.goto(&s.url("/trust/soc2")).await;
    b.wait_title("SOC 2 Type 2 report").await;
    b.fill("#name", "Pat Buyer").await;
    b.fill("#company", "Buyer Inc").await;
    b.fill("#email", "pat@buyer.example").await;
    b.fill("#reason", "Vendor security review").await;
    b.click("input[name=nda]").await;
    b.shot("05-request-form").await;
    b.click("form[action='/trust/soc2/request'] button[type=submit]")
        .await;
    b.wait_title("Request received").await;
    b.shot("06-request-received").await;

    let pending = s.trust.access_requests(Some("pending")).await.unwrap();
    assert_eq!(pending.len(), 1);
    let r = &pending[0];
    assert_eq!(
        (r.name.as_str(), r.company.as_str(), r.email.as_str()),
        ("Pat Buyer", "Buyer Inc", "pat@buyer.example")
    );
    assert_eq!(
        (r.reason.as_str(), r.ip.as_str()),
        ("Vendor security review", "127.0.0.1")
    );
    assert_eq!(r.nda_version, s.trust.config().nda_version());

    s.trust.approve_request(r.id, "admin").await.unwrap();
    download_granted_document(s, b).await;
}

/// Opens the mailed magic link: the browser saves the PDF, and its headers are right.
async fn download_granted_document(s: &Site, b: &Browser) {
    let link = s.mailed_link("pat@buyer.example", "/trust/access/");
    // The magic link answers with an attachment: the browser saves it and stays on its page.
    b.goto(&link).await;
    assert_eq!(b.downloaded("soc2-report.pdf").await, PDF);
    let resp = b.http.get(&link).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h[reqwest::header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        h[reqwest::header::CONTENT_DISPOSITION],
        "attachment; filename=\"soc2-report.pdf\""
    );
    b.goto("chrome://downloads").await;
    b.shot("07-report-downloaded").await;
}

const TITLE: &str = "<script>window.__pwned = 1</script> Reflected XSS in search";
const DESCRIPTION: &str = "\"><img src=x onerror=\"window.__pwned = 2\"> q is echoed unescaped.";
const GOOD_CVSS: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N";

async fn fill_report(b: &Browser, cvss: &str) {
    b.fill("#email", "rita@example.net").await;
    b.fill("#handle", "rita").await;
    b.fill("#title", TITLE).await;
    b.fill("#asset", "https://www.example.com/search").await;
    b.fill("#weakness", "CWE-79").await;
    b.fill("#description", DESCRIPTION).await;
    b.fill(
        "#steps",
        "1. Open /search?q=<svg onload=alert(1)>\n2. See the alert",
    )
    .await;
    b.fill("#impact", "Session theft").await;
    b.fill("#cvss", cvss).await;
}

async fn submit_vulnerability_report(s: &Site, b: &Browser) {
    b.goto(&s.url("/security/report")).await;
    b.wait_title("Report a vulnerability").await;
    fill_report(b, "CVSS:3.1/AV:Z").await;
    b.click("input[name=hall_of_fame]").await;
    b.shot("08-report-form").await;
    b.click("form[action='/security/report'] button[type=submit]")
        .await;
    // Refused: the form comes back with the error, the typed values kept and inert.
    b.wait_for("p.error[role=alert]").await;
    b.shot("09-report-refused").await;
    assert_inert(b).await;
    let kept = b
        .script("return document.getElementById('title').value", json!([]))
        .await;
    assert_eq!(kept, TITLE);
    assert!(s.trust.reports(None).await.unwrap().is_empty());

    // The refused page carries a fresh CSRF pair, so correcting one field is enough; the
    // evidence file goes with it (the form posts multipart).
    b.fill("#cvss", GOOD_CVSS).await;
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence.txt");
    std::fs::write(&evidence, "GET /search?q=%3Cscript%3E HTTP/1.1\n").unwrap();
    b.attach("#attachments", &evidence).await;
    b.click("form[action='/security/report'] button[type=submit]")
        .await;
    b.wait_title("Report received").await;
    b.shot("10-report-received").await;
    let reports = s.trust.reports(None).await.unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(
        b.text("[role=status]")
            .await
            .contains(&format!("#{}", r.id))
    );
    assert_eq!(
        (r.title.as_str(), r.description.as_str()),
        (TITLE, DESCRIPTION)
    );
    assert_eq!((r.handle.as_str(), r.weakness.as_str()), ("rita", "CWE-79"));
    assert_eq!(r.score_tenths, Some(61));
    let files = s.trust.report_attachments(r.id).await.unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        (files[0].name.as_str(), files[0].content_type.as_str()),
        ("evidence.txt", "text/plain")
    );

    follow_report(s, b, r.id).await;
}

/// The researcher's follow-up page from the mailed link: the injection stays text, a reply lands.
async fn follow_report(s: &Site, b: &Browser, id: i64) {
    let link = s.mailed_link("rita@example.net", "/security/reports/");
    b.goto(&link).await;
    b.wait_title(&format!("Report #{id}")).await;
    assert_eq!(b.text("h1").await, format!("Report #{id}: {TITLE}"));
    assert_inert(b).await;
    b.shot("11-report-follow-up").await;
    b.fill("#body", "Any update? <b>bold</b>").await;
    b.click("main form button[type=submit]").await;
    b.wait_for("ol.comments p.pre").await;
    assert!(
        b.text("ol.comments")
            .await
            .contains("Any update? <b>bold</b>")
    );
    assert_inert(b).await;
    b.shot("12-report-reply").await;
}

/// The three visitor flows, end to end in Chromium, with screenshots of every step.
async fn pages_work_in_a_headless_browser(t: &TestDb) {
    let has_browser = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !has_browser
        && skip(
            "pages_work_in_a_headless_browser",
            "Chromium (with chromium-driver)",
        )
    {
        return;
    }
    let started = Instant::now();
    let s = site(t).await;
    let b = Browser::start(t.db.backend().as_str()).await;
    subscribe_and_confirm(&s, &b).await;
    request_gated_report(&s, &b).await;
    submit_vulnerability_report(&s, &b).await;
    eprintln!(
        "browser ({}): screenshots in {} after {:.1?}",
        b.backend,
        b.shots.display(),
        started.elapsed()
    );
    b.quit().await;
}

custodian_db::backend_tests!(pages_work_in_a_headless_browser);
