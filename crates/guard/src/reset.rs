//! Forced resets after a breach (`custodian guard reset --cohort …`): every credential of the
//! cohort is marked compromised, so the old secret stops working at once (it answers
//! `reset_required`, never `ok`), and each affected account gets a one-time reset code delivered
//! through the notifier (integrations revoke sessions on that notice). The customer then sets a
//! new secret with the code, checked against the usual rules, the incident's exposed values and
//! the compromised secret itself.
//!
//! Why codes and not new random PINs: a new PIN must be hashed with Argon2 (≈25 ms each at OWASP
//! parameters, so ≈50 per second on two cores: 850,000 prepaid PINs would take almost five
//! hours), while marking is set-based SQL and a reset code is 80 random bits stored under a keyed
//! SHA-256, microseconds each. A million accounts take well under a minute.
//!
//! The work is resumable: members are staged, then marked in batches (one transaction each),
//! then given codes in batches; each step skips what is done, so a re-run after a crash finishes
//! the job, at worst sending a fresh code to the batch that was in flight.

use std::sync::Arc;

use custodian_db::Timestamp;
use secrecy::SecretString;

use crate::codes::{self, OneTimeCode, PURPOSE_RESET};
use crate::error::GuardError;
use crate::events::{EventKind, NewEvent};
use crate::notify::NoticeKind;
use crate::service::GuardService;
use crate::store::{CodeUse, MemberBatch};
use crate::types::{AccountId, AttemptContext, SecretKind};

/// Which credentials a reset marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetKinds {
    /// PINs only.
    Pin,
    /// Passwords only.
    Password,
    /// Both.
    All,
}

impl ResetKinds {
    fn kinds(self) -> &'static [&'static str] {
        match self {
            ResetKinds::Pin => &["pin"],
            ResetKinds::Password => &["password"],
            ResetKinds::All => &["pin", "password"],
        }
    }
}

/// A forced reset to run.
#[derive(Debug, Clone)]
pub struct ResetPlan {
    /// The reset's name (the incident's label): 1-64 of letters, digits and `._-`. Running the
    /// same name again resumes it.
    pub name: String,
    /// Which credentials.
    pub kinds: ResetKinds,
    /// How long the codes live; the configured default when `None`.
    pub code_ttl_secs: Option<i64>,
}

/// Which step a reset is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetStage {
    /// Loading the cohort.
    Staging,
    /// Marking credentials compromised and delivering reset codes, batch by batch.
    Marking,
    /// Delivering the codes an interrupted run left undelivered.
    Issuing,
}

/// Progress of a reset, reported after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetProgress {
    /// The step.
    pub stage: ResetStage,
    /// Members done in this step.
    pub done: u64,
    /// Members in the cohort.
    pub total: u64,
}

/// What a reset did, in total (over every run of the same name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetReport {
    /// Cohort members.
    pub members: i64,
    /// Members whose credentials are marked compromised under this reset (customers who already
    /// set a new secret no longer count).
    pub compromised: i64,
    /// Members handed a reset code.
    pub codes_delivered: i64,
    /// Codes issued by this run.
    pub codes_issued_now: u64,
}

/// Members per batch.
const BATCH: i64 = 10_000;

fn check_name(name: &str) -> Result<(), GuardError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(GuardError::invalid(
            "name",
            "use 1-64 letters, digits, `.`, `_` or `-`",
        ))
    }
}

impl GuardService {
    /// Runs (or resumes) a forced reset of `cohort`, reporting progress after each batch.
    pub async fn forced_reset(
        &self,
        plan: &ResetPlan,
        cohort: &[AccountId],
        progress: Arc<dyn Fn(ResetProgress) + Send + Sync>,
    ) -> Result<ResetReport, GuardError> {
        check_name(&plan.name)?;
        let ttl = plan
            .code_ttl_secs
            .unwrap_or(self.config().codes.reset_code_ttl_secs);
        if ttl < 1 {
            return Err(GuardError::invalid("code_ttl_secs", "must be positive"));
        }
        let (store, name) = (self.store(), plan.name.as_str());
        let kinds = plan.kinds.kinds();
        store
            .create_reset(name, &kinds.join(","), ttl, self.now())
            .await?;
        let total = cohort.len() as u64;
        progress(ResetProgress {
            stage: ResetStage::Staging,
            done: 0,
            total,
        });
        store.stage_members(name, cohort).await?;
        let [members, ..] = store.reset_counts(name).await?;
        let total = u64::try_from(members).unwrap_or(total);
        // Each batch is marked and then handed its codes, so a normal run reads every member
        // once; the second loop only finds work after an interrupted run.
        let (mut cursor, mut done, mut issued) = (0, 0, 0u64);
        while let Some(b) = store.next_unmarked(name, cursor, BATCH).await? {
            let affected = store.mark_batch(name, &b, kinds, self.now()).await?;
            issued += self.issue_reset_codes(name, &b, &affected, ttl).await?;
            cursor = b.last_seq;
            done += b.accounts.len() as u64;
            progress(ResetProgress {
                stage: ResetStage::Marking,
                done,
                total,
            });
        }
        let mut cursor = 0;
        while let Some(b) = store.next_unnotified(name, cursor, BATCH).await? {
            issued += self.issue_reset_codes(name, &b, &b.accounts, ttl).await?;
            cursor = b.last_seq;
            progress(ResetProgress {
                stage: ResetStage::Issuing,
                done: issued,
                total,
            });
        }
        store.finish_reset(name, self.now()).await?;
        let [members, _, notified, compromised] = store.reset_counts(name).await?;
        Ok(ResetReport {
            members,
            compromised,
            codes_delivered: notified,
            codes_issued_now: issued,
        })
    }

    /// Stores, delivers and marks delivered the reset codes of `accounts` (members of `batch`).
    async fn issue_reset_codes(
        &self,
        name: &str,
        batch: &MemberBatch,
        accounts: &[String],
        ttl: i64,
    ) -> Result<u64, GuardError> {
        let store = self.store();
        let now = self.now();
        let expires_at = now.plus_seconds(ttl);
        let codes: Vec<OneTimeCode> = accounts.iter().map(|_| codes::reset_code()).collect();
        let digests: Vec<Vec<u8>> = accounts
            .iter()
            .zip(&codes)
            .map(|(a, c)| self.inner.mac.code(PURPOSE_RESET, a, c))
            .collect();
        store
            .store_reset_codes(name, batch, accounts, &digests, expires_at, now)
            .await?;
        let notices = accounts
            .iter()
            .zip(codes)
            .map(|(a, code)| {
                let kind = NoticeKind::ResetCode {
                    code,
                    reset: name.to_owned(),
                    expires_at,
                };
                self.notice(a, None, kind)
            })
            .collect();
        self.notify_now(notices).await?;
        store.mark_notified(name, batch, self.now()).await?;
        Ok(accounts.len() as u64)
    }

    /// Sets a new secret with a reset code. The code is spent only if the new secret is
    /// accepted; [`GuardError::BadCode`] when the code is wrong, expired, used or void, and
    /// [`GuardError::Throttled`] after repeated failures for the account.
    pub async fn redeem_reset(
        &self,
        account: &AccountId,
        kind: SecretKind,
        code: &OneTimeCode,
        new: &SecretString,
        ctx: &AttemptContext,
    ) -> Result<(), GuardError> {
        let now = self.now();
        let rule = self.config().limits.pair;
        let scope = format!("rc|{}", account.as_str());
        let charge = self.store().charge_pair(&scope, now, rule).await?;
        if charge.failures > rule.limit {
            return Err(GuardError::Throttled {
                retry_after_secs: crate::limits::retry_after(now, Timestamp(charge.blocked_until)),
            });
        }
        let parsed = self.parse_secret(kind, new)?;
        self.check_new(account, &parsed).await?;
        let digest = self.inner.mac.code(PURPOSE_RESET, account.as_str(), code);
        let max = self.config().codes.reset_code_attempts;
        let used = self
            .store()
            .use_code(account.as_str(), PURPOSE_RESET, "", &digest, max, now)
            .await?;
        if used != CodeUse::Used {
            self.record(
                NewEvent::new(account.as_str(), EventKind::ResetRedeemed, "refused")
                    .with_context(ctx),
            )
            .await?;
            return Err(GuardError::BadCode);
        }
        self.store_new(account, &parsed).await?;
        self.store().clear_windows(&[scope.as_str()]).await?;
        self.record(
            NewEvent::new(account.as_str(), EventKind::ResetRedeemed, "ok")
                .with_context(ctx)
                .with_detail(kind.as_str()),
        )
        .await
    }
}
