//! Blind-index rotation: after a rotation every live person is found under the new index
//! version (whose digests share nothing with the old ones), the old version is retired and its
//! digests deleted; an interrupted rotation keeps searches on the old version, writes made
//! meanwhile are indexed under both, and a later run from a freshly opened vault finishes
//! without adding another version; a person whose fields cannot be opened holds the switch
//! back until dealt with. Every test runs on both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ops_common::{
    Known, admin, break_wrapped_key, ctx, import, known, log_entries, open, reopen,
};
use custodian_db::testing::TestDb;
use custodian_vault::rotate::{RotateMode, RotateOptions, RotationStart};
use custodian_vault::{Field, Lookup, PersonRef, Vault, record::normalize};

/// Options that only finish work, never add a version.
fn resume() -> RotateOptions {
    RotateOptions {
        mode: RotateMode::Resume,
        ..RotateOptions::default()
    }
}

/// The external ids found by one field's value.
async fn find(v: &Vault, field: Field, value: &str) -> Vec<String> {
    let (p, c) = (admin(), ctx());
    let n = normalize(field, value).unwrap();
    v.searcher(&p, &c)
        .unwrap()
        .find(&Lookup {
            field,
            normalized: &n,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.external_id)
        .collect()
}

/// Every person is found, alone, by each indexed field.
async fn assert_all_found(v: &Vault, people: &[Known]) {
    for k in people {
        for (field, value) in [
            (Field::Ssn, &k.ssn),
            (Field::Phone, &k.phone),
            (Field::Email, &k.email),
            (Field::Imei, &k.imei),
            (Field::Imsi, &k.imsi),
        ] {
            assert_eq!(
                find(v, field, value).await,
                vec![k.external_id.clone()],
                "{field} of {}",
                k.external_id
            );
        }
    }
}

/// (version, digest rows) in the blind index.
async fn rows_per_version(t: &TestDb) -> Vec<(i64, i64)> {
    custodian_db::sqlx::query_as(
        "SELECT version, COUNT(*) FROM vault_bidx GROUP BY version ORDER BY version",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap()
}

async fn digests(t: &TestDb, version: i64) -> Vec<Vec<u8>> {
    custodian_db::sqlx::query_scalar("SELECT digest FROM vault_bidx WHERE version = $1")
        .bind(version)
        .fetch_all(t.db.pool())
        .await
        .unwrap()
}

async fn statuses(v: &Vault) -> Vec<(u32, u32, String, Option<u64>)> {
    let (p, c) = (admin(), ctx());
    v.key_admin(&p, &c)
        .unwrap()
        .status()
        .await
        .unwrap()
        .index_versions
        .into_iter()
        .map(|i| (i.version, i.root_version, i.status, i.lacking))
        .collect()
}

async fn index_rotation_rebuilds_every_digest_and_searches_follow(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(150);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    v.shredder(&p, &c)
        .unwrap()
        .shred(&PersonRef::External("K00149".into()), "test")
        .await
        .unwrap();
    let before = rows_per_version(t).await;
    assert_eq!(before, vec![(1, 149 * 6)]);
    let old: std::collections::HashSet<Vec<u8>> = digests(t, 1).await.into_iter().collect();

    let seen = std::sync::Mutex::new(Vec::new());
    let opts = RotateOptions {
        batch_size: 40,
        ..RotateOptions::default()
    };
    let r = v
        .key_admin(&p, &c)
        .unwrap()
        .rotate_index(&opts, &|pr| seen.lock().unwrap().push((pr.done, pr.total)))
        .await
        .unwrap();
    assert_eq!(r.start, RotationStart::Created);
    assert_eq!((r.version, r.root_version), (2, 1));
    assert_eq!((r.backfilled, r.batches, r.remaining), (149, 4, 0));
    assert_eq!((r.failed, r.skipped), (0, 0));
    assert!(r.activated);
    assert_eq!(r.retired, vec![1]);
    assert_eq!(r.purged, 149 * 6);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(40, 149), (80, 149), (120, 149), (149, 149)]
    );
    // Only version 2 is left, with as many digests as version 1 had, none of them equal.
    assert_eq!(rows_per_version(t).await, vec![(2, 149 * 6)]);
    let new = digests(t, 2).await;
    assert!(new.iter().all(|d| !old.contains(d)), "a digest survived");
    assert_eq!(
        statuses(&v).await,
        vec![
            (1, 1, "retired".to_owned(), None),
            (2, 1, "active".to_owned(), None)
        ]
    );
    assert_eq!(log_entries(t, "rotate").await, 4, "one entry per batch");
    assert_all_found(&v, &people[..149]).await;
    assert!(find(&v, Field::Ssn, &people[149].ssn).await.is_empty());
    // New writes index only the live version.
    let mut more = known(152);
    let more = more.split_off(150);
    import(&v, &more).await;
    assert_eq!(rows_per_version(t).await, vec![(2, 151 * 6)]);
    assert_all_found(&v, &more).await;
    // Digests of a retired version left behind (a purge interrupted by a crash): `Resume`
    // deletes them and adds no version.
    custodian_db::sqlx::query(
        "INSERT INTO vault_bidx (field, version, digest, person_id) \
         SELECT field, 1, digest, person_id FROM vault_bidx WHERE version = 2",
    )
    .execute(t.db.pool())
    .await
    .unwrap();
    let r = v
        .key_admin(&p, &c)
        .unwrap()
        .rotate_index(&resume(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (r.start, r.purged, r.batches),
        (RotationStart::Resumed, 151 * 6, 0)
    );
    assert!(!r.activated);
    assert_eq!(rows_per_version(t).await, vec![(2, 151 * 6)]);
    assert_eq!(statuses(&v).await.len(), 2);
}

async fn interrupted_index_rotation_keeps_searching_and_resumes(t: &TestDb) {
    let (v, clock) = open(t).await;
    let mut people = known(150);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    let partial = RotateOptions {
        batch_size: 32,
        max_batches: Some(2),
        ..RotateOptions::default()
    };
    let r = v
        .key_admin(&p, &c)
        .unwrap()
        .rotate_index(&partial, &|_| {})
        .await
        .unwrap();
    assert_eq!((r.backfilled, r.remaining, r.batches), (64, 86, 2));
    assert!(!r.activated && r.retired.is_empty() && r.purged == 0);
    assert_eq!(
        statuses(&v).await,
        vec![
            (1, 1, "active".to_owned(), None),
            (2, 1, "building".to_owned(), Some(86))
        ]
    );
    // Mid-rotation searches use version 1 and find everyone.
    assert_all_found(&v, &people).await;

    // Writes while building index both versions: K00100 (not yet backfilled) gets a new SSN,
    // K00150 is new.
    let old_ssn = people[100].ssn.clone();
    people[100].ssn = "650-21-7788".into();
    people.extend(known(151).split_off(150));
    import(&v, &[people[100].clone(), people[150].clone()]).await;
    assert_eq!(rows_per_version(t).await, vec![(1, 151 * 6), (2, 66 * 6)]);

    // A restarted process: `Rotate` resumes the building version instead of adding a third.
    let v2 = reopen(t, &clock).await;
    let r = v2
        .key_admin(&p, &c)
        .unwrap()
        .rotate_index(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(r.start, RotationStart::Resumed);
    assert_eq!(r.version, 2);
    assert_eq!(
        (r.backfilled, r.remaining),
        (85, 0),
        "K00100 was indexed by its writer"
    );
    assert!(r.activated);
    assert_eq!(rows_per_version(t).await, vec![(2, 151 * 6)]);
    assert_all_found(&v2, &people).await;
    assert!(find(&v2, Field::Ssn, &old_ssn).await.is_empty());

    // Nothing left: `Resume` does nothing and adds no version.
    let r = v2
        .key_admin(&p, &c)
        .unwrap()
        .rotate_index(&resume(), &|_| {})
        .await
        .unwrap();
    assert_eq!((r.start, r.version), (RotationStart::NothingToDo, 2));
    assert_eq!(statuses(&v2).await.len(), 2);
}

async fn unopenable_fields_hold_the_switch_until_dealt_with(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(20);
    import(&v, &people).await;
    break_wrapped_key(t, "K00001", "K00002").await;
    let (p, c) = (admin(), ctx());
    let admin_keys = v.key_admin(&p, &c).unwrap();
    let r = admin_keys
        .rotate_index(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!((r.backfilled, r.failed, r.remaining), (19, 1, 1));
    assert_eq!(r.first_failures.len(), 1);
    assert!(!r.activated, "the switch waits for everyone");
    assert_eq!(statuses(&v).await[1].2, "building");
    // Searches still use version 1, where K00001 is found.
    assert_eq!(find(&v, Field::Ssn, &people[1].ssn).await, vec!["K00001"]);
    // Shredding the broken person lets the rotation finish.
    v.shredder(&p, &c)
        .unwrap()
        .shred(&PersonRef::External("K00001".into()), "key lost")
        .await
        .unwrap();
    let r = admin_keys.rotate_index(&resume(), &|_| {}).await.unwrap();
    assert_eq!(
        (r.start, r.backfilled, r.remaining),
        (RotationStart::Resumed, 0, 0)
    );
    assert!(r.activated);
    assert_eq!(r.retired, vec![1]);
    assert_eq!(rows_per_version(t).await, vec![(2, 19 * 6)]);
    let live: Vec<Known> = people
        .iter()
        .filter(|k| k.external_id != "K00001")
        .cloned()
        .collect();
    assert_all_found(&v, &live).await;
}

/// Rotating twice: version 3 is keyed by the root version current then, and versions 1 and 2
/// both end retired with no digests left.
async fn a_second_rotation_follows_the_root_key(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(30);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    let admin_keys = v.key_admin(&p, &c).unwrap();
    admin_keys
        .rotate_index(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    admin_keys
        .rotate(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    let r = admin_keys
        .rotate_index(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!((r.version, r.root_version, r.backfilled), (3, 2, 30));
    assert_eq!(r.retired, vec![2]);
    assert_eq!(
        statuses(&v).await,
        vec![
            (1, 1, "retired".to_owned(), None),
            (2, 1, "retired".to_owned(), None),
            (3, 2, "active".to_owned(), None)
        ]
    );
    assert_eq!(rows_per_version(t).await, vec![(3, 30 * 6)]);
    assert_all_found(&v, &people).await;
}

/// Writers change SSNs while the backfill runs in small batches: afterwards every person has
/// exactly one digest per indexed field, found by the current value and never by an old one
/// (a backfill that wrote digests of values read before a change would leave the old SSN
/// findable, or two digests for one field).
async fn writes_during_the_backfill_leave_no_stale_digest(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let mut people = known(200);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    let admin_keys = v.key_admin(&p, &c).unwrap();
    let opts = RotateOptions {
        batch_size: 5,
        ..RotateOptions::default()
    };
    let changes: Vec<(usize, String)> = (0..40)
        .map(|i| ((i * 37 + 3) % 200, format!("7{:02}-55-{:04}", i, 3000 + i)))
        .collect();
    let mut changed = people.clone();
    for (i, ssn) in &changes {
        changed[*i].ssn = ssn.clone();
    }
    let updates = async {
        for (i, _) in &changes {
            import(&v, std::slice::from_ref(&changed[*i])).await;
            tokio::task::yield_now().await;
        }
    };
    let (r, ()) = tokio::join!(admin_keys.rotate_index(&opts, &|_| {}), updates);
    let r = r.unwrap();
    assert!(r.activated, "{r:?}");
    assert_eq!((r.remaining, r.failed), (0, 0));
    assert_eq!(rows_per_version(t).await, vec![(2, 200 * 6)]);
    for (i, _) in &changes {
        assert!(
            find(&v, Field::Ssn, &people[*i].ssn).await.is_empty(),
            "the old SSN of {} is still indexed",
            people[*i].external_id
        );
    }
    people = changed;
    assert_all_found(&v, &people).await;
}

custodian_db::backend_tests!(
    writes_during_the_backfill_leave_no_stale_digest,
    index_rotation_rebuilds_every_digest_and_searches_follow,
    interrupted_index_rotation_keeps_searching_and_resumes,
    unopenable_fields_hold_the_switch_until_dealt_with,
    a_second_rotation_follows_the_root_key
);
