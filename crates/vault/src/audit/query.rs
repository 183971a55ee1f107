//! Reading the log: what a principal did in a time window (the breach engine's question, "what
//! did principal P read between T1 and T2?") and everything that touched one person.
//!
//! The principal queries walk the `(principal, at)` index to the matching entries and join their
//! person rows by primary key, so the cost follows the size of the answer, not of the log. Time
//! windows are half-open: `from <= at < to`.

use std::collections::BTreeSet;

use custodian_db::sqlx::{self, Row};
use custodian_db::{Database, Timestamp};

use super::AuditError;
use super::entry::{AccessRecord, Action, split_fields};

/// One person a principal read in a window, with every field read across all its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRead {
    /// The vault's internal person id.
    pub person_id: i64,
    /// The field names read, sorted and de-duplicated.
    pub fields: Vec<String>,
}

/// Every entry of `principal` with `from <= at < to` whose action is one of `actions` (all
/// actions when empty), in log order, each with its full person list.
pub async fn reads_by_principal(
    db: &Database,
    principal: &str,
    from: Timestamp,
    to: Timestamp,
    actions: &[Action],
) -> Result<Vec<AccessRecord>, AuditError> {
    let mut params = vec![Param::Text(principal), Param::Int(from.0), Param::Int(to.0)];
    let filter = format!(
        "l.principal = $1 AND l.at >= $2 AND l.at < $3{}",
        action_filter(actions, &mut params)
    );
    records_where(db, &filter, &params).await
}

/// The people `principal` read in `from <= at < to` (through any [`Action::EXPOSING`] action:
/// read, reveal, search, export), each with the union of the fields read, by person id.
pub async fn people_read_by(
    db: &Database,
    principal: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<PersonRead>, AuditError> {
    let mut params = vec![Param::Text(principal), Param::Int(from.0), Param::Int(to.0)];
    let actions = action_filter(&Action::EXPOSING, &mut params);
    let sql = format!(
        "SELECT DISTINCT p.person_id, l.fields FROM access_log l \
         JOIN access_log_person p ON p.seq = l.seq \
         WHERE l.principal = $1 AND l.at >= $2 AND l.at < $3{actions} ORDER BY p.person_id"
    );
    let rows = bind_all(sqlx::query(&sql), &params)
        .fetch_all(db.pool())
        .await?;
    let mut out: Vec<PersonRead> = Vec::new();
    let mut fields = BTreeSet::new();
    let mut current: Option<i64> = None;
    for r in rows {
        let person: i64 = r.try_get(0)?;
        let stored: String = r.try_get(1)?;
        if current.is_some_and(|c| c != person) {
            flush(&mut out, current, &mut fields);
        }
        current = Some(person);
        fields.extend(split_fields(&stored));
    }
    flush(&mut out, current, &mut fields);
    Ok(out)
}

/// Every entry that names `person_id`, in log order, each with its full person list.
pub async fn entries_for_person(
    db: &Database,
    person_id: i64,
) -> Result<Vec<AccessRecord>, AuditError> {
    records_where(
        db,
        "l.seq IN (SELECT seq FROM access_log_person WHERE person_id = $1)",
        &[Param::Int(person_id)],
    )
    .await
}

fn flush(out: &mut Vec<PersonRead>, person: Option<i64>, fields: &mut BTreeSet<String>) {
    if let Some(person_id) = person {
        out.push(PersonRead {
            person_id,
            fields: std::mem::take(fields).into_iter().collect(),
        });
    }
}

/// A bind parameter of a dynamically built query.
#[derive(Debug, Clone, Copy)]
enum Param<'a> {
    Int(i64),
    Text(&'a str),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_all<'q>(mut q: AnyQuery<'q>, params: &[Param<'q>]) -> AnyQuery<'q> {
    for p in params {
        q = match *p {
            Param::Int(i) => q.bind(i),
            Param::Text(s) => q.bind(s),
        };
    }
    q
}

/// ` AND l.action IN ($n, …)` for `actions` (appending their parameters), or nothing.
fn action_filter<'a>(actions: &[Action], params: &mut Vec<Param<'a>>) -> String {
    if actions.is_empty() {
        return String::new();
    }
    let mut sql = String::from(" AND l.action IN (");
    for (i, a) in actions.iter().enumerate() {
        params.push(Param::Text(a.as_str()));
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('$');
        sql.push_str(&params.len().to_string());
    }
    sql.push(')');
    sql
}

/// The entries matching `filter` (over `access_log l`) with their person lists.
async fn records_where(
    db: &Database,
    filter: &str,
    params: &[Param<'_>],
) -> Result<Vec<AccessRecord>, AuditError> {
    let sql = format!(
        "SELECT l.seq, l.at, l.principal, l.action, l.purpose, l.request_id, l.fields \
         FROM access_log l WHERE {filter} ORDER BY l.seq"
    );
    let rows = bind_all(sqlx::query(&sql), params)
        .fetch_all(db.pool())
        .await?;
    let mut records = Vec::with_capacity(rows.len());
    for r in rows {
        let seq: i64 = r.try_get(0)?;
        let action: String = r.try_get(3)?;
        records.push(AccessRecord {
            seq,
            at: Timestamp(r.try_get(1)?),
            principal: r.try_get(2)?,
            action: Action::parse(&action).ok_or(AuditError::UnknownAction { seq, action })?,
            purpose: r.try_get(4)?,
            request_id: r.try_get(5)?,
            fields: split_fields(&r.try_get::<String, _>(6)?),
            persons: Vec::new(),
        });
    }
    if records.is_empty() {
        return Ok(records);
    }
    let sql = format!(
        "SELECT p.seq, p.person_id FROM access_log_person p JOIN access_log l ON l.seq = p.seq \
         WHERE {filter} ORDER BY p.seq, p.person_id"
    );
    let rows = bind_all(sqlx::query(&sql), params)
        .fetch_all(db.pool())
        .await?;
    // Both lists are in seq order; entries appended between the two queries have no record
    // here and their people are skipped.
    let mut i = 0;
    for r in rows {
        let seq: i64 = r.try_get(0)?;
        while i < records.len() && records[i].seq < seq {
            i += 1;
        }
        match records.get_mut(i) {
            Some(rec) if rec.seq == seq => rec.persons.push(r.try_get(1)?),
            Some(_) => {}
            None => break,
        }
    }
    Ok(records)
}
