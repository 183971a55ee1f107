//! The data inventory: which of the company's systems (datasets) holds which data elements for
//! whom. A dataset is loaded from a system file: each row is resolved to a vault person (see
//! [`crate::link`]) and the dataset records, per person, the elements that row holds — never a
//! value. Loads stream the file in batches and write members in short transactions under a
//! `loading` row that only becomes the dataset of its name, in one transaction, when the whole
//! file has been read; a failed load is removed and leaves nothing that impact would use.

use std::collections::HashSet;
use std::path::PathBuf;

use custodian_db::Timestamp;
use custodian_vault::{DataElement, ElementSet};

use crate::codec::{self, CHUNK_ENTRIES};
use crate::error::BreachError;
use crate::ids::DatasetName;
use crate::input::{Columns, FileFormat, RowStream};
use crate::link::{ColumnPlan, Linked, Linker};
use crate::service::Cap;
use crate::store::{self, ChunkTable, inventory::LoadCounts};

/// A dataset of the inventory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Dataset {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: DatasetName,
    /// What the system is.
    pub description: String,
    /// The elements the system holds.
    pub elements: ElementSet,
    /// The file's columns and the element each holds (`None`: the id or the account kind).
    pub columns: Vec<(String, Option<DataElement>)>,
    /// The file it was loaded from.
    pub source: String,
    /// Data rows read.
    pub rows: u64,
    /// Distinct people linked.
    pub members: u64,
    /// Rows that resolved to nobody.
    pub unlinked_rows: u64,
    /// Rows whose identifier several people share (linked to each).
    pub shared_rows: u64,
    /// Identifiers in unlinked rows, by kind.
    pub unlinked: Vec<(DataElement, u64)>,
    /// When it was loaded.
    pub created_at: Timestamp,
    /// Who loaded it.
    pub created_by: String,
}

/// What to do when a dataset of the same name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Existing {
    /// Refuse with [`BreachError::DatasetExists`].
    Refuse,
    /// Replace it once the new load is complete; its exposures then name the new load.
    Replace,
}

/// A dataset to load.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// Its name.
    pub name: DatasetName,
    /// What the system is.
    pub description: String,
    /// The elements the system holds. A file column must hold one of them; an element without
    /// a column is held for every member.
    pub elements: ElementSet,
    /// The system file (CSV with header, or NDJSON).
    pub members: PathBuf,
    /// Its format.
    pub format: FileFormat,
    /// What to do if the name is taken.
    pub existing: Existing,
}

/// Reading the inventory. Obtained from [`crate::BreachService::inventory_reader`].
pub struct InventoryReader<'a>(pub(crate) Cap<'a>);

impl InventoryReader<'_> {
    /// Every dataset, by name.
    pub async fn list(&self) -> Result<Vec<Dataset>, BreachError> {
        let db = self.0.db();
        let mut out = Vec::new();
        for row in store::inventory::list(db).await? {
            out.push(to_dataset(db, row).await?);
        }
        Ok(out)
    }

    /// The dataset of this name.
    pub async fn find(&self, name: &DatasetName) -> Result<Dataset, BreachError> {
        find(self.0, name).await
    }
}

pub(crate) async fn find(cap: Cap<'_>, name: &DatasetName) -> Result<Dataset, BreachError> {
    let row = store::inventory::find(cap.db(), name.as_str())
        .await?
        .ok_or_else(|| BreachError::UnknownDataset(name.to_string()))?;
    to_dataset(cap.db(), row).await
}

pub(crate) async fn to_dataset(
    db: &custodian_db::Database,
    row: store::inventory::DatasetRow,
) -> Result<Dataset, BreachError> {
    let mut unlinked: Vec<(DataElement, u64)> = store::inventory::unlinked(db, row.id)
        .await?
        .into_iter()
        .filter_map(|(e, n)| Some((e.parse::<DataElement>().ok()?, n.max(0) as u64)))
        .collect();
    unlinked.sort_by_key(|(e, _)| e.bit());
    let columns = row
        .columns
        .lines()
        .filter_map(|l| {
            let (name, e) = l.split_once('\t')?;
            Some((name.to_owned(), e.parse::<DataElement>().ok()))
        })
        .collect();
    Ok(Dataset {
        id: row.id,
        name: row
            .name
            .parse()
            .map_err(|_| BreachError::Corrupt(format!("dataset {} has an invalid name", row.id)))?,
        description: row.description,
        elements: ElementSet::from_bits(row.elements as u32),
        columns,
        source: row.source,
        rows: row.rows_read.max(0) as u64,
        members: row.members.max(0) as u64,
        unlinked_rows: row.unlinked_rows.max(0) as u64,
        shared_rows: row.shared_rows.max(0) as u64,
        unlinked,
        created_at: Timestamp(row.created_at),
        created_by: row.created_by,
    })
}

/// Changing the inventory. Obtained from [`crate::BreachService::inventory_writer`].
pub struct InventoryWriter<'a>(pub(crate) Cap<'a>);

impl InventoryWriter<'_> {
    /// Loads a dataset from its system file; `progress` gets the rows read so far.
    pub async fn add(
        &self,
        new: &NewDataset,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Dataset, BreachError> {
        let cap = self.0;
        if new.elements.is_empty() {
            return Err(BreachError::invalid(
                "elements",
                "name at least one data element",
            ));
        }
        let old = store::inventory::find(cap.db(), new.name.as_str()).await?;
        if old.is_some() && new.existing == Existing::Refuse {
            return Err(BreachError::DatasetExists(new.name.to_string()));
        }
        // Loads that a crash interrupted more than a day ago are dead; clear them out.
        store::inventory::sweep_stale(cap.db(), cap.now().plus_seconds(-86_400).0).await?;
        let id = store::inventory::create_loading(
            cap.db(),
            new.name.as_str(),
            &new.description,
            i64::from(new.elements.bits()),
            &new.members.display().to_string(),
            cap.now().0,
            cap.actor(),
        )
        .await?;
        let loaded = match load(cap, id, new, progress).await {
            Ok(counts) => {
                store::inventory::finish(
                    cap.db(),
                    id,
                    new.name.as_str(),
                    old.map(|o| o.id),
                    &counts,
                )
                .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = loaded {
            store::inventory::delete(cap.db(), id).await?;
            return Err(e);
        }
        find(cap, &new.name).await
    }

    /// Removes a dataset; refused while an exposure names it.
    pub async fn remove(&self, name: &DatasetName) -> Result<(), BreachError> {
        let cap = self.0;
        let row = store::inventory::find(cap.db(), name.as_str())
            .await?
            .ok_or_else(|| BreachError::UnknownDataset(name.to_string()))?;
        if store::inventory::is_exposed(cap.db(), row.id).await? {
            return Err(BreachError::invalid(
                "dataset",
                format!(
                    "`{name}` is named by an exposure; load a replacement with --replace instead"
                ),
            ));
        }
        store::inventory::delete(cap.db(), row.id).await?;
        Ok(())
    }
}

/// Reads the file, links its rows and writes member chunks; returns the counts to record.
async fn load(
    cap: Cap<'_>,
    id: i64,
    new: &NewDataset,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<LoadCounts, BreachError> {
    let linker = Linker {
        db: cap.db(),
        searcher: cap.vault().searcher(cap.principal, cap.ctx)?,
    };
    let mut stream = RowStream::open(&new.members, new.format, Columns::KnownOnly)?;
    let mut plan = ColumnPlan::default();
    let mut sink = ChunkSink::new(ChunkTable::Members, id);
    let mut counts = LoadCounts::default();
    let mut unlinked = [0u64; DataElement::ALL.len()];
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let known = plan.names.len();
        plan.extend(&batch.header, &[], None);
        for i in known..plan.names.len() {
            if let Some(e) = plan.element(i).filter(|e| !new.elements.contains(*e)) {
                return Err(BreachError::Malformed {
                    path: new.members.clone(),
                    line: 1,
                    column: plan.names[i].clone(),
                    reason: format!(
                        "holds {e}, which is not among the dataset's elements ({})",
                        new.elements
                    ),
                });
            }
        }
        if !plan.can_link() {
            return Err(BreachError::Malformed {
                path: new.members.clone(),
                line: 1,
                column: "header".into(),
                reason: "no column ties a row to a person (external_id, ssn, dl_number with dl_state, email, imei, imsi or phone)".into(),
            });
        }
        let always = ElementSet::from_bits(new.elements.bits() & !plan.elements().bits());
        let linked = linker
            .link(&plan, &batch.rows, new.elements, always)
            .await?;
        counts.rows_read += batch.rows.len() as i64;
        add_linked(&mut counts, &mut unlinked, &linked);
        sink.extend(cap.db(), linked.entries).await?;
        progress(counts.rows_read as u64);
    }
    counts.members = sink.finish(cap.db()).await? as i64;
    counts.unlinked = unlinked_pairs(&unlinked);
    counts.columns = plan
        .names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}\t{}\n", plan.element(i).map_or("", DataElement::as_str)))
        .collect();
    Ok(counts)
}

fn add_linked(counts: &mut LoadCounts, unlinked: &mut [u64; 13], linked: &Linked) {
    counts.unlinked_rows += linked.unlinked_rows as i64;
    counts.shared_rows += linked.shared_rows as i64;
    for (sum, n) in unlinked.iter_mut().zip(linked.unlinked) {
        *sum += n;
    }
}

/// Non-zero unlinked counts as (element name, count).
pub(crate) fn unlinked_pairs(unlinked: &[u64; 13]) -> Vec<(&'static str, i64)> {
    DataElement::ALL
        .iter()
        .zip(unlinked)
        .filter(|(_, n)| **n > 0)
        .map(|(e, n)| (e.as_str(), *n as i64))
        .collect()
}

/// Collects (person, bits) entries and writes them as chunks, counting distinct people.
pub(crate) struct ChunkSink {
    table: ChunkTable,
    owner: i64,
    pending: Vec<(i64, u32)>,
    chunk_no: i64,
    seen: Seen,
}

impl ChunkSink {
    pub(crate) fn new(table: ChunkTable, owner: i64) -> ChunkSink {
        ChunkSink {
            table,
            owner,
            pending: Vec::with_capacity(CHUNK_ENTRIES),
            chunk_no: 0,
            seen: Seen::default(),
        }
    }

    pub(crate) async fn extend(
        &mut self,
        db: &custodian_db::Database,
        entries: Vec<(i64, u32)>,
    ) -> Result<(), BreachError> {
        for (p, bits) in entries {
            self.seen.insert(p);
            self.pending.push((p, bits));
            if self.pending.len() >= CHUNK_ENTRIES {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, db: &custodian_db::Database) -> Result<(), BreachError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let data = codec::encode_members(&mut self.pending);
        store::write_chunk(
            db,
            self.table,
            self.owner,
            self.chunk_no,
            self.pending.len(),
            &data,
        )
        .await?;
        self.chunk_no += 1;
        self.pending.clear();
        Ok(())
    }

    /// Writes what is left; returns the number of distinct people.
    pub(crate) async fn finish(mut self, db: &custodian_db::Database) -> Result<u64, BreachError> {
        self.flush(db).await?;
        Ok(self.seen.count)
    }
}

/// A set of person ids: a bitmap over small ids, a hash set for the rest.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    bits: Vec<u64>,
    other: HashSet<i64>,
    count: u64,
}

impl Seen {
    const DENSE_LIMIT: i64 = 1 << 32;

    fn insert(&mut self, id: i64) {
        let new = if (0..Self::DENSE_LIMIT).contains(&id) {
            let (w, b) = ((id / 64) as usize, id % 64);
            if self.bits.len() <= w {
                self.bits.resize(w + 1 + w / 4, 0);
            }
            let had = self.bits[w] & (1 << b) != 0;
            self.bits[w] |= 1 << b;
            !had
        } else {
            self.other.insert(id)
        };
        if new {
            self.count += 1;
        }
    }
}
