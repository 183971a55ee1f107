//! Forced resets on both backends: 100,000 accounts are marked compromised and handed reset
//! codes, their old PINs stop working at once, a code sets a new PIN (not the old one), and an
//! interrupted reset resumes without handing anyone two live codes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use custodian_db::sqlx;
use custodian_db::testing::TestDb;
use custodian_guard::{
    AccountId, GuardError, HashParams, Hasher, ImportRecord, Notice, NoticeKind, Notifier,
    NotifyFuture, OneTimeCode, ResetKinds, ResetPlan, SecretKind, Verdict, WeakReason,
};

use crate::common::*;

const OLD_PIN: &str = "739164";

async fn import_cohort(h: &H, n: usize) -> Vec<AccountId> {
    let phc = Hasher::new(HashParams::new(64, 1, 1).unwrap(), Vec::new())
        .hash(OLD_PIN.as_bytes())
        .unwrap()
        .phc;
    let accounts: Vec<AccountId> = (0..n).map(|i| acct(&format!("PRE-{i:07}"))).collect();
    let records: Vec<ImportRecord> = accounts
        .iter()
        .map(|a| ImportRecord {
            account: a.clone(),
            kind: SecretKind::Pin,
            phc: phc.clone(),
        })
        .collect();
    assert_eq!(
        h.guard.import_hashes(&records).await.unwrap().written,
        n as u64
    );
    accounts
}

fn plan(name: &str) -> ResetPlan {
    ResetPlan {
        name: name.into(),
        kinds: ResetKinds::All,
        code_ttl_secs: None,
    }
}

fn codes_of(notices: &[Notice]) -> Vec<(AccountId, OneTimeCode)> {
    notices
        .iter()
        .filter_map(|n| match &n.kind {
            NoticeKind::ResetCode { code, .. } => Some((n.account.clone(), code.clone())),
            _ => None,
        })
        .collect()
}

async fn a_forced_reset_of_100k_accounts_completes_and_old_pins_fail(t: &TestDb) {
    let h = harness(t).await;
    let cohort = import_cohort(&h, 100_000).await;
    let outsider = acct("POSTPAID-1");
    h.guard
        .set_secret(&outsider, SecretKind::Pin, &secret(OLD_PIN))
        .await
        .unwrap_or(());
    let steps = Arc::new(AtomicUsize::new(0));
    let s = steps.clone();
    let progress = Arc::new(move |_| {
        s.fetch_add(1, Ordering::Relaxed);
    });
    let r = h
        .guard
        .forced_reset(&plan("inc-2021-prepaid"), &cohort, progress)
        .await
        .unwrap();
    assert_eq!(
        (
            r.members,
            r.compromised,
            r.codes_delivered,
            r.codes_issued_now
        ),
        (100_000, 100_000, 100_000, 100_000)
    );
    assert!(
        steps.load(Ordering::Relaxed) > 10,
        "progress after each batch of 10,000"
    );
    let codes = codes_of(&h.notifier.take());
    assert_eq!(codes.len(), 100_000);

    // The old PIN no longer works anywhere in the cohort.
    for i in (0..100_000).step_by(4_999) {
        let v = pin(&h, &cohort[i], OLD_PIN, &from_ip(&loopback(i as u32))).await;
        assert_eq!(v, Verdict::ResetRequired, "{}", cohort[i]);
    }
    let (compromised,): (i64,) =
        sqlx::query_as("SELECT COUNT(compromised_at) FROM guard_credentials")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert_eq!(compromised, 100_000);

    // A reset code sets a new PIN, but not the compromised one.
    let (who, code) = &codes[123];
    let ctx = from_ip("10.0.0.1");
    let e = h
        .guard
        .redeem_reset(who, SecretKind::Pin, code, &secret(OLD_PIN), &ctx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GuardError::Weak {
                reason: WeakReason::Reused,
                ..
            }
        ),
        "{e}"
    );
    let e = h
        .guard
        .redeem_reset(
            who,
            SecretKind::Pin,
            &OneTimeCode::new("0000-0000-0000-0000"),
            &secret("582047"),
            &ctx,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, GuardError::BadCode));
    h.guard
        .redeem_reset(who, SecretKind::Pin, code, &secret("582047"), &ctx)
        .await
        .unwrap();
    assert_eq!(pin(&h, who, "582047", &ctx).await, Verdict::Ok);
    assert_eq!(pin(&h, who, OLD_PIN, &ctx).await, Verdict::Wrong);
    assert!(
        h.guard
            .redeem_reset(who, SecretKind::Pin, code, &secret("582048"), &ctx)
            .await
            .is_err(),
        "single use"
    );
    // Another account's code does not work for this one.
    let (_, other_code) = &codes[124];
    let e = h
        .guard
        .redeem_reset(
            &cohort[0],
            SecretKind::Pin,
            other_code,
            &secret("582049"),
            &ctx,
        )
        .await;
    assert!(matches!(e, Err(GuardError::BadCode)) || cohort[0] == codes[124].0);

    // Re-running the same reset finds nothing left to do.
    let r = h
        .guard
        .forced_reset(&plan("inc-2021-prepaid"), &cohort, Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!(
        (r.members, r.compromised, r.codes_issued_now),
        (100_000, 99_999, 0)
    );
    // Different settings under the same name are refused.
    let mut p = plan("inc-2021-prepaid");
    p.kinds = ResetKinds::Pin;
    assert!(matches!(
        h.guard.forced_reset(&p, &cohort, Arc::new(|_| {})).await,
        Err(GuardError::ResetConflict(_))
    ));
}

/// Fails every call after the first `ok` ones.
struct FlakyNotifier {
    ok: usize,
    calls: AtomicUsize,
}

impl Notifier for FlakyNotifier {
    fn send<'a>(&'a self, _notices: &'a [Notice]) -> NotifyFuture<'a> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let r = if n < self.ok {
            Ok(())
        } else {
            Err(GuardError::Notify("outbox down".into()))
        };
        Box::pin(async move { r })
    }
}

async fn an_interrupted_reset_resumes(t: &TestDb) {
    let h = harness(t).await;
    let cohort = import_cohort(&h, 25_000).await;
    t.db.migrate(&[custodian_guard::COMPONENT]).await.unwrap();
    let flaky = custodian_guard::GuardService::new(
        t.db.clone(),
        Arc::new(h.clock.clone()),
        config(),
        custodian_guard::GuardDeps {
            peppers: vec![custodian_guard::Pepper::new(1, &[42; 32]).unwrap()],
            facts: h.facts.clone(),
            notifier: Arc::new(FlakyNotifier {
                ok: 1,
                calls: AtomicUsize::new(0),
            }),
        },
    )
    .unwrap();
    let e = flaky
        .forced_reset(&plan("inc-x"), &cohort, Arc::new(|_| {}))
        .await
        .unwrap_err();
    assert!(matches!(e, GuardError::Notify(_)));
    let r = h
        .guard
        .forced_reset(&plan("inc-x"), &cohort, Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!(
        (r.members, r.codes_delivered, r.codes_issued_now),
        (25_000, 25_000, 15_000)
    );
    let (live,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM guard_codes WHERE purpose = 'reset' AND used_at IS NULL",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!(live, 25_000, "one live code per account");
}

custodian_db::backend_tests!(
    a_forced_reset_of_100k_accounts_completes_and_old_pins_fail,
    an_interrupted_reset_resumes,
);
