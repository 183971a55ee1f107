//! Protected lines, their protection requests (kept at least three years), care sessions, and the
//! effectiveness report's counts.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row};

use super::Store;
use crate::error::GuardError;
use crate::types::{AttemptContext, LockKind};

/// A line as stored.
#[derive(Debug, Clone)]
pub(crate) struct LineRow {
    pub(crate) msisdn: String,
    pub(crate) account: String,
    pub(crate) sim_lock_at: Option<i64>,
    pub(crate) port_lock_at: Option<i64>,
}

/// A protection request as stored.
#[derive(Debug, Clone)]
pub(crate) struct RequestRow {
    pub(crate) id: i64,
    pub(crate) at: i64,
    pub(crate) msisdn: String,
    pub(crate) kind: String,
    pub(crate) decision: String,
    pub(crate) reason: String,
    pub(crate) channel: String,
    pub(crate) requester: String,
    pub(crate) fraud_reported_at: Option<i64>,
}

fn lock_column(kind: LockKind) -> &'static str {
    match kind {
        LockKind::SimChange => "sim_lock_at",
        LockKind::PortOut => "port_lock_at",
    }
}

impl Store {
    pub(crate) async fn upsert_line(
        &self,
        msisdn: &str,
        account: &str,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "INSERT INTO guard_lines (msisdn, account_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (msisdn) DO UPDATE SET account_id = excluded.account_id",
        )
        .bind(msisdn)
        .bind(account)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn find_line(&self, msisdn: &str) -> Result<Option<LineRow>, GuardError> {
        let row = sqlx::query(
            "SELECT msisdn, account_id, sim_lock_at, port_lock_at FROM guard_lines WHERE msisdn = $1",
        )
        .bind(msisdn)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| line_from(&r)).transpose()
    }

    pub(crate) async fn account_lines(&self, account: &str) -> Result<Vec<LineRow>, GuardError> {
        let rows = sqlx::query(
            "SELECT msisdn, account_id, sim_lock_at, port_lock_at FROM guard_lines \
             WHERE account_id = $1 ORDER BY msisdn",
        )
        .bind(account)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(line_from).collect()
    }

    /// Turns a lock on (keeping the first time it was set) or off.
    pub(crate) async fn set_lock(
        &self,
        msisdn: &str,
        kind: LockKind,
        on_since: Option<Timestamp>,
    ) -> Result<(), GuardError> {
        let col = lock_column(kind);
        let on = format!("UPDATE guard_lines SET {col} = COALESCE({col}, $2) WHERE msisdn = $1");
        let off = format!("UPDATE guard_lines SET {col} = NULL WHERE msisdn = $1");
        let q = match on_since {
            Some(t) => sqlx::query(&on).bind(msisdn).bind(t.0),
            None => sqlx::query(&off).bind(msisdn),
        };
        q.execute(self.db.pool()).await?;
        Ok(())
    }

    /// Records a protection request; returns its id.
    #[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
    pub(crate) async fn record_request(
        &self,
        line: &LineRow,
        kind: &str,
        decision: &str,
        reason: &str,
        ctx: &AttemptContext,
        requester: &str,
        now: Timestamp,
    ) -> Result<i64, GuardError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO guard_requests (at, msisdn, account_id, kind, decision, reason, channel, \
             source, device, requester) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(now.0)
        .bind(line.msisdn.as_str())
        .bind(line.account.as_str())
        .bind(kind)
        .bind(decision)
        .bind(reason)
        .bind(ctx.channel.as_str())
        .bind(ctx.source())
        .bind(ctx.device.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default())
        .bind(requester)
        .fetch_one(self.db.pool())
        .await?;
        Ok(id)
    }

    /// The newest requests on an account's lines.
    pub(crate) async fn recent_requests(
        &self,
        account: &str,
        limit: i64,
    ) -> Result<Vec<RequestRow>, GuardError> {
        let rows = sqlx::query(
            "SELECT id, at, msisdn, kind, decision, reason, channel, requester, fraud_reported_at \
             FROM guard_requests WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(account)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RequestRow {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    msisdn: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    decision: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    channel: r.try_get(6)?,
                    requester: r.try_get(7)?,
                    fraud_reported_at: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Marks a request as reported fraudulent by the customer; `false` if there is no such request.
    pub(crate) async fn report_fraud(&self, id: i64, now: Timestamp) -> Result<bool, GuardError> {
        let n = sqlx::query(
            "UPDATE guard_requests SET fraud_reported_at = COALESCE(fraud_reported_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(now.0)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Per (kind, decision, reason): requests and fraud reports in `[from, to)`.
    pub(crate) async fn request_counts(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, String, String, i64, i64)>, GuardError> {
        let rows = sqlx::query(
            "SELECT kind, decision, reason, COUNT(*), COUNT(fraud_reported_at) FROM guard_requests \
             WHERE at >= $1 AND at < $2 GROUP BY kind, decision, reason ORDER BY kind, decision, reason",
        )
        .bind(from.0)
        .bind(to.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }

    /// Lines, and how many have each lock on, as of now.
    pub(crate) async fn lock_counts(&self) -> Result<(i64, i64, i64), GuardError> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(sim_lock_at), COUNT(port_lock_at) FROM guard_lines",
        )
        .fetch_one(self.db.pool())
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    }

    pub(crate) async fn purge_requests(&self, before: Timestamp) -> Result<u64, GuardError> {
        Ok(sqlx::query("DELETE FROM guard_requests WHERE at < $1")
            .bind(before.0)
            .execute(self.db.pool())
            .await?
            .rows_affected())
    }

    pub(crate) async fn create_care_session(
        &self,
        token_hash: &[u8],
        account: &str,
        agent: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "INSERT INTO guard_care_sessions (token_hash, account_id, agent, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_vec())
        .bind(account)
        .bind(agent)
        .bind(now.0)
        .bind(expires_at.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The live session's account, expiry and verification time.
    pub(crate) async fn find_care_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(String, i64, Option<i64>)>, GuardError> {
        let row = sqlx::query(
            "SELECT account_id, expires_at, verified_at FROM guard_care_sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_vec())
        .bind(now.0)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .transpose()
    }

    pub(crate) async fn verify_care_session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query("UPDATE guard_care_sessions SET verified_at = $2 WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .bind(now.0)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

fn line_from(r: &sqlx::any::AnyRow) -> Result<LineRow, GuardError> {
    Ok(LineRow {
        msisdn: r.try_get(0)?,
        account: r.try_get(1)?,
        sim_lock_at: r.try_get(2)?,
        port_lock_at: r.try_get(3)?,
    })
}
