//! Validators for every identifier the generator makes, written from the formats' rules and
//! not from the generator's code, so that a generator bug cannot hide behind a shared helper.

/// Whether every byte is an ASCII digit and the length is `n`.
pub(crate) fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// SSA rules: `AAA-GG-SSSS`, area not 000, 666 or 900-999, group not 00, serial not 0000, and
/// not one of the two famous invalid numbers.
pub(crate) fn is_valid_ssn(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3
        || !is_digits(parts[0], 3)
        || !is_digits(parts[1], 2)
        || !is_digits(parts[2], 4)
    {
        return false;
    }
    let area: u32 = parts[0].parse().unwrap();
    area != 0
        && area != 666
        && area < 900
        && parts[1] != "00"
        && parts[2] != "0000"
        && s != "078-05-1120"
        && s != "219-09-9999"
}

/// Luhn over the whole string: from the rightmost digit, double every second digit.
pub(crate) fn luhn_ok(s: &str) -> bool {
    let mut sum = 0;
    for (i, b) in s.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// 15 digits, valid Luhn check digit, and a TAC from a GSMA reporting body the generator is
/// documented to use (01, 35, 86).
pub(crate) fn is_valid_imei(s: &str) -> bool {
    is_digits(s, 15) && luhn_ok(s) && ["01", "35", "86"].contains(&&s[..2])
}

/// 15 digits starting with a US MCC.
pub(crate) fn is_valid_imsi(s: &str) -> bool {
    is_digits(s, 15) && ["310", "311", "312", "313", "316"].contains(&&s[..3])
}

/// NANP in E.164: `+1NPANXXXXXX`, N = 2-9, neither NPA nor NXX an N11 code, and not in the
/// 555-01XX fiction range.
pub(crate) fn is_valid_phone(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("+1") else {
        return false;
    };
    if !is_digits(rest, 10) {
        return false;
    }
    let b = rest.as_bytes();
    let n11 = |i: usize| b[i + 1] == b'1' && b[i + 2] == b'1';
    b[0] >= b'2'
        && b[3] >= b'2'
        && !n11(0)
        && !n11(3)
        && !(&rest[3..6] == "555" && &rest[6..8] == "01")
}

/// `YYYY-MM-DD`, a real calendar day; returns the age in whole years on `as_of`.
pub(crate) fn age_on(dob: &str, as_of: (i32, u32, u32)) -> Option<i32> {
    let b = dob.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = dob[0..4].parse().ok()?;
    let m: u32 = dob[5..7].parse().ok()?;
    let d: u32 = dob[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
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
    if !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    let had_birthday = (as_of.1, as_of.2) >= (m, d);
    Some(as_of.0 - y - i32::from(!had_birthday))
}

/// Lowercase `letters[._letters]digits@reserved-domain`.
pub(crate) fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let reserved = domain.ends_with(".example")
        || domain.ends_with(".test")
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|r| domain == *r || domain.ends_with(&format!(".{r}")));
    let name_part = local.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &local[name_part.len()..];
    reserved
        && !domain.contains('@')
        && !name_part.is_empty()
        && name_part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
        && name_part
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && !digits.is_empty()
        && (digits == "0" || !digits.starts_with('0'))
}

/// USPS ZIP3 ranges of each state (and DC).
#[rustfmt::skip]
pub(crate) fn zip3_ranges(state: &str) -> &'static [(u32, u32)] {
    match state {
        "AL" => &[(350, 369)], "AK" => &[(995, 999)], "AZ" => &[(850, 865)],
        "AR" => &[(716, 729)], "CA" => &[(900, 961)], "CO" => &[(800, 816)],
        "CT" => &[(60, 69)], "DE" => &[(197, 199)], "DC" => &[(200, 205)],
        "FL" => &[(320, 349)], "GA" => &[(300, 319), (398, 399)], "HI" => &[(967, 968)],
        "ID" => &[(832, 838)], "IL" => &[(600, 629)], "IN" => &[(460, 479)],
        "IA" => &[(500, 528)], "KS" => &[(660, 679)], "KY" => &[(400, 427)],
        "LA" => &[(700, 714)], "ME" => &[(39, 49)], "MD" => &[(206, 219)],
        "MA" => &[(10, 27), (55, 55)], "MI" => &[(480, 499)], "MN" => &[(550, 567)],
        "MS" => &[(386, 397)], "MO" => &[(630, 658)], "MT" => &[(590, 599)],
        "NE" => &[(680, 693)], "NV" => &[(889, 898)], "NH" => &[(30, 38)],
        "NJ" => &[(70, 89)], "NM" => &[(870, 884)], "NY" => &[(100, 149), (5, 5), (63, 63)],
        "NC" => &[(270, 289)], "ND" => &[(580, 588)], "OH" => &[(430, 459)],
        "OK" => &[(730, 749)], "OR" => &[(970, 979)], "PA" => &[(150, 196)],
        "RI" => &[(28, 29)], "SC" => &[(290, 299)], "SD" => &[(570, 577)],
        "TN" => &[(370, 385)], "TX" => &[(750, 799), (885, 885)], "UT" => &[(840, 847)],
        "VT" => &[(50, 59)], "VA" => &[(201, 201), (220, 246)], "WA" => &[(980, 994)],
        "WV" => &[(247, 268)], "WI" => &[(530, 549)], "WY" => &[(820, 831)],
        _ => &[],
    }
}

/// Five digits whose first three are in the state's USPS range.
pub(crate) fn is_valid_zip(zip: &str, state: &str) -> bool {
    is_digits(zip, 5) && {
        let zip3: u32 = zip[..3].parse().unwrap();
        zip3_ranges(state)
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&zip3))
    }
}

/// The one area code of states that have only one.
#[rustfmt::skip]
pub(crate) fn single_area_code(state: &str) -> Option<&'static str> {
    Some(match state {
        "AK" => "907", "DE" => "302", "DC" => "202", "HI" => "808", "ME" => "207",
        "MT" => "406", "NH" => "603", "ND" => "701", "RI" => "401", "SD" => "605",
        "VT" => "802", "WY" => "307",
        _ => return None,
    })
}

/// Licence shapes of a few states, from their DMVs' published formats; others must at least
/// be 6 to 16 upper-case letters and digits.
pub(crate) fn is_valid_dl(dl: &str, dl_state: &str, last_name: &str) -> bool {
    let letter_then = |n: usize| {
        dl.len() == n + 1 && dl.as_bytes()[0].is_ascii_uppercase() && is_digits(&dl[1..], n)
    };
    let initial = last_name
        .bytes()
        .find(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_uppercase());
    match dl_state {
        "CA" => letter_then(7),
        "NY" | "GA" | "CO" => is_digits(dl, 9),
        "TX" | "PA" => is_digits(dl, 8),
        "FL" | "MI" | "MN" | "MD" => letter_then(12) && Some(dl.as_bytes()[0]) == initial,
        "IL" => letter_then(11) && Some(dl.as_bytes()[0]) == initial,
        "NJ" => letter_then(14) && Some(dl.as_bytes()[0]) == initial,
        "MA" => dl.starts_with('S') && is_digits(&dl[1..], 8),
        "WA" => {
            dl.len() == 12
                && dl.starts_with("WDL")
                && dl[3..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        "OH" => {
            dl.len() == 8
                && dl[..2].bytes().all(|b| b.is_ascii_uppercase())
                && is_digits(&dl[2..], 6)
        }
        _ => {
            (6..=16).contains(&dl.len())
                && dl
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
    }
}

#[test]
fn validators_reject_known_bad_values() {
    assert!(is_valid_ssn("123-45-6789"));
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
        "219-09-9999",
        "123456789",
        "12-345-6789",
    ] {
        assert!(!is_valid_ssn(bad), "{bad}");
    }
    // Valid Luhn, but TAC 49 is not one the generator uses.
    assert!(!is_valid_imei("490154203237518"));
    assert!(luhn_ok("490154203237518") && !luhn_ok("490154203237519"));
    assert!(!is_valid_phone("+12125550123"));
    assert!(is_valid_phone("+12125550200") && !is_valid_phone("+12115550200"));
    assert!(!is_valid_phone("+12124110200") && !is_valid_phone("+11125550200"));
    assert_eq!(age_on("2008-08-16", (2025, 8, 15)), Some(16));
    assert_eq!(age_on("2008-08-15", (2025, 8, 15)), Some(17));
    assert_eq!(age_on("2023-02-29", (2025, 8, 15)), None);
    assert!(is_valid_email("ann.lee12@mail.example.com"));
    assert!(!is_valid_email("ann.lee012@mail.example.com") && !is_valid_email("ann@gmail.com"));
    assert!(!is_valid_email("Ann12@example.com") && !is_valid_email("ann@example.com"));
    assert!(is_valid_zip("10001", "NY") && !is_valid_zip("10001", "NJ"));
}
