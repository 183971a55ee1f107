//! Property tests of the masks: total on arbitrary strings (never a panic), and never the full
//! value. For every field, a value of 4 or more characters is neither equal to nor contained in
//! its mask; an SSN's mask never holds more than its last 4 digits; a role that may not reveal a
//! field gets only masks from a plain read (security invariant 4).

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_vault::policy::{Disposition, Policy, PolicyField, mask};
use proptest::prelude::*;

fn field() -> impl Strategy<Value = PolicyField> {
    proptest::sample::select(PolicyField::ALL.to_vec())
}

/// Values shaped like the real thing, plus noise, so the masks' interesting branches run.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{3}-[0-9]{2}-[0-9]{4}",
        "\\+1[2-9][0-9]{9}",
        "[a-z.]{1,12}@[a-z]{1,10}\\.(com|org)",
        "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]",
        "[0-9]{15}",
        "[0-9]{1,5} [A-Z][a-z]{2,10} (St|Ave|Rd)( Apt [0-9]{1,3})?",
        "[0-9]{5}(-[0-9]{4})?",
        "[A-Z][0-9]{4,12}",
        "[A-Z][a-z]{0,12}",
        "[*#0-9a-z@ -]{0,12}",
    ]
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_mask_never_holds_the_whole_value(f in field(), v in value()) {
        let m = mask(f, &v);
        if v.chars().count() >= 4 {
            prop_assert_ne!(&m, &v);
            prop_assert!(!m.contains(v.as_str()), "{f}: {m:?} contains {v:?}");
        }
    }

    #[test]
    fn an_ssn_mask_shows_at_most_the_last_four_digits(
        ssn in "[0-9]{3}-?[0-9]{2}-?[0-9]{4}",
    ) {
        let m = mask(PolicyField::Ssn, &ssn);
        let shown = digits(&m);
        prop_assert!(shown.len() <= 4, "{m}");
        prop_assert!(digits(&ssn).ends_with(&shown));
        prop_assert!(!m.contains(&digits(&ssn)));
    }

    #[test]
    fn identifiers_show_at_most_four_digits(
        f in proptest::sample::select(vec![PolicyField::Phone, PolicyField::Imei, PolicyField::Imsi]),
        v in "[0-9+() -]{0,20}",
    ) {
        prop_assert!(digits(&mask(f, &v)).len() <= 4);
    }

    #[test]
    fn a_dob_mask_never_shows_the_year(year in 1900u32..2025, month in 1u32..13, day in 1u32..29) {
        let v = format!("{year:04}-{month:02}-{day:02}");
        let m = mask(PolicyField::Dob, &v);
        prop_assert_eq!(m, format!("****-{month:02}-{day:02}"));
    }

    #[test]
    fn masks_are_total(f in field(), v in any::<String>()) {
        // Arbitrary Unicode, control characters, empty: a result, never a panic.
        let _ = mask(f, &v);
        let _ = mask(f.as_str(), &v);
    }

    #[test]
    fn without_reveal_a_plain_read_never_returns_the_value(
        role in proptest::sample::select(vec!["admin", "agent", "analyst", "service", "unknown"]),
        f in field(),
        v in value(),
    ) {
        let policy = Policy::default();
        let shown = policy.read_value(role, f, &v);
        if f.is_sensitive() && v.chars().count() >= 4 {
            prop_assert_ne!(shown.as_deref(), Some(v.as_str()));
        }
        if policy.disposition(role, f) != Disposition::Reveal && f.is_sensitive() {
            prop_assert!(policy.check_reveal(role, f, Some("a long enough purpose")).is_err());
        }
    }
}
