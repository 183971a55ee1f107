//! The breach engine's error type: what went wrong, in words a user can act on, naming the place
//! (dataset, file, line, column) and never a value read from a file.

use std::path::PathBuf;

use custodian_auth::AuthError;
use custodian_db::DbError;
use custodian_vault::VaultError;

use crate::obligations::ObligationsError;

/// An error from the breach engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BreachError {
    /// The principal lacks the permission.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// No dataset has this name.
    #[error("unknown dataset `{0}` (see `custodian inventory list`)")]
    UnknownDataset(String),
    /// A ready dataset with this name exists already.
    #[error("dataset `{0}` exists already (remove it first, or load with --replace)")]
    DatasetExists(String),
    /// No incident has this id.
    #[error("no incident {0}")]
    UnknownIncident(i64),
    /// The incident has no impact version yet (or not the one asked for).
    #[error("incident {incident} has no impact version{}", version.map(|v| format!(" {v}")).unwrap_or_default())]
    NoImpact {
        /// The incident.
        incident: i64,
        /// The version asked for, if a specific one.
        version: Option<i64>,
    },
    /// An argument is not acceptable (an unknown element, a window that ends before it starts).
    #[error("{field}: {reason}")]
    Invalid {
        /// The argument or field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file's content is malformed at a place; nothing of it was kept.
    #[error("{}:{line}: {column}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line (the CSV header is line 1).
        line: u64,
        /// The column (or `row`, `header`).
        column: String,
        /// What is wrong; never the value.
        reason: String,
    },
    /// The vault refused or failed (resolving identifiers, reading the access log).
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// The vault's access log could not be read.
    #[error("access log: {0}")]
    Audit(#[from] custodian_vault::audit::AuditError),
    /// Stored data does not decode; the database was changed outside Custodian.
    #[error("stored breach data is corrupt: {0}")]
    Corrupt(String),
    /// The obligations rules failed.
    #[error(transparent)]
    Obligations(#[from] ObligationsError),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<custodian_db::sqlx::Error> for BreachError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        BreachError::Db(DbError::from(e))
    }
}

impl BreachError {
    /// An [`BreachError::Invalid`] for `field`.
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        BreachError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
