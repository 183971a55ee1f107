//! Retention: with the clock moved forward, a dry run counts who is due per account kind and
//! changes nothing; a real run crypto-shreds exactly those people in batches (one access-log
//! entry each), keeps people whose record was re-imported since (their last activity moved),
//! leaves kinds without a rule alone, and keeps tombstones (external id, kind, state) that can
//! still be counted. Every test runs on both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ops_common::{Known, admin, ctx, import, known, log_entries, open, principal};
use custodian_db::testing::TestDb;
use custodian_vault::retention::{
    RetentionMode, RetentionOptions, RetentionReport, RetentionRules,
};
use custodian_vault::{AccountKind, Field, Lookup, PersonRef, ReadRequest, Vault};

const DAY: i64 = 86_400;

fn rules() -> RetentionRules {
    RetentionRules::keep_forever()
        .keep_for(AccountKind::Prospective, 365)
        .unwrap()
        .keep_for(AccountKind::Former, 2555)
        .unwrap()
}

async fn run(v: &Vault, mode: RetentionMode) -> RetentionReport {
    let (p, c) = (admin(), ctx());
    let opts = RetentionOptions {
        mode,
        batch_size: 4,
    };
    v.retention(&p, &c)
        .unwrap()
        .run(&rules(), &opts, &|_| {})
        .await
        .unwrap()
}

/// (due, shredded) per kind in `AccountKind::ALL` order: postpaid, prepaid, former, prospective.
fn per_kind(r: &RetentionReport) -> Vec<(u64, u64)> {
    r.kinds.iter().map(|k| (k.due, k.shredded)).collect()
}

async fn shredded_count(t: &TestDb) -> i64 {
    custodian_db::sqlx::query_scalar(
        "SELECT COUNT(*) FROM vault_people WHERE shredded_at IS NOT NULL",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap()
}

async fn retention_shreds_idle_people_and_keeps_tombstones(t: &TestDb) {
    let (v, clock) = open(t).await;
    // 40 people: 10 of each kind (kinds cycle), all active at T0.
    let people = known(40);
    import(&v, &people).await;
    let prospective: Vec<&Known> = people.iter().filter(|k| k.kind == "prospective").collect();
    // 200 days on, three prospective people are re-imported unchanged: that is activity.
    clock.advance(200 * DAY);
    let active: Vec<Known> = prospective[..3].iter().map(|k| (*k).clone()).collect();
    import(&v, &active).await;
    clock.advance(200 * DAY);

    let dry = run(&v, RetentionMode::DryRun).await;
    assert_eq!(per_kind(&dry), vec![(0, 0), (0, 0), (0, 0), (7, 0)]);
    assert_eq!(dry.kinds[0].keep_days, None, "postpaid has no rule");
    assert_eq!(
        (shredded_count(t).await, log_entries(t, "retention").await),
        (0, 0)
    );

    let real = run(&v, RetentionMode::Shred).await;
    assert_eq!(per_kind(&real), vec![(0, 0), (0, 0), (0, 0), (7, 7)]);
    assert_eq!(real.batches, 2, "7 people in batches of 4");
    assert_eq!(log_entries(t, "retention").await, 2);
    assert_eq!(shredded_count(t).await, 7);

    let (p, c) = (admin(), ctx());
    let reader = v.reader(&p, &c).unwrap();
    let searcher = v.searcher(&p, &c).unwrap();
    for k in &prospective {
        let view = reader
            .get(
                &PersonRef::External(k.external_id.clone()),
                &ReadRequest::default(),
            )
            .await
            .unwrap();
        let hits = searcher
            .find(&Lookup {
                field: Field::Ssn,
                normalized: &k.ssn.replace('-', ""),
            })
            .await
            .unwrap();
        // The tombstone keeps what the breach engine counts by.
        assert_eq!(
            (view.account_kind.as_str(), view.state.as_deref()),
            ("prospective", Some("TX"))
        );
        if active.iter().any(|a| a.external_id == k.external_id) {
            assert!(view.shredded_at.is_none() && view.fields.len() == 12);
            assert_eq!(hits.len(), 1);
        } else {
            assert!(view.shredded_at.is_some() && view.fields.is_empty());
            assert!(
                hits.is_empty(),
                "a shredded person's blind indexes are gone"
            );
        }
    }

    // Seven years on, former customers are due too; a second run finds nothing left.
    clock.advance(2555 * DAY);
    let later = run(&v, RetentionMode::Shred).await;
    assert_eq!(per_kind(&later), vec![(0, 0), (0, 0), (10, 10), (3, 3)]);
    assert_eq!(run(&v, RetentionMode::Shred).await.shredded(), 0);
    let kinds: Vec<(String, i64)> = custodian_db::sqlx::query_as(
        "SELECT account_kind, COUNT(*) FROM vault_people WHERE shredded_at IS NOT NULL \
         GROUP BY account_kind ORDER BY account_kind",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    assert_eq!(
        kinds,
        vec![("former".into(), 10), ("prospective".into(), 10)]
    );
}

async fn retention_needs_people_delete(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let c = ctx();
    let agent = principal("care", "agent", "people.read people.search");
    assert!(v.retention(&agent, &c).is_err());
    assert!(
        v.retention(&principal("dpo", "privacy", "people.delete"), &c)
            .is_ok()
    );
}

custodian_db::backend_tests!(
    retention_shreds_idle_people_and_keeps_tombstones,
    retention_needs_people_delete
);
