//! Shared set-up of the notification tests: a vault, breach engine and notify service over a
//! fresh database, a synthetic incident whose stolen file holds every test person, and the
//! loopback SMTP server (Python's aiosmtpd, installed by scripts/test-services/install.sh).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod pdf;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use custodian_auth::{Principal, PrincipalId, PrincipalKind, Role};
use custodian_breach::obligations::{KeyExposure, RuleBook};
use custodian_breach::{
    BreachService, Change, ExposureMeta, ExposureSource, FileFormat, Form, NewIncident,
};
use custodian_db::testing::TestDb;
use custodian_db::{Clock, Timestamp};
use custodian_notify::codes::{CodeKey, ProtectionCode};
use custodian_notify::model::ChannelKind;
use custodian_notify::{NewCampaign, Notify, Settings};
use custodian_vault::import::{Format, ImportOptions, import_file};
use custodian_vault::policy::Policy;
use custodian_vault::{
    DEFAULT_TENANT, FileKeyProvider, KeyCacheConfig, Keyring, RequestContext, Vault,
};

pub(crate) const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

pub(crate) struct Env {
    pub(crate) vault: Vault,
    pub(crate) breach: BreachService,
    pub(crate) notify: Notify,
    pub(crate) ctx: RequestContext,
    pub(crate) clock: Arc<dyn Clock>,
}

pub(crate) fn admin() -> Principal {
    Principal {
        id: PrincipalId(1),
        name: "ops".into(),
        kind: PrincipalKind::Service,
        role: Role::from_stored("admin", "*"),
    }
}

pub(crate) async fn env(t: &TestDb, clock: Arc<dyn Clock>) -> Env {
    t.db.migrate(&[
        custodian_vault::COMPONENT,
        custodian_breach::COMPONENT,
        custodian_notify::COMPONENT,
    ])
    .await
    .unwrap();
    let provider = Arc::new(FileKeyProvider::open(t.dir.path()).unwrap());
    let keys = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
    let vault = Vault::open(t.db.clone(), keys, Policy::default(), clock.clone())
        .await
        .unwrap();
    let breach = BreachService::new(vault.clone(), clock.clone(), RuleBook::shipped().unwrap());
    let notify = Notify::new(
        vault.clone(),
        breach.clone(),
        clock.clone(),
        CodeKey::new([9; 32]),
    );
    Env {
        vault,
        breach,
        notify,
        ctx: RequestContext {
            request_id: "test".into(),
        },
        clock,
    }
}

/// One synthetic person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) external_id: String,
    pub(crate) ssn: String,
    pub(crate) email: String,
    pub(crate) minor: bool,
    pub(crate) state: &'static str,
}

/// `n` people: every 10th has a bouncing address, every 7th no e-mail (a letter), every 9th is
/// a minor; states rotate TX, CA, NY, FL.
pub(crate) fn people(n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| Person {
            external_id: format!("C{i:05}"),
            ssn: format!("{:03}-{:02}-{:04}", 200 + i % 400, 10 + i % 80, 1000 + i),
            email: if i % 7 == 3 {
                String::new()
            } else if i % 10 == 5 {
                format!("bounce{i}@example.test")
            } else {
                format!("p{i}@example.test")
            },
            minor: i % 9 == 4,
            state: ["TX", "CA", "NY", "FL"][i % 4],
        })
        .collect()
}

pub(crate) fn people_csv(dir: &Path, ps: &[Person]) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for (i, p) in ps.iter().enumerate() {
        let dob = if p.minor {
            "2012-05-05".to_owned()
        } else {
            format!("1970-0{}-1{}", 1 + i % 9, i % 10)
        };
        text.push_str(&format!(
            "{},postpaid,Ana{i},Diaz,{} Elm St,Austin,{},7{:04},{dob},{},,,+1512555{:04},{},,,\n",
            p.external_id,
            i + 1,
            p.state,
            i % 10_000,
            p.ssn,
            i % 10_000,
            p.email
        ));
    }
    let path = dir.join("people.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Imports the people, opens an incident whose stolen file is the same CSV, computes impact.
/// Returns the incident id.
pub(crate) async fn incident(env: &Env, dir: &Path, ps: &[Person]) -> i64 {
    let p = admin();
    let csv = people_csv(dir, ps);
    let opts = ImportOptions {
        format: Format::Csv,
        batch_size: 500,
        rejects: None,
        today: time::Date::from_calendar_date(2025, time::Month::August, 20).unwrap(),
    };
    let report = import_file(
        &env.vault.writer(&p, &env.ctx).unwrap(),
        &csv,
        &opts,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.first_errors);
    let w = env.breach.incident_writer(&p, &env.ctx).unwrap();
    let now = env.clock.now();
    let i = w
        .create(&NewIncident {
            title: "Stolen customer file".into(),
            summary: "A customer file was copied from a test server.".into(),
            owner: "sec".into(),
            detected_at: Some(now.plus_seconds(-86_400)),
        })
        .await
        .unwrap();
    w.change(i.id, &Change::KeyExposure(KeyExposure::NotExposed), "")
        .await
        .unwrap();
    let meta = ExposureMeta {
        occurred_at: now.plus_seconds(-2 * 86_400),
        note: "file".into(),
        form: Form::Clear,
    };
    w.expose(
        i.id,
        &meta,
        &ExposureSource::File {
            path: csv,
            format: FileFormat::Csv,
        },
        &|_| {},
    )
    .await
    .unwrap();
    w.recompute_impact(i.id).await.unwrap();
    i.id.0
}

pub(crate) fn codes(adult: usize, minor: usize) -> Vec<ProtectionCode> {
    let mut out = Vec::new();
    for i in 0..adult {
        out.push(ProtectionCode {
            code: format!("ADULT{i:06}"),
            engagement: "ENG-77".into(),
            enrol_by: "2026-12-31".into(),
            minor: false,
        });
    }
    for i in 0..minor {
        out.push(ProtectionCode {
            code: format!("MINOR{i:06}"),
            engagement: "ENG-78".into(),
            enrol_by: "2026-12-31".into(),
            minor: true,
        });
    }
    out
}

/// Creates a campaign (e-mail, then letter) with the built-in templates (en, es) and enough
/// codes.
pub(crate) async fn campaign(env: &Env, incident: i64, name: &str, settings: Settings) -> String {
    campaign_on(
        env,
        incident,
        name,
        settings,
        vec![ChannelKind::Email, ChannelKind::Letter],
    )
    .await
}

/// [`campaign`] on another channel order.
pub(crate) async fn campaign_on(
    env: &Env,
    incident: i64,
    name: &str,
    settings: Settings,
    channels: Vec<ChannelKind>,
) -> String {
    let p = admin();
    env.notify
        .create(
            &p,
            &env.ctx,
            &NewCampaign {
                name: name.into(),
                incident,
                impact_version: None,
                channels,
                settings,
            },
            &|_| {},
        )
        .await
        .unwrap();
    env.notify
        .install_builtin_templates(&p, name)
        .await
        .unwrap();
    env.notify
        .import_codes(&p, &codes(1_000, 200))
        .await
        .unwrap();
    name.to_owned()
}

/// The loopback SMTP server: a Python aiosmtpd process writing each message to `dir`.
pub(crate) struct SmtpSink {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> Option<PathBuf> {
    let mut cands = Vec::new();
    if let Ok(p) = std::env::var("CUSTODIAN_TEST_PYTHON") {
        cands.push(PathBuf::from(p));
    }
    let venv = std::env::var("CUSTODIAN_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/custodian/test-venv")
        });
    cands.push(venv.join("bin/python"));
    cands.push(PathBuf::from("python3"));
    cands.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Starts the SMTP sink, or returns `None` after a loud SKIPPED line when aiosmtpd is missing
/// (panics instead under CI=true).
pub(crate) fn smtp_sink(test: &str) -> Option<SmtpSink> {
    smtp_sink_with(test, &[])
}

/// [`smtp_sink`] with options of `smtp_sink.py` (`--starttls CERT KEY`, `--smtps CERT KEY`,
/// `--auth USER PASSWORD`).
pub(crate) fn smtp_sink_with(test: &str, options: &[&str]) -> Option<SmtpSink> {
    let Some(py) = python() else {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!(
                "aiosmtpd is required (CI=true) but not importable; run scripts/test-services/install.sh"
            );
        }
        eprintln!(
            "SKIPPED {test}: aiosmtpd is not importable; run scripts/test-services/install.sh"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap().keep();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let mut child = Command::new(py)
        .arg(script)
        .arg(&dir)
        .args(options)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .expect("sink prints its port")
        .parse()
        .unwrap();
    Some(SmtpSink { child, port, dir })
}

/// The messages the sink received: (recipient, raw text).
pub(crate) fn received(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "eml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let rcpt = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("X-Rcpt-To: ")
                .trim()
                .to_owned();
            out.push((rcpt, text));
        }
    }
    out
}

pub(crate) fn email_config(port: u16) -> custodian_notify::channel::EmailConfig {
    custodian_notify::channel::EmailConfig {
        host: "127.0.0.1".into(),
        port,
        from: "Notices <notices@example.com>".into(),
        message_id_domain: "example.com".into(),
        ..Default::default()
    }
}

pub(crate) fn now_ts() -> Timestamp {
    custodian_db::SystemClock.now()
}
