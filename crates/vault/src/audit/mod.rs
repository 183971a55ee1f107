//! The tamper-evident access log: every create, read, reveal, search, export, import, rotate,
//! shred and retention run is appended with principal, people, fields, purpose, time and request
//! id; `custodian audit verify` ([`verify`]) proves the log unchanged or names the first bad
//! entry; the breach engine asks it "what did principal P read between T1 and T2?"
//! ([`people_read_by`], [`reads_by_principal`]).
//!
//! # Schema (`access_log*`, migration [`AUDIT_MIGRATION`])
//!
//! - `access_log(seq, at, principal, action, purpose, request_id, fields, person_count,
//!   prev_hash, hash)`: `seq` is the primary key, consecutive from 1; indexed by
//!   `(principal, at)`. `fields` is a sorted comma list of field names; values never appear.
//! - `access_log_person(seq, person_id)`: one row per person an entry names (a search's results,
//!   an import batch), primary key `(seq, person_id)`, indexed by `person_id`.
//! - `access_log_checkpoint(seq, hash, at, prev_seq, key_version, signature)`: signed checkpoints.
//! - `access_log_head`: one row, the last `seq` and `hash`, the last checkpoint and a MAC.
//!
//! # Integrity
//!
//! Each entry's `hash` is SHA-256 over the previous hash and a canonical, length-prefixed
//! encoding of every column and its sorted person ids (layout in `entry.rs`), so changing,
//! deleting, inserting or reordering an entry breaks the chain where it happened. A chain alone
//! can be recomputed by anyone who can write the database, so two kinds of signed anchor cover
//! it:
//!
//! - a **checkpoint** every [`AuditConfig::checkpoint_every`] entries (default 1,000) and on
//!   demand ([`AuditLog::checkpoint`]) signs `(seq, hash, at, previous checkpoint)`: a rewritten
//!   chain is caught at the next checkpoint, and deleting a checkpoint breaks their chain;
//! - the **head row** carries a MAC over `(seq, hash, last checkpoint)`, updated by every append:
//!   a rewrite after the last checkpoint, or a truncated tail with the head moved back to match,
//!   is caught there.
//!
//! What remains possible for someone with write access but no key is replaying an older genuine
//! head together with truncation to it (or wiping the log to its empty state); publishing the
//! head's hash elsewhere now and then closes that gap.
//!
//! # Signing choice: HMAC-SHA256 under a key derived from the root key
//!
//! Signatures are HMAC-SHA256 with `HKDF-SHA256(salt "custodian.audit.v1", root key, info
//! "audit-checkpoint")` ([`AuditKey`]), recording the root-key version. Chosen over Ed25519
//! because the vault's crypto is RustCrypto-only and has no signature scheme yet, and because the
//! verifier is Custodian itself, which holds the root key anyway; the threat is someone with
//! database access and no key, which a MAC stops just as well. The cost is that a verifier can
//! also sign, so an outside auditor cannot verify without the key. If that is needed, an Ed25519
//! key pair seeded from the same HKDF output can sign new checkpoints alongside (a new
//! `key_version` scheme), with only the public key handed out.
//!
//! # Concurrency
//!
//! Appends lock the head row first and write the next `seq`s in the same transaction, so several
//! processes (PostgreSQL) or connections (SQLite) append without forks or gaps; see
//! [`AuditLog::append_in`] for appending in the transaction of the change being logged. Reads,
//! reveals and searches, which have nothing else to write, go through [`GroupCommit`]: one task
//! per vault writes every entry waiting in one transaction, so concurrent reads share commits.

mod append;
mod entry;
mod error;
mod group;
mod key;
mod query;
mod verify;

pub use append::{AuditConfig, AuditLog, Checkpoint};
pub use entry::{
    AccessRecord, Action, AuditEntry, HASH_LEN, MAX_FIELD_LEN, MAX_PRINCIPAL_LEN, MAX_PURPOSE_LEN,
    MAX_REQUEST_ID_LEN, UnknownActionName,
};
pub use error::AuditError;
pub use group::GroupCommit;
pub use key::{AuditKey, AuditKeyring};
pub use query::{PersonRead, entries_for_person, people_read_by, reads_by_principal};
pub use verify::{Problem, ProblemKind, VerifyReport, verify};

/// The access log's schema, version 1 of the vault component (the vault registers it in its
/// `COMPONENT`).
pub const AUDIT_MIGRATION: custodian_db::Migration = custodian_db::Migration {
    version: 1,
    name: "access log",
    sqlite: include_str!("../../migrations/sqlite/0001_audit.sql"),
    postgres: include_str!("../../migrations/postgres/0001_audit.sql"),
};
