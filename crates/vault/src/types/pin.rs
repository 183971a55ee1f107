//! Account PINs. The vault never stores a PIN (the guard hashes it), but the import parses it on
//! the way through and the breach engine recognizes PINs in exposed files, so the syntax lives
//! with the other field types. The accepted length is a policy, because carriers differ.

use std::fmt;
use std::ops::RangeInclusive;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{FieldError, redacted};

/// The lengths a [`PinPolicy`] may allow at all.
pub const PIN_LENGTH_LIMITS: RangeInclusive<usize> = 4..=15;

/// Which PIN lengths are accepted; the default is 6 to 15 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    min_len: usize,
    max_len: usize,
}

impl PinPolicy {
    /// A policy accepting `min_len..=max_len` digits; both must lie in 4..=15 and `min_len` must
    /// not exceed `max_len`.
    pub fn new(min_len: usize, max_len: usize) -> Result<Self, FieldError> {
        if !PIN_LENGTH_LIMITS.contains(&min_len)
            || !PIN_LENGTH_LIMITS.contains(&max_len)
            || min_len > max_len
        {
            return Err(FieldError::new(
                "pin_policy",
                "lengths must lie in 4..=15 with min <= max",
            ));
        }
        Ok(PinPolicy { min_len, max_len })
    }

    /// The shortest accepted PIN.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// The longest accepted PIN.
    pub fn max_len(&self) -> usize {
        self.max_len
    }
}

impl Default for PinPolicy {
    fn default() -> Self {
        PinPolicy {
            min_len: 6,
            max_len: 15,
        }
    }
}

/// A numeric account PIN whose length fits a [`PinPolicy`].
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

impl Pin {
    /// Parses a PIN under the default policy (6 to 15 digits).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Self::parse_with(input, PinPolicy::default())
    }

    /// Parses a PIN under `policy`; surrounding spaces are trimmed, nothing else is allowed.
    pub fn parse_with(input: &str, policy: PinPolicy) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("pin", "must contain only digits"));
        }
        if !(policy.min_len..=policy.max_len).contains(&trimmed.len()) {
            return Err(FieldError::owned(
                "pin",
                format!("must have {} to {} digits", policy.min_len, policy.max_len),
            ));
        }
        Ok(Pin(trimmed.to_owned()))
    }

    /// The digits.
    pub fn normalized(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Pin")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_custom_policies() {
        assert_eq!(Pin::parse(" 123456 ").unwrap().normalized(), "123456");
        assert_eq!(
            Pin::parse("1234").unwrap_err().to_string(),
            "pin: must have 6 to 15 digits"
        );
        let four = PinPolicy::new(4, 8).unwrap();
        assert!(Pin::parse_with("1234", four).is_ok());
        assert_eq!(
            Pin::parse_with("12a4", four).unwrap_err().to_string(),
            "pin: must contain only digits"
        );
        assert!(PinPolicy::new(3, 8).is_err());
        assert!(PinPolicy::new(9, 8).is_err());
        assert!(PinPolicy::new(4, 16).is_err());
    }
}
