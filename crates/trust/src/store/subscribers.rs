//! Subscribers in storage. The address is `UNIQUE`: a second sign-up finds the row through the
//! constraint (`ON CONFLICT DO NOTHING`), never through a read-then-write check.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row};

use super::Store;
use crate::error::TrustError;
use crate::subscribe::Subscriber;

impl Store {
    /// Inserts a new subscriber; `false` when the address was already known.
    pub(crate) async fn insert_subscriber(
        &self,
        email: &str,
        topics: &str,
        confirm_hash: &str,
        confirm_expires: Timestamp,
        unsub_hash: &str,
        now: Timestamp,
    ) -> Result<bool, TrustError> {
        let done = sqlx::query(
            "INSERT INTO trust_subscribers (email, topics, confirm_hash, confirm_expires_at, \
             unsubscribe_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(email)
        .bind(topics)
        .bind(confirm_hash)
        .bind(confirm_expires.0)
        .bind(unsub_hash)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn is_active_subscriber(&self, email: &str) -> Result<bool, TrustError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM trust_subscribers WHERE email = $1 \
             AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL",
        )
        .bind(email)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// A fresh confirmation for an address that is not active (never confirmed, or unsubscribed).
    pub(crate) async fn renew_confirmation(
        &self,
        email: &str,
        topics: &str,
        confirm_hash: &str,
        expires: Timestamp,
    ) -> Result<(), TrustError> {
        sqlx::query(
            "UPDATE trust_subscribers SET topics = $2, confirm_hash = $3, confirm_expires_at = $4 \
             WHERE email = $1 AND (confirmed_at IS NULL OR unsubscribed_at IS NOT NULL)",
        )
        .bind(email)
        .bind(topics)
        .bind(confirm_hash)
        .bind(expires.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn confirm_subscriber(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<String>, TrustError> {
        let row = sqlx::query(
            "UPDATE trust_subscribers SET confirmed_at = $2, unsubscribed_at = NULL, \
             confirm_hash = NULL, confirm_expires_at = NULL \
             WHERE confirm_hash = $1 AND confirm_expires_at > $2 RETURNING email",
        )
        .bind(hash)
        .bind(now.0)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(crate) async fn subscriber_by_unsubscribe(
        &self,
        hash: &str,
    ) -> Result<Option<(String, bool)>, TrustError> {
        let row = sqlx::query(
            "SELECT email, CAST(CASE WHEN confirmed_at IS NOT NULL AND unsubscribed_at IS NULL THEN 1 ELSE 0 END AS BIGINT) \
             FROM trust_subscribers WHERE unsubscribe_hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(r) => Ok(Some((r.try_get(0)?, r.try_get::<i64, _>(1)? == 1))),
            None => Ok(None),
        }
    }

    pub(crate) async fn unsubscribe(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<String>, TrustError> {
        let row = sqlx::query(
            "UPDATE trust_subscribers SET unsubscribed_at = COALESCE(unsubscribed_at, $2), \
             confirm_hash = NULL WHERE unsubscribe_hash = $1 RETURNING email",
        )
        .bind(hash)
        .bind(now.0)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(crate) async fn active_subscribers(&self, topic: &str) -> Result<Vec<String>, TrustError> {
        let rows = sqlx::query(
            "SELECT email FROM trust_subscribers WHERE confirmed_at IS NOT NULL \
             AND unsubscribed_at IS NULL AND (',' || topics || ',') LIKE $1 ORDER BY id",
        )
        .bind(format!("%,{topic},%"))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub(crate) async fn subscribers(&self) -> Result<Vec<Subscriber>, TrustError> {
        let rows = sqlx::query(
            "SELECT email, topics, confirmed_at, unsubscribed_at FROM trust_subscribers ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let c: Option<i64> = r.try_get(2)?;
                let u: Option<i64> = r.try_get(3)?;
                Ok(Subscriber {
                    email: r.try_get(0)?,
                    topics: r.try_get(1)?,
                    confirmed_at: c.map(Timestamp),
                    unsubscribed_at: u.map(Timestamp),
                })
            })
            .collect()
    }
}
