//! Key rotation: a new root-key version from the [`KeyProvider`](crate::KeyProvider), then a
//! resumable re-wrap that moves every live person's data key from the KEK it was wrapped under to
//! the new one. Only the 66-byte wrapped keys change; sealed fields stay as they are, because the
//! data keys themselves do not change.
//!
//! Each row names its `kek_version`, so reads keep working during the whole re-wrap (a row is
//! unwrapped with whichever KEK it names), and the work left is simply "live rows with
//! `kek_version < target`": the query resumes itself after a crash. Batches are re-wrapped in
//! parallel, then written in one transaction each with a `rotate` access-log entry and the
//! progress of the job row (`vault_rotation_jobs`), so an acknowledged batch is never lost and a
//! kill -9 costs at most the batch in flight. A row is updated only if it is still under the KEK
//! it was read under and not shredded meanwhile, so a concurrent shred is never undone and two
//! rotators never clobber each other (the loser's update changes nothing).
//!
//! Blind indexes do not follow: they are keyed per index version (`vault_index_versions`), not
//! per KEK, so lookups are untouched by a rotation (index rotation is a separate backfill:
//! [`crate::index_rotate`]).

use rayon::prelude::*;

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Database, DbError};

use crate::audit::Action;
use crate::crypto::WrapAd;
use crate::export::MAX_REPORTED_FAILURES;
use crate::service::{Cap, VaultError};
use crate::store;

/// Whether a run may create a new key version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RotateMode {
    /// Finish an unfinished rotation if there is one; otherwise create a new root-key version
    /// and re-wrap everything under it.
    #[default]
    Rotate,
    /// Only finish work: an unfinished rotation, or rows still below the current version (e.g.
    /// written by a process that had not yet seen the new version). Never creates a version.
    Resume,
}

/// How to rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateOptions {
    /// Create a version, or only finish.
    pub mode: RotateMode,
    /// People per transaction.
    pub batch_size: usize,
    /// Stop after this many batches (the rest is finished by a later run); `None` runs to the end.
    pub max_batches: Option<u64>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            mode: RotateMode::Rotate,
            batch_size: 1_000,
            max_batches: None,
        }
    }
}

/// How a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStart {
    /// A new key version was created.
    Created,
    /// An unfinished rotation (or rows left below the current version) was picked up.
    Resumed,
    /// There was nothing to do.
    NothingToDo,
}

/// Where a rotation job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Rows remain below the target version.
    Running,
    /// Every live row was re-wrapped.
    Done,
}

/// A rotation job row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationJob {
    /// Job id.
    pub id: i64,
    /// The root-key version rows are moved to.
    pub target_version: u32,
    /// Running or done.
    pub status: JobStatus,
    /// Rows below the target when the job (or its latest resumption by `Resume`) started.
    pub total: u64,
    /// Rows re-wrapped so far, over every run.
    pub rewrapped: u64,
    /// Row failures so far (a failed row stays below the target and is retried next run).
    pub failed: u64,
    /// Committed batches so far.
    pub batches: u64,
    /// When it started (µs since the epoch).
    pub started_at: i64,
    /// When it last advanced (µs).
    pub updated_at: i64,
    /// When it finished (µs).
    pub finished_at: Option<i64>,
}

/// Progress after each committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateProgress {
    /// The target version.
    pub target_version: u32,
    /// Rows re-wrapped by this job so far.
    pub done: u64,
    /// Rows the job has to move in all.
    pub total: u64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateReport {
    /// How it started.
    pub start: RotationStart,
    /// The version rows were moved to (the current version when there was nothing to do).
    pub target_version: u32,
    /// Rows re-wrapped by this run.
    pub rewrapped: u64,
    /// Rows another process moved or shredded between this run's read and its write.
    pub skipped: u64,
    /// Rows that could not be unwrapped (they stay on their old version).
    pub failed: u64,
    /// The first failures (at most [`crate::export::MAX_REPORTED_FAILURES`]): row id and reason
    /// (no key material, no values).
    pub first_failures: Vec<(i64, String)>,
    /// Batches committed by this run.
    pub batches: u64,
    /// Live rows still below the target.
    pub remaining: u64,
}

/// Live rows on one KEK version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRows {
    /// The root-key (= KEK) version.
    pub version: u32,
    /// Live people whose data key is wrapped under it.
    pub people: u64,
}

/// A blind-index version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexVersionInfo {
    /// The index version.
    pub version: u32,
    /// The root-key version its keys are derived from.
    pub root_version: u32,
    /// `building`, `active` or `retired`.
    pub status: String,
    /// For a `building` version: live people still without its digests.
    pub lacking: Option<u64>,
}

/// The key hierarchy as stored: versions, rows per version, index versions, recent rotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// The newest root-key version (new writes use it).
    pub current_version: u32,
    /// Every version from 1 to current with its live rows (0 where none).
    pub versions: Vec<VersionRows>,
    /// Shredded people (no key at all).
    pub shredded: u64,
    /// Blind-index versions.
    pub index_versions: Vec<IndexVersionInfo>,
    /// The ten most recent rotation jobs, newest first.
    pub jobs: Vec<RotationJob>,
}

/// What a batch re-wrap did to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewrapOutcome {
    /// The data key moved from KEK version `from` to the current version.
    Rewrapped {
        /// The version it was wrapped under.
        from: u32,
    },
    /// Already wrapped under the current version; nothing changed.
    Current,
    /// No such person.
    NotFound,
    /// Shredded: there is no key to re-wrap.
    Shredded,
    /// Changed by another process between the read and the write (moved or shredded); left
    /// as that process left it.
    Skipped,
    /// The key could not be unwrapped (the reason names no key material).
    Failed(String),
}

/// A person's row id, the KEK version it was read under and its data key wrapped anew.
type Moved = (i64, u32, Vec<u8>);

/// The most people one [`KeyAdmin::rewrap`] call takes.
pub const MAX_BATCH_REWRAP: usize = 1_000;

/// Rotating keys and reporting on them. Obtained from [`crate::Vault::key_admin`].
pub struct KeyAdmin<'a>(pub(crate) Cap<'a>);

impl KeyAdmin<'_> {
    /// Rotates (or resumes a rotation, per [`RotateOptions::mode`]); `progress` is called after
    /// each committed batch.
    pub async fn rotate(
        &self,
        opts: &RotateOptions,
        progress: &(dyn Fn(RotateProgress) + Sync),
    ) -> Result<RotateReport, VaultError> {
        let cap = self.0;
        let db = cap.db();
        let (job, start) = match find_running(db).await? {
            Some(job) => (job, RotationStart::Resumed),
            None => {
                let (target, start) = match opts.mode {
                    RotateMode::Rotate => (
                        cap.keys().provider().create_version()?,
                        RotationStart::Created,
                    ),
                    RotateMode::Resume => (cap.keys().current_version()?, RotationStart::Resumed),
                };
                let below = count_below(db, target).await?;
                if start == RotationStart::Resumed && below == 0 {
                    return Ok(RotateReport {
                        start: RotationStart::NothingToDo,
                        target_version: target,
                        rewrapped: 0,
                        skipped: 0,
                        failed: 0,
                        first_failures: Vec::new(),
                        batches: 0,
                        remaining: 0,
                    });
                }
                (open_job(db, target, below, cap.now()).await?, start)
            }
        };
        let mut report = self.rewrap_all(&job, opts, progress).await?;
        report.start = start;
        Ok(report)
    }

    /// Moves the named people's data keys to the current key version now (the batch form of
    /// the re-wrap a rotation runs), each with its own outcome, in one transaction with one
    /// `rotate` access-log entry naming the people moved. At most [`MAX_BATCH_REWRAP`].
    pub async fn rewrap(
        &self,
        who: &[crate::read::PersonRef],
    ) -> Result<Vec<RewrapOutcome>, VaultError> {
        if who.len() > MAX_BATCH_REWRAP {
            return Err(VaultError::Invalid(format!(
                "at most {MAX_BATCH_REWRAP} people per batch re-wrap"
            )));
        }
        let cap = self.0;
        let (db, keys) = (cap.db(), cap.keys());
        let target = keys.current_version()?;
        let kek_to = keys.kek(target)?;
        let tenant = keys.tenant();
        let refs: Vec<store::PersonKey<'_>> = who.iter().map(crate::read::person_key).collect();
        let people = store::load_many(db, &refs).await?;
        // Unwrap and wrap again in parallel; write in one transaction.
        let planned: Vec<Result<Moved, RewrapOutcome>> = people
            .par_iter()
            .map(|p| {
                let p = p.as_ref().ok_or(RewrapOutcome::NotFound)?;
                let wrapped = p.wrapped_key.as_deref().ok_or(RewrapOutcome::Shredded)?;
                if p.kek_version >= target {
                    return Err(RewrapOutcome::Current);
                }
                let ad = WrapAd {
                    tenant,
                    person: &p.public_id,
                    key_version: p.key_version,
                };
                keys.kek(p.kek_version)
                    .and_then(|kek| kek.unwrap(wrapped, &ad))
                    .map(|dk| (p.id, p.kek_version, kek_to.wrap(&dk, &ad)))
                    .map_err(|e| RewrapOutcome::Failed(e.to_string()))
            })
            .collect();
        let mut tx = db.pool().begin().await?;
        let mut out = Vec::with_capacity(planned.len());
        let mut moved = Vec::new();
        for p in planned {
            out.push(match p {
                Ok((id, from, w)) => {
                    if store::rewrap(&mut tx, id, from, target, &w).await? {
                        moved.push(id);
                        RewrapOutcome::Rewrapped { from }
                    } else {
                        RewrapOutcome::Skipped
                    }
                }
                Err(o) => o,
            });
        }
        if !moved.is_empty() {
            let purpose = format!("re-wrap data keys under key version {target} (batch)");
            cap.log(&mut tx, Action::Rotate, &purpose, &["data_key"], &moved)
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn rewrap_all(
        &self,
        job: &RotationJob,
        opts: &RotateOptions,
        progress: &(dyn Fn(RotateProgress) + Sync),
    ) -> Result<RotateReport, VaultError> {
        let cap = self.0;
        let (db, keys, target) = (cap.db(), cap.keys(), job.target_version);
        let kek_to = keys.kek(target)?;
        let tenant = keys.tenant();
        let purpose = format!("re-wrap data keys under key version {target}");
        let total = job.rewrapped + count_below(db, target).await?;
        let mut report = RotateReport {
            start: RotationStart::Resumed,
            target_version: target,
            rewrapped: 0,
            skipped: 0,
            failed: 0,
            first_failures: Vec::new(),
            batches: 0,
            remaining: 0,
        };
        let mut after = 0;
        while opts.max_batches.is_none_or(|max| report.batches < max) {
            let rows = store::wrapped_below(db, target, after, opts.batch_size.max(1)).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let results: Vec<(i64, u32, Result<Vec<u8>, String>)> = rows
                .par_iter()
                .map(|r| {
                    let ad = WrapAd {
                        tenant,
                        person: &r.public_id,
                        key_version: r.key_version,
                    };
                    let res = keys
                        .kek(r.kek_version)
                        .and_then(|kek| kek.unwrap(&r.wrapped_key, &ad))
                        .map(|dk| kek_to.wrap(&dk, &ad))
                        .map_err(|e| e.to_string());
                    (r.id, r.kek_version, res)
                })
                .collect();
            let mut tx = db.pool().begin().await?;
            let mut moved = Vec::with_capacity(results.len());
            let mut failed = 0u64;
            for (id, from, res) in results {
                match res {
                    Ok(w) if store::rewrap(&mut tx, id, from, target, &w).await? => moved.push(id),
                    Ok(_) => report.skipped += 1,
                    Err(e) => {
                        failed += 1;
                        if report.first_failures.len() < MAX_REPORTED_FAILURES {
                            report.first_failures.push((id, e));
                        }
                    }
                }
            }
            if !moved.is_empty() {
                cap.log(&mut tx, Action::Rotate, &purpose, &["data_key"], &moved)
                    .await?;
            }
            let n = moved.len() as u64;
            advance_job(&mut tx, job.id, n, failed, cap.now()).await?;
            tx.commit().await?;
            report.batches += 1;
            report.rewrapped += n;
            report.failed += failed;
            progress(RotateProgress {
                target_version: target,
                done: job.rewrapped + report.rewrapped,
                total,
            });
        }
        report.remaining = count_below(db, target).await?;
        if report.remaining == 0 {
            finish_job(db, job.id, cap.now()).await?;
        }
        Ok(report)
    }

    /// Versions, rows per version, index versions and recent rotation jobs.
    pub async fn status(&self) -> Result<KeyStatus, VaultError> {
        let cap = self.0;
        let db = cap.db();
        let current = cap.keys().current_version()?;
        let counts = store::count_by_kek_version(db).await?;
        let top = counts.last().map_or(current, |(v, _)| (*v).max(current));
        let versions = (1..=top)
            .map(|version| VersionRows {
                version,
                people: counts
                    .iter()
                    .find(|(v, _)| *v == version)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        let mut index_versions = Vec::new();
        for (version, root_version, status) in store::index_versions(db).await? {
            let lacking = if status == "building" {
                Some(store::count_lacking_index(db.pool(), version).await?)
            } else {
                None
            };
            index_versions.push(IndexVersionInfo {
                version,
                root_version,
                status,
                lacking,
            });
        }
        Ok(KeyStatus {
            current_version: current,
            versions,
            shredded: store::count_shredded(db).await?,
            index_versions,
            jobs: recent_jobs(db).await?,
        })
    }
}

/// Live rows wrapped under a version below `target`.
async fn count_below(db: &Database, target: u32) -> Result<u64, DbError> {
    Ok(store::count_by_kek_version(db)
        .await?
        .iter()
        .filter(|(v, _)| *v < target)
        .map(|(_, n)| n)
        .sum())
}

const JOB_COLS: &str = "id, target_version, status, total, rewrapped, failed, batches, \
                        started_at, updated_at, finished_at";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<RotationJob, sqlx::Error> {
    let count = |i: usize| -> Result<u64, sqlx::Error> {
        Ok(u64::try_from(r.try_get::<i64, _>(i)?).unwrap_or(0))
    };
    let status: String = r.try_get(2)?;
    Ok(RotationJob {
        id: r.try_get(0)?,
        target_version: u32::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
        status: if status == "done" {
            JobStatus::Done
        } else {
            JobStatus::Running
        },
        total: count(3)?,
        rewrapped: count(4)?,
        failed: count(5)?,
        batches: count(6)?,
        started_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        finished_at: r.try_get(9)?,
    })
}

/// The unfinished job with the highest target, if any.
async fn find_running(db: &Database) -> Result<Option<RotationJob>, DbError> {
    let sql = format!(
        "SELECT {JOB_COLS} FROM vault_rotation_jobs WHERE status = 'running' \
         ORDER BY target_version DESC LIMIT 1"
    );
    let row = sqlx::query(&sql).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(job_from_row).transpose()?)
}

/// Starts the job for `target`, or re-opens a finished one (rows written under an old version
/// after it finished) adding `below` to its total.
async fn open_job(
    db: &Database,
    target: u32,
    below: u64,
    now: i64,
) -> Result<RotationJob, DbError> {
    let sql = format!(
        "INSERT INTO vault_rotation_jobs (target_version, status, total, rewrapped, failed, \
         batches, started_at, updated_at) VALUES ($1, 'running', $2, 0, 0, 0, $3, $3) \
         ON CONFLICT (target_version) DO UPDATE SET status = 'running', finished_at = NULL, \
         total = vault_rotation_jobs.rewrapped + $2, updated_at = $3 RETURNING {JOB_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(i64::from(target))
        .bind(i64::try_from(below).unwrap_or(i64::MAX))
        .bind(now)
        .fetch_one(db.pool())
        .await?;
    Ok(job_from_row(&row)?)
}

async fn advance_job(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    rewrapped: u64,
    failed: u64,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE vault_rotation_jobs SET rewrapped = rewrapped + $1, failed = failed + $2, \
         batches = batches + 1, updated_at = $3 WHERE id = $4",
    )
    .bind(i64::try_from(rewrapped).unwrap_or(i64::MAX))
    .bind(i64::try_from(failed).unwrap_or(i64::MAX))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn finish_job(db: &Database, id: i64, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE vault_rotation_jobs SET status = 'done', finished_at = $1, updated_at = $1 \
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

async fn recent_jobs(db: &Database) -> Result<Vec<RotationJob>, DbError> {
    let sql = format!("SELECT {JOB_COLS} FROM vault_rotation_jobs ORDER BY id DESC LIMIT 10");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(job_from_row).collect::<Result<_, _>>()?)
}
