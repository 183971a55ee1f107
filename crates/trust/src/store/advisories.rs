//! Advisories and their revisions in storage. A revision bumps the version with a guarded update
//! and writes the revision row in the same transaction.

use custodian_db::sqlx::{self, Row, any::AnyRow};
use custodian_db::{Timestamp, is_unique_violation};

use super::Store;
use crate::advisory::Advisory;
use crate::error::TrustError;
use crate::types::{AdvisoryKind, Topic};

const COLUMNS: &str = "id, slug, kind, topic, title, summary, body_md, cvss_vector, incident_id, \
     lookup_url, version, published_at, updated_at";

fn advisory(r: &AnyRow) -> Result<Advisory, TrustError> {
    let kind: String = r.try_get(2)?;
    let topic: String = r.try_get(3)?;
    let published: Option<i64> = r.try_get(11)?;
    Ok(Advisory {
        id: r.try_get(0)?,
        slug: r.try_get(1)?,
        kind: AdvisoryKind::parse(&kind)?,
        topic: Topic::parse(&topic)?,
        title: r.try_get(4)?,
        summary: r.try_get(5)?,
        body_md: r.try_get(6)?,
        cvss_vector: r.try_get(7)?,
        incident_id: r.try_get(8)?,
        lookup_url: r.try_get(9)?,
        version: r.try_get(10)?,
        published_at: published.map(Timestamp),
        updated_at: Timestamp(r.try_get(12)?),
    })
}

impl Store {
    pub(crate) async fn create_advisory(&self, a: &Advisory) -> Result<Advisory, TrustError> {
        let mut tx = self.db.pool().begin().await?;
        let sql = format!(
            "INSERT INTO trust_advisories (slug, kind, topic, title, summary, body_md, cvss_vector, \
             incident_id, lookup_url, version, updated_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&a.slug)
            .bind(a.kind.as_str())
            .bind(a.topic.as_str())
            .bind(&a.title)
            .bind(&a.summary)
            .bind(&a.body_md)
            .bind(a.cvss_vector.clone())
            .bind(a.incident_id.clone())
            .bind(a.lookup_url.clone())
            .bind(a.updated_at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    TrustError::Duplicate("a notice with this slug")
                } else {
                    e.into()
                }
            })?;
        let created = advisory(&row)?;
        sqlx::query(
            "INSERT INTO trust_advisory_revisions (advisory_id, version, summary, body_md, at) \
             VALUES ($1, 1, $2, $3, $4)",
        )
        .bind(created.id)
        .bind(&a.summary)
        .bind(&a.body_md)
        .bind(a.updated_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub(crate) async fn revise_advisory(
        &self,
        slug: &str,
        summary: &str,
        body_md: &str,
        now: Timestamp,
    ) -> Result<Advisory, TrustError> {
        let mut tx = self.db.pool().begin().await?;
        let sql = format!(
            "UPDATE trust_advisories SET summary = $2, body_md = $3, version = version + 1, \
             updated_at = $4 WHERE slug = $1 RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(slug)
            .bind(summary)
            .bind(body_md)
            .bind(now.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(TrustError::NotFound)?;
        let a = advisory(&row)?;
        sqlx::query(
            "INSERT INTO trust_advisory_revisions (advisory_id, version, summary, body_md, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(a.id)
        .bind(a.version)
        .bind(summary)
        .bind(body_md)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    pub(crate) async fn publish_advisory(
        &self,
        slug: &str,
        now: Timestamp,
    ) -> Result<Advisory, TrustError> {
        let sql = format!(
            "UPDATE trust_advisories SET published_at = $2, updated_at = $2 \
             WHERE slug = $1 AND published_at IS NULL RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(slug)
            .bind(now.0)
            .fetch_optional(self.db.pool())
            .await?;
        match row {
            Some(r) => advisory(&r),
            // Either there is no such notice or it is already published.
            None => match self.advisory(slug).await {
                Ok(_) => Err(TrustError::Conflict("this notice is already published")),
                Err(e) => Err(e),
            },
        }
    }

    pub(crate) async fn advisories(
        &self,
        is_published_only: bool,
    ) -> Result<Vec<Advisory>, TrustError> {
        let filter = if is_published_only {
            "WHERE published_at IS NOT NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM trust_advisories {filter} \
             ORDER BY COALESCE(published_at, updated_at) DESC, id DESC"
        );
        let rows = sqlx::query(&sql).fetch_all(self.db.pool()).await?;
        rows.iter().map(advisory).collect()
    }

    pub(crate) async fn advisory(&self, slug: &str) -> Result<Advisory, TrustError> {
        let sql = format!("SELECT {COLUMNS} FROM trust_advisories WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(TrustError::NotFound)?;
        advisory(&row)
    }

    pub(crate) async fn revisions(
        &self,
        id: i64,
    ) -> Result<Vec<(i64, Timestamp, String)>, TrustError> {
        let rows = sqlx::query(
            "SELECT version, at, summary FROM trust_advisory_revisions WHERE advisory_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, Timestamp(r.try_get(1)?), r.try_get(2)?)))
            .collect()
    }
}
