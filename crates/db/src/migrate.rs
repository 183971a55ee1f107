//! Migrations of every component, applied on start for both backends.
//!
//! Each domain crate owns its schema as a list of [`Migration`]s (SQLite and PostgreSQL text side
//! by side) and hands it over as a [`Component`]. Applied migrations are recorded with a checksum
//! in `schema_migrations`; a landed migration that changes afterwards is refused
//! ([`DbError::MigrationDrift`]), so migrations are immutable in practice, not just by convention.
//! Each migration runs in its own transaction, under a lock, so two processes starting at once
//! apply it once.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::clock::{Clock, SystemClock};
use crate::connect::{Backend, Database};
use crate::error::DbError;

/// One schema change, written for both backends.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Position in the component's history, from 1, never reused.
    pub version: i64,
    /// A short name.
    pub name: &'static str,
    /// The SQL for SQLite (may hold several statements).
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL (may hold several statements).
    pub postgres: &'static str,
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    fn checksum(&self, backend: Backend) -> String {
        hex::encode(Sha256::digest(self.sql(backend).as_bytes()))
    }
}

/// A crate's whole schema history.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// The owning crate's short name (`core`, `vault`, …); part of the migration's key.
    pub name: &'static str,
    /// Its migrations, in version order.
    pub migrations: &'static [Migration],
}

/// Whether the database is at the schema this binary expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStatus {
    /// Every known migration is applied.
    Current,
    /// Some are not applied yet: `component/version` of each.
    Pending(Vec<String>),
}

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, \
     checksum TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (component, version))";

impl Database {
    /// Applies every pending migration of the given components, in order. Safe to call on every
    /// start and from several processes at once; a no-op when the schema is current.
    pub async fn migrate(&self, components: &[Component]) -> Result<usize, DbError> {
        sqlx::query(LEDGER).execute(self.pool()).await?;
        let mut applied = 0;
        for c in components {
            applied += self.migrate_component(c).await?;
        }
        Ok(applied)
    }

    async fn migrate_component(&self, c: &Component) -> Result<usize, DbError> {
        let mut applied = 0;
        for m in c.migrations {
            let mut tx = self.pool().begin().await?;
            self.lock_ledger(&mut tx).await?;
            let row = sqlx::query(
                "SELECT checksum FROM schema_migrations WHERE component = $1 AND version = $2",
            )
            .bind(c.name)
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
            let sum = m.checksum(self.backend());
            if let Some(row) = row {
                let stored: String = row.try_get(0)?;
                if stored != sum {
                    return Err(DbError::MigrationDrift {
                        component: c.name.to_owned(),
                        version: m.version,
                        name: m.name.to_owned(),
                    });
                }
                continue;
            }
            sqlx::raw_sql(m.sql(self.backend()))
                .execute(&mut *tx)
                .await
                .map_err(|source| DbError::MigrationFailed {
                    component: c.name.to_owned(),
                    version: m.version,
                    name: m.name.to_owned(),
                    source,
                })?;
            sqlx::query(
                "INSERT INTO schema_migrations (component, version, name, checksum, applied_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.name)
            .bind(m.version)
            .bind(m.name)
            .bind(sum)
            .bind(SystemClock.now().0)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(
                component = c.name,
                version = m.version,
                name = m.name,
                "migration applied"
            );
            applied += 1;
        }
        self.check_not_newer(c).await?;
        Ok(applied)
    }

    /// Takes the migration lock inside `tx`: an advisory lock on PostgreSQL; on SQLite the first
    /// write of the transaction takes the database's single write lock.
    async fn lock_ledger(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), DbError> {
        let sql = match self.backend() {
            Backend::Postgres => "SELECT pg_advisory_xact_lock(7242091)",
            Backend::Sqlite => "UPDATE schema_migrations SET applied_at = applied_at WHERE 0 = 1",
        };
        sqlx::query(sql).execute(&mut **tx).await?;
        Ok(())
    }

    async fn check_not_newer(&self, c: &Component) -> Result<(), DbError> {
        let max = c.migrations.iter().map(|m| m.version).max().unwrap_or(0);
        let row = sqlx::query("SELECT MAX(version) FROM schema_migrations WHERE component = $1")
            .bind(c.name)
            .fetch_one(self.pool())
            .await?;
        let stored: Option<i64> = row.try_get(0)?;
        match stored {
            Some(v) if v > max => Err(DbError::DatabaseNewer {
                component: c.name.to_owned(),
                version: v,
            }),
            _ => Ok(()),
        }
    }

    /// Which of the given components' migrations are not yet applied (for `/readyz`).
    pub async fn migration_status(
        &self,
        components: &[Component],
    ) -> Result<MigrationStatus, DbError> {
        sqlx::query(LEDGER).execute(self.pool()).await?;
        let rows = sqlx::query("SELECT component, version FROM schema_migrations")
            .fetch_all(self.pool())
            .await?;
        let mut have = std::collections::HashSet::new();
        for r in rows {
            let c: String = r.try_get(0)?;
            let v: i64 = r.try_get(1)?;
            have.insert((c, v));
        }
        let pending: Vec<String> = components
            .iter()
            .flat_map(|c| c.migrations.iter().map(move |m| (c.name, m.version)))
            .filter(|(c, v)| !have.contains(&((*c).to_owned(), *v)))
            .map(|(c, v)| format!("{c}/{v}"))
            .collect();
        Ok(if pending.is_empty() {
            MigrationStatus::Current
        } else {
            MigrationStatus::Pending(pending)
        })
    }
}
