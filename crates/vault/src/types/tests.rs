//! Property tests for the field types: every valid value, written in any of the accepted
//! spellings, parses to the same normalized form; parsing the normalized form is the identity;
//! `Debug` never shows the value; and no input, however malformed, makes a parser panic.

use proptest::prelude::*;
use time::macros::date;

use super::*;

/// Joins digit groups with a separator drawn from `seps` (possibly none).
fn spelled(groups: &[&str], sep: &str) -> String {
    groups.join(sep)
}

fn valid_ssn() -> impl Strategy<Value = String> {
    (1u32..900, 1u32..100, 1u32..10000)
        .prop_filter("area 666 is never issued", |(a, _, _)| *a != 666)
        .prop_map(|(a, g, s)| format!("{a:03}{g:02}{s:04}"))
}

fn valid_phone_national() -> impl Strategy<Value = String> {
    (2u32..10, 0u32..10, 0u32..10, 2u32..10, 0u32..1_000_000)
        .prop_filter("N11 area codes are service codes", |(_, b, c, _, _)| {
            !(*b == 1 && *c == 1)
        })
        .prop_map(|(a, b, c, x, rest)| format!("{a}{b}{c}{x}{rest:06}"))
}

fn with_luhn(payload: &str) -> String {
    let check = luhn_check_digit(payload.as_bytes());
    format!("{payload}{check}")
}

proptest! {
    // Failures are not persisted to a regressions file: a failing case is turned into a named
    // unit test next to the parser instead.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ssn_spellings_normalize_alike(ssn in valid_ssn(), sep in prop::sample::select(vec!["", "-", " "])) {
        let input = spelled(&[&ssn[..3], &ssn[3..5], &ssn[5..]], sep);
        let parsed = Ssn::parse(&input).unwrap();
        prop_assert_eq!(parsed.normalized(), ssn.as_str());
        prop_assert!(Ssn::parse(parsed.normalized()).unwrap() == parsed);
        prop_assert_eq!(parsed.last4(), &ssn[5..]);
        let shown = format!("{parsed:?}");
        prop_assert!(!shown.contains(&ssn[5..]));
    }

    #[test]
    fn phone_spellings_normalize_alike(national in valid_phone_national(), form in 0usize..5) {
        let (a, x, l) = (&national[..3], &national[3..6], &national[6..]);
        let input = match form {
            0 => format!("+1{national}"),
            1 => national.clone(),
            2 => format!("1{national}"),
            3 => format!("({a}) {x}-{l}"),
            _ => format!("+1 {a}.{x}.{l}"),
        };
        let parsed = Phone::parse(&input).unwrap();
        let e164 = format!("+1{national}");
        prop_assert_eq!(parsed.normalized(), e164.as_str());
        prop_assert!(Phone::parse(parsed.normalized()).unwrap() == parsed);
        let shown = format!("{parsed:?}");
        prop_assert!(!shown.contains(l));
    }

    #[test]
    fn imei_round_trip(payload in "[0-9]{14}", sep in prop::sample::select(vec!["", "-", " "])) {
        let imei = with_luhn(&payload);
        let input = spelled(&[&imei[..2], &imei[2..8], &imei[8..14], &imei[14..]], sep);
        let parsed = Imei::parse(&input).unwrap();
        prop_assert_eq!(parsed.normalized(), imei.as_str());
        prop_assert_eq!(Imei::parse(parsed.normalized()).unwrap(), parsed);
    }

    #[test]
    fn imei_single_digit_change_is_caught(payload in "[0-9]{14}", pos in 0usize..15, delta in 1u8..10) {
        let mut imei = with_luhn(&payload).into_bytes();
        imei[pos] = b'0' + (imei[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(imei).unwrap();
        prop_assert!(Imei::parse(&changed).is_err());
    }

    #[test]
    fn imsi_round_trip(mcc in 200u32..800, rest in "[0-9]{12}") {
        let imsi = format!("{mcc}{rest}");
        let parsed = Imsi::parse(&imsi).unwrap();
        prop_assert_eq!(parsed.normalized(), imsi.as_str());
        prop_assert_eq!(parsed.mcc(), &imsi[..3]);
        prop_assert!(imsi.starts_with(parsed.mcc_mnc()));
    }

    #[test]
    fn email_normalizes_case_and_space(local in "[a-zA-Z0-9_+-]{1,20}(\\.[a-z0-9]{1,5})?", domain in "[a-zA-Z0-9]{1,10}\\.[a-zA-Z]{2,6}") {
        let input = format!("  {local}@{domain} ");
        let parsed = Email::parse(&input).unwrap();
        let want = format!("{local}@{domain}").to_lowercase();
        prop_assert_eq!(parsed.normalized(), want.as_str());
        prop_assert_eq!(Email::parse(parsed.normalized()).unwrap(), parsed);
    }

    #[test]
    fn dob_round_trip(days in 0i64..(124 * 365)) {
        let today = date!(2024 - 06 - 30);
        let date = today - time::Duration::days(days);
        let text = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
        let parsed = DateOfBirth::parse(&text, today).unwrap();
        prop_assert_eq!(parsed.normalized(), text.as_str());
        prop_assert_eq!(parsed.date(), date);
        prop_assert!(parsed.age(today) <= 124);
    }

    #[test]
    fn licence_round_trip(number in "[A-Za-z0-9]{1,20}", state in prop::sample::select(UsState::ALL.to_vec())) {
        let parsed = DriversLicense::parse(&number, &state.code().to_lowercase()).unwrap();
        let want = format!("{}:{}", state.code(), number.to_uppercase());
        prop_assert_eq!(parsed.normalized(), want.as_str());
        prop_assert_eq!(DriversLicense::parse_normalized(parsed.normalized()).unwrap(), parsed);
    }

    #[test]
    fn zip_round_trip(zip5 in "[0-9]{5}", plus4 in proptest::option::of("[0-9]{4}")) {
        let input = match &plus4 { Some(p) => format!("{zip5}-{p}"), None => zip5.clone() };
        let parsed = Zip::parse(&input).unwrap();
        prop_assert_eq!(parsed.normalized(), input.as_str());
        prop_assert_eq!(parsed.zip5(), zip5.as_str());
    }

    #[test]
    fn text_normalization_is_idempotent(words in prop::collection::vec("[A-Za-zÀ-ÿ'.-]{1,12}", 1..5), pad in "[ \t]{0,3}") {
        let input = format!("{pad}{}{pad}", words.join(&format!(" {pad}")));
        let parsed = Name::parse(&input).unwrap();
        let again = Name::parse(parsed.normalized()).unwrap();
        prop_assert_eq!(again.normalized(), parsed.normalized());
        prop_assert_eq!(parsed.as_str(), words.join(" "));
    }

    #[test]
    fn parsers_never_panic(input in "\\PC{0,40}|[0-9 ()+.-]{0,20}") {
        let today = date!(2024 - 06 - 30);
        let _ = Ssn::parse(&input);
        let _ = Phone::parse(&input);
        let _ = Email::parse(&input);
        let _ = Imei::parse(&input);
        let _ = Imsi::parse(&input);
        let _ = DateOfBirth::parse(&input, today);
        let _ = DriversLicense::parse(&input, "CA");
        let _ = DriversLicense::parse_normalized(&input);
        let _ = UsState::parse(&input);
        let _ = Zip::parse(&input);
        let _ = Pin::parse(&input);
        let _ = Name::parse(&input);
        let _ = Street::parse(&input);
        let _ = City::parse(&input);
    }

    #[test]
    fn errors_never_echo_the_input(input in "[0-9]{4,15}") {
        for err in [
            Ssn::parse(&input).err(),
            Phone::parse(&input).err(),
            Imei::parse(&input).err(),
            Imsi::parse(&input).err(),
            Zip::parse(&input).err(),
        ].into_iter().flatten() {
            prop_assert!(!err.to_string().contains(&input));
        }
    }
}
