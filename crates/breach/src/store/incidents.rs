//! SQL of incidents and their events. Every change to an incident is written together with the
//! event that records it, in one transaction, so the audit trail cannot miss a change.

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Database, DbError};

/// An incident row as stored.
#[derive(Debug, Clone)]
pub(crate) struct IncidentRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) owner: String,
    pub(crate) status: String,
    pub(crate) key_exposure: String,
    pub(crate) cpni: String,
    pub(crate) sec_registrant: i64,
    pub(crate) detected_at: Option<i64>,
    pub(crate) contained_at: Option<i64>,
    pub(crate) determined_at: Option<i64>,
    pub(crate) aware_at: Option<i64>,
    pub(crate) materiality_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
    pub(crate) updated_at: i64,
}

const COLS: &str = "id, title, summary, owner, status, key_exposure, cpni, sec_registrant, \
     detected_at, contained_at, determined_at, aware_at, materiality_at, created_at, created_by, \
     updated_at";

fn from_row(r: &custodian_db::sqlx::any::AnyRow) -> Result<IncidentRow, DbError> {
    Ok(IncidentRow {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        summary: r.try_get(2)?,
        owner: r.try_get(3)?,
        status: r.try_get(4)?,
        key_exposure: r.try_get(5)?,
        cpni: r.try_get(6)?,
        sec_registrant: r.try_get(7)?,
        detected_at: r.try_get(8)?,
        contained_at: r.try_get(9)?,
        determined_at: r.try_get(10)?,
        aware_at: r.try_get(11)?,
        materiality_at: r.try_get(12)?,
        created_at: r.try_get(13)?,
        created_by: r.try_get(14)?,
        updated_at: r.try_get(15)?,
    })
}

/// An event as stored.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) occurred_at: i64,
    pub(crate) recorded_at: i64,
    pub(crate) actor: String,
    pub(crate) kind: String,
    pub(crate) detail: String,
}

/// A new event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewEvent<'a> {
    pub(crate) occurred_at: i64,
    pub(crate) recorded_at: i64,
    pub(crate) actor: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) detail: &'a str,
}

/// Appends an event inside `tx` and touches the incident's `updated_at`.
pub(crate) async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    incident: i64,
    e: &NewEvent<'_>,
) -> Result<i64, DbError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO breach_incident_events (incident_id, occurred_at, recorded_at, actor, kind, detail) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(incident)
    .bind(e.occurred_at)
    .bind(e.recorded_at)
    .bind(e.actor)
    .bind(e.kind)
    .bind(e.detail)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE breach_incidents SET updated_at = $1 WHERE id = $2")
        .bind(e.recorded_at)
        .bind(incident)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Creates an incident with its `created` event; returns its id.
pub(crate) async fn create(
    db: &Database,
    title: &str,
    summary: &str,
    owner: &str,
    detected_at: Option<i64>,
    event: &NewEvent<'_>,
) -> Result<i64, DbError> {
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO breach_incidents (title, summary, owner, status, key_exposure, cpni, \
         sec_registrant, detected_at, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, 'open', 'unknown', 'unknown', 0, $4, $5, $6, $5) RETURNING id",
    )
    .bind(title)
    .bind(summary)
    .bind(owner)
    .bind(detected_at)
    .bind(event.recorded_at)
    .bind(event.actor)
    .fetch_one(&mut *tx)
    .await?;
    insert_event(&mut tx, id, event).await?;
    if let Some(at) = detected_at {
        let detected = NewEvent {
            occurred_at: at,
            kind: "detected",
            detail: "breach detected",
            ..*event
        };
        insert_event(&mut tx, id, &detected).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The columns a change may set.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Status,
    Owner,
    KeyExposure,
    Cpni,
    SecRegistrant,
    DetectedAt,
    ContainedAt,
    DeterminedAt,
    AwareAt,
    MaterialityAt,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Status => "status",
            Column::Owner => "owner",
            Column::KeyExposure => "key_exposure",
            Column::Cpni => "cpni",
            Column::SecRegistrant => "sec_registrant",
            Column::DetectedAt => "detected_at",
            Column::ContainedAt => "contained_at",
            Column::DeterminedAt => "determined_at",
            Column::AwareAt => "aware_at",
            Column::MaterialityAt => "materiality_at",
        }
    }
}

/// A value for a [`Column`].
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
}

/// Sets one column (when given) and records the event, in one transaction.
pub(crate) async fn change(
    db: &Database,
    incident: i64,
    set: Option<(Column, Value)>,
    event: &NewEvent<'_>,
) -> Result<i64, DbError> {
    let mut tx = db.pool().begin().await?;
    if let Some((col, value)) = set {
        let sql = format!(
            "UPDATE breach_incidents SET {} = $1 WHERE id = $2",
            col.name()
        );
        let q = sqlx::query(&sql);
        let q = match value {
            Value::Text(s) => q.bind(s),
            Value::Int(i) => q.bind(i),
        };
        q.bind(incident).execute(&mut *tx).await?;
    }
    let id = insert_event(&mut tx, incident, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// One incident.
pub(crate) async fn find(db: &Database, id: i64) -> Result<Option<IncidentRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_incidents WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Every incident, newest first.
pub(crate) async fn list(db: &Database) -> Result<Vec<IncidentRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_incidents ORDER BY id DESC");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// An incident's events, by when they happened (then by when they were recorded).
pub(crate) async fn events(db: &Database, incident: i64) -> Result<Vec<EventRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, recorded_at, actor, kind, detail FROM breach_incident_events \
         WHERE incident_id = $1 ORDER BY occurred_at, id",
    )
    .bind(incident)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get(0)?,
                occurred_at: r.try_get(1)?,
                recorded_at: r.try_get(2)?,
                actor: r.try_get(3)?,
                kind: r.try_get(4)?,
                detail: r.try_get(5)?,
            })
        })
        .collect()
}
