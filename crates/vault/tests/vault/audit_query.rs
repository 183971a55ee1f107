//! The breach engine's questions to the access log on both backends: "which people and fields did
//! principal P read between T1 and T2?" gets exactly the right answer, with entries by other
//! principals, outside the window and of non-reading actions as distractors.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use custodian_db::testing::TestDb;
use custodian_db::{Component, ManualClock, Timestamp};
use custodian_vault::audit::{
    AUDIT_MIGRATION, Action, AuditConfig, AuditEntry, AuditKey, AuditKeyring, AuditLog, PersonRead,
    entries_for_person, people_read_by, reads_by_principal, verify,
};
use custodian_vault::crypto::RootKey;

const AUDIT_ONLY: Component = Component {
    name: "vault",
    migrations: &[AUDIT_MIGRATION],
};
const T0: i64 = 1_750_000_000_000_000;

fn entry<'a>(
    principal: &'a str,
    action: Action,
    fields: &'a [&'a str],
    persons: &'a [i64],
) -> AuditEntry<'a> {
    AuditEntry {
        principal,
        action,
        purpose: "case 1234",
        request_id: "req",
        fields,
        persons,
    }
}

fn read(person_id: i64, fields: &[&str]) -> PersonRead {
    PersonRead {
        person_id,
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    }
}

async fn the_breach_query_is_exact(t: &TestDb) {
    t.db.migrate(&[AUDIT_ONLY]).await.unwrap();
    let clock = ManualClock::new(Timestamp(T0 - 1));
    let key = AuditKey::derive(&RootKey::from_bytes([3; 32], 1));
    let log = AuditLog::new(key.clone(), Arc::new(clock.clone()), AuditConfig::default());
    let at = |micros: i64| clock.set(Timestamp(T0 + micros));
    let append = |e: AuditEntry<'static>| {
        let (db, log) = (t.db.clone(), log.clone());
        async move { log.append(&db, &e).await.unwrap() }
    };

    // Just before the window: not counted.
    append(entry("mallory", Action::Read, &["ssn"], &[5])).await;
    at(0); // The window's first instant counts.
    append(entry("mallory", Action::Read, &["ssn", "phone"], &[1, 2])).await;
    at(10);
    append(entry("alice", Action::Reveal, &["ssn"], &[6])).await;
    append(entry("mallory", Action::Search, &["ssn"], &[3, 1])).await;
    at(20);
    append(entry("mallory", Action::Reveal, &["email"], &[1])).await;
    append(entry("mallory", Action::Create, &["ssn"], &[9])).await;
    append(entry("mallory", Action::Import, &["ssn"], &[8])).await;
    append(entry("mallory", Action::Export, &["imei"], &[7, 2])).await;
    append(entry("mallory2", Action::Read, &["dob"], &[1])).await;
    at(100); // The window's end is exclusive.
    append(entry("mallory", Action::Read, &["dob"], &[4])).await;

    let (from, to) = (Timestamp(T0), Timestamp(T0 + 100));
    let people = people_read_by(&t.db, "mallory", from, to).await.unwrap();
    assert_eq!(
        people,
        vec![
            read(1, &["email", "phone", "ssn"]),
            read(2, &["imei", "phone", "ssn"]),
            read(3, &["ssn"]),
            read(7, &["imei"]),
        ]
    );

    let reveals = reads_by_principal(&t.db, "mallory", from, to, &[Action::Reveal])
        .await
        .unwrap();
    assert_eq!(reveals.len(), 1);
    assert_eq!(
        (reveals[0].seq, reveals[0].persons.as_slice()),
        (5, &[1][..])
    );
    assert_eq!(reveals[0].fields, vec!["email"]);
    assert_eq!(reveals[0].at, Timestamp(T0 + 20));

    let all = reads_by_principal(&t.db, "mallory", from, to, &[])
        .await
        .unwrap();
    let seqs: Vec<i64> = all.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![2, 4, 5, 6, 7, 8]);
    assert_eq!(all[1].persons, vec![1, 3], "persons sorted");
    assert_eq!(all[1].action, Action::Search);

    let for_one: Vec<(i64, String)> = entries_for_person(&t.db, 1)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.seq, r.principal))
        .collect();
    assert_eq!(
        for_one,
        vec![
            (2, "mallory".to_owned()),
            (4, "mallory".to_owned()),
            (5, "mallory".to_owned()),
            (9, "mallory2".to_owned()),
        ]
    );
    assert!(entries_for_person(&t.db, 404).await.unwrap().is_empty());
    assert!(
        people_read_by(&t.db, "nobody", from, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        verify(&t.db, &AuditKeyring::from(key))
            .await
            .unwrap()
            .is_ok()
    );
}

async fn a_large_batch_entry_lists_every_person(t: &TestDb) {
    t.db.migrate(&[AUDIT_ONLY]).await.unwrap();
    let clock = ManualClock::new(Timestamp(T0));
    let key = AuditKey::derive(&RootKey::from_bytes([3; 32], 1));
    let log = AuditLog::new(key.clone(), Arc::new(clock.clone()), AuditConfig::default());
    // An import of 25,000 people is one entry; its person rows span several INSERTs.
    let people: Vec<i64> = (1..=25_000).rev().collect();
    let import = entry("importer", Action::Import, &["ssn", "dob"], &people);
    let searched = entry("agent", Action::Search, &["phone"], &[12_345, 3]);
    log.append_batch(&t.db, &[import, searched]).await.unwrap();
    let found = entries_for_person(&t.db, 12_345).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].persons.len(), 25_000);
    assert_eq!(found[0].persons.first(), Some(&1));
    assert_eq!(found[1].persons, vec![3, 12_345]);
    let report = verify(&t.db, &AuditKeyring::from(key)).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problem);
    assert_eq!(report.persons, 25_002);
}

custodian_db::backend_tests!(
    the_breach_query_is_exact,
    a_large_batch_entry_lists_every_person
);
