//! The worker: claims a batch of due notices with a lease, reads what the batch needs at once
//! (recipients, the vault in one read with one access-log entry, the suppression list), renders
//! each notice with templates parsed once per run, sends it on its channel and records the
//! outcome through a group commit ([`crate::recorder`]) — only while it still holds the claim. A
//! killed worker's claims expire and are claimed again, so nobody is missed; at most the notices
//! in flight at the kill (claimed, not yet recorded) are sent twice (each carries its idempotency
//! key, which a channel may use to drop the repeat). Soft failures retry with exponential backoff
//! up to `max_attempts`; hard failures (and exhausted retries) put the address on the suppression
//! list and queue the next channel of the order. Past the error-rate threshold the worker pauses
//! the campaign and says why. The campaign finishes only when no notice is open, checked
//! atomically with the update.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use custodian_auth::Principal;
use custodian_vault::{RequestContext, VaultError};
use tokio::sync::{Mutex, Semaphore};

use custodian_vault::{MAX_BATCH_READ, PersonRef, ReadRequest};

use crate::channel::{Channels, SendResult};
use crate::codes;
use crate::error::NotifyError;
use crate::model::{Campaign, CampaignStatus, ChannelKind};
use crate::recorder::Recorder;
use crate::service::{CONTACT_FIELDS, Contact, Notify, PersonData, pick};
use crate::store::{self, Claimed, Outcome, RecipientRow};
use crate::template::{Compiled, Rendered, TemplateKey};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This worker's name in leases (unique per process).
    pub owner: String,
    /// Notices claimed at a time.
    pub batch: i64,
    /// Return when nothing is due instead of waiting for retries (tests, one-shot runs).
    pub stop_when_idle: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            owner: format!(
                "worker-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
            batch: 64,
            stop_when_idle: false,
        }
    }
}

/// Why a worker stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerOutcome {
    /// Every notice reached a final state.
    Finished,
    /// The campaign is paused (the reason).
    Paused(String),
    /// The campaign was cancelled.
    Cancelled,
    /// Nothing was due and `stop_when_idle` was set.
    Idle,
}

/// Counts of one worker run.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    /// Notices sent.
    pub sent: u64,
    /// Soft failures.
    pub soft: u64,
    /// Hard failures (bounces, suppressions).
    pub hard: u64,
    /// Outcomes not recorded because the claim was lost.
    pub lost: u64,
}

/// A worker over one campaign.
pub struct Worker {
    notify: Notify,
    principal: Principal,
    ctx: RequestContext,
    channels: Arc<Channels>,
    cfg: WorkerConfig,
    /// Counts so far.
    pub stats: Arc<std::sync::Mutex<WorkerStats>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.cfg.owner)
            .finish_non_exhaustive()
    }
}

struct Shared {
    notify: Notify,
    principal: Principal,
    ctx: RequestContext,
    channels: Arc<Channels>,
    campaign: Campaign,
    /// The campaign's templates, each parsed once for the run.
    templates: BTreeMap<TemplateKey, Compiled>,
    recorder: Recorder,
    pacers: BTreeMap<ChannelKind, Mutex<Instant>>,
    sems: BTreeMap<ChannelKind, Semaphore>,
    window: std::sync::Mutex<(VecDeque<bool>, String)>,
    stats: Arc<std::sync::Mutex<WorkerStats>>,
}

impl Worker {
    /// A worker acting as `principal` (it reads the vault and needs `notify.write`).
    pub fn new(
        notify: Notify,
        principal: Principal,
        ctx: RequestContext,
        channels: Channels,
        cfg: WorkerConfig,
    ) -> Worker {
        Worker {
            notify,
            principal,
            ctx,
            channels: Arc::new(channels),
            cfg,
            stats: Arc::default(),
        }
    }

    /// Sends the campaign's notices until it is finished, paused or cancelled. However it
    /// stops, the letters it wrote are closed into their print file.
    pub async fn run(&self, name: &str) -> Result<WorkerOutcome, NotifyError> {
        self.principal.require("notify.write")?;
        let c = store::campaign_by_name(self.notify.db(), name).await?;
        let outcome = self.send_all(c).await;
        if self.channels.letters.is_some() {
            let campaign = name.to_owned();
            let letters = self.channels.clone();
            let printed = tokio::task::spawn_blocking(move || {
                letters.letters.as_ref().map(|l| l.finish(&campaign))
            })
            .await;
            match printed {
                Ok(Some(Ok(Some(file)))) => {
                    tracing::info!(campaign = name, file = %file.display(), "print file closed");
                }
                Ok(Some(Err(e))) => {
                    tracing::error!(campaign = name, error = %e, "closing the print file failed; its letters wait in their batch");
                }
                _ => {}
            }
        }
        outcome
    }

    async fn send_all(&self, c: Campaign) -> Result<WorkerOutcome, NotifyError> {
        let templates = self
            .notify
            .load_templates(&c)
            .await?
            .into_iter()
            .map(|(k, t)| {
                let compiled = Compiled::new(&t, k.channel);
                (k, compiled)
            })
            .collect();
        let s = &c.settings;
        let mut pacers = BTreeMap::new();
        let mut sems = BTreeMap::new();
        for ch in ChannelKind::ALL {
            pacers.insert(ch, Mutex::new(Instant::now()));
            let default = match ch {
                ChannelKind::Email => 32,
                ChannelKind::Sms => 8,
                ChannelKind::Letter => 1,
            };
            let mut permits = s
                .concurrency
                .get(ch.as_str())
                .copied()
                .unwrap_or(default)
                .max(1);
            // More e-mails at once than pooled SMTP connections would open and close a
            // connection for every send beyond the pool.
            if let (ChannelKind::Email, Some(e)) = (ch, &self.channels.email) {
                permits = permits.min(e.connections());
            }
            sems.insert(ch, Semaphore::new(permits));
        }
        let shared = Arc::new(Shared {
            notify: self.notify.clone(),
            principal: self.principal.clone(),
            ctx: self.ctx.clone(),
            channels: self.channels.clone(),
            campaign: c.clone(),
            templates,
            recorder: Recorder::start(self.notify.clone(), c.id, self.cfg.owner.clone()),
            pacers,
            sems,
            window: std::sync::Mutex::new((VecDeque::new(), String::new())),
            stats: self.stats.clone(),
        });
        let db = self.notify.db();
        // Two batches overlap: while one is being sent, the next is claimed and prepared, and it
        // starts sending before the first has finished (the channels' semaphores bound what is
        // in flight), so a worker holds at most two batches. Not when the campaign is paced: a
        // paced batch fills half its lease (see `lease_fit`), and a second one claimed meanwhile
        // would wait for the first and could outlive its own lease. Every way out waits for the
        // batches in flight to finish and be recorded.
        let overlap = slowest_rate(&c).is_none();
        let mut running: Option<Batch> = None;
        loop {
            let now = self.notify.now();
            let cur = store::campaign(db, c.id).await?;
            if cur.status != CampaignStatus::Running {
                if let Some(out) = self.drain(&shared, running.take()).await? {
                    return Ok(out);
                }
                return match cur.status {
                    CampaignStatus::Finished | CampaignStatus::Running => {
                        Ok(WorkerOutcome::Finished)
                    }
                    CampaignStatus::Paused => Ok(WorkerOutcome::Paused(cur.reason)),
                    CampaignStatus::Cancelled => Ok(WorkerOutcome::Cancelled),
                    CampaignStatus::Draft => Err(NotifyError::invalid(format!(
                        "campaign {} has not been started",
                        c.name
                    ))),
                };
            }
            let (size, lease_secs) = lease_fit(self.cfg.batch, &c);
            let lease = now.plus_seconds(lease_secs);
            let claimed = store::claim(db, c.id, &self.cfg.owner, now, lease, size).await;
            let batch = match claimed {
                Ok(b) => b,
                Err(e) => {
                    self.drain(&shared, running.take()).await?;
                    return Err(e);
                }
            };
            if batch.is_empty() {
                if running.is_some() {
                    // What is in flight may yet fail softly or queue a fallback.
                    if let Some(out) = self.drain(&shared, running.take()).await? {
                        return Ok(out);
                    }
                    continue;
                }
                if store::try_finish(db, c.id, now).await? {
                    return Ok(WorkerOutcome::Finished);
                }
                if self.cfg.stop_when_idle {
                    return Ok(WorkerOutcome::Idle);
                }
                let wait = match store::next_due(db, c.id).await? {
                    Some(t) => Duration::from_micros((t - now.0).clamp(20_000, 1_000_000) as u64),
                    None => Duration::from_millis(200),
                };
                tokio::time::sleep(wait).await;
                continue;
            }
            // Everything a batch needs from the database is read at once (recipients, the vault
            // with one access-log entry, the suppression list); then each notice is sent on its
            // own and its outcome recorded through the group commit.
            let jobs = match prepare(&shared, batch).await {
                Ok(j) => j,
                Err(e) => {
                    self.drain(&shared, running.take()).await?;
                    return Err(e);
                }
            };
            let mut set = tokio::task::JoinSet::new();
            for job in jobs {
                let sh = shared.clone();
                set.spawn(async move { process(&sh, job).await });
            }
            let previous = running.replace(set);
            let previous = if overlap { previous } else { running.take() };
            match self.drain(&shared, previous).await {
                Ok(None) => {}
                Ok(Some(out)) => {
                    self.drain(&shared, running.take()).await?;
                    return Ok(out);
                }
                Err(e) => {
                    let _ = self.drain(&shared, running.take()).await;
                    return Err(e);
                }
            }
        }
    }

    /// Waits for a batch's sends to finish and be recorded. Returns an error when this worker's
    /// principal may not address notices (it stops; its claims expire and a worker that may
    /// takes them), and `Paused` when the error rate crossed the campaign's threshold (the
    /// campaign is paused, with the reason).
    async fn drain(
        &self,
        sh: &Shared,
        batch: Option<Batch>,
    ) -> Result<Option<WorkerOutcome>, NotifyError> {
        let Some(mut set) = batch else {
            return Ok(None);
        };
        let mut refused = None;
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(())) => {}
                Ok(Err(
                    e @ (NotifyError::Auth(_)
                    | NotifyError::Vault(VaultError::Auth(_) | VaultError::Policy(_))),
                )) => refused = Some(e),
                Ok(Err(e)) => tracing::warn!(error = %e, "recording a notice failed"),
                Err(e) => tracing::warn!(error = %e, "a send task failed"),
            }
        }
        if let Some(e) = refused {
            return Err(e);
        }
        let c = &sh.campaign;
        if let Some(reason) = error_rate_exceeded(sh) {
            store::set_status(
                self.notify.db(),
                c.id,
                &[CampaignStatus::Running],
                CampaignStatus::Paused,
                &reason,
                self.notify.now(),
            )
            .await?;
            tracing::warn!(campaign = %c.name, %reason, "campaign paused");
            return Ok(Some(WorkerOutcome::Paused(reason)));
        }
        Ok(None)
    }
}

/// The send tasks of one claimed batch.
type Batch = tokio::task::JoinSet<Result<(), NotifyError>>;

fn error_rate_exceeded(sh: &Shared) -> Option<String> {
    let s = &sh.campaign.settings;
    let w = sh
        .window
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if w.0.len() < s.error_window.max(1) {
        return None;
    }
    let failed = w.0.iter().filter(|ok| !**ok).count();
    let rate = failed as f64 / w.0.len() as f64;
    (rate > s.error_rate_pause).then(|| {
        format!(
            "error rate {:.0}% over the last {} sends exceeds {:.0}% (last error: {})",
            rate * 100.0,
            w.0.len(),
            s.error_rate_pause * 100.0,
            w.1
        )
    })
}

fn note(sh: &Shared, ok: bool, err: &str) {
    let mut w = sh
        .window
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    w.0.push_back(ok);
    while w.0.len() > sh.campaign.settings.error_window.max(1) {
        w.0.pop_front();
    }
    if !ok {
        w.1 = err.to_owned();
    }
}

async fn pace(sh: &Shared, ch: ChannelKind) {
    let Some(rate) = sh
        .campaign
        .settings
        .rate_per_sec
        .get(ch.as_str())
        .copied()
        .filter(|r| *r > 0.0)
    else {
        return;
    };
    let Some(p) = sh.pacers.get(&ch) else { return };
    let slot = {
        let mut next = p.lock().await;
        let now = Instant::now();
        let slot = (*next).max(now);
        *next = slot + Duration::from_secs_f64(1.0 / rate);
        slot
    };
    tokio::time::sleep_until(slot.into()).await;
}

fn fallback_after(c: &Campaign, ch: ChannelKind) -> Option<ChannelKind> {
    let i = c.channels.iter().position(|x| *x == ch)?;
    c.channels.get(i + 1).copied()
}

fn address_hash(ch: ChannelKind, addr: &str) -> String {
    codes::hash(&format!(
        "{}:{}",
        ch.as_str(),
        addr.trim().to_ascii_lowercase()
    ))
}

/// A claimed notice, made ready to send or already decided.
struct Job {
    n: Claimed,
    step: Step,
}

enum Step {
    /// Rendered, with its address checked against the suppression list.
    Send {
        addr: String,
        rendered: Rendered,
        contact: Contact,
    },
    /// Nothing to send: the outcome is known.
    Decided(Outcome),
}

fn hard(c: &Campaign, ch: ChannelKind, error: String, suppressed: bool) -> Outcome {
    Outcome::Hard {
        error,
        fallback: fallback_after(c, ch),
        suppressed,
    }
}

/// A notice's person as the vault read found them.
enum Fetched {
    Person(PersonData),
    /// Shredded or removed since the campaign was planned.
    Gone,
    /// A failure worth retrying.
    Soft(String),
}

/// Reads what a claimed batch needs, a few queries for the lot: the recipients, their contact
/// fields from the vault (one read of the batch, one access-log entry naming each person, with
/// the campaign in the purpose) and which addresses are suppressed; renders each notice. Returns
/// an error only when this worker's principal may not address notices (the worker stops; its
/// claims expire and a worker that may takes them).
async fn prepare(sh: &Shared, batch: Vec<Claimed>) -> Result<Vec<Job>, NotifyError> {
    let c = &sh.campaign;
    let db = sh.notify.db();
    let soft = |sh: &Shared, n: &Claimed, error: String| Outcome::Soft {
        error,
        retry_at: retry_at(sh, n),
    };
    let ids: Vec<i64> = batch.iter().map(|n| n.recipient_id).collect();
    let recipients = match store::recipients(db, &ids).await {
        Ok(r) => r,
        Err(e) => {
            let e = e.to_string();
            return Ok(batch
                .into_iter()
                .map(|n| Job {
                    step: Step::Decided(soft(sh, &n, e.clone())),
                    n,
                })
                .collect());
        }
    };
    // The vault read, in chunks the vault takes; `people[i]` answers `batch[i]`.
    let purpose = format!("breach notification campaign {}: send a notice", c.name);
    let req = ReadRequest {
        reveal: CONTACT_FIELDS.to_vec(),
        purpose: Some(purpose),
    };
    let reader = sh.notify.inner.vault.reader(&sh.principal, &sh.ctx)?;
    let mut people: Vec<Fetched> = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(MAX_BATCH_READ) {
        let mut who = Vec::with_capacity(chunk.len());
        let mut at = Vec::with_capacity(chunk.len());
        for n in chunk {
            match recipients.get(&n.recipient_id) {
                Some(r) => {
                    at.push(Some(who.len()));
                    who.push(PersonRef::parse(&r.public_id));
                }
                None => at.push(None),
            }
        }
        let mut views: Vec<Option<Fetched>> = match reader.get_many(&who, &req).await {
            Ok(vs) => vs
                .into_iter()
                .map(|v| {
                    Some(match v {
                        Ok(view) => Fetched::Person(PersonData::from_view(view, &CONTACT_FIELDS)),
                        Err(VaultError::NotFound | VaultError::Shredded) => Fetched::Gone,
                        Err(e) => Fetched::Soft(format!("vault: {e}")),
                    })
                })
                .collect(),
            Err(e @ (VaultError::Auth(_) | VaultError::Policy(_))) => return Err(e.into()),
            Err(e) => (0..who.len())
                .map(|_| Some(Fetched::Soft(format!("vault: {e}"))))
                .collect(),
        };
        for i in at {
            people.push(
                i.and_then(|i| views.get_mut(i)?.take())
                    .unwrap_or_else(|| Fetched::Soft("the notice's recipient is missing".into())),
            );
        }
    }
    // Render each notice; collect the addresses to check against the suppression list.
    let mut jobs = Vec::with_capacity(batch.len());
    for (n, person) in batch.into_iter().zip(people) {
        let step = match person {
            Fetched::Soft(e) => Step::Decided(soft(sh, &n, e)),
            Fetched::Gone => Step::Decided(Outcome::Hard {
                error: "the person is no longer in the vault".into(),
                fallback: None,
                suppressed: false,
            }),
            Fetched::Person(d) => {
                // A role that sees contact fields masked can never send: stop the campaign's
                // worker rather than burn every notice's attempts.
                d.require_revealed(&sh.principal)?;
                match recipients.get(&n.recipient_id) {
                    Some(r) => compose(sh, &n, r, &d),
                    None => Step::Decided(soft(sh, &n, "the recipient is missing".into())),
                }
            }
        };
        jobs.push(Job { n, step });
    }
    let hashes: Vec<String> = jobs
        .iter()
        .filter_map(|j| match &j.step {
            Step::Send { addr, .. } => Some(address_hash(j.n.channel, addr)),
            Step::Decided(_) => None,
        })
        .collect();
    let suppressed = match store::suppressed_among(db, &hashes).await {
        Ok(s) => Ok(s),
        Err(e) => Err(e.to_string()),
    };
    for j in &mut jobs {
        let Step::Send { addr, .. } = &j.step else {
            continue;
        };
        let decided = match &suppressed {
            Ok(s) if s.contains(&address_hash(j.n.channel, addr)) => hard(
                c,
                j.n.channel,
                "the address is on the suppression list".into(),
                true,
            ),
            Ok(_) => continue,
            Err(e) => soft(sh, &j.n, e.clone()),
        };
        j.step = Step::Decided(decided);
    }
    Ok(jobs)
}

/// One notice rendered from its person's data, or why it cannot be sent.
fn compose(sh: &Shared, n: &Claimed, r: &RecipientRow, d: &PersonData) -> Step {
    let c = &sh.campaign;
    let Some((k, t)) = pick(
        &sh.templates,
        &r.cohort,
        &r.account_kind,
        n.channel,
        &r.language,
    ) else {
        return Step::Decided(Outcome::Hard {
            error: format!(
                "no template for cohort {}, channel {}, language {}",
                r.cohort, n.channel, r.language
            ),
            fallback: None,
            suppressed: false,
        });
    };
    let (rendered, contact) = match sh.notify.compose(c, r, n.channel, &n.idem_key, d, k, t) {
        Ok(x) => x,
        Err(e @ NotifyError::Template { .. }) => {
            return Step::Decided(Outcome::Hard {
                error: e.to_string(),
                fallback: None,
                suppressed: false,
            });
        }
        Err(e) => {
            return Step::Decided(Outcome::Soft {
                error: e.to_string(),
                retry_at: retry_at(sh, n),
            });
        }
    };
    if crate::template::find_ssn_like(&format!("{}\n{}", rendered.subject, rendered.body)).is_some()
    {
        return Step::Decided(Outcome::Hard {
            error: "the rendered notice contains an SSN-shaped number; not sent".into(),
            fallback: None,
            suppressed: false,
        });
    }
    let addr = match n.channel {
        ChannelKind::Email => contact.email.clone(),
        ChannelKind::Sms => contact.phone.clone(),
        ChannelKind::Letter => contact.address.as_ref().map(|a| a.join("\n")),
    };
    match addr {
        None => Step::Decided(hard(
            c,
            n.channel,
            format!("no {} contact", n.channel),
            false,
        )),
        Some(addr) => Step::Send {
            addr,
            rendered,
            contact,
        },
    }
}

/// Sends a prepared notice on its channel (within the channel's concurrency and pace) and
/// records the outcome.
async fn process(sh: &Shared, job: Job) -> Result<(), NotifyError> {
    let c = &sh.campaign;
    let db = sh.notify.db();
    let Job { n, step } = job;
    let outcome = match step {
        Step::Decided(o) => o,
        Step::Send {
            addr: a,
            rendered,
            contact,
        } => {
            let _permit = match sh.sems.get(&n.channel) {
                Some(s) => Some(
                    s.acquire()
                        .await
                        .map_err(|e| NotifyError::invalid(e.to_string()))?,
                ),
                None => None,
            };
            pace(sh, n.channel).await;
            let res = match n.channel {
                ChannelKind::Email => match &sh.channels.email {
                    Some(e) => e.send(&a, &n.idem_key, &rendered).await,
                    None => SendResult::Soft("e-mail is not configured on this worker".into()),
                },
                ChannelKind::Sms => match &sh.channels.sms {
                    Some(s) => s.send(&a, &n.idem_key, &rendered).await,
                    None => SendResult::Soft("SMS is not configured on this worker".into()),
                },
                // Letters are files written and fsync'd: off the async threads, so e-mails
                // keep going while a letter is written.
                ChannelKind::Letter if sh.channels.letters.is_some() => {
                    let channels = sh.channels.clone();
                    let (campaign, idem) = (c.name.clone(), n.idem_key.clone());
                    tokio::task::spawn_blocking(move || match &channels.letters {
                        Some(l) => l.send(&campaign, &contact, &idem, &rendered),
                        None => SendResult::Soft("letters are not configured".into()),
                    })
                    .await
                    .unwrap_or_else(|e| SendResult::Soft(format!("writing the letter failed: {e}")))
                }
                ChannelKind::Letter => {
                    SendResult::Soft("letters are not configured on this worker".into())
                }
            };
            match res {
                SendResult::Sent(id) => Outcome::Sent { message_id: id },
                SendResult::Soft(e) if n.attempts < c.settings.max_attempts => Outcome::Soft {
                    error: e,
                    retry_at: retry_at(sh, &n),
                },
                SendResult::Soft(e) => {
                    store::suppress(
                        db,
                        &address_hash(n.channel, &a),
                        n.channel,
                        "retries exhausted",
                        sh.notify.now(),
                    )
                    .await?;
                    hard(
                        c,
                        n.channel,
                        format!("{e} (after {} attempts)", n.attempts),
                        false,
                    )
                }
                SendResult::Hard(e) => {
                    store::suppress(
                        db,
                        &address_hash(n.channel, &a),
                        n.channel,
                        &e,
                        sh.notify.now(),
                    )
                    .await?;
                    hard(c, n.channel, e, false)
                }
            }
        }
    };
    let (ok, err) = match &outcome {
        Outcome::Sent { .. } => (true, String::new()),
        Outcome::Soft { error, .. } => (false, error.clone()),
        Outcome::Hard {
            error, suppressed, ..
        } => (*suppressed, error.clone()),
    };
    note(sh, ok, &err);
    let fb_hash = match &outcome {
        Outcome::Hard {
            fallback: Some(next),
            ..
        } => Some(codes::hash(
            &sh.notify
                .inner
                .key
                .verify_code(&store::idem_key(c.id.0, n.person_id, *next)),
        )),
        _ => None,
    };
    let sent = matches!(outcome, Outcome::Sent { .. });
    let is_soft = matches!(outcome, Outcome::Soft { .. });
    let kept = sh.recorder.record(n, outcome, fb_hash).await?;
    let mut st = sh
        .stats
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !kept {
        st.lost += 1;
    }
    if sent {
        st.sent += 1;
    } else if is_soft {
        st.soft += 1;
    } else {
        st.hard += 1;
    }
    Ok(())
}

/// The size and lease (in seconds) of one claim. A batch must be sent before its lease ends:
/// past it, another worker takes the unsent rest and sends it too. Paced at the campaign's
/// slowest rate, `n` notices take about `n / rate` seconds, so a batch holds at most half a
/// lease's worth; when not even one fits (a rate below two per lease), the lease grows to twice
/// the batch's sending time instead.
fn lease_fit(batch: i64, c: &Campaign) -> (i64, i64) {
    let lease = c.settings.lease_secs.max(1);
    let Some(slowest) = slowest_rate(c) else {
        return (batch.max(1), lease);
    };
    // Float-to-integer casts saturate, so huge rates and leases stay in range.
    let size = batch.min((slowest * lease as f64 / 2.0) as i64).max(1);
    let needs = (2.0 * size as f64 / slowest).ceil() as i64;
    (size, lease.max(needs))
}

/// The slowest pace (notices per second) of the campaign's channels; `None` when unpaced.
fn slowest_rate(c: &Campaign) -> Option<f64> {
    let slowest = c
        .channels
        .iter()
        .filter_map(|ch| c.settings.rate_per_sec.get(ch.as_str()).copied())
        .filter(|r| *r > 0.0)
        .fold(f64::INFINITY, f64::min);
    slowest.is_finite().then_some(slowest)
}

fn retry_at(sh: &Shared, n: &Claimed) -> custodian_db::Timestamp {
    let base = sh.campaign.settings.backoff_base_secs.max(1);
    let exp = (n.attempts - 1).clamp(0, 20) as u32;
    let delay = base.saturating_mul(1_i64 << exp).min(3_600);
    sh.notify.now().plus_seconds(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CampaignId, Settings};

    fn campaign(rates: &[(&str, f64)], lease_secs: i64) -> Campaign {
        Campaign {
            id: CampaignId(1),
            name: "c".into(),
            incident: 1,
            impact_version: 1,
            status: CampaignStatus::Running,
            reason: String::new(),
            channels: vec![ChannelKind::Email, ChannelKind::Letter],
            settings: Settings {
                rate_per_sec: rates.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
                lease_secs,
                ..Settings::default()
            },
            principal: "ops".into(),
            created_at: 0,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_paced_batch_is_sent_within_half_its_lease() {
        // Unpaced: the configured batch and lease.
        assert_eq!(lease_fit(64, &campaign(&[], 60)), (64, 60));
        // Fast enough: 64 notices at 100/s take 0.64 s of a 60 s lease.
        assert_eq!(lease_fit(64, &campaign(&[("email", 100.0)], 60)), (64, 60));
        // 1/s with a 60 s lease: 30 notices, not 64 (which would take 64 s).
        assert_eq!(lease_fit(64, &campaign(&[("email", 1.0)], 60)), (30, 60));
        // The slowest channel of the campaign counts; others (SMS here) do not.
        let c = campaign(&[("email", 10.0), ("letter", 2.0), ("sms", 0.01)], 10);
        assert_eq!(lease_fit(64, &c), (10, 10));
        // Slower than two per lease: one notice, and a lease long enough to send it.
        assert_eq!(lease_fit(64, &campaign(&[("email", 0.1)], 5)), (1, 20));
        // Nonsense rates are ignored; a zero lease is one second.
        assert_eq!(lease_fit(0, &campaign(&[("email", -1.0)], 0)), (1, 1));
    }
}
