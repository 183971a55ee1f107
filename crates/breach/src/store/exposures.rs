//! SQL of exposures: a row per exposure (loading, then ready together with its timeline event),
//! its person chunks (principal and file exposures) and its unlinked-identifier counts.

use custodian_db::sqlx::{self, Row};
use custodian_db::{Database, DbError};

use super::incidents::{NewEvent, insert_event};

/// An exposure row as stored.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExposureRow {
    pub(crate) id: i64,
    pub(crate) incident_id: i64,
    pub(crate) kind: String,
    pub(crate) form: String,
    pub(crate) occurred_at: i64,
    pub(crate) note: String,
    pub(crate) dataset_id: Option<i64>,
    pub(crate) element_mask: i64,
    pub(crate) principal: Option<String>,
    pub(crate) window_from: Option<i64>,
    pub(crate) window_to: Option<i64>,
    pub(crate) source: String,
    pub(crate) detected: String,
    pub(crate) rows_read: i64,
    pub(crate) people: i64,
    pub(crate) unlinked_rows: i64,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
}

const COLS: &str = "id, incident_id, kind, form, occurred_at, note, dataset_id, element_mask, \
     principal, window_from, window_to, source, detected, rows_read, people, unlinked_rows, \
     created_at, created_by";

fn from_row(r: &custodian_db::sqlx::any::AnyRow) -> Result<ExposureRow, DbError> {
    Ok(ExposureRow {
        id: r.try_get(0)?,
        incident_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        form: r.try_get(3)?,
        occurred_at: r.try_get(4)?,
        note: r.try_get(5)?,
        dataset_id: r.try_get(6)?,
        element_mask: r.try_get(7)?,
        principal: r.try_get(8)?,
        window_from: r.try_get(9)?,
        window_to: r.try_get(10)?,
        source: r.try_get(11)?,
        detected: r.try_get(12)?,
        rows_read: r.try_get(13)?,
        people: r.try_get(14)?,
        unlinked_rows: r.try_get(15)?,
        created_at: r.try_get(16)?,
        created_by: r.try_get(17)?,
    })
}

/// Inserts an exposure with status `loading`; returns its id.
pub(crate) async fn create_loading(db: &Database, e: &ExposureRow) -> Result<i64, DbError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO breach_exposures (incident_id, kind, form, occurred_at, note, dataset_id, \
         element_mask, principal, window_from, window_to, source, detected, rows_read, people, \
         unlinked_rows, status, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', 0, 0, 0, 'loading', $12, $13) \
         RETURNING id",
    )
    .bind(e.incident_id)
    .bind(e.kind.as_str())
    .bind(e.form.as_str())
    .bind(e.occurred_at)
    .bind(e.note.as_str())
    .bind(e.dataset_id)
    .bind(e.element_mask)
    .bind(e.principal.as_deref())
    .bind(e.window_from)
    .bind(e.window_to)
    .bind(e.source.as_str())
    .bind(e.created_at)
    .bind(e.created_by.as_str())
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// What a finished exposure records.
#[derive(Debug, Clone, Default)]
pub(crate) struct Finished {
    pub(crate) element_mask: i64,
    pub(crate) detected: String,
    pub(crate) rows_read: i64,
    pub(crate) people: i64,
    pub(crate) unlinked_rows: i64,
    pub(crate) unlinked: Vec<(&'static str, i64)>,
}

/// Makes the exposure ready and records its event, in one transaction.
pub(crate) async fn finish(
    db: &Database,
    id: i64,
    incident: i64,
    f: &Finished,
    event: &NewEvent<'_>,
) -> Result<(), DbError> {
    let mut tx = db.pool().begin().await?;
    for (element, n) in &f.unlinked {
        sqlx::query("INSERT INTO breach_exposure_unlinked (exposure_id, element, count) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(*element)
            .bind(*n)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE breach_exposures SET status = 'ready', element_mask = $1, detected = $2, \
         rows_read = $3, people = $4, unlinked_rows = $5 WHERE id = $6",
    )
    .bind(f.element_mask)
    .bind(f.detected.as_str())
    .bind(f.rows_read)
    .bind(f.people)
    .bind(f.unlinked_rows)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    insert_event(&mut tx, incident, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an exposure that failed to load.
pub(crate) async fn delete(db: &Database, id: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM breach_exposures WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The ready exposures of an incident, in the order they were added.
pub(crate) async fn list(db: &Database, incident: i64) -> Result<Vec<ExposureRow>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM breach_exposures WHERE incident_id = $1 AND status = 'ready' ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(incident)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// An exposure's unlinked identifiers by element name.
pub(crate) async fn unlinked(db: &Database, id: i64) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT element, count FROM breach_exposure_unlinked WHERE exposure_id = $1 ORDER BY element",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
