//! Counters: the per-scope failure windows, the per-account consecutive failures, and the devices
//! an account knows. Each change that decides a lock is one atomic statement.

use custodian_db::sqlx::{self, AnyConnection, Row};
use custodian_db::{Backend, Timestamp};

use super::credentials::find_credential_on;
use super::{Credential, Store, placeholders};
use crate::error::GuardError;
use crate::events::NewEvent;
use crate::limits::{SourceRule, Trust, WindowRule};
use crate::types::{AccountId, DeviceId, SecretKind};

/// What [`Store::charge_attempt`] counts.
#[derive(Debug)]
pub(crate) struct ChargeRequest<'a> {
    pub(crate) account: &'a AccountId,
    pub(crate) kind: SecretKind,
    pub(crate) trust: Trust,
    /// The consecutive-failure cap and its part open to unknown contexts.
    pub(crate) caps: (i64, i64),
    /// The scopes whose stored blocks refuse the attempt before anything is counted: the pairs
    /// and, for an unknown context, the source's and network's stuffing flags.
    pub(crate) checks: &'a [&'a str],
    pub(crate) pairs: &'a [&'a str],
    /// The (account, source) pair, whose first failure marks a new account for the source.
    pub(crate) pair_source: &'a str,
    pub(crate) rule: WindowRule,
}

/// What [`Store::charge_attempt`] decided.
#[derive(Debug, Clone)]
pub(crate) enum Charge {
    /// Scopes of the attempt are blocked, each until its end; nothing was counted.
    Blocked(Vec<(String, i64)>),
    /// A pair window is over its limit until `until`; the account was not charged.
    PairRefused { scope: String, until: Timestamp },
    /// The account is at its cap for this context.
    Locked,
    /// Counted; the secret may be checked against `credential` (read after the charge).
    Charged {
        counts: AccountCounts,
        is_new_pair: bool,
        credential: Option<Credential>,
    },
}

/// What a right secret changes.
#[derive(Debug)]
pub(crate) struct Success<'a> {
    pub(crate) account: &'a AccountId,
    pub(crate) kind: SecretKind,
    pub(crate) trust: Trust,
    pub(crate) pairs: &'a [&'a str],
    pub(crate) sources: &'a [(&'a str, SourceRule)],
    pub(crate) device: Option<&'a DeviceId>,
    pub(crate) event: &'a NewEvent,
}

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

    /// Counts one failure in a pair window (see [`charge_pair_on`]); for the windows of lines,
    /// step-up issuance and reset codes.
    pub(crate) async fn charge_pair(
        &self,
        scope: &str,
        now: Timestamp,
        rule: WindowRule,
    ) -> Result<PairCharge, GuardError> {
        let mut conn = self.db.pool().acquire().await?;
        charge_pair_on(&mut conn, scope, now, rule).await
    }

    /// Counts an attempt before its secret is checked, in one transaction: refuses when one of
    /// the scopes to check is blocked (counting nothing), else counts each pair window (refusing
    /// when one is over its limit), then the account (refusing when it is at its cap for this
    /// context); a charged attempt also reads the credential. One lock acquisition on SQLite;
    /// one round trip on PostgreSQL (`guard_charge`, migration 3).
    pub(crate) async fn charge_attempt(
        &self,
        c: &ChargeRequest<'_>,
        now: Timestamp,
    ) -> Result<Charge, GuardError> {
        if self.db.backend() == Backend::Postgres && c.pairs.len() <= 2 && c.checks.len() <= 4 {
            return self.charge_attempt_pg(c, now).await;
        }
        let mut tx = self.db.begin_write().await?;
        let blocks = active_blocks_on(&mut tx, c.checks, now).await?;
        if !blocks.is_empty() {
            tx.commit().await?;
            return Ok(Charge::Blocked(blocks));
        }
        let mut is_new_pair = false;
        for scope in c.pairs {
            let p = charge_pair_on(&mut tx, scope, now, c.rule).await?;
            if p.failures > c.rule.limit {
                tx.commit().await?;
                return Ok(Charge::PairRefused {
                    scope: (*scope).to_owned(),
                    until: Timestamp(p.blocked_until),
                });
            }
            if *scope == c.pair_source {
                is_new_pair = p.failures == 1;
            }
        }
        let counts = charge_account_on(&mut tx, c.account, c.kind, c.trust, c.caps, now).await?;
        let charge = match counts {
            Some(counts) => Charge::Charged {
                counts,
                is_new_pair,
                credential: find_credential_on(&mut tx, c.account, c.kind).await?,
            },
            None => Charge::Locked,
        };
        tx.commit().await?;
        Ok(charge)
    }

    /// [`Store::charge_attempt`] through `guard_charge`: the same statements in the same order
    /// (an attempt has at most two pair windows, (account, source) and (account, device), and
    /// at most four scopes to check: those and the source's and network's flags).
    async fn charge_attempt_pg(
        &self,
        c: &ChargeRequest<'_>,
        now: Timestamp,
    ) -> Result<Charge, GuardError> {
        let pair = |i: usize| c.pairs.get(i).copied();
        let check = |i: usize| c.checks.get(i).copied();
        let w = PairWindow::new(c.rule, now);
        let (max, untrusted_max) = c.caps;
        let row = sqlx::query(
            "SELECT r_refused_scope, r_refused_until, r_pair1_failures, r_pair2_failures, \
             r_charged, r_failures, r_untrusted, r_phc, r_pepper_id, r_compromised_at, \
             r_blocked1, r_blocked2, r_blocked3, r_blocked4 \
             FROM guard_charge($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16)",
        )
        .bind(check(0))
        .bind(check(1))
        .bind(check(2))
        .bind(check(3))
        .bind(pair(0))
        .bind(pair(1))
        .bind(now.0)
        .bind(w.first_block)
        .bind(w.floor)
        .bind(c.rule.limit)
        .bind(w.window)
        .bind(c.account.as_str())
        .bind(c.kind.as_str())
        .bind(i64::from(c.trust == Trust::Unknown))
        .bind(max)
        .bind(untrusted_max)
        .fetch_one(self.db.pool())
        .await?;
        let mut blocks = Vec::new();
        for (i, scope) in c.checks.iter().enumerate() {
            if let Some(until) = row.try_get::<Option<i64>, _>(10 + i)? {
                blocks.push(((*scope).to_owned(), until));
            }
        }
        if !blocks.is_empty() {
            return Ok(Charge::Blocked(blocks));
        }
        if let Some(scope) = row.try_get::<Option<String>, _>(0)? {
            return Ok(Charge::PairRefused {
                scope,
                until: Timestamp(row.try_get(1)?),
            });
        }
        if !row.try_get::<bool, _>(4)? {
            return Ok(Charge::Locked);
        }
        let mut is_new_pair = false;
        for (i, scope) in c.pairs.iter().enumerate() {
            if *scope == c.pair_source {
                is_new_pair = row.try_get::<Option<i64>, _>(2 + i)? == Some(1);
            }
        }
        let credential = match row.try_get::<Option<String>, _>(7)? {
            Some(phc) => Some(Credential::from_row(phc, row.try_get(8)?, row.try_get(9)?)),
            None => None,
        };
        Ok(Charge::Charged {
            counts: AccountCounts {
                failures: row.try_get(5)?,
                untrusted: row.try_get(6)?,
            },
            is_new_pair,
            credential,
        })
    }

    /// A wrong secret's bookkeeping in one transaction: each source and network counts the
    /// failure (and is flagged when the stuffing rule is met), and the verification's event is
    /// written. Returns each source's flag end (0 for none), in order.
    pub(crate) async fn record_failure(
        &self,
        sources: &[(&str, SourceRule)],
        new_account: i64,
        event: &NewEvent,
        now: Timestamp,
    ) -> Result<Vec<i64>, GuardError> {
        let mut tx = self.db.pool().begin().await?;
        let mut flags = Vec::with_capacity(sources.len());
        for (scope, rule) in sources {
            flags.push(charge_source_on(&mut tx, scope, now, *rule, new_account).await?);
        }
        super::events::insert_event_on(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(flags)
    }

    /// Forgets pair windows (after a success, or a line's or code's window after its success).
    pub(crate) async fn clear_windows(&self, scopes: &[&str]) -> Result<(), GuardError> {
        let mut conn = self.db.pool().acquire().await?;
        clear_windows_on(&mut conn, scopes).await
    }

    /// A right secret's bookkeeping in one transaction (one commit instead of six): consecutive
    /// failures start again, the pair windows are refunded, the source and network count a
    /// success, the device is remembered, and the verification's event is written. One round
    /// trip on PostgreSQL (`guard_success`, migration 3).
    pub(crate) async fn record_success(
        &self,
        s: &Success<'_>,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        if self.db.backend() == Backend::Postgres && s.pairs.len() <= 2 && s.sources.len() <= 2 {
            return self.record_success_pg(s, now).await;
        }
        // Pairs before the account, the order charge_attempt locks them in.
        let mut tx = self.db.pool().begin().await?;
        clear_windows_on(&mut tx, s.pairs).await?;
        account_success_on(&mut tx, s.account, s.kind, s.trust).await?;
        for (scope, rule) in s.sources {
            source_success_on(&mut tx, scope, now, *rule).await?;
        }
        if let Some(d) = s.device {
            remember_device_on(&mut tx, s.account, d, now).await?;
        }
        super::events::insert_event_on(&mut tx, s.event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::record_success`] through `guard_success`: the same statements in the same order
    /// (at most two pair windows and two sources: the address and its network).
    async fn record_success_pg(&self, s: &Success<'_>, now: Timestamp) -> Result<(), GuardError> {
        let pair = |i: usize| s.pairs.get(i).copied();
        let source = |i: usize| s.sources.get(i).map(|(scope, _)| *scope);
        let floor = |i: usize| {
            s.sources
                .get(i)
                .map_or(0, |(_, rule)| source_window_floor(*rule, now))
        };
        let q = sqlx::query(
            "SELECT 1 FROM guard_success($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(pair(0))
        .bind(pair(1))
        .bind(s.account.as_str())
        .bind(s.kind.as_str())
        .bind(i64::from(s.trust == Trust::Known))
        .bind(source(0))
        .bind(floor(0))
        .bind(source(1))
        .bind(floor(1))
        .bind(now.0)
        .bind(s.device.map(DeviceId::as_str));
        super::events::bind_event(q, s.event)
            .fetch_one(self.db.pool())
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

/// The scopes among `scopes` blocked at `now`, with their ends.
async fn active_blocks_on(
    conn: &mut AnyConnection,
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
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// A pair window's figures for a charge at `now`, in microseconds.
struct PairWindow {
    /// The window's length.
    window: i64,
    /// Windows that started at or before this have ended.
    floor: i64,
    /// The block a new window starts with (a limit of one blocks at the first failure).
    first_block: i64,
}

impl PairWindow {
    fn new(rule: WindowRule, now: Timestamp) -> PairWindow {
        let window = rule.window_secs.saturating_mul(1_000_000);
        PairWindow {
            window,
            floor: now.0 - window,
            first_block: if rule.limit <= 1 { now.0 + window } else { 0 },
        }
    }
}

/// A source window that started at or before this (in microseconds) has ended at `now`.
fn source_window_floor(rule: SourceRule, now: Timestamp) -> i64 {
    now.0 - rule.window_secs.saturating_mul(1_000_000)
}

/// After a right secret: consecutive failures start again. A known device's success leaves
/// the strangers' count alone, so an attacker's budget does not refill when the owner logs in.
pub(crate) async fn account_success_on(
    conn: &mut AnyConnection,
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts a success from a source or network (what keeps a shared address from being
/// flagged).
pub(crate) async fn source_success_on(
    conn: &mut AnyConnection,
    scope: &str,
    now: Timestamp,
    rule: SourceRule,
) -> Result<(), GuardError> {
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
    .bind(source_window_floor(rule, now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Remembers a device that verified on the account.
pub(crate) async fn remember_device_on(
    conn: &mut AnyConnection,
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets windows.
pub(crate) async fn clear_windows_on(
    conn: &mut AnyConnection,
    scopes: &[&str],
) -> Result<(), GuardError> {
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
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Counts one failure in a pair window (charged before the secret is checked), starting a new
/// window when the old one has ended; sets the block when the limit is reached.
pub(crate) async fn charge_pair_on(
    conn: &mut AnyConnection,
    scope: &str,
    now: Timestamp,
    rule: WindowRule,
) -> Result<PairCharge, GuardError> {
    let w = PairWindow::new(rule, now);
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
    .bind(w.first_block)
    .bind(w.floor)
    .bind(rule.limit)
    .bind(w.window)
    .fetch_one(&mut *conn)
    .await?;
    Ok(PairCharge {
        failures: row.try_get(0)?,
        blocked_until: row.try_get(1)?,
    })
}

/// Counts a failure against a source or network (with `new_account` 1 when this is the first
/// failure of its (account, source) pair) and flags it when the stuffing rule is met. Returns
/// the flag's end (0 for none).
pub(crate) async fn charge_source_on(
    conn: &mut AnyConnection,
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
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Counts one consecutive failure against the account before its secret is checked, unless
/// the account is at its cap for this context; `None` means locked. One statement, so N
/// parallel attempts count as N and no more than the cap get through.
pub(crate) async fn charge_account_on(
    conn: &mut AnyConnection,
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
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(AccountCounts {
            failures: r.try_get(0)?,
            untrusted: r.try_get(1)?,
        })
    })
    .transpose()
}
