//! Personal data elements: the [`PiiKind`] vocabulary (named as the breach engine's data
//! elements), the validity checks behind the PII rule pack (SSA ranges, Luhn, IMSI country
//! codes, card issuer ranges, NANP, calendar dates) and [`classify_value`], which tells what a
//! single CSV or NDJSON cell holds so the breach engine can spot identifier columns in a dump.

use std::fmt;

use crate::content::validate::{digits, luhn};

/// A kind of personal data the PII pack detects; `as_str` gives the data-element name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum PiiKind {
    /// A person's full name.
    FullName,
    /// A postal (street) address.
    PostalAddress,
    /// A date of birth.
    DateOfBirth,
    /// A US Social Security number.
    Ssn,
    /// A driver's licence number.
    DriversLicense,
    /// A phone number (NANP).
    PhoneNumber,
    /// An e-mail address.
    Email,
    /// A handset IMEI.
    Imei,
    /// A subscriber IMSI.
    Imsi,
    /// A payment card number.
    PaymentCard,
}

impl PiiKind {
    /// Every kind, in a stable order.
    pub const ALL: [PiiKind; 10] = [
        PiiKind::FullName,
        PiiKind::PostalAddress,
        PiiKind::DateOfBirth,
        PiiKind::Ssn,
        PiiKind::DriversLicense,
        PiiKind::PhoneNumber,
        PiiKind::Email,
        PiiKind::Imei,
        PiiKind::Imsi,
        PiiKind::PaymentCard,
    ];

    /// The data-element name (`full_name`, `postal_address`, `date_of_birth`, `ssn`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::FullName => "full_name",
            PiiKind::PostalAddress => "postal_address",
            PiiKind::DateOfBirth => "date_of_birth",
            PiiKind::Ssn => "ssn",
            PiiKind::DriversLicense => "drivers_license",
            PiiKind::PhoneNumber => "phone_number",
            PiiKind::Email => "email",
            PiiKind::Imei => "imei",
            PiiKind::Imsi => "imsi",
            PiiKind::PaymentCard => "payment_card",
        }
    }

    /// Parses a data-element name.
    pub fn from_name(name: &str) -> Option<PiiKind> {
        PiiKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies one value (a CSV cell, an NDJSON field) as a personal data element and returns
/// it normalized (`ssn`: 9 digits; `phone_number`: E.164; `email`: lowercase; `date_of_birth`:
/// `YYYY-MM-DD`; numbers: digits only). Ambiguous shapes are decided by checksums and ranges:
/// a 15-digit value is an IMEI when it passes Luhn and starts like a handset type code, an
/// IMSI when it starts with an assigned country code. Dates are reported as dates of birth
/// when they fall in 1900-2099; callers should weigh that with the column's header.
pub fn classify_value(value: &str) -> Option<(PiiKind, String)> {
    let v = value.trim().trim_matches('"').trim();
    if v.is_empty() || v.len() > 200 {
        return None;
    }
    if let Some(email) = normalize_email(v) {
        return Some((PiiKind::Email, email));
    }
    let only_digits_and_seps = v
        .bytes()
        .all(|b| b.is_ascii_digit() || b" -.()+/".contains(&b));
    if let Some(found) = only_digits_and_seps.then(|| classify_number(v)).flatten() {
        return Some(found);
    }
    if let Some(date) = normalize_date(v.as_bytes()) {
        return Some((PiiKind::DateOfBirth, date));
    }
    if is_street_address(v) {
        return Some((PiiKind::PostalAddress, normalize_words(v)));
    }
    if is_person_name(v.as_bytes()) {
        return Some((PiiKind::FullName, normalize_words(v)));
    }
    if is_licence_shape(v) {
        return Some((
            PiiKind::DriversLicense,
            v.to_ascii_uppercase().replace(['-', ' '], ""),
        ));
    }
    None
}

/// Numbers: SSN (3-2-4 or 9 digits), phone, IMEI/IMSI (15 digits), card (13-19 digits).
fn classify_number(v: &str) -> Option<(PiiKind, String)> {
    let d = digits(v.as_bytes());
    let ssn_shape = d.len() == 9 && (v.len() == 9 || v.len() == 11);
    if ssn_shape && is_valid_ssn(&d) {
        return Some((PiiKind::Ssn, d));
    }
    if d.len() == 15 {
        let imei = is_valid_imei(&d);
        let imsi = is_valid_imsi(&d, true);
        let handset_prefix = [
            "35", "86", "01", "99", "30", "33", "44", "45", "49", "91", "98",
        ]
        .iter()
        .any(|p| d.starts_with(p));
        match (imei, imsi) {
            (true, false) => return Some((PiiKind::Imei, d)),
            (false, true) => return Some((PiiKind::Imsi, d)),
            (true, true) if handset_prefix => return Some((PiiKind::Imei, d)),
            (true, true) => return Some((PiiKind::Imsi, d)),
            (false, false) => {}
        }
    }
    if (13..=19).contains(&d.len()) && is_valid_card(&d) {
        return Some((PiiKind::PaymentCard, d));
    }
    if let Some(phone) = normalize_nanp(v.as_bytes()) {
        return Some((PiiKind::PhoneNumber, phone));
    }
    None
}

/// SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000; and not one of
/// the two numbers the SSA lists as used in advertising.
pub(crate) fn is_valid_ssn(d: &str) -> bool {
    if d.len() != 9 {
        return false;
    }
    let (area, group, serial) = (&d[0..3], &d[3..5], &d[5..9]);
    let area_ok = area != "000" && area != "666" && !area.starts_with('9');
    area_ok && group != "00" && serial != "0000" && d != "078051120" && d != "219099999"
}

/// A 15-digit IMEI: Luhn-valid and not one digit repeated.
pub(crate) fn is_valid_imei(d: &str) -> bool {
    d.len() == 15 && luhn(d) && !d.bytes().all(|b| b == d.as_bytes()[0])
}

/// Mobile country codes assigned by ITU-T E.212 (the common ones; US is 310-316).
const MCCS: &[u16] = &[
    202, 204, 206, 208, 212, 213, 214, 216, 218, 219, 220, 222, 226, 228, 230, 231, 232, 234, 235,
    238, 240, 242, 244, 246, 247, 248, 250, 255, 257, 259, 260, 262, 266, 268, 270, 272, 274, 276,
    278, 280, 282, 283, 284, 286, 288, 290, 292, 293, 294, 295, 297, 302, 308, 310, 311, 312, 313,
    314, 315, 316, 330, 334, 338, 340, 342, 344, 346, 348, 350, 352, 354, 356, 358, 360, 362, 363,
    364, 365, 366, 368, 370, 372, 374, 376, 400, 401, 402, 404, 405, 406, 410, 412, 413, 414, 415,
    416, 417, 418, 419, 420, 421, 422, 424, 425, 426, 427, 428, 429, 430, 431, 432, 434, 436, 437,
    438, 440, 441, 450, 452, 454, 455, 456, 457, 460, 461, 466, 467, 470, 472, 502, 505, 510, 514,
    515, 520, 525, 528, 530, 536, 537, 539, 540, 541, 542, 543, 544, 545, 546, 547, 548, 549, 550,
    551, 552, 553, 554, 555, 602, 603, 604, 605, 606, 607, 608, 609, 610, 611, 612, 613, 614, 615,
    616, 617, 618, 619, 620, 621, 622, 623, 624, 625, 626, 627, 628, 629, 630, 631, 632, 633, 634,
    635, 636, 637, 638, 639, 640, 641, 642, 643, 645, 646, 647, 648, 649, 650, 651, 652, 653, 654,
    655, 657, 658, 659, 702, 704, 706, 708, 710, 712, 714, 716, 722, 724, 730, 732, 734, 736, 738,
    740, 742, 744, 746, 748, 750,
];

/// A 15-digit IMSI with an assigned MCC. Without context only US codes (310-316) count,
/// because any 15-digit number would otherwise qualify.
pub(crate) fn is_valid_imsi(d: &str, has_context: bool) -> bool {
    if d.len() != 15 || d.bytes().all(|b| b == d.as_bytes()[0]) {
        return false;
    }
    let Ok(mcc) = d[0..3].parse::<u16>() else {
        return false;
    };
    let us = (310..=316).contains(&mcc);
    // US networks use three-digit MNCs; 000 is not assigned.
    if us && &d[3..6] == "000" {
        return false;
    }
    if has_context { MCCS.contains(&mcc) } else { us }
}

/// A payment card: Luhn-valid and in a known issuer range with a length that issuer uses.
pub(crate) fn is_valid_card(d: &str) -> bool {
    let len = d.len();
    let prefix = |n: usize| d.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    let issuer_ok = match d.as_bytes().first() {
        Some(b'4') => matches!(len, 13 | 16 | 19),
        Some(b'5') => (51..=55).contains(&prefix(2)) && len == 16,
        Some(b'2') => (2221..=2720).contains(&prefix(4)) && len == 16,
        Some(b'3') => {
            let p2 = prefix(2);
            (p2 == 34 || p2 == 37) && len == 15
                || (3528..=3589).contains(&prefix(4)) && (16..=19).contains(&len)
                || (p2 == 36 || (300..=305).contains(&prefix(3))) && len == 14
        }
        Some(b'6') => {
            let discover = prefix(4) == 6011
                || (644..=649).contains(&prefix(3))
                || prefix(2) == 65
                || (622_126..=622_925).contains(&prefix(6));
            discover && (16..=19).contains(&len)
        }
        _ => false,
    };
    issuer_ok && luhn(d) && !d.bytes().all(|b| b == d.as_bytes()[0])
}

/// A NANP number as E.164 (`+1NXXNXXXXXX`): area and exchange start 2-9, neither is N11,
/// and the fictional 555-0100..0199 range is excluded.
pub(crate) fn normalize_nanp(value: &[u8]) -> Option<String> {
    let mut d = digits(value);
    if d.len() == 11 && d.starts_with('1') {
        d.remove(0);
    }
    if d.len() != 10 {
        return None;
    }
    let b = d.as_bytes();
    let n11 = |i: usize| b[i + 1] == b'1' && b[i + 2] == b'1';
    if b[0] < b'2' || b[3] < b'2' || n11(0) || n11(3) {
        return None;
    }
    if &d[3..6] == "555" && &d[6..8] == "01" {
        return None;
    }
    Some(format!("+1{d}"))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A calendar date as `YYYY-MM-DD`: ISO (`1980-05-17`), US (`05/17/1980`) or written
/// (`May 17, 1980`, `17 May 1980`); years 1900-2099.
pub(crate) fn normalize_date(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?.trim().to_ascii_lowercase();
    let parts: Vec<&str> = text
        .split(['-', '/', '.', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let month_name = |s: &str| {
        MONTHS
            .iter()
            .position(|m| s.starts_with(m))
            .map(|i| i as u32 + 1)
    };
    let (y, m, d) = if parts[0].len() == 4 {
        (num(parts[0])?, num(parts[1])?, num(parts[2])?)
    } else if let Some(m) = month_name(parts[0]) {
        (num(parts[2])?, m, num(parts[1])?)
    } else if let Some(m) = month_name(parts[1]) {
        (num(parts[2])?, m, num(parts[0])?)
    } else if parts[2].len() == 4 {
        (num(parts[2])?, num(parts[0])?, num(parts[1])?)
    } else {
        return None;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1900..=2099).contains(&y)
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days[(m - 1) as usize];
    valid.then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// An e-mail address, lowercased, when `v` is exactly one.
fn normalize_email(v: &str) -> Option<String> {
    let (local, domain) = v.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    (local_ok && domain_ok).then(|| v.to_ascii_lowercase())
}

/// Whitespace collapsed to single spaces, lowercased.
pub(crate) fn normalize_words(v: &str) -> String {
    v.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const STREET_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr",
    "court",
    "ct",
    "way",
    "place",
    "pl",
    "terrace",
    "ter",
    "circle",
    "cir",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "trail",
    "trl",
    "square",
    "sq",
];

/// A street address: a house number, one to four words, a street suffix, anything after.
fn is_street_address(v: &str) -> bool {
    let words: Vec<&str> = v
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < 3 || !words[0].bytes().all(|b| b.is_ascii_digit()) || words[0].len() > 6 {
        return false;
    }
    words
        .iter()
        .skip(2)
        .take(4)
        .any(|w| STREET_SUFFIXES.contains(&w.trim_end_matches('.').to_ascii_lowercase().as_str()))
}

/// Words that look like title-case names but are not people.
const NOT_NAMES: &[&str] = &[
    "the", "and", "new", "north", "south", "east", "west", "street", "avenue", "road", "city",
    "county", "state", "united", "states", "inc", "llc", "corp", "company", "bank", "test",
];

/// Two to four title-case words of letters (apostrophes, hyphens and a middle initial allowed).
pub(crate) fn is_person_name(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    if !(2..=4).contains(&words.len()) {
        return false;
    }
    words.iter().all(|w| {
        let w = w.trim_end_matches('.');
        let chars: Vec<char> = w.chars().collect();
        let first_upper = chars.first().is_some_and(|c| c.is_uppercase());
        // Lower-case after the first letter, but a capital may follow an apostrophe or hyphen
        // (O'Brien, Smith-Jones) or the prefixes Mc and Mac (McDonald, MacLeod).
        let rest_ok = chars.iter().enumerate().skip(1).all(|(i, &c)| {
            c.is_lowercase()
                || c == '\''
                || c == '-'
                || c.is_uppercase()
                    && (matches!(chars[i - 1], '\'' | '-')
                        || chars[..i] == ['M', 'c']
                        || chars[..i] == ['M', 'a', 'c'])
        });
        first_upper && rest_ok && !NOT_NAMES.contains(&w.to_lowercase().as_str())
    })
}

/// Common state licence shapes: one or two letters then 4-13 digits (CA, FL, IL, ...).
fn is_licence_shape(v: &str) -> bool {
    let compact: String = v.chars().filter(|c| *c != '-' && *c != ' ').collect();
    let letters = compact
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    let rest = &compact[letters..];
    (1..=2).contains(&letters)
        && (4..=13).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssa_never_issued_ranges_are_rejected() {
        assert!(is_valid_ssn("123456789"));
        for bad in [
            "000123456",
            "666123456",
            "900123456",
            "999123456",
            "123001234",
            "123450000",
        ] {
            assert!(!is_valid_ssn(bad), "{bad}");
        }
    }

    #[test]
    fn cards_need_issuer_range_and_luhn() {
        assert!(is_valid_card("4111111111111111"));
        assert!(is_valid_card("5555555555554444"));
        assert!(is_valid_card("378282246310005"));
        assert!(is_valid_card("6011111111111117"));
        assert!(is_valid_card("2223003122003222"));
        assert!(!is_valid_card("4111111111111112"));
        assert!(!is_valid_card("1234567812345670"));
    }

    #[test]
    fn nanp_rules() {
        assert_eq!(
            normalize_nanp(b"(202) 418-1234").as_deref(),
            Some("+12024181234")
        );
        assert_eq!(
            normalize_nanp(b"+1 202 418 1234").as_deref(),
            Some("+12024181234")
        );
        assert!(normalize_nanp(b"202-555-0123").is_none());
        assert!(normalize_nanp(b"102-418-1234").is_none());
        assert!(normalize_nanp(b"211-418-1234").is_none());
    }

    #[test]
    fn dates_in_three_shapes() {
        assert_eq!(normalize_date(b"1980-05-17").as_deref(), Some("1980-05-17"));
        assert_eq!(normalize_date(b"05/17/1980").as_deref(), Some("1980-05-17"));
        assert_eq!(
            normalize_date(b"May 17, 1980").as_deref(),
            Some("1980-05-17")
        );
        assert_eq!(
            normalize_date(b"17 May 1980").as_deref(),
            Some("1980-05-17")
        );
        assert!(normalize_date(b"1981-02-29").is_none());
        assert!(normalize_date(b"1800-01-01").is_none());
    }

    #[test]
    fn classify_single_cells() {
        let c = |v: &str| classify_value(v).map(|(k, n)| (k.as_str(), n));
        assert_eq!(c("123-45-6789"), Some(("ssn", "123456789".into())));
        assert_eq!(c("666-45-6789"), None);
        assert_eq!(
            c("Jane.Doe@Example.org"),
            Some(("email", "jane.doe@example.org".into()))
        );
        assert_eq!(
            c("490154203237518"),
            Some(("imei", "490154203237518".into()))
        );
        assert_eq!(
            c("310150123456789"),
            Some(("imsi", "310150123456789".into()))
        );
        assert_eq!(
            c("4111 1111 1111 1111"),
            Some(("payment_card", "4111111111111111".into()))
        );
        assert_eq!(
            c("(202) 418-1234"),
            Some(("phone_number", "+12024181234".into()))
        );
        assert_eq!(
            c("1980-05-17"),
            Some(("date_of_birth", "1980-05-17".into()))
        );
        assert_eq!(
            c("742 Evergreen Terrace"),
            Some(("postal_address", "742 evergreen terrace".into()))
        );
        assert_eq!(
            c("Jane Q. Public"),
            Some(("full_name", "jane q. public".into()))
        );
        assert_eq!(c("D1234567"), Some(("drivers_license", "D1234567".into())));
        assert_eq!(c("hello world"), None);
        assert_eq!(c("42"), None);
    }
}
