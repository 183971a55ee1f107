//! Counters: the per-scope failure windows, the per-account consecutive failures, and the devices
//! an account knows. Each change that decides a lock is one atomic statement.

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row};

use super::{Store, placeholders};
use crate::error::GuardError;
use crate::limits::{SourceRule, Trust, WindowRule};
use crate::types::{AccountId, DeviceId, SecretKind};

/// What charging a pair window found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PairCharge {
    /// Failures in the window including this attempt.
    pub(crate) failures: i64,
    /// When the pair's block ends (0 for none).
    pub(crate) blocked_until: i64,
}

/// An account's consecutive failures after a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AccountCounts {
    /// From any context.
    pub(crate) failures: i64,
    /// From contexts the account does not know.
    pub(crate) untrusted: i64,
}

impl Store {
    /// The scopes among `scopes` blocked at `now`, with their ends.
    pub(crate) async fn active_blocks(
        &self,
        scopes: &[&str],
        now: Timestamp,
    ) -> Result<Vec<(String, i64)>, GuardError> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT scope, blocked_until FROM guard_windows WHERE blocked_until > $1 AND scope IN ({})",
            placeholders(2, scopes.len())
        );
        let mut q = sqlx::query(&sql).bind(now.0);
        for s in scopes {
            q = q.bind(*s);
        }
        let rows = q.fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Whether the device has verified on this account before.
    pub(crate) async fn is_known_device(
        &self,
        account: &AccountId,
        device: &DeviceId,
    ) -> Result<bool, GuardError> {
        let row =
            sqlx::query("SELECT 1 FROM guard_devices WHERE account_id = $1 AND device_id = $2")
                .bind(account.as_str())
                .bind(device.as_str())
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.is_some())
    }

    /// Counts one failure in a pair window (charged before the secret is checked), starting a new
    /// window when the old one has ended; sets the block when the limit is reached.
    pub(crate) async fn charge_pair(
        &self,
        scope: &str,
        now: Timestamp,
        rule: WindowRule,
    ) -> Result<PairCharge, GuardError> {
        let window = rule.window_secs.saturating_mul(1_000_000);
        let first_block = if rule.limit <= 1 { now.0 + window } else { 0 };
        let row = sqlx::query(
            "INSERT INTO guard_windows (scope, failures, successes, accounts, window_start, blocked_until) \
             VALUES ($1, 1, 0, 0, $2, $3) \
             ON CONFLICT (scope) DO UPDATE SET \
             failures = CASE WHEN guard_windows.window_start <= $4 THEN 1 ELSE guard_windows.failures + 1 END, \
             window_start = CASE WHEN guard_windows.window_start <= $4 THEN $2 ELSE guard_windows.window_start END, \
             blocked_until = CASE WHEN guard_windows.window_start <= $4 THEN $3 \
               WHEN guard_windows.failures + 1 >= $5 THEN guard_windows.window_start + $6 \
               ELSE guard_windows.blocked_until END \
             RETURNING failures, blocked_until",
        )
        .bind(scope)
        .bind(now.0)
        .bind(first_block)
        .bind(now.0 - window)
        .bind(rule.limit)
        .bind(window)
        .fetch_one(self.db.pool())
        .await?;
        Ok(PairCharge {
            failures: row.try_get(0)?,
            blocked_until: row.try_get(1)?,
        })
    }

    /// Counts a failure against a source or network (with `new_account` 1 when this is the first
    /// failure of its (account, source) pair) and flags it when the stuffing rule is met. Returns
    /// the flag's end (0 for none).
    pub(crate) async fn charge_source(
        &self,
        scope: &str,
        now: Timestamp,
        rule: SourceRule,
        new_account: i64,
    ) -> Result<i64, GuardError> {
        let window = rule.window_secs.saturating_mul(1_000_000);
        let flag_until = now.plus_seconds(rule.flag_secs).0;
        let row = sqlx::query(
            "INSERT INTO guard_windows (scope, failures, successes, accounts, window_start, blocked_until) \
             VALUES ($1, 1, 0, $3, $2, 0) \
             ON CONFLICT (scope) DO UPDATE SET \
             failures = CASE WHEN guard_windows.window_start <= $4 THEN 1 ELSE guard_windows.failures + 1 END, \
             successes = CASE WHEN guard_windows.window_start <= $4 THEN 0 ELSE guard_windows.successes END, \
             accounts = CASE WHEN guard_windows.window_start <= $4 THEN $3 ELSE guard_windows.accounts + $3 END, \
             window_start = CASE WHEN guard_windows.window_start <= $4 THEN $2 ELSE guard_windows.window_start END, \
             blocked_until = CASE WHEN guard_windows.window_start > $4 \
               AND guard_windows.accounts + $3 >= $5 \
               AND guard_windows.failures + 1 > $6 * guard_windows.successes THEN $7 \
               ELSE guard_windows.blocked_until END \
             RETURNING blocked_until",
        )
        .bind(scope)
        .bind(now.0)
        .bind(new_account)
        .bind(now.0 - window)
        .bind(rule.accounts)
        .bind(rule.failure_ratio)
        .bind(flag_until)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Counts a success from a source or network (what keeps a shared address from being
    /// flagged).
    pub(crate) async fn source_success(
        &self,
        scope: &str,
        now: Timestamp,
        rule: SourceRule,
    ) -> Result<(), GuardError> {
        let window = rule.window_secs.saturating_mul(1_000_000);
        sqlx::query(
            "INSERT INTO guard_windows (scope, failures, successes, accounts, window_start, blocked_until) \
             VALUES ($1, 0, 1, 0, $2, 0) \
             ON CONFLICT (scope) DO UPDATE SET \
             successes = CASE WHEN guard_windows.window_start <= $3 THEN 1 ELSE guard_windows.successes + 1 END, \
             failures = CASE WHEN guard_windows.window_start <= $3 THEN 0 ELSE guard_windows.failures END, \
             accounts = CASE WHEN guard_windows.window_start <= $3 THEN 0 ELSE guard_windows.accounts END, \
             window_start = CASE WHEN guard_windows.window_start <= $3 THEN $2 ELSE guard_windows.window_start END",
        )
        .bind(scope)
        .bind(now.0)
        .bind(now.0 - window)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Forgets pair windows (after a success).
    pub(crate) async fn clear_windows(&self, scopes: &[&str]) -> Result<(), GuardError> {
        if scopes.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM guard_windows WHERE scope IN ({})",
            placeholders(1, scopes.len())
        );
        let mut q = sqlx::query(&sql);
        for s in scopes {
            q = q.bind(*s);
        }
        q.execute(self.db.pool()).await?;
        Ok(())
    }

    /// Counts one consecutive failure against the account before its secret is checked, unless
    /// the account is at its cap for this context; `None` means locked. One statement, so N
    /// parallel attempts count as N and no more than the cap get through.
    pub(crate) async fn charge_account(
        &self,
        account: &AccountId,
        kind: SecretKind,
        trust: Trust,
        (max, untrusted_max): (i64, i64),
        now: Timestamp,
    ) -> Result<Option<AccountCounts>, GuardError> {
        let u = i64::from(trust == Trust::Unknown);
        let row = sqlx::query(
            "INSERT INTO guard_account_attempts (account_id, kind, failures, untrusted, last_failure_at) \
             VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (account_id, kind) DO UPDATE SET \
             failures = guard_account_attempts.failures + 1, \
             untrusted = guard_account_attempts.untrusted + $3, last_failure_at = $4 \
             WHERE guard_account_attempts.failures < $5 AND guard_account_attempts.untrusted + $3 <= $6 \
             RETURNING failures, untrusted",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(u)
        .bind(now.0)
        .bind(max)
        .bind(untrusted_max)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(AccountCounts {
                failures: r.try_get(0)?,
                untrusted: r.try_get(1)?,
            })
        })
        .transpose()
    }

    /// After a right secret: consecutive failures start again. A known device's success leaves
    /// the strangers' count alone, so an attacker's budget does not refill when the owner logs in.
    pub(crate) async fn account_success(
        &self,
        account: &AccountId,
        kind: SecretKind,
        trust: Trust,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "UPDATE guard_account_attempts SET failures = 0, \
             untrusted = CASE WHEN $3 = 1 THEN untrusted ELSE 0 END \
             WHERE account_id = $1 AND kind = $2",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(i64::from(trust == Trust::Known))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Clears an account's counters (after a step-up, a new secret or a reset).
    pub(crate) async fn account_clear(
        &self,
        account: &AccountId,
        kind: SecretKind,
    ) -> Result<(), GuardError> {
        sqlx::query("DELETE FROM guard_account_attempts WHERE account_id = $1 AND kind = $2")
            .bind(account.as_str())
            .bind(kind.as_str())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The account's current consecutive failures.
    pub(crate) async fn account_counts(
        &self,
        account: &AccountId,
        kind: SecretKind,
    ) -> Result<AccountCounts, GuardError> {
        let row = sqlx::query(
            "SELECT failures, untrusted FROM guard_account_attempts WHERE account_id = $1 AND kind = $2",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(match row {
            Some(r) => AccountCounts {
                failures: r.try_get(0)?,
                untrusted: r.try_get(1)?,
            },
            None => AccountCounts::default(),
        })
    }

    /// Remembers a device that verified on the account.
    pub(crate) async fn remember_device(
        &self,
        account: &AccountId,
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        sqlx::query(
            "INSERT INTO guard_devices (account_id, device_id, first_success_at, last_success_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (account_id, device_id) DO UPDATE SET \
             last_success_at = excluded.last_success_at",
        )
        .bind(account.as_str())
        .bind(device.as_str())
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Deletes windows that ended before `before` and are not blocking.
    pub(crate) async fn sweep_windows(&self, before: Timestamp) -> Result<u64, GuardError> {
        let n =
            sqlx::query("DELETE FROM guard_windows WHERE window_start < $1 AND blocked_until < $1")
                .bind(before.0)
                .execute(self.db.pool())
                .await?
                .rows_affected();
        Ok(n)
    }
}
