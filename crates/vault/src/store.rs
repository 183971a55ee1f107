//! The vault's SQL, written once for SQLite and PostgreSQL: people rows with sealed fields, blind
//! index rows, index versions and import jobs, and the page queries that export, key rotation and
//! retention walk in row-id order (keyset pages, so each is resumable and bounded). Batch
//! statements are multi-row `INSERT`s sized by the backend's parameter limit.

use std::collections::HashMap;

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Backend, Database, DbError, Dialect};

use crate::record::Field;

/// Columns of a person row, in the order [`PERSON_COLS`] selects them.
pub(crate) const PERSON_COLS: &str = "id, public_id, external_id, account_kind, state, kek_version, \
     key_version, wrapped_key, record_mac, first_name, last_name, street, city, zip, dob, ssn, \
     drivers_license, phone, email, imei, imsi, created_at, updated_at, shredded_at";

/// A person row as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredPerson {
    pub(crate) id: i64,
    pub(crate) public_id: [u8; 16],
    pub(crate) external_id: String,
    pub(crate) account_kind: String,
    pub(crate) state: Option<String>,
    pub(crate) kek_version: u32,
    pub(crate) key_version: u32,
    pub(crate) wrapped_key: Option<Vec<u8>>,
    pub(crate) record_mac: Option<Vec<u8>>,
    pub(crate) fields: [Option<Vec<u8>>; 12],
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) shredded_at: Option<i64>,
}

impl StoredPerson {
    pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Result<StoredPerson, sqlx::Error> {
        let public: Vec<u8> = r.try_get(1)?;
        let mut public_id = [0u8; 16];
        if public.len() == 16 {
            public_id.copy_from_slice(&public);
        }
        let mut fields: [Option<Vec<u8>>; 12] = Default::default();
        for (i, slot) in fields.iter_mut().enumerate() {
            *slot = r.try_get(9 + i)?;
        }
        Ok(StoredPerson {
            id: r.try_get(0)?,
            public_id,
            external_id: r.try_get(2)?,
            account_kind: r.try_get(3)?,
            state: r.try_get(4)?,
            kek_version: u32::try_from(r.try_get::<i64, _>(5)?).unwrap_or(0),
            key_version: u32::try_from(r.try_get::<i64, _>(6)?).unwrap_or(0),
            wrapped_key: r.try_get(7)?,
            record_mac: r.try_get(8)?,
            fields,
            created_at: r.try_get(21)?,
            updated_at: r.try_get(22)?,
            shredded_at: r.try_get(23)?,
        })
    }

    /// The sealed value of a field, if present.
    pub(crate) fn sealed(&self, f: Field) -> Option<&[u8]> {
        self.fields[f.index()].as_deref()
    }
}

/// A person ready to write: everything sealed already.
#[derive(Debug)]
pub(crate) struct SealedPerson {
    pub(crate) external_id: String,
    pub(crate) public_id: [u8; 16],
    pub(crate) account_kind: &'static str,
    pub(crate) state: Option<&'static str>,
    pub(crate) kek_version: u32,
    pub(crate) key_version: u32,
    pub(crate) wrapped_key: Vec<u8>,
    pub(crate) record_mac: Vec<u8>,
    pub(crate) fields: [Option<Vec<u8>>; 12],
    /// Blind indexes: (field, index version, digest).
    pub(crate) bidx: Vec<(Field, u32, Vec<u8>)>,
}

/// Index versions: (version, root version, status).
pub(crate) async fn index_versions(db: &Database) -> Result<Vec<(u32, u32, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT version, root_version, status FROM vault_index_versions ORDER BY version",
    )
    .fetch_all(db.pool())
    .await?;
    version_rows(&rows)
}

/// (version, root version, status) of `vault_index_versions` rows selected in that order.
fn version_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<(u32, u32, String)>, DbError> {
    rows.iter()
        .map(|r| {
            Ok((
                u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                u32::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
                r.try_get(2)?,
            ))
        })
        .collect()
}

/// Index versions read inside a writer's transaction: on PostgreSQL the rows are share-locked
/// until it commits, so an index rotation changing versions ([`lock_index_versions`]) waits
/// for writers that indexed under the old set, and writers after it see the new one.
pub(crate) async fn index_versions_in(
    tx: &mut Transaction<'_, Any>,
) -> Result<Vec<(u32, u32, String)>, DbError> {
    let lock = match Dialect::of(tx).backend() {
        Backend::Postgres => " FOR SHARE",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT version, root_version, status FROM vault_index_versions ORDER BY version{lock}"
    );
    let rows = sqlx::query(&sql).fetch_all(&mut **tx).await?;
    version_rows(&rows)
}

/// Takes the right to change index versions for the rest of `tx`: on PostgreSQL an exclusive
/// table lock (waits for writers holding [`index_versions_in`]'s share locks; plain reads go
/// on); on SQLite the write lock, which makes the transaction the only writer.
pub(crate) async fn lock_index_versions(tx: &mut Transaction<'_, Any>) -> Result<(), DbError> {
    let sql = match Dialect::of(tx).backend() {
        Backend::Postgres => "LOCK TABLE vault_index_versions IN EXCLUSIVE MODE",
        Backend::Sqlite => "UPDATE vault_index_versions SET status = status WHERE version < 0",
    };
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

/// Adds an index version in `building` state.
pub(crate) async fn add_index_version(
    tx: &mut Transaction<'_, Any>,
    version: u32,
    root_version: u32,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO vault_index_versions (version, root_version, status, created_at) \
         VALUES ($1, $2, 'building', $3)",
    )
    .bind(i64::from(version))
    .bind(i64::from(root_version))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `version` the active index and retires every other version that is not retired yet.
pub(crate) async fn activate_index_version(
    tx: &mut Transaction<'_, Any>,
    version: u32,
) -> Result<Vec<u32>, DbError> {
    let retired: Vec<i64> = sqlx::query_scalar(
        "UPDATE vault_index_versions SET status = 'retired' \
         WHERE version <> $1 AND status <> 'retired' RETURNING version",
    )
    .bind(i64::from(version))
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query("UPDATE vault_index_versions SET status = 'active' WHERE version = $1")
        .bind(i64::from(version))
        .execute(&mut **tx)
        .await?;
    let mut retired: Vec<u32> = retired
        .into_iter()
        .map(|v| u32::try_from(v).unwrap_or(0))
        .collect();
    retired.sort_unstable();
    Ok(retired)
}

/// The condition "live, indexed under some other version, not yet under `$1`": the people an
/// index version still lacks. Everyone with an indexed field has digests under every version
/// that is not retired, so "some other version" is the old one during a rotation.
const LACKS_VERSION: &str = "p.wrapped_key IS NOT NULL \
     AND EXISTS (SELECT 1 FROM vault_bidx a WHERE a.person_id = p.id AND a.version <> $1) \
     AND NOT EXISTS (SELECT 1 FROM vault_bidx b WHERE b.person_id = p.id AND b.version = $1)";

/// The next `limit` people by row id after `after` (live or not): the range `lo..=hi` they span
/// and, of them, the live people without digests of index `version`, in id order. `None` when
/// no row is left. The range comes first so that every part of the second query is bounded by
/// it: PostgreSQL otherwise merge-joins the digest index from its first row (or to its last)
/// on every page, which makes the walk quadratic.
pub(crate) async fn lacking_index_page(
    db: &Database,
    version: u32,
    after: i64,
    limit: usize,
) -> Result<Option<(i64, Vec<StoredPerson>)>, DbError> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM vault_people WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(db.pool())
            .await?;
    let (Some(&lo), Some(&hi)) = (ids.first(), ids.last()) else {
        return Ok(None);
    };
    let cols = PERSON_COLS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM vault_people p WHERE p.id >= $2 AND p.id <= $3 \
         AND p.wrapped_key IS NOT NULL \
         AND EXISTS (SELECT 1 FROM vault_bidx a WHERE a.person_id = p.id AND a.version <> $1 \
                     AND a.person_id >= $2 AND a.person_id <= $3) \
         AND NOT EXISTS (SELECT 1 FROM vault_bidx b WHERE b.person_id = p.id AND b.version = $1 \
                         AND b.person_id >= $2 AND b.person_id <= $3) \
         ORDER BY p.id"
    );
    let rows = sqlx::query(&sql)
        .bind(i64::from(version))
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?;
    let people = rows
        .iter()
        .map(StoredPerson::from_row)
        .collect::<Result<_, _>>()?;
    Ok(Some((hi, people)))
}

/// How many live people still lack digests of index `version`.
pub(crate) async fn count_lacking_index<'e, E>(exec: E, version: u32) -> Result<u64, DbError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let sql = format!("SELECT COUNT(*) FROM vault_people p WHERE {LACKS_VERSION}");
    let n: i64 = sqlx::query_scalar(&sql)
        .bind(i64::from(version))
        .fetch_one(exec)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Locks the rows of the given people that are live and still lack digests of `version`, and
/// returns their ids with their record digests as they are now: a person changed since it was
/// read shows a different digest (its writer indexed it under every version itself).
pub(crate) async fn lock_lacking(
    tx: &mut Transaction<'_, Any>,
    ids: &[i64],
    version: u32,
) -> Result<Vec<(i64, Option<Vec<u8>>)>, DbError> {
    let d = Dialect::of(tx);
    let sql = format!(
        "UPDATE vault_people SET record_mac = record_mac WHERE id IN ({}) \
         AND wrapped_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vault_bidx b \
         WHERE b.person_id = vault_people.id AND b.version = {}) RETURNING id, record_mac",
        d.list_placeholders(1, ids.len()),
        d.param(ids.len() + 1),
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.bind(i64::from(version)).fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// The lowest and highest person id with digests of `version`, if any.
pub(crate) async fn index_person_range(
    db: &Database,
    version: u32,
) -> Result<Option<(i64, i64)>, DbError> {
    let row =
        sqlx::query("SELECT MIN(person_id), MAX(person_id) FROM vault_bidx WHERE version = $1")
            .bind(i64::from(version))
            .fetch_one(db.pool())
            .await?;
    let lo: Option<i64> = row.try_get(0)?;
    let hi: Option<i64> = row.try_get(1)?;
    Ok(lo.zip(hi))
}

/// Deletes the digests of `version` for person ids in `lo..=hi`; returns how many.
pub(crate) async fn purge_index_range(
    db: &Database,
    version: u32,
    lo: i64,
    hi: i64,
) -> Result<u64, DbError> {
    Ok(sqlx::query(
        "DELETE FROM vault_bidx WHERE version = $1 AND person_id >= $2 AND person_id <= $3",
    )
    .bind(i64::from(version))
    .bind(lo)
    .bind(hi)
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// Creates index version 1 keyed by `root_version` when there is none yet.
pub(crate) async fn ensure_first_index_version(
    db: &Database,
    root_version: u32,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO vault_index_versions (version, root_version, status, created_at) \
         VALUES (1, $1, 'active', $2) ON CONFLICT (version) DO NOTHING",
    )
    .bind(i64::from(root_version))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The rows of the given external ids that exist.
pub(crate) async fn find_by_external_ids(
    conn: &mut sqlx::AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, StoredPerson>, DbError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {PERSON_COLS} FROM vault_people WHERE external_id IN ({})",
            Dialect::of(conn).list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let p = StoredPerson::from_row(&r)?;
            out.insert(p.external_id.clone(), p);
        }
    }
    Ok(out)
}

/// What a writer's plan for an existing row depends on; compared before a batch sealed
/// outside the write lock is written (see the writer).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RowBasis {
    pub(crate) id: i64,
    pub(crate) record_mac: Option<Vec<u8>>,
    pub(crate) shredded: bool,
    pub(crate) key_version: u32,
    pub(crate) public_id: [u8; 16],
}

/// The [`RowBasis`] of the rows of the given external ids that exist, in row-id order.
pub(crate) async fn basis_by_external_ids(
    conn: &mut sqlx::AnyConnection,
    ids: &[&str],
) -> Result<Vec<RowBasis>, DbError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, record_mac, shredded_at, key_version, public_id FROM vault_people \
             WHERE external_id IN ({})",
            Dialect::of(conn).list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let public: Vec<u8> = r.try_get(4)?;
            out.push(RowBasis {
                id: r.try_get(0)?,
                record_mac: r.try_get(1)?,
                shredded: r.try_get::<Option<i64>, _>(2)?.is_some(),
                key_version: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                public_id: public.as_slice().try_into().unwrap_or([0u8; 16]),
            });
        }
    }
    out.sort_unstable_by_key(|r| r.id);
    Ok(out)
}

/// Inserts new people; returns external id → row id.
pub(crate) async fn insert_people(
    tx: &mut Transaction<'_, Any>,
    people: &[SealedPerson],
    now: i64,
    dialect: Dialect,
) -> Result<HashMap<String, i64>, DbError> {
    const COLS: usize = 22;
    let mut ids = HashMap::with_capacity(people.len());
    for chunk in people.chunks((dialect.max_params() / COLS).clamp(1, 1000)) {
        let mut sql = String::from(
            "INSERT INTO vault_people (public_id, external_id, account_kind, state, kek_version, \
             key_version, wrapped_key, record_mac, first_name, last_name, street, city, zip, dob, \
             ssn, drivers_license, phone, email, imei, imsi, created_at, updated_at) VALUES ",
        );
        sql.push_str(&dialect.row_placeholders(chunk.len(), COLS));
        sql.push_str(" RETURNING id, external_id");
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(p.public_id.to_vec())
                .bind(p.external_id.as_str())
                .bind(p.account_kind)
                .bind(p.state)
                .bind(i64::from(p.kek_version))
                .bind(i64::from(p.key_version))
                .bind(p.wrapped_key.as_slice())
                .bind(p.record_mac.as_slice());
            for f in &p.fields {
                q = q.bind(f.as_deref());
            }
            q = q.bind(now).bind(now);
        }
        for r in q.fetch_all(&mut **tx).await? {
            ids.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
        }
    }
    Ok(ids)
}

/// Replaces an existing person's sealed fields (same data key).
pub(crate) async fn update_person(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    p: &SealedPerson,
    now: i64,
) -> Result<(), DbError> {
    let mut q = sqlx::query(
        "UPDATE vault_people SET account_kind = $1, state = $2, record_mac = $3, first_name = $4, \
         last_name = $5, street = $6, city = $7, zip = $8, dob = $9, ssn = $10, drivers_license = $11, \
         phone = $12, email = $13, imei = $14, imsi = $15, updated_at = $16 WHERE id = $17",
    )
    .bind(p.account_kind)
    .bind(p.state)
    .bind(p.record_mac.as_slice());
    for f in &p.fields {
        q = q.bind(f.as_deref());
    }
    q.bind(now).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Marks people as seen now without changing their data.
pub(crate) async fn touch(
    tx: &mut Transaction<'_, Any>,
    ids: &[i64],
    now: i64,
) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        let d = Dialect::of(tx);
        let sql = format!(
            "UPDATE vault_people SET updated_at = {} WHERE id IN ({})",
            d.param(1),
            d.list_placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(now);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes every blind index row of the given people.
pub(crate) async fn delete_bidx(tx: &mut Transaction<'_, Any>, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        let sql = format!(
            "DELETE FROM vault_bidx WHERE person_id IN ({})",
            Dialect::of(tx).list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts blind index rows: (field, version, digest, person id).
pub(crate) async fn insert_bidx(
    tx: &mut Transaction<'_, Any>,
    rows: &[(Field, u32, &[u8], i64)],
    dialect: Dialect,
) -> Result<(), DbError> {
    for chunk in rows.chunks((dialect.max_params() / 4).clamp(1, 5000)) {
        let mut sql =
            String::from("INSERT INTO vault_bidx (field, version, digest, person_id) VALUES ");
        sql.push_str(&dialect.row_placeholders(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for (f, v, d, id) in chunk {
            q = q
                .bind(f.index() as i64)
                .bind(i64::from(*v))
                .bind(*d)
                .bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// People whose blind index of `field` (in `version`) equals `digest`.
pub(crate) async fn lookup_bidx(
    db: &Database,
    field: Field,
    version: u32,
    digest: &[u8],
) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(
        "SELECT person_id FROM vault_bidx WHERE field = $1 AND version = $2 AND digest = $3 ORDER BY person_id",
    )
    .bind(field.index() as i64)
    .bind(i64::from(version))
    .bind(digest)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
}

/// Every `(digest, person_id)` pair for many digests of one field and index version, one
/// query per chunk of digests (the breach engine resolves whole exposed files at once).
pub(crate) async fn lookup_bidx_many(
    db: &Database,
    field: Field,
    version: u32,
    digests: &[Vec<u8>],
) -> Result<Vec<(Vec<u8>, i64)>, DbError> {
    let mut out = Vec::new();
    let chunk_len = db.dialect().max_params().saturating_sub(2).clamp(1, 900);
    for chunk in digests.chunks(chunk_len) {
        // Anonymous parameters on SQLite bind in the order they appear: that of the binds.
        let d = db.dialect();
        let sql = format!(
            "SELECT digest, person_id FROM vault_bidx WHERE field = {} AND version = {} AND digest IN ({}) ORDER BY person_id",
            d.param(1),
            d.param(2),
            d.list_placeholders(3, chunk.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(field.index() as i64)
            .bind(i64::from(version));
        for d in chunk {
            q = q.bind(d.as_slice());
        }
        for r in q.fetch_all(db.pool()).await? {
            out.push((r.try_get::<Vec<u8>, _>(0)?, r.try_get::<i64, _>(1)?));
        }
    }
    Ok(out)
}

/// A value of an `IN (…)` list of people.
#[derive(Clone, Copy)]
enum InKey<'a> {
    Id(i64),
    Public(&'a [u8; 16]),
    External(&'a str),
}

/// The people whose `column` is one of `keys`, in row-id order within each query of at most
/// 500 keys.
async fn load_in(
    db: &Database,
    column: &str,
    keys: &[InKey<'_>],
) -> Result<Vec<StoredPerson>, DbError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT {PERSON_COLS} FROM vault_people WHERE {column} IN ({}) ORDER BY id",
            db.dialect().list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = match *k {
                InKey::Id(id) => q.bind(id),
                InKey::Public(p) => q.bind(p.to_vec()),
                InKey::External(e) => q.bind(e),
            };
        }
        for r in q.fetch_all(db.pool()).await? {
            out.push(StoredPerson::from_row(&r)?);
        }
    }
    Ok(out)
}

/// Loads people by row id.
pub(crate) async fn load_by_ids(db: &Database, ids: &[i64]) -> Result<Vec<StoredPerson>, DbError> {
    let keys: Vec<InKey<'_>> = ids.iter().map(|id| InKey::Id(*id)).collect();
    load_in(db, "id", &keys).await
}

/// Loads people by external or public id, a few queries for the lot: one answer per key, in
/// the keys' order (`None` for an unknown one).
pub(crate) async fn load_many(
    db: &Database,
    keys: &[PersonKey<'_>],
) -> Result<Vec<Option<StoredPerson>>, DbError> {
    let (mut publics, mut externals) = (Vec::new(), Vec::new());
    for k in keys {
        match k {
            PersonKey::Public(p) => publics.push(InKey::Public(p)),
            PersonKey::External(e) => externals.push(InKey::External(e)),
        }
    }
    let by_public: HashMap<[u8; 16], StoredPerson> = load_in(db, "public_id", &publics)
        .await?
        .into_iter()
        .map(|p| (p.public_id, p))
        .collect();
    let by_external: HashMap<String, StoredPerson> = load_in(db, "external_id", &externals)
        .await?
        .into_iter()
        .map(|p| (p.external_id.clone(), p))
        .collect();
    Ok(keys
        .iter()
        .map(|k| match k {
            PersonKey::Public(p) => by_public.get(*p).cloned(),
            PersonKey::External(e) => by_external.get(*e).cloned(),
        })
        .collect())
}

/// Loads one person by external id or public id.
pub(crate) async fn load_one(
    db: &Database,
    key: &PersonKey<'_>,
) -> Result<Option<StoredPerson>, DbError> {
    let (sql, arg): (String, Vec<u8>) = match key {
        PersonKey::External(e) => (
            format!("SELECT {PERSON_COLS} FROM vault_people WHERE external_id = $1"),
            e.as_bytes().to_vec(),
        ),
        PersonKey::Public(p) => (
            format!("SELECT {PERSON_COLS} FROM vault_people WHERE public_id = $1"),
            p.to_vec(),
        ),
    };
    let q = sqlx::query(&sql);
    let q = match key {
        PersonKey::External(e) => q.bind(*e),
        PersonKey::Public(_) => q.bind(arg),
    };
    Ok(q.fetch_optional(db.pool())
        .await?
        .map(|r| StoredPerson::from_row(&r))
        .transpose()?)
}

/// How a caller names a person.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PersonKey<'a> {
    /// By the company's id.
    External(&'a str),
    /// By Custodian's opaque id.
    Public(&'a [u8; 16]),
}

/// Destroys a person's key material and sealed fields; keeps the tombstone.
pub(crate) async fn shred(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    now: i64,
) -> Result<bool, DbError> {
    shred_idle_since(tx, id, i64::MAX, now).await
}

/// Like [`shred`], but only while the person's last activity (`updated_at`) is before `cutoff`,
/// so a re-import that lands between a retention query and its shred keeps the person.
pub(crate) async fn shred_idle_since(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    cutoff: i64,
    now: i64,
) -> Result<bool, DbError> {
    let n = sqlx::query(
        "UPDATE vault_people SET wrapped_key = NULL, record_mac = NULL, first_name = NULL, \
         last_name = NULL, street = NULL, city = NULL, zip = NULL, dob = NULL, ssn = NULL, \
         drivers_license = NULL, phone = NULL, email = NULL, imei = NULL, imsi = NULL, \
         shredded_at = $1, updated_at = $1 WHERE id = $2 AND shredded_at IS NULL AND updated_at < $3",
    )
    .bind(now)
    .bind(id)
    .bind(cutoff)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 1 {
        delete_bidx(tx, &[id]).await?;
    }
    Ok(n == 1)
}

/// Live (not shredded) people with a row id above `after`, in id order, at most `limit`.
pub(crate) async fn live_page(
    db: &Database,
    after: i64,
    limit: usize,
) -> Result<Vec<StoredPerson>, DbError> {
    let sql = format!(
        "SELECT {PERSON_COLS} FROM vault_people WHERE id > $1 AND shredded_at IS NULL \
         ORDER BY id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(StoredPerson::from_row)
        .collect::<Result<_, _>>()?)
}

/// How many people are shredded (tombstones).
pub(crate) async fn count_shredded(db: &Database) -> Result<u64, DbError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM vault_people WHERE shredded_at IS NOT NULL")
            .fetch_one(db.pool())
            .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A person's wrapped data key and what it is bound to: all a re-wrap needs.
#[derive(Debug, Clone)]
pub(crate) struct WrappedKeyRow {
    pub(crate) id: i64,
    pub(crate) public_id: [u8; 16],
    pub(crate) kek_version: u32,
    pub(crate) key_version: u32,
    pub(crate) wrapped_key: Vec<u8>,
}

/// Live people whose data key is wrapped under a KEK older than `target`, with a row id above
/// `after`, in id order, at most `limit`.
pub(crate) async fn wrapped_below(
    db: &Database,
    target: u32,
    after: i64,
    limit: usize,
) -> Result<Vec<WrappedKeyRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, public_id, kek_version, key_version, wrapped_key FROM vault_people \
         WHERE kek_version < $1 AND id > $2 AND wrapped_key IS NOT NULL ORDER BY id LIMIT $3",
    )
    .bind(i64::from(target))
    .bind(after)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let public: Vec<u8> = r.try_get(1)?;
            Ok(WrappedKeyRow {
                id: r.try_get(0)?,
                public_id: public.as_slice().try_into().unwrap_or([0u8; 16]),
                kek_version: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                key_version: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                wrapped_key: r.try_get(4)?,
            })
        })
        .collect()
}

/// Replaces a wrapped data key, only if it is still under `from` and not shredded meanwhile;
/// returns whether the row changed.
pub(crate) async fn rewrap(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    from: u32,
    to: u32,
    wrapped: &[u8],
) -> Result<bool, DbError> {
    let n = sqlx::query(
        "UPDATE vault_people SET wrapped_key = $1, kek_version = $2 \
         WHERE id = $3 AND kek_version = $4 AND wrapped_key IS NOT NULL",
    )
    .bind(wrapped)
    .bind(i64::from(to))
    .bind(id)
    .bind(i64::from(from))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Live people per KEK version, ascending: (version, count).
pub(crate) async fn count_by_kek_version(db: &Database) -> Result<Vec<(u32, u64)>, DbError> {
    let rows = sqlx::query(
        "SELECT kek_version, COUNT(*) FROM vault_people WHERE wrapped_key IS NOT NULL \
         GROUP BY kek_version ORDER BY kek_version",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
            ))
        })
        .collect()
}

/// Live people of `kind` whose last activity is before `cutoff`, with a row id above `after`, in
/// id order, at most `limit`.
pub(crate) async fn idle_since(
    db: &Database,
    kind: &str,
    cutoff: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(
        "SELECT id FROM vault_people WHERE account_kind = $1 AND shredded_at IS NULL \
         AND updated_at < $2 AND id > $3 ORDER BY id LIMIT $4",
    )
    .bind(kind)
    .bind(cutoff)
    .bind(after)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
}

/// How many live people of `kind` had their last activity before `cutoff`.
pub(crate) async fn count_idle_since(
    db: &Database,
    kind: &str,
    cutoff: i64,
) -> Result<u64, DbError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM vault_people WHERE account_kind = $1 AND shredded_at IS NULL \
         AND updated_at < $2",
    )
    .bind(kind)
    .bind(cutoff)
    .fetch_one(db.pool())
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
