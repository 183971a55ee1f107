//! Appending to the log: [`AuditLog`] writes entries (one or a batch), signs checkpoints every
//! N entries and on demand, and keeps the signed head row current, all inside one transaction.
//!
//! Serialisation across processes comes from the head row, not from the process: the first
//! statement of every append is an `UPDATE` of `access_log_head` (a no-op change that returns the
//! current head). On PostgreSQL that takes the row lock, so a second appender waits there and
//! then sees the first one's head; on SQLite, being the transaction's first write, it takes the
//! database's write lock (waiting out `busy_timeout`). One statement, the same on both backends.
//! `seq` being the primary key makes a fork a constraint violation even if that reasoning broke.
//!
//! Callers that change data append in the *same* transaction ([`AuditLog::append_in`]), so an
//! acknowledged change always has its entry and an entry always has its change. On SQLite such a
//! transaction should write before it reads, or at least not hold a stale read snapshot when it
//! reaches the append, as with any SQLite write transaction.

use std::ops::Range;
use std::sync::Arc;

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Clock, Database, Dialect, Timestamp};

use super::AuditError;
use super::entry::{AuditEntry, HASH_LEN, Prepared};
use super::key::{AuditKey, CheckpointFields, HeadFields};

/// Entries per multi-row `INSERT` (10 parameters each). Kept to a few hundred parameters per
/// statement: sqlx binds SQLite's `$N` parameters by name, and SQLite's name lookup is a linear
/// scan, so binding costs grow with the square of a statement's parameter count (5,000
/// parameters made a 100,000-entry import five times slower than 500 do).
const ENTRY_ROWS_PER_INSERT: usize = 50;
/// Person rows per multi-row `INSERT` (2 parameters each; see above).
const PERSON_ROWS_PER_INSERT: usize = 250;

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditConfig {
    /// Sign a checkpoint whenever an append crosses a multiple of this many entries (the
    /// checkpoint is at the append's last entry); 0 turns periodic checkpoints off.
    pub checkpoint_every: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            checkpoint_every: 1_000,
        }
    }
}

/// A signed checkpoint: the chain hash at `seq`, signed with the audit key of `key_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry the checkpoint covers (and every one before it).
    pub seq: i64,
    /// The chain hash at `seq`.
    pub hash: [u8; HASH_LEN],
    /// When it was signed.
    pub at: Timestamp,
    /// The root-key version of the signing key.
    pub key_version: u32,
}

/// The writer of the access log: the signing key, the clock and the checkpoint interval.
#[derive(Clone)]
pub struct AuditLog {
    key: AuditKey,
    clock: Arc<dyn Clock>,
    config: AuditConfig,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("key", &self.key)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The head row as read under its lock.
struct Head {
    seq: i64,
    hash: [u8; HASH_LEN],
    checkpoint_seq: i64,
}

impl AuditLog {
    /// A writer that signs with `key` (derive it from the provider's *current* root key).
    pub fn new(key: AuditKey, clock: Arc<dyn Clock>, config: AuditConfig) -> Self {
        AuditLog { key, clock, config }
    }

    /// Appends one entry in its own transaction and returns its sequence number.
    pub async fn append(&self, db: &Database, entry: &AuditEntry<'_>) -> Result<i64, AuditError> {
        let mut tx = db.pool().begin().await?;
        let seq = self.append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Appends one entry inside the caller's transaction (commit it to keep the entry).
    pub async fn append_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        entry: &AuditEntry<'_>,
    ) -> Result<i64, AuditError> {
        let range = self
            .append_batch_in(tx, std::slice::from_ref(entry))
            .await?;
        Ok(range.start)
    }

    /// Appends many entries with one head update (an import's batches) in their own
    /// transaction; returns their sequence numbers. An empty batch writes nothing.
    pub async fn append_batch(
        &self,
        db: &Database,
        entries: &[AuditEntry<'_>],
    ) -> Result<Range<i64>, AuditError> {
        if entries.is_empty() {
            return Ok(0..0);
        }
        let mut tx = db.pool().begin().await?;
        let range = self.append_batch_in(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(range)
    }

    /// Appends many entries inside the caller's transaction; returns their sequence numbers.
    /// Every entry is checked before anything is written; an empty batch writes nothing.
    pub async fn append_batch_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        entries: &[AuditEntry<'_>],
    ) -> Result<Range<i64>, AuditError> {
        let prepared = entries
            .iter()
            .map(Prepared::new)
            .collect::<Result<Vec<_>, _>>()?;
        self.append_prepared_in(tx, &prepared).await
    }

    /// Appends checked entries in their own transaction (the group committer's batches).
    pub(crate) async fn append_prepared(
        &self,
        db: &Database,
        prepared: &[Prepared],
    ) -> Result<Range<i64>, AuditError> {
        let mut tx = db.pool().begin().await?;
        let range = self.append_prepared_in(&mut tx, prepared).await?;
        tx.commit().await?;
        Ok(range)
    }

    async fn append_prepared_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        prepared: &[Prepared],
    ) -> Result<Range<i64>, AuditError> {
        if prepared.is_empty() {
            return Ok(0..0);
        }
        let head = lock_head(tx).await?;
        let count = i64::try_from(prepared.len()).map_err(|_| AuditError::SeqOverflow)?;
        let first = head.seq.checked_add(1).ok_or(AuditError::SeqOverflow)?;
        let last = head.seq.checked_add(count).ok_or(AuditError::SeqOverflow)?;
        let at = self.clock.now().0;
        let mut chained = Vec::with_capacity(prepared.len());
        let mut prev = head.hash;
        for (seq, p) in (first..=last).zip(prepared) {
            let hash = p.hash(&prev, seq, at);
            chained.push(Chained {
                seq,
                prev,
                hash,
                entry: p,
            });
            prev = hash;
        }
        insert_entries(tx, &chained, at).await?;
        insert_persons(tx, &chained).await?;
        let every = i64::from(self.config.checkpoint_every);
        let mut checkpoint_seq = head.checkpoint_seq;
        if every > 0 && last / every > head.seq / every {
            self.insert_checkpoint(tx, last, prev, at, head.checkpoint_seq)
                .await?;
            checkpoint_seq = last;
        }
        self.store_head(tx, last, prev, checkpoint_seq).await?;
        Ok(first..last + 1)
    }

    /// Signs a checkpoint at the current head now (unless the head already has one) and returns
    /// it; `None` when the log is empty.
    pub async fn checkpoint(&self, db: &Database) -> Result<Option<Checkpoint>, AuditError> {
        let mut tx = db.pool().begin().await?;
        let head = lock_head(&mut tx).await?;
        if head.seq == 0 {
            return Ok(None);
        }
        if head.checkpoint_seq != head.seq {
            let at = self.clock.now().0;
            self.insert_checkpoint(&mut tx, head.seq, head.hash, at, head.checkpoint_seq)
                .await?;
            self.store_head(&mut tx, head.seq, head.hash, head.seq)
                .await?;
        }
        let row = sqlx::query(
            "SELECT seq, hash, at, key_version FROM access_log_checkpoint WHERE seq = $1",
        )
        .bind(head.seq)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let seq: i64 = row.try_get(0)?;
        let key_version: i64 = row.try_get(3)?;
        Ok(Some(Checkpoint {
            seq,
            hash: hash_from(row.try_get(1)?, seq)?,
            at: Timestamp(row.try_get(2)?),
            key_version: u32::try_from(key_version).map_err(|_| AuditError::Malformed {
                seq,
                what: "checkpoint key version",
            })?,
        }))
    }

    async fn insert_checkpoint(
        &self,
        tx: &mut Transaction<'_, Any>,
        seq: i64,
        hash: [u8; HASH_LEN],
        at: i64,
        prev_seq: i64,
    ) -> Result<(), AuditError> {
        let sig = self.key.sign_checkpoint(&CheckpointFields {
            seq,
            hash,
            at,
            prev_seq,
        });
        sqlx::query(
            "INSERT INTO access_log_checkpoint (seq, hash, at, prev_seq, key_version, signature) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(seq)
        .bind(hash.as_slice())
        .bind(at)
        .bind(prev_seq)
        .bind(i64::from(self.key.version()))
        .bind(sig.as_slice())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn store_head(
        &self,
        tx: &mut Transaction<'_, Any>,
        seq: i64,
        hash: [u8; HASH_LEN],
        checkpoint_seq: i64,
    ) -> Result<(), AuditError> {
        let mac = self.key.sign_head(&HeadFields {
            seq,
            hash,
            checkpoint_seq,
        });
        sqlx::query(
            "UPDATE access_log_head SET seq = $1, hash = $2, checkpoint_seq = $3, \
             key_version = $4, mac = $5 WHERE id = 1",
        )
        .bind(seq)
        .bind(hash.as_slice())
        .bind(checkpoint_seq)
        .bind(i64::from(self.key.version()))
        .bind(mac.as_slice())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// An entry with its place in the chain.
struct Chained<'a> {
    seq: i64,
    prev: [u8; HASH_LEN],
    hash: [u8; HASH_LEN],
    entry: &'a Prepared,
}

/// Takes the append lock and reads the head (see the module doc).
async fn lock_head(tx: &mut Transaction<'_, Any>) -> Result<Head, AuditError> {
    let row = sqlx::query(
        "UPDATE access_log_head SET seq = seq WHERE id = 1 RETURNING seq, hash, checkpoint_seq",
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AuditError::MissingHead)?;
    let seq: i64 = row.try_get(0)?;
    Ok(Head {
        seq,
        hash: hash_from(row.try_get(1)?, seq)?,
        checkpoint_seq: row.try_get(2)?,
    })
}

/// A stored hash as 32 bytes.
pub(crate) fn hash_from(bytes: Vec<u8>, seq: i64) -> Result<[u8; HASH_LEN], AuditError> {
    bytes.try_into().map_err(|_| AuditError::Malformed {
        seq,
        what: "hash is not 32 bytes",
    })
}

async fn insert_entries(
    tx: &mut Transaction<'_, Any>,
    chained: &[Chained<'_>],
    at: i64,
) -> Result<(), AuditError> {
    for chunk in chained.chunks(ENTRY_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO access_log (seq, at, principal, action, purpose, request_id, fields, \
             person_count, prev_hash, hash) VALUES {}",
            Dialect::of(tx).row_placeholders(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.seq)
                .bind(at)
                .bind(c.entry.principal.as_str())
                .bind(c.entry.action)
                .bind(c.entry.purpose.as_str())
                .bind(c.entry.request_id.as_str())
                .bind(c.entry.fields.as_str())
                .bind(c.entry.persons.len() as i64)
                .bind(c.prev.as_slice())
                .bind(c.hash.as_slice());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_persons(
    tx: &mut Transaction<'_, Any>,
    chained: &[Chained<'_>],
) -> Result<(), AuditError> {
    // Collected first: an iterator of closures held across `.await` makes the future's `Send`
    // bound fail to be proven for every lifetime.
    let mut rows: Vec<(i64, i64)> = Vec::new();
    for c in chained {
        rows.extend(c.entry.persons.iter().map(|p| (c.seq, *p)));
    }
    for chunk in rows.chunks(PERSON_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO access_log_person (seq, person_id) VALUES {}",
            Dialect::of(tx).row_placeholders(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (seq, person) in chunk {
            q = q.bind(*seq).bind(*person);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
