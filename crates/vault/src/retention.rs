//! Retention: per account kind, how long the vault keeps a person after their last activity, and
//! the run that crypto-shreds whoever is past it.
//!
//! "Last activity" is `updated_at` as the vault knows it: when the person's record was last
//! created, changed, or re-imported unchanged (an import touches every row it sees). The vault
//! does not see logins, payments or applications that never reach it, so the company's feed
//! must re-import people who are active elsewhere (a nightly full export does that), or their
//! clock keeps running. A kind without a rule is kept forever.
//!
//! A run shreds in batches, each in one transaction with one `retention` access-log entry naming
//! the people and the rule. Each shred re-checks the person is still idle, so a re-import that
//! lands between the query and the shred keeps that person. Shredding keeps the tombstone
//! (external id, account kind, state, timestamps) so the breach engine can still count people it
//! can no longer read.

use crate::AccountKind;
use crate::audit::Action;
use crate::record::Field;
use crate::service::{Cap, VaultError};
use crate::store;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// How long each account kind is kept after its last activity; absent = forever.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionRules {
    days: [Option<u32>; 4],
}

impl RetentionRules {
    /// Keep every kind forever (the default).
    pub fn keep_forever() -> RetentionRules {
        RetentionRules::default()
    }

    /// Keeps `kind` for `days` (at least 1) after its last activity.
    pub fn keep_for(mut self, kind: AccountKind, days: u32) -> Result<RetentionRules, VaultError> {
        if days == 0 {
            return Err(VaultError::Invalid(format!(
                "retention for {kind} must be at least 1 day (leave it out to keep forever)"
            )));
        }
        self.days[slot(kind)] = Some(days);
        Ok(self)
    }

    /// The days `kind` is kept, or `None` for forever.
    pub fn days(&self, kind: AccountKind) -> Option<u32> {
        self.days[slot(kind)]
    }

    /// Whether no kind has a rule.
    pub fn is_keep_forever(&self) -> bool {
        self.days.iter().all(Option::is_none)
    }
}

fn slot(kind: AccountKind) -> usize {
    AccountKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

/// Whether a run shreds or only counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetentionMode {
    /// Count who is due; change nothing.
    #[default]
    DryRun,
    /// Crypto-shred who is due.
    Shred,
}

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionOptions {
    /// Shred or only count.
    pub mode: RetentionMode,
    /// People per transaction.
    pub batch_size: usize,
}

impl Default for RetentionOptions {
    fn default() -> Self {
        RetentionOptions {
            mode: RetentionMode::DryRun,
            batch_size: 1_000,
        }
    }
}

/// What a run found and did for one account kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRetention {
    /// The kind.
    pub kind: AccountKind,
    /// Its rule (`None`: kept forever, nothing is due).
    pub keep_days: Option<u32>,
    /// People whose last activity is before this instant (µs) are due.
    pub cutoff: Option<i64>,
    /// People due when the run started.
    pub due: u64,
    /// People shredded by the run (0 on a dry run).
    pub shredded: u64,
}

/// What a run found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    /// Dry run or shred.
    pub mode: RetentionMode,
    /// One entry per account kind, in [`AccountKind::ALL`] order.
    pub kinds: Vec<KindRetention>,
    /// Committed batches (access-log entries).
    pub batches: u64,
}

impl RetentionReport {
    /// People due, over every kind.
    pub fn due(&self) -> u64 {
        self.kinds.iter().map(|k| k.due).sum()
    }

    /// People shredded, over every kind.
    pub fn shredded(&self) -> u64 {
        self.kinds.iter().map(|k| k.shredded).sum()
    }
}

/// Applying retention rules. Obtained from [`crate::Vault::retention`].
pub struct Retention<'a>(pub(crate) Cap<'a>);

impl Retention<'_> {
    /// Counts (dry run) or shreds everyone past their kind's rule; `progress` gets the number
    /// shredded so far after each batch.
    pub async fn run(
        &self,
        rules: &RetentionRules,
        opts: &RetentionOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<RetentionReport, VaultError> {
        let cap = self.0;
        let now = cap.now();
        let mut report = RetentionReport {
            mode: opts.mode,
            kinds: Vec::with_capacity(AccountKind::ALL.len()),
            batches: 0,
        };
        let mut shredded_total = 0;
        for kind in AccountKind::ALL {
            let keep_days = rules.days(kind);
            let cutoff = keep_days.map(|d| now.saturating_sub(i64::from(d) * MICROS_PER_DAY));
            let mut entry = KindRetention {
                kind,
                keep_days,
                cutoff,
                due: 0,
                shredded: 0,
            };
            if let (Some(days), Some(cutoff)) = (keep_days, cutoff) {
                entry.due = store::count_idle_since(cap.db(), kind.as_str(), cutoff).await?;
                if opts.mode == RetentionMode::Shred && entry.due > 0 {
                    let rule = Rule { kind, days, cutoff };
                    self.shred_due(
                        &rule,
                        opts.batch_size,
                        &mut entry,
                        &mut report.batches,
                        &|n| progress(shredded_total + n),
                    )
                    .await?;
                    shredded_total += entry.shredded;
                }
            }
            report.kinds.push(entry);
        }
        if shredded_total > 0 {
            cap.db().purge_deleted().await?;
        }
        Ok(report)
    }

    async fn shred_due(
        &self,
        rule: &Rule,
        batch_size: usize,
        entry: &mut KindRetention,
        batches: &mut u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), VaultError> {
        let cap = self.0;
        let purpose = format!(
            "retention: {} kept {} days after last activity",
            rule.kind, rule.days
        );
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
        let mut after = 0;
        loop {
            let ids = store::idle_since(
                cap.db(),
                rule.kind.as_str(),
                rule.cutoff,
                after,
                batch_size.max(1),
            )
            .await?;
            let Some(last) = ids.last() else { break };
            after = *last;
            let now = cap.now();
            let mut tx = cap.db().pool().begin().await?;
            let mut done = Vec::with_capacity(ids.len());
            for id in ids {
                if store::shred_idle_since(&mut tx, id, rule.cutoff, now).await? {
                    done.push(id);
                }
            }
            if !done.is_empty() {
                cap.log(&mut tx, Action::Retention, &purpose, &fields, &done)
                    .await?;
            }
            tx.commit().await?;
            for id in &done {
                cap.keys().forget_data_key(*id);
            }
            *batches += 1;
            entry.shredded += done.len() as u64;
            progress(entry.shredded);
        }
        Ok(())
    }
}

/// One kind's rule with its cutoff.
struct Rule {
    kind: AccountKind,
    days: u32,
    cutoff: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_default_to_forever_and_refuse_zero() {
        let r = RetentionRules::keep_forever();
        assert!(r.is_keep_forever());
        let r = r.keep_for(AccountKind::Prospective, 365).unwrap();
        assert_eq!(r.days(AccountKind::Prospective), Some(365));
        assert_eq!(r.days(AccountKind::Former), None);
        assert!(r.keep_for(AccountKind::Former, 0).is_err());
    }
}
