//! All SQL of the Trust Center, written once for SQLite and PostgreSQL (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`), one module per capability.

mod advisories;
mod attest;
mod content;
mod reports;
mod subscribers;

use custodian_db::Database;
use custodian_db::sqlx::{self, Row};

use crate::error::TrustError;

pub(crate) use attest::AttestationRow;
pub(crate) use content::List;
pub(crate) use reports::StateChange;

/// The Trust Center's tables.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) db: Database,
}

impl Store {
    /// The named secret, created with `fresh` on first use (several processes agree on one).
    pub(crate) async fn secret(&self, name: &str, fresh: &str) -> Result<String, TrustError> {
        sqlx::query(
            "INSERT INTO trust_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query("SELECT value FROM trust_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get(0)?)
    }
}
