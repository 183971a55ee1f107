//! Key rotation: after a rotation every person is on the new KEK version and reads back intact;
//! an interrupted rotation (a batch limit standing in for kill -9) leaves every person readable,
//! and a later run, from a freshly opened vault, finishes it without creating another version;
//! blind-index lookups work before, during and after (index keys do not follow KEK rotation).
//! Every test runs on both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ops_common::{
    Known, admin, break_wrapped_key, ctx, import, known, log_entries, open, principal, reopen,
};
use custodian_db::testing::TestDb;
use custodian_vault::rotate::{
    JobStatus, MAX_BATCH_REWRAP, RewrapOutcome, RotateMode, RotateOptions, RotationStart,
    VersionRows,
};
use custodian_vault::{
    Field, FieldValue, Lookup, PersonRef, ReadRequest, Vault, record::normalize,
};

/// Reveals every person's SSN and checks it against the source; searches a few by SSN and IMEI.
async fn assert_all_readable(v: &Vault, people: &[Known]) {
    let (p, c) = (admin(), ctx());
    let reader = v.reader(&p, &c).unwrap();
    for k in people {
        let view = reader
            .get(
                &PersonRef::External(k.external_id.clone()),
                &ReadRequest {
                    reveal: vec![Field::Ssn],
                    purpose: Some("rotation test".into()),
                },
            )
            .await
            .unwrap();
        let ssn = view
            .fields
            .iter()
            .find_map(|(f, val)| match val {
                FieldValue::Revealed(r) if *f == Field::Ssn => Some(r.expose().clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(ssn, k.ssn.replace('-', ""), "{}", k.external_id);
        assert_eq!(view.fields.len(), 12, "every field opens");
    }
    let searcher = v.searcher(&p, &c).unwrap();
    for k in people.iter().step_by(17) {
        for (field, value) in [(Field::Ssn, &k.ssn), (Field::Imei, &k.imei)] {
            let n = normalize(field, value).unwrap();
            let hits = searcher
                .find(&Lookup {
                    field,
                    normalized: &n,
                })
                .await
                .unwrap();
            assert_eq!(hits.len(), 1, "{field} of {}", k.external_id);
            assert_eq!(hits[0].external_id, k.external_id);
        }
    }
}

async fn kek_versions(t: &TestDb) -> Vec<(i64, i64)> {
    custodian_db::sqlx::query_as(
        "SELECT kek_version, COUNT(*) FROM vault_people WHERE wrapped_key IS NOT NULL \
         GROUP BY kek_version ORDER BY kek_version",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap()
}

async fn rotation_rewraps_everyone_and_reads_still_work(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(150);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    v.shredder(&p, &c)
        .unwrap()
        .shred(&PersonRef::External("K00149".into()), "test")
        .await
        .unwrap();
    let before: Vec<Vec<u8>> = custodian_db::sqlx::query_scalar(
        "SELECT wrapped_key FROM vault_people WHERE wrapped_key IS NOT NULL ORDER BY id",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    let admin_keys = v.key_admin(&p, &c).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let opts = RotateOptions {
        batch_size: 40,
        ..RotateOptions::default()
    };
    let r = admin_keys
        .rotate(&opts, &|pr| seen.lock().unwrap().push((pr.done, pr.total)))
        .await
        .unwrap();
    assert_eq!(r.start, RotationStart::Created);
    assert_eq!((r.target_version, r.rewrapped, r.remaining), (2, 149, 0));
    assert_eq!(r.batches, 4);
    assert_eq!((r.failed, r.skipped), (0, 0));
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(40, 149), (80, 149), (120, 149), (149, 149)]
    );
    assert_eq!(kek_versions(t).await, vec![(2, 149)]);
    assert_eq!(
        log_entries(t, "rotate").await,
        4,
        "one access-log entry per batch"
    );
    let after: Vec<Vec<u8>> = custodian_db::sqlx::query_scalar(
        "SELECT wrapped_key FROM vault_people WHERE wrapped_key IS NOT NULL ORDER BY id",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    for (a, b) in before.iter().zip(&after) {
        assert_ne!(a, b, "every wrapped key was replaced");
    }
    assert_all_readable(&v, &people[..149]).await;
    // The shredded person stays shredded; new people are written under the new version.
    let shredded: Option<Vec<u8>> = custodian_db::sqlx::query_scalar(
        "SELECT wrapped_key FROM vault_people WHERE external_id = 'K00149'",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert!(shredded.is_none());
    let mut newcomers = known(160);
    let newcomers = newcomers.split_off(150);
    import(&v, &newcomers).await;
    assert_eq!(kek_versions(t).await, vec![(2, 159)]);
    let status = admin_keys.status().await.unwrap();
    assert_eq!(status.current_version, 2);
    assert_eq!(
        status.versions,
        vec![
            VersionRows {
                version: 1,
                people: 0
            },
            VersionRows {
                version: 2,
                people: 159
            }
        ]
    );
    assert_eq!(status.shredded, 1);
    assert_eq!(status.jobs[0].status, JobStatus::Done);
    assert_eq!(status.jobs[0].rewrapped, 149);
    // The index still is version 1, keyed by root version 1.
    assert_eq!(status.index_versions.len(), 1);
    assert_eq!(status.index_versions[0].root_version, 1);
}

async fn interrupted_rotation_resumes_where_it_stopped(t: &TestDb) {
    let (v, clock) = open(t).await;
    let people = known(150);
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
        .rotate(&partial, &|_| {})
        .await
        .unwrap();
    assert_eq!((r.rewrapped, r.remaining, r.batches), (64, 86, 2));
    assert_eq!(kek_versions(t).await, vec![(1, 86), (2, 64)]);
    // Mid-rotation: every person reads and is found, whichever KEK wraps their key.
    assert_all_readable(&v, &people).await;

    // A restarted process picks the job up: `Rotate` resumes rather than making version 3.
    let v2 = reopen(t, &clock).await;
    let admin_keys = v2.key_admin(&p, &c).unwrap();
    let job = admin_keys.status().await.unwrap().jobs[0].clone();
    assert_eq!(
        (job.status, job.rewrapped, job.total),
        (JobStatus::Running, 64, 150)
    );
    let r = admin_keys
        .rotate(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(r.start, RotationStart::Resumed);
    assert_eq!((r.target_version, r.rewrapped, r.remaining), (2, 86, 0));
    assert_eq!(kek_versions(t).await, vec![(2, 150)]);
    let status = admin_keys.status().await.unwrap();
    assert_eq!(status.current_version, 2);
    assert_eq!(status.jobs.len(), 1);
    assert_eq!(
        (
            status.jobs[0].status,
            status.jobs[0].rewrapped,
            status.jobs[0].batches
        ),
        (JobStatus::Done, 150, 3)
    );
    assert_all_readable(&v2, &people).await;
    assert_all_readable(&v, &people).await;

    // Nothing left: `Resume` does nothing and creates no version.
    let r = admin_keys
        .rotate(
            &RotateOptions {
                mode: RotateMode::Resume,
                ..RotateOptions::default()
            },
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!((r.start, r.target_version), (RotationStart::NothingToDo, 2));
    assert_eq!(v2.keys().current_version().unwrap(), 2);
}

async fn a_key_that_cannot_be_unwrapped_is_reported_and_the_rest_move(t: &TestDb) {
    let (v, _clock) = open(t).await;
    import(&v, &known(20)).await;
    break_wrapped_key(t, "K00001", "K00002").await;
    let (p, c) = (admin(), ctx());
    let admin_keys = v.key_admin(&p, &c).unwrap();
    let r = admin_keys
        .rotate(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!((r.rewrapped, r.failed, r.remaining), (19, 1, 1));
    assert_eq!(r.first_failures.len(), 1);
    let id: i64 = custodian_db::sqlx::query_scalar(
        "SELECT id FROM vault_people WHERE external_id = 'K00001'",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!(r.first_failures[0].0, id);
    assert_eq!(kek_versions(t).await, vec![(1, 1), (2, 19)]);
    // The job stays open; the next run retries the row (and fails again) without a new version.
    let status = admin_keys.status().await.unwrap();
    assert_eq!(status.jobs[0].status, JobStatus::Running);
    let again = admin_keys
        .rotate(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.start, again.target_version),
        (RotationStart::Resumed, 2)
    );
    assert_eq!((again.rewrapped, again.failed), (0, 1));
}

async fn rotation_needs_keys_rotate(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let c = ctx();
    let writer = principal("etl", "service", "people.write people.read");
    assert!(v.key_admin(&writer, &c).is_err());
    let r = v
        .key_admin(&principal("sec", "keyadmin", "keys.rotate"), &c)
        .unwrap()
        .rotate(
            &RotateOptions {
                mode: RotateMode::Resume,
                ..RotateOptions::default()
            },
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(r.start, RotationStart::NothingToDo);
    assert_eq!(v.keys().current_version().unwrap(), 1);
}

/// The batch re-wrap: named people move to the current version now, each with its own outcome
/// (moved, already current, unknown, shredded), in one `rotate` access-log entry; everyone
/// still reads; the rotation job later finds only the others left.
async fn batch_rewrap_moves_the_named_people_each_with_its_outcome(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(40);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    v.shredder(&p, &c)
        .unwrap()
        .shred(&PersonRef::External("K00039".into()), "test")
        .await
        .unwrap();
    // A new version with nothing moved yet (a rotation stopped before its first batch).
    let admin_keys = v.key_admin(&p, &c).unwrap();
    let stopped = RotateOptions {
        max_batches: Some(0),
        ..RotateOptions::default()
    };
    admin_keys.rotate(&stopped, &|_| {}).await.unwrap();
    assert_eq!(kek_versions(t).await, vec![(1, 39)]);
    let rotations = log_entries(t, "rotate").await;

    let who = |ids: &[&str]| -> Vec<PersonRef> {
        ids.iter()
            .map(|i| PersonRef::External((*i).into()))
            .collect()
    };
    let out = admin_keys
        .rewrap(&who(&["K00001", "K00002", "nobody", "K00039", "K00001"]))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            RewrapOutcome::Rewrapped { from: 1 },
            RewrapOutcome::Rewrapped { from: 1 },
            RewrapOutcome::NotFound,
            RewrapOutcome::Shredded,
            // Named twice: the second write finds the row already moved.
            RewrapOutcome::Skipped,
        ]
    );
    assert_eq!(kek_versions(t).await, vec![(1, 37), (2, 2)]);
    assert_eq!(log_entries(t, "rotate").await, rotations + 1);
    // Again: already current.
    let again = admin_keys.rewrap(&who(&["K00002"])).await.unwrap();
    assert_eq!(again, vec![RewrapOutcome::Current]);
    assert_eq!(
        log_entries(t, "rotate").await,
        rotations + 1,
        "nothing moved, no entry"
    );
    let live: Vec<Known> = people
        .iter()
        .filter(|k| k.external_id != "K00039")
        .cloned()
        .collect();
    assert_all_readable(&v, &live).await;
    // The rotation finishes the rest.
    let r = admin_keys
        .rotate(&RotateOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (r.start, r.rewrapped, r.remaining),
        (RotationStart::Resumed, 37, 0)
    );
    assert_eq!(kek_versions(t).await, vec![(2, 39)]);
    // Too many at once is refused whole; a principal without keys.rotate gets no admin at all.
    let many = vec![PersonRef::External("K00001".into()); MAX_BATCH_REWRAP + 1];
    assert!(admin_keys.rewrap(&many).await.is_err());
    let reader = principal("agent", "agent", "people.read");
    assert!(v.key_admin(&reader, &c).is_err());
}

custodian_db::backend_tests!(
    batch_rewrap_moves_the_named_people_each_with_its_outcome,
    rotation_rewraps_everyone_and_reads_still_work,
    interrupted_rotation_resumes_where_it_stopped,
    a_key_that_cannot_be_unwrapped_is_reported_and_the_rest_move,
    rotation_needs_keys_rotate
);
