//! Government and network identifiers: the Social Security number (with the SSA's "never issued"
//! rules), the handset's IMEI (Luhn-checked) and the subscriber's IMSI (MCC + MNC + MSIN). These
//! are the identifiers whose theft enables identity and SIM fraud, so they are the first columns
//! the vault encrypts and blind-indexes.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{FieldError, digits_only, luhn_check_digit, redacted};

/// A US Social Security number that the SSA could have issued.
///
/// Input may contain dashes or spaces; the normalized form is the 9 digits. Rejected: area 000,
/// 666 and 900-999, group 00, serial 0000.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Ssn(String);

impl Ssn {
    /// Parses `123-45-6789`, `123 45 6789` or `123456789`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let digits = digits_only("ssn", input, &['-', ' '], 9)?;
        Self::check(digits.as_bytes())?;
        Ok(Ssn(digits))
    }

    /// Checks the SSA rules on 9 ASCII digits; shared with the tokenizer's cycle walk.
    pub(crate) fn check(d: &[u8]) -> Result<(), FieldError> {
        match (&d[0..3], &d[3..5], &d[5..9]) {
            (b"000", _, _) => Err(FieldError::new("ssn", "area number 000 is never issued")),
            (b"666", _, _) => Err(FieldError::new("ssn", "area number 666 is never issued")),
            ([b'9', _, _], _, _) => Err(FieldError::new(
                "ssn",
                "area numbers 900-999 are never issued",
            )),
            (_, b"00", _) => Err(FieldError::new("ssn", "group number 00 is never issued")),
            (_, _, b"0000") => Err(FieldError::new("ssn", "serial number 0000 is never issued")),
            _ => Ok(()),
        }
    }

    /// The 9 digits without separators; the input of the blind index.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The last four digits (the serial number), for masked display.
    pub fn last4(&self) -> &str {
        &self.0[5..]
    }
}

impl fmt::Debug for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Ssn")
    }
}

/// A 15-digit IMEI whose last digit is a valid Luhn check digit.
///
/// Input may contain dashes, spaces or slashes; the normalized form is the 15 digits.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Imei(String);

impl Imei {
    /// Parses an IMEI such as `35-209900-176148-1`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let digits = digits_only("imei", input, &['-', ' ', '/'], 15)?;
        let bytes = digits.as_bytes();
        if luhn_check_digit(&bytes[..14]) != bytes[14] - b'0' {
            return Err(FieldError::new("imei", "Luhn check digit does not match"));
        }
        Ok(Imei(digits))
    }

    /// The 15 digits without separators.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The type allocation code (first 8 digits), which identifies the handset model.
    pub fn tac(&self) -> &str {
        &self.0[..8]
    }
}

impl fmt::Debug for Imei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Imei")
    }
}

/// A 15-digit IMSI: mobile country code, mobile network code, subscriber number (MSIN).
///
/// The MCC must lie in 200-799, the range the ITU assigns to countries (0xx and 1xx are test and
/// reserved, 9xx is international/shared). The MNC is 3 digits for the North American and a few
/// Latin American MCCs and 2 digits elsewhere, which is the ITU's convention; operators that
/// break it are rare enough that only `mcc_mnc()` is affected.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Imsi(String);

/// MCCs whose MNCs are 3 digits (North America, the Caribbean and some of Latin America).
const THREE_DIGIT_MNC_MCCS: &[u16] = &[
    302, 310, 311, 312, 313, 314, 315, 316, 334, 338, 342, 344, 346, 348, 354, 356, 358, 360, 365,
    376, 722, 732,
];

impl Imsi {
    /// Parses 15 digits (spaces and dashes allowed).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let digits = digits_only("imsi", input, &['-', ' '], 15)?;
        let mcc = Self::mcc_of(digits.as_bytes());
        if !(200..=799).contains(&mcc) {
            return Err(FieldError::new(
                "imsi",
                "mobile country code is outside the assigned range 200-799",
            ));
        }
        Ok(Imsi(digits))
    }

    fn mcc_of(d: &[u8]) -> u16 {
        d[..3]
            .iter()
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
    }

    /// The 15 digits.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The mobile country code (3 digits).
    pub fn mcc(&self) -> &str {
        &self.0[..3]
    }

    /// The mobile country and network code (5 or 6 digits; see the type's docs for the MNC rule).
    pub fn mcc_mnc(&self) -> &str {
        let mcc = Self::mcc_of(self.0.as_bytes());
        let len = if THREE_DIGIT_MNC_MCCS.contains(&mcc) {
            6
        } else {
            5
        };
        &self.0[..len]
    }
}

impl fmt::Debug for Imsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Imsi")
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(result: Result<impl fmt::Debug, FieldError>, expect: &Expect) {
        let shown = match result {
            Ok(v) => format!("ok {v:?}"),
            Err(e) => format!("err {e}"),
        };
        expect.assert_eq(&shown);
    }

    #[test]
    fn ssn_rules() {
        check(Ssn::parse("123-45-6789"), &expect!["ok Ssn(<redacted>)"]);
        check(
            Ssn::parse("000-12-3456"),
            &expect!["err ssn: area number 000 is never issued"],
        );
        check(
            Ssn::parse("666123456"),
            &expect!["err ssn: area number 666 is never issued"],
        );
        check(
            Ssn::parse("912-34-5678"),
            &expect!["err ssn: area numbers 900-999 are never issued"],
        );
        check(
            Ssn::parse("123-00-4567"),
            &expect!["err ssn: group number 00 is never issued"],
        );
        check(
            Ssn::parse("123 45 0000"),
            &expect!["err ssn: serial number 0000 is never issued"],
        );
        check(
            Ssn::parse("12345678"),
            &expect!["err ssn: must have 9 digits"],
        );
        check(
            Ssn::parse("1234567890"),
            &expect!["err ssn: must have 9 digits"],
        );
        check(
            Ssn::parse("123.45.6789"),
            &expect!["err ssn: contains a character that is not allowed"],
        );
        assert_eq!(Ssn::parse(" 123-45-6789 ").unwrap().last4(), "6789");
    }

    #[test]
    fn imei_luhn() {
        let imei = Imei::parse("35-209900-176148-1").unwrap();
        assert_eq!(imei.normalized(), "352099001761481");
        assert_eq!(imei.tac(), "35209900");
        check(
            Imei::parse("352099001761482"),
            &expect!["err imei: Luhn check digit does not match"],
        );
    }

    #[test]
    fn imsi_ranges() {
        let imsi = Imsi::parse("310 260 123456789").unwrap();
        assert_eq!(imsi.mcc(), "310");
        assert_eq!(imsi.mcc_mnc(), "310260");
        assert_eq!(Imsi::parse("234150123456789").unwrap().mcc_mnc(), "23415");
        check(
            Imsi::parse("001010123456789"),
            &expect!["err imsi: mobile country code is outside the assigned range 200-799"],
        );
    }
}
