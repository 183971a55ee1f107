//! Verifying 100,000 entries on both backends: the walk reads in fixed-size pages, so memory stays
//! bounded whatever the log's length. Prints the append and verify times (speed targets live in
//! benchmarks, not in tests; this only shows the order of magnitude).

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use custodian_db::testing::TestDb;
use custodian_db::{Component, ManualClock, Timestamp};
use custodian_vault::audit::{
    AUDIT_MIGRATION, Action, AuditConfig, AuditEntry, AuditKey, AuditKeyring, AuditLog, verify,
};
use custodian_vault::crypto::RootKey;

const AUDIT_ONLY: Component = Component {
    name: "vault",
    migrations: &[AUDIT_MIGRATION],
};
const ENTRIES: i64 = 100_000;
const BATCH: i64 = 1_000;

/// The resident-set high-water mark of this process, in KiB (Linux), for the printout.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn a_hundred_thousand_entries_verify(t: &TestDb) {
    t.db.migrate(&[AUDIT_ONLY]).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_750_000_000_000_000));
    let key = AuditKey::derive(&RootKey::from_bytes([5; 32], 1));
    let log = AuditLog::new(key.clone(), Arc::new(clock.clone()), AuditConfig::default());

    let started = Instant::now();
    let persons: Vec<[i64; 3]> = (0..ENTRIES).map(|i| [i, i + 1, i * 7]).collect();
    let principals: Vec<String> = (0..10).map(|i| format!("agent-{i}")).collect();
    for chunk in 0..ENTRIES / BATCH {
        let batch: Vec<AuditEntry<'_>> = (chunk * BATCH..(chunk + 1) * BATCH)
            .map(|i| AuditEntry {
                principal: &principals[(i % 10) as usize],
                action: Action::Read,
                purpose: "customer called about a bill",
                request_id: "req-0123456789abcdef",
                fields: &["first_name", "last_name", "phone"],
                persons: &persons[i as usize][..1 + (i % 3) as usize],
            })
            .collect();
        log.append_batch(&t.db, &batch).await.unwrap();
        clock.advance(1);
    }
    let appended = started.elapsed();

    let before = peak_rss_kib();
    let started = Instant::now();
    let report = verify(&t.db, &AuditKeyring::from(key)).await.unwrap();
    let verified = started.elapsed();
    eprintln!(
        "{}: appended {ENTRIES} entries in {appended:.2?}; verified {} entries, {} person rows, \
         {} checkpoints in {verified:.2?}; peak RSS {:?} KiB before verify, {:?} KiB after",
        t.db.backend().as_str(),
        report.entries,
        report.persons,
        report.checkpoints,
        before,
        peak_rss_kib(),
    );
    assert!(report.is_ok(), "{}", report.problem.unwrap());
    assert_eq!(report.entries, ENTRIES as u64);
    // Entry i names 1 + i % 3 people.
    assert_eq!(
        report.persons,
        (0..ENTRIES).map(|i| 1 + (i % 3) as u64).sum::<u64>()
    );
    assert_eq!(report.checkpoints, (ENTRIES / 1_000) as u64);
}

custodian_db::backend_tests!(a_hundred_thousand_entries_verify);
