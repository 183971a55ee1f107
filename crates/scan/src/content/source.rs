//! Turning bytes into scanned units: streams are read in fixed chunks with an overlap (memory
//! stays bounded on huge files and no match is lost at a chunk edge), binary content is
//! skipped by looking for NUL bytes, and archives are recognized by their magic bytes (zip,
//! tar, gzip, zstd) and opened recursively, each member becoming its own unit.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::content::allow::Allowlist;
use crate::content::csv::CsvHeader;
use crate::content::engine::{ChunkCtx, Engine, RawMatch, Scratch};
use crate::content::finding::{fingerprint, preview};
use crate::content::pii::PiiKind;
use crate::content::rule::Confidence;
use crate::content::scanner::ScanOptions;

/// How much of a unit's start is checked for NUL bytes.
const BINARY_PROBE: usize = 8 * 1024;
/// Nested zip archives are read into memory (zip needs to seek); larger ones are skipped.
const MAX_NESTED_ZIP: u64 = 256 << 20;

/// What a unit is, for its findings' locations.
#[derive(Clone, Debug)]
pub(crate) struct UnitId {
    pub(crate) file: PathBuf,
    pub(crate) member: Option<String>,
    pub(crate) commit: Option<String>,
}

impl UnitId {
    pub(crate) fn file(path: &Path) -> UnitId {
        UnitId {
            file: path.to_path_buf(),
            member: None,
            commit: None,
        }
    }

    fn child(&self, name: &str) -> UnitId {
        let member = match &self.member {
            Some(m) => format!("{m}!{name}"),
            None => name.to_owned(),
        };
        UnitId {
            file: self.file.clone(),
            member: Some(member),
            commit: self.commit.clone(),
        }
    }

    /// `path`, `path!member` or `repo@commit!path`, for summaries and errors.
    pub(crate) fn label(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some(c) = &self.commit {
            s.push('@');
            s.push_str(c);
        }
        if let Some(m) = &self.member {
            s.push('!');
            s.push_str(m);
        }
        s
    }
}

/// One occurrence, fingerprinted; the value itself is gone by now.
pub(crate) struct Hit {
    pub(crate) rule: usize,
    pub(crate) fingerprint: String,
    pub(crate) preview: String,
    pub(crate) confidence: Confidence,
    pub(crate) line: u64,
    pub(crate) column: u64,
}

/// The outcome of scanning one unit.
pub(crate) struct UnitResult {
    pub(crate) id: UnitId,
    pub(crate) hits: Vec<Hit>,
    pub(crate) pii: BTreeMap<PiiKind, BTreeSet<String>>,
    /// The personal-data values themselves; only when the source keeps them
    /// ([`crate::content::Scanner::pii_values`]).
    pub(crate) values: Vec<PiiValue>,
}

/// One personal-data value the PII pack found, with its line. Only
/// [`crate::content::Scanner::pii_values`] keeps values; they stay in memory, are wiped when
/// dropped and never shown by `Debug`.
pub struct PiiValue {
    /// 1-based line of the unit the value is on.
    pub line: u64,
    /// What it is.
    pub kind: PiiKind,
    /// How sure the match is.
    pub confidence: Confidence,
    /// The value as it appears in the text.
    pub value: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for PiiValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PiiValue {{ line: {}, kind: {}, confidence: {:?}, value: <redacted> }}",
            self.line, self.kind, self.confidence
        )
    }
}

/// Everything a scan of many units accumulates.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) units: Vec<UnitResult>,
    pub(crate) files_scanned: u64,
    pub(crate) bytes_scanned: u64,
    pub(crate) files_skipped_binary: u64,
    pub(crate) errors: Vec<(String, String)>,
}

impl Outcome {
    pub(crate) fn absorb(&mut self, other: Outcome) {
        self.units.extend(other.units);
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.files_skipped_binary += other.files_skipped_binary;
        self.errors.extend(other.errors);
    }
}

/// Scans units for one worker thread.
pub(crate) struct Source<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) options: &'a ScanOptions,
    pub(crate) allowlist: &'a Allowlist,
    pub(crate) scratch: Scratch,
    raw: Vec<RawMatch>,
    spare: Vec<Vec<u8>>,
    keep_values: bool,
}

impl<'a> Source<'a> {
    pub(crate) fn new(
        engine: &'a Engine,
        options: &'a ScanOptions,
        allowlist: &'a Allowlist,
    ) -> Source<'a> {
        Source {
            engine,
            options,
            allowlist,
            scratch: engine.scratch(),
            raw: Vec::new(),
            spare: Vec::new(),
            keep_values: false,
        }
    }

    /// Makes this source keep every personal-data value it finds (with its line) in the units
    /// it reports.
    pub(crate) fn keeping_values(mut self) -> Source<'a> {
        self.keep_values = true;
        self
    }

    /// Scans a file on disk (archives included), adding to `out`.
    pub(crate) fn scan_file(&mut self, path: &Path, out: &mut Outcome) {
        let id = UnitId::file(path);
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return out.errors.push((id.label(), e.to_string())),
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if let Some(limit) = self.options.max_file_size.filter(|&limit| size > limit) {
            return out
                .errors
                .push((id.label(), format!("skipped: larger than {limit} bytes")));
        }
        let budget = Rc::new(Cell::new(self.options.max_decompressed_bytes));
        let mut reader = file;
        if let Err(e) = self.scan_stream(&mut reader, id.clone(), Some(path), 0, &budget, out) {
            out.errors.push((id.label(), e.to_string()));
        }
    }

    /// Scans an in-memory unit (a git blob, `scan_bytes`), archives included. Text is
    /// scanned in place, chunk by chunk, without copying.
    pub(crate) fn scan_slice(&mut self, data: &[u8], id: UnitId, out: &mut Outcome) {
        let kind = sniff(data);
        if kind != Kind::Plain && self.options.scan_archives && self.options.max_archive_depth > 0 {
            let budget = Rc::new(Cell::new(self.options.max_decompressed_bytes));
            let label = id.label();
            if let Err(e) =
                self.scan_archive(kind, &mut Cursor::new(data), id, None, 0, &budget, out)
            {
                out.errors.push((label, e.to_string()));
            }
            return;
        }
        if memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some() {
            out.files_skipped_binary += 1;
            return;
        }
        let header = CsvHeader::detect(data);
        let mut unit = UnitState::default();
        let (chunk, overlap) = (self.options.chunk_size, self.engine.overlap());
        let mut start = 0;
        loop {
            let end = (start + chunk + overlap).min(data.len());
            let last = end == data.len();
            let own_end = if last { end - start } else { chunk };
            self.feed(
                &data[start..end],
                own_end,
                start == 0,
                header.as_ref(),
                &mut unit,
            );
            if last {
                break;
            }
            start += chunk;
        }
        out.bytes_scanned += data.len() as u64;
        out.files_scanned += 1;
        if !unit.hits.is_empty() {
            out.units.push(UnitResult {
                id,
                hits: unit.hits,
                pii: unit.pii,
                values: unit.values,
            });
        }
    }

    /// Reads the start of a stream, opens it as an archive if it is one, and otherwise
    /// scans it as text in chunks.
    fn scan_stream(
        &mut self,
        reader: &mut dyn Read,
        id: UnitId,
        disk: Option<&Path>,
        depth: u32,
        budget: &Rc<Cell<u64>>,
        out: &mut Outcome,
    ) -> io::Result<()> {
        let chunk = self.options.chunk_size;
        let overlap = self.engine.overlap();
        // Buffers are reused across units, so small files cost no allocation.
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        let mut eof = fill(reader, &mut buf, chunk + overlap)?;
        let kind = sniff(&buf);
        if kind != Kind::Plain
            && self.options.scan_archives
            && depth < self.options.max_archive_depth
        {
            let head = std::mem::take(&mut buf);
            let mut chained = Cursor::new(head).chain(reader);
            return self.scan_archive(kind, &mut chained, id, disk, depth, budget, out);
        }
        if memchr::memchr(0, &buf[..buf.len().min(BINARY_PROBE)]).is_some() {
            out.files_skipped_binary += 1;
            self.spare.push(buf);
            return Ok(());
        }
        let header = CsvHeader::detect(&buf);
        let mut unit = UnitState::default();
        let mut first = true;
        loop {
            let own_end = if eof { buf.len() } else { chunk };
            self.feed(&buf, own_end, first, header.as_ref(), &mut unit);
            out.bytes_scanned += own_end as u64;
            if eof {
                break;
            }
            buf.drain(..chunk);
            eof = fill(reader, &mut buf, chunk + overlap)?;
            first = false;
        }
        self.spare.push(buf);
        out.files_scanned += 1;
        if !unit.hits.is_empty() {
            out.units.push(UnitResult {
                id,
                hits: unit.hits,
                pii: unit.pii,
                values: unit.values,
            });
        }
        Ok(())
    }

    /// Scans one chunk and turns its matches into located, fingerprinted hits.
    fn feed(
        &mut self,
        hay: &[u8],
        own_end: usize,
        first: bool,
        header: Option<&CsvHeader>,
        unit: &mut UnitState,
    ) {
        let ctx = ChunkCtx {
            header,
            at_file_start: first,
            allowlist: self.allowlist,
        };
        self.raw.clear();
        self.engine
            .scan_chunk(hay, own_end, &ctx, &mut self.scratch, &mut self.raw);
        let (mut cursor, mut line, mut last_nl) = (0usize, unit.line, None::<usize>);
        for m in self.raw.drain(..) {
            let gap = &hay[cursor..m.start];
            line += count_newlines(gap);
            if let Some(nl) = memchr::memrchr(b'\n', gap) {
                last_nl = Some(cursor + nl);
            }
            cursor = m.start;
            let column = match last_nl {
                Some(nl) => (m.start - nl) as u64,
                None => unit.column_base + m.start as u64 + 1,
            };
            let rule = self.engine.rule(m.rule);
            let subject = rule.element.map_or(rule.id.as_str(), |e| e.as_str());
            let fp = fingerprint(self.options.fingerprint_key.as_ref(), subject, &m.value);
            if let Some(element) = rule.element {
                unit.pii.entry(element).or_default().insert(fp.clone());
                if self.keep_values {
                    unit.values.push(PiiValue {
                        line: line + 1,
                        kind: element,
                        confidence: m.confidence,
                        value: zeroize::Zeroizing::new(m.value.clone()),
                    });
                }
            }
            unit.hits.push(Hit {
                rule: m.rule,
                preview: preview(&m.value),
                fingerprint: fp,
                confidence: m.confidence,
                line: line + 1,
                column,
            });
        }
        if own_end == hay.len() {
            // The unit's last chunk: no later line numbers depend on this one.
            return;
        }
        let own = &hay[..own_end];
        unit.line += count_newlines(own);
        unit.column_base = match memchr::memrchr(b'\n', own) {
            Some(nl) => (own_end - nl - 1) as u64,
            None => unit.column_base + own_end as u64,
        };
    }

    #[allow(clippy::too_many_arguments)] // the recursion carries its whole context
    fn scan_archive(
        &mut self,
        kind: Kind,
        reader: &mut dyn Read,
        id: UnitId,
        disk: Option<&Path>,
        depth: u32,
        budget: &Rc<Cell<u64>>,
        out: &mut Outcome,
    ) -> io::Result<()> {
        match kind {
            Kind::Gzip => {
                let mut inner = Budgeted {
                    inner: flate2::read::MultiGzDecoder::new(reader),
                    budget: budget.clone(),
                };
                self.scan_stream(&mut inner, id, None, depth + 1, budget, out)
            }
            Kind::Zstd => {
                let decoder = ruzstd::decoding::StreamingDecoder::new(reader)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let mut inner = Budgeted {
                    inner: decoder,
                    budget: budget.clone(),
                };
                self.scan_stream(&mut inner, id, None, depth + 1, budget, out)
            }
            Kind::Tar => {
                let mut archive = tar::Archive::new(reader);
                for entry in archive.entries()? {
                    let entry = entry?;
                    if !entry.header().entry_type().is_file() {
                        continue;
                    }
                    let name = entry
                        .path()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_else(|_| "?".into());
                    let child = id.child(&name);
                    let mut limited = Budgeted {
                        inner: entry,
                        budget: budget.clone(),
                    };
                    if let Err(e) =
                        self.scan_stream(&mut limited, child.clone(), None, depth + 1, budget, out)
                    {
                        out.errors.push((child.label(), e.to_string()));
                        if e.kind() == io::ErrorKind::FileTooLarge {
                            return Ok(());
                        }
                    }
                }
                Ok(())
            }
            Kind::Zip => match disk {
                Some(path) => self.scan_zip(File::open(path)?, &id, depth, budget, out),
                None => {
                    let mut data = Vec::new();
                    reader.take(MAX_NESTED_ZIP + 1).read_to_end(&mut data)?;
                    if data.len() as u64 > MAX_NESTED_ZIP {
                        return Err(io::Error::new(
                            io::ErrorKind::FileTooLarge,
                            "nested zip larger than 256 MiB",
                        ));
                    }
                    self.scan_zip(Cursor::new(data), &id, depth, budget, out)
                }
            },
            Kind::Plain => Ok(()),
        }
    }

    fn scan_zip<R: Read + io::Seek>(
        &mut self,
        reader: R,
        id: &UnitId,
        depth: u32,
        budget: &Rc<Cell<u64>>,
        out: &mut Outcome,
    ) -> io::Result<()> {
        let mut archive = zip::ZipArchive::new(reader).map_err(io::Error::other)?;
        for i in 0..archive.len() {
            let entry = match archive.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    out.errors
                        .push((id.label(), format!("zip member {i}: {e}")));
                    continue;
                }
            };
            if !entry.is_file() {
                continue;
            }
            let name = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("#{i}"));
            let child = id.child(&name);
            let mut limited = Budgeted {
                inner: entry,
                budget: budget.clone(),
            };
            if let Err(e) =
                self.scan_stream(&mut limited, child.clone(), None, depth + 1, budget, out)
            {
                out.errors.push((child.label(), e.to_string()));
                if e.kind() == io::ErrorKind::FileTooLarge {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Line and column bookkeeping across the chunks of one unit.
#[derive(Default)]
struct UnitState {
    line: u64,
    column_base: u64,
    hits: Vec<Hit>,
    pii: BTreeMap<PiiKind, BTreeSet<String>>,
    values: Vec<PiiValue>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Plain,
    Zip,
    Tar,
    Gzip,
    Zstd,
}

/// The number of `\n` bytes (a loop the compiler vectorizes).
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Recognizes archives by content, never by name.
fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Plain
    }
}

/// Appends from `reader` until `buf` holds `target` bytes; returns true at end of input.
/// The buffer grows as data arrives, so a small file never costs a full chunk of memory.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let want = target.saturating_sub(buf.len());
    if want == 0 {
        return Ok(false);
    }
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

/// A reader that fails once the archive's decompressed-bytes budget is spent, so a
/// decompression bomb costs a bounded amount of work.
struct Budgeted<R> {
    inner: R,
    budget: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let left = self.budget.get();
        if n as u64 > left {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "decompressed size limit reached",
            ));
        }
        self.budget.set(left - n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_uses_magic_bytes() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Kind::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Kind::Zstd);
        assert_eq!(sniff(b"plain text"), Kind::Plain);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Kind::Tar);
    }

    #[test]
    fn fill_reads_to_target_or_eof() {
        let mut buf = Vec::new();
        let mut r = Cursor::new(vec![1u8; 10]);
        assert!(!fill(&mut r, &mut buf, 4).unwrap());
        assert_eq!(buf.len(), 4);
        assert!(fill(&mut r, &mut buf, 100).unwrap());
        assert_eq!(buf.len(), 10);
    }
}
