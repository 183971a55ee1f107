//! The letter writer. Letters are PDFs (`letter_pdf` lays them out) batched into print files,
//! with a CSV mailing manifest, as print vendors take them. A crash must never lose or corrupt a
//! letter that was reported sent, so every send leaves durable state of its own:
//!
//! - the letter is appended to its batch's spool, `batch-{campaign}-{owner}-{batch:04}.spool`,
//!   and the spool fdatasync'd. A spool is a run of frames, one per letter in sequence: the
//!   idempotency key's length (u16, little-endian), the key, the PDF's length (u64,
//!   little-endian), the PDF. One file per batch rather than one per letter: creating,
//!   renaming and syncing a file and its directory for every letter cost more than the rest of
//!   writing it;
//! - then its row is appended to `manifest-{campaign}-{owner}.csv` and fsync'd: idempotency key,
//!   print file, sequence in the batch, first page in the print file, page count, name, street,
//!   city/state/ZIP. The row is the commit point: a frame without a row (and a frame torn by a
//!   crash) was never acknowledged and is cut off when the batch is read back, and a key that
//!   already has a row is not written again;
//! - when a batch holds [`LettersConfig::batch_size`] letters (500 by default), and on
//!   [`Letters::finish`], its letters are joined into `print-{campaign}-{owner}-{batch:04}.pdf`
//!   (each letter on a new sheet: a blank page follows an odd page count, for duplex printing;
//!   written aside, fsync'd, renamed) and the spool is removed.
//!
//! Nothing is kept only in memory: a new `Letters` on the same directory and owner (a restarted
//! worker) reads the open batch back from the manifest. The worker that sends a campaign's
//! letters calls [`Letters::finish`] when it is done with the campaign, so the last, partly
//! filled batch is printed too.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::SendResult;
use super::letter_pdf::{self, LetterPdf, LetterText};
use crate::service::Contact;
use crate::template::Rendered;

/// Letter settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LettersConfig {
    /// Letters per print file (at least 1).
    pub batch_size: usize,
    /// The sender's lines (company name first, then its return address), printed in the
    /// return-address corner of every letter; none by default.
    pub sender: Vec<String>,
}

impl Default for LettersConfig {
    fn default() -> Self {
        LettersConfig {
            batch_size: 500,
            sender: Vec::new(),
        }
    }
}

/// The letter writer: one PDF per letter in a batch spool, batch print files and a mailing
/// manifest in a directory.
///
/// One `Letters` per directory and owner at a time (the owner is the worker's unique name); it
/// keeps each campaign's open batch in memory and reads it back from the directory the first
/// time it meets the campaign, so a `Letters` dropped and made again (a restart) carries on where
/// the last one stopped.
#[derive(Debug)]
pub struct Letters {
    dir: PathBuf,
    owner: String,
    config: LettersConfig,
    open: Mutex<HashMap<String, Batch>>,
}

/// A campaign's batch being filled, as its manifest records it.
#[derive(Debug)]
struct Batch {
    /// Its number, from 1.
    no: u32,
    /// Its letters, in sequence.
    letters: Vec<Filed>,
    /// Every idempotency key in the campaign's manifest.
    keys: HashSet<String>,
}

/// A letter filed in a batch.
#[derive(Debug)]
struct Filed {
    /// Its idempotency key.
    key: String,
    /// Its first page in the print file.
    first_page: usize,
    /// Its number of pages (without the blank page that follows an odd count).
    pages: usize,
}

/// A manifest row, as recovery needs it.
struct Row {
    key: String,
    batch: u32,
    seq: usize,
    first_page: usize,
    pages: usize,
}

const MANIFEST_HEADER: [&str; 8] = [
    "idempotency_key",
    "batch_file",
    "sequence",
    "first_page",
    "page_count",
    "name",
    "street",
    "city_state_zip",
];

impl Letters {
    /// Letters go to `dir`; `owner` (the worker) names this process's files. Default settings.
    pub fn new(dir: PathBuf, owner: &str) -> Letters {
        Letters::with_config(dir, owner, LettersConfig::default())
    }

    /// Letters go to `dir` with the given settings.
    pub fn with_config(dir: PathBuf, owner: &str, config: LettersConfig) -> Letters {
        Letters {
            dir,
            owner: file_safe(owner, false),
            config,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Writes one letter (a PDF of its own, fsync'd) into the campaign's open batch and its row
    /// into the manifest (fsync'd), and closes the batch into a print file when it is full. A key
    /// already in the manifest is not written again (a retry after a crash that came before its
    /// outcome was recorded).
    pub fn send(&self, campaign: &str, contact: &Contact, idem: &str, r: &Rendered) -> SendResult {
        let Some(addr) = contact.address.as_deref().filter(|a| !a.is_empty()) else {
            return SendResult::Hard("no postal address".into());
        };
        let text = LetterText {
            sender: &self.config.sender,
            address: addr,
            subject: &r.subject,
            body: &r.body,
        };
        let letter = match letter_pdf::render(&text) {
            Ok(l) => l,
            Err(e) => return SendResult::Soft(format!("letter: {e}")),
        };
        let campaign = file_safe(campaign, true);
        let mut open = self.lock();
        match self.file(&mut open, &campaign, idem, addr, &letter) {
            Ok(()) => SendResult::Sent(idem.to_owned()),
            Err(e) => {
                // The directory is the truth: read it back before the next letter.
                open.remove(&campaign);
                SendResult::Soft(format!("print file: {e}"))
            }
        }
    }

    /// Closes the campaign's open batch into its print file and returns the file, or `None` when
    /// no letter is waiting. A worker calls this when it has finished a campaign (or stops);
    /// letters sent after it go to the next batch. Letters left in an open batch are never lost:
    /// they wait, durable, for the next `finish` or for their batch to fill, in this process or
    /// the next one with the same directory and owner.
    pub fn finish(&self, campaign: &str) -> std::io::Result<Option<PathBuf>> {
        let campaign = file_safe(campaign, true);
        let mut open = self.lock();
        let res = self.batch(&mut open, &campaign).and_then(|b| {
            if b.letters.is_empty() {
                // A spool with no acknowledged letter (made for a letter that failed, or cut
                // back by recovery) holds nothing to print.
                match std::fs::remove_file(self.spool_path(&campaign, b.no)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(None),
                }
            } else {
                self.close(&campaign, b).map(Some)
            }
        });
        if res.is_err() {
            open.remove(&campaign);
        }
        res
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Batch>> {
        match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                // A send panicked half-way: forget what it may have left inconsistent, and read
                // the batches back from the directory.
                let mut g = poisoned.into_inner();
                g.clear();
                self.open.clear_poison();
                g
            }
        }
    }

    fn file(
        &self,
        open: &mut HashMap<String, Batch>,
        c: &str,
        idem: &str,
        addr: &[String],
        letter: &LetterPdf,
    ) -> std::io::Result<()> {
        let size = self.config.batch_size.max(1);
        let batch = self.batch(open, c)?;
        if batch.keys.contains(idem) {
            return Ok(());
        }
        if batch.letters.len() >= size {
            self.close(c, batch)?;
        }
        let seq = batch.letters.len() + 1;
        let first_page = batch
            .letters
            .last()
            .map_or(1, |f| f.first_page + padded(f.pages));
        let spool = self.spool_path(c, batch.no);
        if !spool.exists() {
            std::fs::File::create(&spool)?.sync_all()?;
            sync_dir(&self.dir)?;
        }
        append_frame(&spool, idem, &letter.bytes)?;
        let (name, street, city) = address_columns(addr);
        let row = [
            idem.to_owned(),
            self.print_name(c, batch.no),
            seq.to_string(),
            first_page.to_string(),
            letter.pages.to_string(),
            name,
            street,
            city,
        ];
        self.append_row(c, &row)?;
        batch.keys.insert(idem.to_owned());
        batch.letters.push(Filed {
            key: idem.to_owned(),
            first_page,
            pages: letter.pages,
        });
        if batch.letters.len() >= size
            && let Err(e) = self.close(c, batch)
        {
            // The letter is durable; the next send or `finish` closes the batch.
            tracing::warn!(campaign = %c, error = %e, "closing a full print batch failed");
        }
        Ok(())
    }

    /// The campaign's open batch, read back from the directory the first time.
    fn batch<'a>(
        &self,
        open: &'a mut HashMap<String, Batch>,
        c: &str,
    ) -> std::io::Result<&'a mut Batch> {
        Ok(match open.entry(c.to_owned()) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(self.recover(c)?),
        })
    }

    /// Rebuilds a campaign's open batch from its manifest: the last batch with rows, unless it
    /// was closed (its print file written, or its spool gone), in which case the next one. The
    /// open batch's spool is cut back to the frames that have rows (a letter whose row a crash
    /// prevented was never acknowledged), and closed batches' spools are deleted.
    fn recover(&self, c: &str) -> std::io::Result<Batch> {
        std::fs::create_dir_all(&self.dir)?;
        let rows = self.read_manifest(c)?;
        let keys = rows.iter().map(|r| r.key.clone()).collect();
        let no = match rows.last().map(|r| r.batch) {
            None => 1,
            Some(n) if self.dir.join(self.print_name(c, n)).exists() => n + 1,
            Some(n) if !self.spool_path(c, n).is_file() => n + 1,
            Some(n) => n,
        };
        let mut letters = Vec::new();
        for r in rows.into_iter().filter(|r| r.batch == no) {
            if r.seq != letters.len() + 1 {
                return Err(invalid(format!(
                    "manifest of {c}: sequence {} out of order",
                    r.seq
                )));
            }
            letters.push(Filed {
                key: r.key,
                first_page: r.first_page,
                pages: r.pages,
            });
        }
        self.tidy(c, no, &letters)?;
        Ok(Batch { no, letters, keys })
    }

    fn tidy(&self, c: &str, no: u32, letters: &[Filed]) -> std::io::Result<()> {
        let _ = std::fs::remove_file(self.dir.join(format!(".{}.tmp", self.print_name(c, no))));
        let spool = self.spool_path(c, no);
        if spool.is_file() {
            let bytes = std::fs::read(&spool)?;
            let (frames, end) = frames(&bytes);
            if frames.len() < letters.len() {
                return Err(invalid(format!(
                    "{}: {} letters for {} manifest rows",
                    spool.display(),
                    frames.len(),
                    letters.len()
                )));
            }
            let keep = frames
                .get(letters.len())
                .map_or(end, |(start, _, _)| *start);
            if keep as u64 != bytes.len() as u64 {
                let f = std::fs::OpenOptions::new().write(true).open(&spool)?;
                f.set_len(keep as u64)?;
                f.sync_data()?;
            }
        } else if !letters.is_empty() {
            return Err(invalid(format!(
                "{} is missing; {} letters of it have manifest rows",
                spool.display(),
                letters.len()
            )));
        }
        let prefix = format!("batch-{c}-{}-", self.owner);
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let closed = name
                .strip_prefix(&prefix)
                .map(|n| n.strip_suffix(".spool").unwrap_or(n))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < no);
            if closed {
                if e.file_type()?.is_dir() {
                    std::fs::remove_dir_all(e.path())?;
                } else {
                    std::fs::remove_file(e.path())?;
                }
            }
        }
        Ok(())
    }

    /// Joins a batch's letters into its print file (written aside, fsync'd, renamed), removes
    /// the spool and opens the next batch.
    fn close(&self, c: &str, b: &mut Batch) -> std::io::Result<PathBuf> {
        let spool = self.spool_path(c, b.no);
        let bytes = std::fs::read(&spool)?;
        let (frames, _) = frames(&bytes);
        let mut letters = Vec::with_capacity(b.letters.len());
        let mut next_page = 1;
        for (i, f) in b.letters.iter().enumerate() {
            let Some((_, key, pdf)) = frames.get(i) else {
                return Err(invalid(format!(
                    "{}: letter {} is missing",
                    spool.display(),
                    i + 1
                )));
            };
            let pages = letter_pdf::read_pages(pdf)?;
            if *key != f.key || pages.len() != f.pages || f.first_page != next_page {
                return Err(invalid(format!(
                    "{}: letter {} ({}) does not match its manifest row",
                    spool.display(),
                    i + 1,
                    f.key
                )));
            }
            next_page += padded(f.pages);
            letters.push(pages);
        }
        let pdf = letter_pdf::combine(&letters)?;
        let print = write_durably(&self.dir, &self.print_name(c, b.no), &pdf)?;
        if let Err(e) = std::fs::remove_file(&spool) {
            // Harmless: the next recovery removes it.
            tracing::warn!(spool = %spool.display(), error = %e, "removing a closed batch failed");
        }
        b.no += 1;
        b.letters.clear();
        Ok(print)
    }

    /// The manifest's rows; a last row torn by a crash (no newline) is cut off first.
    fn read_manifest(&self, c: &str) -> std::io::Result<Vec<Row>> {
        let path = self.manifest_path(c);
        let mut bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if !bytes.ends_with(b"\n") {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let f = std::fs::OpenOptions::new().write(true).open(&path)?;
            f.set_len(keep as u64)?;
            f.sync_data()?;
            bytes.truncate(keep);
        }
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        let mut rd = csv::Reader::from_reader(bytes.as_slice());
        if rd.headers()?.iter().ne(MANIFEST_HEADER) {
            return Err(invalid(format!("{}: unexpected header", path.display())));
        }
        let prefix = format!("print-{c}-{}-", self.owner);
        let mut rows = Vec::new();
        for rec in rd.records() {
            let rec = rec?;
            let num = |i: usize| rec.get(i).and_then(|v| v.parse::<usize>().ok());
            let batch = rec
                .get(1)
                .and_then(|b| b.strip_prefix(&prefix)?.strip_suffix(".pdf")?.parse().ok());
            let (Some(key), Some(batch), Some(seq), Some(first_page), Some(pages)) =
                (rec.get(0), batch, num(2), num(3), num(4))
            else {
                return Err(invalid(format!("{}: a malformed row", path.display())));
            };
            rows.push(Row {
                key: key.to_owned(),
                batch,
                seq,
                first_page,
                pages,
            });
        }
        Ok(rows)
    }

    /// Appends one row (and the header to a new manifest) and fsyncs it; on failure the file is
    /// cut back so no torn row is left for the next append to follow.
    fn append_row(&self, c: &str, row: &[String]) -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.manifest_path(c))?;
        let len = f.metadata()?.len();
        let mut w = csv::Writer::from_writer(Vec::new());
        if len == 0 {
            w.write_record(MANIFEST_HEADER)?;
        }
        w.write_record(row.iter().map(|v| v.replace(['\r', '\n'], " ")))?;
        let buf = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        if let Err(e) = f.write_all(&buf).and_then(|()| f.sync_data()) {
            let _ = f.set_len(len);
            return Err(e);
        }
        if len == 0 {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn manifest_path(&self, c: &str) -> PathBuf {
        self.dir.join(format!("manifest-{c}-{}.csv", self.owner))
    }

    fn print_name(&self, c: &str, no: u32) -> String {
        format!("print-{c}-{}-{no:04}.pdf", self.owner)
    }

    fn spool_path(&self, c: &str, no: u32) -> PathBuf {
        self.dir
            .join(format!("batch-{c}-{}-{no:04}.spool", self.owner))
    }
}

/// A name made safe for a file name: ASCII letters and digits (and `.`, `_`, `-` if `dots`),
/// anything else as `-`.
fn file_safe(s: &str, dots: bool) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || (dots && matches!(c, '.' | '_' | '-')) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// One letter's frame in a spool: key length (u16 LE), key, PDF length (u64 LE), PDF.
fn frame(key: &str, pdf: &[u8]) -> Vec<u8> {
    let key = key.as_bytes();
    let mut out = Vec::with_capacity(10 + key.len() + pdf.len());
    out.extend_from_slice(&(key.len() as u16).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(pdf.len() as u64).to_le_bytes());
    out.extend_from_slice(pdf);
    out
}

/// A frame of a spool: its offset, the letter's idempotency key and its PDF.
type Frame<'a> = (usize, String, &'a [u8]);

/// The whole frames of a spool and the end of the last one; a frame torn by a crash, and
/// anything after it, is not among them.
fn frames(bytes: &[u8]) -> (Vec<Frame<'_>>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let Some(parsed) = frame_at(bytes, at) else {
            return (out, at);
        };
        let (key, pdf, next) = parsed;
        out.push((at, key, pdf));
        at = next;
    }
}

fn frame_at(bytes: &[u8], at: usize) -> Option<(String, &[u8], usize)> {
    let klen = usize::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let key = std::str::from_utf8(bytes.get(at + 2..at + 2 + klen)?).ok()?;
    let p = at + 2 + klen;
    let plen = usize::try_from(u64::from_le_bytes(bytes.get(p..p + 8)?.try_into().ok()?)).ok()?;
    let end = (p + 8).checked_add(plen)?;
    let pdf = bytes.get(p + 8..end)?;
    Some((key.to_owned(), pdf, end))
}

/// Appends one frame to a spool and fdatasyncs it; on failure the spool is cut back so no torn
/// frame is left for the next append to follow.
fn append_frame(spool: &Path, key: &str, pdf: &[u8]) -> std::io::Result<()> {
    if key.len() > usize::from(u16::MAX) {
        return Err(invalid(format!(
            "an idempotency key of {} bytes",
            key.len()
        )));
    }
    let mut f = std::fs::OpenOptions::new().append(true).open(spool)?;
    let len = f.metadata()?.len();
    if let Err(e) = f.write_all(&frame(key, pdf)).and_then(|()| f.sync_data()) {
        let _ = f.set_len(len);
        return Err(e);
    }
    Ok(())
}

/// Pages a letter takes in a print file: a blank page follows an odd count (duplex printing).
fn padded(pages: usize) -> usize {
    pages + pages % 2
}

/// Name, street and city/state/ZIP columns from address lines: the first line, the middle ones,
/// the last one.
fn address_columns(addr: &[String]) -> (String, String, String) {
    match addr {
        [] => Default::default(),
        [name] => (name.clone(), String::new(), String::new()),
        [name, street] => (name.clone(), street.clone(), String::new()),
        [name, middle @ .., city] => (name.clone(), middle.join(", "), city.clone()),
    }
}

/// Writes a file beside its final name, fsyncs it, renames it into place and fsyncs the
/// directory, so the file is either absent or whole after a crash.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}
