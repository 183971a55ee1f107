//! Tokenization for test-environment exports: every sensitive field is replaced by a token that
//! has the same shape and passes the same validation as a real value (a test system that checks
//! SSN area numbers or IMEI check digits keeps working), is the same for the same input under one
//! export key (joins between exported tables still line up), and differs under another export key
//! (two exports cannot be joined against each other).
//!
//! | field | method |
//! |---|---|
//! | SSN | FF1 radix 10 over the 9 digits, cycle-walked until the SSA rules hold |
//! | IMEI | FF1 over the first 14 digits, then a fresh Luhn check digit |
//! | IMSI | MCC + 3 more digits kept, FF1 over the 9-digit MSIN |
//! | phone | `+1` and area code kept, FF1 over the last 7 digits, cycle-walked to an exchange 2-9 |
//! | licence | state kept; digits (FF1 radix 10) and letters (FF1 radix 26) keep their positions |
//! | e-mail | `u` + 16 hex of a keyed HMAC, at `example.invalid` |
//! | names, street, city | keyed pick from a short list (`words.rs`) |
//! | ZIP | first 3 digits kept (the HIPAA safe-harbour prefix), last 2 a keyed pick, no +4 |
//! | date of birth | keyed shift of 1 day to 2 years, keeping the minor/adult bucket |
//!
//! Cycle walking (re-encrypting until the output is valid) keeps FF1 a permutation of the valid
//! values, and it always stops: the walk follows the permutation's cycle through the input, which
//! is itself valid. Where a part is below FF1's minimum domain of a million (a short licence
//! number; dates of birth, about 45,000 values) a keyed HMAC substitution is used instead; it is
//! consistent but not invertible, which an export does not need.

use std::fmt;

use time::{Date, Duration};

use super::ff1::Ff1;
use super::primitives::{KeyedMac, derive_key};
use crate::types::{
    City, DateOfBirth, DriversLicense, Email, Imei, Imsi, Name, Phone, Ssn, Street, Zip,
};

mod words;

/// The domain every tokenized e-mail address uses (RFC 2606: never resolves).
pub const TOKEN_EMAIL_DOMAIN: &str = "example.invalid";

/// The largest shift applied to a date of birth, in days (about two years).
pub const MAX_DOB_SHIFT_DAYS: i64 = 730;

/// Turns real field values into consistent, valid-looking tokens under one export key.
pub struct Tokenizer {
    digits: Ff1,
    letters: Ff1,
    picks: KeyedMac,
}

impl Tokenizer {
    /// A tokenizer for one export key. FF1 (AES-256) and HMAC keys are derived from it with HKDF,
    /// so the export key itself is never used directly.
    pub fn new(export_key: &[u8; 32]) -> Self {
        let salt = b"custodian.token.v1";
        let ff1_key = derive_key(salt, export_key, &[b"ff1"]);
        let pick_key = derive_key(salt, export_key, &[b"pick"]);
        // A 32-byte key and radixes 10 and 26 are within what FF1 accepts, so these cannot fail.
        #[allow(clippy::expect_used)]
        let (digits, letters) = (
            Ff1::new(ff1_key.as_ref(), 10).expect("AES-256 key, radix 10"),
            Ff1::new(ff1_key.as_ref(), 26).expect("AES-256 key, radix 26"),
        );
        Tokenizer {
            digits,
            letters,
            picks: KeyedMac::new(pick_key.as_ref()),
        }
    }

    /// A valid-looking SSN (9 digits, no dashes).
    pub fn ssn(&self, ssn: &Ssn) -> String {
        let mut digits = numerals(ssn.normalized());
        loop {
            digits = self.ff1_digits(b"ssn", &digits);
            if Ssn::check(&ascii(&digits)).is_ok() {
                return text(&digits);
            }
        }
    }

    /// A valid IMEI: FF1 over the 14-digit body and a recomputed Luhn check digit.
    pub fn imei(&self, imei: &Imei) -> String {
        let body = self.ff1_digits(b"imei", &numerals(&imei.normalized()[..14]));
        let check = crate::types::luhn_check_digit(&ascii(&body));
        let mut out = text(&body);
        out.push(char::from(b'0' + check));
        out
    }

    /// An IMSI with the same first 6 digits (MCC and MNC) and a tokenized MSIN.
    pub fn imsi(&self, imsi: &Imsi) -> String {
        let (prefix, msin) = imsi.normalized().split_at(6);
        let tweak = [b"imsi".as_slice(), prefix.as_bytes()].concat();
        let mut out = prefix.to_owned();
        out.push_str(&text(&self.ff1_digits(&tweak, &numerals(msin))));
        out
    }

    /// An E.164 number with the same area code and a tokenized 7-digit subscriber part whose
    /// exchange still starts with 2-9.
    pub fn phone(&self, phone: &Phone) -> String {
        let (head, rest) = phone.normalized().split_at(5);
        let tweak = [b"phone".as_slice(), head.as_bytes()].concat();
        let mut digits = numerals(rest);
        loop {
            digits = self.ff1_digits(&tweak, &digits);
            if digits[0] >= 2 {
                let mut out = head.to_owned();
                out.push_str(&text(&digits));
                return out;
            }
        }
    }

    /// A licence number of the same shape (letters stay letters, digits stay digits, in the same
    /// positions); the state is not sensitive and is not part of the result.
    pub fn drivers_license(&self, dl: &DriversLicense) -> String {
        let number = dl.number().as_bytes();
        let shape: Vec<u8> = number
            .iter()
            .map(|b| if b.is_ascii_digit() { b'9' } else { b'A' })
            .collect();
        let tweak = [
            b"dl:".as_slice(),
            dl.state().code().as_bytes(),
            b":",
            &shape,
        ]
        .concat();
        let digit_part: Vec<u16> = number
            .iter()
            .filter(|b| b.is_ascii_digit())
            .map(|b| u16::from(b - b'0'))
            .collect();
        let letter_part: Vec<u16> = number
            .iter()
            .filter(|b| b.is_ascii_uppercase())
            .map(|b| u16::from(b - b'A'))
            .collect();
        let new_digits = self.ff1_or_substitute(&self.digits, &tweak, &digit_part, dl.normalized());
        let new_letters =
            self.ff1_or_substitute(&self.letters, &tweak, &letter_part, dl.normalized());
        let (mut d, mut l) = (new_digits.iter(), new_letters.iter());
        shape
            .iter()
            .map(|s| match s {
                b'9' => d.next().map_or('0', |n| digit_char(*n)),
                _ => l.next().map_or('A', |n| letter_char(*n)),
            })
            .collect()
    }

    /// `u<16 hex>@example.invalid`, keyed on the normalized address.
    pub fn email(&self, email: &Email) -> String {
        let mac = self
            .picks
            .compute(&[b"email", email.normalized().as_bytes()]);
        let mut out = String::with_capacity(18 + TOKEN_EMAIL_DOMAIN.len());
        out.push('u');
        for b in &mac[..8] {
            out.push_str(&format!("{b:02x}"));
        }
        out.push('@');
        out.push_str(TOKEN_EMAIL_DOMAIN);
        out
    }

    /// A first name from a fixed list, picked by the keyed hash of the normalized name.
    pub fn first_name(&self, name: &Name) -> String {
        self.pick(b"first_name", name.normalized(), words::FIRST_NAMES)
            .to_owned()
    }

    /// A last name from a fixed list, picked by the keyed hash of the normalized name.
    pub fn last_name(&self, name: &Name) -> String {
        self.pick(b"last_name", name.normalized(), words::LAST_NAMES)
            .to_owned()
    }

    /// A street line: a house number 1-9999 and a street from a fixed list.
    pub fn street(&self, street: &Street) -> String {
        let mac = self
            .picks
            .compute(&[b"street_no", street.normalized().as_bytes()]);
        let number = 1 + u64_of(&mac) % 9999;
        let name = self.pick(b"street", street.normalized(), words::STREETS);
        format!("{number} {name}")
    }

    /// A city from a fixed list.
    pub fn city(&self, city: &City) -> String {
        self.pick(b"city", city.normalized(), words::CITIES)
            .to_owned()
    }

    /// A 5-digit ZIP with the same 3-digit prefix (the region) and keyed last two digits.
    pub fn zip(&self, zip: &Zip) -> String {
        let mac = self.picks.compute(&[b"zip", zip.normalized().as_bytes()]);
        format!("{}{:02}", &zip.zip5()[..3], u64_of(&mac) % 100)
    }

    /// A date of birth shifted by a keyed 1 to 730 days, never in the future, never before 1900,
    /// and on the same side of 18 on `today` as the real one; `YYYY-MM-DD`.
    pub fn date_of_birth(&self, dob: &DateOfBirth, today: Date) -> String {
        let mac = self.picks.compute(&[b"dob", dob.normalized().as_bytes()]);
        let magnitude = 1 + i64::try_from(u64_of(&mac) % 730).unwrap_or(0);
        let shift = if mac[8] & 1 == 0 {
            magnitude
        } else {
            -magnitude
        };
        let real = dob.date();
        let minor = dob.is_minor(today);
        // Moving towards the future makes a person younger, towards the past older; so one of the
        // two directions always keeps the bucket, unless a bound (1900, today) is in the way.
        let candidates = [shift, -shift, 1, -1];
        let chosen = candidates.iter().find_map(|days| {
            let date = real.checked_add(Duration::days(*days))?;
            let token = DateOfBirth::from_date(date, today).ok()?;
            (token.is_minor(today) == minor).then_some(token)
        });
        match chosen {
            Some(token) => token.normalized().to_owned(),
            // Only reachable for a date both at the 1900 floor and on today; a fixed date in
            // the same bucket still reveals nothing about the real one.
            None => {
                let years = if minor { 10 } else { 30 };
                let date = today.replace_year(today.year() - years).unwrap_or(today);
                format!(
                    "{:04}-{:02}-{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )
            }
        }
    }

    fn ff1_digits(&self, tweak: &[u8], digits: &[u16]) -> Vec<u16> {
        // Callers pass digits (< 10) of a length of at least 6, which FF1 radix 10 accepts.
        #[allow(clippy::expect_used)]
        self.digits
            .encrypt(tweak, digits)
            .expect("digit strings of length 6 or more are in FF1's domain")
    }

    /// FF1 when the part is long enough, else a keyed substitution of the same length.
    fn ff1_or_substitute(&self, ff1: &Ff1, tweak: &[u8], part: &[u16], whole: &str) -> Vec<u16> {
        if part.is_empty() {
            return Vec::new();
        }
        if ff1.domain_ok(part.len())
            && let Ok(out) = ff1.encrypt(tweak, part)
        {
            return out;
        }
        let radix = ff1.radix();
        let mac = self.picks.compute(&[b"short", tweak, whole.as_bytes()]);
        (0..part.len())
            .map(|i| {
                let byte = u32::from(mac[i % mac.len()]) + u32::from(mac[(i + 11) % mac.len()]);
                u16::try_from(byte % radix).unwrap_or(0)
            })
            .collect()
    }

    fn pick(&self, domain: &[u8], normalized: &str, list: &'static [&'static str]) -> &'static str {
        let mac = self.picks.compute(&[domain, normalized.as_bytes()]);
        let len = u64::try_from(list.len()).unwrap_or(1).max(1);
        let index = usize::try_from(u64_of(&mac) % len).unwrap_or(0);
        list.get(index).copied().unwrap_or("X")
    }
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokenizer(<redacted>)")
    }
}

fn numerals(digits: &str) -> Vec<u16> {
    digits.bytes().map(|b| u16::from(b - b'0')).collect()
}

fn ascii(numerals: &[u16]) -> Vec<u8> {
    numerals
        .iter()
        .map(|n| b'0' + u8::try_from(*n % 10).unwrap_or(0))
        .collect()
}

fn text(numerals: &[u16]) -> String {
    numerals.iter().map(|n| digit_char(*n)).collect()
}

fn digit_char(n: u16) -> char {
    char::from(b'0' + u8::try_from(n % 10).unwrap_or(0))
}

fn letter_char(n: u16) -> char {
    char::from(b'A' + u8::try_from(n % 26).unwrap_or(0))
}

fn u64_of(mac: &[u8; 32]) -> u64 {
    u64::from_be_bytes([
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], mac[6], mac[7],
    ])
}
