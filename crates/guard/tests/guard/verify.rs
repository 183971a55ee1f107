//! Verification and attempt limiting on both backends: brute force from many sources gets no
//! more Argon2 evaluations than the cap while the owner's known device still gets in; parallel
//! guesses all count; unknown accounts answer (and cost) like known ones; per-source throttling,
//! stuffing detection that spares a shared NAT address, counters that survive a restart, and the
//! step-up that re-enables a disabled PIN.

use std::time::Instant;

use custodian_db::sqlx;
use custodian_db::testing::TestDb;
use custodian_guard::{
    EventKind, EventQuery, HashParams, NoticeKind, SecretKind, StepUpPurpose, Verdict,
};

use crate::common::*;

const OWNER_PIN: &str = "739164";

async fn brute_force_is_capped_and_the_owner_gets_in(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-0001");
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();
    let owner = from_device("10.20.30.40", "owner-phone");
    assert_eq!(pin(&h, &a, OWNER_PIN, &owner).await, Verdict::Ok);

    let before = h.guard.hasher().evaluations();
    let mut verdicts = Vec::new();
    for i in 0..3000u32 {
        // Guesses in order from 100000; the owner's PIN is far beyond what is allowed.
        let guess = format!("{}", 100_000 + i);
        verdicts.push(pin(&h, &a, &guess, &from_ip(&loopback(i))).await);
        if i == 1500 {
            let e = h.guard.hasher().evaluations();
            assert_eq!(
                pin(&h, &a, OWNER_PIN, &owner).await,
                Verdict::Ok,
                "owner during the attack"
            );
            assert_eq!(h.guard.hasher().evaluations(), e + 1);
        }
    }
    let attacker_evals = h.guard.hasher().evaluations() - before - 1;
    let (max, reserve) = (10, 3);
    assert_eq!(
        attacker_evals,
        max - reserve,
        "Argon2 evaluations for 3000 guesses"
    );
    assert!(verdicts.iter().all(|v| *v != Verdict::Ok));
    assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Wrong).count(), 7);
    assert_eq!(
        verdicts.iter().filter(|v| **v == Verdict::Locked).count(),
        2993
    );
    assert_eq!(
        pin(&h, &a, OWNER_PIN, &owner).await,
        Verdict::Ok,
        "owner after the attack"
    );

    // Every outcome is in the events; the refused ones as counted groups.
    let q = EventQuery {
        account: Some(a.clone()),
        kind: Some(EventKind::Verify),
        limit: 10_000,
        ..EventQuery::default()
    };
    let events = h.guard.events(&q).await.unwrap();
    let total: i64 = events.iter().map(|e| e.count).sum();
    assert_eq!(total, 3000 + 3);
    let locked: i64 = events
        .iter()
        .filter(|e| e.outcome == "locked")
        .map(|e| e.count)
        .sum();
    assert_eq!(locked, 2993);
    let by_source = EventQuery {
        source: Some(loopback(2999)),
        ..EventQuery::default()
    };
    assert_eq!(h.guard.events(&by_source).await.unwrap().len(), 1);
    let alerts = EventQuery {
        account: Some(a.clone()),
        kind: Some(EventKind::DistributedGuessing),
        ..EventQuery::default()
    };
    assert_eq!(h.guard.events(&alerts).await.unwrap().len(), 1);

    // The owner on a new device must step up; the code goes out through the notifier.
    let new_phone = from_device("10.20.30.41", "owner-new-phone");
    assert_eq!(pin(&h, &a, OWNER_PIN, &new_phone).await, Verdict::Locked);
    h.guard
        .issue_step_up(&a, StepUpPurpose::Unlock, None)
        .await
        .unwrap();
    let code = step_up_code(&h);
    h.guard
        .unlock(&a, SecretKind::Pin, &code, &new_phone)
        .await
        .unwrap();
    assert_eq!(pin(&h, &a, OWNER_PIN, &new_phone).await, Verdict::Ok);
}

fn step_up_code(h: &H) -> custodian_guard::OneTimeCode {
    h.notifier
        .take()
        .into_iter()
        .rev()
        .find_map(|n| match n.kind {
            NoticeKind::StepUpCode { code, .. } => Some(code),
            _ => None,
        })
        .expect("a step-up code was sent")
}

async fn parallel_wrong_guesses_all_count(t: &TestDb) {
    let h = harness(t).await;
    let pw = acct("ACCT-PW");
    h.guard
        .set_secret(
            &pw,
            SecretKind::Password,
            &secret("correct horse battery staple"),
        )
        .await
        .unwrap();
    let p = acct("ACCT-PIN");
    h.guard
        .set_secret(&p, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();

    for (account, kind, guess) in [
        (&pw, SecretKind::Password, "wrong horse battery staple"),
        (&p, SecretKind::Pin, "482915"),
    ] {
        let before = h.guard.hasher().evaluations();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..50u32 {
            let (g, a) = (h.guard.clone(), account.clone());
            set.spawn(async move {
                g.verify(&a, kind, &secret(guess), &from_ip(&loopback(i)))
                    .await
                    .unwrap()
            });
        }
        let verdicts = set.join_all().await;
        let wrong = verdicts.iter().filter(|v| **v == Verdict::Wrong).count();
        let evals = h.guard.hasher().evaluations() - before;
        let (failures, untrusted) = h.guard.failure_counts(account, kind).await.unwrap();
        match kind {
            SecretKind::Password => {
                assert_eq!((wrong, evals, failures, untrusted), (50, 50, 50, 50));
            }
            _ => {
                assert_eq!(
                    (wrong, evals, failures, untrusted),
                    (7, 7, 7, 7),
                    "no race past the cap"
                );
                let locked = verdicts.iter().filter(|v| **v == Verdict::Locked).count();
                assert_eq!(locked, 43);
            }
        }
    }
}

async fn unknown_accounts_answer_like_known_ones(t: &TestDb) {
    let h = harness(t).await;
    let known = acct("ACCT-KNOWN");
    h.guard
        .set_secret(&known, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();
    let unknown = acct("ACCT-NOBODY");
    let mut answers = Vec::new();
    for a in [&known, &unknown] {
        let before = h.guard.hasher().evaluations();
        let mut seq = Vec::new();
        for i in 0..9 {
            seq.push(pin(&h, a, "482915", &from_ip(&loopback(100 + i))).await);
        }
        answers.push((seq, h.guard.hasher().evaluations() - before));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].1, 7);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn unknown_and_known_accounts_take_the_same_time(t: &TestDb) {
    let mut cfg = config();
    cfg.hash = HashParams::new(2048, 2, 1).unwrap();
    let h = harness_alone(t, cfg).await;
    let n = 31;
    for i in 0..n {
        let a = acct(&format!("ACCT-T{i}"));
        h.guard
            .set_secret(&a, SecretKind::Pin, &secret(OWNER_PIN))
            .await
            .unwrap();
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..n {
        // Interleaved, so drift in machine load hits both samples alike.
        for (samples, prefix) in [(&mut known, "ACCT-T"), (&mut unknown, "ACCT-U")] {
            let a = acct(&format!("{prefix}{i}"));
            let ctx = from_ip(&loopback(1000 + i));
            let start = Instant::now();
            assert_eq!(pin(&h, &a, "482915", &ctx).await, Verdict::Wrong);
            samples.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (mk, mu) = (median(&mut known), median(&mut unknown));
    let tolerance = (0.3 * mk.max(mu)).max(1.0);
    assert!(
        (mk - mu).abs() <= tolerance,
        "median known {mk:.2} ms vs unknown {mu:.2} ms"
    );
    // The quartile ranges overlap: the distributions are not separable by eye either.
    let (q1k, q3k) = (known[n as usize / 4], known[3 * n as usize / 4]);
    let (q1u, q3u) = (unknown[n as usize / 4], unknown[3 * n as usize / 4]);
    assert!(
        q1k <= q3u && q1u <= q3k,
        "known {q1k:.2}-{q3k:.2} ms, unknown {q1u:.2}-{q3u:.2} ms"
    );
}

async fn one_source_is_throttled_and_others_are_not(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-PAIR");
    let right = "correct horse battery staple";
    h.guard
        .set_secret(&a, SecretKind::Password, &secret(right))
        .await
        .unwrap();
    let pw = |ip: &'static str, s: &'static str| {
        let g = h.guard.clone();
        let a = a.clone();
        async move {
            g.verify(&a, SecretKind::Password, &secret(s), &from_ip(ip))
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            pw("203.0.113.9", "wrong horse battery staple").await,
            Verdict::Wrong
        );
    }
    let before = h.guard.hasher().evaluations();
    let v = pw("203.0.113.9", right).await;
    assert!(
        matches!(v, Verdict::Throttled { retry_after_secs } if (1..=900).contains(&retry_after_secs)),
        "{v:?}"
    );
    assert_eq!(
        h.guard.hasher().evaluations(),
        before,
        "throttled attempts cost no hashing"
    );
    assert_eq!(
        pw("198.51.100.20", right).await,
        Verdict::Ok,
        "another source is not affected"
    );
    // An attacker sharing the owner's (carrier-grade NAT) address fills that address's pair for
    // the account, but the owner's known device is counted under its own pair.
    let owner = from_device("100.64.7.7", "owner-phone");
    let ok = h
        .guard
        .verify(&a, SecretKind::Password, &secret(right), &owner)
        .await
        .unwrap();
    assert_eq!(ok, Verdict::Ok);
    for _ in 0..6 {
        pw("100.64.7.7", "wrong horse battery staple").await;
    }
    assert!(matches!(
        pw("100.64.7.7", right).await,
        Verdict::Throttled { .. }
    ));
    let v = h
        .guard
        .verify(&a, SecretKind::Password, &secret(right), &owner)
        .await
        .unwrap();
    assert_eq!(v, Verdict::Ok, "the owner's device behind the same address");
    h.clock.advance(901);
    assert_eq!(
        pw("203.0.113.9", right).await,
        Verdict::Ok,
        "the window ends"
    );
}

async fn stuffing_flags_the_source_but_not_a_shared_nat(t: &TestDb) {
    let h = harness(t).await;
    let right = "correct horse battery staple";
    let mut accounts = Vec::new();
    for i in 0..40 {
        let a = acct(&format!("ACCT-S{i}"));
        h.guard
            .set_secret(&a, SecretKind::Password, &secret(right))
            .await
            .unwrap();
        accounts.push(a);
    }
    // Account 0's owner has a known device.
    let known = from_device("192.0.2.50", "owner-0");
    assert_eq!(
        h.guard
            .verify(&accounts[0], SecretKind::Password, &secret(right), &known)
            .await
            .unwrap(),
        Verdict::Ok
    );

    // A shared carrier-grade NAT address: 40 successes and 25 failures on distinct accounts.
    let nat = from_ip("100.64.0.1");
    for a in &accounts {
        assert_eq!(
            h.guard
                .verify(a, SecretKind::Password, &secret(right), &nat)
                .await
                .unwrap(),
            Verdict::Ok
        );
    }
    for a in &accounts[..25] {
        let v = h
            .guard
            .verify(
                a,
                SecretKind::Password,
                &secret("wrong horse battery staple"),
                &nat,
            )
            .await
            .unwrap();
        assert_eq!(v, Verdict::Wrong);
    }
    let v = h
        .guard
        .verify(&accounts[30], SecretKind::Password, &secret(right), &nat)
        .await
        .unwrap();
    assert_eq!(v, Verdict::Ok, "a busy NAT address is not flagged");

    // A stuffing source: one wrong guess on each of many accounts, no successes.
    let bad = from_ip("198.51.100.7");
    let mut verdicts = Vec::new();
    for a in &accounts {
        verdicts.push(
            h.guard
                .verify(a, SecretKind::Password, &secret("Summer-2024-guess!"), &bad)
                .await
                .unwrap(),
        );
    }
    assert!(verdicts[..20].iter().all(|v| *v == Verdict::Wrong));
    assert!(
        verdicts[20..]
            .iter()
            .all(|v| matches!(v, Verdict::Throttled { .. })),
        "{verdicts:?}"
    );
    // The flagged address still lets a known device through.
    let known_from_bad = from_device("198.51.100.7", "owner-0");
    let v = h
        .guard
        .verify(
            &accounts[0],
            SecretKind::Password,
            &secret(right),
            &known_from_bad,
        )
        .await
        .unwrap();
    assert_eq!(v, Verdict::Ok);
    let q = EventQuery {
        kind: Some(EventKind::StuffingFlagged),
        ..EventQuery::default()
    };
    let flagged = h.guard.events(&q).await.unwrap();
    assert!(
        flagged.iter().any(|e| e.detail == "s|198.51.100.7"),
        "{flagged:?}"
    );
    assert!(!flagged.iter().any(|e| e.detail.contains("100.64.0.1")));

    // A new process: nothing in memory. The stored flag still refuses a stranger from that
    // address, on an account it never tried, before anything is counted or hashed.
    drop(h);
    let h2 = harness(t).await;
    let untried = acct("ACCT-S-UNTRIED");
    h2.guard
        .set_secret(&untried, SecretKind::Password, &secret(right))
        .await
        .unwrap();
    let evaluations = h2.guard.hasher().evaluations();
    let v = h2
        .guard
        .verify(&untried, SecretKind::Password, &secret(right), &bad)
        .await
        .unwrap();
    assert!(matches!(v, Verdict::Throttled { .. }), "{v:?}");
    assert_eq!(h2.guard.hasher().evaluations(), evaluations);
    assert_eq!(
        h2.guard
            .failure_counts(&untried, SecretKind::Password)
            .await
            .unwrap(),
        (0, 0),
        "a refused attempt is not counted"
    );
}

async fn counters_survive_a_restart(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-RESTART");
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();
    for i in 0..7 {
        assert_eq!(
            pin(&h, &a, "482915", &from_ip(&loopback(i))).await,
            Verdict::Wrong
        );
    }
    // A new process: nothing in memory, the database still says locked.
    drop(h);
    let h2 = harness(t).await;
    assert_eq!(
        pin(&h2, &a, OWNER_PIN, &from_ip(&loopback(50))).await,
        Verdict::Locked
    );
    assert_eq!(
        h2.guard.hasher().evaluations(),
        1,
        "only the dummy hash at start"
    );
}

async fn a_disabled_pin_needs_a_step_up(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-DISABLE");
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();
    let owner = from_device("10.1.1.1", "owner-phone");
    assert_eq!(pin(&h, &a, OWNER_PIN, &owner).await, Verdict::Ok);
    for i in 0..7 {
        pin(&h, &a, "482915", &from_ip(&loopback(i))).await;
    }
    // The owner's own typos use the reserve; the tenth consecutive failure disables the PIN.
    for _ in 0..3 {
        assert_eq!(pin(&h, &a, "482916", &owner).await, Verdict::Wrong);
    }
    assert_eq!(pin(&h, &a, OWNER_PIN, &owner).await, Verdict::Locked);
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let notices = h.notifier.take();
    assert!(notices.iter().any(|n| matches!(
        n.kind,
        NoticeKind::SecretDisabled {
            kind: SecretKind::Pin
        }
    )));

    h.guard
        .issue_step_up(&a, StepUpPurpose::Unlock, None)
        .await
        .unwrap();
    let code = step_up_code(&h);
    let wrong = custodian_guard::OneTimeCode::new("000000");
    assert!(matches!(
        h.guard.unlock(&a, SecretKind::Pin, &wrong, &owner).await,
        Err(custodian_guard::GuardError::BadCode)
    ));
    h.guard
        .unlock(&a, SecretKind::Pin, &code, &owner)
        .await
        .unwrap();
    assert!(
        h.guard
            .unlock(&a, SecretKind::Pin, &code, &owner)
            .await
            .is_err(),
        "single use"
    );
    h.clock.advance(6);
    assert_eq!(pin(&h, &a, OWNER_PIN, &owner).await, Verdict::Ok);
}

async fn stale_and_imported_hashes_are_upgraded(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-IMPORTED");
    let old = custodian_guard::Hasher::new(HashParams::new(128, 2, 1).unwrap(), Vec::new());
    let phc = old.hash(OWNER_PIN.as_bytes()).unwrap().phc;
    let text = format!("account_id,kind,phc\n{a},pin,{phc}\n");
    let recs = custodian_guard::parse_import("migration.csv", text.as_bytes()).unwrap();
    let r = h.guard.import_hashes(&recs).await.unwrap();
    assert_eq!((r.records, r.written), (1, 1));
    assert_eq!(
        pin(&h, &a, "482915", &from_ip("10.9.9.9")).await,
        Verdict::Wrong
    );
    assert_eq!(
        pin(&h, &a, OWNER_PIN, &from_ip("10.9.9.9")).await,
        Verdict::Ok
    );
    let (stored, pepper): (String, i64) =
        sqlx::query_as("SELECT phc, pepper_id FROM guard_credentials WHERE account_id = $1")
            .bind(a.as_str())
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{stored}"
    );
    assert_eq!(pepper, 1);
    assert_eq!(
        pin(&h, &a, OWNER_PIN, &from_ip("10.9.9.9")).await,
        Verdict::Ok
    );
    // A re-run of the import does not overwrite a secret set through the guard.
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret("582047"))
        .await
        .unwrap();
    assert_eq!(h.guard.import_hashes(&recs).await.unwrap().written, 0);
    assert_eq!(
        pin(&h, &a, "582047", &from_ip("10.9.9.9")).await,
        Verdict::Ok
    );
}

/// Regression test: refused attempts were counted in memory and reached the database only when
/// `events()` was called (and a flush under way was not waited for), so a flood's counts could
/// be missing from a query or lost at exit.
async fn refused_attempts_are_stored_within_a_second_and_at_shutdown(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-FLOOD");
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret(OWNER_PIN))
        .await
        .unwrap();
    let stored = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM guard_events \
             WHERE account_id = 'ACCT-FLOOD' AND kind = 'verify' AND outcome = 'locked'",
        )
        .fetch_one(t.db.pool())
        .await
        .unwrap();
        n
    };
    for i in 0..207u32 {
        pin(&h, &a, "482915", &from_ip(&loopback(i))).await;
    }
    assert_eq!(
        stored().await,
        0,
        "refusals are batched, not written one by one"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    assert_eq!(
        stored().await,
        200,
        "written in the background within a second"
    );
    for i in 0..5u32 {
        pin(&h, &a, "482915", &from_ip(&loopback(1_000 + i))).await;
    }
    h.guard.shutdown().await.unwrap();
    assert_eq!(stored().await, 205, "written at shutdown");
}

custodian_db::backend_tests!(
    brute_force_is_capped_and_the_owner_gets_in,
    parallel_wrong_guesses_all_count,
    unknown_accounts_answer_like_known_ones,
    unknown_and_known_accounts_take_the_same_time,
    one_source_is_throttled_and_others_are_not,
    stuffing_flags_the_source_but_not_a_shared_nat,
    counters_survive_a_restart,
    a_disabled_pin_needs_a_step_up,
    stale_and_imported_hashes_are_upgraded,
    refused_attempts_are_stored_within_a_second_and_at_shutdown,
);
