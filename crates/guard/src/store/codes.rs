//! One-time codes in storage: issuing one supersedes the live codes of the same purpose and
//! subject; using one charges an attempt first (one statement), then marks it used only if it was
//! still unused (a second statement that only one racer can win).

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row};
use subtle::ConstantTimeEq;

use super::Store;
use crate::error::GuardError;

/// What using a code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeUse {
    /// The code was right and is now spent.
    Used,
    /// The code was wrong; `is_exhausted` when this attempt used up the live code's last try.
    Wrong { is_exhausted: bool },
    /// There is no live code with attempts left.
    NoLiveCode,
}

/// A code to store.
#[derive(Debug)]
pub(crate) struct NewCode<'a> {
    pub(crate) account: &'a str,
    pub(crate) purpose: &'a str,
    pub(crate) subject: &'a str,
    pub(crate) digest: Vec<u8>,
    pub(crate) expires_at: Timestamp,
}

impl Store {
    /// Stores a code after retiring the live ones of the same account, purpose and subject.
    pub(crate) async fn issue_code(
        &self,
        code: &NewCode<'_>,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "UPDATE guard_codes SET used_at = $4 WHERE account_id = $1 AND purpose = $2 \
             AND subject = $3 AND used_at IS NULL",
        )
        .bind(code.account)
        .bind(code.purpose)
        .bind(code.subject)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO guard_codes (account_id, purpose, subject, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code.account)
        .bind(code.purpose)
        .bind(code.subject)
        .bind(code.digest.clone())
        .bind(now.0)
        .bind(code.expires_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses a code: [`CodeUse::Used`] when `digest` matches a live code of the account, purpose
    /// and subject with attempts left, which is then spent. Every call spends an attempt of the
    /// live code first, so guessing in parallel buys nothing.
    pub(crate) async fn use_code(
        &self,
        account: &str,
        purpose: &str,
        subject: &str,
        digest: &[u8],
        max_attempts: i64,
        now: Timestamp,
    ) -> Result<CodeUse, GuardError> {
        let rows = sqlx::query(
            "UPDATE guard_codes SET attempts = attempts + 1 WHERE account_id = $1 AND purpose = $2 \
             AND subject = $3 AND used_at IS NULL AND expires_at > $4 AND attempts < $5 \
             RETURNING id, code_hash, attempts",
        )
        .bind(account)
        .bind(purpose)
        .bind(subject)
        .bind(now.0)
        .bind(max_attempts)
        .fetch_all(self.db.pool())
        .await?;
        let mut outcome = CodeUse::NoLiveCode;
        for r in rows {
            let attempts: i64 = r.try_get(2)?;
            outcome = CodeUse::Wrong {
                is_exhausted: attempts >= max_attempts,
            };
            let stored: Vec<u8> = r.try_get(1)?;
            if bool::from(stored.ct_eq(digest)) {
                let id: i64 = r.try_get(0)?;
                let n = sqlx::query(
                    "UPDATE guard_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                )
                .bind(id)
                .bind(now.0)
                .execute(self.db.pool())
                .await?
                .rows_affected();
                return Ok(if n == 1 {
                    CodeUse::Used
                } else {
                    CodeUse::NoLiveCode
                });
            }
        }
        Ok(outcome)
    }

    /// The live code of a purpose and subject: its expiry and attempts so far.
    pub(crate) async fn live_code(
        &self,
        purpose: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, i64)>, GuardError> {
        let row = sqlx::query(
            "SELECT expires_at, attempts FROM guard_codes WHERE purpose = $1 AND subject = $2 \
             AND subject <> '' AND used_at IS NULL AND expires_at > $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(purpose)
        .bind(subject)
        .bind(now.0)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}
