//! SQL of the data inventory: datasets (loading, then ready), their unlinked-identifier counts,
//! and the swap that replaces a dataset by a fresh load in one transaction.

use custodian_db::sqlx::{self, Row};
use custodian_db::{Database, DbError, is_unique_violation};

use crate::error::BreachError;

/// A dataset row as stored.
#[derive(Debug, Clone)]
pub(crate) struct DatasetRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) elements: i64,
    pub(crate) columns: String,
    pub(crate) source: String,
    pub(crate) rows_read: i64,
    pub(crate) members: i64,
    pub(crate) unlinked_rows: i64,
    pub(crate) shared_rows: i64,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
}

const COLS: &str = "id, name, description, elements, columns, source, rows_read, members, \
     unlinked_rows, shared_rows, created_at, created_by";

fn from_row(r: &custodian_db::sqlx::any::AnyRow) -> Result<DatasetRow, DbError> {
    Ok(DatasetRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        description: r.try_get(2)?,
        elements: r.try_get(3)?,
        columns: r.try_get(4)?,
        source: r.try_get(5)?,
        rows_read: r.try_get(6)?,
        members: r.try_get(7)?,
        unlinked_rows: r.try_get(8)?,
        shared_rows: r.try_get(9)?,
        created_at: r.try_get(10)?,
        created_by: r.try_get(11)?,
    })
}

/// Starts a load: a dataset row with status `loading`.
pub(crate) async fn create_loading(
    db: &Database,
    name: &str,
    description: &str,
    elements: i64,
    source: &str,
    now: i64,
    actor: &str,
) -> Result<i64, DbError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO breach_datasets (name, description, elements, columns, source, rows_read, \
         members, unlinked_rows, shared_rows, status, created_at, created_by) \
         VALUES ($1, $2, $3, '', $4, 0, 0, 0, 0, 'loading', $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(elements)
    .bind(source)
    .bind(now)
    .bind(actor)
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// The counts a finished load records.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadCounts {
    pub(crate) columns: String,
    pub(crate) rows_read: i64,
    pub(crate) members: i64,
    pub(crate) unlinked_rows: i64,
    pub(crate) shared_rows: i64,
    pub(crate) unlinked: Vec<(&'static str, i64)>,
}

/// Makes a loaded dataset the ready one of its name, replacing `old` (whose exposures move to
/// the new load) when given; all in one transaction.
pub(crate) async fn finish(
    db: &Database,
    id: i64,
    name: &str,
    old: Option<i64>,
    counts: &LoadCounts,
) -> Result<(), BreachError> {
    let mut tx = db.pool().begin().await?;
    if let Some(old) = old {
        sqlx::query("UPDATE breach_exposures SET dataset_id = $1 WHERE dataset_id = $2")
            .bind(id)
            .bind(old)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM breach_datasets WHERE id = $1")
            .bind(old)
            .execute(&mut *tx)
            .await?;
    }
    for (element, n) in &counts.unlinked {
        sqlx::query(
            "INSERT INTO breach_dataset_unlinked (dataset_id, element, count) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(*element)
        .bind(*n)
        .execute(&mut *tx)
        .await?;
    }
    let res = sqlx::query(
        "UPDATE breach_datasets SET status = 'ready', columns = $1, rows_read = $2, members = $3, \
         unlinked_rows = $4, shared_rows = $5 WHERE id = $6",
    )
    .bind(&counts.columns)
    .bind(counts.rows_read)
    .bind(counts.members)
    .bind(counts.unlinked_rows)
    .bind(counts.shared_rows)
    .bind(id)
    .execute(&mut *tx)
    .await;
    match res {
        Err(e) if is_unique_violation(&e) => {
            return Err(BreachError::DatasetExists(name.to_owned()));
        }
        other => {
            other?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a dataset (a failed load, or one the user removes); its chunks go with it.
pub(crate) async fn delete(db: &Database, id: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM breach_datasets WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whether any exposure names the dataset.
pub(crate) async fn is_exposed(db: &Database, id: i64) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM breach_exposures WHERE dataset_id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// The ready dataset of this name.
pub(crate) async fn find(db: &Database, name: &str) -> Result<Option<DatasetRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_datasets WHERE name = $1 AND status = 'ready'");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The dataset with this id (ready or not).
pub(crate) async fn find_by_id(db: &Database, id: i64) -> Result<Option<DatasetRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_datasets WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Every ready dataset, by name.
pub(crate) async fn list(db: &Database) -> Result<Vec<DatasetRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_datasets WHERE status = 'ready' ORDER BY name");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// A dataset's unlinked identifiers by element name.
pub(crate) async fn unlinked(db: &Database, id: i64) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT element, count FROM breach_dataset_unlinked WHERE dataset_id = $1 ORDER BY element",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Removes loads that never finished (a crash mid-load) and are older than `before`.
pub(crate) async fn sweep_stale(db: &Database, before: i64) -> Result<u64, DbError> {
    let n = sqlx::query("DELETE FROM breach_datasets WHERE status = 'loading' AND created_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(n)
}
