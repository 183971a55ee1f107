//! Verification, in the order that keeps it cheap to refuse and impossible to race:
//!
//! 1. blocks already known in memory refuse at once (no database, no hashing);
//! 2. the device's standing with the account is read;
//! 3. a hashing slot is taken (bounded wait: a busy guard answers "throttled", retry in 1 s,
//!    having read and stored nothing more), so an attempt the guard has no room for costs no
//!    further database work;
//! 4. in one transaction, the stored blocks of the attempt's scopes are read (a blocked scope
//!    refuses, counting nothing, and is remembered in memory so its next attempts stop at step
//!    1), then the failure is counted *before* the secret is checked, in single statements that
//!    refuse when a cap is reached: the (account, source) and (account, device) windows, then
//!    the account's consecutive failures, and the credential is read. N parallel guesses count
//!    as N; no more than the cap get further. A refused attempt gives its slot back at once;
//! 5. the secret is checked against the stored hash, or against a dummy hash of the same cost
//!    when the account has none, so existence does not show in the answer or its timing;
//! 6. a right secret refunds the counts, remembers the device and re-hashes a stale hash; a
//!    wrong one feeds the source and network signals and raises the lock events.

use std::sync::Arc;

use custodian_db::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::GuardError;
use crate::events::{EventKind, NewEvent};
use crate::hash::HashCheck;
use crate::limits::{Applies, Scopes, Trust, retry_after};
use crate::notify::NoticeKind;
use crate::pool::Slot;
use crate::service::GuardService;
use crate::store::{AccountCounts, Charge, ChargeRequest, Credential, Success};
use crate::types::{AccountId, AttemptContext, SecretKind, Verdict};

/// The longest secret accepted for checking, in bytes.
pub const MAX_SECRET_BYTES: usize = 1024;

impl GuardService {
    /// Checks an account's secret. Answers the same for accounts that do not exist (including
    /// throttling and locking, which are counted per account identifier whether or not it is
    /// known), and never says whether a wrong guess hit a locked account.
    pub async fn verify(
        &self,
        account: &AccountId,
        kind: SecretKind,
        secret: &SecretString,
        ctx: &AttemptContext,
    ) -> Result<Verdict, GuardError> {
        if secret.expose_secret().len() > MAX_SECRET_BYTES {
            return Err(GuardError::invalid("secret", "is longer than 1024 bytes"));
        }
        let now = self.now();
        let scopes = Scopes::new(account, kind, ctx);
        if let Some(v) = self.cached_refusal(account, &scopes, ctx, now, None) {
            return Ok(v);
        }
        let trust = match &ctx.device {
            Some(d) if self.store().is_known_device(account, d).await? => Trust::Known,
            _ => Trust::Unknown,
        };
        if let Some(v) = self.cached_refusal(account, &scopes, ctx, now, Some(trust)) {
            return Ok(v);
        }
        // The slot is taken before the counting: an attempt the guard has no room for is
        // refused without a database write (it was neither counted nor checked). The slot
        // bounds what is admitted; only `max_running` of the admitted hash at once.
        let slot = match self.inner.pool.acquire(trust).await {
            Ok(s) => s,
            Err(GuardError::Busy) => {
                self.tally(account, "throttled", "busy", ctx);
                return Ok(Verdict::Throttled {
                    retry_after_secs: 1,
                });
            }
            Err(e) => return Err(e),
        };
        let caps = self.inner.config.limits.caps(kind);
        let pairs = scopes.pairs_for(trust);
        let mut checks = pairs.clone();
        if trust == Trust::Unknown {
            checks.extend(scopes.flags());
        }
        let request = ChargeRequest {
            account,
            kind,
            trust,
            caps,
            checks: &checks,
            pairs: &pairs,
            pair_source: &scopes.pair_source,
            rule: self.inner.config.limits.pair,
        };
        let (counts, is_new_pair, cred) = match self.store().charge_attempt(&request, now).await? {
            Charge::Charged {
                counts,
                is_new_pair,
                credential,
            } => (counts, is_new_pair, credential),
            Charge::Blocked(blocks) => {
                return Ok(self.stored_refusal(account, &scopes, ctx, now, blocks));
            }
            Charge::PairRefused { scope, until } => {
                let applies = scopes.applies(&scope);
                self.inner.blocks.remember(&scope, until, applies);
                self.tally(account, "throttled", "pair", ctx);
                return Ok(Verdict::Throttled {
                    retry_after_secs: retry_after(now, until),
                });
            }
            Charge::Locked => {
                let counts = self.store().account_counts(account, kind).await?;
                let applies = if counts.failures >= caps.0 {
                    Applies::All
                } else {
                    Applies::Unknown
                };
                self.inner
                    .blocks
                    .remember_account_lock(&scopes, now, applies);
                self.tally(account, "locked", kind.as_str(), ctx);
                return Ok(Verdict::Locked);
            }
        };
        let verdict = self
            .check_secret(account, kind, secret, ctx, (cred, slot), trust, &scopes)
            .await?;
        if verdict != Verdict::Ok {
            let attempt = Failure {
                account,
                kind,
                ctx,
                scopes: &scopes,
                trust,
                counts,
                is_new_pair,
                verdict,
            };
            self.on_failure(&attempt, now).await?;
        }
        Ok(verdict)
    }

    fn cached_refusal(
        &self,
        account: &AccountId,
        scopes: &Scopes,
        ctx: &AttemptContext,
        now: Timestamp,
        trust: Option<Trust>,
    ) -> Option<Verdict> {
        let hit = self.inner.blocks.check(scopes, now, trust)?;
        if hit.is_account_lock {
            self.tally(account, "locked", "cached", ctx);
            return Some(Verdict::Locked);
        }
        self.tally(account, "throttled", "cached", ctx);
        Some(Verdict::Throttled {
            retry_after_secs: retry_after(now, hit.until),
        })
    }

    /// Remembers the stored blocks an attempt met and refuses it until the last one ends.
    fn stored_refusal(
        &self,
        account: &AccountId,
        scopes: &Scopes,
        ctx: &AttemptContext,
        now: Timestamp,
        blocks: Vec<(String, i64)>,
    ) -> Verdict {
        let mut until = now.0;
        for (scope, end) in blocks {
            self.inner
                .blocks
                .remember(&scope, Timestamp(end), scopes.applies(&scope));
            until = until.max(end);
        }
        self.tally(account, "throttled", "stored", ctx);
        Verdict::Throttled {
            retry_after_secs: retry_after(now, Timestamp(until)),
        }
    }

    /// Step 5 and the success half of step 6.
    #[allow(clippy::too_many_arguments)] // the attempt's parts, each used once
    async fn check_secret(
        &self,
        account: &AccountId,
        kind: SecretKind,
        secret: &SecretString,
        ctx: &AttemptContext,
        (cred, slot): (Option<Credential>, Slot),
        trust: Trust,
        scopes: &Scopes,
    ) -> Result<Verdict, GuardError> {
        let target = cred
            .as_ref()
            .map_or_else(|| self.inner.dummy.clone(), |c| c.hash.clone());
        let bytes = Arc::new(Zeroizing::new(secret.expose_secret().as_bytes().to_vec()));
        let (hasher, b) = (self.inner.hasher.clone(), bytes.clone());
        let check = self
            .inner
            .pool
            .run(slot, move || hasher.verify(&b, &target))
            .await?;
        let Some(cred) = cred else {
            return Ok(Verdict::Wrong);
        };
        match check {
            HashCheck::NoMatch => Ok(Verdict::Wrong),
            HashCheck::Match { .. } if cred.compromised_at.is_some() => Ok(Verdict::ResetRequired),
            HashCheck::Match { is_stale } => {
                let event = NewEvent::new(account.as_str(), EventKind::Verify, "ok")
                    .with_context(ctx)
                    .with_detail(kind.as_str());
                self.on_success(account, kind, ctx, trust, scopes, &event)
                    .await?;
                if is_stale {
                    let slot = self.inner.pool.acquire(Trust::Known).await?;
                    let hasher = self.inner.hasher.clone();
                    let fresh = self
                        .inner
                        .pool
                        .run(slot, move || hasher.hash(&bytes))
                        .await??;
                    self.store()
                        .rehash(account, kind, &cred.hash.phc, &fresh)
                        .await?;
                    self.record(
                        NewEvent::new(account.as_str(), EventKind::Rehashed, "ok")
                            .with_detail(kind.as_str()),
                    )
                    .await?;
                }
                Ok(Verdict::Ok)
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // the attempt's parts, each used once
    async fn on_success(
        &self,
        account: &AccountId,
        kind: SecretKind,
        ctx: &AttemptContext,
        trust: Trust,
        scopes: &Scopes,
        event: &NewEvent,
    ) -> Result<(), GuardError> {
        let l = &self.inner.config.limits;
        let mut sources = Vec::new();
        if let Some(s) = &scopes.source {
            sources.push((s.as_str(), l.source));
        }
        if let Some(n) = &scopes.network {
            sources.push((n.as_str(), l.network));
        }
        let success = Success {
            account,
            kind,
            trust,
            pairs: &scopes.pairs_for(trust),
            sources: &sources,
            device: ctx.device.as_ref(),
            event,
        };
        self.store().record_success(&success, self.now()).await?;
        self.inner.blocks.forget(&scopes.account);
        Ok(())
    }

    async fn on_failure(&self, f: &Failure<'_>, now: Timestamp) -> Result<(), GuardError> {
        let l = &self.inner.config.limits;
        let mut sources = Vec::new();
        if let Some(s) = &f.scopes.source {
            sources.push((s.as_str(), l.source));
        }
        if let Some(n) = &f.scopes.network {
            sources.push((n.as_str(), l.network));
        }
        let event = NewEvent::new(f.account.as_str(), EventKind::Verify, f.verdict.as_str())
            .with_context(f.ctx)
            .with_detail(f.kind.as_str());
        let new_account = i64::from(f.is_new_pair);
        let flags = self
            .store()
            .record_failure(&sources, new_account, &event, now)
            .await?;
        for ((scope, rule), until) in sources.iter().zip(flags) {
            if until <= now.0 {
                continue;
            }
            self.inner
                .blocks
                .remember(scope, Timestamp(until), Applies::Unknown);
            if until == now.plus_seconds(rule.flag_secs).0 {
                let e = NewEvent::new(f.account.as_str(), EventKind::StuffingFlagged, "flagged")
                    .with_context(f.ctx)
                    .with_detail((*scope).to_owned());
                self.record(e).await?;
            }
        }
        let (max, untrusted_max) = l.caps(f.kind);
        let account = f.account.as_str();
        if f.counts.failures == max {
            let e = NewEvent::new(account, EventKind::SecretDisabled, "locked")
                .with_context(f.ctx)
                .with_detail(f.kind.as_str());
            self.record(e).await?;
            let kind = NoticeKind::SecretDisabled { kind: f.kind };
            self.notify_later(vec![self.notice(account, None, kind)]);
        }
        if f.trust == Trust::Unknown && f.counts.untrusted == untrusted_max {
            let e = NewEvent::new(account, EventKind::UntrustedLocked, "locked")
                .with_context(f.ctx)
                .with_detail(f.kind.as_str());
            self.record(e).await?;
            let sources = self
                .store()
                .failing_sources(account, now.plus_seconds(-86_400))
                .await?;
            // This attempt's own event is already written (with the failure's bookkeeping),
            // so its source is among those counted.
            if sources >= l.distributed_sources {
                let e = NewEvent::new(account, EventKind::DistributedGuessing, "alert")
                    .with_detail(format!("{sources} sources"));
                self.record(e).await?;
            }
        }
        Ok(())
    }

    /// An account's consecutive failures: all contexts, and unknown contexts only.
    pub async fn failure_counts(
        &self,
        account: &AccountId,
        kind: SecretKind,
    ) -> Result<(i64, i64), GuardError> {
        let c = self.store().account_counts(account, kind).await?;
        Ok((c.failures, c.untrusted))
    }
}

/// A failed attempt's facts, for the failure bookkeeping.
struct Failure<'a> {
    account: &'a AccountId,
    kind: SecretKind,
    ctx: &'a AttemptContext,
    scopes: &'a Scopes,
    trust: Trust,
    counts: AccountCounts,
    is_new_pair: bool,
    verdict: Verdict,
}
