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
