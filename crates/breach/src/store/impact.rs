//! SQL of impact versions: a whole version (its row, person chunks, groups, population and
//! timeline event) is written in one transaction, so a failed or interrupted recomputation
//! leaves no half-written version behind.

use custodian_db::sqlx::{self, Row};
use custodian_db::{Database, DbError, Dialect, is_unique_violation};

use super::incidents::{NewEvent, insert_event};
use super::{ChunkTable, insert_chunk};
use crate::error::BreachError;

/// A version row as stored.
#[derive(Debug, Clone)]
pub(crate) struct ImpactRow {
    pub(crate) id: i64,
    pub(crate) version: i64,
    pub(crate) key_exposure: String,
    pub(crate) exposures: String,
    pub(crate) states: String,
    pub(crate) population: i64,
    pub(crate) touched: i64,
    pub(crate) affected: i64,
    pub(crate) computed_at: i64,
    pub(crate) computed_by: String,
    pub(crate) elapsed_ms: i64,
}

/// A group row: people of one kind and state with one exposure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct GroupRow {
    pub(crate) account_kind: String,
    pub(crate) state: String,
    pub(crate) clear: i64,
    pub(crate) encrypted: i64,
    pub(crate) people: i64,
}

/// Everything a new version holds.
#[derive(Debug)]
pub(crate) struct NewImpact<'a> {
    pub(crate) incident: i64,
    pub(crate) key_exposure: &'a str,
    pub(crate) exposures: String,
    pub(crate) states: String,
    pub(crate) population: i64,
    pub(crate) touched: i64,
    pub(crate) affected: i64,
    pub(crate) computed_at: i64,
    pub(crate) computed_by: &'a str,
    pub(crate) elapsed_ms: i64,
    pub(crate) chunks: Vec<(usize, Vec<u8>)>,
    pub(crate) groups: Vec<GroupRow>,
    pub(crate) population_by_kind: Vec<(&'static str, i64)>,
}

/// Writes a version whole; returns its version number.
pub(crate) async fn insert(
    db: &Database,
    new: &NewImpact<'_>,
    event_detail: impl Fn(i64) -> String,
) -> Result<i64, BreachError> {
    let mut tx = db.pool().begin().await?;
    let version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM breach_impacts WHERE incident_id = $1",
    )
    .bind(new.incident)
    .fetch_one(&mut *tx)
    .await?;
    let res = sqlx::query_scalar(
        "INSERT INTO breach_impacts (incident_id, version, key_exposure, exposures, states, \
         population, touched, affected, computed_at, computed_by, elapsed_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(new.incident)
    .bind(version)
    .bind(new.key_exposure)
    .bind(new.exposures.as_str())
    .bind(new.states.as_str())
    .bind(new.population)
    .bind(new.touched)
    .bind(new.affected)
    .bind(new.computed_at)
    .bind(new.computed_by)
    .bind(new.elapsed_ms)
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match res {
        Err(e) if is_unique_violation(&e) => {
            return Err(BreachError::invalid(
                "impact",
                "another recomputation of this incident finished first; run it again",
            ));
        }
        other => other?,
    };
    for (no, (entries, data)) in new.chunks.iter().enumerate() {
        insert_chunk(&mut tx, ChunkTable::Impact, id, no as i64, *entries, data).await?;
    }
    for chunk in new.groups.chunks(500) {
        let sql = format!(
            "INSERT INTO breach_impact_groups (impact_id, account_kind, state, clear, encrypted, people) VALUES {}",
            Dialect::of(&tx).row_placeholders(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for g in chunk {
            q = q
                .bind(id)
                .bind(g.account_kind.as_str())
                .bind(g.state.as_str())
                .bind(g.clear)
                .bind(g.encrypted)
                .bind(g.people);
        }
        q.execute(&mut *tx).await?;
    }
    for (kind, n) in &new.population_by_kind {
        sqlx::query("INSERT INTO breach_impact_population (impact_id, account_kind, people) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(*kind)
            .bind(*n)
            .execute(&mut *tx)
            .await?;
    }
    let detail = event_detail(version);
    let event = NewEvent {
        occurred_at: new.computed_at,
        recorded_at: new.computed_at,
        actor: new.computed_by,
        kind: "impact",
        detail: &detail,
    };
    insert_event(&mut tx, new.incident, &event).await?;
    tx.commit().await?;
    Ok(version)
}

const COLS: &str = "id, version, key_exposure, exposures, states, population, touched, affected, \
     computed_at, computed_by, elapsed_ms";

fn from_row(r: &custodian_db::sqlx::any::AnyRow) -> Result<ImpactRow, DbError> {
    Ok(ImpactRow {
        id: r.try_get(0)?,
        version: r.try_get(1)?,
        key_exposure: r.try_get(2)?,
        exposures: r.try_get(3)?,
        states: r.try_get(4)?,
        population: r.try_get(5)?,
        touched: r.try_get(6)?,
        affected: r.try_get(7)?,
        computed_at: r.try_get(8)?,
        computed_by: r.try_get(9)?,
        elapsed_ms: r.try_get(10)?,
    })
}

/// A version of an incident (the latest when `version` is `None`).
pub(crate) async fn find(
    db: &Database,
    incident: i64,
    version: Option<i64>,
) -> Result<Option<ImpactRow>, DbError> {
    let row = match version {
        Some(v) => {
            let sql = format!(
                "SELECT {COLS} FROM breach_impacts WHERE incident_id = $1 AND version = $2"
            );
            sqlx::query(&sql)
                .bind(incident)
                .bind(v)
                .fetch_optional(db.pool())
                .await?
        }
        None => {
            let sql = format!(
                "SELECT {COLS} FROM breach_impacts WHERE incident_id = $1 ORDER BY version DESC LIMIT 1"
            );
            sqlx::query(&sql)
                .bind(incident)
                .fetch_optional(db.pool())
                .await?
        }
    };
    row.as_ref().map(from_row).transpose()
}

/// Every version of an incident, oldest first.
pub(crate) async fn list(db: &Database, incident: i64) -> Result<Vec<ImpactRow>, DbError> {
    let sql = format!("SELECT {COLS} FROM breach_impacts WHERE incident_id = $1 ORDER BY version");
    let rows = sqlx::query(&sql)
        .bind(incident)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// A version's groups.
pub(crate) async fn groups(db: &Database, impact_id: i64) -> Result<Vec<GroupRow>, DbError> {
    let rows = sqlx::query(
        "SELECT account_kind, state, clear, encrypted, people FROM breach_impact_groups \
         WHERE impact_id = $1 ORDER BY account_kind, state, clear, encrypted",
    )
    .bind(impact_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GroupRow {
                account_kind: r.try_get(0)?,
                state: r.try_get(1)?,
                clear: r.try_get(2)?,
                encrypted: r.try_get(3)?,
                people: r.try_get(4)?,
            })
        })
        .collect()
}

/// A version's population by account kind.
pub(crate) async fn population(
    db: &Database,
    impact_id: i64,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT account_kind, people FROM breach_impact_population WHERE impact_id = $1 ORDER BY account_kind",
    )
    .bind(impact_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
