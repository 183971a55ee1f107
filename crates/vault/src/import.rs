//! Streaming import of canonical CSV (with header) or NDJSON files: parsed on a blocking thread in
//! batches, written through the [`Writer`](crate::write::Writer) batch by batch with bounded
//! memory, idempotent by external id, and resumable: each committed batch advances the file's job
//! row, so a rerun after a crash skips what was done (and anything redone is "unchanged").
//!
//! Rejected rows are reported by line, field and reason — never by value, so the reject file holds
//! no personal data; find the rows in the source by their line numbers.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use custodian_db::sqlx::{self, Row};
use sha2::{Digest, Sha256};
use time::Date;
use tokio::sync::mpsc;

use crate::record::{self, CanonicalRecord, RowError};
use crate::service::VaultError;
use crate::write::{ItemOutcome, Writer};

/// The file formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    /// Guesses from the file name: `.ndjson`/`.jsonl` are NDJSON, anything else CSV.
    pub fn from_path(p: &Path) -> Format {
        match p.extension().and_then(|e| e.to_str()) {
            Some("ndjson" | "jsonl" | "json") => Format::Ndjson,
            _ => Format::Csv,
        }
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file's format.
    pub format: Format,
    /// Records per transaction.
    pub batch_size: usize,
    /// Where to write rejected rows' line, field and reason (CSV), if anywhere.
    pub rejects: Option<PathBuf>,
    /// Today's date, for date-of-birth checks.
    pub today: Date,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data lines read (excluding the header), including skipped ones on resume.
    pub lines: u64,
    /// Lines skipped because an earlier run had committed them.
    pub resumed_from: u64,
    /// New people.
    pub created: u64,
    /// Changed people.
    pub updated: u64,
    /// Identical re-imports.
    pub unchanged: u64,
    /// Refused rows.
    pub rejected: u64,
    /// PIN values seen (they belong to the guard; the vault never stores them).
    pub pins_seen: u64,
    /// The first rejections (at most 20), for the summary.
    pub first_errors: Vec<RowError>,
}

/// An import failure (as opposed to a rejected row, which is counted and reported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's structure is wrong (header, encoding) so no row can be read.
    #[error("{path}: {error}")]
    Structure {
        /// The file.
        path: PathBuf,
        /// Where and what.
        error: RowError,
    },
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

enum Item {
    Batch(Vec<CanonicalRecord>, Vec<RowError>, u64),
    Fatal(ImportError),
}

/// Imports a file; `progress` gets the number of lines done after each batch.
pub async fn import_file(
    writer: &Writer<'_>,
    path: &Path,
    opts: &ImportOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    let fingerprint = fingerprint(path).map_err(read_err)?;
    let db = writer.0.db();
    let job = start_job(db, &fingerprint, path, writer.0.now()).await?;
    let mut report = ImportReport {
        resumed_from: job.1,
        ..Default::default()
    };
    let mut rejects = match &opts.rejects {
        Some(p) => {
            let mut w = csv::Writer::from_path(p).map_err(|e| read_err(e.into()))?;
            w.write_record(["line", "field", "reason"])
                .map_err(|e| read_err(e.into()))?;
            Some(w)
        }
        None => None,
    };

    let (tx, mut rx) = mpsc::channel::<Item>(2);
    let file = std::fs::File::open(path).map_err(read_err)?;
    let (p, o, skip) = (path.to_owned(), opts.clone(), job.1);
    let reader = tokio::task::spawn_blocking(move || parse_stream(file, &p, &o, skip, &tx));

    while let Some(item) = rx.recv().await {
        let (records, errors, lines_done) = match item {
            Item::Batch(r, e, l) => (r, e, l),
            Item::Fatal(e) => return Err(e),
        };
        report.pins_seen += records.iter().filter(|r| r.pin.is_some()).count() as u64;
        let outcome = writer.upsert_batch(&records).await?;
        for (ext, o, _) in &outcome.items {
            match o {
                ItemOutcome::Created => report.created += 1,
                ItemOutcome::Updated => report.updated += 1,
                ItemOutcome::Unchanged => report.unchanged += 1,
                ItemOutcome::Rejected(reason) => {
                    report.rejected += 1;
                    let e = RowError {
                        line: 0,
                        field: format!("external_id {ext}"),
                        reason: reason.clone(),
                    };
                    note_reject(&mut report, &mut rejects, e);
                }
            }
        }
        for e in errors {
            report.rejected += 1;
            note_reject(&mut report, &mut rejects, e);
        }
        report.lines = lines_done;
        advance_job(db, job.0, &report).await?;
        progress(lines_done);
    }
    if let Ok(Err(e)) = reader.await {
        return Err(e);
    }
    if let Some(w) = rejects.as_mut() {
        w.flush().map_err(read_err)?;
    }
    finish_job(db, job.0, writer.0.now()).await?;
    if report.created + report.updated > 0 {
        // Lookups right after a large import (the breach engine's resolution) need it.
        db.vacuum_analyze(&["vault_people", "vault_bidx", "access_log_person"])
            .await
            .map_err(VaultError::from)?;
    }
    Ok(report)
}

fn note_reject(report: &mut ImportReport, w: &mut Option<csv::Writer<std::fs::File>>, e: RowError) {
    if let Some(w) = w.as_mut() {
        let _ = w.write_record([e.line.to_string(), e.field.clone(), e.reason.clone()]);
    }
    if report.first_errors.len() < 20 {
        report.first_errors.push(e);
    }
}

/// Identifies a file across runs: its path, size and the hash of its first 64 KiB.
fn fingerprint(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let mut head = vec![0u8; 64 * 1024];
    let mut f = std::fs::File::open(path)?;
    let n = f.read(&mut head)?;
    let mut h = Sha256::new();
    h.update(std::fs::canonicalize(path)?.to_string_lossy().as_bytes());
    h.update(meta.len().to_be_bytes());
    h.update(&head[..n]);
    Ok(hex::encode(h.finalize()))
}

/// Finds an unfinished job for this file or starts one: (job id, lines already done).
async fn start_job(
    db: &custodian_db::Database,
    fp: &str,
    path: &Path,
    now: i64,
) -> Result<(i64, u64), VaultError> {
    let row =
        sqlx::query("SELECT id, lines_done, status FROM vault_import_jobs WHERE fingerprint = $1")
            .bind(fp)
            .fetch_optional(db.pool())
            .await?;
    if let Some(r) = row {
        let id: i64 = r.try_get(0)?;
        let status: String = r.try_get(2)?;
        if status == "running" {
            return Ok((id, u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0)));
        }
        // A finished file imported again: start over (idempotent by external id).
        sqlx::query("UPDATE vault_import_jobs SET lines_done = 0, created = 0, updated = 0, unchanged = 0, rejected = 0, status = 'running', started_at = $1, finished_at = NULL WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(db.pool())
            .await?;
        return Ok((id, 0));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vault_import_jobs (fingerprint, path, lines_done, created, updated, unchanged, rejected, status, started_at) \
         VALUES ($1, $2, 0, 0, 0, 0, 0, 'running', $3) RETURNING id",
    )
    .bind(fp)
    .bind(path.display().to_string())
    .bind(now)
    .fetch_one(db.pool())
    .await?;
    Ok((id, 0))
}

async fn advance_job(
    db: &custodian_db::Database,
    id: i64,
    r: &ImportReport,
) -> Result<(), VaultError> {
    sqlx::query("UPDATE vault_import_jobs SET lines_done = $1, created = created + 0, rejected = $2 WHERE id = $3")
        .bind(r.lines as i64)
        .bind(r.rejected as i64)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

async fn finish_job(db: &custodian_db::Database, id: i64, now: i64) -> Result<(), VaultError> {
    sqlx::query("UPDATE vault_import_jobs SET status = 'done', finished_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Reads the file on a blocking thread and sends parsed batches; skips `skip` data lines.
fn parse_stream(
    file: std::fs::File,
    path: &Path,
    opts: &ImportOptions,
    skip: u64,
    tx: &mpsc::Sender<Item>,
) -> Result<(), ImportError> {
    let send = |item| tx.blocking_send(item).is_ok();
    let mut batch = Vec::with_capacity(opts.batch_size);
    let mut errors = Vec::new();
    let mut lines: u64 = 0;
    let push = |res: Result<CanonicalRecord, RowError>,
                lines: u64,
                batch: &mut Vec<CanonicalRecord>,
                errors: &mut Vec<RowError>| {
        match res {
            Ok(r) => batch.push(r),
            Err(e) => errors.push(e),
        }
        if batch.len() >= opts.batch_size {
            let b = std::mem::replace(batch, Vec::with_capacity(opts.batch_size));
            return send(Item::Batch(b, std::mem::take(errors), lines));
        }
        true
    };
    match opts.format {
        Format::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(false)
                .from_reader(BufReader::with_capacity(1 << 20, file));
            let header = match rdr.byte_headers() {
                Ok(h) => h.clone(),
                Err(e) => {
                    let error = RowError {
                        line: 1,
                        field: "header".into(),
                        reason: e.to_string(),
                    };
                    send(Item::Fatal(ImportError::Structure {
                        path: path.to_owned(),
                        error,
                    }));
                    return Ok(());
                }
            };
            let names: Vec<String> = header
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_owned())
                .collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            if let Err(error) = record::check_header(&refs) {
                send(Item::Fatal(ImportError::Structure {
                    path: path.to_owned(),
                    error,
                }));
                return Ok(());
            }
            let mut rec = csv::ByteRecord::new();
            loop {
                let line = rdr.position().line();
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {
                        lines += 1;
                        if lines <= skip {
                            continue;
                        }
                        let res = parse_csv_row(&rec, &refs, line, opts.today);
                        if !push(res, lines, &mut batch, &mut errors) {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        lines += 1;
                        let reason = match e.kind() {
                            csv::ErrorKind::UnequalLengths {
                                expected_len, len, ..
                            } => format!("has {len} fields, the header has {expected_len}"),
                            _ => "unreadable row (broken quoting?)".to_owned(),
                        };
                        let line = e.position().map_or(line, |p| p.line());
                        if lines > skip
                            && !push(
                                Err(RowError {
                                    line,
                                    field: "row".into(),
                                    reason,
                                }),
                                lines,
                                &mut batch,
                                &mut errors,
                            )
                        {
                            return Ok(());
                        }
                        if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                            break;
                        }
                    }
                }
            }
        }
        Format::Ndjson => {
            let rdr = BufReader::with_capacity(1 << 20, file);
            for (i, raw) in rdr.split(b'\n').enumerate() {
                let raw = raw.map_err(|source| ImportError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                lines += 1;
                if lines <= skip {
                    continue;
                }
                let res = parse_json_row(&raw, i as u64 + 1, opts.today);
                if !push(res, lines, &mut batch, &mut errors) {
                    return Ok(());
                }
            }
        }
    }
    if !batch.is_empty() || !errors.is_empty() {
        send(Item::Batch(batch, errors, lines));
    }
    Ok(())
}

fn parse_csv_row(
    rec: &csv::ByteRecord,
    header: &[&str],
    line: u64,
    today: Date,
) -> Result<CanonicalRecord, RowError> {
    let mut vals: Vec<&str> = Vec::with_capacity(header.len());
    for (i, b) in rec.iter().enumerate() {
        match std::str::from_utf8(b) {
            Ok(s) => vals.push(s),
            Err(_) => {
                return Err(RowError {
                    line,
                    field: header.get(i).copied().unwrap_or("row").to_owned(),
                    reason: "is not valid UTF-8".into(),
                });
            }
        }
    }
    record::parse_row(
        line,
        |c| {
            header
                .iter()
                .position(|h| *h == c)
                .and_then(|i| vals.get(i).copied())
        },
        today,
    )
}

fn parse_json_row(raw: &[u8], line: u64, today: Date) -> Result<CanonicalRecord, RowError> {
    let err = |field: &str, reason: &str| RowError {
        line,
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    let obj: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(raw).map_err(|_| err("row", "is not a JSON object"))?;
    let mut vals: Vec<(String, String)> = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        if !record::COLUMNS.contains(&k.as_str()) {
            return Err(err(&k, "unknown field"));
        }
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => vals.push((k, s)),
            serde_json::Value::Number(n) => vals.push((k, n.to_string())),
            _ => return Err(err(&k, "must be a string or null")),
        }
    }
    record::parse_row(
        line,
        |c| vals.iter().find(|(k, _)| k == c).map(|(_, v)| v.as_str()),
        today,
    )
}
