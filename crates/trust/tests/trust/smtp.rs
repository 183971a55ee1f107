//! Subscription mail through a real SMTP server (Python's aiosmtpd on a loopback port, writing a
//! Maildir): every mail carries `List-Unsubscribe` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use custodian_db::ManualClock;
use custodian_db::testing::TestDb;
use custodian_trust::{SmtpMailer, SmtpSettings, SmtpTls, Topic, TrustService};

use crate::common::{START, config, skip, venv_python};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn maildir_messages(dir: &std::path::Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir.join("new")) else {
        return Vec::new();
    };
    rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_mail_has_one_click_unsubscribe_headers() {
    let py = venv_python();
    let has_aiosmtpd = py.exists()
        && Command::new(&py)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
    if !has_aiosmtpd && skip("smtp headers", "aiosmtpd") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail_dir = tempfile::tempdir().unwrap();
    let maildir = mail_dir.path().join("box");
    let _server = Server(
        Command::new(&py)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let t = TestDb::sqlite().await;
    t.db.migrate(&[custodian_trust::COMPONENT]).await.unwrap();
    let mailer = SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls: SmtpTls::None,
        from: "Trust Center <trust@example.com>".to_owned(),
        credentials: None,
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
    let mut msgs = Vec::new();
    for _ in 0..50 {
        msgs = maildir_messages(&maildir);
        if !msgs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
