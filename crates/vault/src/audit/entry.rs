//! What an access-log entry says and how it is hashed: the [`Action`] vocabulary, the
//! [`AuditEntry`] a caller appends, the [`AccessRecord`] a query returns, and the canonical,
//! length-prefixed encoding that the chain hash covers.
//!
//! The encoding is part of the on-disk format: an auditor can recompute every hash from the rows
//! alone with [`AccessRecord::chain_hash`]. It is
//!
//! ```text
//! hash = SHA-256( prev_hash[32]
//!               ‖ lp("custodian.audit.entry.v1")
//!               ‖ be64(seq) ‖ be64(at)
//!               ‖ lp(principal) ‖ lp(action) ‖ lp(purpose) ‖ lp(request_id) ‖ lp(fields)
//!               ‖ be64(person_count) ‖ be64(person_id)… in ascending order )
//! lp(x) = be64(len(x)) ‖ x
//! ```
//!
//! Fields are stored (and hashed) as one comma-separated, sorted, de-duplicated list; person ids
//! sorted and de-duplicated. No value of a field is ever part of an entry: a search records the
//! field it searched and the people it found, never what was searched for.

use std::fmt;
use std::str::FromStr;

use custodian_db::Timestamp;
use sha2::{Digest, Sha256};

use super::AuditError;

/// Length of a chain hash.
pub const HASH_LEN: usize = 32;

/// The longest principal name an entry accepts, in bytes.
pub const MAX_PRINCIPAL_LEN: usize = 256;
/// The longest purpose an entry accepts, in bytes.
pub const MAX_PURPOSE_LEN: usize = 2048;
/// The longest request id an entry accepts, in bytes.
pub const MAX_REQUEST_ID_LEN: usize = 256;
/// The longest field name an entry accepts, in bytes.
pub const MAX_FIELD_LEN: usize = 64;

const ENTRY_DOMAIN: &[u8] = b"custodian.audit.entry.v1";

/// What a principal did to the people an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Action {
    /// Created a person's record.
    Create,
    /// Changed fields of a person's record.
    Update,
    /// Read a record (values masked by policy).
    Read,
    /// Revealed full values of the listed fields, with a stated purpose.
    Reveal,
    /// Searched by a blind index; the entry lists the searched field and the people found.
    Search,
    /// Exported records (plain or tokenized).
    Export,
    /// Imported records (one entry per batch, naming every person of it).
    Import,
    /// Re-wrapped data keys under a new key version.
    Rotate,
    /// Crypto-shredded a person (deleted the wrapped data key).
    Shred,
    /// Applied a retention rule (shredding or trimming fields).
    Retention,
}

impl Action {
    /// Every action, for parsing and tests.
    pub const ALL: [Action; 10] = [
        Action::Create,
        Action::Update,
        Action::Read,
        Action::Reveal,
        Action::Search,
        Action::Export,
        Action::Import,
        Action::Rotate,
        Action::Shred,
        Action::Retention,
    ];

    /// The actions through which a principal learns something about a person: what the breach
    /// engine counts as "read" ([`super::people_read_by`]).
    pub const EXPOSING: [Action; 4] =
        [Action::Read, Action::Reveal, Action::Search, Action::Export];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Read => "read",
            Action::Reveal => "reveal",
            Action::Search => "search",
            Action::Export => "export",
            Action::Import => "import",
            Action::Rotate => "rotate",
            Action::Shred => "shred",
            Action::Retention => "retention",
        }
    }

    /// The action of that stored name, if it is one.
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the known [`Action`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action `{0}`")]
pub struct UnknownActionName(pub String);

impl FromStr for Action {
    type Err = UnknownActionName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::parse(s).ok_or_else(|| UnknownActionName(s.to_owned()))
    }
}

/// One access to append: who did what to whom, which fields, and why. Holds no field values.
#[derive(Debug, Clone, Copy)]
pub struct AuditEntry<'a> {
    /// The principal's name (as `custodian_auth` knows it).
    pub principal: &'a str,
    /// What was done.
    pub action: Action,
    /// The stated purpose (may be empty where none is required, e.g. a nightly import).
    pub purpose: &'a str,
    /// The request id that ties the entry to the API request or command run.
    pub request_id: &'a str,
    /// The field or element names touched (`ssn`, `phone`, `full_name`, …), any order.
    pub fields: &'a [&'a str],
    /// The vault's internal ids of every person the access touched, any order.
    pub persons: &'a [i64],
}

/// An entry checked and put in canonical form, ready to be hashed and stored.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) principal: String,
    pub(crate) action: &'static str,
    pub(crate) purpose: String,
    pub(crate) request_id: String,
    pub(crate) fields: String,
    pub(crate) persons: Vec<i64>,
}

impl Prepared {
    /// Checks the limits and sorts fields and persons into their canonical order.
    pub(crate) fn new(entry: &AuditEntry<'_>) -> Result<Prepared, AuditError> {
        if entry.principal.is_empty() || entry.principal.len() > MAX_PRINCIPAL_LEN {
            return Err(AuditError::InvalidPrincipal {
                max: MAX_PRINCIPAL_LEN,
            });
        }
        check_len("purpose", entry.purpose, MAX_PURPOSE_LEN)?;
        check_len("request_id", entry.request_id, MAX_REQUEST_ID_LEN)?;
        let mut fields: Vec<&str> = entry.fields.to_vec();
        if !fields.iter().all(|f| is_field_name(f)) {
            return Err(AuditError::InvalidField);
        }
        fields.sort_unstable();
        fields.dedup();
        let mut persons = entry.persons.to_vec();
        persons.sort_unstable();
        persons.dedup();
        Ok(Prepared {
            principal: entry.principal.to_owned(),
            action: entry.action.as_str(),
            purpose: entry.purpose.to_owned(),
            request_id: entry.request_id.to_owned(),
            fields: fields.join(","),
            persons,
        })
    }

    /// The chain hash of this entry stored at `seq` and `at` after `prev`.
    pub(crate) fn hash(&self, prev: &[u8; HASH_LEN], seq: i64, at: i64) -> [u8; HASH_LEN] {
        let head = EntryHeader {
            seq,
            at,
            principal: &self.principal,
            action: self.action,
            purpose: &self.purpose,
            request_id: &self.request_id,
            fields: &self.fields,
            person_count: self.persons.len() as i64,
        };
        let mut h = head.start(prev);
        for p in &self.persons {
            h.update(p.to_be_bytes());
        }
        h.finalize().into()
    }
}

fn check_len(what: &'static str, value: &str, max: usize) -> Result<(), AuditError> {
    if value.len() > max {
        return Err(AuditError::TooLong { what, max });
    }
    Ok(())
}

fn is_field_name(f: &str) -> bool {
    !f.is_empty()
        && f.len() <= MAX_FIELD_LEN
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// The columns of an entry before its person ids, borrowed from wherever they are held (a new
/// entry, a stored row); the one place the canonical encoding is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryHeader<'a> {
    pub(crate) seq: i64,
    pub(crate) at: i64,
    pub(crate) principal: &'a str,
    pub(crate) action: &'a str,
    pub(crate) purpose: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) fields: &'a str,
    pub(crate) person_count: i64,
}

impl EntryHeader<'_> {
    /// A SHA-256 state that has absorbed `prev` and every column; the caller feeds each person id
    /// as 8 big-endian bytes, in ascending order, and finalizes.
    pub(crate) fn start(&self, prev: &[u8; HASH_LEN]) -> Sha256 {
        let mut h = Sha256::new();
        h.update(prev);
        lp(&mut h, ENTRY_DOMAIN);
        h.update(self.seq.to_be_bytes());
        h.update(self.at.to_be_bytes());
        for s in [
            self.principal,
            self.action,
            self.purpose,
            self.request_id,
            self.fields,
        ] {
            lp(&mut h, s.as_bytes());
        }
        h.update(self.person_count.to_be_bytes());
        h
    }
}

fn lp(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// One stored entry as queries return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it was appended.
    pub at: Timestamp,
    /// Who acted.
    pub principal: String,
    /// What was done.
    pub action: Action,
    /// The stated purpose.
    pub purpose: String,
    /// The request id.
    pub request_id: String,
    /// The field names touched, sorted.
    pub fields: Vec<String>,
    /// The people touched, ascending.
    pub persons: Vec<i64>,
}

impl AccessRecord {
    /// The chain hash this record has if `prev` is the hash of the entry before it: lets an
    /// auditor (or a test) recompute the chain from the rows without this crate's writer.
    pub fn chain_hash(&self, prev: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
        let fields = self.fields.join(",");
        let head = EntryHeader {
            seq: self.seq,
            at: self.at.0,
            principal: &self.principal,
            action: self.action.as_str(),
            purpose: &self.purpose,
            request_id: &self.request_id,
            fields: &fields,
            person_count: self.persons.len() as i64,
        };
        let mut h = head.start(prev);
        for p in &self.persons {
            h.update(p.to_be_bytes());
        }
        h.finalize().into()
    }
}

/// Splits a stored comma list of field names.
pub(crate) fn split_fields(stored: &str) -> Vec<String> {
    if stored.is_empty() {
        return Vec::new();
    }
    stored.split(',').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(fields: &'a [&'a str], persons: &'a [i64]) -> AuditEntry<'a> {
        AuditEntry {
            principal: "agent-7",
            action: Action::Search,
            purpose: "caller verification",
            request_id: "req-1",
            fields,
            persons,
        }
    }

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
        }
        assert!(Action::parse("delete").is_none());
    }

    #[test]
    fn entries_are_canonical() {
        let a = Prepared::new(&entry(&["ssn", "phone", "ssn"], &[3, 1, 3, 2])).unwrap();
        let b = Prepared::new(&entry(&["phone", "ssn"], &[1, 2, 3])).unwrap();
        assert_eq!(a.fields, "phone,ssn");
        assert_eq!(a.persons, vec![1, 2, 3]);
        assert_eq!(a.hash(&[0; 32], 1, 5), b.hash(&[0; 32], 1, 5));
        assert_ne!(a.hash(&[0; 32], 1, 5), a.hash(&[0; 32], 2, 5));
        assert_ne!(a.hash(&[0; 32], 1, 5), a.hash(&[1; 32], 1, 5));
    }

    #[test]
    fn encoding_is_injective_across_column_boundaries() {
        // Moving a byte from one column to the next must change the hash (length prefixes).
        let mut a = Prepared::new(&entry(&[], &[])).unwrap();
        let mut b = a.clone();
        a.purpose = "ab".into();
        a.request_id = "c".into();
        b.purpose = "a".into();
        b.request_id = "bc".into();
        assert_ne!(a.hash(&[0; 32], 1, 1), b.hash(&[0; 32], 1, 1));
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(matches!(
            Prepared::new(&entry(&["ssn,phone"], &[])),
            Err(AuditError::InvalidField)
        ));
        assert!(matches!(
            Prepared::new(&entry(&[""], &[])),
            Err(AuditError::InvalidField)
        ));
        let mut e = entry(&[], &[]);
        e.principal = "";
        assert!(matches!(
            Prepared::new(&e),
            Err(AuditError::InvalidPrincipal { .. })
        ));
    }

    #[test]
    fn record_hash_matches_writer_hash() {
        let p = Prepared::new(&entry(&["ssn", "phone"], &[9, 4])).unwrap();
        let r = AccessRecord {
            seq: 7,
            at: Timestamp(42),
            principal: p.principal.clone(),
            action: Action::Search,
            purpose: p.purpose.clone(),
            request_id: p.request_id.clone(),
            fields: split_fields(&p.fields),
            persons: p.persons.clone(),
        };
        assert_eq!(r.chain_hash(&[5; 32]), p.hash(&[5; 32], 7, 42));
    }
}
