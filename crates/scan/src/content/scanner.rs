//! The public entry point: [`Scanner`] compiles a [`RuleSet`] once and scans paths (files,
//! directories, archives), git history and byte slices in parallel, returning a
//! [`ScanReport`]. Directory walks deliberately do not honour `.gitignore`: ignored files
//! (`.env`, `*.pem`) are exactly where secrets live.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::content::allow::{Allowlist, Baseline};
use crate::content::engine::Engine;
use crate::content::error::ScanError;
use crate::content::finding::FingerprintKey;
use crate::content::report::{self, ReportPolicy, ScanReport};
use crate::content::rule::{Confidence, RuleSet};
use crate::content::source::{Outcome, PiiValue, Source, UnitId};

/// How a scan runs. `Default` gives: all cores, 8 MiB chunks, archives opened three levels
/// deep with at most 4 GiB decompressed per file, every confidence reported.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Bytes scanned per chunk; memory per worker is about this plus the overlap.
    pub chunk_size: usize,
    /// Files larger than this are skipped (and listed in the report's errors).
    pub max_file_size: Option<u64>,
    /// Open zip, tar, gzip and zstd content and scan its members.
    pub scan_archives: bool,
    /// How many archive layers are opened (a zip in a tar.gz is two).
    pub max_archive_depth: u32,
    /// Decompressed bytes allowed per top-level file, against decompression bombs.
    pub max_decompressed_bytes: u64,
    /// Follow symbolic links while walking directories.
    pub follow_symlinks: bool,
    /// Paths, fingerprints and values not to report.
    pub allowlist: Allowlist,
    /// Already-known fingerprints; only other findings are reported.
    pub baseline: Option<Baseline>,
    /// Findings below this confidence are dropped.
    pub min_confidence: Confidence,
    /// Key fingerprints with HMAC (recommended whenever PII is scanned).
    pub fingerprint_key: Option<FingerprintKey>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            threads: 0,
            chunk_size: 8 << 20,
            max_file_size: None,
            scan_archives: true,
            max_archive_depth: 3,
            max_decompressed_bytes: 4 << 30,
            follow_symlinks: false,
            allowlist: Allowlist::new(),
            baseline: None,
            min_confidence: Confidence::Low,
            fingerprint_key: None,
        }
    }
}

/// A compiled rule set plus options, ready to scan.
pub struct Scanner {
    pub(crate) engine: Engine,
    pub(crate) options: ScanOptions,
    pub(crate) allowlist: Allowlist,
    pub(crate) pool: rayon::ThreadPool,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.engine.rule_count())
            .field("options", &self.options)
            .finish()
    }
}

impl Scanner {
    /// Compiles `rules` and starts the worker pool.
    pub fn new(rules: RuleSet, options: ScanOptions) -> Result<Scanner, ScanError> {
        if options.chunk_size < 4096 {
            return Err(ScanError::Options(
                "chunk_size must be at least 4096 bytes".into(),
            ));
        }
        let engine = Engine::new(&rules)?;
        let mut allowlist = options.allowlist.clone();
        allowlist.extend(rules.allowlist);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("content-scan-{i}"))
            .build()
            .map_err(|e| ScanError::ThreadPool(e.to_string()))?;
        Ok(Scanner {
            engine,
            options,
            allowlist,
            pool,
        })
    }

    /// The options this scanner was built with.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Scans a file or a directory tree (hidden and git-ignored files included; archives
    /// opened by content).
    pub fn scan_path(&self, path: &Path) -> ScanReport {
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let (files, skipped) = self.walk(path, &mut outcome);
        let results: Vec<Outcome> = self.pool.install(|| {
            files
                .par_iter()
                .map_init(
                    || Source::new(&self.engine, &self.options, &self.allowlist),
                    |source, file| {
                        let mut out = Outcome::default();
                        source.scan_file(file, &mut out);
                        out
                    },
                )
                .collect()
        });
        for r in results {
            outcome.absorb(r);
        }
        self.finish(outcome, skipped, started)
    }

    /// Scans a file or a directory tree like [`Scanner::scan_path`], but returns the
    /// personal-data values themselves, per unit and line, for linking a leaked dump to people
    /// (the breach engine's file exposures). Only rules with a data element count; findings
    /// below the scanner's `min_confidence` and allowlisted paths and values are left out; the
    /// baseline does not apply. Nothing here is logged or stored.
    pub fn pii_values(&self, path: &Path) -> PiiValues {
        let mut outcome = Outcome::default();
        let (files, _) = self.walk(path, &mut outcome);
        let results: Vec<Outcome> = self.pool.install(|| {
            files
                .par_iter()
                .map_init(
                    || Source::new(&self.engine, &self.options, &self.allowlist).keeping_values(),
                    |source, file| {
                        let mut out = Outcome::default();
                        source.scan_file(file, &mut out);
                        out
                    },
                )
                .collect()
        });
        for r in results {
            outcome.absorb(r);
        }
        let min = self.options.min_confidence;
        let mut units: Vec<PiiUnitValues> = outcome
            .units
            .into_iter()
            .filter_map(|u| {
                let values: Vec<PiiValue> = u
                    .values
                    .into_iter()
                    .filter(|v| v.confidence >= min)
                    .collect();
                (!values.is_empty()).then(|| PiiUnitValues {
                    location: u.id.label(),
                    values,
                })
            })
            .collect();
        units.sort_by(|a, b| a.location.cmp(&b.location));
        PiiValues {
            units,
            files_scanned: outcome.files_scanned,
            bytes_scanned: outcome.bytes_scanned,
            errors: outcome.errors,
        }
    }

    /// Scans a byte slice as one unit named `name` (archives included).
    pub fn scan_bytes(&self, name: &str, data: &[u8]) -> ScanReport {
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let mut source = Source::new(&self.engine, &self.options, &self.allowlist);
        source.scan_slice(data, UnitId::file(Path::new(name)), &mut outcome);
        self.finish(outcome, 0, started)
    }

    /// Scans every blob in the history of the git repository at `repo` once, reporting
    /// each finding at every commit and path that introduced its blob.
    pub fn scan_git(&self, repo: &Path) -> ScanReport {
        let started = Instant::now();
        let (outcome, skipped) = crate::content::git::scan_history(self, repo);
        self.finish(outcome, skipped, started)
    }

    pub(crate) fn finish(&self, outcome: Outcome, skipped: u64, started: Instant) -> ScanReport {
        let policy = ReportPolicy {
            engine: &self.engine,
            allowlist: &self.allowlist,
            baseline: self.options.baseline.as_ref(),
            min_confidence: self.options.min_confidence,
        };
        report::build(outcome, &policy, skipped, started.elapsed())
    }

    /// Lists the files under `root` that are not allowlisted; returns them and how many
    /// were skipped by the allowlist.
    fn walk(&self, root: &Path, outcome: &mut Outcome) -> (Vec<PathBuf>, u64) {
        let mut files = Vec::new();
        let mut skipped = 0;
        let walker = walkdir::WalkDir::new(root)
            .follow_links(self.options.follow_symlinks)
            .sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let at = e
                        .path()
                        .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                    outcome.errors.push((at, e.to_string()));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(root)
                .ok()
                .filter(|r| !r.as_os_str().is_empty());
            let name = relative.unwrap_or_else(|| Path::new(entry.file_name()));
            let rel = name.to_string_lossy().replace('\\', "/");
            if self.allowlist.is_path_allowed(&rel) {
                skipped += 1;
                continue;
            }
            files.push(entry.into_path());
        }
        (files, skipped)
    }
}

/// The personal-data values of one unit (a file, an archive member), in the order found.
#[derive(Debug)]
pub struct PiiUnitValues {
    /// The unit: a path, with `!member` for archive members.
    pub location: String,
    /// Its values.
    pub values: Vec<PiiValue>,
}

/// What [`Scanner::pii_values`] found.
#[derive(Debug, Default)]
pub struct PiiValues {
    /// Units holding at least one value, by location.
    pub units: Vec<PiiUnitValues>,
    /// Files (and archive members) read.
    pub files_scanned: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Units that could not be read: (location, reason).
    pub errors: Vec<(String, String)>,
}
