//! `incident expose --files`: leaked files of any shape (text dumps, logs, spreadsheets exported
//! as text, archives) read with the PII pack, so the breach engine can tell who is in them.
//!
//! A dump of mixed identifiers has no header to go by, so each **line** is taken as one record:
//! the values the PII pack finds on a line belong together (the usual shape of a dump: one
//! person per line, whatever the separator). The records become an in-memory table whose
//! columns are the data elements, which the breach engine links through the blind indexes like
//! any uploaded CSV: a line links to a person by SSN, e-mail, phone, IMEI or IMSI, and every
//! element on that line counts as exposed for that person. The table is never written to disk.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use custodian_scan::content::{Confidence, PiiKind, RuleSet, ScanOptions, Scanner};

/// The leaked files as a table the breach engine reads, with what was found.
pub(crate) struct Dump {
    /// A name for the exposure record (the file, or the first files and how many).
    pub(crate) name: String,
    /// CSV with one column per data element.
    pub(crate) csv: Vec<u8>,
    /// Files (and archive members) read.
    pub(crate) files: u64,
    /// Bytes read.
    pub(crate) bytes: u64,
    /// Lines that held at least one value.
    pub(crate) records: u64,
    /// Values found per element.
    pub(crate) values: BTreeMap<PiiKind, u64>,
}

/// Reads `paths` (files, directories, archives) with the PII pack, keeping values at or above
/// `min`.
pub(crate) fn read(paths: &[PathBuf], min: Confidence) -> anyhow::Result<Dump> {
    for p in paths {
        if !p.exists() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let scanner = Scanner::new(
        RuleSet::pii().context("the shipped PII pack")?,
        ScanOptions {
            min_confidence: min,
            ..ScanOptions::default()
        },
    )?;
    let mut files = 0;
    let mut bytes = 0;
    let mut units = Vec::new();
    for p in paths {
        let found = scanner.pii_values(p);
        if let Some((at, why)) = found.errors.first() {
            bail!("{at}: {why} (nothing was recorded)");
        }
        files += found.files_scanned;
        bytes += found.bytes_scanned;
        units.extend(found.units);
    }
    let mut values: BTreeMap<PiiKind, u64> = BTreeMap::new();
    for v in units.iter().flat_map(|u| &u.values) {
        *values.entry(v.kind).or_default() += 1;
    }
    // Only the elements present become columns, so the exposure claims no element that is not
    // in the files.
    let columns: Vec<PiiKind> = PiiKind::ALL
        .into_iter()
        .filter(|k| values.contains_key(k))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    if !columns.is_empty() {
        w.write_record(columns.iter().map(|k| k.as_str()))?;
    }
    let mut records = 0;
    for unit in &units {
        // Values by line, then by element, in the order found.
        let mut lines: BTreeMap<u64, BTreeMap<PiiKind, Vec<&str>>> = BTreeMap::new();
        for v in &unit.values {
            let by_kind = lines.entry(v.line).or_default().entry(v.kind).or_default();
            if !by_kind.contains(&v.value.as_str()) {
                by_kind.push(v.value.as_str());
            }
        }
        for by_kind in lines.values() {
            records += 1;
            // Two SSNs on one line: two rows, each with the line's other elements.
            let rows = by_kind.values().map(Vec::len).max().unwrap_or(0);
            for r in 0..rows {
                let row = columns.iter().map(|k| {
                    by_kind
                        .get(k)
                        .and_then(|vals| vals.get(r).or(vals.first()))
                        .copied()
                        .unwrap_or("")
                });
                w.write_record(row)?;
            }
        }
    }
    let linkable = [
        PiiKind::Ssn,
        PiiKind::Email,
        PiiKind::PhoneNumber,
        PiiKind::Imei,
        PiiKind::Imsi,
    ];
    if records > 0 && !linkable.iter().any(|k| values.contains_key(k)) {
        let found: Vec<&str> = values.keys().map(|k| k.as_str()).collect();
        bail!(
            "the files hold {} but no identifier a person can be found by (SSN, e-mail, phone, \
             IMEI or IMSI); nothing was recorded",
            found.join(", ")
        );
    }
    let csv = w.into_inner().context("building the table of records")?;
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let name = match names.as_slice() {
        [one] => one.clone(),
        many => format!(
            "{} paths: {}{}",
            many.len(),
            many[..many.len().min(3)].join(", "),
            if many.len() > 3 { ", …" } else { "" }
        ),
    };
    Ok(Dump {
        name,
        csv,
        files,
        bytes,
        records,
        values,
    })
}
