//! Reading system files and exposed files as a stream of row batches: CSV with a header or
//! NDJSON (one object per line), parsed on a blocking thread and handed over through a bounded
//! channel, so memory stays bounded whatever the file's size. Structural problems — broken
//! quoting, a row with the wrong number of fields, bytes that are not UTF-8, a line that is not a
//! JSON object, a column nobody knows — stop the read with an error naming the file, the line
//! and the column, never the value.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use crate::columns::role_by_header;
use crate::error::BreachError;

/// The format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line; values are strings, numbers or null.
    Ndjson,
}

impl FileFormat {
    /// Guesses from the file name: `.ndjson`, `.jsonl` and `.json` are NDJSON, anything else CSV.
    pub fn from_path(p: &Path) -> FileFormat {
        match p.extension().and_then(|e| e.to_str()) {
            Some("ndjson" | "jsonl" | "json") => FileFormat::Ndjson,
            _ => FileFormat::Csv,
        }
    }
}

/// Which column names a read accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Columns {
    /// Only names that [`role_by_header`] knows (system files).
    KnownOnly,
    /// Any name (exposed files: unknown columns are judged by content).
    Any,
}

/// One data row: its cells, aligned with the batch's header (trimmed; empty is
/// `None`). NDJSON rows may be shorter than the header when later lines added columns.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) cells: Vec<Option<String>>,
}

impl Row {
    /// The cell of column `i`, if present and not empty.
    pub(crate) fn cell(&self, i: usize) -> Option<&str> {
        self.cells.get(i).and_then(|c| c.as_deref())
    }
}

/// Rows read, with the header as it stood after the last of them.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Row>,
}

/// A file being read in the background.
pub(crate) struct RowStream {
    rx: mpsc::Receiver<Result<Batch, BreachError>>,
}

/// Rows per batch.
pub(crate) const BATCH_ROWS: usize = 20_000;

impl RowStream {
    /// Starts reading `path`.
    pub(crate) fn open(
        path: &Path,
        format: FileFormat,
        columns: Columns,
    ) -> Result<RowStream, BreachError> {
        let file = std::fs::File::open(path).map_err(|source| BreachError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(RowStream::start(path, Box::new(file), format, columns))
    }

    /// Starts reading bytes already in memory (an uploaded file), named `name` in errors.
    pub(crate) fn from_bytes(
        name: &Path,
        bytes: Vec<u8>,
        format: FileFormat,
        columns: Columns,
    ) -> RowStream {
        RowStream::start(name, Box::new(std::io::Cursor::new(bytes)), format, columns)
    }

    fn start(
        path: &Path,
        input: Box<dyn Read + Send>,
        format: FileFormat,
        columns: Columns,
    ) -> RowStream {
        let (tx, rx) = mpsc::channel(2);
        let reader = Reader {
            path: path.to_owned(),
            columns,
            header: Vec::new(),
            tx,
        };
        tokio::task::spawn_blocking(move || reader.run(input, format));
        RowStream { rx }
    }

    /// The next batch; `None` at the end of the file.
    pub(crate) async fn next(&mut self) -> Option<Result<Batch, BreachError>> {
        self.rx.recv().await
    }
}

struct Reader {
    path: PathBuf,
    columns: Columns,
    header: Vec<String>,
    tx: mpsc::Sender<Result<Batch, BreachError>>,
}

impl Reader {
    fn run(mut self, input: Box<dyn Read + Send>, format: FileFormat) {
        let buf = BufReader::with_capacity(1 << 20, input);
        let res = match format {
            FileFormat::Csv => self.csv(buf),
            FileFormat::Ndjson => self.ndjson(buf),
        };
        if let Err(e) = res {
            let _ = self.tx.blocking_send(Err(e));
        }
    }

    fn malformed(&self, line: u64, column: &str, reason: impl Into<String>) -> BreachError {
        BreachError::Malformed {
            path: self.path.clone(),
            line,
            column: column.to_owned(),
            reason: reason.into(),
        }
    }

    /// Sends a full batch; `false` when the consumer went away.
    fn send(&self, rows: &mut Vec<Row>) -> bool {
        let batch = Batch {
            header: self.header.clone(),
            rows: std::mem::replace(rows, Vec::with_capacity(BATCH_ROWS)),
        };
        self.tx.blocking_send(Ok(batch)).is_ok()
    }

    fn add_column(&mut self, name: &str, line: u64) -> Result<usize, BreachError> {
        if self.columns == Columns::KnownOnly && role_by_header(name).is_none() {
            return Err(self.malformed(
                line,
                name,
                "unknown column (expected canonical record columns such as external_id, \
                 first_name, ssn, phone, imei, or data element names)",
            ));
        }
        if self.header.iter().any(|h| h == name) {
            return Err(self.malformed(line, name, "column appears twice in the header"));
        }
        self.header.push(name.to_owned());
        Ok(self.header.len() - 1)
    }

    fn csv(&mut self, buf: BufReader<Box<dyn Read + Send>>) -> Result<(), BreachError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(buf);
        let names = rdr
            .byte_headers()
            .map_err(|e| self.malformed(1, "header", csv_reason(&e)))?
            .clone();
        for name in names.iter() {
            let name = std::str::from_utf8(name)
                .map_err(|_| self.malformed(1, "header", "is not valid UTF-8"))?;
            self.add_column(name.trim(), 1)?;
        }
        if self.header.is_empty() || self.header.iter().all(String::is_empty) {
            return Err(self.malformed(1, "header", "is empty"));
        }
        let mut rec = csv::ByteRecord::new();
        let mut rows = Vec::with_capacity(BATCH_ROWS);
        loop {
            let line = rdr.position().line();
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(line, |p| p.line());
                    return Err(self.malformed(line, "row", csv_reason(&e)));
                }
            }
            let line = rec.position().map_or(line, |p| p.line());
            let mut cells = Vec::with_capacity(rec.len());
            for (i, raw) in rec.iter().enumerate() {
                let column = self.header.get(i).map_or("row", String::as_str);
                let text = std::str::from_utf8(raw).map_err(|_| {
                    self.malformed(line, column, "is not valid UTF-8 (mixed encodings?)")
                })?;
                if text.contains(['\n', '\r']) {
                    return Err(self.malformed(
                        line,
                        column,
                        "holds a line break (broken quoting: a quote opened and not closed?)",
                    ));
                }
                let t = text.trim();
                cells.push((!t.is_empty()).then(|| t.to_owned()));
            }
            rows.push(Row { cells });
            if rows.len() >= BATCH_ROWS && !self.send(&mut rows) {
                return Ok(());
            }
        }
        if !rows.is_empty() {
            self.send(&mut rows);
        }
        Ok(())
    }

    fn ndjson(&mut self, buf: BufReader<Box<dyn Read + Send>>) -> Result<(), BreachError> {
        let mut rows = Vec::with_capacity(BATCH_ROWS);
        for (i, raw) in buf.split(b'\n').enumerate() {
            let line = i as u64 + 1;
            let raw = raw.map_err(|source| BreachError::Read {
                path: self.path.clone(),
                source,
            })?;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = std::str::from_utf8(&raw).map_err(|_| {
                self.malformed(line, "row", "is not valid UTF-8 (mixed encodings?)")
            })?;
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
                .map_err(|e| {
                    self.malformed(
                        line,
                        "row",
                        format!("is not a JSON object (column {})", e.column()),
                    )
                })?;
            let mut cells: Vec<Option<String>> = vec![None; self.header.len()];
            for (k, v) in obj {
                let idx = match self.header.iter().position(|h| *h == k) {
                    Some(i) => i,
                    None => self.add_column(&k, line)?,
                };
                let value = match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.trim().to_owned()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => return Err(self.malformed(line, &k, "must be a string, number or null")),
                };
                if cells.len() <= idx {
                    cells.resize(idx + 1, None);
                }
                cells[idx] = value.filter(|s| !s.is_empty());
            }
            rows.push(Row { cells });
            if rows.len() >= BATCH_ROWS && !self.send(&mut rows) {
                return Ok(());
            }
        }
        if !rows.is_empty() {
            self.send(&mut rows);
        }
        Ok(())
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "has {len} fields where the header has {expected_len} (broken quoting or a stray delimiter?)"
        ),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 (mixed encodings?)".to_owned(),
        csv::ErrorKind::Io(io) => format!("cannot be read: {io}"),
        _ => "cannot be parsed as CSV (broken quoting?)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(
        text: &[u8],
        format: FileFormat,
        columns: Columns,
    ) -> Result<Vec<Batch>, BreachError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, text).unwrap();
        let mut s = RowStream::open(&p, format, columns)?;
        let mut out = Vec::new();
        while let Some(b) = s.next().await {
            out.push(b?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn csv_rows_are_trimmed_and_empty_cells_absent() {
        let b = read_all(
            b"external_id,ssn\n C1 ,\nC2,123-45-6789\n",
            FileFormat::Csv,
            Columns::KnownOnly,
        )
        .await
        .unwrap();
        assert_eq!(b[0].header, ["external_id", "ssn"]);
        assert_eq!(b[0].rows[0].cell(0), Some("C1"));
        assert_eq!(b[0].rows[0].cell(1), None);
    }

    #[tokio::test]
    async fn errors_name_line_and_column_but_not_values() {
        let err = read_all(
            b"external_id,shoe\nC1,9\n",
            FileFormat::Csv,
            Columns::KnownOnly,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().ends_with(":1: shoe: unknown column (expected canonical record columns such as external_id, first_name, ssn, phone, imei, or data element names)"), "{err}");
        let err = read_all(
            b"external_id,ssn\nC1,\"123-45-6789\nC2,1\n",
            FileFormat::Csv,
            Columns::KnownOnly,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, BreachError::Malformed { line: 2, .. }),
            "{err}"
        );
        assert!(!err.to_string().contains("6789"), "{err}");
        let err = read_all(
            b"external_id,ssn\nC1,\xff\xfe\n",
            FileFormat::Csv,
            Columns::KnownOnly,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, BreachError::Malformed { line: 2, column, .. } if column == "ssn"),
            "{err}"
        );
        let err = read_all(b"{\"ssn\":\"1\"}\n[1]\n", FileFormat::Ndjson, Columns::Any)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BreachError::Malformed { line: 2, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn ndjson_columns_grow() {
        let b = read_all(
            b"{\"phone\":\"5125550142\"}\n\n{\"imei\":null,\"x\":1}\n",
            FileFormat::Ndjson,
            Columns::Any,
        )
        .await
        .unwrap();
        assert_eq!(b[0].header, ["phone", "imei", "x"]);
        assert_eq!(b[0].rows[1].cell(2), Some("1"));
        assert_eq!(b[0].rows[0].cell(2), None);
    }
}
