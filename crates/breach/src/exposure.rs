//! Exposures of an incident, any number, each with the time it happened and a note:
//!
//! - a dataset of the inventory (all its members, with the elements it holds for each),
//!   optionally only some of its columns;
//! - a compromised principal over a window: the vault's access log says exactly which people and
//!   fields it read (the fields count as exposed in clear, even when the role saw them masked);
//! - an exposed file (a dump, a leaked sample): its identifier columns are found by header and
//!   by content, its rows resolved to people through the blind indexes, and unmatched
//!   identifiers counted by kind.
//!
//! Each exposure is in clear or encrypted form; ciphertext counts as exposed only when the
//! incident's keys were exposed too (see [`crate::impact`]). Principal and file exposures keep
//! their people, loaded under a `loading` row that becomes ready with its timeline event in one
//! transaction; a failed load is removed.

use std::path::PathBuf;

use custodian_db::Timestamp;
use custodian_vault::{DataElement, ElementSet, Field};

use crate::columns::{Basis, Role};
use crate::error::BreachError;
use crate::ids::{DatasetName, ExposureId, IncidentId};
use crate::input::{Columns, FileFormat, RowStream};
use crate::inventory::{ChunkSink, unlinked_pairs};
use crate::link::{ColumnPlan, Linker};
use crate::service::Cap;
use crate::store::exposures::{ExposureRow, Finished};
use crate::store::incidents::NewEvent;
use crate::store::{self, ChunkTable};

/// The kind of an exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExposureKind {
    /// A dataset of the inventory.
    Dataset,
    /// A principal's reads over a window.
    Principal,
    /// An exposed file.
    File,
}

impl ExposureKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExposureKind::Dataset => "dataset",
            ExposureKind::Principal => "principal",
            ExposureKind::File => "file",
        }
    }
}

/// In which form the data was exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Form {
    /// Readable.
    Clear,
    /// Encrypted: exposed only if the keys were too.
    Encrypted,
}

impl Form {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Clear => "clear",
            Form::Encrypted => "encrypted",
        }
    }
}

/// How a file column's content was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DetectedBy {
    /// By its header.
    Header,
    /// By the values it holds.
    Content,
}

/// A column of an exposed file and what it was found to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedColumn {
    /// The header.
    pub name: String,
    /// The element, if recognised.
    pub element: Option<DataElement>,
    /// How.
    pub by: DetectedBy,
}

/// An exposure.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Exposure {
    /// Its id.
    pub id: ExposureId,
    /// The incident.
    pub incident: IncidentId,
    /// What was exposed.
    pub kind: ExposureKind,
    /// In which form.
    pub form: Form,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// The analyst's note.
    pub note: String,
    /// The dataset, for dataset exposures.
    pub dataset: Option<DatasetName>,
    /// The elements that count: the chosen columns' for a dataset, those found otherwise.
    pub elements: ElementSet,
    /// The principal, for principal exposures.
    pub principal: Option<String>,
    /// The window `[from, to)`, for principal exposures.
    pub window: Option<(Timestamp, Timestamp)>,
    /// The file, for file exposures.
    pub source: String,
    /// The file's columns and what they hold.
    pub columns: Vec<DetectedColumn>,
    /// Rows read (file) or loaded (dataset).
    pub rows: u64,
    /// People exposed.
    pub people: u64,
    /// Rows resolved to nobody.
    pub unlinked_rows: u64,
    /// Identifiers in unlinked rows, by kind.
    pub unlinked: Vec<(DataElement, u64)>,
    /// Recorded when.
    pub created_at: Timestamp,
    /// Recorded by.
    pub created_by: String,
}

/// When and how an exposure happened.
#[derive(Debug, Clone)]
pub struct ExposureMeta {
    /// When it happened.
    pub occurred_at: Timestamp,
    /// A note.
    pub note: String,
    /// Clear or encrypted.
    pub form: Form,
}

/// What was exposed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExposureSource {
    /// A dataset; `columns` limits it to some of its columns (or element names).
    Dataset {
        /// The dataset.
        name: DatasetName,
        /// The columns taken, if not all.
        columns: Option<Vec<String>>,
    },
    /// A principal's reads in `[from, to)`.
    Principal {
        /// The principal's name as the access log records it.
        name: String,
        /// Window start.
        from: Timestamp,
        /// Window end (exclusive).
        to: Timestamp,
    },
    /// A file the attacker took.
    File {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: FileFormat,
    },
    /// A file the attacker took, already in memory (uploaded through the API; never written to
    /// disk, since it holds plaintext).
    Upload {
        /// The file's name, for the record and for error messages.
        name: String,
        /// Its content.
        data: FileBytes,
        /// Its format.
        format: FileFormat,
    },
}

/// The content of an uploaded file; its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct FileBytes(pub Vec<u8>);

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.0.len())
    }
}

/// Unlinked counts in [`DataElement::ALL`] order.
fn parse_unlinked(pairs: Vec<(String, i64)>) -> Vec<(DataElement, u64)> {
    let mut out: Vec<(DataElement, u64)> = pairs
        .into_iter()
        .filter_map(|(e, n)| Some((e.parse().ok()?, n.max(0) as u64)))
        .collect();
    out.sort_by_key(|(e, _)| e.bit());
    out
}

fn parse_detected(text: &str) -> Vec<DetectedColumn> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let name = parts.next()?.to_owned();
            let element = parts.next()?.parse().ok();
            let by = if parts.next()? == "content" {
                DetectedBy::Content
            } else {
                DetectedBy::Header
            };
            Some(DetectedColumn { name, element, by })
        })
        .collect()
}

pub(crate) async fn to_exposure(cap: Cap<'_>, r: ExposureRow) -> Result<Exposure, BreachError> {
    let kind = match r.kind.as_str() {
        "dataset" => ExposureKind::Dataset,
        "principal" => ExposureKind::Principal,
        _ => ExposureKind::File,
    };
    let mut e = Exposure {
        id: ExposureId(r.id),
        incident: IncidentId(r.incident_id),
        kind,
        form: if r.form == "encrypted" {
            Form::Encrypted
        } else {
            Form::Clear
        },
        occurred_at: Timestamp(r.occurred_at),
        note: r.note,
        dataset: None,
        elements: ElementSet::from_bits(r.element_mask as u32),
        principal: r.principal,
        window: r
            .window_from
            .zip(r.window_to)
            .map(|(a, b)| (Timestamp(a), Timestamp(b))),
        source: r.source,
        columns: parse_detected(&r.detected),
        rows: r.rows_read.max(0) as u64,
        people: r.people.max(0) as u64,
        unlinked_rows: r.unlinked_rows.max(0) as u64,
        unlinked: parse_unlinked(store::exposures::unlinked(cap.db(), r.id).await?),
        created_at: Timestamp(r.created_at),
        created_by: r.created_by,
    };
    // A dataset exposure reports the dataset as it is now (it may have been reloaded).
    if let Some(d) = r.dataset_id {
        let row = store::inventory::find_by_id(cap.db(), d)
            .await?
            .ok_or_else(|| {
                BreachError::Corrupt(format!("exposure {} names a missing dataset", r.id))
            })?;
        let d = crate::inventory::to_dataset(cap.db(), row).await?;
        e.rows = d.rows;
        e.people = d.members;
        e.unlinked_rows = d.unlinked_rows;
        e.unlinked = d.unlinked;
        e.source = d.source;
        e.dataset = Some(d.name);
    }
    Ok(e)
}

pub(crate) async fn list(cap: Cap<'_>, incident: IncidentId) -> Result<Vec<Exposure>, BreachError> {
    let mut out = Vec::new();
    for r in store::exposures::list(cap.db(), incident.0).await? {
        out.push(to_exposure(cap, r).await?);
    }
    Ok(out)
}

impl crate::incident::IncidentReader<'_> {
    /// The incident's exposures, in the order they were recorded.
    pub async fn exposures(&self, id: IncidentId) -> Result<Vec<Exposure>, BreachError> {
        crate::incident::find(self.0, id).await?;
        list(self.0, id).await
    }
}

impl crate::incident::IncidentWriter<'_> {
    /// Records an exposure; `progress` gets the rows read of a file.
    pub async fn expose(
        &self,
        id: IncidentId,
        meta: &ExposureMeta,
        source: &ExposureSource,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Exposure, BreachError> {
        let cap = self.0;
        crate::incident::find(cap, id).await?;
        if meta.note.len() > 4_000 {
            return Err(BreachError::invalid(
                "note",
                "must be at most 4000 characters",
            ));
        }
        let mut row = ExposureRow {
            incident_id: id.0,
            form: meta.form.as_str().into(),
            occurred_at: meta.occurred_at.0,
            note: meta.note.trim().to_owned(),
            created_at: cap.now().0,
            created_by: cap.actor().to_owned(),
            ..ExposureRow::default()
        };
        let exposure_id = match source {
            ExposureSource::Dataset { name, columns } => {
                let d = crate::inventory::find(cap, name).await?;
                let mask = dataset_mask(&d, columns.as_deref())?;
                row.kind = "dataset".into();
                row.dataset_id = Some(d.id);
                row.element_mask = i64::from(mask.bits());
                row.source = d.name.to_string();
                let detail = format!(
                    "exposure: dataset {} ({mask}), {} form",
                    d.name,
                    meta.form.as_str()
                );
                let fin = Finished {
                    element_mask: row.element_mask,
                    ..Finished::default()
                };
                load(cap, &row, &detail, async |_| Ok(fin)).await?
            }
            ExposureSource::Principal { name, from, to } => {
                if to <= from {
                    return Err(BreachError::invalid(
                        "window",
                        "ends before (or when) it starts",
                    ));
                }
                cap.principal.require("audit.read")?;
                row.kind = "principal".into();
                row.principal = Some(name.clone());
                row.window_from = Some(from.0);
                row.window_to = Some(to.0);
                row.source = format!("access log of {name}");
                let detail = format!(
                    "exposure: reads by principal {name} from {} to {}",
                    from.to_rfc3339(),
                    to.to_rfc3339()
                );
                load(cap, &row, &detail, async |owner| {
                    principal_reads(cap, owner, name, *from, *to).await
                })
                .await?
            }
            ExposureSource::File { path, format } => {
                row.kind = "file".into();
                row.source = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                let detail = format!("exposure: file {}, {} form", row.source, meta.form.as_str());
                let stream = RowStream::open(path, *format, Columns::Any)?;
                load(cap, &row, &detail, async |owner| {
                    file_rows(cap, owner, path, stream, progress).await
                })
                .await?
            }
            ExposureSource::Upload { name, data, format } => {
                row.kind = "file".into();
                row.source = name.clone();
                let detail = format!(
                    "exposure: uploaded file {name}, {} form",
                    meta.form.as_str()
                );
                let path = PathBuf::from(name);
                let stream = RowStream::from_bytes(&path, data.0.clone(), *format, Columns::Any);
                load(cap, &row, &detail, async |owner| {
                    file_rows(cap, owner, &path, stream, progress).await
                })
                .await?
            }
        };
        let r = store::exposures::list(cap.db(), id.0)
            .await?
            .into_iter()
            .find(|r| r.id == exposure_id)
            .ok_or_else(|| {
                BreachError::Corrupt("exposure vanished after it was recorded".into())
            })?;
        to_exposure(cap, r).await
    }
}

/// The elements a dataset exposure counts: all the dataset's, or those of the named columns.
fn dataset_mask(
    d: &crate::inventory::Dataset,
    columns: Option<&[String]>,
) -> Result<ElementSet, BreachError> {
    let Some(columns) = columns else {
        return Ok(d.elements);
    };
    let mut mask = ElementSet::EMPTY;
    for c in columns {
        let by_column = d
            .columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(c.trim()))
            .map(|(_, e)| *e);
        let e = match by_column {
            Some(e) => e,
            None => match c.parse::<DataElement>() {
                Ok(e) if d.elements.contains(e) => Some(e),
                _ => {
                    let known: Vec<&str> = d.columns.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(BreachError::invalid(
                        "columns",
                        format!(
                            "`{c}` is not a column or element of dataset `{}` (columns: {})",
                            d.name,
                            known.join(", ")
                        ),
                    ));
                }
            },
        };
        if let Some(e) = e {
            mask = mask.with(e);
        }
    }
    if mask.is_empty() {
        return Err(BreachError::invalid(
            "columns",
            "the columns named hold no data element",
        ));
    }
    Ok(mask)
}

/// Inserts the loading row, runs `fill` (which writes the chunks), then marks it ready with its
/// event; removes it on any failure.
async fn load<F>(cap: Cap<'_>, row: &ExposureRow, detail: &str, fill: F) -> Result<i64, BreachError>
where
    F: AsyncFnOnce(i64) -> Result<Finished, BreachError>,
{
    let id = store::exposures::create_loading(cap.db(), row).await?;
    let res = match fill(id).await {
        Ok(fin) => {
            let detail = format!("{detail}: {} people", fin.people);
            let event = NewEvent {
                occurred_at: row.occurred_at,
                recorded_at: cap.now().0,
                actor: cap.actor(),
                kind: "exposure",
                detail: &detail,
            };
            store::exposures::finish(cap.db(), id, row.incident_id, &fin, &event)
                .await
                .map_err(BreachError::from)
        }
        Err(e) => Err(e),
    };
    if let Err(e) = res {
        store::exposures::delete(cap.db(), id).await?;
        return Err(e);
    }
    Ok(id)
}

async fn principal_reads(
    cap: Cap<'_>,
    owner: i64,
    name: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Finished, BreachError> {
    let reads = custodian_vault::audit::people_read_by(cap.db(), name, from, to).await?;
    let mut union = ElementSet::EMPTY;
    let mut entries = Vec::with_capacity(reads.len());
    for r in reads {
        let set: ElementSet = r
            .fields
            .iter()
            .filter_map(|f| Field::parse(f))
            .map(Field::element)
            .collect();
        union = union.union(set);
        entries.push((r.person_id, set.bits()));
    }
    let mut sink = ChunkSink::new(ChunkTable::Exposure, owner);
    sink.extend(cap.db(), entries).await?;
    let people = sink.finish(cap.db()).await?;
    Ok(Finished {
        element_mask: i64::from(union.bits()),
        people: people as i64,
        ..Finished::default()
    })
}

async fn file_rows(
    cap: Cap<'_>,
    owner: i64,
    path: &std::path::Path,
    mut stream: RowStream,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Finished, BreachError> {
    let linker = Linker {
        db: cap.db(),
        searcher: cap.vault().searcher(cap.principal, cap.ctx)?,
    };
    let all: ElementSet = DataElement::ALL.into_iter().collect();
    let mut plan = ColumnPlan::default();
    let mut sink = ChunkSink::new(ChunkTable::Exposure, owner);
    let mut fin = Finished::default();
    let mut unlinked = [0u64; DataElement::ALL.len()];
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        plan.extend(&batch.header, &batch.rows, Some(cap.today()));
        if !plan.can_link() {
            return Err(BreachError::Malformed {
                path: path.to_owned(),
                line: 1,
                column: "header".into(),
                reason: "no column holds an identifier that can be looked up (external id, SSN, licence with state, e-mail, IMEI, IMSI or phone), by header or by content".into(),
            });
        }
        let linked = linker
            .link(&plan, &batch.rows, all, ElementSet::EMPTY)
            .await?;
        fin.rows_read += batch.rows.len() as i64;
        fin.unlinked_rows += linked.unlinked_rows as i64;
        for (sum, n) in unlinked.iter_mut().zip(linked.unlinked) {
            *sum += n;
        }
        sink.extend(cap.db(), linked.entries).await?;
        progress(fin.rows_read as u64);
    }
    fin.people = sink.finish(cap.db()).await? as i64;
    fin.unlinked = unlinked_pairs(&unlinked);
    fin.element_mask = i64::from(plan.elements().bits());
    fin.detected = (0..plan.names.len())
        .filter(|i| !matches!(plan.roles[*i], Role::ExternalId | Role::AccountKind))
        .map(|i| {
            let by = if plan.basis[i] == Basis::Content {
                "content"
            } else {
                "header"
            };
            format!(
                "{}\t{}\t{by}\n",
                plan.names[i],
                plan.element(i).map_or("", DataElement::as_str)
            )
        })
        .collect();
    Ok(fin)
}
