//! Blind-index rotation: a new index version keyed by the current root-key version, a resumable
//! backfill that gives every live person digests under it, then the switch (the new version
//! becomes the one searches use, the old one is retired) and the purge of the old digests.
//!
//! Why: an index key lets whoever holds it test guesses offline (an SSN space of 10⁹ is small),
//! so a leaked or suspect index key is replaced this way; it is also how a root-key version
//! stops keying anything and can be retired.
//!
//! How it stays correct while the vault is in use:
//! - The new version is added as `building` under [`store::lock_index_versions`]; writers read
//!   the versions inside their own transaction (share-locked on PostgreSQL), so every write
//!   committed after that indexes the new version too, and no write that missed it is still
//!   in flight. Searches keep using the active (old) version until the switch.
//! - The backfill walks "live people with digests under another version but none under the new
//!   one" in row-id pages: that query is the resume point after a crash or kill -9, and a
//!   person already done is never done twice. Each page is decrypted in parallel (one data-key
//!   unwrap per person, only the indexed fields opened) and written in one transaction with one
//!   `rotate` access-log entry naming the people whose fields were opened. Before writing, the
//!   page's rows are locked and their record digests compared with what was read: a person
//!   changed or shredded in between is skipped (its writer or shredder already did the right
//!   thing), so the backfill never writes digests of stale values.
//! - The switch happens under the same lock, and only when no live person lacks the new
//!   version; then the old digests are deleted in person-id ranges (a crash there is finished
//!   by `--resume`).

use rayon::prelude::*;

use custodian_db::sqlx;
use custodian_db::{Backend, Dialect};

use crate::audit::Action;
use crate::crypto::{FieldAd, FieldCipher, WrapAd};
use crate::export::MAX_REPORTED_FAILURES;
use crate::keyring::truncate;
use crate::record::Field;
use crate::rotate::{KeyAdmin, RotateMode, RotateOptions, RotationStart};
use crate::service::VaultError;
use crate::store::{self, StoredPerson};
use crate::write::INDEXED;

/// Progress after each committed backfill batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexProgress {
    /// The index version being built.
    pub version: u32,
    /// People given digests by this run so far.
    pub done: u64,
    /// People that lacked digests when this run started.
    pub total: u64,
}

/// What an index rotation run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRotateReport {
    /// Whether the version was created by this run, an unfinished one resumed, or there was
    /// nothing to do.
    pub start: RotationStart,
    /// The index version built (the active one when there was nothing to do).
    pub version: u32,
    /// The root-key version its keys derive from.
    pub root_version: u32,
    /// People given digests under the new version by this run.
    pub backfilled: u64,
    /// People changed or shredded between this run's read and its write (their writer indexed
    /// them, or they have nothing left to index).
    pub skipped: u64,
    /// People whose fields could not be opened (they stay without digests; the switch waits).
    pub failed: u64,
    /// The first failures: row id and reason (no key material, no values).
    pub first_failures: Vec<(i64, String)>,
    /// Backfill batches committed by this run.
    pub batches: u64,
    /// Live people still without digests under the new version.
    pub remaining: u64,
    /// Whether the new version became the active one in this run.
    pub activated: bool,
    /// The versions retired by this run.
    pub retired: Vec<u32>,
    /// Digest rows of retired versions deleted by this run.
    pub purged: u64,
}

/// Digests of one person under the new version: (row id, record digest as read, digests).
type Backfill = (i64, Option<Vec<u8>>, Vec<(Field, Vec<u8>)>);

/// Person ids per purge statement.
const PURGE_SPAN: i64 = 20_000;

/// How many times the switch re-runs the backfill when writers raced it (each round only
/// visits people that still lack digests).
const SWITCH_ATTEMPTS: usize = 3;

/// A fixed PostgreSQL advisory-lock key that serializes backfill batches of concurrent runs.
const PG_BACKFILL_LOCK: i64 = 0x6375_7374_6269_6478;

impl KeyAdmin<'_> {
    /// Rotates the blind indexes (or finishes an unfinished rotation, per
    /// [`RotateOptions::mode`]); `progress` is called after each committed backfill batch.
    pub async fn rotate_index(
        &self,
        opts: &RotateOptions,
        progress: &(dyn Fn(IndexProgress) + Sync),
    ) -> Result<IndexRotateReport, VaultError> {
        let cap = self.0;
        let db = cap.db();
        let versions = store::index_versions(db).await?;
        let building = versions.iter().find(|(_, _, s)| s == "building");
        let (version, root_version, start) = match (building, opts.mode) {
            (Some((v, r, _)), _) => (*v, *r, RotationStart::Resumed),
            (None, RotateMode::Rotate) => {
                let (v, r) = self.add_version().await?;
                (v, r, RotationStart::Created)
            }
            (None, RotateMode::Resume) => {
                let Some((v, r, _)) = versions.iter().rev().find(|(_, _, s)| s == "active") else {
                    return Err(VaultError::Invalid("no active blind-index version".into()));
                };
                let mut report = self.report(*v, *r, RotationStart::NothingToDo);
                report.purged = self.purge_retired(opts).await?;
                if report.purged > 0 {
                    report.start = RotationStart::Resumed;
                }
                return Ok(report);
            }
        };
        let mut report = self.report(version, root_version, start);
        let total = store::count_lacking_index(db.pool(), version).await?;
        for _ in 0..SWITCH_ATTEMPTS {
            let finished = self
                .backfill(version, root_version, opts, total, &mut report, progress)
                .await?;
            if !finished || report.failed > 0 {
                break;
            }
            if let Some(retired) = self.switch(version).await? {
                report.activated = true;
                report.retired = retired;
                break;
            }
        }
        report.remaining = store::count_lacking_index(db.pool(), version).await?;
        if report.activated {
            report.purged = self.purge_retired(opts).await?;
        }
        Ok(report)
    }

    fn report(&self, version: u32, root_version: u32, start: RotationStart) -> IndexRotateReport {
        IndexRotateReport {
            start,
            version,
            root_version,
            backfilled: 0,
            skipped: 0,
            failed: 0,
            first_failures: Vec::new(),
            batches: 0,
            remaining: 0,
            activated: false,
            retired: Vec::new(),
            purged: 0,
        }
    }

    /// Adds the next index version, keyed by the current root-key version, as `building`.
    async fn add_version(&self) -> Result<(u32, u32), VaultError> {
        let cap = self.0;
        let root = cap.keys().current_version()?;
        let mut tx = cap.db().begin_write().await?;
        store::lock_index_versions(&mut tx).await?;
        let top: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM vault_index_versions")
            .fetch_one(&mut *tx)
            .await?;
        let version = u32::try_from(top.unwrap_or(0)).unwrap_or(0) + 1;
        store::add_index_version(&mut tx, version, root, cap.now()).await?;
        tx.commit().await?;
        Ok((version, root))
    }

    /// Gives every live person lacking them digests under `version`; returns whether the walk
    /// reached the end (not stopped by `max_batches`).
    async fn backfill(
        &self,
        version: u32,
        root_version: u32,
        opts: &RotateOptions,
        total: u64,
        report: &mut IndexRotateReport,
        progress: &(dyn Fn(IndexProgress) + Sync),
    ) -> Result<bool, VaultError> {
        let cap = self.0;
        let (db, keys) = (cap.db(), cap.keys());
        let mut indexers = Vec::with_capacity(INDEXED.len());
        for f in INDEXED {
            indexers.push((f, keys.indexer(f, version, root_version)?));
        }
        let purpose = format!("build blind index version {version}");
        let mut after = 0;
        loop {
            if opts.max_batches.is_some_and(|max| report.batches >= max) {
                return Ok(false);
            }
            let Some((hi, page)) =
                store::lacking_index_page(db, version, after, opts.batch_size.max(1)).await?
            else {
                return Ok(true);
            };
            after = hi;
            if page.is_empty() {
                continue;
            }
            let computed: Vec<Result<Backfill, (i64, String)>> = page
                .par_iter()
                .map(|p| digests(cap.keys(), p, &indexers).map_err(|e| (p.id, e)))
                .collect();
            let mut ready = Vec::with_capacity(computed.len());
            for c in computed {
                match c {
                    Ok(b) => ready.push(b),
                    Err((id, why)) => {
                        report.failed += 1;
                        if report.first_failures.len() < MAX_REPORTED_FAILURES {
                            report.first_failures.push((id, why));
                        }
                    }
                }
            }
            let mut tx = db.begin_write().await?;
            if Dialect::of(&tx).backend() == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_BACKFILL_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let ids: Vec<i64> = ready.iter().map(|(id, _, _)| *id).collect();
            let locked: std::collections::HashMap<i64, Option<Vec<u8>>> = if ids.is_empty() {
                Default::default()
            } else {
                store::lock_lacking(&mut tx, &ids, version)
                    .await?
                    .into_iter()
                    .collect()
            };
            let mut rows: Vec<(Field, u32, &[u8], i64)> = Vec::new();
            let mut done: Vec<i64> = Vec::new();
            let mut opened: Vec<&str> = Vec::new();
            for (id, mac, ds) in &ready {
                if locked.get(id) != Some(mac) {
                    report.skipped += 1;
                    continue;
                }
                done.push(*id);
                for (f, d) in ds {
                    rows.push((*f, version, d.as_slice(), *id));
                    if !opened.contains(&f.as_str()) {
                        opened.push(f.as_str());
                    }
                }
            }
            store::insert_bidx(&mut tx, &rows, db.dialect()).await?;
            if !done.is_empty() {
                cap.log(&mut tx, Action::Rotate, &purpose, &opened, &done)
                    .await?;
            }
            tx.commit().await?;
            report.batches += 1;
            report.backfilled += done.len() as u64;
            progress(IndexProgress {
                version,
                done: report.backfilled,
                total,
            });
        }
    }

    /// Makes `version` active and retires the others if no live person lacks it; returns the
    /// retired versions, or `None` when writers left people to backfill first.
    async fn switch(&self, version: u32) -> Result<Option<Vec<u32>>, VaultError> {
        let mut tx = self.0.db().begin_write().await?;
        store::lock_index_versions(&mut tx).await?;
        if store::count_lacking_index(&mut *tx, version).await? > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let retired = store::activate_index_version(&mut tx, version).await?;
        tx.commit().await?;
        Ok(Some(retired))
    }

    /// Deletes the digests of every retired version, in person-id ranges; returns how many.
    async fn purge_retired(&self, opts: &RotateOptions) -> Result<u64, VaultError> {
        let db = self.0.db();
        let mut purged = 0;
        let mut statements = 0u64;
        for (v, _, _) in store::index_versions(db)
            .await?
            .iter()
            .filter(|(_, _, s)| s == "retired")
        {
            let Some((lo, hi)) = store::index_person_range(db, *v).await? else {
                continue;
            };
            let mut from = lo;
            while from <= hi {
                if opts.max_batches.is_some_and(|max| statements >= max) {
                    return Ok(purged);
                }
                let to = from.saturating_add(PURGE_SPAN - 1).min(hi);
                purged += store::purge_index_range(db, *v, from, to).await?;
                statements += 1;
                from = to.saturating_add(1);
            }
        }
        Ok(purged)
    }
}

/// One person's digests under the new version, from their sealed fields.
fn digests(
    keys: &crate::Keyring,
    p: &StoredPerson,
    indexers: &[(Field, std::sync::Arc<crate::crypto::BlindIndexer>)],
) -> Result<Backfill, String> {
    let wrapped = p.wrapped_key.as_deref().ok_or("shredded")?;
    let ad = WrapAd {
        tenant: keys.tenant(),
        person: &p.public_id,
        key_version: p.key_version,
    };
    let dk = keys
        .kek(p.kek_version)
        .and_then(|kek| kek.unwrap(wrapped, &ad))
        .map_err(|e| e.to_string())?;
    let cipher = FieldCipher::new(&dk, p.key_version);
    let mut out = Vec::new();
    for (f, ix) in indexers {
        let Some(sealed) = p.sealed(*f) else { continue };
        let ad = FieldAd {
            tenant: keys.tenant(),
            person: &p.public_id,
            field: f.as_str(),
        };
        let plain = cipher.open(&ad, sealed).map_err(|e| format!("{f}: {e}"))?;
        out.push((*f, truncate(ix.index(plain.expose()))));
    }
    Ok((p.id, p.record_mac.clone(), out))
}
