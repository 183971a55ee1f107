//! Concurrent writers: batches are sealed outside the write lock and checked again under it, so
//! two writers racing on the same new person both succeed (one creates, the other, finding the
//! row there now, updates it) and one row results; on SQLite neither fails with "database is
//! locked" while the other holds the write lock. Both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ops_common::{admin, ctx, open};
use custodian_db::testing::TestDb;
use custodian_vault::record::parse_row;
use custodian_vault::{
    CanonicalRecord, Field, FieldValue, ItemOutcome, PersonRef, ReadRequest, Vault,
};

fn record(external_id: &str, ssn: &str) -> CanonicalRecord {
    let today = time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap();
    parse_row(
        1,
        |c| match c {
            "external_id" => Some(external_id),
            "account_kind" => Some("postpaid"),
            "ssn" => Some(ssn),
            "phone" => Some("+15125550142"),
            _ => None,
        },
        today,
    )
    .unwrap()
}

async fn stored_ssn(v: &Vault, external_id: &str) -> String {
    let (p, c) = (admin(), ctx());
    let view = v
        .reader(&p, &c)
        .unwrap()
        .get(
            &PersonRef::External(external_id.into()),
            &ReadRequest {
                reveal: vec![Field::Ssn],
                purpose: Some("write test".into()),
            },
        )
        .await
        .unwrap();
    view.fields
        .iter()
        .find_map(|(f, val)| match val {
            FieldValue::Revealed(r) if *f == Field::Ssn => Some(r.expose().clone()),
            _ => None,
        })
        .unwrap()
}

async fn racing_writers_on_one_new_person_both_succeed(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let (p, c) = (admin(), ctx());
    for round in 0..20 {
        let id = format!("R{round:03}");
        let (a, b) = (record(&id, "123-45-6701"), record(&id, "123-45-6702"));
        let (wa, wb) = (v.writer(&p, &c).unwrap(), v.writer(&p, &c).unwrap());
        let (ra, rb) = tokio::join!(
            wa.upsert_batch(std::slice::from_ref(&a)),
            wb.upsert_batch(std::slice::from_ref(&b))
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let mut outcomes = vec![ra.items[0].1.clone(), rb.items[0].1.clone()];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            vec![ItemOutcome::Created, ItemOutcome::Updated],
            "round {round}"
        );
        assert_eq!(ra.items[0].2, rb.items[0].2, "one row for both");
        // The one that updated wrote last.
        let last = if ra.items[0].1 == ItemOutcome::Updated {
            "123456701"
        } else {
            "123456702"
        };
        assert_eq!(stored_ssn(&v, &id).await, last);
    }
    let n: i64 = custodian_db::sqlx::query_scalar("SELECT COUNT(*) FROM vault_people")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 20);
}

custodian_db::backend_tests!(racing_writers_on_one_new_person_both_succeed);
