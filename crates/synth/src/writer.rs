//! Writing a whole carrier to a directory: `people.csv`, one CSV per system, `systems.toml`
//! and `scenario.toml`.
//!
//! People are generated in fixed-size chunks on the rayon pool and written in index order, so
//! the files are byte-identical whatever the number of threads. Memory is bounded: only one
//! batch of chunks is generated while the previous one is written (the two overlap through
//! `rayon::join`). CSV is written by hand: every field the generator makes is plain text, and
//! quoting is applied only when a field would need it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::person::{Generator, NetworkRow, new_person};
use crate::scenario::{SCENARIO_FILE, render_scenario};
use crate::systems::{SYSTEMS_FILE, render_systems};
use crate::{AccountKind, CarrierConfig, Column, Scenario, SynthError, System, SystemSpec};

/// Name of the canonical-record file.
pub const PEOPLE_FILE: &str = "people.csv";

/// People per chunk: the unit of parallel work (it does not affect the output).
const CHUNK: u64 = 2048;

/// What [`write_carrier`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierSummary {
    /// Rows of `people.csv`.
    pub people: u64,
    /// People per account kind.
    pub kinds: KindCounts,
    /// Every system with its row counts, as in `systems.toml`.
    pub systems: Vec<SystemSpec>,
    /// Every file written, `people.csv` first.
    pub files: Vec<PathBuf>,
    /// Total bytes of the CSV files.
    pub csv_bytes: u64,
}

/// People per account kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindCounts {
    /// Current postpaid customers.
    pub postpaid: u64,
    /// Current prepaid customers.
    pub prepaid: u64,
    /// Former customers.
    pub former: u64,
    /// Prospective customers.
    pub prospective: u64,
}

impl KindCounts {
    /// The count for one kind.
    pub fn of(&self, kind: AccountKind) -> u64 {
        match kind {
            AccountKind::Postpaid => self.postpaid,
            AccountKind::Prepaid => self.prepaid,
            AccountKind::Former => self.former,
            AccountKind::Prospective => self.prospective,
        }
    }

    fn add(&mut self, kind: AccountKind, n: u64) {
        match kind {
            AccountKind::Postpaid => self.postpaid += n,
            AccountKind::Prepaid => self.prepaid += n,
            AccountKind::Former => self.former += n,
            AccountKind::Prospective => self.prospective += n,
        }
    }
}

/// Generates the carrier described by `cfg` into `out` (created if missing; existing files of
/// the same names are replaced). `progress` is called with the number of people written so
/// far, after every batch of a few thousand per thread and once at the end.
pub fn write_carrier(
    cfg: &CarrierConfig,
    out: &Path,
    progress: &dyn Fn(u64),
) -> Result<CarrierSummary, SynthError> {
    cfg.validate()?;
    let scenario = Scenario::default_for(cfg)?;
    std::fs::create_dir_all(out).map_err(|source| io_err(out, source))?;
    let generator = Generator::new(cfg);
    let mut sink = Sink::create(out)?;
    let batch = CHUNK * 4 * rayon::current_num_threads().max(1) as u64;
    let mut pending: Option<Vec<Chunk>> = None;
    let mut start = 0;
    while start < cfg.people {
        let end = cfg.people.min(start + batch);
        let (written, generated) = rayon::join(
            || pending.take().map_or(Ok(()), |chunks| sink.write(chunks)),
            || generate_batch(&generator, start, end),
        );
        written?;
        pending = Some(generated);
        if start > 0 {
            progress(sink.people);
        }
        start = end;
    }
    if let Some(chunks) = pending {
        sink.write(chunks)?;
    }
    progress(sink.people);
    sink.finish(out, &scenario)
}

/// The output of one chunk: bytes for each file and counts.
struct Chunk {
    /// `people.csv` first, then one buffer per system in [`System::ALL`] order.
    bufs: Vec<Vec<u8>>,
    kinds: KindCounts,
    rows: [u64; System::ALL.len()],
    unlinked: u64,
}

fn generate_batch(generator: &Generator, start: u64, end: u64) -> Vec<Chunk> {
    let chunks: Vec<u64> = (start..end).step_by(CHUNK as usize).collect();
    chunks
        .into_par_iter()
        .map(|from| generate_chunk(generator, from, end.min(from + CHUNK)))
        .collect()
}

fn generate_chunk(generator: &Generator, start: u64, end: u64) -> Chunk {
    let n = (end - start) as usize;
    let mut bufs: Vec<Vec<u8>> = std::iter::once(Vec::with_capacity(n * 200))
        .chain(System::ALL.iter().map(|_| Vec::with_capacity(n * 40)))
        .collect();
    let mut kinds = KindCounts::default();
    let mut rows = [0; System::ALL.len()];
    let mut unlinked = 0;
    let mut p = new_person();
    let mut device = NetworkRow::default();
    let network = System::ALL
        .iter()
        .position(|s| *s == System::Network)
        .unwrap_or(0);
    for index in start..end {
        generator.fill(index, &mut p);
        kinds.add(p.account_kind, 1);
        write_record(&mut bufs[0], Column::PEOPLE.iter().map(|c| c.value(&p)));
        for (k, system) in System::ALL.iter().enumerate() {
            if p.systems.contains(*system) {
                write_record(
                    &mut bufs[k + 1],
                    system.columns().iter().map(|c| c.value(&p)),
                );
                rows[k] += 1;
            }
        }
        for j in generator.unlinked_after(index) {
            generator.fill_unlinked(j, &mut device);
            let fields = [
                device.phone.as_str(),
                device.imei.as_str(),
                device.imsi.as_str(),
            ];
            write_record(&mut bufs[network + 1], fields.into_iter());
            rows[network] += 1;
            unlinked += 1;
        }
    }
    Chunk {
        bufs,
        kinds,
        rows,
        unlinked,
    }
}

/// Appends one CSV record (RFC 4180 quoting, only where needed) and a newline.
fn write_record<'a>(buf: &mut Vec<u8>, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        if field
            .bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        {
            buf.push(b'"');
            for b in field.bytes() {
                if b == b'"' {
                    buf.push(b'"');
                }
                buf.push(b);
            }
            buf.push(b'"');
        } else {
            buf.extend_from_slice(field.as_bytes());
        }
    }
    buf.push(b'\n');
}

/// The open output files and the running totals.
struct Sink {
    files: Vec<(PathBuf, BufWriter<File>)>,
    people: u64,
    kinds: KindCounts,
    rows: [u64; System::ALL.len()],
    unlinked: u64,
    bytes: u64,
}

impl Sink {
    fn create(out: &Path) -> Result<Self, SynthError> {
        let names = std::iter::once(PEOPLE_FILE).chain(System::ALL.iter().map(|s| s.file_name()));
        let mut files = Vec::new();
        for name in names {
            let path = out.join(name);
            let file = File::create(&path).map_err(|source| io_err(&path, source))?;
            files.push((path, BufWriter::with_capacity(1 << 20, file)));
        }
        let mut sink = Self {
            files,
            people: 0,
            kinds: KindCounts::default(),
            rows: [0; System::ALL.len()],
            unlinked: 0,
            bytes: 0,
        };
        let mut headers = vec![Vec::new()];
        write_record(&mut headers[0], Column::PEOPLE.iter().map(|c| c.name()));
        for system in System::ALL {
            let mut h = Vec::new();
            write_record(&mut h, system.columns().iter().map(|c| c.name()));
            headers.push(h);
        }
        sink.write_bufs(&headers)?;
        Ok(sink)
    }

    fn write(&mut self, chunks: Vec<Chunk>) -> Result<(), SynthError> {
        for chunk in chunks {
            self.write_bufs(&chunk.bufs)?;
            for kind in AccountKind::ALL {
                self.kinds.add(kind, chunk.kinds.of(kind));
                self.people += chunk.kinds.of(kind);
            }
            for (total, n) in self.rows.iter_mut().zip(chunk.rows) {
                *total += n;
            }
            self.unlinked += chunk.unlinked;
        }
        Ok(())
    }

    fn write_bufs(&mut self, bufs: &[Vec<u8>]) -> Result<(), SynthError> {
        for ((path, w), buf) in self.files.iter_mut().zip(bufs) {
            w.write_all(buf).map_err(|source| io_err(path, source))?;
            self.bytes += buf.len() as u64;
        }
        Ok(())
    }

    fn finish(self, out: &Path, scenario: &Scenario) -> Result<CarrierSummary, SynthError> {
        let mut paths = Vec::new();
        for (path, w) in self.files {
            w.into_inner().map_err(|e| io_err(&path, e.into_error()))?;
            paths.push(path);
        }
        let specs: Vec<SystemSpec> = System::ALL
            .iter()
            .zip(self.rows)
            .map(|(s, rows)| {
                s.spec(
                    rows,
                    if *s == System::Network {
                        self.unlinked
                    } else {
                        0
                    },
                )
            })
            .collect();
        for (name, text) in [
            (SYSTEMS_FILE, render_systems(&specs)?),
            (SCENARIO_FILE, render_scenario(scenario)?),
        ] {
            let path = out.join(name);
            std::fs::write(&path, text).map_err(|source| io_err(&path, source))?;
            paths.push(path);
        }
        Ok(CarrierSummary {
            people: self.people,
            kinds: self.kinds,
            systems: specs,
            files: paths,
            csv_bytes: self.bytes,
        })
    }
}

fn io_err(path: &Path, source: std::io::Error) -> SynthError {
    SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_fields_that_need_it() {
        let mut buf = Vec::new();
        write_record(&mut buf, ["a", "b,c", "say \"hi\"", ""].into_iter());
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\n"
        );
    }
}
