//! Refusing guessable secrets at set time: a shipped list of common PINs and passwords, generated
//! rules for repeats, sequences, keypad-free patterns and dates (about a tenth of the 6-digit
//! space, see [`pins`]), the account's own birth date, phone digits and SSN last four
//! ([`personal`]), values exposed in an incident, and the compromised secret itself.
//!
//! Reasons name the rule, never the value: they travel to the caller and into logs.

use std::fmt;

use custodian_vault::types::Pin;
use zeroize::Zeroizing;

use crate::error::GuardError;
use crate::types::AccountId;

pub mod passwords;
pub mod personal;
pub mod pins;

/// Which of the account's personal facts a secret was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// The date of birth in any common digit order.
    BirthDate,
    /// Digits of one of the account's phone numbers.
    Phone,
    /// The last four digits of the SSN.
    SsnLast4,
}

/// Why a new secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeakReason {
    /// On the shipped list of common choices.
    Common,
    /// One digit or a short group repeated.
    Repetition,
    /// An ascending or descending run.
    Sequence,
    /// A palindrome, pairs, or two constant halves.
    Pattern,
    /// Reads as a calendar date or a recent year.
    Date,
    /// Derived from the account's own personal facts.
    PersonalFact(FactKind),
    /// Contains the account identifier.
    AccountId,
    /// Seen in an incident's exposed data.
    Exposed,
    /// The same as the secret that was marked compromised.
    Reused,
}

impl WeakReason {
    /// A stable machine code for the API.
    pub fn code(self) -> &'static str {
        match self {
            WeakReason::Common => "common",
            WeakReason::Repetition => "repetition",
            WeakReason::Sequence => "sequence",
            WeakReason::Pattern => "pattern",
            WeakReason::Date => "date",
            WeakReason::PersonalFact(FactKind::BirthDate) => "birth_date",
            WeakReason::PersonalFact(FactKind::Phone) => "phone_number",
            WeakReason::PersonalFact(FactKind::SsnLast4) => "ssn_last4",
            WeakReason::AccountId => "account_id",
            WeakReason::Exposed => "exposed",
            WeakReason::Reused => "reused",
        }
    }
}

impl fmt::Display for WeakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeakReason::Common => "it is one of the most common choices",
            WeakReason::Repetition => "it repeats a digit or a short group",
            WeakReason::Sequence => "it is an ascending or descending run",
            WeakReason::Pattern => "it follows an easy pattern",
            WeakReason::Date => "it reads as a date or a year",
            WeakReason::PersonalFact(FactKind::BirthDate) => "it contains the birth date",
            WeakReason::PersonalFact(FactKind::Phone) => "it contains digits of a phone number",
            WeakReason::PersonalFact(FactKind::SsnLast4) => "it contains the SSN's last four",
            WeakReason::AccountId => "it contains the account identifier",
            WeakReason::Exposed => "it was exposed in a security incident",
            WeakReason::Reused => "it is the secret that was compromised",
        })
    }
}

/// Which passwords are accepted at all: a length in characters. The default minimum is 15, the
/// NIST SP 800-63B rev. 4 minimum for a password used as a single factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_len: usize,
    max_len: usize,
}

impl PasswordPolicy {
    /// Passwords of `min_len..=max_len` characters; `8 ≤ min_len ≤ max_len ≤ 1024` and
    /// `max_len ≥ 64` (NIST: accept at least 64).
    pub fn new(min_len: usize, max_len: usize) -> Result<PasswordPolicy, GuardError> {
        if min_len < 8 || min_len > max_len || !(64..=1024).contains(&max_len) {
            return Err(GuardError::Config(
                "password lengths need 8 ≤ min ≤ max, 64 ≤ max ≤ 1024".into(),
            ));
        }
        Ok(PasswordPolicy { min_len, max_len })
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_len: 15,
            max_len: 128,
        }
    }
}

/// A candidate password that fits a [`PasswordPolicy`]; zeroized on drop, `Debug` redacts.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Checks the length (in characters) and that there are no control characters.
    pub fn parse(text: &str, policy: PasswordPolicy) -> Result<Password, GuardError> {
        let n = text.chars().count();
        if !(policy.min_len..=policy.max_len).contains(&n) {
            return Err(GuardError::invalid(
                "password",
                format!(
                    "must have {} to {} characters",
                    policy.min_len, policy.max_len
                ),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(GuardError::invalid(
                "password",
                "must not contain control characters",
            ));
        }
        Ok(Password(Zeroizing::new(text.to_owned())))
    }

    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A new secret, parsed: a PIN under the PIN policy or a password under the password policy.
#[derive(Debug)]
pub enum NewSecret {
    /// A numeric PIN.
    Pin(Pin),
    /// A password.
    Password(Password),
}

impl NewSecret {
    /// The bytes to hash.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            NewSecret::Pin(p) => p.normalized().as_bytes(),
            NewSecret::Password(p) => p.expose().as_bytes(),
        }
    }

    /// Which kind of secret this is.
    pub fn kind(&self) -> crate::types::SecretKind {
        match self {
            NewSecret::Pin(_) => crate::types::SecretKind::Pin,
            NewSecret::Password(_) => crate::types::SecretKind::Password,
        }
    }

    /// The rule-based weakness of this secret (list, patterns, account id), without personal
    /// facts or exposure, which need storage.
    pub fn weakness(&self, account: &AccountId) -> Option<WeakReason> {
        match self {
            NewSecret::Pin(p) => pins::weakness(p.normalized()),
            NewSecret::Password(p) => passwords::weakness(p.expose(), account),
        }
    }

    /// Whether the secret is derived from the account's personal facts, and from which.
    pub fn personal_fact(&self, facts: &crate::facts::Facts) -> Option<FactKind> {
        match self {
            NewSecret::Pin(p) => personal::in_pin(p.normalized(), facts),
            NewSecret::Password(p) => personal::in_password(p.expose(), facts),
        }
    }
}
