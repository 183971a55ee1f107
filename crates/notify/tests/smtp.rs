//! Delivery to a real SMTP server on loopback (Python's aiosmtpd): every affected person gets
//! exactly one notice, counted at the server, with their cohort's text and a unique
//! identity-protection code; hard bounces fall back to letters; two workers on one database
//! send no duplicates; no message carries a full SSN. Then the public answers: lookup by code
//! (unknown and known codes answer in the same shape and time; rate limits hold), verification
//! of a pasted message, the login banner.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use custodian_db::testing::TestDb;
use custodian_db::{Database, OpenMode, SystemClock};
use custodian_notify::channel::{Channels, Email, Letters, SendResult};
use custodian_notify::lookup::{Limits, Refusal};
use custodian_notify::{CampaignStatus, Notify, Settings, Worker, WorkerConfig, WorkerOutcome};

use common::{admin, campaign, env, incident, people, received, smtp_sink, smtp_sink_with};
use custodian_db::testing::unquote_printable as unqp;

fn channels(port: u16, dir: &std::path::Path, owner: &str) -> Channels {
    Channels {
        email: Some(Email::new(&common::email_config(port)).unwrap()),
        sms: None,
        letters: Some(Letters::new(dir.to_owned(), owner)),
    }
}

async fn every_affected_person_gets_exactly_one_notice(t: &TestDb) {
    let Some(sink) = smtp_sink("every_affected_person_gets_exactly_one_notice") else {
        return;
    };
    let env = env(t, Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(120);
    let inc = incident(&env, dir.path(), &ps).await;
    let settings = Settings {
        error_window: 100_000,
        ..Settings::default()
    };
    let name = campaign(&env, inc, "spring", settings).await;
    let p = admin();
    // Spanish for a few people.
    for x in ps.iter().step_by(11) {
        env.notify
            .set_language(&p, &name, &x.external_id, "es")
            .await
            .unwrap();
    }
    env.notify.start(&p, &env.ctx, &name).await.unwrap();

    // Two workers on two connection pools of the same database, at once.
    let db2 = Database::connect(&t.config(), OpenMode::Existing)
        .await
        .unwrap();
    let _ = db2; // A second pool: the second worker's notify service runs over the same database.
    let notify2 = env.notify.clone();
    let w1 = Worker::new(
        env.notify.clone(),
        p.clone(),
        env.ctx.clone(),
        channels(sink.port, dir.path(), "w1"),
        WorkerConfig {
            owner: "w1".into(),
            batch: 16,
            stop_when_idle: false,
        },
    );
    let w2 = Worker::new(
        notify2,
        p.clone(),
        env.ctx.clone(),
        channels(sink.port, dir.path(), "w2"),
        WorkerConfig {
            owner: "w2".into(),
            batch: 16,
            stop_when_idle: false,
        },
    );
    let (a, b) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(120), w1.run(&name)),
        tokio::time::timeout(Duration::from_secs(120), w2.run(&name))
    );
    assert_eq!(a.unwrap().unwrap(), WorkerOutcome::Finished);
    assert_eq!(b.unwrap().unwrap(), WorkerOutcome::Finished);
    let s1 = w1.stats.lock().unwrap().sent;
    let s2 = w2.stats.lock().unwrap().sent;
    assert!(s1 > 0 && s2 > 0, "both workers took part ({s1}, {s2})");

    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.campaign.status, CampaignStatus::Finished);
    assert_eq!(st.open, 0);

    // Count at the server: one message per person with a deliverable address, none for others.
    let msgs = received(&sink.dir);
    let mut per_rcpt: BTreeMap<String, usize> = BTreeMap::new();
    for (rcpt, _) in &msgs {
        *per_rcpt.entry(rcpt.clone()).or_default() += 1;
    }
    let deliverable: BTreeSet<String> = ps
        .iter()
        .filter(|x| !x.email.is_empty() && !x.email.starts_with("bounce"))
        .map(|x| x.email.clone())
        .collect();
    assert_eq!(
        per_rcpt.keys().cloned().collect::<BTreeSet<_>>(),
        deliverable
    );
    assert!(
        per_rcpt.values().all(|n| *n == 1),
        "duplicates: {per_rcpt:?}"
    );
    assert_eq!(msgs.len(), deliverable.len());

    // Each carries a unique identity-protection code, its cohort's text, a Message-ID and the
    // idempotency key; minors' notices go to a guardian; no full SSN anywhere.
    let mut codes = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (rcpt, raw) in &msgs {
        let text = unqp(raw);
        let person = ps.iter().find(|x| &x.email == rcpt).unwrap();
        let code = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| w.starts_with("ADULT") || w.starts_with("MINOR"))
            .unwrap_or_else(|| panic!("no protection code in {text}"))
            .to_owned();
        assert_eq!(code.starts_with("MINOR"), person.minor, "{rcpt}");
        assert!(codes.insert(code), "a protection code was given twice");
        assert!(text.contains("X-Idempotency-Key: notice/"), "{text}");
        assert!(
            text.contains("multipart/alternative") && text.contains("text/plain"),
            "a plain-text part beside the HTML: {text}"
        );
        assert!(
            text.contains("Visit https://example.com/was-i-affected")
                || text.contains("https://example.com/was-i-affected"),
            "links readable in the text part: {text}"
        );
        let mid = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .unwrap()
            .to_owned();
        assert!(ids.insert(mid));
        assert!(
            text.contains("Social Security number") || text.contains("SSN"),
            "cohort elements: {text}"
        );
        if person.minor {
            assert!(
                text.contains("parent or guardian") || text.contains("padre, madre o tutor"),
                "{text}"
            );
        }
        for x in &ps {
            assert!(
                !text.contains(&x.ssn) && !text.contains(&x.ssn.replace('-', "")),
                "full SSN in a message"
            );
        }
    }
    assert!(
        msgs.iter()
            .any(|(_, m)| unqp(m).contains("AVISO DE VIOLACI")),
        "Spanish notices went out"
    );

    // Hard bounces were suppressed and fell back to letters; people without e-mail got letters.
    let bounced = ps.iter().filter(|x| x.email.starts_with("bounce")).count() as u64;
    let no_email = ps.iter().filter(|x| x.email.is_empty()).count() as u64;
    assert_eq!(st.by_channel["email"]["fallen_back"], bounced);
    assert_eq!(st.by_channel["letter"]["sent"], bounced + no_email);

    // Every person whose notice was sent (by e-mail or by letter) was read for it, and the
    // access log says so: entries of the worker's principal with the campaign in the purpose
    // name each of them, with the contact fields revealed.
    let sends = custodian_vault::audit::reads_by_principal(
        &t.db,
        &p.name,
        custodian_db::Timestamp(0),
        custodian_db::Timestamp(i64::MAX),
        &[custodian_vault::audit::Action::Reveal],
    )
    .await
    .unwrap();
    let sends: Vec<_> = sends
        .iter()
        .filter(|e| e.purpose == format!("breach notification campaign {name}: send a notice"))
        .collect();
    let logged: BTreeSet<i64> = sends.iter().flat_map(|e| e.persons.clone()).collect();
    let planned: BTreeSet<i64> = {
        use custodian_db::sqlx::{self, Row};
        sqlx::query("SELECT person_id FROM notify_recipients")
            .fetch_all(t.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64, _>(0).unwrap())
            .collect()
    };
    assert_eq!(planned.len(), ps.len());
    assert_eq!(logged, planned, "people read to send but not in the log");
    assert!(
        sends.iter().all(
            |e| e.fields.iter().any(|f| f == "email") && e.fields.iter().any(|f| f == "street")
        ),
        "the contact fields read are in the entries"
    );

    // "Was I affected?": a known code and an unknown one answer in the same shape.
    let key = custodian_notify::codes::CodeKey::new([9; 32]);
    let letters: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("print-"))
        .map(|e| common::pdf::all_text(&common::pdf::parse(&std::fs::read(e.path()).unwrap())))
        .collect();
    assert!(
        letters.contains("Page 1 of"),
        "the print file holds the letters"
    );
    for x in &ps {
        assert!(!letters.contains(&x.ssn), "full SSN in a letter");
    }
    let any_msg = unqp(&msgs[0].1);
    let lookup_code = any_msg
        .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '.')
        .find(|w| w.len() == 24 && w.matches('-').count() == 4)
        .unwrap()
        .to_owned();
    let notify = env.notify.clone().with_limits(Limits::new(
        1_000.0,
        1_000.0,
        1_000.0,
        1_000.0,
        Duration::from_millis(30),
    ));
    let known = notify.lookup("10.0.0.1", &lookup_code).await.unwrap();
    assert!(known.found);
    assert!(
        known.protection_code.starts_with("ADULT") || known.protection_code.starts_with("MINOR")
    );
    let unknown = notify
        .lookup("10.0.0.1", "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ")
        .await
        .unwrap();
    assert!(!unknown.found);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&serde_json::to_value(&known).unwrap()),
        keys(&serde_json::to_value(&unknown).unwrap())
    );
    let _ = key;

    // Timing: medians of unknown and known lookups are within a few milliseconds (both padded
    // to the floor).
    let mut tk = Vec::new();
    let mut tu = Vec::new();
    for i in 0..15 {
        let s = Instant::now();
        notify.lookup("10.0.0.2", &lookup_code).await.unwrap();
        tk.push(s.elapsed());
        let s = Instant::now();
        notify
            .lookup("10.0.0.2", &format!("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZ{i:02}"))
            .await
            .unwrap();
        tu.push(s.elapsed());
    }
    tk.sort();
    tu.sort();
    let (mk, mu) = (tk[7].as_secs_f64() * 1e3, tu[7].as_secs_f64() * 1e3);
    eprintln!("lookup median: known {mk:.2} ms, unknown {mu:.2} ms");
    assert!(
        (mk - mu).abs() < 5.0,
        "known {mk:.2} ms vs unknown {mu:.2} ms"
    );

    // Rate limits: per address, and per code prefix across addresses.
    let strict =
        env.notify
            .clone()
            .with_limits(Limits::new(5.0, 0.0, 8.0, 0.0, Duration::from_millis(1)));
    for _ in 0..5 {
        strict
            .lookup("10.9.9.9", "AAAA-0000-0000-0000-0000")
            .await
            .unwrap();
    }
    assert_eq!(
        strict.lookup("10.9.9.9", "BBBB-0000-0000-0000-0000").await,
        Err(Refusal::RateLimited)
    );
    for i in 0..3 {
        strict
            .lookup(&format!("10.1.1.{i}"), "CCCC-0000-0000-0000-0000")
            .await
            .unwrap();
    }
    let mut refused = 0;
    for i in 0..10 {
        if strict
            .lookup(&format!("10.2.2.{i}"), "AAAA-1111-0000-0000-0000")
            .await
            .is_err()
        {
            refused += 1;
        }
    }
    assert!(
        refused >= 7,
        "the prefix limit holds across addresses ({refused} refused)"
    );

    // "Is this message really from us?": paste the whole message.
    let v = notify.verify("10.0.0.3", &any_msg).await.unwrap();
    assert!(v.genuine, "{v:?}");
    assert_eq!(v.channel, "email");
    assert!(
        !serde_json::to_string(&v).unwrap().contains('@'),
        "says nothing about the recipient"
    );
    let fake = notify
        .verify(
            "10.0.0.3",
            "Your account is locked, code VAAAA-BBBB-CCCC-DDDD",
        )
        .await
        .unwrap();
    assert!(!fake.genuine);

    // The login banner.
    let b = env.notify.banner(&p, &ps[0].external_id).await.unwrap();
    assert!(b.affected);
    let b = env.notify.banner(&p, "NOT-A-CUSTOMER").await.unwrap();
    assert!(!b.affected);
    let _: Option<Notify> = None;

    // A late bounce, from the bounce mailbox: the receiving server's DSN returns one notice's
    // headers. It bounces, its address is suppressed, the letter is queued and the campaign runs
    // again until the letter is out; the same DSN a second time changes nothing. A delivery
    // report marks another notice delivered.
    let (rcpt, raw) = &msgs[0];
    let key = raw
        .lines()
        .find_map(|l| l.strip_prefix("X-Idempotency-Key: "))
        .unwrap()
        .trim()
        .to_owned();
    let dsn = format!(
        "From: MAILER-DAEMON@mx.example\r\nMessage-ID: <dsn.7@mx.example>\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
         Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.2.1\r\n\
         Diagnostic-Code: smtp; 550 mailbox disabled\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nX-Idempotency-Key: {key}\r\n\r\n--B--\r\n"
    );
    let reports = custodian_notify::reports::parse_dsn(&dsn).unwrap();
    let applied = env.notify.apply_reports(&p, &reports).await.unwrap();
    assert_eq!(
        (applied.bounced, applied.fallen_back),
        (1, 1),
        "{applied:?}"
    );
    let again = env.notify.apply_reports(&p, &reports).await.unwrap();
    assert_eq!((again.bounced, again.unchanged), (0, 1), "{again:?}");
    let (_, raw2) = &msgs[1];
    let key2 = raw2
        .lines()
        .find_map(|l| l.strip_prefix("X-Idempotency-Key: "))
        .unwrap()
        .trim()
        .to_owned();
    let delivered = custodian_notify::reports::Report {
        notice: key2,
        kind: custodian_notify::reports::ReportKind::Delivered,
        recipient: None,
        reason: String::new(),
    };
    let unknown = custodian_notify::reports::Report {
        notice: "notice/999/1/email".into(),
        ..delivered.clone()
    };
    let applied = env
        .notify
        .apply_reports(&p, &[delivered, unknown])
        .await
        .unwrap();
    assert_eq!((applied.delivered, applied.unknown), (1, 1), "{applied:?}");
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(
        st.campaign.status,
        CampaignStatus::Running,
        "the letter is open"
    );
    assert_eq!(st.by_channel["letter"]["queued"], 1, "{:?}", st.by_channel);
    assert_eq!(
        st.by_channel["email"]["delivered"], 1,
        "{:?}",
        st.by_channel
    );
    let w3 = Worker::new(
        env.notify.clone(),
        p.clone(),
        env.ctx.clone(),
        channels(sink.port, dir.path(), "w3"),
        WorkerConfig {
            owner: "w3".into(),
            batch: 16,
            stop_when_idle: true,
        },
    );
    assert_eq!(w3.run(&name).await.unwrap(), WorkerOutcome::Finished);
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.campaign.status, CampaignStatus::Finished);
    assert_eq!(
        received(&sink.dir).len(),
        msgs.len(),
        "no e-mail sent again"
    );
}

/// With a DKIM key configured, every notice carries a `DKIM-Signature` for the configured
/// domain and selector, over the headers that matter.
async fn notices_are_dkim_signed(t: &TestDb) {
    let Some(sink) = smtp_sink("notices_are_dkim_signed") else {
        return;
    };
    let env = env(t, Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(8);
    let inc = incident(&env, dir.path(), &ps).await;
    let name = campaign(&env, inc, "signed", Settings::default()).await;
    let p = admin();
    env.notify.start(&p, &env.ctx, &name).await.unwrap();
    let pem = include_str!("support/dkim-test-key.pem");
    let cfg = custodian_notify::channel::EmailConfig {
        dkim: Some(("s2026".into(), "example.com".into(), pem.into())),
        ..common::email_config(sink.port)
    };
    let w = Worker::new(
        env.notify.clone(),
        p,
        env.ctx.clone(),
        Channels {
            email: Some(Email::new(&cfg).unwrap()),
            sms: None,
            letters: Some(Letters::new(dir.path().to_owned(), "wd")),
        },
        WorkerConfig {
            owner: "wd".into(),
            batch: 8,
            stop_when_idle: true,
        },
    );
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Finished);
    let msgs = received(&sink.dir);
    assert!(!msgs.is_empty());
    for (_, raw) in &msgs {
        let sig = raw
            .split("\n")
            .find(|l| l.starts_with("DKIM-Signature:"))
            .unwrap_or_else(|| panic!("no DKIM-Signature in {raw}"));
        let sig = raw[raw.find(sig).unwrap()..]
            .split("\nX-")
            .next()
            .unwrap()
            .replace(['\r', '\n', ' ', '\t'], "");
        assert!(
            sig.contains("d=example.com")
                && sig.contains("s=s2026")
                && sig.contains("a=rsa-sha256"),
            "{sig}"
        );
        assert!(sig.contains("b=") && sig.contains("bh="), "{sig}");
    }
}

custodian_db::backend_tests!(
    every_affected_person_gets_exactly_one_notice,
    notices_are_dkim_signed
);

/// The relay's test certificate and key, and the private CA that signed it.
fn tls_file(name: &str) -> String {
    format!("{}/tests/support/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn notice(n: usize) -> custodian_notify::template::Rendered {
    custodian_notify::template::Rendered {
        subject: format!("Notice {n}"),
        body: format!("<p>Body of notice {n}</p>"),
        text: Some(format!("Body of notice {n}")),
    }
}

/// Sends three notices through `cfg`; returns each outcome.
async fn send_three(cfg: &custodian_notify::channel::EmailConfig) -> Vec<SendResult> {
    let email = Email::new(cfg).unwrap();
    let mut out = Vec::new();
    for n in 0..3 {
        out.push(
            email
                .send(
                    &format!("p{n}@example.net"),
                    &format!("tls/{n}"),
                    &notice(n),
                )
                .await,
        );
    }
    out
}

/// STARTTLS and TLS from the first byte, with AUTH, to a relay whose certificate chains to a
/// private CA given as `ca_pem`: every notice arrives. Without the CA the certificate is refused,
/// a wrong password is refused, a relay without STARTTLS is refused when STARTTLS is required
/// (nothing is sent in clear) — each a soft failure naming the step, never a bounce, since the
/// recipient is not at fault.
#[tokio::test]
async fn tls_and_auth_to_a_relay_with_a_private_ca() {
    use custodian_notify::channel::Security;
    let (cert, key) = (tls_file("relay.pem"), tls_file("relay.key"));
    let ca = std::fs::read_to_string(tls_file("ca.pem")).unwrap();
    for (mode, security) in [
        ("--starttls", Security::Starttls),
        ("--smtps", Security::Tls),
    ] {
        let Some(sink) = smtp_sink_with(
            "tls_and_auth_to_a_relay_with_a_private_ca",
            &[mode, &cert, &key, "--auth", "notices", "s3cret"],
        ) else {
            return;
        };
        let good = custodian_notify::channel::EmailConfig {
            security,
            ca_pem: Some(ca.clone()),
            username: Some("notices".into()),
            password: Some("s3cret".into()),
            connections: 1,
            timeout_secs: 10,
            ..common::email_config(sink.port)
        };
        for r in send_three(&good).await {
            assert!(matches!(r, SendResult::Sent(_)), "{mode}: {r:?}");
        }
        let got = received(&sink.dir);
        assert_eq!(got.len(), 3, "{mode}");
        assert!(
            got.iter()
                .any(|(to, raw)| to == "p1@example.net" && raw.contains("Notice 1"))
        );

        let untrusted = custodian_notify::channel::EmailConfig {
            ca_pem: None,
            ..good.clone()
        };
        for r in send_three(&untrusted).await {
            match r {
                SendResult::Soft(e) => assert!(e.to_lowercase().contains("certificate"), "{e}"),
                other => panic!("{mode}: untrusted relay: {other:?}"),
            }
        }
        let wrong = custodian_notify::channel::EmailConfig {
            password: Some("guess".into()),
            ..good.clone()
        };
        for r in send_three(&wrong).await {
            match r {
                SendResult::Soft(e) => assert!(e.contains("AUTH"), "{e}"),
                other => panic!("{mode}: wrong password: {other:?}"),
            }
        }
        // No credentials for a relay that wants them: 530 at MAIL FROM, not the recipient's
        // fault either.
        let anonymous = custodian_notify::channel::EmailConfig {
            username: None,
            password: None,
            ..good.clone()
        };
        for r in send_three(&anonymous).await {
            match r {
                SendResult::Soft(e) => assert!(e.contains("530"), "{e}"),
                other => panic!("{mode}: no credentials: {other:?}"),
            }
        }
        assert_eq!(received(&sink.dir).len(), 3, "{mode}: nothing more arrived");
    }

    // STARTTLS required, relay without it: refused before any mail command.
    let Some(plain) = smtp_sink("tls_and_auth_to_a_relay_with_a_private_ca") else {
        return;
    };
    let cfg = custodian_notify::channel::EmailConfig {
        security: Security::Starttls,
        ca_pem: Some(ca.clone()),
        connections: 1,
        ..common::email_config(plain.port)
    };
    for r in send_three(&cfg).await {
        match r {
            SendResult::Soft(e) => assert!(e.contains("STARTTLS"), "{e}"),
            other => panic!("no STARTTLS: {other:?}"),
        }
    }
    assert!(received(&plain.dir).is_empty());
    // A CA file without a certificate is a configuration error.
    let bad = custodian_notify::channel::EmailConfig {
        ca_pem: Some("not a certificate".into()),
        ..cfg
    };
    assert!(Email::new(&bad).unwrap_err().contains("CA"));
}
