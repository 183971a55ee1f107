//! The storage error type: what went wrong talking to the database, in words a user can act on.

use std::path::PathBuf;

/// An error from the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The database URL is not one Custodian understands.
    #[error("unsupported database URL `{0}` (expected postgres://… or sqlite://…)")]
    UnsupportedUrl(String),
    /// The data directory does not exist and this command does not create it.
    #[error(
        "no Custodian data at {0} (run `custodian demo` or `custodian serve` first, or pass --data-dir)"
    )]
    MissingDataDir(PathBuf),
    /// The data directory could not be created or used.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database server could not be reached or refused the connection.
    #[error("cannot connect to the database ({target}): {source}")]
    Connect {
        /// Where we tried to connect, without credentials.
        target: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A migration that was already applied has changed since (migrations are immutable).
    #[error(
        "migration {component}/{version} ({name}) was changed after it was applied; migrations are immutable, add a new one"
    )]
    MigrationDrift {
        /// The component owning the migration.
        component: String,
        /// Its version.
        version: i64,
        /// Its name.
        name: String,
    },
    /// The database holds migrations this binary does not know: it is newer than the binary.
    #[error(
        "the database has migration {component}/{version} that this binary does not know; upgrade Custodian"
    )]
    DatabaseNewer {
        /// The component.
        component: String,
        /// The unknown version.
        version: i64,
    },
    /// A migration failed to apply; nothing of it was kept.
    #[error("migration {component}/{version} ({name}) failed: {source}")]
    MigrationFailed {
        /// The component.
        component: String,
        /// The version.
        version: i64,
        /// The migration's name.
        name: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Any other driver error.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

impl DbError {
    /// Whether the error means the database was unreachable (a 503 rather than a 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            DbError::Connect { .. }
                | DbError::Sqlx(
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
                )
        )
    }
}

/// Whether a driver error is a violation of a `UNIQUE` or primary-key constraint.
///
/// Uniqueness lives in the database; callers map this to their own domain error.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}
