//! Secrets derived from the account's own personal facts: the birth date in every common digit
//! order, the digits of its phone numbers, and the SSN's last four. The facts arrive as the
//! vault's parsed types (zeroized on drop, redacted in `Debug`); the renderings built here are
//! zeroized too, and nothing derived from a fact leaves this module but the kind of fact.

use zeroize::Zeroizing;

use super::FactKind;
use crate::facts::Facts;

/// The birth date's renderings: long ones (6 and 8 digits) and short ones (`MMDD`, `DDMM`,
/// `YYYY`).
fn birth_tokens(facts: &Facts) -> (Vec<Zeroizing<String>>, Vec<Zeroizing<String>>) {
    let Some(dob) = &facts.date_of_birth else {
        return (Vec::new(), Vec::new());
    };
    let date = dob.date();
    let (y, m, d) = (dob.year(), u8::from(date.month()), date.day());
    let yy = y.rem_euclid(100);
    let z = |s: String| Zeroizing::new(s);
    let long = vec![
        z(format!("{m:02}{d:02}{yy:02}")),
        z(format!("{d:02}{m:02}{yy:02}")),
        z(format!("{yy:02}{m:02}{d:02}")),
        z(format!("{m:02}{d:02}{y:04}")),
        z(format!("{d:02}{m:02}{y:04}")),
        z(format!("{y:04}{m:02}{d:02}")),
    ];
    let short = vec![
        z(format!("{m:02}{d:02}")),
        z(format!("{d:02}{m:02}")),
        z(format!("{y:04}")),
    ];
    (long, short)
}

/// The national digits of each phone (10 digits, without the `+1`).
fn phone_digits(facts: &Facts) -> Vec<Zeroizing<String>> {
    facts
        .phones
        .iter()
        .map(|p| Zeroizing::new(p.normalized().trim_start_matches("+1").to_owned()))
        .collect()
}

/// Whether a PIN is built from a personal fact.
pub fn in_pin(pin: &str, facts: &Facts) -> Option<FactKind> {
    let (long, short) = birth_tokens(facts);
    let dob_hit = long
        .iter()
        .any(|t| pin.contains(t.as_str()) || (pin.len() >= 6 && t.contains(pin)))
        || short.iter().any(|t| pin.contains(t.as_str()));
    if dob_hit {
        return Some(FactKind::BirthDate);
    }
    let phone_hit = phone_digits(facts)
        .iter()
        .any(|p| p.contains(pin) || pin.contains(&p[6..]) || pin.contains(&p[3..]));
    if phone_hit {
        return Some(FactKind::Phone);
    }
    if let Some(ssn) = &facts.ssn
        && (pin.contains(ssn.last4()) || ssn.normalized().contains(pin))
    {
        return Some(FactKind::SsnLast4);
    }
    None
}

/// Whether a password carries a personal fact in its digits: a 6- or 8-digit birth date, a
/// phone's seven-digit subscriber number, the whole SSN, or digits that are just the SSN's last
/// four.
pub fn in_password(password: &str, facts: &Facts) -> Option<FactKind> {
    let digits = Zeroizing::new(
        password
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>(),
    );
    if digits.len() < 4 {
        return None;
    }
    let (long, _) = birth_tokens(facts);
    if long.iter().any(|t| digits.contains(t.as_str())) {
        return Some(FactKind::BirthDate);
    }
    if phone_digits(facts).iter().any(|p| digits.contains(&p[3..])) {
        return Some(FactKind::Phone);
    }
    if let Some(ssn) = &facts.ssn
        && (digits.contains(ssn.normalized()) || digits.as_str() == ssn.last4())
    {
        return Some(FactKind::SsnLast4);
    }
    None
}

#[cfg(test)]
mod tests {
    use custodian_vault::types::{DateOfBirth, Phone, Ssn};
    use time::macros::date;

    use super::*;

    fn facts() -> Facts {
        Facts {
            date_of_birth: Some(DateOfBirth::parse("1985-07-15", date!(2024 - 01 - 01)).unwrap()),
            phones: vec![Phone::parse("(415) 555-2671").unwrap()],
            ssn: Some(Ssn::parse("123-45-6789").unwrap()),
        }
    }

    #[test]
    fn pins_from_facts() {
        let f = facts();
        let cases = [
            ("071585", Some(FactKind::BirthDate)),
            ("851570", None),
            ("150785", Some(FactKind::BirthDate)),
            ("19850715", Some(FactKind::BirthDate)),
            ("907150", Some(FactKind::BirthDate)),
            ("552671", Some(FactKind::Phone)),
            ("415555", Some(FactKind::Phone)),
            ("926710", Some(FactKind::Phone)),
            ("067890", Some(FactKind::SsnLast4)),
            ("345678", Some(FactKind::SsnLast4)),
            ("482915", None),
        ];
        for (pin, want) in cases {
            assert_eq!(in_pin(pin, &f), want, "{pin}");
        }
        assert_eq!(in_pin("071585", &Facts::default()), None);
    }

    #[test]
    fn passwords_from_facts() {
        let f = facts();
        assert_eq!(
            in_password("summer-07151985-fun", &f),
            Some(FactKind::BirthDate)
        );
        assert_eq!(
            in_password("call me 555-2671 ok", &f),
            Some(FactKind::Phone)
        );
        assert_eq!(
            in_password("my secret is 6789", &f),
            Some(FactKind::SsnLast4)
        );
        assert_eq!(in_password("correct horse 4829 staple", &f), None);
    }
}
