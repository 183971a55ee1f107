//! The breach engine's SQL, written once for SQLite and PostgreSQL: datasets and their member
//! chunks, incidents and their events, exposures, and impact versions. Person sets are stored as
//! chunks of the compact encoding in [`crate::codec`], read back page by page so that memory
//! stays bounded.
//!
//! Two queries read the vault's tables directly, and only their clear columns (`id`,
//! `external_id`, `account_kind`, `state`, `shredded_at`, which DESIGN.md keeps in clear for
//! exactly this use): resolving a system file's external ids to person ids, and reading account
//! kind and state of the people an impact touches. Everything sensitive goes through the vault's
//! API (blind-index lookups, the access log).

pub(crate) mod exposures;
pub(crate) mod impact;
pub(crate) mod incidents;
pub(crate) mod inventory;
pub(crate) mod vault_people;

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Database, DbError};

/// Chunks fetched per page when reading a person set back.
const CHUNKS_PER_PAGE: i64 = 8;

/// The tables that hold chunks, with their owner column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChunkTable {
    /// `breach_member_chunks` by dataset.
    Members,
    /// `breach_exposure_chunks` by exposure.
    Exposure,
    /// `breach_impact_chunks` by impact version row.
    Impact,
}

impl ChunkTable {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            ChunkTable::Members => ("breach_member_chunks", "dataset_id"),
            ChunkTable::Exposure => ("breach_exposure_chunks", "exposure_id"),
            ChunkTable::Impact => ("breach_impact_chunks", "impact_id"),
        }
    }
}

/// Writes one chunk inside `tx`.
pub(crate) async fn insert_chunk(
    tx: &mut Transaction<'_, Any>,
    table: ChunkTable,
    owner: i64,
    chunk_no: i64,
    entries: usize,
    data: &[u8],
) -> Result<(), DbError> {
    let (t, col) = table.names();
    let sql = format!("INSERT INTO {t} ({col}, chunk_no, entries, data) VALUES ($1, $2, $3, $4)");
    sqlx::query(&sql)
        .bind(owner)
        .bind(chunk_no)
        .bind(entries as i64)
        .bind(data)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes one chunk in its own short transaction (loads, which must not hold the write lock
/// while they resolve identifiers through the vault).
pub(crate) async fn write_chunk(
    db: &Database,
    table: ChunkTable,
    owner: i64,
    chunk_no: i64,
    entries: usize,
    data: &[u8],
) -> Result<(), DbError> {
    let mut tx = db.pool().begin().await?;
    insert_chunk(&mut tx, table, owner, chunk_no, entries, data).await?;
    tx.commit().await?;
    Ok(())
}

/// Chunks of an owner with `chunk_no >= from`, in order, at most `limit`: (chunk_no, data).
pub(crate) async fn chunk_page(
    db: &Database,
    table: ChunkTable,
    owner: i64,
    from: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
    let (t, col) = table.names();
    let sql = format!(
        "SELECT chunk_no, data FROM {t} WHERE {col} = $1 AND chunk_no >= $2 ORDER BY chunk_no LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(owner)
        .bind(from)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Reads every chunk of an owner in order, calling `f` with each; at most a page of chunks is in
/// memory at once.
pub(crate) async fn for_each_chunk<E: From<DbError>>(
    db: &Database,
    table: ChunkTable,
    owner: i64,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut next = 0i64;
    loop {
        let page = chunk_page(db, table, owner, next, CHUNKS_PER_PAGE).await?;
        let n = page.len() as i64;
        for (no, data) in page {
            f(&data)?;
            next = no + 1;
        }
        if n < CHUNKS_PER_PAGE {
            return Ok(());
        }
    }
}
