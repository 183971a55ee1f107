//! Attestations, documents, access requests, grants and the access log in storage. A decision
//! updates only a `pending` request (one statement that only one racer can win), and its grant is
//! written in the same transaction.

use custodian_db::sqlx::{self, Row, any::AnyRow};
use custodian_db::{Timestamp, is_unique_violation};

use super::Store;
use crate::attest::{AccessRequest, AccessStats, Attestation, Document, Grant, NewAttestation};
use crate::error::TrustError;
use crate::types::Visibility;

/// A checked attestation to insert.
#[derive(Debug, Clone)]
pub(crate) struct AttestationRow {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) issuer: String,
    pub(crate) standard: String,
    pub(crate) scope: String,
    pub(crate) description: String,
    pub(crate) period_start: Timestamp,
    pub(crate) period_end: Timestamp,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) visibility: Visibility,
}

impl From<&NewAttestation> for AttestationRow {
    fn from(a: &NewAttestation) -> Self {
        AttestationRow {
            slug: a.slug.clone(),
            title: a.title.clone(),
            issuer: a.issuer.clone(),
            standard: a.standard.clone(),
            scope: a.scope.clone(),
            description: a.description.clone(),
            period_start: a.period_start,
            period_end: a.period_end,
            issued_at: a.issued_at,
            expires_at: a.expires_at,
            visibility: a.visibility,
        }
    }
}

const COLUMNS: &str = "id, slug, title, issuer, standard, scope, description, period_start, \
     period_end, issued_at, expires_at, visibility, doc_name, doc_type, doc_size";

fn attestation(r: &AnyRow) -> Result<Attestation, TrustError> {
    let name: Option<String> = r.try_get(12)?;
    let ty: Option<String> = r.try_get(13)?;
    let size: Option<i64> = r.try_get(14)?;
    let vis: String = r.try_get(11)?;
    Ok(Attestation {
        id: r.try_get(0)?,
        slug: r.try_get(1)?,
        title: r.try_get(2)?,
        issuer: r.try_get(3)?,
        standard: r.try_get(4)?,
        scope: r.try_get(5)?,
        description: r.try_get(6)?,
        period_start: Timestamp(r.try_get(7)?),
        period_end: Timestamp(r.try_get(8)?),
        issued_at: Timestamp(r.try_get(9)?),
        expires_at: Timestamp(r.try_get(10)?),
        visibility: Visibility::parse(&vis)?,
        document: match (name, ty, size) {
            (Some(n), Some(t), Some(s)) => Some((n, t, s)),
            _ => None,
        },
    })
}

const REQUEST_COLUMNS: &str = "r.id, r.attestation_id, a.title, r.name, r.company, r.email, \
     r.reason, r.nda_version, r.nda_accepted_at, r.ip, r.status, r.decided_by";

fn request(r: &AnyRow) -> Result<AccessRequest, TrustError> {
    Ok(AccessRequest {
        id: r.try_get(0)?,
        attestation_id: r.try_get(1)?,
        attestation_title: r.try_get(2)?,
        name: r.try_get(3)?,
        company: r.try_get(4)?,
        email: r.try_get(5)?,
        reason: r.try_get(6)?,
        nda_version: r.try_get(7)?,
        nda_accepted_at: Timestamp(r.try_get(8)?),
        ip: r.try_get(9)?,
        status: r.try_get(10)?,
        decided_by: r.try_get(11)?,
    })
}

fn grant(r: &AnyRow) -> Result<Grant, TrustError> {
    let revoked: Option<i64> = r.try_get(4)?;
    Ok(Grant {
        id: r.try_get(0)?,
        attestation_id: r.try_get(1)?,
        email: r.try_get(2)?,
        expires_at: Timestamp(r.try_get(3)?),
        revoked_at: revoked.map(Timestamp),
    })
}

impl Store {
    pub(crate) async fn create_attestation(
        &self,
        a: &AttestationRow,
        now: Timestamp,
    ) -> Result<Attestation, TrustError> {
        let sql = format!(
            "INSERT INTO trust_attestations (slug, title, issuer, standard, scope, description, \
             period_start, period_end, issued_at, expires_at, visibility, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&a.slug)
            .bind(&a.title)
            .bind(&a.issuer)
            .bind(&a.standard)
            .bind(&a.scope)
            .bind(&a.description)
            .bind(a.period_start.0)
            .bind(a.period_end.0)
            .bind(a.issued_at.0)
            .bind(a.expires_at.0)
            .bind(a.visibility.as_str())
            .bind(now.0)
            .fetch_one(self.db.pool())
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    TrustError::Duplicate("an attestation with this slug")
                } else {
                    e.into()
                }
            })?;
        attestation(&row)
    }

    pub(crate) async fn set_document(
        &self,
        slug: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<(), TrustError> {
        use sha2::Digest;
        let sum = hex::encode(sha2::Sha256::digest(bytes));
        let done = sqlx::query(
            "UPDATE trust_attestations SET doc_name = $2, doc_type = $3, doc_size = $4, \
             doc_sha256 = $5, doc_bytes = $6 WHERE slug = $1",
        )
        .bind(slug)
        .bind(name)
        .bind(content_type)
        .bind(bytes.len() as i64)
        .bind(sum)
        .bind(bytes.to_vec())
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(TrustError::NotFound);
        }
        Ok(())
    }

    pub(crate) async fn attestations(&self) -> Result<Vec<Attestation>, TrustError> {
        let sql =
            format!("SELECT {COLUMNS} FROM trust_attestations ORDER BY issued_at DESC, id DESC");
        let rows = sqlx::query(&sql).fetch_all(self.db.pool()).await?;
        rows.iter().map(attestation).collect()
    }

    pub(crate) async fn attestation(&self, slug: &str) -> Result<Attestation, TrustError> {
        let sql = format!("SELECT {COLUMNS} FROM trust_attestations WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(TrustError::NotFound)?;
        attestation(&row)
    }

    pub(crate) async fn attestation_by_id(&self, id: i64) -> Result<Attestation, TrustError> {
        let sql = format!("SELECT {COLUMNS} FROM trust_attestations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(TrustError::NotFound)?;
        attestation(&row)
    }

    pub(crate) async fn document(&self, id: i64) -> Result<Document, TrustError> {
        let row = sqlx::query(
            "SELECT doc_name, doc_type, doc_bytes FROM trust_attestations \
             WHERE id = $1 AND doc_bytes IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(TrustError::NotFound)?;
        Ok(Document {
            name: row.try_get(0)?,
            content_type: row.try_get(1)?,
            bytes: row.try_get(2)?,
        })
    }

    pub(crate) async fn log_access(
        &self,
        attestation_id: i64,
        kind: &str,
        grant_id: Option<i64>,
        now: Timestamp,
    ) -> Result<(), TrustError> {
        sqlx::query(
            "INSERT INTO trust_access_log (attestation_id, kind, grant_id, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(attestation_id)
        .bind(kind)
        .bind(grant_id)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn access_stats(&self) -> Result<Vec<AccessStats>, TrustError> {
        let rows = sqlx::query(
            "SELECT a.slug, \
             COALESCE(SUM(CASE WHEN l.kind = 'view' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN l.kind = 'download' THEN 1 ELSE 0 END), 0) \
             FROM trust_attestations a LEFT JOIN trust_access_log l ON l.attestation_id = a.id \
             GROUP BY a.id, a.slug ORDER BY a.slug",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessStats {
                    slug: r.try_get(0)?,
                    views: r.try_get(1)?,
                    downloads: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub(crate) async fn create_request(&self, r: &AccessRequest) -> Result<i64, TrustError> {
        let row = sqlx::query(
            "INSERT INTO trust_access_requests (attestation_id, name, company, email, reason, \
             nda_version, nda_accepted_at, ip, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $7) RETURNING id",
        )
        .bind(r.attestation_id)
        .bind(&r.name)
        .bind(&r.company)
        .bind(&r.email)
        .bind(&r.reason)
        .bind(&r.nda_version)
        .bind(r.nda_accepted_at.0)
        .bind(&r.ip)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn requests(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<AccessRequest>, TrustError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM trust_access_requests r \
             JOIN trust_attestations a ON a.id = r.attestation_id \
             WHERE ($1 = '' OR r.status = $1) ORDER BY r.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(status.unwrap_or(""))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(request).collect()
    }

    pub(crate) async fn approve(
        &self,
        id: i64,
        by: &str,
        token_hash: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<AccessRequest, TrustError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE trust_access_requests SET status = 'approved', decided_by = $2, decided_at = $3 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(by)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(TrustError::NotFound);
        }
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM trust_access_requests r \
             JOIN trust_attestations a ON a.id = r.attestation_id WHERE r.id = $1"
        );
        let req = request(&sqlx::query(&sql).bind(id).fetch_one(&mut *tx).await?)?;
        sqlx::query(
            "INSERT INTO trust_grants (request_id, attestation_id, email, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(req.attestation_id)
        .bind(&req.email)
        .bind(token_hash)
        .bind(expires.0)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(req)
    }

    pub(crate) async fn deny(&self, id: i64, by: &str, now: Timestamp) -> Result<(), TrustError> {
        let done = sqlx::query(
            "UPDATE trust_access_requests SET status = 'denied', decided_by = $2, decided_at = $3 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(by)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(TrustError::NotFound);
        }
        Ok(())
    }

    pub(crate) async fn live_grant(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Grant, TrustError> {
        let row = sqlx::query(
            "SELECT id, attestation_id, email, expires_at, revoked_at FROM trust_grants \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(TrustError::BadLink)?;
        grant(&row)
    }

    pub(crate) async fn grants(&self, attestation_id: i64) -> Result<Vec<Grant>, TrustError> {
        let rows = sqlx::query(
            "SELECT id, attestation_id, email, expires_at, revoked_at FROM trust_grants \
             WHERE attestation_id = $1 ORDER BY id DESC",
        )
        .bind(attestation_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(grant).collect()
    }

    pub(crate) async fn revoke(&self, id: i64, now: Timestamp) -> Result<(), TrustError> {
        let done = sqlx::query(
            "UPDATE trust_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(TrustError::NotFound);
        }
        Ok(())
    }

    pub(crate) async fn add_auto_approve(
        &self,
        domain: &str,
        now: Timestamp,
    ) -> Result<(), TrustError> {
        sqlx::query("INSERT INTO trust_auto_approve (domain, created_at) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING")
            .bind(domain)
            .bind(now.0)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    pub(crate) async fn is_auto_approved(&self, domain: &str) -> Result<bool, TrustError> {
        let row = sqlx::query("SELECT COUNT(*) FROM trust_auto_approve WHERE domain = $1")
            .bind(domain)
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }
}
