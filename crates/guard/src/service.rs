//! The guard's service: configuration, construction, and the operations on secrets other than
//! verification (setting, changing, step-up codes, unlocking, exposed values, imports, events,
//! housekeeping). Verification is in `verify.rs`, lines and care in `protect.rs` and `care.rs`,
//! forced resets in `reset.rs`; all are methods of [`GuardService`].

use std::sync::Arc;
use std::time::Duration;

use custodian_db::{Clock, Database, Timestamp};
use custodian_vault::types::{Phone, Pin, PinPolicy};
use secrecy::{ExposeSecret, SecretString};

use crate::codes::{self, CodeMac, OneTimeCode, StepUpPurpose};
use crate::error::GuardError;
use crate::events::{Event, EventKind, EventQuery, FLUSH_EVERY, NewEvent, Tally};
use crate::facts::PersonalFacts;
use crate::hash::{HashCheck, HashParams, Hasher, Pepper, StoredHash};
use crate::limits::{BlockCache, LimitConfig, Scopes, Trust, WindowRule};
use crate::notify::{Notice, NoticeKind, Notifier};
use crate::pool::{HashPool, HashingConfig};
use crate::store::{CodeUse, NewCode, Store};
use crate::types::{AccountId, AttemptContext, SecretKind, Verdict};
use crate::weak::{NewSecret, Password, PasswordPolicy, WeakReason};

/// The shortest retention of protection records and events: three years (FCC 2023 order).
pub const MIN_RETENTION_SECS: i64 = 1096 * 86_400;

/// Lifetimes and attempt caps of one-time codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeConfig {
    /// How long a step-up code lives (default 10 minutes).
    pub step_up_ttl_secs: i64,
    /// Wrong tries a step-up code survives (default 3).
    pub step_up_attempts: i64,
    /// How many step-up codes one account may be sent per window (stops notification floods).
    pub step_up_issue: WindowRule,
    /// How long a Number Transfer PIN lives (default 7 days).
    pub transfer_pin_ttl_secs: i64,
    /// Wrong tries a transfer PIN survives before it is void and the customer alerted.
    pub transfer_pin_attempts: i64,
    /// How long a forced-reset code lives (default 30 days).
    pub reset_code_ttl_secs: i64,
    /// Wrong tries a reset code survives.
    pub reset_code_attempts: i64,
}

impl Default for CodeConfig {
    fn default() -> Self {
        CodeConfig {
            step_up_ttl_secs: 600,
            step_up_attempts: 3,
            step_up_issue: WindowRule {
                limit: 5,
                window_secs: 900,
            },
            transfer_pin_ttl_secs: 7 * 86_400,
            transfer_pin_attempts: 3,
            reset_code_ttl_secs: 30 * 86_400,
            reset_code_attempts: 5,
        }
    }
}

/// Everything configurable about the guard; [`Default`] is the recommended setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Argon2id parameters for new hashes (OWASP by default).
    pub hash: HashParams,
    /// Accepted PIN lengths (6 to 15 by default).
    pub pin_policy: PinPolicy,
    /// Accepted password lengths.
    pub password_policy: PasswordPolicy,
    /// Attempt limits.
    pub limits: LimitConfig,
    /// Hashing concurrency.
    pub hashing: HashingConfig,
    /// One-time codes.
    pub codes: CodeConfig,
    /// How long protection records and events are kept (at least [`MIN_RETENTION_SECS`]).
    pub retention_secs: i64,
    /// How long a care session lasts.
    pub care_session_secs: i64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            hash: HashParams::OWASP,
            pin_policy: PinPolicy::default(),
            password_policy: PasswordPolicy::default(),
            limits: LimitConfig::default(),
            hashing: HashingConfig::default(),
            codes: CodeConfig::default(),
            retention_secs: MIN_RETENTION_SECS,
            care_session_secs: 30 * 60,
        }
    }
}

impl GuardConfig {
    /// Checks every part.
    pub fn validate(&self) -> Result<(), GuardError> {
        self.limits.validate()?;
        self.hashing.validate()?;
        if self.retention_secs < MIN_RETENTION_SECS {
            return Err(GuardError::Config(
                "retention must be at least three years (FCC 2023 order)".into(),
            ));
        }
        let c = &self.codes;
        let positive = [
            c.step_up_ttl_secs,
            c.step_up_attempts,
            c.step_up_issue.limit,
            c.transfer_pin_attempts,
            c.reset_code_ttl_secs,
            c.reset_code_attempts,
            self.care_session_secs,
        ];
        if positive.iter().any(|v| *v < 1) || !(1..=7 * 86_400).contains(&c.transfer_pin_ttl_secs) {
            return Err(GuardError::Config(
                "code lifetimes and attempts must be positive; transfer PINs live at most 7 days"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// What the guard needs from the rest of the system.
pub struct GuardDeps {
    /// Peppers, oldest first; the last peppers new hashes. Empty for none.
    pub peppers: Vec<Pepper>,
    /// The account's personal facts, for refusing secrets built from them.
    pub facts: Arc<dyn PersonalFacts>,
    /// Delivers notices to customers.
    pub notifier: Arc<dyn Notifier>,
}

/// The guard: checks and sets customer secrets, limits attempts, protects lines, runs resets.
/// Cheap to clone (one shared state).
#[derive(Clone)]
pub struct GuardService {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: GuardConfig,
    pub(crate) hasher: Arc<Hasher>,
    pub(crate) dummy: StoredHash,
    pub(crate) pool: HashPool,
    pub(crate) mac: CodeMac,
    pub(crate) facts: Arc<dyn PersonalFacts>,
    pub(crate) notifier: Arc<dyn Notifier>,
    pub(crate) blocks: BlockCache,
    pub(crate) tally: Tally,
}

impl std::fmt::Debug for GuardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardService")
            .field("hash", &self.inner.config.hash)
            .finish_non_exhaustive()
    }
}

impl GuardService {
    /// A guard over `db` (migrated with [`crate::COMPONENT`]). Computes the dummy hash that
    /// unknown accounts are checked against, so construction costs one Argon2 evaluation.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        config: GuardConfig,
        deps: GuardDeps,
    ) -> Result<GuardService, GuardError> {
        config.validate()?;
        let hasher = Arc::new(Hasher::new(config.hash, deps.peppers));
        let dummy = hasher.dummy()?;
        let wipe_when_idle: crate::pool::OnIdle = {
            let h = Arc::clone(&hasher);
            Arc::new(move || h.wipe_kept())
        };
        let mac = CodeMac::new(hasher.current_pepper());
        Ok(GuardService {
            inner: Arc::new(Inner {
                store: Store::new(db),
                clock,
                pool: HashPool::new(config.hashing, Some(&wipe_when_idle))?,
                config,
                hasher,
                dummy,
                mac,
                facts: deps.facts,
                notifier: deps.notifier,
                blocks: BlockCache::default(),
                tally: Tally::default(),
            }),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &GuardConfig {
        &self.inner.config
    }

    /// The hasher (for benchmarks and metrics: [`Hasher::evaluations`]).
    pub fn hasher(&self) -> &Hasher {
        &self.inner.hasher
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) async fn record(&self, e: NewEvent) -> Result<(), GuardError> {
        self.inner.store.insert_event(&e, self.now()).await
    }

    /// Counts a refused attempt in memory. The first count after a flush schedules the next
    /// one [`FLUSH_EVERY`] later, so counts reach the database within about a second and a
    /// flood causes at most one batched write a second.
    pub(crate) fn tally(
        &self,
        account: &AccountId,
        outcome: &'static str,
        detail: &'static str,
        ctx: &AttemptContext,
    ) {
        self.inner
            .tally
            .add(account, outcome, detail, ctx, self.now());
        if !self.inner.tally.schedule() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FLUSH_EVERY).await;
                me.inner.tally.unschedule();
                match me.flush_events().await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "writing refused-attempt events failed; retrying");
                        // The counts were put back; retry unless a newer count scheduled it.
                        if !me.inner.tally.schedule() {
                            break;
                        }
                    }
                }
            }
        });
    }

    /// Sends notices without making the caller wait (for alerts that must not change timing).
    pub(crate) fn notify_later(&self, notices: Vec<Notice>) {
        let notifier = self.inner.notifier.clone();
        tokio::spawn(async move {
            if let Err(e) = notifier.send(&notices).await {
                tracing::error!(error = %e, "a guard alert could not be queued");
            }
        });
    }

    pub(crate) async fn notify_now(&self, notices: Vec<Notice>) -> Result<(), GuardError> {
        self.inner.notifier.send(&notices).await
    }

    pub(crate) fn notice(&self, account: &str, line: Option<&Phone>, kind: NoticeKind) -> Notice {
        Notice {
            account: AccountId::from_stored(account),
            avoid_line: line.cloned(),
            kind,
            at: self.now(),
        }
    }

    /// Parses a new secret of `kind` under the configured policies.
    pub fn parse_secret(
        &self,
        kind: SecretKind,
        secret: &SecretString,
    ) -> Result<NewSecret, GuardError> {
        let text = secret.expose_secret();
        Ok(match kind {
            SecretKind::Pin => NewSecret::Pin(
                Pin::parse_with(text, self.inner.config.pin_policy)
                    .map_err(|e| GuardError::invalid("pin", e.reason().to_owned()))?,
            ),
            SecretKind::Password => {
                NewSecret::Password(Password::parse(text, self.inner.config.password_policy)?)
            }
        })
    }

    /// Refuses a guessable new secret: rules and lists, exposed values, personal facts, and the
    /// compromised secret itself.
    pub(crate) async fn check_new(
        &self,
        account: &AccountId,
        new: &NewSecret,
    ) -> Result<(), GuardError> {
        let kind = new.kind();
        let weak = |reason| Err(GuardError::Weak { kind, reason });
        if let Some(r) = new.weakness(account) {
            return weak(r);
        }
        let digest = self.inner.mac.exposed(kind.as_str(), new.as_bytes());
        if self.inner.store.is_exposed(&digest).await? {
            return weak(WeakReason::Exposed);
        }
        let facts = self.inner.facts.facts(account).await?;
        if let Some(f) = new.personal_fact(&facts) {
            return weak(WeakReason::PersonalFact(f));
        }
        drop(facts);
        if let Some(old) = self.inner.store.find_credential(account, kind).await?
            && old.compromised_at.is_some()
            && matches!(
                self.check_hash(new.as_bytes(), old.hash).await?,
                HashCheck::Match { .. }
            )
        {
            return weak(WeakReason::Reused);
        }
        Ok(())
    }

    async fn check_hash(&self, secret: &[u8], hash: StoredHash) -> Result<HashCheck, GuardError> {
        let slot = self.inner.pool.acquire(Trust::Known).await?;
        let hasher = self.inner.hasher.clone();
        let secret = zeroize::Zeroizing::new(secret.to_vec());
        self.inner
            .pool
            .run(slot, move || hasher.verify(&secret, &hash))
            .await
    }

    /// Hashes and stores an accepted secret, clearing counters and any compromise mark.
    pub(crate) async fn store_new(
        &self,
        account: &AccountId,
        new: &NewSecret,
    ) -> Result<(), GuardError> {
        let slot = self.inner.pool.acquire(Trust::Known).await?;
        let hasher = self.inner.hasher.clone();
        let secret = zeroize::Zeroizing::new(new.as_bytes().to_vec());
        let hash = self
            .inner
            .pool
            .run(slot, move || hasher.hash(&secret))
            .await??;
        let kind = new.kind();
        let store = &self.inner.store;
        store
            .upsert_credential(account, kind, &hash, self.now())
            .await?;
        store.account_clear(account, kind).await?;
        let scopes = Scopes::new(
            account,
            kind,
            &AttemptContext::channel(crate::Channel::Care),
        );
        self.inner.blocks.forget(&scopes.account);
        self.record(
            NewEvent::new(account.as_str(), EventKind::SecretSet, "ok").with_detail(kind.as_str()),
        )
        .await
    }

    /// Sets an account's secret (the integration has verified the customer its own way, e.g. at
    /// account opening). Refuses weak secrets with [`GuardError::Weak`].
    pub async fn set_secret(
        &self,
        account: &AccountId,
        kind: SecretKind,
        secret: &SecretString,
    ) -> Result<(), GuardError> {
        let new = self.parse_secret(kind, secret)?;
        self.check_new(account, &new).await?;
        self.store_new(account, &new).await
    }

    /// Changes a secret after verifying the current one through the ordinary verification path
    /// (limits included). Returns the verification's verdict; the secret changed only on `Ok`.
    pub async fn change_secret(
        &self,
        account: &AccountId,
        kind: SecretKind,
        current: &SecretString,
        new: &SecretString,
        ctx: &AttemptContext,
    ) -> Result<Verdict, GuardError> {
        let parsed = self.parse_secret(kind, new)?;
        self.check_new(account, &parsed).await?;
        let verdict = self.verify(account, kind, current, ctx).await?;
        if verdict == Verdict::Ok {
            self.store_new(account, &parsed).await?;
        }
        Ok(verdict)
    }

    /// Sends the customer a step-up code for `purpose` on a channel other than `line` (which
    /// must be one of the account's lines when the purpose concerns a line). Returns its expiry.
    pub async fn issue_step_up(
        &self,
        account: &AccountId,
        purpose: StepUpPurpose,
        line: Option<&Phone>,
    ) -> Result<Timestamp, GuardError> {
        let subject = self.step_up_subject(account, purpose, line).await?;
        let now = self.now();
        let rule = self.inner.config.codes.step_up_issue;
        let scope = format!("su|{}", account.as_str());
        let charge = self.inner.store.charge_pair(&scope, now, rule).await?;
        if charge.failures > rule.limit {
            return Err(GuardError::Throttled {
                retry_after_secs: crate::limits::retry_after(now, Timestamp(charge.blocked_until)),
            });
        }
        let code = codes::digits(6);
        let expires_at = now.plus_seconds(self.inner.config.codes.step_up_ttl_secs);
        let new = NewCode {
            account: account.as_str(),
            purpose: purpose.as_str(),
            subject: &subject,
            digest: self.inner.mac.code(purpose.as_str(), &subject, &code),
            expires_at,
        };
        self.inner.store.issue_code(&new, now).await?;
        let kind = NoticeKind::StepUpCode {
            code,
            purpose,
            expires_at,
        };
        self.notify_now(vec![self.notice(account.as_str(), line, kind)])
            .await?;
        self.record(
            NewEvent::new(account.as_str(), EventKind::StepUpIssued, "ok")
                .with_detail(purpose.as_str()),
        )
        .await?;
        Ok(expires_at)
    }

    async fn step_up_subject(
        &self,
        account: &AccountId,
        purpose: StepUpPurpose,
        line: Option<&Phone>,
    ) -> Result<String, GuardError> {
        match (purpose.needs_line(), line) {
            (false, _) => Ok(String::new()),
            (true, None) => Err(GuardError::invalid("line", "this purpose needs a line")),
            (true, Some(p)) => {
                let row = self.inner.store.find_line(p.normalized()).await?;
                match row {
                    Some(r) if r.account == account.as_str() => Ok(r.msisdn),
                    _ => Err(GuardError::UnknownLine {
                        last4: p.last4().to_owned(),
                    }),
                }
            }
        }
    }

    /// Uses a step-up code; `true` when it was right (and is now spent). Failures are recorded,
    /// and the customer is alerted when a code's last try is used up.
    pub(crate) async fn use_step_up(
        &self,
        account: &str,
        purpose: StepUpPurpose,
        line: Option<&Phone>,
        code: &OneTimeCode,
        ctx: &AttemptContext,
    ) -> Result<bool, GuardError> {
        let subject = line.map(|p| p.normalized().to_owned()).unwrap_or_default();
        let digest = self.inner.mac.code(purpose.as_str(), &subject, code);
        let max = self.inner.config.codes.step_up_attempts;
        let used = self
            .inner
            .store
            .use_code(
                account,
                purpose.as_str(),
                &subject,
                &digest,
                max,
                self.now(),
            )
            .await?;
        if used == CodeUse::Used {
            return Ok(true);
        }
        if used == (CodeUse::Wrong { is_exhausted: true }) {
            let what = "a step-up code was guessed at until it was void";
            self.notify_later(vec![self.notice(
                account,
                line,
                NoticeKind::FraudAlert {
                    line: line.cloned(),
                    what,
                },
            )]);
        }
        self.record(
            NewEvent::new(account, EventKind::StepUpFailed, "refused")
                .with_context(ctx)
                .with_detail(purpose.as_str()),
        )
        .await?;
        Ok(false)
    }

    /// Re-enables a secret disabled after too many failures, with a step-up code issued for
    /// [`StepUpPurpose::Unlock`]. [`GuardError::BadCode`] when the code is not valid.
    pub async fn unlock(
        &self,
        account: &AccountId,
        kind: SecretKind,
        code: &OneTimeCode,
        ctx: &AttemptContext,
    ) -> Result<(), GuardError> {
        if !self
            .use_step_up(account.as_str(), StepUpPurpose::Unlock, None, code, ctx)
            .await?
        {
            return Err(GuardError::BadCode);
        }
        self.inner.store.account_clear(account, kind).await?;
        self.inner
            .blocks
            .forget(&Scopes::new(account, kind, ctx).account);
        self.record(
            NewEvent::new(account.as_str(), EventKind::Unlocked, "ok")
                .with_context(ctx)
                .with_detail(kind.as_str()),
        )
        .await
    }

    /// Records values exposed in an incident (PINs or passwords found in leaked files) so they
    /// are refused as new secrets. Only keyed digests are stored. Returns how many were new.
    pub async fn add_exposed(
        &self,
        incident: &str,
        kind: SecretKind,
        values: &[SecretString],
    ) -> Result<u64, GuardError> {
        let digests: Vec<Vec<u8>> = values
            .iter()
            .map(|v| {
                self.inner
                    .mac
                    .exposed(kind.as_str(), v.expose_secret().trim().as_bytes())
            })
            .collect();
        self.inner
            .store
            .add_exposed(&digests, incident, self.now())
            .await
    }

    /// The events matching `q`, newest first. Pending counts of refused attempts are written
    /// first (waiting for a background flush under way), so every attempt answered before the
    /// call is in the answer.
    pub async fn events(&self, q: &EventQuery) -> Result<Vec<Event>, GuardError> {
        self.flush_events().await?;
        self.inner.store.query_events(q).await
    }

    /// Writes the pending counts of refused attempts as events. Counts a failed write could not
    /// store are kept for the next flush, so none is lost.
    pub async fn flush_events(&self) -> Result<(), GuardError> {
        let tally = &self.inner.tally;
        let _writing = tally.writing().await;
        let pending = tally.drain();
        if pending.is_empty() {
            return Ok(());
        }
        let rows = pending.rows();
        let mut written = 0;
        for chunk in rows.chunks(self.inner.store.tally_batch()) {
            if let Err(e) = self.inner.store.insert_tallies(chunk).await {
                tally.restore(pending, written);
                return Err(e);
            }
            written += chunk.len();
        }
        Ok(())
    }

    /// Writes what is still pending; call before the process exits (the counts of refused
    /// attempts live in memory for up to a second).
    pub async fn shutdown(&self) -> Result<(), GuardError> {
        self.flush_events().await
    }

    /// Housekeeping: writes pending events, drops ended counter windows, and deletes events and
    /// protection records past the retention period. Returns the rows deleted.
    pub async fn maintain(&self) -> Result<u64, GuardError> {
        self.flush_events().await?;
        let now = self.now();
        let l = &self.inner.config.limits;
        let longest = [
            l.pair.window_secs,
            l.source.window_secs + l.source.flag_secs,
            l.network.window_secs + l.network.flag_secs,
        ]
        .into_iter()
        .max()
        .unwrap_or(86_400);
        let store = &self.inner.store;
        let mut n = store.sweep_windows(now.plus_seconds(-longest)).await?;
        let cutoff = now.plus_seconds(-self.inner.config.retention_secs);
        n += store.purge_events(cutoff).await?;
        n += store.purge_requests(cutoff).await?;
        Ok(n)
    }

    /// Runs [`GuardService::maintain`] every `every` until the returned task is aborted.
    pub fn spawn_maintenance(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = me.maintain().await {
                    tracing::warn!(error = %e, "guard maintenance failed");
                }
            }
        })
    }
}
