//! Subscription mail through a real SMTP server (Python's aiosmtpd on a loopback port, writing a
//! Maildir): every mail carries `List-Unsubscribe` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058).

use std::sync::Arc;

use custodian_db::ManualClock;
use custodian_db::testing::{MaildirSmtp, TestDb};
use custodian_trust::{SmtpMailer, SmtpSettings, SmtpTls, Topic, TrustService};

use crate::common::{START, config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_mail_has_one_click_unsubscribe_headers() {
    let Some(smtp) = MaildirSmtp::start("smtp headers") else {
        return;
    };
    let port = smtp.port;
    let t = TestDb::sqlite().await;
    t.db.migrate(&[custodian_trust::COMPONENT]).await.unwrap();
    let mailer = SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls: SmtpTls::None,
        from: "Trust Center <trust@example.com>".to_owned(),
        credentials: None,
        ca_pem: None,
    })
    .unwrap();
    let trust = TrustService::open(
        t.db.clone(),
        Arc::new(ManualClock::new(START)),
        config(),
        Arc::new(mailer),
    )
    .await
    .unwrap();
    trust
        .subscribe("s@example.org", &[Topic::Incidents])
        .await
        .unwrap();
    let msgs = smtp.wait_for(1).await;
    assert_eq!(msgs.len(), 1, "one confirmation mail delivered");
    let m = &msgs[0];
    assert!(
        m.contains("List-Unsubscribe: <https://trust.example.com/unsubscribe/"),
        "{m}"
    );
    assert!(
        m.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{m}"
    );
    assert!(m.contains("To: s@example.org"), "{m}");
}

/// The notification tests' relay certificate (for 127.0.0.1) and the private CA that signed it.
fn tls_file(name: &str) -> String {
    format!(
        "{}/../notify/tests/support/tls/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Trust Center mail over STARTTLS and over TLS from the first byte, to a relay whose
/// certificate chains to a private CA given as `ca_pem`: the mail arrives; without the CA it is
/// refused and nothing arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_tls_to_a_relay_with_a_private_ca() {
    use custodian_trust::{Email, Mailer, OutgoingMail};
    let (cert, key) = (tls_file("relay.pem"), tls_file("relay.key"));
    let ca = std::fs::read_to_string(tls_file("ca.pem")).unwrap();
    for (tls, options) in [
        (SmtpTls::StartTls, ["--tlscert", &cert, "--tlskey", &key]),
        (SmtpTls::Tls, ["--smtpscert", &cert, "--smtpskey", &key]),
    ] {
        let Some(smtp) = MaildirSmtp::start_with("smtp over TLS", &options) else {
            return;
        };
        let settings = |ca_pem: Option<String>| SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: smtp.port,
            tls,
            from: "Trust Center <trust@example.com>".to_owned(),
            credentials: None,
            ca_pem,
        };
        let mail = |n: u32| OutgoingMail {
            to: Email::parse("s@example.org").unwrap(),
            subject: format!("Advisory {n}"),
            text: format!("Body {n}"),
            unsubscribe_url: None,
        };
        let untrusted = SmtpMailer::new(&settings(None)).unwrap();
        let e = untrusted.send(&mail(1)).await.unwrap_err().to_string();
        assert!(e.to_lowercase().contains("certificate"), "{tls:?}: {e}");
        let trusted = SmtpMailer::new(&settings(Some(ca.clone()))).unwrap();
        trusted.send(&mail(2)).await.unwrap();
        let msgs = smtp.wait_for(1).await;
        assert_eq!(msgs.len(), 1, "{tls:?}: only the trusted mail arrived");
        assert!(msgs[0].contains("Subject: Advisory 2"), "{}", msgs[0]);
    }
}
