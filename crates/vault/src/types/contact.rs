//! Contact data: US phone numbers (NANP, normalized to E.164) and e-mail addresses (a sane subset
//! of RFC 5321, normalized to lowercase). Both are looked up by exact match through blind
//! indexes, so the normalized spelling must be the same however the number or address was typed.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{FieldError, redacted};

/// A US (NANP) phone number, stored as E.164: `+1` followed by 10 digits.
///
/// Accepted input: `+1XXXXXXXXXX`, 10 digits, or 11 digits starting with `1`, with spaces,
/// dashes, dots or parentheses between digits. NANP rules: the area code and the exchange start
/// with 2-9, and the area code is not an N11 service code.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Phone(String);

impl Phone {
    /// Parses a US phone number such as `(415) 555-2671` or `+1 415 555 2671`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        let (has_plus, rest) = match input.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        let mut digits = Zeroizing::new(String::with_capacity(12));
        digits.push_str("+1");
        let mut count = 0usize;
        let mut first = None;
        for c in rest.chars() {
            if c.is_ascii_digit() {
                count += 1;
                if count == 1 {
                    first = Some(c);
                    // A leading country code 1 is dropped; the national number follows.
                    if c == '1' {
                        continue;
                    }
                }
                if digits.len() == 12 {
                    return Err(Self::shape_error());
                }
                digits.push(c);
            } else if !matches!(c, ' ' | '-' | '.' | '(' | ')') {
                return Err(FieldError::new(
                    "phone",
                    "contains a character that is not allowed",
                ));
            }
        }
        let shape_ok = matches!(
            (has_plus, count, first),
            (_, 11, Some('1')) | (false, 10, _)
        );
        if !shape_ok || digits.len() != 12 {
            return Err(Self::shape_error());
        }
        Self::check_nanp(digits.as_bytes())?;
        Ok(Phone(std::mem::take(&mut *digits)))
    }

    fn shape_error() -> FieldError {
        FieldError::new(
            "phone",
            "must be +1 and 10 digits, 10 digits, or 11 digits starting with 1",
        )
    }

    /// Checks the NANP rules on `+1NPANXXXXXX`; shared with the tokenizer.
    pub(crate) fn check_nanp(e164: &[u8]) -> Result<(), FieldError> {
        let npa = &e164[2..5];
        if !(b'2'..=b'9').contains(&npa[0]) {
            return Err(FieldError::new("phone", "area code must start with 2-9"));
        }
        if npa[1] == b'1' && npa[2] == b'1' {
            return Err(FieldError::new(
                "phone",
                "area code cannot be an N11 service code",
            ));
        }
        if !(b'2'..=b'9').contains(&e164[5]) {
            return Err(FieldError::new(
                "phone",
                "exchange code must start with 2-9",
            ));
        }
        Ok(())
    }

    /// The E.164 form, `+1` and 10 digits.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The 3-digit area code (NPA).
    pub fn area_code(&self) -> &str {
        &self.0[2..5]
    }

    /// The last four digits, for masked display.
    pub fn last4(&self) -> &str {
        &self.0[8..]
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Phone")
    }
}

/// An e-mail address in a conservative subset of RFC 5321 syntax, trimmed and lowercased.
///
/// Local part: 1-64 characters of letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, no leading,
/// trailing or doubled dot. Domain: at least two dot-separated labels of letters, digits and
/// hyphens (1-63 characters, no hyphen at either end), ending in an alphabetic label of two or
/// more letters. At most 254 characters overall. Quoted local parts, comments and IP-literal
/// domains are rejected: they are legal but never seen in a carrier's customer data.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Email {
    address: String,
    at: usize,
}

impl Email {
    /// Parses an address such as ` Jane.Doe@Example.COM `.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("email", "is empty"));
        }
        if trimmed.len() > 254 {
            return Err(FieldError::new("email", "is longer than 254 characters"));
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(FieldError::new("email", "has no @"));
        };
        Self::check_local(local)?;
        Self::check_domain(domain)?;
        let mut address = String::with_capacity(trimmed.len());
        address.extend(trimmed.chars().map(|c| c.to_ascii_lowercase()));
        Ok(Email {
            address,
            at: local.len(),
        })
    }

    fn check_local(local: &str) -> Result<(), FieldError> {
        if local.is_empty() || local.len() > 64 {
            return Err(FieldError::new(
                "email",
                "local part must be 1-64 characters",
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
        if !local.chars().all(allowed) {
            return Err(FieldError::new(
                "email",
                "local part contains a character that is not allowed",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(FieldError::new(
                "email",
                "local part has a leading, trailing or doubled dot",
            ));
        }
        Ok(())
    }

    fn check_domain(domain: &str) -> Result<(), FieldError> {
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(FieldError::new("email", "domain needs at least two labels"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(FieldError::new("email", "domain has an invalid label"));
            }
        }
        let tld = labels.last().copied().unwrap_or_default();
        if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(FieldError::new(
                "email",
                "top-level domain must be two or more letters",
            ));
        }
        Ok(())
    }

    /// The trimmed, lowercased address.
    pub fn normalized(&self) -> &str {
        &self.address
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Email")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone_err(input: &str) -> String {
        Phone::parse(input).unwrap_err().to_string()
    }

    #[test]
    fn phone_spellings_normalize_to_e164() {
        for input in [
            "+14155552671",
            "+1 (415) 555-2671",
            "4155552671",
            "415.555.2671",
            "1-415-555-2671",
        ] {
            assert_eq!(Phone::parse(input).unwrap().normalized(), "+14155552671");
        }
        let p = Phone::parse("4155552671").unwrap();
        assert_eq!((p.area_code(), p.last4()), ("415", "2671"));
    }

    #[test]
    fn phone_rejections_do_not_echo_digits() {
        let cases = [
            (
                "+44 20 7946 0958",
                "phone: must be +1 and 10 digits, 10 digits, or 11 digits starting with 1",
            ),
            (
                "415555267",
                "phone: must be +1 and 10 digits, 10 digits, or 11 digits starting with 1",
            ),
            (
                "41555526712",
                "phone: must be +1 and 10 digits, 10 digits, or 11 digits starting with 1",
            ),
            (
                "1155552671",
                "phone: must be +1 and 10 digits, 10 digits, or 11 digits starting with 1",
            ),
            ("0155552671", "phone: area code must start with 2-9"),
            (
                "4115552671",
                "phone: area code cannot be an N11 service code",
            ),
            ("4151552671", "phone: exchange code must start with 2-9"),
            (
                "415-555-2671 x2",
                "phone: contains a character that is not allowed",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(phone_err(input), want, "{input}");
        }
    }

    #[test]
    fn email_normalizes_and_splits() {
        let e = Email::parse("  Jane.Doe+tag@Mail.Example.COM ").unwrap();
        assert_eq!(e.normalized(), "jane.doe+tag@mail.example.com");
        assert_eq!(
            (e.local_part(), e.domain()),
            ("jane.doe+tag", "mail.example.com")
        );
    }

    #[test]
    fn email_rejections() {
        let cases = [
            ("", "email: is empty"),
            ("jane", "email: has no @"),
            ("jane@@example.com", "email: domain has an invalid label"),
            (
                ".jane@example.com",
                "email: local part has a leading, trailing or doubled dot",
            ),
            (
                "ja..ne@example.com",
                "email: local part has a leading, trailing or doubled dot",
            ),
            (
                "ja ne@example.com",
                "email: local part contains a character that is not allowed",
            ),
            ("jane@localhost", "email: domain needs at least two labels"),
            ("jane@-x.com", "email: domain has an invalid label"),
            (
                "jane@example.c0m",
                "email: top-level domain must be two or more letters",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                Email::parse(input).unwrap_err().to_string(),
                want,
                "{input}"
            );
        }
    }
}
