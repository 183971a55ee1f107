//! `custodian trust` as an operator runs it, on SQLite and on PostgreSQL: attestations added,
//! a PDF uploaded and listed with their expiry flags, an access request approved and its grant
//! revoked, advisories created, revised and published (refused without a mail relay while someone
//! is subscribed; mailed through a real SMTP server on loopback when one is available), reports
//! moved through their states, the bounty table and a payout, access statistics, the practices
//! pages, subprocessors, FAQ and scope; and bad input refused with a message that names the flag. What only visitors do (requesting a document,
//! subscribing, submitting a report) is done through the library on the same database.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;
use std::sync::Arc;

use custodian_db::SystemClock;
use custodian_db::testing::{MaildirSmtp, unquote_printable};
use custodian_trust::{
    AccessDecision, NewAccessRequest, NewReport, RecordingMailer, Topic, TrustConfig, TrustService,
};
use serde_json::Value;

/// A minimal PDF: the Trust Center checks the `%PDF-` signature.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

#[path = "support/site.rs"]
mod site;

use site::Site;

impl Site {
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run custodian")
    }

    /// Runs a command that must fail with one clear `error:` line containing `want`; returns
    /// that line.
    fn fails(&self, args: &[&str], want: &str) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{args:?}: no error line: {err}"))
            .to_owned();
        assert!(line.contains(want), "{args:?}: `{want}` not in: {line}");
        line
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// The Trust Center on the same database, as the web pages open it (after the binary
    /// created the database), with its mail kept in memory.
    async fn service(&self, mail: &RecordingMailer) -> TrustService {
        let db = self.db().await;
        let cfg = TrustConfig::new("http://127.0.0.1:8080", "Acme", "security@acme.example");
        TrustService::open(db, Arc::new(SystemClock), cfg, Arc::new(mail.clone()))
            .await
            .unwrap()
    }
}

/// A date `days` from today, as an operator types it.
fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// `trust attestation add` arguments for `slug` expiring `expires` days from today.
fn add_args(slug: &str, visibility: &str, expires: i64) -> Vec<String> {
    let mut v: Vec<String> = ["trust", "attestation", "add", "--slug", slug]
        .map(String::from)
        .to_vec();
    for (flag, value) in [
        ("--title", format!("{slug} report")),
        ("--issuer", "Independent Audit LLP".to_owned()),
        ("--standard", "SOC 2 Type 2".to_owned()),
        ("--scope", "Customer data platform".to_owned()),
        ("--description", "The yearly audit.".to_owned()),
        ("--period-start", day(-400)),
        ("--period-end", day(-40)),
        ("--issued", day(-30)),
        ("--expires", day(expires)),
        ("--visibility", visibility.to_owned()),
    ] {
        v.push(flag.to_owned());
        v.push(value);
    }
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The element of a JSON array whose `key` is `value`.
fn find<'a, T>(list: &'a Value, key: &str, value: T) -> &'a Value
where
    T: std::fmt::Debug + Copy,
    Value: PartialEq<T>,
{
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {key}={value:?} in {list}"))
}

fn attestations(site: &Site) {
    let a = site.json(&strs(&add_args("soc2-type2", "gated", 345)));
    assert_eq!(a["visibility"], "gated", "{a}");
    assert_eq!(a["expiring"], false, "{a}");
    site.ok(&strs(&add_args("pentest", "teaser", 10)));
    site.ok(&strs(&add_args("iso-old", "public", -5)));
    site.fails(
        &strs(&add_args("soc2-type2", "gated", 345)),
        "attestation `soc2-type2` already exists",
    );

    let pdf = site.file("soc2.pdf", PDF);
    site.ok(&["trust", "attestation", "upload", "soc2-type2", &pdf]);
    let fake = site.file("fake.pdf", b"just text, not a PDF");
    site.fails(
        &["trust", "attestation", "upload", "soc2-type2", &fake],
        "fake.pdf is not a PDF",
    );
    site.fails(
        &["trust", "attestation", "upload", "nope", &pdf],
        "no attestation `nope`",
    );

    let list = site.json(&["trust", "attestation", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let soc2 = find(&list, "slug", "soc2-type2");
    assert_eq!(soc2["document"]["name"], "soc2.pdf", "{soc2}");
    assert_eq!(soc2["document"]["bytes"], PDF.len(), "{soc2}");
    assert_eq!(find(&list, "slug", "pentest")["expiring"], true, "{list}");
    assert_eq!(find(&list, "slug", "iso-old")["expired"], true, "{list}");
    let text = site.ok(&["trust", "attestation", "list"]);
    assert!(
        text.contains("EXPIRED") && text.contains("expiring soon"),
        "{text}"
    );
}

fn bad_input_names_the_flag(site: &Site) {
    let mut bad_date = add_args("x", "gated", 10);
    let at = bad_date.iter().position(|a| a == "--expires").unwrap();
    bad_date[at + 1] = "2026-13-01".to_owned();
    let line = site.fails(&strs(&bad_date), "--expires");
    assert!(line.contains("YYYY-MM-DD"), "{line}");
    let line = site.fails(&strs(&add_args("x", "secret", 10)), "--visibility");
    assert!(line.contains("public, teaser, gated, hidden"), "{line}");
    let mut backwards = add_args("x", "gated", 10);
    let at = backwards.iter().position(|a| a == "--period-end").unwrap();
    backwards[at + 1] = day(-500);
    site.fails(
        &strs(&backwards),
        "--period-end: is before the period start",
    );
    site.fails(&["trust", "bounty", "set", "urgent", "1", "2"], "SEVERITY");
    site.fails(
        &["trust", "bounty", "set", "low", "1,5", "2"],
        "not an amount",
    );
    site.fails(&["trust", "bounty", "set", "low", "10", "5"], "MIN and MAX");
}

async fn access(site: &Site, trust: &TrustService) {
    let req = NewAccessRequest {
        attestation: "soc2-type2".to_owned(),
        name: "Casey Buyer".to_owned(),
        company: "Buyer Inc".to_owned(),
        email: "casey@buyer.example".to_owned(),
        reason: "Vendor review".to_owned(),
        has_accepted_nda: true,
        ip: "127.0.0.1".to_owned(),
    };
    let AccessDecision::Pending { request } = trust.request_access(&req).await.unwrap() else {
        panic!("no auto-approve rule yet");
    };
    let id = request.to_string();
    let list = site.json(&["trust", "requests", "list", "--attestation", "soc2-type2"]);
    assert_eq!(find(&list, "id", request)["status"], "pending", "{list}");
    let other = site.json(&["trust", "requests", "list", "--attestation", "pentest"]);
    assert_eq!(other, serde_json::json!([]));

    let ok = site.json(&["trust", "requests", "approve", &id]);
    assert!(
        ok["link"].as_str().unwrap().contains("/trust/access/"),
        "{ok}"
    );
    assert_eq!(ok["mailed"], false, "{ok}");
    site.fails(
        &["trust", "requests", "deny", &id],
        &format!("no pending access request {id}"),
    );
    let grants = site.json(&["trust", "grants", "list", "--attestation", "soc2-type2"]);
    assert_eq!(grants[0]["state"], "live", "{grants}");
    let gid = grants[0]["id"].to_string();
    site.ok(&["trust", "grants", "revoke", &gid]);
    site.fails(&["trust", "grants", "revoke", &gid], "no live grant");
    let grants = site.json(&["trust", "grants", "list"]);
    assert_eq!(grants[0]["state"], "revoked", "{grants}");

    site.ok(&["trust", "auto-approve", "add", "Partner.Example"]);
    site.fails(
        &["trust", "auto-approve", "add", "not a domain"],
        "is not an e-mail domain",
    );
    let again = NewAccessRequest {
        email: "dee@partner.example".to_owned(),
        ..req
    };
    let d = trust.request_access(&again).await.unwrap();
    assert!(matches!(d, AccessDecision::Approved { .. }), "{d:?}");
}

/// Subscribes `reader@example.org` to advisories and incidents and confirms it, and leaves
/// `later@example.org` unconfirmed.
async fn subscribe(trust: &TrustService, mail: &RecordingMailer) {
    let topics = [Topic::Advisories, Topic::Incidents];
    trust
        .subscribe("reader@example.org", &topics)
        .await
        .unwrap();
    trust.subscribe("later@example.org", &topics).await.unwrap();
    let sent = mail.sent();
    let text = &sent
        .iter()
        .find(|m| m.to.as_str() == "reader@example.org")
        .unwrap()
        .text;
    let link = text
        .split("/subscribe/confirm/")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap();
    trust.confirm_subscription(link).await.unwrap();
}

async fn advisories(site: &Site) {
    let body = site.file("body.md", b"## Impact\n\nA flaw in the login page.\n");
    let cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let a = site.json(&[
        "trust",
        "advisory",
        "new",
        "--slug",
        "acme-2026-001",
        "--title",
        "Login flaw",
        "--kind",
        "advisory",
        "--summary",
        "A flaw in the login page.",
        "--file",
        &body,
        "--cvss",
        cvss,
    ]);
    assert_eq!(a["severity"], "critical", "{a}");
    assert_eq!(a["published_at"], Value::Null, "{a}");
    let r = site.json(&[
        "trust",
        "advisory",
        "revise",
        "acme-2026-001",
        "--file",
        &body,
        "--summary",
        "A flaw in the login page, now fixed.",
    ]);
    assert_eq!(r["version"], 2, "{r}");
    site.fails(
        &[
            "trust",
            "advisory",
            "new",
            "--slug",
            "x",
            "--title",
            "X",
            "--kind",
            "rumour",
            "--summary",
            "s",
            "--file",
            &body,
        ],
        "--kind",
    );
    site.fails(
        &[
            "trust",
            "advisory",
            "new",
            "--slug",
            "x",
            "--title",
            "X",
            "--kind",
            "advisory",
            "--summary",
            "s",
            "--file",
            &body,
            "--cvss",
            "CVSS:9/nope",
        ],
        "--cvss",
    );

    let subs = site.json(&["trust", "subscribers", "list"]);
    assert_eq!(subs["counts"]["active"], 1, "{subs}");
    assert_eq!(subs["counts"]["pending"], 1, "{subs}");
    assert_eq!(subs["active_by_topic"]["advisories"], 1, "{subs}");

    site.fails(
        &["trust", "advisory", "publish", "acme-2026-001"],
        "1 confirmed `advisories` subscribers would not be mailed",
    );
    let p = site.json(&[
        "trust",
        "advisory",
        "publish",
        "acme-2026-001",
        "--without-mail",
    ]);
    assert_eq!(p["mailed"], 0, "{p}");
    assert!(p["published_at"].is_string(), "{p}");
    site.fails(
        &["trust", "advisory", "publish", "acme-2026-001"],
        "no draft advisory `acme-2026-001`",
    );
}

/// An incident notice published with `[trust.smtp]` pointing at a real SMTP server: the one
/// confirmed subscriber is mailed.
async fn incident_notice_is_mailed(site: &Site, test: &str) {
    let body = site.file(
        "notice.md",
        b"## What happened\n\nAn attacker copied records.\n",
    );
    site.ok(&[
        "trust",
        "advisory",
        "new",
        "--slug",
        "incident-2026",
        "--title",
        "Notice",
        "--kind",
        "incident",
        "--summary",
        "We were attacked.",
        "--file",
        &body,
        "--incident",
        "demo-breach",
        "--lookup-url",
        "/was-i-affected",
    ]);
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let cfg = site.file(
        "custodian.toml",
        format!(
            "[trust.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"Acme Trust Center <trust@acme.example>\"\n",
            smtp.port
        )
        .as_bytes(),
    );
    let p = site.json(&[
        "--config",
        &cfg,
        "trust",
        "advisory",
        "publish",
        "incident-2026",
    ]);
    assert_eq!(p["mailed"], 1, "{p}");
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1);
    let m = unquote_printable(&mail[0]);
    assert!(m.contains("To: reader@example.org"), "{m}");
    assert!(m.contains("We were attacked."), "{m}");
    let list = site.json(&["trust", "advisory", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(find(&list, "slug", "incident-2026")["published_at"].is_string());
}

async fn disclosure(site: &Site, trust: &TrustService) {
    assert_eq!(
        site.json(&["trust", "reports", "list"]),
        serde_json::json!([])
    );
    let sub = trust
        .submit_report(&NewReport {
            email: "ada@researcher.example".to_owned(),
            handle: "ada".to_owned(),
            is_listed: true,
            title: "Stored XSS in the care portal".to_owned(),
            asset: "care.acme.example".to_owned(),
            weakness: "CWE-79".to_owned(),
            description: "A script in the nickname runs for agents.".to_owned(),
            steps: "1. Set the nickname.\n2. Open the account as an agent.".to_owned(),
            impact: "Agent session theft.".to_owned(),
            ..NewReport::default()
        })
        .await
        .unwrap();
    let id = sub.id.to_string();
    let new = site.json(&["trust", "reports", "list", "--state", "new"]);
    assert_eq!(new[0]["id"], sub.id, "{new}");
    site.ok(&[
        "trust",
        "reports",
        "move",
        &id,
        "triaged",
        "--comment",
        "Confirmed.",
    ]);
    site.fails(
        &[
            "trust",
            "reports",
            "move",
            &id,
            "disclosed",
            "--comment",
            "Too early.",
        ],
        "cannot move from `triaged` to `disclosed`",
    );
    site.fails(
        &["trust", "payout", "add", &id, "100", "--note", "early"],
        "only resolved reports are paid",
    );
    let r = site.json(&[
        "trust",
        "reports",
        "move",
        &id,
        "resolved",
        "--comment",
        "Fixed.",
    ]);
    assert_eq!(r["state"], "resolved", "{r}");
    let shown = site.json(&["trust", "reports", "show", &id]);
    let bodies: Vec<&str> = shown["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"Confirmed.") && bodies.contains(&"Fixed."),
        "{shown}"
    );
    let text = site.ok(&["trust", "reports", "show", &id]);
    assert!(
        text.contains("Stored XSS") && text.contains("(triaged → resolved)"),
        "{text}"
    );
    site.fails(&["trust", "reports", "show", "9999"], "no report 9999");
    assert_eq!(site.json(&["trust", "reports", "close-stale"])["closed"], 0);

    let table = site.json(&["trust", "bounty", "set", "high", "2500", "10000"]);
    let high = find(&table, "severity", "high");
    assert_eq!(high["min_cents"], 250_000, "{table}");
    assert_eq!(high["max_cents"], 1_000_000, "{table}");
    assert_eq!(site.json(&["trust", "bounty", "show"]), table);
    let p = site.json(&[
        "trust",
        "payout",
        "add",
        &id,
        "2500.50",
        "--note",
        "wire 7781",
    ]);
    assert_eq!(p["amount_cents"], 250_050, "{p}");
    let ledger = site.json(&["trust", "payout", "list"]);
    assert_eq!(ledger[0]["handle"], "ada", "{ledger}");
    assert!(site.ok(&["trust", "payout", "list"]).contains("2500.50"));
}

/// Practices pages, subprocessors, the FAQ and the scope set, listed and deleted; markdown is
/// kept as written (a `<script>` in it too) and rendered inert on the pages.
async fn content(site: &Site, trust: &TrustService) {
    let md = "# Data\n\nEncrypted at rest.\n\n<script>alert(1)</script>";
    let file = site.file("page.md", md.as_bytes());
    let page = |slug, title| {
        [
            "trust", "page", "set", slug, "--title", title, "--file", &file,
        ]
    };
    assert_eq!(site.json(&page("data", "Data"))["position"], 0);
    assert_eq!(site.json(&page("monitoring", "Monitoring"))["position"], 1);
    let p = site.json(&page("data", "How we protect data"));
    assert_eq!(p["position"], 0, "saving again keeps the page's place: {p}");
    let list = site.json(&["trust", "page", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(find(&list, "slug", "data")["body"], md, "{list}");
    assert_eq!(
        site.ok(&["trust", "page", "show", "data"]),
        format!("{md}\n")
    );
    let html = trust.practice_page("data").await.unwrap().body_html();
    assert!(
        !html.contains("<script>") && html.contains("Encrypted"),
        "{html}"
    );
    site.ok(&["trust", "page", "delete", "data"]);
    site.fails(
        &["trust", "page", "show", "data"],
        "no practices page `data`",
    );
    site.fails(
        &["trust", "page", "delete", "data"],
        "no practices page `data`",
    );
    site.fails(
        &page("Bad Slug", "T"),
        "SLUG: use 1 to 80 of a-z, 0-9 and -",
    );
    site.fails(&page("x", " "), "--title: is required");

    let set = [
        "trust",
        "subprocessor",
        "set",
        "--name",
        "Mail Co",
        "--location",
        "EU",
    ];
    let x = site.json(&[&set[..], &["--purpose", "E-mail"]].concat());
    let y = site.json(&[&set[..], &["--purpose", "Receipts", "--position", "4"]].concat());
    assert_eq!(
        (&y["id"], &y["position"]),
        (&x["id"], &Value::from(4)),
        "{y}"
    );
    let list = site.json(&["trust", "subprocessor", "list"]);
    assert_eq!(
        find(&list, "name", "Mail Co")["purpose"],
        "Receipts",
        "{list}"
    );
    site.fails(
        &[&set[..], &["--purpose", "x", "--position", "2000000"]].concat(),
        "--position",
    );
    let id = x["id"].to_string();
    site.ok(&["trust", "subprocessor", "delete", &id]);
    site.fails(&["trust", "subprocessor", "delete", &id], "no subprocessor");

    let q = site.json(&[
        "trust",
        "faq",
        "set",
        "--question",
        "How?",
        "--answer",
        "[Ask](/x).",
    ]);
    site.ok(&["trust", "faq", "set", "--question", "Why?", "--file", &file]);
    let list = site.json(&["trust", "faq", "list"]);
    assert_eq!(find(&list, "question", "Why?")["answer"], md, "{list}");
    assert_eq!(find(&list, "question", "How?")["id"], q["id"], "{list}");
    site.fails(
        &["trust", "faq", "set", "--question", "Q", "--answer", " "],
        "--answer",
    );
    site.ok(&["trust", "faq", "delete", &q["id"].to_string()]);
    assert_eq!(
        site.json(&["trust", "faq", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let out = site.json(&["trust", "scope", "set", "Retail stores", "--out"]);
    let list = site.json(&["trust", "scope", "list"]);
    assert_eq!(
        find(&list, "asset", "*.acme.example")["in_scope"],
        true,
        "{list}"
    );
    assert_eq!(
        find(&list, "asset", "Retail stores")["in_scope"],
        false,
        "{list}"
    );
    let missing = site.run(&["trust", "scope", "set", "x.acme.example"]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success() && err.contains("<--in|--out>"),
        "{err}"
    );
    site.fails(
        &["trust", "scope", "set", " ", "--in"],
        "ASSET: is required",
    );
    site.ok(&["trust", "scope", "delete", &out["id"].to_string()]);
    site.fails(&["trust", "scope", "delete", "9999"], "no scope entry 9999");
}

async fn operator_runs_the_trust_center(site: Site, test: &str) {
    if site.pg.is_none() {
        site.fails(&["trust", "attestation", "list"], "no Custodian data at");
        site.fails(&["trust", "page", "list"], "no Custodian data at");
    }
    // Setting content creates the database, as adding an attestation does.
    let notes = "Use your own accounts.";
    site.ok(&[
        "trust",
        "scope",
        "set",
        "*.acme.example",
        "--in",
        "--notes",
        notes,
    ]);
    attestations(&site);
    bad_input_names_the_flag(&site);
    let mail = RecordingMailer::default();
    let trust = site.service(&mail).await;
    content(&site, &trust).await;
    access(&site, &trust).await;
    subscribe(&trust, &mail).await;
    advisories(&site).await;
    incident_notice_is_mailed(&site, test).await;
    disclosure(&site, &trust).await;

    trust.view_attestation("soc2-type2").await.unwrap();
    let stats = site.json(&["trust", "stats"]);
    assert_eq!(find(&stats, "slug", "soc2-type2")["views"], 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_runs_the_trust_center_on_sqlite() {
    let test = "trust commands (SQLite)";
    operator_runs_the_trust_center(Site::sqlite(), test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_runs_the_trust_center_on_postgres() {
    let test = "trust commands (PostgreSQL)";
    let Some(site) = Site::postgres(test).await else {
        return;
    };
    operator_runs_the_trust_center(site, test).await;
}
