//! Forced resets in set-based SQL: the cohort is staged in `guard_reset_members`, then marked in
//! batches (one transaction each: events, compromise marks, member marks), then given reset codes
//! in batches. Each step only touches members not yet done, so a re-run after a crash resumes.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row};

use super::{Store, placeholders};
use crate::error::GuardError;
use crate::types::AccountId;

/// A batch of cohort members, in `seq` order.
#[derive(Debug, Clone)]
pub(crate) struct MemberBatch {
    pub(crate) first_seq: i64,
    pub(crate) last_seq: i64,
    pub(crate) accounts: Vec<String>,
}

fn batch_from(rows: &[sqlx::any::AnyRow]) -> Result<Option<MemberBatch>, GuardError> {
    let mut seqs = Vec::with_capacity(rows.len());
    let mut accounts = Vec::with_capacity(rows.len());
    for r in rows {
        seqs.push(r.try_get::<i64, _>(0)?);
        accounts.push(r.try_get::<String, _>(1)?);
    }
    Ok(match (seqs.first(), seqs.last()) {
        (Some(f), Some(l)) => Some(MemberBatch {
            first_seq: *f,
            last_seq: *l,
            accounts,
        }),
        _ => None,
    })
}

impl Store {
    /// Creates the reset, or checks that an existing one of that name has the same settings.
    pub(crate) async fn create_reset(
        &self,
        name: &str,
        kinds: &str,
        code_ttl_secs: i64,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "INSERT INTO guard_resets (name, kinds, code_ttl_secs, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(kinds)
        .bind(code_ttl_secs)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query("SELECT kinds, code_ttl_secs FROM guard_resets WHERE name = $1")
            .bind(name)
            .fetch_one(self.db.pool())
            .await?;
        let (k, t): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        if k != kinds || t != code_ttl_secs {
            return Err(GuardError::ResetConflict(name.to_owned()));
        }
        Ok(())
    }

    /// Adds cohort members (duplicates ignored) in multi-row statements.
    pub(crate) async fn stage_members(
        &self,
        name: &str,
        accounts: &[AccountId],
    ) -> Result<u64, GuardError> {
        let mut added = 0;
        for chunk in accounts.chunks(self.batch_rows(1)) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${})", i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO guard_reset_members (reset_name, account_id) VALUES {} \
                 ON CONFLICT (reset_name, account_id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(name);
            for a in chunk {
                q = q.bind(a.as_str());
            }
            added += q.execute(self.db.pool()).await?.rows_affected();
        }
        Ok(added)
    }

    /// The next members not yet marked.
    pub(crate) async fn next_unmarked(
        &self,
        name: &str,
        after: i64,
        limit: i64,
    ) -> Result<Option<MemberBatch>, GuardError> {
        let rows = sqlx::query(
            "SELECT seq, account_id FROM guard_reset_members WHERE reset_name = $1 AND seq > $2 \
             AND marked_at IS NULL ORDER BY seq LIMIT $3",
        )
        .bind(name)
        .bind(after)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        batch_from(&rows)
    }

    /// Marks a batch's credentials of the given kinds compromised, with one event per account
    /// that had one, in one transaction. Returns those accounts.
    pub(crate) async fn mark_batch(
        &self,
        name: &str,
        batch: &MemberBatch,
        kinds: &[&str],
        now: Timestamp,
    ) -> Result<Vec<String>, GuardError> {
        let kinds_in = placeholders(5, kinds.len());
        let members = "SELECT account_id FROM guard_reset_members WHERE reset_name = $1 \
                       AND seq >= $2 AND seq <= $3 AND marked_at IS NULL";
        let events = format!(
            "INSERT INTO guard_events (at, last_at, count, account_id, kind, outcome, channel, source, \
             network, device, detail) SELECT $4, $4, 1, m.account_id, 'forced_reset', 'compromised', \
             '', '', '', '', $1 FROM guard_reset_members m WHERE m.reset_name = $1 AND m.seq >= $2 \
             AND m.seq <= $3 AND m.marked_at IS NULL AND EXISTS (SELECT 1 FROM guard_credentials c \
             WHERE c.account_id = m.account_id AND c.kind IN ({kinds_in}))"
        );
        let creds = format!(
            "UPDATE guard_credentials SET compromised_at = COALESCE(compromised_at, $4), reset_name = $1 \
             WHERE kind IN ({kinds_in}) AND account_id IN ({members}) RETURNING account_id"
        );
        let mark = "UPDATE guard_reset_members SET marked_at = $4 WHERE reset_name = $1 \
                    AND seq >= $2 AND seq <= $3 AND marked_at IS NULL";
        let mut tx = self.db.pool().begin().await?;
        let mut affected = Vec::new();
        for sql in [events.as_str(), creds.as_str()] {
            let mut q = sqlx::query(sql)
                .bind(name)
                .bind(batch.first_seq)
                .bind(batch.last_seq)
                .bind(now.0);
            for k in kinds {
                q = q.bind(*k);
            }
            if sql == creds {
                for r in q.fetch_all(&mut *tx).await? {
                    affected.push(r.try_get::<String, _>(0)?);
                }
            } else {
                q.execute(&mut *tx).await?;
            }
        }
        sqlx::query(mark)
            .bind(name)
            .bind(batch.first_seq)
            .bind(batch.last_seq)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // An account with both a PIN and a password comes back twice.
        affected.sort_unstable();
        affected.dedup();
        Ok(affected)
    }

    /// The next marked members still owed a reset code (whose credential is still under this
    /// reset: a customer who already set a new secret is owed nothing).
    pub(crate) async fn next_unnotified(
        &self,
        name: &str,
        after: i64,
        limit: i64,
    ) -> Result<Option<MemberBatch>, GuardError> {
        let rows = sqlx::query(
            "SELECT m.seq, m.account_id FROM guard_reset_members m WHERE m.reset_name = $1 \
             AND m.seq > $2 AND m.marked_at IS NOT NULL AND m.notified_at IS NULL AND EXISTS \
             (SELECT 1 FROM guard_credentials c WHERE c.account_id = m.account_id AND c.reset_name = $1) \
             ORDER BY m.seq LIMIT $3",
        )
        .bind(name)
        .bind(after)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        batch_from(&rows)
    }

    /// Stores reset codes for `accounts` of a batch, retiring the batch's earlier live reset
    /// codes.
    pub(crate) async fn store_reset_codes(
        &self,
        name: &str,
        batch: &MemberBatch,
        accounts: &[String],
        digests: &[Vec<u8>],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "UPDATE guard_codes SET used_at = $4 WHERE purpose = 'reset' AND used_at IS NULL \
             AND account_id IN (SELECT account_id FROM guard_reset_members WHERE reset_name = $1 \
             AND seq >= $2 AND seq <= $3)",
        )
        .bind(name)
        .bind(batch.first_seq)
        .bind(batch.last_seq)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        let pairs: Vec<(&String, &Vec<u8>)> = accounts.iter().zip(digests).collect();
        for chunk in pairs.chunks(self.batch_rows(2)) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, 'reset', '', ${}, $1, $2, $3)", 4 + 2 * i, 5 + 2 * i))
                .collect();
            let sql = format!(
                "INSERT INTO guard_codes (account_id, purpose, subject, code_hash, created_at, \
                 expires_at, reset_name) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(now.0).bind(expires_at.0).bind(name);
            for (a, d) in chunk {
                q = q.bind(a.as_str()).bind((*d).clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks a batch's members as having been handed their codes (the same members
    /// [`Store::next_unnotified`] returned: the same predicate over the batch's range).
    pub(crate) async fn mark_notified(
        &self,
        name: &str,
        batch: &MemberBatch,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "UPDATE guard_reset_members SET notified_at = $4 WHERE reset_name = $1 AND seq >= $2 \
             AND seq <= $3 AND marked_at IS NOT NULL AND notified_at IS NULL AND EXISTS \
             (SELECT 1 FROM guard_credentials c WHERE c.account_id = guard_reset_members.account_id \
             AND c.reset_name = $1)",
        )
        .bind(name)
        .bind(batch.first_seq)
        .bind(batch.last_seq)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Members, marked members, members handed a code, and members with a credential under the
    /// reset.
    pub(crate) async fn reset_counts(&self, name: &str) -> Result<[i64; 4], GuardError> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(marked_at), COUNT(notified_at), \
             (SELECT COUNT(DISTINCT account_id) FROM guard_credentials WHERE reset_name = $1) \
             FROM guard_reset_members WHERE reset_name = $1",
        )
        .bind(name)
        .fetch_one(self.db.pool())
        .await?;
        Ok([r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?])
    }

    pub(crate) async fn finish_reset(&self, name: &str, now: Timestamp) -> Result<(), GuardError> {
        sqlx::query(
            "UPDATE guard_resets SET finished_at = COALESCE(finished_at, $2) WHERE name = $1",
        )
        .bind(name)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
