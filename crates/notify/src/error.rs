//! Errors of the notification campaigns.

use custodian_db::DbError;

/// An error from a campaign operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The principal lacks the permission.
    #[error(transparent)]
    Auth(#[from] custodian_auth::AuthError),
    /// No campaign of that name or id.
    #[error("no campaign {0}")]
    NoCampaign(String),
    /// The request is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The campaign may not start; each line names what is missing.
    #[error("the campaign cannot start:\n  - {}", .0.join("\n  - "))]
    NotReady(Vec<String>),
    /// A template does not parse or render.
    #[error("template {name}: {detail}")]
    Template {
        /// Which template (cohort/channel/language).
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// The vault refused or failed.
    #[error("vault: {0}")]
    Vault(#[from] custodian_vault::VaultError),
    /// The breach engine refused or failed.
    #[error("breach engine: {0}")]
    Breach(#[from] custodian_breach::BreachError),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl From<custodian_db::sqlx::Error> for NotifyError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        NotifyError::Db(DbError::from(e))
    }
}

impl NotifyError {
    pub(crate) fn invalid(s: impl Into<String>) -> Self {
        NotifyError::Invalid(s.into())
    }
}
