//! The tokenizer's promises: every token parses as a valid value of its type and keeps the parts
//! it says it keeps (area code, MCC+MNC, ZIP prefix, licence shape, minor/adult bucket); the same
//! input gives the same token under one export key and a different one under another.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_vault::Tokenizer;
use custodian_vault::types::{
    City, DateOfBirth, DriversLicense, Email, Imei, Imsi, Name, Phone, Ssn, Street, Zip,
};
use proptest::prelude::*;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2024 - 06 - 30);

fn shape(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { 'A' })
        .collect()
}

fn luhn(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ssn_tokens_are_valid_and_consistent(area in 1u32..900, group in 1u32..100, serial in 1u32..10000, k in any::<[u8; 32]>()) {
        prop_assume!(area != 666);
        let ssn = Ssn::parse(&format!("{area:03}{group:02}{serial:04}")).unwrap();
        let t = Tokenizer::new(&k);
        let token = t.ssn(&ssn);
        prop_assert!(Ssn::parse(&token).is_ok(), "invalid token");
        prop_assert_eq!(&token, &t.ssn(&ssn));
    }

    #[test]
    fn imei_imsi_phone_tokens_keep_their_shape(body in "[0-9]{14}", mcc in 200u32..800, msin in "[0-9]{12}", npa in 200u32..1000, rest in "[2-9][0-9]{6}", k in any::<[u8; 32]>()) {
        prop_assume!(npa % 100 != 11);
        let t = Tokenizer::new(&k);
        let imei = Imei::parse(&format!("{body}{}", luhn(&body))).unwrap();
        prop_assert!(Imei::parse(&t.imei(&imei)).is_ok());

        let imsi = Imsi::parse(&format!("{mcc}{msin}")).unwrap();
        let token = t.imsi(&imsi);
        prop_assert!(Imsi::parse(&token).is_ok());
        prop_assert_eq!(&token[..6], &imsi.normalized()[..6]);

        let phone = Phone::parse(&format!("{npa}{rest}")).unwrap();
        let token = t.phone(&phone);
        let parsed = Phone::parse(&token).unwrap();
        prop_assert_eq!(parsed.area_code(), phone.area_code());
    }

    #[test]
    fn licence_tokens_keep_letters_and_digits_in_place(number in "[A-Z0-9]{1,20}", k in any::<[u8; 32]>()) {
        let dl = DriversLicense::parse(&number, "WA").unwrap();
        let token = Tokenizer::new(&k).drivers_license(&dl);
        prop_assert_eq!(shape(&token), shape(&number));
        prop_assert!(DriversLicense::parse(&token, "WA").is_ok());
    }

    #[test]
    fn dob_tokens_stay_valid_and_in_bucket(days in 0i64..(124 * 365), k in any::<[u8; 32]>()) {
        let date = TODAY - time::Duration::days(days);
        let dob = DateOfBirth::from_date(date, TODAY).unwrap();
        let token = Tokenizer::new(&k).date_of_birth(&dob, TODAY);
        let parsed = DateOfBirth::parse(&token, TODAY).unwrap();
        prop_assert_eq!(parsed.is_minor(TODAY), dob.is_minor(TODAY));
        let shift = (parsed.date() - date).whole_days().abs();
        prop_assert!(shift <= 730, "shifted {} days", shift);
    }
}

#[test]
fn ssn_cycle_walk_covers_edge_values() {
    let t = Tokenizer::new(&[7; 32]);
    for s in ["001010001", "899999999", "665999999", "667010001"] {
        let token = t.ssn(&Ssn::parse(s).unwrap());
        assert!(Ssn::parse(&token).is_ok(), "{s} -> invalid token");
        assert_ne!(token, s);
    }
}

#[test]
fn export_keys_separate_tokens() {
    let a = Tokenizer::new(&[1; 32]);
    let b = Tokenizer::new(&[2; 32]);
    let ssn = Ssn::parse("123-45-6789").unwrap();
    let email = Email::parse("Jane.Doe@Example.com").unwrap();
    let phone = Phone::parse("(206) 555-0100").unwrap();
    assert_ne!(a.ssn(&ssn), b.ssn(&ssn));
    assert_ne!(a.email(&email), b.email(&email));
    assert_ne!(a.phone(&phone), b.phone(&phone));
    assert_eq!(
        a.email(&email),
        a.email(&Email::parse("jane.doe@example.COM").unwrap())
    );
}

#[test]
fn text_and_address_tokens() {
    let t = Tokenizer::new(&[3; 32]);
    let email = t.email(&Email::parse("jane@example.org").unwrap());
    let parsed = Email::parse(&email).unwrap();
    assert_eq!(parsed.domain(), "example.invalid");
    assert_eq!(parsed.local_part().len(), 17);

    let name = Name::parse("Jane").unwrap();
    assert_eq!(
        t.first_name(&name),
        t.first_name(&Name::parse(" jane ").unwrap())
    );
    assert!(Name::parse(&t.last_name(&name)).is_ok());
    let street = t.street(&Street::parse("1600 Pennsylvania Ave NW").unwrap());
    assert!(
        street.split_once(' ').unwrap().0.parse::<u32>().is_ok(),
        "{street}"
    );
    assert!(City::parse(&t.city(&City::parse("Bellevue").unwrap())).is_ok());

    let zip = t.zip(&Zip::parse("98004-1234").unwrap());
    assert_eq!(zip.len(), 5);
    assert!(zip.starts_with("980"));
}

#[test]
fn short_licence_numbers_use_keyed_substitution() {
    let t = Tokenizer::new(&[4; 32]);
    for n in ["7", "AB12", "12345", "WDL0ABC12"] {
        let dl = DriversLicense::parse(n, "CA").unwrap();
        let token = t.drivers_license(&dl);
        assert_eq!(shape(&token), shape(n), "{n}");
        assert_eq!(token, t.drivers_license(&dl), "{n}: consistent");
    }
}

#[test]
fn dob_bucket_edges() {
    let t = Tokenizer::new(&[5; 32]);
    for d in [
        date!(2006 - 06 - 30), // 18 today
        date!(2006 - 07 - 01), // 18 tomorrow
        date!(2024 - 06 - 30), // born today
        date!(1900 - 01 - 01), // the floor
    ] {
        let dob = DateOfBirth::from_date(d, TODAY).unwrap();
        let token = DateOfBirth::parse(&t.date_of_birth(&dob, TODAY), TODAY).unwrap();
        assert_eq!(token.is_minor(TODAY), dob.is_minor(TODAY), "{d}");
    }
}
