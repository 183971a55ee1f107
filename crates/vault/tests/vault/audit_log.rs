//! The access log on both backends: appends verify, and every kind of tampering (a changed
//! column, a deleted entry, reordered entries, a rewritten chain with recomputed hashes, a
//! truncated tail, a deleted checkpoint) makes `verify` fail naming where. Security invariant 2.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use custodian_db::sqlx::{self, Row};
use custodian_db::testing::TestDb;
use custodian_db::{Component, ManualClock, Timestamp};
use custodian_vault::audit::{
    AUDIT_MIGRATION, AccessRecord, Action, AuditConfig, AuditEntry, AuditError, AuditKey,
    AuditKeyring, AuditLog, GroupCommit, Problem, ProblemKind, verify,
};
use custodian_vault::crypto::RootKey;

const AUDIT_ONLY: Component = Component {
    name: "vault",
    migrations: &[AUDIT_MIGRATION],
};

/// A migrated database, a writer checkpointing every `every` entries, and its keyring.
async fn setup(t: &TestDb, every: u32) -> (AuditLog, AuditKeyring, ManualClock) {
    t.db.migrate(&[AUDIT_ONLY]).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_750_000_000_000_000));
    let key = AuditKey::derive(&RootKey::from_bytes([7; 32], 1));
    let config = AuditConfig {
        checkpoint_every: every,
    };
    let log = AuditLog::new(key.clone(), Arc::new(clock.clone()), config);
    (log, AuditKeyring::from(key), clock)
}

/// Appends `n` entries one by one; entry `i` (from 1) names people `i` and `i + 100`.
async fn append_n(t: &TestDb, log: &AuditLog, n: i64) {
    for i in 1..=n {
        let persons = [i, i + 100];
        let entry = AuditEntry {
            principal: "agent-7",
            action: Action::Read,
            purpose: "caller verification",
            request_id: &format!("req-{i}"),
            fields: &["ssn", "phone"],
            persons: &persons,
        };
        log.append(&t.db, &entry).await.unwrap();
    }
}

async fn tamper(t: &TestDb, sql: &str) {
    sqlx::query(sql).execute(t.db.pool()).await.unwrap();
}

/// Every stored entry, read the way an attacker (or auditor) would: straight from the tables.
async fn raw_records(t: &TestDb) -> Vec<AccessRecord> {
    let rows = sqlx::query(
        "SELECT seq, at, principal, action, purpose, request_id, fields FROM access_log ORDER BY seq",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    let mut out = Vec::new();
    for r in rows {
        let seq: i64 = r.get(0);
        let persons: Vec<i64> = sqlx::query_scalar(
            "SELECT person_id FROM access_log_person WHERE seq = $1 ORDER BY person_id",
        )
        .bind(seq)
        .fetch_all(t.db.pool())
        .await
        .unwrap();
        let fields: String = r.get(6);
        out.push(AccessRecord {
            seq,
            at: Timestamp(r.get(1)),
            principal: r.get(2),
            action: Action::parse(&r.get::<String, _>(3)).unwrap(),
            purpose: r.get(4),
            request_id: r.get(5),
            fields: fields.split(',').map(str::to_owned).collect(),
            persons,
        });
    }
    out
}

async fn problem(t: &TestDb, keys: &AuditKeyring) -> Option<Problem> {
    verify(&t.db, keys).await.unwrap().problem
}

fn at(seq: i64, kind: ProblemKind) -> Option<Problem> {
    Some(Problem { seq, kind })
}

async fn appended_entries_verify(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    let empty = verify(&t.db, &keys).await.unwrap();
    assert!(empty.is_ok(), "{:?}", empty.problem);
    assert_eq!(
        log.checkpoint(&t.db).await.unwrap(),
        None,
        "nothing to sign"
    );

    append_n(t, &log, 7).await;
    let batch: Vec<AuditEntry<'_>> = (0..16)
        .map(|_| AuditEntry {
            principal: "importer",
            action: Action::Import,
            purpose: "",
            request_id: "job-1",
            fields: &["ssn", "phone"],
            persons: &[10, 11, 12],
        })
        .collect();
    assert_eq!(log.append_batch(&t.db, &batch).await.unwrap(), 8..24);
    assert_eq!(log.append_batch(&t.db, &[]).await.unwrap(), 0..0);
    // The batch crossed 10 and 20 at once: one periodic checkpoint, at its end.
    assert_eq!(log.checkpoint(&t.db).await.unwrap().unwrap().seq, 23);
    append_n(t, &log, 1).await;
    let cp = log.checkpoint(&t.db).await.unwrap().unwrap();
    assert_eq!((cp.seq, cp.key_version), (24, 1));
    assert_eq!(log.checkpoint(&t.db).await.unwrap(), Some(cp), "idempotent");

    let report = verify(&t.db, &keys).await.unwrap();
    assert!(report.is_ok(), "{}", report.problem.unwrap());
    assert_eq!(report.entries, 24);
    assert_eq!(report.persons, 8 * 2 + 16 * 3);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.head_seq, 24);
}

async fn a_changed_column_names_its_entry(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 15).await;
    // Each change is at a lower seq than the last, so each is the first bad entry in turn.
    let changes = [
        (
            14,
            "UPDATE access_log SET purpose = 'looks routine' WHERE seq = 14",
        ),
        (13, "UPDATE access_log SET at = at + 1 WHERE seq = 13"),
        (
            12,
            "UPDATE access_log SET principal = 'someone-else' WHERE seq = 12",
        ),
        (11, "UPDATE access_log SET fields = 'email' WHERE seq = 11"),
        (9, "UPDATE access_log SET action = 'create' WHERE seq = 9"),
        (8, "UPDATE access_log SET request_id = 'r' WHERE seq = 8"),
        (
            7,
            "UPDATE access_log_person SET person_id = 999 WHERE seq = 7 AND person_id = 7",
        ),
        (6, "UPDATE access_log SET hash = prev_hash WHERE seq = 6"),
    ];
    for (seq, sql) in changes {
        tamper(t, sql).await;
        assert_eq!(
            problem(t, &keys).await,
            at(seq, ProblemKind::Changed),
            "{sql}"
        );
    }
    tamper(
        t,
        "DELETE FROM access_log_person WHERE seq = 5 AND person_id = 5",
    )
    .await;
    assert_eq!(problem(t, &keys).await, at(5, ProblemKind::PersonsChanged));
    tamper(
        t,
        "INSERT INTO access_log_person (seq, person_id) VALUES (4, 77)",
    )
    .await;
    assert_eq!(problem(t, &keys).await, at(4, ProblemKind::PersonsChanged));
    tamper(t, "UPDATE access_log SET person_count = 5 WHERE seq = 3").await;
    assert_eq!(problem(t, &keys).await, at(3, ProblemKind::PersonsChanged));
    let text = Problem {
        seq: 3,
        kind: ProblemKind::Changed,
    }
    .to_string();
    assert_eq!(text, "entry 3: content does not match its hash (changed)");
}

async fn a_deleted_entry_leaves_a_named_gap(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 15).await;
    tamper(t, "DELETE FROM access_log WHERE seq IN (5, 6)").await;
    let p = problem(t, &keys).await.unwrap();
    assert_eq!(
        p,
        Problem {
            seq: 5,
            kind: ProblemKind::Missing { next: 7 }
        }
    );
    assert_eq!(
        p.to_string(),
        "entry 5: missing (deleted); entries 5 to 6 are gone"
    );
}

async fn reordered_entries_are_named(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 15).await;
    for table in ["access_log", "access_log_person"] {
        tamper(t, &format!("UPDATE {table} SET seq = 1000 WHERE seq = 4")).await;
        tamper(t, &format!("UPDATE {table} SET seq = 4 WHERE seq = 5")).await;
        tamper(t, &format!("UPDATE {table} SET seq = 5 WHERE seq = 1000")).await;
    }
    assert_eq!(problem(t, &keys).await, at(4, ProblemKind::Reordered));
}

/// Rewrites entries `from..` with a changed purpose and recomputes every hash after it, as an
/// attacker without the key can; moves the head's hash along.
async fn rewrite_from(t: &TestDb, from: i64) {
    let records = raw_records(t).await;
    let mut prev = [0u8; 32];
    for mut r in records {
        if r.seq == from {
            r.purpose = "nothing to see".into();
        }
        let hash = r.chain_hash(&prev);
        if r.seq >= from {
            let sql =
                "UPDATE access_log SET purpose = $1, prev_hash = $2, hash = $3 WHERE seq = $4";
            sqlx::query(sql)
                .bind(r.purpose.as_str())
                .bind(prev.to_vec())
                .bind(hash.to_vec())
                .bind(r.seq)
                .execute(t.db.pool())
                .await
                .unwrap();
        }
        prev = hash;
    }
    sqlx::query("UPDATE access_log_head SET hash = $1")
        .bind(prev.to_vec())
        .execute(t.db.pool())
        .await
        .unwrap();
}

async fn a_recomputed_chain_is_caught_at_the_next_checkpoint(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 25).await;
    rewrite_from(t, 13).await;
    let p = problem(t, &keys).await.unwrap();
    assert_eq!(
        p,
        Problem {
            seq: 20,
            kind: ProblemKind::Rewritten { since: 10 }
        }
    );
    assert!(
        p.to_string().contains("entries 11 to 20 were rewritten"),
        "{p}"
    );
}

async fn a_recomputed_tail_is_caught_at_the_signed_head(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 25).await;
    rewrite_from(t, 23).await;
    assert_eq!(problem(t, &keys).await, at(25, ProblemKind::HeadForged));
}

async fn a_truncated_tail_is_caught(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 25).await;
    tamper(t, "DELETE FROM access_log WHERE seq > 22").await;
    assert_eq!(
        problem(t, &keys).await,
        at(23, ProblemKind::Truncated { head: 25 })
    );
    // Moving the head back to match is caught by its signature.
    tamper(
        t,
        "UPDATE access_log_head SET seq = 22, hash = (SELECT hash FROM access_log WHERE seq = 22)",
    )
    .await;
    assert_eq!(problem(t, &keys).await, at(22, ProblemKind::HeadForged));
}

async fn a_tampered_checkpoint_is_caught(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 35).await;
    tamper(t, "DELETE FROM access_log_checkpoint WHERE seq = 30").await;
    assert_eq!(
        problem(t, &keys).await,
        at(30, ProblemKind::LastCheckpointMissing)
    );
    tamper(t, "DELETE FROM access_log_checkpoint WHERE seq = 10").await;
    assert_eq!(
        problem(t, &keys).await,
        at(
            20,
            ProblemKind::CheckpointChainBroken {
                names: 10,
                found: 0
            }
        )
    );
    tamper(
        t,
        "UPDATE access_log_checkpoint SET at = at + 1 WHERE seq = 20",
    )
    .await;
    assert_eq!(
        problem(t, &keys).await,
        at(20, ProblemKind::CheckpointForged)
    );
    // A keyring without the signing version cannot vouch for anything.
    let other = AuditKeyring::from(AuditKey::derive(&RootKey::from_bytes([9; 32], 2)));
    assert_eq!(
        problem(t, &other).await,
        at(20, ProblemKind::UnknownKeyVersion { version: 1 })
    );
}

async fn a_wrong_key_fails_verification(t: &TestDb) {
    let (log, _keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 12).await;
    let wrong = AuditKeyring::from(AuditKey::derive(&RootKey::from_bytes([9; 32], 1)));
    assert_eq!(
        problem(t, &wrong).await,
        at(10, ProblemKind::CheckpointForged)
    );
}

async fn a_rolled_back_transaction_leaves_no_entry(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 10).await;
    append_n(t, &log, 3).await;
    let entry = AuditEntry {
        principal: "agent-1",
        action: Action::Update,
        purpose: "address change",
        request_id: "req-x",
        fields: &["street"],
        persons: &[42],
    };
    let mut tx = t.db.pool().begin().await.unwrap();
    assert_eq!(log.append_in(&mut tx, &entry).await.unwrap(), 4);
    tx.rollback().await.unwrap();
    let mut tx = t.db.pool().begin().await.unwrap();
    assert_eq!(
        log.append_in(&mut tx, &entry).await.unwrap(),
        4,
        "seq reused"
    );
    tx.commit().await.unwrap();
    let report = verify(&t.db, &keys).await.unwrap();
    assert!(report.is_ok() && report.entries == 4, "{report:?}");

    // A bad entry anywhere in a batch refuses the whole batch before anything is written.
    let bad = AuditEntry {
        fields: &["ssn=123"],
        ..entry
    };
    let err = log.append_batch(&t.db, &[entry, bad]).await.unwrap_err();
    assert!(matches!(err, AuditError::InvalidField), "{err}");
    assert_eq!(verify(&t.db, &keys).await.unwrap().head_seq, 4);
}

async fn concurrent_appends_leave_no_gaps(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 25).await;
    let mut tasks = Vec::new();
    for task in 0..8i64 {
        let (db, log) = (t.db.clone(), log.clone());
        tasks.push(tokio::spawn(async move {
            let principal = format!("worker-{task}");
            for i in 0..50i64 {
                let persons = [task * 1000 + i];
                let entry = AuditEntry {
                    principal: &principal,
                    action: Action::Read,
                    purpose: "load test",
                    request_id: "req",
                    fields: &["phone"],
                    persons: &persons,
                };
                if i % 10 == 9 {
                    log.append_batch(&db, &[entry, entry]).await.unwrap();
                } else {
                    log.append(&db, &entry).await.unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = verify(&t.db, &keys).await.unwrap();
    assert!(report.is_ok(), "{}", report.problem.unwrap());
    assert_eq!(report.entries, 8 * 55);
    assert_eq!(report.checkpoints, 8 * 55 / 25);
}

/// Concurrent stand-alone appends (reads) go through the group committer: every one gets its own
/// sequence number, the chain verifies, an invalid entry is refused without harming the others,
/// and the entries share transactions (fewer commits than entries).
async fn concurrent_appends_are_committed_in_groups(t: &TestDb) {
    let (log, keys, _clock) = setup(t, 100).await;
    let group = GroupCommit::start(t.db.clone(), log);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300_i64 {
        let g = group.clone();
        tasks.spawn(async move {
            let persons = [i];
            let request = format!("req-{i}");
            let principal = if i == 150 { "" } else { "agent-7" };
            g.append(&AuditEntry {
                principal,
                action: Action::Read,
                purpose: "caller verification",
                request_id: &request,
                fields: &["ssn"],
                persons: &persons,
            })
            .await
        });
    }
    let mut seqs = Vec::new();
    let mut refused = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(seq) => seqs.push(seq),
            Err(AuditError::InvalidPrincipal { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    seqs.sort_unstable();
    assert_eq!(refused, 1, "the entry with no principal is refused alone");
    assert_eq!(seqs, (1..=299).collect::<Vec<i64>>());
    let report = verify(&t.db, &keys).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.entries, 299);
    assert!(
        group.batches() < 299,
        "{} transactions for 299 concurrent entries",
        group.batches()
    );
}

custodian_db::backend_tests!(
    concurrent_appends_are_committed_in_groups,
    appended_entries_verify,
    a_changed_column_names_its_entry,
    a_deleted_entry_leaves_a_named_gap,
    reordered_entries_are_named,
    a_recomputed_chain_is_caught_at_the_next_checkpoint,
    a_recomputed_tail_is_caught_at_the_signed_head,
    a_truncated_tail_is_caught,
    a_tampered_checkpoint_is_caught,
    a_wrong_key_fails_verification,
    a_rolled_back_transaction_leaves_no_entry,
    concurrent_appends_leave_no_gaps,
);
