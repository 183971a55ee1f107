//! Per-match checks and normalizers that rules name in their `validators` and `normalize`
//! fields: entropy, checksums (Luhn, SSA ranges, IMSI country codes, card IIN ranges),
//! decoders (Cisco type 7, base64) and the placeholder filter that keeps `changeme`,
//! `${VAR}` and `<password>` out of the findings. Each is a pure function of the matched
//! value, so rules stay data and these stay testable in isolation.

use crate::content::literal::{is_code_like, is_password_literal, is_placeholder, user_pass_ok};
use crate::content::pii;

/// A named check a rule applies to its captured value; all listed checks must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validator {
    /// Shannon entropy (bits per byte) at least the rule's `min_entropy`.
    Entropy,
    /// The digits pass the Luhn checksum.
    Luhn,
    /// A US Social Security number outside the SSA's never-issued ranges.
    Ssn,
    /// A 15-digit IMEI: Luhn-valid and not a repeated digit.
    Imei,
    /// A 15-digit IMSI whose mobile country code is assigned (any MCC with context, only US
    /// 310-316 without).
    ImsiMcc,
    /// A payment card number: Luhn-valid, in a known issuer range with that issuer's length.
    PaymentCard,
    /// A North American Numbering Plan phone number (area and exchange codes 2-9, not N11,
    /// not 555-01xx).
    Nanp,
    /// A calendar date that could be a date of birth (years 1900-2099).
    Date,
    /// A Cisco IOS type 7 password that decodes to printable text.
    CiscoType7,
    /// A PEM body with enough base64 to be a real key.
    PemBody,
    /// Not a template, variable reference or documentation placeholder.
    NoPlaceholder,
    /// A password literal: not a placeholder and not a reference to code (`env.X`, `$var`, `f()`).
    PasswordValue,
    /// `user:password` where the password half is a real value.
    UserPass,
    /// Decodes as base64 to at least six bytes.
    Base64,
    /// Contains at least one letter and at least one digit.
    LettersAndDigits,
    /// Not a reference to a secret in code (`self.token`, `crate::KEY`, `get_key()`, a type).
    NotCode,
    /// Words in title case that could be a person's name.
    PersonName,
}

impl Validator {
    /// Parses a validator name as written in a rules file.
    pub(crate) fn parse(name: &str) -> Option<Validator> {
        Some(match name {
            "entropy" => Validator::Entropy,
            "luhn" => Validator::Luhn,
            "ssn" => Validator::Ssn,
            "imei" => Validator::Imei,
            "imsi_mcc" => Validator::ImsiMcc,
            "payment_card" => Validator::PaymentCard,
            "nanp" => Validator::Nanp,
            "date" => Validator::Date,
            "cisco_type7" => Validator::CiscoType7,
            "pem_body" => Validator::PemBody,
            "no_placeholder" => Validator::NoPlaceholder,
            "password_value" => Validator::PasswordValue,
            "user_pass" => Validator::UserPass,
            "base64" => Validator::Base64,
            "letters_and_digits" => Validator::LettersAndDigits,
            "not_code" => Validator::NotCode,
            "person_name" => Validator::PersonName,
            _ => return None,
        })
    }

    /// Runs the check on `value`; `min_entropy` is the rule's floor and `has_context` says
    /// whether one of the rule's context words was found near the match.
    pub(crate) fn check(self, value: &[u8], min_entropy: f64, has_context: bool) -> bool {
        match self {
            Validator::Entropy => shannon_entropy(value) >= min_entropy,
            Validator::Luhn => luhn(&digits(value)),
            Validator::Ssn => pii::is_valid_ssn(&digits(value)),
            Validator::Imei => pii::is_valid_imei(&digits(value)),
            Validator::ImsiMcc => pii::is_valid_imsi(&digits(value), has_context),
            Validator::PaymentCard => pii::is_valid_card(&digits(value)),
            Validator::Nanp => pii::normalize_nanp(value).is_some(),
            Validator::Date => pii::normalize_date(value).is_some(),
            Validator::CiscoType7 => decode_cisco_type7(value).is_some(),
            Validator::PemBody => pem_body_ok(value),
            Validator::NoPlaceholder => !is_placeholder(value),
            Validator::PasswordValue => is_password_literal(value),
            Validator::UserPass => user_pass_ok(value),
            Validator::Base64 => base64_len(value).is_some_and(|n| n >= 6),
            Validator::LettersAndDigits => {
                value.iter().any(u8::is_ascii_alphabetic) && value.iter().any(u8::is_ascii_digit)
            }
            Validator::PersonName => pii::is_person_name(value),
            Validator::NotCode => !is_code_like(&String::from_utf8_lossy(value)),
        }
    }
}

/// How a captured value is normalized before it is fingerprinted and counted, so that
/// `123-45-6789` and `123 45 6789` are one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Normalizer {
    /// The bytes as captured.
    #[default]
    Verbatim,
    /// ASCII digits only.
    Digits,
    /// ASCII-lowercased.
    Lower,
    /// Whitespace collapsed and lowercased (names, addresses).
    Words,
    /// E.164 for NANP numbers (`+1NXXNXXXXXX`).
    Phone,
    /// ISO 8601 `YYYY-MM-DD`.
    Date,
    /// The base64 characters of a PEM body, so one key in different quoting is one value.
    PemBody,
    /// Upper-case letters and digits (licence numbers).
    Alnum,
}

impl Normalizer {
    /// Parses a normalizer name as written in a rules file.
    pub(crate) fn parse(name: &str) -> Option<Normalizer> {
        Some(match name {
            "verbatim" => Normalizer::Verbatim,
            "digits" => Normalizer::Digits,
            "lower" => Normalizer::Lower,
            "words" => Normalizer::Words,
            "phone" => Normalizer::Phone,
            "date" => Normalizer::Date,
            "pem_body" => Normalizer::PemBody,
            "alnum" => Normalizer::Alnum,
            _ => return None,
        })
    }

    /// Normalizes `value`; falls back to the lossy text of the value when a structured
    /// normalizer cannot parse it (validators have already run by then).
    pub(crate) fn apply(self, value: &[u8]) -> String {
        let text = || String::from_utf8_lossy(value).into_owned();
        match self {
            Normalizer::Verbatim => text(),
            Normalizer::Digits => digits(value),
            Normalizer::Lower => text().to_ascii_lowercase(),
            Normalizer::Words => pii::normalize_words(&text()),
            Normalizer::Phone => pii::normalize_nanp(value).unwrap_or_else(text),
            Normalizer::Date => pii::normalize_date(value).unwrap_or_else(text),
            Normalizer::PemBody => pem_base64(value),
            Normalizer::Alnum => value
                .iter()
                .filter(|b| b.is_ascii_alphanumeric())
                .map(|b| char::from(b.to_ascii_uppercase()))
                .collect(),
        }
    }
}

/// The ASCII digits of `value`, in order.
pub(crate) fn digits(value: &[u8]) -> String {
    value
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect()
}

/// Shannon entropy of the byte distribution, in bits per byte.
pub(crate) fn shannon_entropy(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[usize::from(b)] += 1;
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// The Luhn (mod 10) checksum over a string of ASCII digits.
pub(crate) fn luhn(digits: &str) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The public translation table of Cisco IOS "type 7" password obfuscation.
const CISCO_XLAT: &[u8] = b"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";

/// Decodes a Cisco type 7 string (two decimal seed digits, then hex pairs); `None` unless
/// it decodes to printable ASCII. Type 7 is an obfuscation, not a hash: a decodable value
/// is the password itself, which is why these findings are high confidence.
pub(crate) fn decode_cisco_type7(value: &[u8]) -> Option<String> {
    if value.len() < 4 || !value.len().is_multiple_of(2) {
        return None;
    }
    let seed = std::str::from_utf8(value.get(..2)?)
        .ok()?
        .parse::<usize>()
        .ok()?;
    if seed >= CISCO_XLAT.len() {
        return None;
    }
    let mut out = String::new();
    for (i, pair) in value.get(2..)?.chunks(2).enumerate() {
        let byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        let plain = byte ^ CISCO_XLAT[(seed + i) % CISCO_XLAT.len()];
        if !(0x20..0x7f).contains(&plain) {
            return None;
        }
        out.push(char::from(plain));
    }
    Some(out)
}

/// The base64 alphabet characters of a PEM body, with literal `\r`/`\n` escapes removed.
fn pem_base64(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'\\' && matches!(value.get(i + 1), Some(b'r' | b'n' | b't')) {
            i += 2;
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=' {
            out.push(char::from(b));
        }
        i += 1;
    }
    out
}

/// A PEM body is real when it has at least 50 base64 characters of non-trivial entropy.
fn pem_body_ok(value: &[u8]) -> bool {
    let body = pem_base64(value);
    body.len() >= 50 && shannon_entropy(body.as_bytes()) >= 4.0
}

/// Decoded length of standard or URL-safe base64 (padding optional); `None` if it is not base64.
pub(crate) fn base64_len(value: &[u8]) -> Option<usize> {
    let trimmed: &[u8] = {
        let mut end = value.len();
        while end > 0 && value[end - 1] == b'=' {
            end -= 1;
        }
        &value[..end]
    };
    if trimmed.is_empty() || value.len() - trimmed.len() > 2 {
        return None;
    }
    let ok = trimmed
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'));
    if !ok || trimmed.len() % 4 == 1 {
        return None;
    }
    Some(trimmed.len() * 3 / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_repeated_values() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn luhn_accepts_known_good_numbers() {
        assert!(luhn("79927398713"));
        assert!(!luhn("79927398710"));
        assert!(luhn("4111111111111111"));
    }

    #[test]
    fn cisco_type7_decodes_to_the_password() {
        // "cisco" obfuscated with seed 02, as IOS prints it.
        assert_eq!(
            decode_cisco_type7(b"02050D480809").as_deref(),
            Some("cisco")
        );
        assert!(decode_cisco_type7(b"99ZZ").is_none());
        assert!(decode_cisco_type7(b"0205").is_some());
    }

    #[test]
    fn base64_length() {
        assert_eq!(base64_len(b"YWRtaW4="), Some(5));
        assert_eq!(base64_len(b"not base64!"), None);
    }
}
