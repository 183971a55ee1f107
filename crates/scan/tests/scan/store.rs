//! Stored scans on SQLite and PostgreSQL: a secrets scan's findings keep fingerprints and
//! locations and the planted secret appears nowhere in the database (not in any row, not in the
//! SQLite file or its WAL); a PII scan keeps its per-file summaries; two network scans diff
//! into the port that appeared; a failed scan keeps its reason; unknown ids are errors.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use custodian_db::sqlx::{self, Row};
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_scan::content::{FingerprintKey, RuleSet, ScanOptions, Scanner};
use custodian_scan::net::{
    HostResult, NetScanReport, PortResult, PortState, Proto, ScanStats, ServiceId, Severity, diff,
};
use custodian_scan::store::{
    COMPONENT, NewScan, ScanId, ScanKind, ScanStatus, ScanStore, StoreError,
};
use time::OffsetDateTime;

/// A made-up AWS key id and a made-up database password (formats only).
const AWS_KEY: &str = "AKIAQW5ZR3TYV7XB2MNP";
const DB_PASSWORD: &str = "Zq8vLw3Rt6Yp2Nx";

async fn store(t: &TestDb) -> (ScanStore, ManualClock) {
    t.db.migrate(&[COMPONENT]).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_760_000_000_000_000));
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    (ScanStore::new(t.db.clone(), c), clock)
}

fn scanner(rules: RuleSet, key: Option<FingerprintKey>) -> Scanner {
    let opts = ScanOptions {
        threads: 1,
        fingerprint_key: key,
        ..ScanOptions::default()
    };
    Scanner::new(rules, opts).unwrap()
}

fn new_scan(kind: ScanKind, target: &str) -> NewScan {
    NewScan {
        kind,
        target: target.into(),
        principal: "test".into(),
        rate_limit: None,
    }
}

/// Every text value in every scan table, joined: what a reader of the database could see.
async fn all_stored_text(t: &TestDb) -> String {
    let mut out = String::new();
    for (table, cols) in [
        (
            "scan_scans",
            "kind, target, status, principal, max_severity, COALESCE(error, '')",
        ),
        (
            "scan_findings",
            "rule_id, category, severity, confidence, fingerprint, COALESCE(evidence, '')",
        ),
        (
            "scan_locations",
            "path, COALESCE(member, ''), COALESCE(commit_id, '')",
        ),
        ("scan_file_summaries", "location, element, ''"),
    ] {
        let sql = format!("SELECT {cols} FROM {table}");
        for row in sqlx::query(&sql).fetch_all(t.db.pool()).await.unwrap() {
            for i in 0..row.len() {
                out.push_str(&row.try_get::<String, _>(i).unwrap());
                out.push('\n');
            }
        }
    }
    out
}

async fn secrets_are_stored_as_fingerprints_only(t: &TestDb) {
    let (store, clock) = store(t).await;
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(
        tree.path().join(".env"),
        format!("AWS_ACCESS_KEY_ID={AWS_KEY}\nDATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/app\n"),
    )
    .unwrap();
    let report = scanner(RuleSet::secrets().unwrap(), None).scan_path(tree.path());
    assert!(report.findings.len() >= 2, "{:?}", report.findings);
    let id = store
        .start(&new_scan(ScanKind::Secrets, "tree"))
        .await
        .unwrap();
    assert_eq!(store.find(id).await.unwrap().status, ScanStatus::Running);
    clock.advance(3);
    store.finish_content(id, &report).await.unwrap();

    let scan = store.find(id).await.unwrap();
    assert_eq!(scan.status, ScanStatus::Done);
    assert_eq!(scan.findings, report.findings.len() as u64);
    assert_eq!(scan.finished_at, Some(scan.started_at.plus_seconds(3)));
    assert!(
        scan.max_severity >= Severity::High,
        "{:?}",
        scan.max_severity
    );
    let findings = store.findings(id).await.unwrap();
    assert_eq!(findings.len(), report.findings.len());
    let aws = findings
        .iter()
        .find(|f| f.rule_id.contains("aws"))
        .expect("the AWS key is a finding");
    assert_eq!(aws.locations.len(), 1);
    assert!(aws.locations[0].path.ends_with(".env"));
    assert_eq!(aws.locations[0].line, 1);
    assert_eq!(aws.fingerprint.len(), 32);

    let text = all_stored_text(t).await;
    assert!(text.contains(&aws.fingerprint), "the reader sees the rows");
    for secret in [AWS_KEY, DB_PASSWORD] {
        assert!(!text.contains(secret), "a secret reached a row");
    }
    // SQLite: not in the file or its write-ahead log either (PostgreSQL's files are the server's).
    t.db.close().await;
    for entry in std::fs::read_dir(t.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        for secret in [AWS_KEY, DB_PASSWORD] {
            let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!hit, "a secret reached the database file");
        }
    }
}

async fn pii_scans_keep_per_file_summaries(t: &TestDb) {
    let (store, _) = store(t).await;
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(
        tree.path().join("dump.csv"),
        "name,ssn,phone\nA B,123-45-6789,2024181234\nC D,234-56-7891,2024181235\nE F,123-45-6789,2024181236\n",
    )
    .unwrap();
    let key = FingerprintKey::from_bytes([9; 32]);
    let report = scanner(RuleSet::pii().unwrap(), Some(key)).scan_path(tree.path());
    let id = store.start(&new_scan(ScanKind::Pii, "dump")).await.unwrap();
    store.finish_content(id, &report).await.unwrap();
    let sums = store.summaries(id).await.unwrap();
    let ssn = sums
        .iter()
        .find(|s| s.element == "ssn")
        .expect("ssn summary");
    assert!(ssn.location.ends_with("dump.csv"), "{}", ssn.location);
    assert_eq!(ssn.distinct_values, 2);
    assert!(!all_stored_text(t).await.contains("123-45-6789"));
}

fn port(n: u16, service: &str, severity: Severity) -> PortResult {
    PortResult {
        port: n,
        proto: Proto::Tcp,
        state: PortState::Open,
        service: Some(ServiceId {
            product: Some("Router admin".into()),
            ..ServiceId::named(service)
        }),
        severity,
        evidence: "HTTP/1.1 200 OK".into(),
    }
}

fn net_report(ports: Vec<PortResult>) -> NetScanReport {
    NetScanReport {
        targets: vec!["127.0.0.1".into()],
        started_at: OffsetDateTime::UNIX_EPOCH,
        stats: ScanStats {
            probes_sent: 100,
            elapsed: Duration::from_millis(50),
            rate: 2000.0,
            socket_backoffs: 0,
        },
        hosts: vec![HostResult {
            addr: IpAddr::from([127, 0, 0, 1]),
            ports,
            closed: 98,
            filtered: 0,
        }],
    }
}

async fn net_scans_diff_against_the_previous_scan(t: &TestDb) {
    let (store, _) = store(t).await;
    let a = store
        .start(&new_scan(ScanKind::Net, "127.0.0.1"))
        .await
        .unwrap();
    store
        .finish_net(a, &net_report(vec![port(22, "ssh", Severity::Low)]))
        .await
        .unwrap();
    let b = store
        .start(&new_scan(ScanKind::Net, "127.0.0.1"))
        .await
        .unwrap();
    let second = net_report(vec![
        port(22, "ssh", Severity::Low),
        port(8080, "http", Severity::High),
    ]);
    store.finish_net(b, &second).await.unwrap();

    assert_eq!(store.previous_net(b).await.unwrap(), Some(a));
    assert_eq!(store.latest_net().await.unwrap(), Some(b));
    let scan = store.find(b).await.unwrap();
    assert_eq!((scan.probes_sent, scan.probe_rate), (100, 2000.0));
    assert_eq!(scan.max_severity, Severity::High);
    let old = store.net_report(a).await.unwrap();
    let new = store.net_report(b).await.unwrap();
    let d = diff(&old, &new);
    assert_eq!(d.appeared.len(), 1);
    assert_eq!(d.appeared[0].0.port, 8080);
    assert_eq!(
        d.appeared[0]
            .1
            .service
            .as_ref()
            .and_then(|s| s.product.as_deref()),
        Some("Router admin")
    );
    assert!(d.disappeared.is_empty() && d.changed.is_empty());
    let listed = store.list(Some(ScanKind::Net), 10).await.unwrap();
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [b, a]);
    assert!(matches!(
        store.net_report(ScanId(a.0 + 100)).await,
        Err(StoreError::UnknownScan(_))
    ));
}

async fn failed_scans_keep_their_reason(t: &TestDb) {
    let (store, _) = store(t).await;
    let id = store
        .start(&new_scan(ScanKind::Net, "10.0.0.1"))
        .await
        .unwrap();
    store
        .fail(id, "10.0.0.1 is outside the scope")
        .await
        .unwrap();
    let scan = store.find(id).await.unwrap();
    assert_eq!(scan.status, ScanStatus::Failed);
    assert_eq!(scan.error.as_deref(), Some("10.0.0.1 is outside the scope"));
    assert!(matches!(
        store.fail(ScanId(id.0 + 1), "x").await,
        Err(StoreError::UnknownScan(_))
    ));
    let wrong = store.finish_content(id, &Default::default()).await;
    assert!(
        matches!(wrong, Err(StoreError::WrongKind { .. })),
        "{wrong:?}"
    );
}

custodian_db::backend_tests!(
    secrets_are_stored_as_fingerprints_only,
    pii_scans_keep_per_file_summaries,
    net_scans_diff_against_the_previous_scan,
    failed_scans_keep_their_reason,
);
