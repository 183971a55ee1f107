//! Writing and querying events, and purging them after the retention period.

use custodian_db::Timestamp;
use custodian_db::sqlx::any::AnyArguments;
use custodian_db::sqlx::query::Query;
use custodian_db::sqlx::{self, Any, AnyConnection, Row};

use super::{Param, Store, bind_all, placeholders};
use crate::error::GuardError;
use crate::events::{Event, EventQuery, NewEvent, TallyRow};

const COLS: &str =
    "at, last_at, count, account_id, kind, outcome, channel, source, network, device, detail";

impl Store {
    pub(crate) async fn insert_event(
        &self,
        e: &NewEvent,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        let mut conn = self.db.pool().acquire().await?;
        insert_event_on(&mut conn, e, now).await
    }

    /// The most counted groups [`Store::insert_tallies`] writes in one statement.
    pub(crate) fn tally_batch(&self) -> usize {
        self.batch_rows(11)
    }

    /// Writes counted groups in one statement (at most [`Store::tally_batch`]); the caller goes
    /// chunk by chunk, so live verifications get SQLite's write lock between them.
    pub(crate) async fn insert_tallies(&self, chunk: &[TallyRow]) -> Result<(), GuardError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(1 + 11 * i, 11)))
            .collect();
        let sql = format!(
            "INSERT INTO guard_events ({COLS}) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            let e = &r.event;
            q = q
                .bind(r.first)
                .bind(r.last)
                .bind(r.count)
                .bind(e.account.as_str())
                .bind(e.kind.as_str())
                .bind(e.outcome.as_str())
                .bind(e.channel.as_str())
                .bind(e.source.as_str())
                .bind(e.network.as_str())
                .bind(e.device.as_str())
                .bind(e.detail.as_str());
        }
        q.execute(self.db.pool()).await?;
        Ok(())
    }

    pub(crate) async fn query_events(&self, q: &EventQuery) -> Result<Vec<Event>, GuardError> {
        let mut conds = Vec::new();
        let mut params = Vec::new();
        let mut push = |cond: &str, p: Param| {
            params.push(p);
            conds.push(cond.replace('?', &format!("${}", params.len())));
        };
        if let Some(a) = &q.account {
            push("account_id = ?", Param::Text(a.as_str().to_owned()));
        }
        if let Some(s) = &q.source {
            let col = if s.contains('/') { "network" } else { "source" };
            push(
                &format!("{col} = ? AND {col} <> ''"),
                Param::Text(s.clone()),
            );
        }
        if let Some(k) = q.kind {
            push("kind = ?", Param::Text(k.as_str().to_owned()));
        }
        if let Some(t) = q.since {
            push("last_at >= ?", Param::Int(t.0));
        }
        if let Some(t) = q.until {
            push("at < ?", Param::Int(t.0));
        }
        let limit = match q.limit {
            0 => 100,
            n => n.min(10_000),
        };
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let sql = format!(
            "SELECT id, {COLS} FROM guard_events {filter} ORDER BY at DESC, id DESC LIMIT {limit}"
        );
        let rows = bind_all(sqlx::query(&sql), &params)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    id: r.try_get(0)?,
                    at: Timestamp(r.try_get(1)?),
                    last_at: Timestamp(r.try_get(2)?),
                    count: r.try_get(3)?,
                    account: r.try_get(4)?,
                    kind: r.try_get(5)?,
                    outcome: r.try_get(6)?,
                    channel: r.try_get(7)?,
                    source: r.try_get(8)?,
                    network: r.try_get(9)?,
                    device: r.try_get(10)?,
                    detail: r.try_get(11)?,
                })
            })
            .collect()
    }

    /// Distinct sources with failed verifications against an account since `since`.
    pub(crate) async fn failing_sources(
        &self,
        account: &str,
        since: Timestamp,
    ) -> Result<i64, GuardError> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT source) FROM guard_events WHERE account_id = $1 \
             AND kind = 'verify' AND outcome = 'wrong' AND at >= $2",
        )
        .bind(account)
        .bind(since.0)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Deletes events older than `before`.
    pub(crate) async fn purge_events(&self, before: Timestamp) -> Result<u64, GuardError> {
        Ok(sqlx::query("DELETE FROM guard_events WHERE last_at < $1")
            .bind(before.0)
            .execute(self.db.pool())
            .await?
            .rows_affected())
    }
}

pub(crate) async fn insert_event_on(
    conn: &mut AnyConnection,
    e: &NewEvent,
    now: Timestamp,
) -> Result<(), GuardError> {
    let sql = format!(
        "INSERT INTO guard_events ({COLS}) VALUES ($1, $1, 1, {})",
        placeholders(2, 8)
    );
    bind_event(sqlx::query(&sql).bind(now.0), e)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Binds an event's columns after `at`, `last_at` and `count`, in [`COLS`] order.
pub(crate) fn bind_event<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    e: &'q NewEvent,
) -> Query<'q, Any, AnyArguments<'q>> {
    q.bind(e.account.as_str())
        .bind(e.kind.as_str())
        .bind(e.outcome.as_str())
        .bind(e.channel.as_str())
        .bind(e.source.as_str())
        .bind(e.network.as_str())
        .bind(e.device.as_str())
        .bind(e.detail.as_str())
}
