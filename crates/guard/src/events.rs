//! Events: every verification outcome, lock change, code, protection request and reset, with the
//! account, channel, source address, network and device, so the breach engine can find accounts
//! that were guessed at and from where. Throttled attempts are counted in memory and written as
//! one row per (account, source, device, outcome) with a count and a time span, because a flood
//! must not turn into a flood of writes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use custodian_db::Timestamp;

use crate::types::{AccountId, AttemptContext};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A verification; the outcome is the verdict.
    Verify,
    /// A secret was set.
    SecretSet,
    /// The secret was disabled after too many consecutive failures.
    SecretDisabled,
    /// Unknown contexts used up their share of failures.
    UntrustedLocked,
    /// A source or network was flagged for credential stuffing.
    StuffingFlagged,
    /// Failures against one account came from several sources.
    DistributedGuessing,
    /// A step-up code was issued.
    StepUpIssued,
    /// A step-up code was refused.
    StepUpFailed,
    /// A disabled secret was re-enabled by step-up.
    Unlocked,
    /// A protection request on a line (lock, unlock, SIM change, port-out, transfer PIN).
    Protection,
    /// A forced reset marked the account's credentials compromised.
    ForcedReset,
    /// A reset code was used to set a new secret.
    ResetRedeemed,
    /// A hash was imported.
    Imported,
    /// A care agent's caller was verified.
    CareVerified,
    /// A hash was upgraded to the current parameters or pepper.
    Rehashed,
}

impl EventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Verify => "verify",
            EventKind::SecretSet => "secret_set",
            EventKind::SecretDisabled => "secret_disabled",
            EventKind::UntrustedLocked => "untrusted_locked",
            EventKind::StuffingFlagged => "stuffing_flagged",
            EventKind::DistributedGuessing => "distributed_guessing",
            EventKind::StepUpIssued => "step_up_issued",
            EventKind::StepUpFailed => "step_up_failed",
            EventKind::Unlocked => "unlocked",
            EventKind::Protection => "protection",
            EventKind::ForcedReset => "forced_reset",
            EventKind::ResetRedeemed => "reset_redeemed",
            EventKind::Imported => "imported",
            EventKind::CareVerified => "care_verified",
            EventKind::Rehashed => "rehashed",
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The row id (increasing).
    pub id: i64,
    /// When it happened (the first of a counted group).
    pub at: Timestamp,
    /// The last of a counted group (equal to `at` for single events).
    pub last_at: Timestamp,
    /// How many attempts this row stands for.
    pub count: i64,
    /// The account (or the line's account for protection events).
    pub account: String,
    /// What happened ([`EventKind::as_str`]).
    pub kind: String,
    /// The outcome (`ok`, `wrong`, `throttled`, `allowed`, `refused`, …).
    pub outcome: String,
    /// The channel, or empty.
    pub channel: String,
    /// The source address (or `channel:<name>`), or empty.
    pub source: String,
    /// The source's /24 or /64, or empty.
    pub network: String,
    /// The device, or empty.
    pub device: String,
    /// Free detail without personal data (secret kind, reason, line's last four).
    pub detail: String,
}

/// Which events to list. `source` matches the source address or the network.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only this account.
    pub account: Option<AccountId>,
    /// Only this source address or network (`203.0.113.7`, `203.0.113.0/24`).
    pub source: Option<String>,
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// From this time (inclusive).
    pub since: Option<Timestamp>,
    /// Before this time.
    pub until: Option<Timestamp>,
    /// At most this many, newest first (capped at 10,000; 0 means 100).
    pub limit: usize,
}

/// An event to write.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub(crate) account: String,
    pub(crate) kind: EventKind,
    pub(crate) outcome: String,
    pub(crate) channel: String,
    pub(crate) source: String,
    pub(crate) network: String,
    pub(crate) device: String,
    pub(crate) detail: String,
}

impl NewEvent {
    pub(crate) fn new(account: &str, kind: EventKind, outcome: &str) -> NewEvent {
        NewEvent {
            account: account.to_owned(),
            kind,
            outcome: outcome.to_owned(),
            channel: String::new(),
            source: String::new(),
            network: String::new(),
            device: String::new(),
            detail: String::new(),
        }
    }

    pub(crate) fn with_context(mut self, ctx: &AttemptContext) -> NewEvent {
        self.channel = ctx.channel.as_str().to_owned();
        self.source = ctx.source();
        self.network = ctx.network().unwrap_or_default();
        self.device = ctx
            .device
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> NewEvent {
        self.detail = detail.into();
        self
    }
}

/// Distinct groups kept before new sources are counted per network instead: a flood from ever
/// new addresses must cost bounded memory and bounded writes.
const MAX_GROUPS: usize = 20_000;

/// Counts of refused attempts not yet written.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    map: Mutex<HashMap<TallyKey, (i64, i64, i64)>>,
    flushing: AtomicBool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TallyKey {
    account: String,
    outcome: &'static str,
    channel: &'static str,
    source: String,
    device: String,
    detail: &'static str,
}

/// A counted group, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct TallyRow {
    pub(crate) event: NewEvent,
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) count: i64,
}

impl Tally {
    /// Counts one refused attempt; returns how many groups are pending.
    pub(crate) fn add(
        &self,
        account: &AccountId,
        outcome: &'static str,
        detail: &'static str,
        ctx: &AttemptContext,
        now: Timestamp,
    ) -> usize {
        let Ok(mut m) = self.map.lock() else { return 0 };
        let mut key = TallyKey {
            account: account.as_str().to_owned(),
            outcome,
            channel: ctx.channel.as_str(),
            source: ctx.source(),
            device: ctx
                .device
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            detail,
        };
        if m.len() >= MAX_GROUPS && !m.contains_key(&key) {
            key.source = ctx.network().unwrap_or(key.source);
            key.device = String::new();
        }
        let e = m.entry(key).or_insert((now.0, now.0, 0));
        e.1 = now.0;
        e.2 += 1;
        m.len()
    }

    /// Claims the right to flush; `false` when a flush is already running.
    pub(crate) fn begin_flush(&self) -> bool {
        !self.flushing.swap(true, Ordering::AcqRel)
    }

    /// Releases the claim [`Tally::begin_flush`] took.
    pub(crate) fn end_flush(&self) {
        self.flushing.store(false, Ordering::Release);
    }

    /// Takes every pending group.
    pub(crate) fn drain(&self) -> Vec<TallyRow> {
        let Ok(mut m) = self.map.lock() else {
            return Vec::new();
        };
        m.drain()
            .map(|(k, (first, last, count))| {
                let network = match k.source.parse::<std::net::IpAddr>() {
                    Ok(ip) => crate::types::network_of(ip),
                    Err(_) if k.source.contains('/') => k.source.clone(),
                    Err(_) => String::new(),
                };
                TallyRow {
                    event: NewEvent {
                        account: k.account,
                        kind: EventKind::Verify,
                        outcome: k.outcome.to_owned(),
                        channel: k.channel.to_owned(),
                        source: k.source,
                        network,
                        device: k.device,
                        detail: k.detail.to_owned(),
                    },
                    first,
                    last,
                    count,
                }
            })
            .collect()
    }
}
