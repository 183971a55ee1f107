//! Stored scans: one row per scan (secrets, PII or network) with its status, timing, probe rate
//! and counts; its findings; every location of each finding; and, for PII scans, the per-file
//! summary of data elements. The SQL is written once for SQLite and PostgreSQL.
//!
//! **Nothing stored holds a scanned value.** A content finding is kept as its rule, category,
//! severity, confidence and fingerprint (the engine's truncated SHA-256, or an HMAC for PII)
//! plus where it occurs; not even the engine's short preview is stored. A network finding is
//! one open port: address, port, transport, state, the identified service and the evidence.
//!
//! Map: this file holds the types and the [`ScanStore`] handle; `write` records scans and
//! their results; `read` lists, loads and rebuilds a [`NetScanReport`] for [`crate::net::diff`].

mod read;
mod write;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use custodian_db::{Clock, Component, Database, DbError, Migration, Timestamp};

use crate::content::{Category, Confidence, Finding, PiiKind};
use crate::net::{PortState, Proto, ServiceId, Severity};

/// The schema this module owns.
pub const COMPONENT: Component = Component {
    name: "scan",
    migrations: &[Migration {
        version: 1,
        name: "scans, findings, locations, file summaries",
        sqlite: include_str!("../../migrations/sqlite/0001_scan.sql"),
        postgres: include_str!("../../migrations/postgres/0001_scan.sql"),
    }],
};

/// Locations stored per finding; a value found in more places is counted, not listed.
pub const MAX_LOCATIONS_PER_FINDING: usize = 1_000;

/// Which scanner ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScanKind {
    /// Stored secrets in files, archives and git history.
    Secrets,
    /// Personal data in files.
    Pii,
    /// Network exposure of in-scope addresses.
    Net,
}

impl ScanKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanKind::Secrets => "secrets",
            ScanKind::Pii => "pii",
            ScanKind::Net => "net",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<ScanKind> {
        [ScanKind::Secrets, ScanKind::Pii, ScanKind::Net]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ScanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScanStatus {
    /// Started, no result yet.
    Running,
    /// Finished; its findings are stored.
    Done,
    /// Did not finish; the reason is stored.
    Failed,
}

impl ScanStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Done => "done",
            ScanStatus::Failed => "failed",
        }
    }

    fn from_name(name: &str) -> Option<ScanStatus> {
        [ScanStatus::Running, ScanStatus::Done, ScanStatus::Failed]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// A scan's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScanId(pub i64);

impl fmt::Display for ScanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What is about to be scanned.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// The scanner.
    pub kind: ScanKind,
    /// The paths or targets, for humans (`src/, .env` or `127.0.0.1 ports 1-1024`).
    pub target: String,
    /// Who asked (a principal's name, `cli`, `scheduler`).
    pub principal: String,
    /// Network scans: the configured probe rate per second (`None`: unlimited or not a net scan).
    pub rate_limit: Option<u32>,
}

/// One stored scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRecord {
    /// The id.
    pub id: ScanId,
    /// The scanner.
    pub kind: ScanKind,
    /// What was scanned.
    pub target: String,
    /// Running, done or failed.
    pub status: ScanStatus,
    /// Who asked.
    pub principal: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished (done or failed).
    pub finished_at: Option<Timestamp>,
    /// The configured probe rate (network scans).
    pub rate_limit: Option<u32>,
    /// Connection attempts and datagrams sent (network scans).
    pub probes_sent: u64,
    /// Probes per second achieved (network scans).
    pub probe_rate: f64,
    /// Files, archive members and git blobs scanned (content scans).
    pub files_scanned: u64,
    /// Bytes scanned (content scans).
    pub bytes_scanned: u64,
    /// Findings stored.
    pub findings: u64,
    /// The worst finding's severity.
    pub max_severity: Severity,
    /// Why a failed scan failed (never a scanned value).
    pub error: Option<String>,
}

/// Where a content finding occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLocation {
    /// The file (for git history: the repository).
    pub path: String,
    /// The member inside an archive or the path inside a git tree.
    pub member: Option<String>,
    /// The commit that introduced the value (git history).
    pub commit: Option<String>,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
}

/// The network part of a finding: one open port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPort {
    /// The address.
    pub host: IpAddr,
    /// The port.
    pub port: u16,
    /// TCP or UDP.
    pub proto: Proto,
    /// Open (only open ports are findings).
    pub state: PortState,
    /// What answers, when identified.
    pub service: Option<ServiceId>,
    /// What was seen.
    pub evidence: String,
}

/// One stored finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    /// The row id.
    pub id: i64,
    /// The rule (content) or `net.<service>` (network).
    pub rule_id: String,
    /// The rule's category (`net` for network findings).
    pub category: String,
    /// How bad it is.
    pub severity: Severity,
    /// The engine's confidence (`high` for network findings).
    pub confidence: String,
    /// The value's fingerprint (content) or `addr:port/proto` (network).
    pub fingerprint: String,
    /// Content findings: every stored location.
    pub locations: Vec<StoredLocation>,
    /// Network findings: the port.
    pub port: Option<StoredPort>,
}

/// One file's personal data element and its distinct-value count (PII scans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSummary {
    /// The file, as `path`, `path!member` or `repo@commit!path`.
    pub location: String,
    /// The data element (`ssn`, `phone_number`, ...).
    pub element: String,
    /// Distinct values of it in the file.
    pub distinct_values: u64,
}

/// Why a stored scan could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No scan has this id.
    #[error("no scan {0}")]
    UnknownScan(ScanId),
    /// The scan is of another kind than the operation needs.
    #[error("scan {id} is a {actual} scan, not a {wanted} scan")]
    WrongKind {
        /// The scan.
        id: ScanId,
        /// Its kind.
        actual: ScanKind,
        /// The kind needed.
        wanted: ScanKind,
    },
    /// A stored row holds a value this version does not understand.
    #[error("corrupt scan row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<custodian_db::sqlx::Error> for StoreError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        StoreError::Db(DbError::Sqlx(e))
    }
}

/// The scans' storage over one database.
#[derive(Clone)]
pub struct ScanStore {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ScanStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanStore")
            .field("db", &self.db.target())
            .finish()
    }
}

impl ScanStore {
    /// A store over `db` (migrated with [`COMPONENT`]), taking time from `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> ScanStore {
        ScanStore { db, clock }
    }
}

/// How bad a content finding is: private and cloud keys found with high confidence are
/// critical; otherwise severity follows confidence, and PII that identifies a person by itself
/// (SSN, licence, payment card) is one step worse than other PII.
pub fn content_severity(f: &Finding) -> Severity {
    let base = match f.confidence() {
        Confidence::High => Severity::High,
        Confidence::Medium => Severity::Medium,
        Confidence::Low => Severity::Low,
    };
    match f.category() {
        Category::PrivateKey | Category::CloudKey if base == Severity::High => Severity::Critical,
        Category::Pii => match f.element() {
            Some(PiiKind::Ssn | PiiKind::DriversLicense | PiiKind::PaymentCard) => base,
            _ => match base {
                Severity::High => Severity::Medium,
                _ => Severity::Low,
            },
        },
        _ => base,
    }
}

/// The severity named `name` (`info`, `low`, `medium`, `high`, `critical`).
pub fn severity_from_name(name: &str) -> Option<Severity> {
    [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|s| s.to_string() == name)
}

fn proto_from_name(name: &str) -> Option<Proto> {
    [Proto::Tcp, Proto::Udp]
        .into_iter()
        .find(|p| p.to_string() == name)
}

fn state_from_name(name: &str) -> Option<PortState> {
    [PortState::Open, PortState::Closed, PortState::Filtered]
        .into_iter()
        .find(|p| p.to_string() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in [ScanKind::Secrets, ScanKind::Pii, ScanKind::Net] {
            assert_eq!(ScanKind::from_name(k.as_str()), Some(k));
        }
        for s in [ScanStatus::Running, ScanStatus::Done, ScanStatus::Failed] {
            assert_eq!(ScanStatus::from_name(s.as_str()), Some(s));
        }
        assert_eq!(severity_from_name("critical"), Some(Severity::Critical));
        assert_eq!(severity_from_name("severe"), None);
        assert_eq!(proto_from_name("udp"), Some(Proto::Udp));
        assert_eq!(state_from_name("filtered"), Some(PortState::Filtered));
    }
}
