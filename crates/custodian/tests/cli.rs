//! The binary end to end, as a user runs it: `custodian synth`, `custodian api-key`, and
//! `custodian serve` on an ephemeral port with health, readiness, an authenticated call and a
//! clean shutdown on SIGTERM; plus the errors a user sees for common mistakes; and
//! `custodian demo` from the synthetic carrier to a delivered campaign and a working lookup page.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodian"));
    c.env_remove("CUSTODIAN_DATABASE_URL")
        .env_remove("CUSTODIAN_DATA_DIR")
        .env_remove("CUSTODIAN_ROOT_KEY")
        .env("NO_COLOR", "1");
    c
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = bin()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run custodian");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `custodian serve`; killed if the test fails before shutting it down.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `custodian serve` on an ephemeral loopback port, with `global` arguments (such as
/// `--config FILE`) before the command.
fn start_server(dir: &Path, log: &Path, global: &[&std::ffi::OsStr]) -> Server {
    let mut child = bin()
        .arg("--data-dir")
        .arg(dir)
        .args(global)
        .args(["-vv", "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server printed its address");
    let base = line.strip_prefix("listening on ").expect(&line).to_owned();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Server { child, base }
}

async fn get(url: &str, key: Option<&str>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut req = client.get(url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await.expect("request");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// Subscribes `email` to `topic` through the public form, as a browser would: the form page's
/// CSRF cookie and hidden token, then the post.
async fn subscribe(base: &str, email: &str, topic: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let form = client
        .get(format!("{base}/subscribe"))
        .send()
        .await
        .unwrap();
    let cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = form.text().await.unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("CSRF token in the form")
        .to_owned();
    let email = email.replace('@', "%40");
    client
        .post(format!("{base}/subscribe"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&email={email}&topic={topic}"))
        .send()
        .await
        .unwrap()
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
}

#[tokio::test]
async fn synth_serve_health_and_clean_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let carrier = tmp.path().join("carrier");

    let (code, out, err) = run(
        &[
            "synth",
            "--people",
            "2000",
            "--seed",
            "7",
            "--out",
            carrier.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 2000 people"), "{out}");
    assert!(carrier.join("people.csv").is_file() && carrier.join("scenario.toml").is_file());

    let (code, key, err) = run(
        &["api-key", "create", "--principal", "ops", "--role", "admin"],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_owned();

    let log = tmp.path().join("serve.log");
    let mut server = start_server(&data, &log, &[]);
    let (s, body) = get(&format!("{}/healthz", server.base), None).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = get(&format!("{}/readyz", server.base), None).await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = get(&format!("{}/v1/whoami", server.base), None).await;
    assert_eq!(s, 401);
    let (s, body) = get(&format!("{}/v1/whoami", server.base), Some(&key)).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"ops\""));

    sigterm(&server.child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");

    // Key material never rests in plaintext: search the debug-level server log and every file
    // of the data directory.
    let logged = std::fs::read(&log).unwrap();
    assert!(logged.len() > 100, "the server logged nothing");
    assert!(
        !logged.windows(key.len()).any(|w| w == key.as_bytes()),
        "API key found in the log"
    );
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "API key found in {}",
                path.display()
            );
        }
    }
}

#[test]
fn user_mistakes_get_one_clear_line_and_a_failure_code() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cases: &[(&[&str], &str)] = &[
        (&["api-key", "list"], "no Custodian data at"),
        (
            &["api-key", "create", "--principal", "x", "--role", "wizard"],
            "unknown role `wizard`",
        ),
        (
            &[
                "api-key",
                "create",
                "--principal",
                "bad name",
                "--role",
                "agent",
            ],
            "invalid name `bad name`",
        ),
        (
            &["api-key", "revoke", "cus_nothere"],
            "no API key with prefix `cus_nothere`",
        ),
        (
            &["--config", "/nonexistent.toml", "migrate"],
            "config file /nonexistent.toml does not exist",
        ),
        (
            &["--database-url", "mysql://u:pw@127.0.0.1/x", "migrate"],
            "unsupported database URL `mysql://u:***@127.0.0.1/x`",
        ),
        (
            &[
                "--database-url",
                "postgres://nobody@127.0.0.1:1/x",
                "migrate",
            ],
            "cannot connect to the database",
        ),
    ];
    // Creating something first so `revoke` reaches the lookup.
    let (code, _, err) = run(
        &[
            "api-key",
            "create",
            "--principal",
            "seed",
            "--role",
            "agent",
        ],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    for (i, (args, want)) in cases.iter().enumerate() {
        let dir = if i == 0 {
            tmp.path().join("empty")
        } else {
            data.clone()
        };
        let (code, _, err) = run(args, &dir);
        assert_eq!(code, 1, "{args:?}: {err}");
        let first = err
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{args:?}: {err}"));
        assert!(first.contains(want), "{args:?}: {first}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}

#[test]
fn bad_config_values_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[server]\nbind = \"everywhere\"\n").unwrap();
    let (code, _, err) = run(&["--config", cfg.to_str().unwrap(), "migrate"], tmp.path());
    assert_eq!(code, 1);
    assert!(err.contains("server.bind"), "{err}");
}

/// `[trust]` in the configuration: the Trust Center publishes its configured public address and
/// contact, and a subscription made on the running server is confirmed by mail through the
/// configured SMTP server (aiosmtpd on a loopback port, writing a Maildir).
#[tokio::test]
async fn serve_sends_trust_center_mail_through_the_configured_smtp_server() {
    let Some(smtp) = custodian_db::testing::MaildirSmtp::start("trust smtp settings") else {
        return;
    };
    let port = smtp.port;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("custodian.toml");
    std::fs::write(
        &cfg,
        format!(
            "[trust]\npublic_url = \"https://trust.acme.example\"\n\
             security_contact = \"psirt@acme.example\"\n\
             [trust.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             from = \"Acme Trust Center <trust@acme.example>\"\n"
        ),
    )
    .unwrap();
    let server = start_server(
        &tmp.path().join("data"),
        &tmp.path().join("serve.log"),
        &["--config".as_ref(), cfg.as_os_str()],
    );

    let (s, txt) = get(&format!("{}/.well-known/security.txt", server.base), None).await;
    assert_eq!(s, 200);
    assert!(txt.contains("Contact: mailto:psirt@acme.example"), "{txt}");
    assert!(
        txt.contains("https://trust.acme.example/.well-known/csaf/provider-metadata.json"),
        "{txt}"
    );
    let (_, meta) = get(
        &format!("{}/.well-known/csaf/provider-metadata.json", server.base),
        None,
    )
    .await;
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(
        meta["canonical_url"],
        "https://trust.acme.example/.well-known/csaf/provider-metadata.json"
    );

    let resp = subscribe(&server.base, "reader@example.org", "advisories").await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1, "one confirmation mail");
    // The body is quoted-printable: join its soft line breaks.
    let m = mail[0].replace("=\r\n", "").replace("=\n", "");
    assert!(m.contains("To: reader@example.org"), "{m}");
    assert!(
        m.contains("From: \"Acme Trust Center\" <trust@acme.example>"),
        "{m}"
    );
    assert!(
        m.contains("https://trust.acme.example/subscribe/confirm/"),
        "the link points to the public address: {m}"
    );
    sigterm(&server.child);
}

/// `custodian demo` end to end: the breach chapter computes the impact, the campaign delivers
/// one e-mail per reported notice to the loopback sink (none with a full SSN from the
/// carrier's people), and the server it ends with answers "was I affected?" for the printed
/// code, and not for a made-up one.
#[tokio::test]
async fn the_demo_delivers_a_campaign_and_serves_a_working_lookup_page() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.log");
    let mut child = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "--people", "800", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut server = Server {
        child,
        base: String::new(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while server.base.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "the demo did not start serving; stdout:\n{}\nstderr:\n{}",
                out.join("\n"),
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        if let Some(b) = line.strip_prefix("listening on ") {
            server.base = b.to_owned();
        }
        out.push(line);
    }
    std::thread::spawn(move || while rx.recv().is_ok() {});
    let text = out.join("\n");
    let chapter = |n: &str| {
        out.iter()
            .find(|l| l.starts_with(n))
            .unwrap_or_else(|| panic!("no chapter `{n}` in:\n{text}"))
            .clone()
    };
    assert!(
        chapter("4. Breach engine").contains("800 of 800 people affected"),
        "{text}"
    );
    let campaign = chapter("5. Notification campaign");
    assert!(campaign.contains("status finished"), "{campaign}");
    let emails: usize = campaign
        .split("; ")
        .nth(1)
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{campaign}"));
    let mailbox: Vec<_> = std::fs::read_dir(dir.path().join("demo-mailbox/new"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(emails > 400, "{campaign}");
    assert_eq!(mailbox.len(), emails, "one message per reported e-mail");
    let people = std::fs::read_to_string(dir.path().join("carrier/people.csv")).unwrap();
    let ssns: Vec<&str> = people
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(9))
        .filter(|s| s.len() == 11)
        .collect();
    assert!(ssns.len() > 500, "most synthetic people have an SSN");
    for m in &mailbox {
        let m = m.replace("=\r\n", "").replace("=\n", "");
        for ssn in &ssns {
            assert!(
                !m.contains(ssn) && !m.contains(&ssn.replace('-', "")),
                "a notice carries a full SSN"
            );
        }
    }
    let letters = std::fs::read_dir(dir.path().join("letters"))
        .unwrap()
        .count();
    assert!(letters >= 2, "a print file and its manifest");

    let code = text
        .split("try the code ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no lookup code printed:\n{text}"))
        .to_owned();
    let client = reqwest::Client::new();
    let ask = |code: String| {
        client
            .post(format!("{}/v1/lookup", server.base))
            .json(&serde_json::json!({ "code": code }))
            .send()
    };
    let found: serde_json::Value = ask(code.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(found["found"], true, "{found}");
    assert!(
        found["protection_code"]
            .as_str()
            .unwrap()
            .starts_with("DEMO-"),
        "{found}"
    );
    let made_up: String = code.chars().rev().collect();
    let missing: serde_json::Value = ask(made_up).await.unwrap().json().await.unwrap();
    assert_eq!(missing["found"], false, "{missing}");
    let (status, page) = get(&format!("{}/was-i-affected", server.base), None).await;
    assert_eq!(status, 200);
    assert!(page.contains("Was I affected?"));

    // The Trust Center: the seeded notice is public, and a subscription's confirmation reaches
    // the demo's loopback mail sink.
    let (status, home) = get(&format!("{}/", server.base), None).await;
    assert_eq!(status, 200);
    assert!(home.contains("cyberattack"), "{home}");
    let sent = subscribe(&server.base, "reader@example.org", "incidents").await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    let trust_mail = dir.path().join("trust-mailbox/new");
    let deadline = Instant::now() + Duration::from_secs(10);
    let confirmation = loop {
        let found = std::fs::read_dir(&trust_mail)
            .map(|d| {
                d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .find(|m| m.contains("reader@example.org"))
            })
            .ok()
            .flatten();
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no confirmation mail in {}",
            trust_mail.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let confirmation = confirmation.replace("=\r\n", "").replace("=\n", "");
    assert!(
        confirmation.contains("/subscribe/confirm/"),
        "{confirmation}"
    );

    sigterm(&server.child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            assert!(st.success(), "demo exited with {st}");
            break;
        }
        assert!(Instant::now() < deadline, "demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}
