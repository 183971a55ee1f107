//! Attempt limiting: the rules, the scopes an attempt is counted under, and the in-memory cache
//! of blocks that lets a throttled attempt be refused in microseconds without touching the
//! database (the database stays the truth; the cache only ever remembers a refusal the database
//! decided, until it ends).
//!
//! Counting happens in four places, from narrow to broad:
//!
//! * per (account, source) and per (account, device): a few failures per window, then a wait;
//!   a stranger's flood only ever throttles the stranger's own pair;
//! * per account, consecutive: the NIST SP 800-63B backstop (PIN: 10, password: 100). Contexts the
//!   account does not know may use only `max − trusted_reserve` of them, so strangers can never
//!   use the whole budget: the owner's known device (one that has verified before) keeps the
//!   reserve and gets in during an attack;
//! * per source address and per network (/24, /64): credential stuffing shows as many accounts
//!   failing from one place with few successes. Such a source is flagged, and a flag throttles
//!   only contexts the account does not know, so a carrier-grade NAT address shared by thousands
//!   of customers (many successes) is never flagged, and a flagged one still lets known devices
//!   through.

use std::collections::HashMap;
use std::sync::Mutex;

use custodian_db::Timestamp;

use crate::error::GuardError;
use crate::types::{AccountId, AttemptContext, SecretKind};

/// A fixed-window failure limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRule {
    /// Failures allowed in one window; the next attempt waits for the window's end.
    pub limit: i64,
    /// The window, in seconds.
    pub window_secs: i64,
}

/// When a source (an address or a network) counts as stuffing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRule {
    /// Distinct accounts failing from the source in one window.
    pub accounts: i64,
    /// …while failures exceed this many times the successes.
    pub failure_ratio: i64,
    /// The window, in seconds.
    pub window_secs: i64,
    /// How long a flag lasts, in seconds.
    pub flag_secs: i64,
}

/// Every limit of the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitConfig {
    /// Consecutive PIN failures before the PIN is disabled (NIST: at most 10).
    pub pin_max_failures: i64,
    /// PIN failures only known devices may use.
    pub pin_trusted_reserve: i64,
    /// Consecutive password failures before the password is disabled (NIST: at most 100).
    pub password_max_failures: i64,
    /// Password failures only known devices may use.
    pub password_trusted_reserve: i64,
    /// Per (account, source) and per (account, device).
    pub pair: WindowRule,
    /// Per client address.
    pub source: SourceRule,
    /// Per /24 or /64 network.
    pub network: SourceRule,
    /// Distinct sources failing against one account (in a day) that raise a distributed-guessing
    /// event.
    pub distributed_sources: i64,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            pin_max_failures: 10,
            pin_trusted_reserve: 3,
            password_max_failures: 100,
            password_trusted_reserve: 10,
            pair: WindowRule {
                limit: 5,
                window_secs: 15 * 60,
            },
            source: SourceRule {
                accounts: 20,
                failure_ratio: 4,
                window_secs: 3600,
                flag_secs: 3600,
            },
            network: SourceRule {
                accounts: 100,
                failure_ratio: 4,
                window_secs: 3600,
                flag_secs: 3600,
            },
            distributed_sources: 3,
        }
    }
}

impl LimitConfig {
    /// Checks the limits are usable and at least as strict as NIST SP 800-63B.
    pub fn validate(&self) -> Result<(), GuardError> {
        let bad = |m: &str| Err(GuardError::Config(m.to_owned()));
        if !(1..=10).contains(&self.pin_max_failures) {
            return bad("pin_max_failures must be 1 to 10 (NIST SP 800-63B)");
        }
        if !(1..=100).contains(&self.password_max_failures) {
            return bad("password_max_failures must be 1 to 100 (NIST SP 800-63B)");
        }
        if !(0..self.pin_max_failures).contains(&self.pin_trusted_reserve)
            || !(0..self.password_max_failures).contains(&self.password_trusted_reserve)
        {
            return bad("a trusted reserve must be below its maximum");
        }
        let windows = [
            self.pair.window_secs,
            self.source.window_secs,
            self.network.window_secs,
        ];
        if self.pair.limit < 1 || windows.iter().any(|w| *w < 1) {
            return bad("window limits and lengths must be positive");
        }
        Ok(())
    }

    /// The consecutive-failure cap and the part of it open to unknown contexts.
    pub(crate) fn caps(&self, kind: SecretKind) -> (i64, i64) {
        match kind {
            SecretKind::Pin => (
                self.pin_max_failures,
                self.pin_max_failures - self.pin_trusted_reserve,
            ),
            SecretKind::Password => (
                self.password_max_failures,
                self.password_max_failures - self.password_trusted_reserve,
            ),
        }
    }
}

/// Whether the account knows the attempt's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trust {
    /// A device that has verified on this account before.
    Known,
    /// Anything else.
    Unknown,
}

/// The scopes one attempt is counted under.
#[derive(Debug, Clone)]
pub(crate) struct Scopes {
    pub(crate) pair_source: String,
    pub(crate) pair_device: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) network: Option<String>,
    pub(crate) account: String,
}

impl Scopes {
    pub(crate) fn new(account: &AccountId, kind: SecretKind, ctx: &AttemptContext) -> Scopes {
        let (a, k) = (account.as_str(), kind.as_str());
        Scopes {
            pair_source: format!("as|{k}|{a}|{}", ctx.source()),
            pair_device: ctx
                .device
                .as_ref()
                .map(|d| format!("ad|{k}|{a}|{}", d.as_str())),
            source: ctx.client_ip.map(|_| format!("s|{}", ctx.source())),
            network: ctx.network().map(|n| format!("n|{n}")),
            account: format!("a|{k}|{a}"),
        }
    }

    /// Both pair scopes (for the memory cache, whose entries say whom they apply to).
    pub(crate) fn pairs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.pair_source.as_str()).chain(self.pair_device.as_deref())
    }

    /// The pair scopes an attempt of this trust is counted under. A known device is counted
    /// under its (account, device) pair only: its address may be a carrier-grade NAT address an
    /// attacker shares, whose (account, source) pair the attacker can fill.
    pub(crate) fn pairs_for(&self, trust: Trust) -> Vec<&str> {
        match trust {
            Trust::Known => self.pair_device.as_deref().into_iter().collect(),
            Trust::Unknown => self.pairs().collect(),
        }
    }

    /// Which contexts a block of `scope` (one of these scopes) refuses.
    pub(crate) fn applies(&self, scope: &str) -> Applies {
        if self.pair_device.as_deref() == Some(scope) {
            Applies::All
        } else {
            Applies::Unknown
        }
    }

    /// The scopes whose flags apply only to unknown contexts.
    pub(crate) fn flags(&self) -> impl Iterator<Item = &str> {
        self.source
            .as_deref()
            .into_iter()
            .chain(self.network.as_deref())
    }
}

/// Which contexts a cached block refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    /// Every context.
    All,
    /// Contexts the account does not know.
    Unknown,
}

/// How long an account lock is remembered in memory: locks end by a step-up that may happen in
/// another process, so this bounds how stale the cache can be.
const ACCOUNT_LOCK_CACHE_SECS: i64 = 5;
/// Past this many entries, expired ones are swept; past twice as many, the cache is cleared.
const CACHE_SWEEP_AT: usize = 100_000;

/// Blocks decided by the database, remembered until they end.
#[derive(Debug, Default)]
pub(crate) struct BlockCache {
    map: Mutex<HashMap<String, (i64, Applies)>>,
}

impl BlockCache {
    pub(crate) fn remember(&self, scope: &str, until: Timestamp, applies: Applies) {
        let Ok(mut m) = self.map.lock() else { return };
        if m.len() >= CACHE_SWEEP_AT {
            let now = until.0.saturating_sub(86_400_000_000);
            m.retain(|_, (u, _)| *u > now);
            if m.len() >= 2 * CACHE_SWEEP_AT {
                m.clear();
            }
        }
        m.insert(scope.to_owned(), (until.0, applies));
    }

    pub(crate) fn remember_account_lock(&self, scopes: &Scopes, now: Timestamp, applies: Applies) {
        self.remember(
            &scopes.account,
            now.plus_seconds(ACCOUNT_LOCK_CACHE_SECS),
            applies,
        );
    }

    pub(crate) fn forget(&self, scope: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(scope);
        }
    }

    /// The latest end of a block that applies to this attempt, if any. With `trust` unknown
    /// (`None`), blocks for unknown contexts are not applied.
    pub(crate) fn check(
        &self,
        scopes: &Scopes,
        now: Timestamp,
        trust: Option<Trust>,
    ) -> Option<BlockHit> {
        let m = self.map.lock().ok()?;
        let mut hit: Option<BlockHit> = None;
        let names = scopes
            .pairs()
            .chain(scopes.flags())
            .chain(std::iter::once(scopes.account.as_str()));
        for name in names {
            let Some((until, applies)) = m.get(name) else {
                continue;
            };
            let applies = *applies == Applies::All || trust == Some(Trust::Unknown);
            if *until > now.0 && applies {
                let is_account = name == scopes.account;
                let h = BlockHit {
                    until: Timestamp(*until),
                    is_account_lock: is_account,
                };
                hit = Some(match hit {
                    Some(prev) if prev.until >= h.until && !h.is_account_lock => prev,
                    _ => h,
                });
            }
        }
        hit
    }
}

/// A cached block that refuses an attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockHit {
    pub(crate) until: Timestamp,
    /// An account lock answers `Locked`; the others answer `Throttled`.
    pub(crate) is_account_lock: bool,
}

/// Seconds from `now` to `until`, rounded up, at least 1.
pub(crate) fn retry_after(now: Timestamp, until: Timestamp) -> u64 {
    let micros = until.0.saturating_sub(now.0).max(1);
    u64::try_from((micros + 999_999) / 1_000_000)
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Channel, DeviceId};

    #[test]
    fn defaults_are_valid_and_nist_bounded() {
        let c = LimitConfig::default();
        c.validate().unwrap();
        assert_eq!(c.caps(SecretKind::Pin), (10, 7));
        assert_eq!(c.caps(SecretKind::Password), (100, 90));
        let mut bad = c;
        bad.pin_max_failures = 11;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn cache_applies_flags_to_unknown_contexts_only() {
        let ctx = AttemptContext {
            channel: Channel::Web,
            client_ip: Some("100.64.1.2".parse().unwrap()),
            device: Some(DeviceId::parse("dev-1").unwrap()),
        };
        let s = Scopes::new(&AccountId::parse("A1").unwrap(), SecretKind::Pin, &ctx);
        let cache = BlockCache::default();
        let now = Timestamp(1_000_000_000);
        cache.remember(
            s.source.as_deref().unwrap(),
            now.plus_seconds(60),
            Applies::Unknown,
        );
        assert!(cache.check(&s, now, None).is_none());
        assert!(cache.check(&s, now, Some(Trust::Known)).is_none());
        let hit = cache.check(&s, now, Some(Trust::Unknown)).unwrap();
        assert_eq!(retry_after(now, hit.until), 60);
        cache.remember(
            s.pair_device.as_deref().unwrap(),
            now.plus_seconds(30),
            Applies::All,
        );
        assert!(cache.check(&s, now, Some(Trust::Known)).is_some());
        assert!(
            cache
                .check(&s, now.plus_seconds(61), Some(Trust::Unknown))
                .is_none()
        );
    }
}
