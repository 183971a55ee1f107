//! The two reads of the vault's own table, `vault_people`, restricted to its clear columns:
//! external id → person id for system files that carry the company's id, and each person's
//! account kind and state, for impact. Reading these through the
//! vault's API would decrypt nothing anyway, but would cost a round trip per person.

use std::collections::HashMap;

use custodian_db::sqlx::{self, Row};
use custodian_db::{Database, DbError};

/// External ids per lookup statement.
const IDS_PER_QUERY: usize = 2_000;

/// The person ids of those external ids that exist.
pub(crate) async fn ids_by_external_id(
    db: &Database,
    external_ids: &[&str],
) -> Result<HashMap<String, i64>, DbError> {
    let mut out = HashMap::with_capacity(external_ids.len());
    for chunk in external_ids.chunks(IDS_PER_QUERY) {
        let sql = format!(
            "SELECT id, external_id FROM vault_people WHERE external_id IN ({})",
            db.dialect().list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(db.pool()).await? {
            out.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
        }
    }
    Ok(out)
}

/// One person as impact sees them.
#[derive(Debug, Clone)]
pub(crate) struct PersonFacts {
    pub(crate) id: i64,
    pub(crate) account_kind: String,
    pub(crate) state: Option<String>,
}

/// People with `after < id <= last`, in id order, at most `limit`.
pub(crate) async fn page(
    db: &Database,
    after: i64,
    last: i64,
    limit: i64,
) -> Result<Vec<PersonFacts>, DbError> {
    let rows = sqlx::query(
        "SELECT id, account_kind, state FROM vault_people WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(last)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PersonFacts {
                id: r.try_get(0)?,
                account_kind: r.try_get(1)?,
                state: r.try_get(2)?,
            })
        })
        .collect()
}

/// The opaque public id (hex) and external id of each of `ids` that exists.
pub(crate) async fn public_ids(
    db: &Database,
    ids: &[i64],
) -> Result<HashMap<i64, (String, String)>, DbError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let sql = format!(
            "SELECT id, public_id, external_id FROM vault_people WHERE id IN ({})",
            db.dialect().list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(db.pool()).await? {
            let public: Vec<u8> = r.try_get(1)?;
            out.insert(r.try_get::<i64, _>(0)?, (hex(&public), r.try_get(2)?));
        }
    }
    Ok(out)
}

/// The largest person id, 0 when the vault is empty.
pub(crate) async fn max_id(db: &Database) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT MAX(id) FROM vault_people")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
