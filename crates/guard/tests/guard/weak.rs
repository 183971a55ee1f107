//! Refusing weak secrets: the shipped blocklist and rules cover about a tenth of the six-digit
//! space, and at set time (on both backends) the account's own birth date, phone digits and SSN
//! last four, values exposed in an incident, and malformed secrets are refused without the
//! value ever appearing in the error.

use custodian_db::testing::TestDb;
use custodian_guard::weak::pins;
use custodian_guard::{
    AccountId, FactKind, Facts, FactsFuture, GuardDeps, GuardError, GuardService, PersonalFacts,
    RecordingNotifier, SecretKind, WeakReason,
};
use custodian_vault::types::{DateOfBirth, Phone, Ssn};
use time::macros::date;

use crate::common::*;

#[test]
fn blocklist_covers_about_a_tenth_of_six_digit_pins() {
    let refused = (0..1_000_000u32)
        .filter(|n| pins::weakness(&format!("{n:06}")).is_some())
        .count();
    let share = refused as f64 / 1_000_000.0;
    assert!(
        (0.09..=0.12).contains(&share),
        "{refused} refused ({share:.3})"
    );
    for common in include_str!("../../data/common-pins.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        assert!(pins::weakness(common).is_some(), "{common}");
    }
    // The most common choices of every family.
    for p in [
        "123456", "111111", "000000", "121212", "654321", "112233", "123321", "010190", "199001",
        "147258",
    ] {
        assert!(pins::weakness(p).is_some(), "{p}");
    }
}

fn facts() -> Facts {
    Facts {
        date_of_birth: Some(DateOfBirth::parse("1985-07-15", date!(2025 - 01 - 01)).unwrap()),
        phones: vec![Phone::parse("(415) 555-2671").unwrap()],
        ssn: Some(Ssn::parse("123-45-8261").unwrap()),
    }
}

async fn set_time_refuses_weak_and_personal_secrets(t: &TestDb) {
    let h = harness(t).await;
    let a = acct("ACCT-WEAK");
    h.facts.insert(a.clone(), facts());
    let pin_cases = [
        ("123456", WeakReason::Sequence),
        ("111111", WeakReason::Repetition),
        ("123321", WeakReason::Pattern),
        ("150785", WeakReason::Date),
        ("147258", WeakReason::Common),
        ("907150", WeakReason::PersonalFact(FactKind::BirthDate)),
        ("552671", WeakReason::PersonalFact(FactKind::Phone)),
        ("482619", WeakReason::PersonalFact(FactKind::SsnLast4)),
    ];
    for (p, want) in pin_cases {
        let e = h
            .guard
            .set_secret(&a, SecretKind::Pin, &secret(p))
            .await
            .unwrap_err();
        assert!(
            matches!(e, GuardError::Weak { reason, .. } if reason == want),
            "{p}: {e}"
        );
        assert!(!e.to_string().contains(p), "the value never appears: {e}");
    }
    // The same PINs are fine for someone else whose facts differ (the rule-based ones are not).
    let b = acct("ACCT-OTHER");
    h.guard
        .set_secret(&b, SecretKind::Pin, &secret("552671"))
        .await
        .unwrap();

    let e = h
        .guard
        .set_secret(
            &a,
            SecretKind::Password,
            &secret("my birthday 07/15/1985 rocks!"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            GuardError::Weak {
                reason: WeakReason::PersonalFact(FactKind::BirthDate),
                ..
            }
        ),
        "{e}"
    );
    let e = h
        .guard
        .set_secret(&a, SecretKind::Password, &secret("short"))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "password: must have 15 to 128 characters");
    let e = h
        .guard
        .set_secret(&a, SecretKind::Pin, &secret("48a915"))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "pin: must contain only digits");

    // Values exposed in an incident are refused for everyone.
    h.guard
        .add_exposed(
            "INC-2021",
            SecretKind::Pin,
            &[secret("582047"), secret(" 739164 ")],
        )
        .await
        .unwrap();
    for p in ["582047", "739164"] {
        let e = h
            .guard
            .set_secret(&b, SecretKind::Pin, &secret(p))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                GuardError::Weak {
                    reason: WeakReason::Exposed,
                    ..
                }
            ),
            "{e}"
        );
    }
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret("482915"))
        .await
        .unwrap();
    h.guard
        .set_secret(
            &a,
            SecretKind::Password,
            &secret("correct horse battery staple"),
        )
        .await
        .unwrap();
}

struct BrokenFacts;

impl PersonalFacts for BrokenFacts {
    fn facts<'a>(&'a self, _account: &'a AccountId) -> FactsFuture<'a> {
        Box::pin(async { Err(GuardError::Facts("vault unavailable".into())) })
    }
}

async fn a_secret_is_never_accepted_unchecked(t: &TestDb) {
    t.db.migrate(&[custodian_guard::COMPONENT]).await.unwrap();
    let guard = GuardService::new(
        t.db.clone(),
        std::sync::Arc::new(custodian_db::SystemClock),
        config(),
        GuardDeps {
            peppers: Vec::new(),
            facts: std::sync::Arc::new(BrokenFacts),
            notifier: std::sync::Arc::new(RecordingNotifier::new()),
        },
    )
    .unwrap();
    let e = guard
        .set_secret(&acct("A-1"), SecretKind::Pin, &secret("482915"))
        .await
        .unwrap_err();
    assert!(matches!(e, GuardError::Facts(_)), "{e}");
}

custodian_db::backend_tests!(
    set_time_refuses_weak_and_personal_secrets,
    a_secret_is_never_accepted_unchecked,
);
