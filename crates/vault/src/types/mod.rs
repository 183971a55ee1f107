//! Parsed field types of the customer record: each sensitive column (SSN, phone, e-mail, IMEI,
//! IMSI, date of birth, driver's licence, ZIP, PIN, names and address lines) is a newtype that can
//! only be built by parsing, so code that holds one knows it is well formed ("parse, don't
//! validate"). Every type has a `normalized()` form, the single spelling fed to blind indexes and
//! tokenizers, and a `Debug` that never prints the value. The string inside a sensitive type is
//! zeroized on drop. The PII scanner and the breach engine reuse these parsers, so their rules
//! (SSA area numbers, NANP, Luhn) live here once.
//!
//! Errors ([`FieldError`]) name the field and the rule that failed but never echo the input:
//! they end up in import reports and logs, and the input is PII.

use std::borrow::Cow;

use zeroize::Zeroizing;

mod address;
mod contact;
mod dob;
mod ids;
mod license;
mod pin;
#[cfg(test)]
mod tests;

pub use address::{City, Name, Street, Zip};
pub use contact::{Email, Phone};
pub use dob::{AGE_OF_MAJORITY, DateOfBirth, MIN_BIRTH_YEAR};
pub use ids::{Imei, Imsi, Ssn};
pub use license::{DriversLicense, MAX_LICENSE_LEN, UsState};
pub use pin::{PIN_LENGTH_LIMITS, Pin, PinPolicy};

/// Why a value could not be parsed into a field type.
///
/// The message is `"<field>: <reason>"`, e.g. `ssn: area number 000 is never issued`; it never
/// contains the rejected value, only the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    field: &'static str,
    reason: Cow<'static, str>,
}

impl FieldError {
    /// An error for `field` with a fixed reason.
    pub(crate) fn new(field: &'static str, reason: &'static str) -> Self {
        FieldError {
            field,
            reason: Cow::Borrowed(reason),
        }
    }

    /// An error for `field` whose reason is built at run time (it must not contain the value).
    pub(crate) fn owned(field: &'static str, reason: String) -> Self {
        FieldError {
            field,
            reason: Cow::Owned(reason),
        }
    }

    /// The name of the field that failed, e.g. `ssn`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rule that failed, without the rejected value.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Collects the ASCII digits of `input`, allowing only the given separators between them.
///
/// Returns `Err` with a fixed reason when another character appears or the digit count is not
/// `expected`; the returned string is pre-sized so it never reallocates (no stray copies of PII).
fn digits_only(
    field: &'static str,
    input: &str,
    separators: &[char],
    expected: usize,
) -> Result<String, FieldError> {
    // Zeroizing, so that the partial digits of a rejected value do not linger in freed memory.
    let mut out = Zeroizing::new(String::with_capacity(expected));
    for c in input.trim().chars() {
        if c.is_ascii_digit() {
            if out.len() == expected {
                return Err(FieldError::owned(
                    field,
                    format!("must have {expected} digits"),
                ));
            }
            out.push(c);
        } else if !separators.contains(&c) {
            return Err(FieldError::new(
                field,
                "contains a character that is not allowed",
            ));
        }
    }
    if out.len() != expected {
        return Err(FieldError::owned(
            field,
            format!("must have {expected} digits"),
        ));
    }
    Ok(std::mem::take(&mut *out))
}

/// The Luhn check digit (0-9) for a string of ASCII digits (the payload without its check digit).
pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
    let mut sum = 0u32;
    // Doubling starts at the rightmost payload digit, because the check digit will sit to its right.
    for (i, b) in payload.iter().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    // The result is in 0..=9, so the cast cannot truncate.
    ((10 - sum % 10) % 10) as u8
}

/// Writes a redacting `Debug` for a type name: `Ssn(<redacted>)`.
fn redacted(f: &mut std::fmt::Formatter<'_>, name: &str) -> std::fmt::Result {
    write!(f, "{name}(<redacted>)")
}
