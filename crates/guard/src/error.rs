//! What can go wrong in the guard, in words a caller can act on. No message ever contains a
//! secret, a one-time code or a personal fact: they end up in logs and API responses.

use custodian_db::DbError;

use crate::types::SecretKind;
use crate::weak::WeakReason;

/// An error from the guard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// A value given to the guard is malformed; names the field, never echoes the value.
    #[error("{field}: {reason}")]
    Invalid {
        /// The input field at fault.
        field: &'static str,
        /// The rule it broke.
        reason: String,
    },
    /// A new secret was refused as too easy to guess.
    #[error("the new {kind} is not accepted: {reason}")]
    Weak {
        /// Which secret.
        kind: SecretKind,
        /// Why (never the value).
        reason: WeakReason,
    },
    /// A one-time code (step-up, reset code, transfer PIN) is wrong, expired, used or out of
    /// attempts: one answer for all, so a guesser learns nothing.
    #[error("the one-time code is not valid")]
    BadCode,
    /// Too many recent failures; nothing was checked.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds until another attempt is allowed.
        retry_after_secs: u64,
    },
    /// The line is not registered with the guard.
    #[error("no protected line ending in {last4}")]
    UnknownLine {
        /// The last four digits of the number.
        last4: String,
    },
    /// The care session does not exist or has expired.
    #[error("no such care session, or it has expired")]
    NoCareSession,
    /// A line of an import file is malformed.
    #[error("{source_name}:{line}: {reason}")]
    Import {
        /// The file (or `-`).
        source_name: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it (never the hash).
        reason: String,
    },
    /// A forced reset of that name exists with different settings.
    #[error("forced reset `{0}` exists already with different settings; pick another name")]
    ResetConflict(String),
    /// The notifier could not take a notice; nothing that needed the notice was committed.
    #[error("the notifier failed: {0}")]
    Notify(String),
    /// The account's personal facts could not be read to check a new secret.
    #[error("the account's personal facts could not be checked: {0}")]
    Facts(String),
    /// The Argon2 implementation refused the parameters or failed.
    #[error("hashing failed: {0}")]
    Hashing(String),
    /// Every hashing slot is taken and the wait ran out; retry shortly.
    #[error("the guard is busy; retry shortly")]
    Busy,
    /// The configuration is invalid.
    #[error("guard configuration: {0}")]
    Config(String),
    /// A storage error.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl GuardError {
    /// An [`GuardError::Invalid`] for `field`.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> GuardError {
        GuardError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<custodian_db::sqlx::Error> for GuardError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        GuardError::Db(DbError::Sqlx(e))
    }
}
