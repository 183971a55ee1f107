//! The access log's error type: what stopped an append, a query or a verification from running.
//!
//! A *broken chain* is not an error: [`super::verify`] returns it as a
//! [`Problem`](super::Problem) inside a successful report, because finding tampering is the
//! verification doing its job. Errors here mean the log could not be read or written at all, or
//! that an entry was refused before anything was stored.

use crate::crypto::CryptoError;

/// Why an access-log operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// An entry's field name is empty, too long, or holds a character other than lowercase
    /// ASCII letters, digits, `_` and `.` (the stored list is comma-separated).
    #[error("audit entry: invalid field name (must be 1-64 of a-z, 0-9, `_`, `.`)")]
    InvalidField,
    /// An entry's principal is empty or longer than the limit.
    #[error("audit entry: principal must be 1 to {max} bytes")]
    InvalidPrincipal {
        /// The longest principal name accepted, in bytes.
        max: usize,
    },
    /// An entry's purpose or request id is longer than the limit.
    #[error("audit entry: {what} is longer than {max} bytes")]
    TooLong {
        /// Which column (`purpose`, `request_id`).
        what: &'static str,
        /// The limit in bytes.
        max: usize,
    },
    /// A stored action name this binary does not know (written by a newer version?).
    #[error("access log entry {seq}: unknown action `{action}`")]
    UnknownAction {
        /// The entry's sequence number.
        seq: i64,
        /// The stored name.
        action: String,
    },
    /// The head row of the log is missing: the audit migration has not run, or the row was
    /// deleted (which `audit verify` also reports).
    #[error(
        "the access log has no head row (run the migrations; if they ran, the log was tampered with)"
    )]
    MissingHead,
    /// A stored hash or key version does not have the expected shape.
    #[error("access log row at seq {seq} is malformed: {what}")]
    Malformed {
        /// The sequence number of the entry, checkpoint or head.
        seq: i64,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The log reached the largest sequence number (never, in practice).
    #[error("the access log is full (sequence number overflow)")]
    SeqOverflow,
    /// A checkpoint key could not be derived (the key provider failed).
    #[error("audit key: {0}")]
    Key(#[from] CryptoError),
    /// The database failed.
    #[error("access log database error: {0}")]
    Db(#[from] custodian_db::sqlx::Error),
    /// The group commit this entry was part of failed (the cause is shared by its batch).
    #[error(transparent)]
    Batch(std::sync::Arc<AuditError>),
    /// The group-commit task is gone (the vault is shutting down).
    #[error("the access log's committer has stopped")]
    Stopped,
}
