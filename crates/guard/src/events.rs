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

/// Distinct groups kept before further sources of an account are counted together (source
/// `various`): a flood from ever new addresses must cost bounded memory and bounded writes.
const MAX_GROUPS: usize = 5_000;

/// Distinct groups past which further accounts are counted together too (account `*`): the
/// hard bound on memory and on the rows of one flush. Reached only by a flood of refused
/// attempts at more than ~15,000 new accounts within one flush interval; their counts are kept,
/// and each of those accounts' charged (checked) attempts is still its own event.
const HARD_MAX_GROUPS: usize = 20_000;

/// The account of the groups past [`HARD_MAX_GROUPS`] (not a valid [`AccountId`]).
pub const OVERFLOW_ACCOUNT: &str = "*";

/// The time between the first pending count and its background flush, and so the shortest time
/// between two background flushes: with [`HARD_MAX_GROUPS`] this bounds the event writes a
/// flood can cause, and no count waits longer than this (plus the write) to be stored.
pub(crate) const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Counts of refused attempts not yet written.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    map: Mutex<HashMap<TallyKey, Counts>>,
    /// Whether a background flush is waiting to run.
    scheduled: AtomicBool,
    /// Held while pending counts are written, so that a query that flushes first also waits for
    /// a flush already under way (whose rows it could not otherwise see).
    writing: tokio::sync::Mutex<()>,
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

/// First time, last time and number of a group's attempts.
#[derive(Debug, Clone, Copy)]
struct Counts {
    first: i64,
    last: i64,
    count: i64,
}

/// Drained groups, written by [`crate::GuardService::flush_events`] and put back if the write
/// fails.
#[derive(Debug)]
pub(crate) struct Pending(Vec<(TallyKey, Counts)>);

/// A counted group, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct TallyRow {
    pub(crate) event: NewEvent,
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) count: i64,
}

impl Tally {
    /// Counts one refused attempt.
    pub(crate) fn add(
        &self,
        account: &AccountId,
        outcome: &'static str,
        detail: &'static str,
        ctx: &AttemptContext,
        now: Timestamp,
    ) {
        let key = TallyKey {
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
        let counts = Counts {
            first: now.0,
            last: now.0,
            count: 1,
        };
        if let Ok(mut m) = self.map.lock() {
            merge(&mut m, key, counts);
        }
    }

    /// Claims the one background flush; `false` when one is already waiting.
    pub(crate) fn schedule(&self) -> bool {
        !self.scheduled.swap(true, Ordering::AcqRel)
    }

    /// Lets the next count schedule a background flush (called by the waiting one as it runs).
    pub(crate) fn unschedule(&self) {
        self.scheduled.store(false, Ordering::Release);
    }

    /// Serializes writers of pending counts.
    pub(crate) async fn writing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writing.lock().await
    }

    /// Takes every pending group.
    pub(crate) fn drain(&self) -> Pending {
        let Ok(mut m) = self.map.lock() else {
            return Pending(Vec::new());
        };
        Pending(m.drain().collect())
    }

    /// Puts back groups that could not be written (merged with what was counted meanwhile,
    /// within the same bounds), so a failed write loses no count.
    pub(crate) fn restore(&self, pending: Pending, written: usize) {
        if let Ok(mut m) = self.map.lock() {
            for (key, counts) in pending.0.into_iter().skip(written) {
                merge(&mut m, key, counts);
            }
        }
    }
}

/// Adds `counts` to the group of `key`, or to a coarser group when the map is full.
fn merge(m: &mut HashMap<TallyKey, Counts>, mut key: TallyKey, counts: Counts) {
    if m.len() >= MAX_GROUPS && !m.contains_key(&key) {
        key.source = String::from("various");
        key.device = String::new();
        if m.len() >= HARD_MAX_GROUPS && !m.contains_key(&key) {
            key.account = String::from(OVERFLOW_ACCOUNT);
        }
    }
    let e = m.entry(key).or_insert(Counts {
        first: counts.first,
        last: counts.last,
        count: 0,
    });
    e.first = e.first.min(counts.first);
    e.last = e.last.max(counts.last);
    e.count += counts.count;
}

impl Pending {
    /// Whether nothing is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The groups as rows to write, in order.
    pub(crate) fn rows(&self) -> Vec<TallyRow> {
        self.0
            .iter()
            .map(|(k, c)| {
                let network = k
                    .source
                    .parse::<std::net::IpAddr>()
                    .map(crate::types::network_of)
                    .unwrap_or_default();
                TallyRow {
                    event: NewEvent {
                        account: k.account.clone(),
                        kind: EventKind::Verify,
                        outcome: k.outcome.to_owned(),
                        channel: k.channel.to_owned(),
                        source: k.source.clone(),
                        network,
                        device: k.device.clone(),
                        detail: k.detail.to_owned(),
                    },
                    first: c.first,
                    last: c.last,
                    count: c.count,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::types::Channel;

    fn from(i: u32) -> AttemptContext {
        let mut c = AttemptContext::channel(Channel::Web);
        c.client_ip = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
        c
    }

    fn total(p: &Pending) -> i64 {
        p.rows().iter().map(|r| r.count).sum()
    }

    #[test]
    fn a_flood_costs_bounded_groups_and_keeps_every_count() {
        let t = Tally::default();
        let now = Timestamp(1);
        // New sources against one account, then new accounts: both coarsen, neither loses.
        for i in 0..(MAX_GROUPS as u32 + 3_000) {
            t.add(
                &AccountId::from_stored("A"),
                "locked",
                "cached",
                &from(i),
                now,
            );
        }
        for i in 0..(2 * HARD_MAX_GROUPS as u32) {
            let a = AccountId::from_stored(&format!("B{i}"));
            t.add(&a, "throttled", "cached", &from(i), now);
        }
        let p = t.drain();
        assert!(p.0.len() <= HARD_MAX_GROUPS + 1, "{} groups", p.0.len());
        assert_eq!(total(&p), (MAX_GROUPS + 3_000 + 2 * HARD_MAX_GROUPS) as i64);
        let rows = p.rows();
        let various = rows
            .iter()
            .find(|r| r.event.account == "A" && r.event.source == "various")
            .unwrap();
        assert_eq!(various.count, 3_000);
        assert!(rows.iter().any(|r| r.event.account == OVERFLOW_ACCOUNT));
    }

    #[test]
    fn a_failed_write_puts_back_what_it_did_not_store() {
        let t = Tally::default();
        for i in 0..10 {
            let a = AccountId::from_stored(&format!("A{i}"));
            t.add(&a, "locked", "cached", &from(i), Timestamp(5));
        }
        let p = t.drain();
        // The first 4 (in drain order) were written before the error; one more attempt of a
        // group that was not written arrives meanwhile.
        let rows = p.rows();
        let unwritten = &rows[9].event.account;
        let i: u32 = unwritten[1..].parse().unwrap();
        t.add(
            &AccountId::from_stored(unwritten),
            "locked",
            "cached",
            &from(i),
            Timestamp(7),
        );
        let written: Vec<String> = rows[..4].iter().map(|r| r.event.account.clone()).collect();
        t.restore(p, 4);
        let again = t.drain();
        assert_eq!(total(&again), 7);
        let again_rows = again.rows();
        assert!(
            again_rows
                .iter()
                .all(|r| !written.contains(&r.event.account))
        );
        let merged = again_rows
            .iter()
            .find(|r| &r.event.account == unwritten)
            .unwrap();
        assert_eq!((merged.first, merged.last, merged.count), (5, 7, 2));
    }

    #[test]
    fn one_background_flush_is_scheduled_at_a_time() {
        let t = Tally::default();
        assert!(t.schedule());
        assert!(!t.schedule());
        t.unschedule();
        assert!(t.schedule());
    }
}
