//! The mask of each field: pure functions from a revealed plaintext to the string a reader sees
//! instead. Each shows at most a small, fixed part of the value, in a fixed-width form where the
//! field has one (so masks do not leak lengths):
//!
//! | field | mask | example |
//! |---|---|---|
//! | `ssn` | last 4 digits | `***-**-6789` |
//! | `phone` | last 4 digits | `***-***-1234` |
//! | `email` | first character of the local part, and the domain | `j***@example.com` |
//! | `dob` | month and day, year hidden | `****-07-14` |
//! | `imei`, `imsi` | last 4 digits | `***********1234` |
//! | `first_name`, `last_name`, `city` | first letter | `J***` |
//! | `street` | the street name, without any word holding a digit (house, unit numbers) | `*** Main St` |
//! | `zip` | first 3 digits (the ZIP3 area) | `941**` |
//! | `dl_number` | last 3 letters or digits | `*****567` |
//! | `state` | nothing (it is normally shown in clear) | `**` |
//!
//! Masks are total: any string gives a result, never a panic. A value too short to keep its
//! shown part a small fraction of it (fewer than 8 digits for an SSN, phone, IMEI or IMSI; fewer
//! than 5 for a ZIP, 6 for a licence, 2 for a name) is masked entirely. And as a last guard, a
//! mask that would contain the whole input (a value that already looks like a mask, a street with
//! no number) becomes `***`, so for any value of 4 or more characters the mask never equals or
//! contains it.

use super::{IntoPolicyField, PolicyField};

/// What a fully hidden value looks like; three characters, so it cannot contain an input of four
/// or more.
pub const FULLY_MASKED: &str = "***";

/// The mask of `plaintext` as a value of `field` (see the module doc for each field's form); a
/// name that is no field masks to [`FULLY_MASKED`].
pub fn mask(field: impl IntoPolicyField, plaintext: &str) -> String {
    let Some(field) = field.into_policy_field() else {
        return FULLY_MASKED.to_owned();
    };
    let masked = match field {
        PolicyField::Ssn => last_digits(plaintext, "***-**-", "****", 8),
        PolicyField::Phone => last_digits(plaintext, "***-***-", "****", 8),
        PolicyField::Imei | PolicyField::Imsi => last_digits(plaintext, "***********", "****", 8),
        PolicyField::Email => mask_email(plaintext),
        PolicyField::Dob => mask_dob(plaintext),
        PolicyField::FirstName | PolicyField::LastName | PolicyField::City => initial(plaintext),
        PolicyField::Street => mask_street(plaintext),
        PolicyField::Zip => mask_zip(plaintext),
        PolicyField::DlNumber => mask_licence(plaintext),
        PolicyField::State => "**".to_owned(),
    };
    guard(plaintext, masked)
}

/// Falls back to [`FULLY_MASKED`] when a mask would contain the whole input.
fn guard(plaintext: &str, masked: String) -> String {
    if !plaintext.is_empty() && masked.contains(plaintext) {
        return FULLY_MASKED.to_owned();
    }
    masked
}

/// `prefix` + the last 4 ASCII digits when there are at least `min_digits` of them, else
/// `prefix` + `hidden`.
fn last_digits(v: &str, prefix: &str, hidden: &str, min_digits: usize) -> String {
    let digits: Vec<char> = v.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::from(prefix);
    if digits.len() >= min_digits {
        out.extend(&digits[digits.len() - 4..]);
    } else {
        out.push_str(hidden);
    }
    out
}

fn mask_email(v: &str) -> String {
    match v.trim().rsplit_once('@') {
        Some((local, domain)) if !domain.is_empty() => {
            let mut chars = local.chars();
            let mut out = String::new();
            // A one-character local part would be shown whole; hide it instead.
            if let (Some(first), Some(_)) = (chars.next(), chars.next()) {
                out.push(first);
            }
            out.push_str("***@");
            out.push_str(domain);
            out
        }
        _ => FULLY_MASKED.to_owned(),
    }
}

fn mask_dob(v: &str) -> String {
    let b = v.trim().as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return "****-**-**".to_owned();
    }
    let mut out = String::from("****-");
    // Every byte is ASCII (checked above), so these are the month and day characters.
    out.extend(b[5..].iter().map(|&c| char::from(c)));
    out
}

fn initial(v: &str) -> String {
    let mut chars = v.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(_)) if first.is_alphanumeric() => {
            let mut out = String::new();
            out.push(first);
            out.push_str(FULLY_MASKED);
            out
        }
        _ => FULLY_MASKED.to_owned(),
    }
}

fn mask_street(v: &str) -> String {
    let words: Vec<&str> = v.split_whitespace().collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    // Nothing hidden (no number) or nothing left: show nothing.
    if kept.is_empty() || kept.len() == words.len() {
        return FULLY_MASKED.to_owned();
    }
    format!("{FULLY_MASKED} {}", kept.join(" "))
}

fn mask_zip(v: &str) -> String {
    let digits: Vec<char> = v.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 5 {
        return "*****".to_owned();
    }
    let mut out: String = digits[..3].iter().collect();
    out.push_str("**");
    out
}

fn mask_licence(v: &str) -> String {
    let alnum: Vec<char> = v.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut out = String::from("*****");
    if alnum.len() >= 6 {
        out.extend(&alnum[alnum.len() - 3..]);
    } else {
        out.push_str(FULLY_MASKED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_have_the_documented_forms() {
        let cases = [
            (PolicyField::Ssn, "123-45-6789", "***-**-6789"),
            (PolicyField::Ssn, "123456789", "***-**-6789"),
            (PolicyField::Phone, "+15551231234", "***-***-1234"),
            (
                PolicyField::Email,
                "jane.doe@example.com",
                "j***@example.com",
            ),
            (PolicyField::Email, "j@example.com", "***@example.com"),
            (PolicyField::Dob, "1985-07-14", "****-07-14"),
            (PolicyField::Dob, "14/07/1985", "****-**-**"),
            (PolicyField::Imei, "490154203237518", "***********7518"),
            (PolicyField::Imsi, "310150123456789", "***********6789"),
            (PolicyField::FirstName, "Jane", "J***"),
            (PolicyField::LastName, "Ó Briain", "Ó***"),
            (PolicyField::City, "Seattle", "S***"),
            (PolicyField::Street, "123 Main St Apt 4", "*** Main St Apt"),
            (PolicyField::Street, "Main St", "***"),
            (PolicyField::Zip, "94107-1234", "941**"),
            (PolicyField::DlNumber, "D1234567", "*****567"),
            (PolicyField::DlNumber, "X12", "********"),
            (PolicyField::State, "WA", "**"),
            (PolicyField::Ssn, "6789", "***-**-****"),
            (PolicyField::FirstName, "J***", "***"),
        ];
        for (field, value, want) in cases {
            assert_eq!(mask(field, value), want, "{field} {value:?}");
        }
    }
}
