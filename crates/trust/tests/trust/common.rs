//! Shared setup: a migrated database, a manual clock, a recording mailer, a service.

use std::path::PathBuf;
use std::sync::Arc;

use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_trust::{RecordingMailer, TrustConfig, TrustService};

/// 2026-11-01T00:00:00Z.
pub(crate) const START: Timestamp = Timestamp(1_793_491_200_000_000);

pub(crate) struct Env {
    pub(crate) trust: TrustService,
    pub(crate) clock: ManualClock,
    pub(crate) mail: RecordingMailer,
}

pub(crate) fn config() -> TrustConfig {
    TrustConfig::new(
        "https://trust.example.com",
        "Example <Mobile> & Co",
        "security@example.com",
    )
}

pub(crate) async fn env(t: &TestDb) -> Env {
    t.db.migrate(&[custodian_trust::COMPONENT]).await.unwrap();
    let clock = ManualClock::new(START);
    let mail = RecordingMailer::default();
    let trust = TrustService::open(
        t.db.clone(),
        Arc::new(clock.clone()),
        config(),
        Arc::new(mail.clone()),
    )
    .await
    .unwrap();
    Env { trust, clock, mail }
}

/// The token at the end of the first line of `text` that contains `prefix`.
pub(crate) fn link_token(text: &str, prefix: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    let start = line.find(prefix).unwrap() + prefix.len();
    line[start..].trim().to_owned()
}

/// The test tools' locations (see scripts/test-services/trust.sh).
pub(crate) fn venv_python() -> PathBuf {
    custodian_db::testing::test_python()
}

pub(crate) fn node_dir() -> PathBuf {
    std::env::var("CUSTODIAN_TEST_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/custodian/test-node")
        })
}

/// Whether a missing tool may be skipped (never under CI).
pub(crate) fn skip(test: &str, tool: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{tool} is required under CI=true (run scripts/test-services/trust.sh)");
    }
    eprintln!("SKIPPED {test}: {tool} missing (run scripts/test-services/trust.sh)");
    true
}
