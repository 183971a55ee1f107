//! The Trust Center's error type: every refusal names what was wrong, in words a visitor or an
//! admin can act on, and never echoes a secret token.

use custodian_db::DbError;

/// An error from the Trust Center.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A form or API field is missing, too long or malformed.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The thing named does not exist (or is not visible to this caller).
    #[error("not found")]
    NotFound,
    /// Something with the same unique name already exists.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// A link (magic link, confirmation, unsubscribe, follow-up) is unknown, expired or used.
    #[error("this link is invalid or has expired")]
    BadLink,
    /// An uploaded file is too large.
    #[error("the file is too large ({size} bytes; the limit is {limit})")]
    TooLarge {
        /// The size received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// An uploaded file is not of an accepted type.
    #[error("files of type `{0}` are not accepted")]
    WrongType(String),
    /// A report cannot move from its state to the one asked for.
    #[error("a report cannot move from `{from}` to `{to}`")]
    BadTransition {
        /// The current state.
        from: &'static str,
        /// The state asked for.
        to: &'static str,
    },
    /// The thing is not in a state that allows this (a notice published twice).
    #[error("{0}")]
    Conflict(&'static str),
    /// security.txt could not be signed.
    #[error("signing security.txt failed: {0}")]
    Signing(String),
    /// Mail could not be sent.
    #[error("mail could not be sent: {0}")]
    Mail(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<custodian_db::sqlx::Error> for TrustError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        TrustError::Db(DbError::Sqlx(e))
    }
}

impl TrustError {
    /// An [`TrustError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        TrustError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
