//! Reading scans back: the list, one scan, its findings with their locations, its per-file
//! summaries, and a network scan rebuilt as a [`NetScanReport`] so that two stored scans can
//! be compared with [`crate::net::diff`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use custodian_db::Timestamp;
use custodian_db::sqlx::{self, Row, any::AnyRow};

use super::{
    ScanId, ScanKind, ScanRecord, ScanStatus, ScanStore, StoreError, StoredFinding, StoredLocation,
    StoredPort, StoredSummary, proto_from_name, severity_from_name, state_from_name,
};
use crate::net::{HostResult, NetScanReport, PortResult, ScanStats, ServiceId};

const SCAN_COLS: &str = "id, kind, target, status, principal, started_at, finished_at, \
    rate_limit, probes_sent, rate_milli, files_scanned, bytes_scanned, findings, max_severity, \
    error";

const FINDING_COLS: &str = "id, rule_id, category, severity, confidence, fingerprint, host, \
    port, proto, state, service, product, version, service_detail, evidence";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}

fn scan_row(r: &AnyRow) -> Result<ScanRecord, StoreError> {
    let kind: String = r.try_get(1)?;
    let status: String = r.try_get(3)?;
    let severity: String = r.try_get(13)?;
    let rate_limit: Option<i64> = r.try_get(7)?;
    let finished: Option<i64> = r.try_get(6)?;
    let count = |i: usize| -> Result<u64, StoreError> { Ok(r.try_get::<i64, _>(i)?.max(0) as u64) };
    Ok(ScanRecord {
        id: ScanId(r.try_get(0)?),
        kind: ScanKind::from_name(&kind).ok_or_else(|| corrupt("scan kind", &kind))?,
        target: r.try_get(2)?,
        status: ScanStatus::from_name(&status).ok_or_else(|| corrupt("status", &status))?,
        principal: r.try_get(4)?,
        started_at: Timestamp(r.try_get(5)?),
        finished_at: finished.map(Timestamp),
        rate_limit: rate_limit.and_then(|v| u32::try_from(v).ok()),
        probes_sent: count(8)?,
        probe_rate: r.try_get::<i64, _>(9)? as f64 / 1000.0,
        files_scanned: count(10)?,
        bytes_scanned: count(11)?,
        findings: count(12)?,
        max_severity: severity_from_name(&severity)
            .ok_or_else(|| corrupt("severity", &severity))?,
        error: r.try_get(14)?,
    })
}

fn finding_row(r: &AnyRow) -> Result<StoredFinding, StoreError> {
    let severity: String = r.try_get(3)?;
    let host: Option<String> = r.try_get(6)?;
    let port = match host {
        None => None,
        Some(h) => {
            let addr: IpAddr = h.parse().map_err(|_| corrupt("address", &h))?;
            let proto: String = r.try_get::<Option<String>, _>(8)?.unwrap_or_default();
            let state: String = r.try_get::<Option<String>, _>(9)?.unwrap_or_default();
            let number: i64 = r.try_get::<Option<i64>, _>(7)?.unwrap_or(-1);
            let service: Option<String> = r.try_get(10)?;
            Some(StoredPort {
                host: addr,
                port: u16::try_from(number).map_err(|_| corrupt("port", &number.to_string()))?,
                proto: proto_from_name(&proto).ok_or_else(|| corrupt("proto", &proto))?,
                state: state_from_name(&state).ok_or_else(|| corrupt("state", &state))?,
                service: match service {
                    Some(name) => Some(ServiceId {
                        name,
                        product: r.try_get(11)?,
                        version: r.try_get(12)?,
                        detail: r.try_get(13)?,
                    }),
                    None => None,
                },
                evidence: r.try_get::<Option<String>, _>(14)?.unwrap_or_default(),
            })
        }
    };
    Ok(StoredFinding {
        id: r.try_get(0)?,
        rule_id: r.try_get(1)?,
        category: r.try_get(2)?,
        severity: severity_from_name(&severity).ok_or_else(|| corrupt("severity", &severity))?,
        confidence: r.try_get(4)?,
        fingerprint: r.try_get(5)?,
        locations: Vec::new(),
        port,
    })
}

impl ScanStore {
    /// The scan with this id.
    pub async fn find(&self, id: ScanId) -> Result<ScanRecord, StoreError> {
        let sql = format!("SELECT {SCAN_COLS} FROM scan_scans WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(StoreError::UnknownScan(id))?;
        scan_row(&row)
    }

    /// The newest scans first, of one kind or all, at most `limit` (1 to 1000).
    pub async fn list(
        &self,
        kind: Option<ScanKind>,
        limit: u32,
    ) -> Result<Vec<ScanRecord>, StoreError> {
        let limit = i64::from(limit.clamp(1, 1000));
        let rows = match kind {
            Some(k) => {
                let sql = format!(
                    "SELECT {SCAN_COLS} FROM scan_scans WHERE kind = $1 ORDER BY id DESC LIMIT $2"
                );
                sqlx::query(&sql)
                    .bind(k.as_str())
                    .bind(limit)
                    .fetch_all(self.db.pool())
                    .await?
            }
            None => {
                let sql = format!("SELECT {SCAN_COLS} FROM scan_scans ORDER BY id DESC LIMIT $1");
                sqlx::query(&sql)
                    .bind(limit)
                    .fetch_all(self.db.pool())
                    .await?
            }
        };
        rows.iter().map(scan_row).collect()
    }

    /// A scan's findings, worst first, each with its stored locations.
    pub async fn findings(&self, id: ScanId) -> Result<Vec<StoredFinding>, StoreError> {
        let sql =
            format!("SELECT {FINDING_COLS} FROM scan_findings WHERE scan_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(id.0)
            .fetch_all(self.db.pool())
            .await?;
        let mut findings = rows
            .iter()
            .map(finding_row)
            .collect::<Result<Vec<_>, _>>()?;
        let locs = sqlx::query(
            "SELECT l.finding_id, l.path, l.member, l.commit_id, l.line, l.col \
             FROM scan_locations l JOIN scan_findings f ON f.id = l.finding_id \
             WHERE f.scan_id = $1 ORDER BY l.finding_id, l.path, l.line, l.col",
        )
        .bind(id.0)
        .fetch_all(self.db.pool())
        .await?;
        let mut by_finding: BTreeMap<i64, Vec<StoredLocation>> = BTreeMap::new();
        for r in &locs {
            by_finding
                .entry(r.try_get(0)?)
                .or_default()
                .push(StoredLocation {
                    path: r.try_get(1)?,
                    member: r.try_get(2)?,
                    commit: r.try_get(3)?,
                    line: r.try_get::<i64, _>(4)?.max(0) as u64,
                    column: r.try_get::<i64, _>(5)?.max(0) as u64,
                });
        }
        for f in &mut findings {
            f.locations = by_finding.remove(&f.id).unwrap_or_default();
        }
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        Ok(findings)
    }

    /// A PII scan's per-file summaries, by location then element.
    pub async fn summaries(&self, id: ScanId) -> Result<Vec<StoredSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT location, element, distinct_values FROM scan_file_summaries \
             WHERE scan_id = $1 ORDER BY location, element",
        )
        .bind(id.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredSummary {
                    location: r.try_get(0)?,
                    element: r.try_get(1)?,
                    distinct_values: r.try_get::<i64, _>(2)?.max(0) as u64,
                })
            })
            .collect()
    }

    /// A finished network scan as a report of its open ports, for [`crate::net::diff`].
    pub async fn net_report(&self, id: ScanId) -> Result<NetScanReport, StoreError> {
        let scan = self.find(id).await?;
        if scan.kind != ScanKind::Net {
            return Err(StoreError::WrongKind {
                id,
                actual: scan.kind,
                wanted: ScanKind::Net,
            });
        }
        let mut hosts: BTreeMap<IpAddr, HostResult> = BTreeMap::new();
        for f in self.findings(id).await? {
            let Some(p) = f.port else { continue };
            let host = hosts.entry(p.host).or_insert_with(|| HostResult {
                addr: p.host,
                ports: Vec::new(),
                closed: 0,
                filtered: 0,
            });
            host.ports.push(PortResult {
                port: p.port,
                proto: p.proto,
                state: p.state,
                service: p.service,
                severity: f.severity,
                evidence: p.evidence,
            });
        }
        let elapsed = scan
            .finished_at
            .map_or(0, |f| (f.0 - scan.started_at.0).max(0));
        Ok(NetScanReport {
            targets: vec![scan.target],
            started_at: scan.started_at.to_datetime(),
            stats: ScanStats {
                probes_sent: scan.probes_sent,
                elapsed: Duration::from_micros(elapsed as u64),
                rate: scan.probe_rate,
                socket_backoffs: 0,
            },
            hosts: hosts.into_values().collect(),
        })
    }

    /// The finished network scan before `id` (the one a diff compares against), if any.
    pub async fn previous_net(&self, id: ScanId) -> Result<Option<ScanId>, StoreError> {
        let prev: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM scan_scans WHERE kind = 'net' AND status = 'done' AND id < $1 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(prev.map(ScanId))
    }

    /// The newest finished network scan, if any.
    pub async fn latest_net(&self) -> Result<Option<ScanId>, StoreError> {
        self.previous_net(ScanId(i64::MAX)).await
    }
}
