//! `custodian audit verify`: walks the whole chain in sequence order, recomputes every hash,
//! checks every checkpoint signature and the signed head, and reports the first problem.
//!
//! Memory is bounded: entries, person rows and checkpoints are each read in keyset-paginated
//! pages (never the whole table) and merged in `seq` order. The walk is bounded by the head row
//! read at the start, so appends that commit during verification are neither checked nor
//! mistaken for tampering; everything up to that head was committed before it and is immutable.
//!
//! Checks, in the order they apply to each entry: its `seq` is the next one (else entries were
//! deleted); its `prev_hash` is the previous entry's hash (else reordered or inserted); its
//! columns and person list hash to its `hash` (else changed). At each checkpoint: the signature
//! verifies, it names the previous checkpoint, and its hash equals the recomputed chain (else the
//! chain was rewritten after the previous checkpoint). At the end: the last entry is the head's
//! (else the tail was truncated), the head's hash and last checkpoint match, and the head's MAC
//! verifies.

use std::collections::VecDeque;
use std::fmt;

use custodian_db::Database;
use custodian_db::sqlx::{self, Row};

use super::AuditError;
use super::entry::{EntryHeader, HASH_LEN};
use super::key::{AuditKeyring, CheckpointFields, HeadFields};

const ENTRY_PAGE: i64 = 1_000;
const PERSON_PAGE: i64 = 10_000;
const CHECKPOINT_PAGE: i64 = 1_000;

/// The outcome of a verification: counts, and the first problem found, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries whose hash was recomputed.
    pub entries: u64,
    /// Person rows hashed.
    pub persons: u64,
    /// Checkpoints whose signature and hash were checked.
    pub checkpoints: u64,
    /// The head's sequence number when verification started.
    pub head_seq: i64,
    /// The first problem, in log order; `None` means the log is intact.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether the whole log verified.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Where the log is broken and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The sequence number of the first bad entry, checkpoint or head position.
    pub seq: i64,
    /// What is wrong there.
    pub kind: ProblemKind,
}

/// The kinds of damage verification tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Entries from `seq` up to `next - 1` are missing (deleted); `next` is the next one stored.
    Missing {
        /// The next stored sequence number.
        next: i64,
    },
    /// The entry does not name the previous entry's hash: reordered, inserted or replaced.
    Reordered,
    /// The entry's columns or people no longer match its hash: it was changed.
    Changed,
    /// The entry's person rows are not the number it recorded: people were added or removed.
    PersonsChanged,
    /// The checkpoint at `seq` has an invalid signature: the checkpoint row was changed or forged.
    CheckpointForged,
    /// The checkpoint at `seq` names `names` as the previous checkpoint, but the previous one
    /// found was `found`: a checkpoint was deleted (or inserted).
    CheckpointChainBroken {
        /// The previous checkpoint the signed row names.
        names: i64,
        /// The previous checkpoint actually found (0 for none).
        found: i64,
    },
    /// The chain at `seq` is not what the checkpoint signed: entries after `since` (the previous
    /// checkpoint) were rewritten with recomputed hashes.
    Rewritten {
        /// The previous checkpoint (0 for the start of the log).
        since: i64,
    },
    /// A signature was made with a root-key version the keyring does not hold.
    UnknownKeyVersion {
        /// The version stored with the signature.
        version: i64,
    },
    /// The log ends before the head's position `head`: entries from `seq` on were deleted.
    Truncated {
        /// The head's sequence number.
        head: i64,
    },
    /// The head names checkpoint `seq`, which is missing.
    LastCheckpointMissing,
    /// The head's hash is not the hash of entry `seq`.
    HeadMismatch,
    /// The head row's MAC is invalid: the head was changed (e.g. to hide a rewrite or truncation).
    HeadForged,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match &self.kind {
            ProblemKind::Missing { next } if *next == seq + 1 => {
                write!(f, "entry {seq}: missing (deleted)")
            }
            ProblemKind::Missing { next } => write!(
                f,
                "entry {seq}: missing (deleted); entries {seq} to {} are gone",
                next - 1
            ),
            ProblemKind::Reordered => write!(
                f,
                "entry {seq}: does not follow the previous entry (reordered or inserted)"
            ),
            ProblemKind::Changed => {
                write!(f, "entry {seq}: content does not match its hash (changed)")
            }
            ProblemKind::PersonsChanged => {
                write!(f, "entry {seq}: its list of people was changed")
            }
            ProblemKind::CheckpointForged => {
                write!(
                    f,
                    "checkpoint at entry {seq}: invalid signature (forged or changed)"
                )
            }
            ProblemKind::CheckpointChainBroken { names, found } => write!(
                f,
                "checkpoint at entry {seq}: names previous checkpoint {names} but {found} was found (a checkpoint was deleted)"
            ),
            ProblemKind::Rewritten { since } => write!(
                f,
                "checkpoint at entry {seq}: the chain differs from what was signed; entries {} to {seq} were rewritten",
                since + 1
            ),
            ProblemKind::UnknownKeyVersion { version } => write!(
                f,
                "signature at entry {seq}: made with root-key version {version}, which is not available"
            ),
            ProblemKind::Truncated { head } => write!(
                f,
                "entry {seq}: missing; the log ends at {} but its head is at {head} (truncated)",
                seq - 1
            ),
            ProblemKind::LastCheckpointMissing => {
                write!(
                    f,
                    "checkpoint at entry {seq}: named by the head but missing (deleted)"
                )
            }
            ProblemKind::HeadMismatch => {
                write!(f, "head: its hash is not the hash of entry {seq}")
            }
            ProblemKind::HeadForged => write!(
                f,
                "head at entry {seq}: invalid signature (changed to hide a rewrite or truncation)"
            ),
        }
    }
}

/// Verifies the whole log against `keys` (which must hold every root-key version that signed a
/// checkpoint). Tampering is reported in [`VerifyReport::problem`]; `Err` means the log could not
/// be read.
pub async fn verify(db: &Database, keys: &AuditKeyring) -> Result<VerifyReport, AuditError> {
    let head = StoredHead::read(db).await?;
    let mut walk = Walk {
        db,
        keys,
        entries: Cursor::new(head.seq),
        persons: Cursor::new(head.seq),
        checkpoints: Cursor::new(head.seq.min(head.checkpoint_seq)),
        running: [0; HASH_LEN],
        next_seq: 1,
        last_checkpoint: 0,
        report: VerifyReport {
            entries: 0,
            persons: 0,
            checkpoints: 0,
            head_seq: head.seq,
            problem: None,
        },
    };
    let problem = match walk.run().await? {
        Some(p) => Some(p),
        None => walk.check_head(&head),
    };
    walk.report.problem = problem;
    Ok(walk.report)
}

/// The head row as stored.
struct StoredHead {
    seq: i64,
    hash: Vec<u8>,
    checkpoint_seq: i64,
    key_version: i64,
    mac: Vec<u8>,
}

impl StoredHead {
    async fn read(db: &Database) -> Result<StoredHead, AuditError> {
        let row = sqlx::query(
            "SELECT seq, hash, checkpoint_seq, key_version, mac FROM access_log_head WHERE id = 1",
        )
        .fetch_optional(db.pool())
        .await?
        .ok_or(AuditError::MissingHead)?;
        Ok(StoredHead {
            seq: row.try_get(0)?,
            hash: row.try_get(1)?,
            checkpoint_seq: row.try_get(2)?,
            key_version: row.try_get(3)?,
            mac: row.try_get(4)?,
        })
    }

    fn is_genesis(&self) -> bool {
        self.seq == 0
            && self.checkpoint_seq == 0
            && self.key_version == 0
            && self.mac.is_empty()
            && self.hash == [0; HASH_LEN]
    }
}

struct EntryRow {
    seq: i64,
    at: i64,
    principal: String,
    action: String,
    purpose: String,
    request_id: String,
    fields: String,
    person_count: i64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

struct CheckpointRow {
    seq: i64,
    hash: Vec<u8>,
    at: i64,
    prev_seq: i64,
    key_version: i64,
    signature: Vec<u8>,
}

/// A keyset-paginated reader of one table in `seq` order, up to `limit`.
struct Cursor<T> {
    buf: VecDeque<T>,
    /// The key of the last row read: (seq, person id) for persons, (seq, 0) otherwise.
    after: (i64, i64),
    limit: i64,
    done: bool,
}

impl<T> Cursor<T> {
    fn new(limit: i64) -> Self {
        Cursor {
            buf: VecDeque::new(),
            after: (0, i64::MIN),
            limit,
            done: false,
        }
    }
}

struct Walk<'a> {
    db: &'a Database,
    keys: &'a AuditKeyring,
    entries: Cursor<EntryRow>,
    persons: Cursor<(i64, i64)>,
    checkpoints: Cursor<CheckpointRow>,
    running: [u8; HASH_LEN],
    next_seq: i64,
    last_checkpoint: i64,
    report: VerifyReport,
}

impl Walk<'_> {
    async fn run(&mut self) -> Result<Option<Problem>, AuditError> {
        while let Some(e) = self.next_entry().await? {
            if let Some(p) = self.check_entry(&e).await? {
                return Ok(Some(p));
            }
            if let Some(p) = self.check_checkpoints(e.seq).await? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    async fn check_entry(&mut self, e: &EntryRow) -> Result<Option<Problem>, AuditError> {
        let problem = |kind| Ok(Some(Problem { seq: e.seq, kind }));
        if e.seq != self.next_seq {
            return Ok(Some(Problem {
                seq: self.next_seq,
                kind: ProblemKind::Missing { next: e.seq },
            }));
        }
        if e.prev_hash != self.running {
            return problem(ProblemKind::Reordered);
        }
        let header = EntryHeader {
            seq: e.seq,
            at: e.at,
            principal: &e.principal,
            action: &e.action,
            purpose: &e.purpose,
            request_id: &e.request_id,
            fields: &e.fields,
            person_count: e.person_count,
        };
        let mut hasher = header.start(&self.running);
        let mut count = 0i64;
        while let Some((seq, person)) = self.peek_person().await? {
            if seq > e.seq {
                break;
            }
            if seq < e.seq {
                // A person row whose entry is gone; the gap check catches its entry first
                // unless the row names a seq below 1.
                return Ok(Some(Problem {
                    seq,
                    kind: ProblemKind::PersonsChanged,
                }));
            }
            sha2::Digest::update(&mut hasher, person.to_be_bytes());
            count += 1;
            self.persons.buf.pop_front();
        }
        self.report.persons += count as u64;
        let hash: [u8; HASH_LEN] = sha2::Digest::finalize(hasher).into();
        if count != e.person_count {
            return problem(ProblemKind::PersonsChanged);
        }
        if e.hash != hash {
            return problem(ProblemKind::Changed);
        }
        self.running = hash;
        self.next_seq += 1;
        self.report.entries += 1;
        Ok(None)
    }

    async fn check_checkpoints(&mut self, seq: i64) -> Result<Option<Problem>, AuditError> {
        while let Some(cp) = self.next_checkpoint_at_or_before(seq).await? {
            let problem = |kind| Ok(Some(Problem { seq: cp.seq, kind }));
            let Some(key) = u32::try_from(cp.key_version)
                .ok()
                .and_then(|v| self.keys.get(v))
            else {
                return problem(ProblemKind::UnknownKeyVersion {
                    version: cp.key_version,
                });
            };
            let hash: [u8; HASH_LEN] = cp.hash.as_slice().try_into().unwrap_or([0; HASH_LEN]);
            let fields = CheckpointFields {
                seq: cp.seq,
                hash,
                at: cp.at,
                prev_seq: cp.prev_seq,
            };
            if cp.hash.len() != HASH_LEN || !key.verify_checkpoint(&fields, &cp.signature) {
                return problem(ProblemKind::CheckpointForged);
            }
            if cp.prev_seq != self.last_checkpoint {
                return problem(ProblemKind::CheckpointChainBroken {
                    names: cp.prev_seq,
                    found: self.last_checkpoint,
                });
            }
            if cp.seq != seq || hash != self.running {
                return problem(ProblemKind::Rewritten {
                    since: self.last_checkpoint,
                });
            }
            self.last_checkpoint = cp.seq;
            self.report.checkpoints += 1;
        }
        Ok(None)
    }

    /// The end-of-log checks against the head read at the start.
    fn check_head(&self, head: &StoredHead) -> Option<Problem> {
        let last = self.next_seq - 1;
        let at = |seq, kind| Some(Problem { seq, kind });
        if last < head.seq {
            return at(last + 1, ProblemKind::Truncated { head: head.seq });
        }
        if head.checkpoint_seq != self.last_checkpoint {
            return at(head.checkpoint_seq, ProblemKind::LastCheckpointMissing);
        }
        if head.hash != self.running {
            return at(head.seq, ProblemKind::HeadMismatch);
        }
        if head.is_genesis() {
            return None;
        }
        let Some(key) = u32::try_from(head.key_version)
            .ok()
            .and_then(|v| self.keys.get(v))
        else {
            return at(
                head.seq,
                ProblemKind::UnknownKeyVersion {
                    version: head.key_version,
                },
            );
        };
        let fields = HeadFields {
            seq: head.seq,
            hash: self.running,
            checkpoint_seq: head.checkpoint_seq,
        };
        if !key.verify_head(&fields, &head.mac) {
            return at(head.seq, ProblemKind::HeadForged);
        }
        None
    }

    async fn next_entry(&mut self) -> Result<Option<EntryRow>, AuditError> {
        let c = &mut self.entries;
        if c.buf.is_empty() && !c.done {
            let rows = sqlx::query(
                "SELECT seq, at, principal, action, purpose, request_id, fields, person_count, \
                 prev_hash, hash FROM access_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(c.after.0)
            .bind(c.limit)
            .bind(ENTRY_PAGE)
            .fetch_all(self.db.pool())
            .await?;
            c.done = (rows.len() as i64) < ENTRY_PAGE;
            for r in rows {
                c.buf.push_back(EntryRow {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    principal: r.try_get(2)?,
                    action: r.try_get(3)?,
                    purpose: r.try_get(4)?,
                    request_id: r.try_get(5)?,
                    fields: r.try_get(6)?,
                    person_count: r.try_get(7)?,
                    prev_hash: r.try_get(8)?,
                    hash: r.try_get(9)?,
                });
            }
            if let Some(last) = c.buf.back() {
                c.after = (last.seq, 0);
            }
        }
        Ok(c.buf.pop_front())
    }

    async fn peek_person(&mut self) -> Result<Option<(i64, i64)>, AuditError> {
        let c = &mut self.persons;
        if c.buf.is_empty() && !c.done {
            // Row-value comparison: both backends walk the (seq, person_id) primary key from here.
            let rows = sqlx::query(
                "SELECT seq, person_id FROM access_log_person \
                 WHERE (seq, person_id) > ($1, $2) AND seq <= $3 ORDER BY seq, person_id LIMIT $4",
            )
            .bind(c.after.0)
            .bind(c.after.1)
            .bind(c.limit)
            .bind(PERSON_PAGE)
            .fetch_all(self.db.pool())
            .await?;
            c.done = (rows.len() as i64) < PERSON_PAGE;
            for r in rows {
                c.buf.push_back((r.try_get(0)?, r.try_get(1)?));
            }
            if let Some(last) = c.buf.back() {
                c.after = *last;
            }
        }
        Ok(c.buf.front().copied())
    }

    async fn next_checkpoint_at_or_before(
        &mut self,
        seq: i64,
    ) -> Result<Option<CheckpointRow>, AuditError> {
        let c = &mut self.checkpoints;
        if c.buf.is_empty() && !c.done {
            let rows = sqlx::query(
                "SELECT seq, hash, at, prev_seq, key_version, signature FROM access_log_checkpoint \
                 WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(c.after.0)
            .bind(c.limit)
            .bind(CHECKPOINT_PAGE)
            .fetch_all(self.db.pool())
            .await?;
            c.done = (rows.len() as i64) < CHECKPOINT_PAGE;
            for r in rows {
                c.buf.push_back(CheckpointRow {
                    seq: r.try_get(0)?,
                    hash: r.try_get(1)?,
                    at: r.try_get(2)?,
                    prev_seq: r.try_get(3)?,
                    key_version: r.try_get(4)?,
                    signature: r.try_get(5)?,
                });
            }
            if let Some(last) = c.buf.back() {
                c.after = (last.seq, 0);
            }
        }
        if c.buf.front().is_some_and(|cp| cp.seq <= seq) {
            return Ok(c.buf.pop_front());
        }
        Ok(None)
    }
}
