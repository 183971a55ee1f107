//! Recording scans: a row when a scan starts, then its result in one transaction (findings,
//! locations, summaries and the scan's counts), so a reader never sees half a result.

use custodian_db::sqlx::{self, Any, Transaction};

use super::{
    MAX_LOCATIONS_PER_FINDING, NewScan, ScanId, ScanKind, ScanStatus, ScanStore, StoreError,
    content_severity,
};
use crate::content::{Finding, ScanReport};
use crate::net::{NetScanReport, PortState, Severity};

/// The counts written on a scan's row when it finishes.
struct Totals {
    probes_sent: u64,
    rate: f64,
    files: u64,
    bytes: u64,
    findings: u64,
    max_severity: Severity,
}

impl ScanStore {
    /// Records that a scan started; its status is `running` until [`ScanStore::finish_content`],
    /// [`ScanStore::finish_net`] or [`ScanStore::fail`].
    pub async fn start(&self, new: &NewScan) -> Result<ScanId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO scan_scans (kind, target, status, principal, started_at, rate_limit) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.target.as_str())
        .bind(ScanStatus::Running.as_str())
        .bind(new.principal.as_str())
        .bind(self.clock.now().0)
        .bind(new.rate_limit.map(i64::from))
        .fetch_one(self.db.pool())
        .await?;
        Ok(ScanId(id))
    }

    /// Stores a content scan's findings (fingerprints and locations, never values) and per-file
    /// summaries, and marks the scan done.
    pub async fn finish_content(&self, id: ScanId, report: &ScanReport) -> Result<(), StoreError> {
        let scan = self.find(id).await?;
        if scan.kind == ScanKind::Net {
            return Err(StoreError::WrongKind {
                id,
                actual: scan.kind,
                wanted: ScanKind::Secrets,
            });
        }
        let mut tx = self.db.pool().begin().await?;
        for f in &report.findings {
            insert_content_finding(&mut tx, id, f).await?;
        }
        for s in &report.file_summaries {
            for (element, n) in s.elements() {
                sqlx::query(
                    "INSERT INTO scan_file_summaries (scan_id, location, element, distinct_values) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id.0)
                .bind(s.location())
                .bind(element.as_str())
                .bind(n as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        let totals = Totals {
            probes_sent: 0,
            rate: 0.0,
            files: report.files_scanned,
            bytes: report.bytes_scanned,
            findings: report.findings.len() as u64,
            max_severity: report
                .findings
                .iter()
                .map(content_severity)
                .max()
                .unwrap_or(Severity::Info),
        };
        self.close(&mut tx, id, &totals).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a network scan's open ports as findings and marks the scan done.
    pub async fn finish_net(&self, id: ScanId, report: &NetScanReport) -> Result<(), StoreError> {
        let scan = self.find(id).await?;
        if scan.kind != ScanKind::Net {
            return Err(StoreError::WrongKind {
                id,
                actual: scan.kind,
                wanted: ScanKind::Net,
            });
        }
        let mut tx = self.db.pool().begin().await?;
        let mut findings = 0;
        for host in &report.hosts {
            for p in host.ports.iter().filter(|p| p.state == PortState::Open) {
                let svc = p.service.as_ref();
                let name = svc.map_or("unknown", |s| s.name.as_str());
                sqlx::query(
                    "INSERT INTO scan_findings (scan_id, rule_id, category, severity, confidence, \
                     fingerprint, host, port, proto, state, service, product, version, \
                     service_detail, evidence) \
                     VALUES ($1, $2, 'net', $3, 'high', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(id.0)
                .bind(format!("net.{name}"))
                .bind(p.severity.to_string())
                .bind(format!("{}:{}/{}", host.addr, p.port, p.proto))
                .bind(host.addr.to_string())
                .bind(i64::from(p.port))
                .bind(p.proto.to_string())
                .bind(p.state.to_string())
                .bind(svc.map(|s| s.name.clone()))
                .bind(svc.and_then(|s| s.product.clone()))
                .bind(svc.and_then(|s| s.version.clone()))
                .bind(svc.and_then(|s| s.detail.clone()))
                .bind(p.evidence.as_str())
                .execute(&mut *tx)
                .await?;
                findings += 1;
            }
        }
        let totals = Totals {
            probes_sent: report.stats.probes_sent,
            rate: report.stats.rate,
            files: 0,
            bytes: 0,
            findings,
            max_severity: report.max_severity(),
        };
        self.close(&mut tx, id, &totals).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a scan failed with a reason (which must hold no scanned value).
    pub async fn fail(&self, id: ScanId, reason: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE scan_scans SET status = $1, finished_at = $2, error = $3 WHERE id = $4",
        )
        .bind(ScanStatus::Failed.as_str())
        .bind(self.clock.now().0)
        .bind(reason)
        .bind(id.0)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownScan(id));
        }
        Ok(())
    }

    async fn close(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: ScanId,
        t: &Totals,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE scan_scans SET status = $1, finished_at = $2, probes_sent = $3, \
             rate_milli = $4, files_scanned = $5, bytes_scanned = $6, findings = $7, \
             max_severity = $8 WHERE id = $9",
        )
        .bind(ScanStatus::Done.as_str())
        .bind(self.clock.now().0)
        .bind(t.probes_sent as i64)
        .bind((t.rate * 1000.0).round() as i64)
        .bind(t.files as i64)
        .bind(t.bytes as i64)
        .bind(t.findings as i64)
        .bind(t.max_severity.to_string())
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

async fn insert_content_finding(
    tx: &mut Transaction<'static, Any>,
    id: ScanId,
    f: &Finding,
) -> Result<(), StoreError> {
    let finding_id: i64 = sqlx::query_scalar(
        "INSERT INTO scan_findings (scan_id, rule_id, category, severity, confidence, fingerprint) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id.0)
    .bind(f.rule_id())
    .bind(f.category().as_str())
    .bind(content_severity(f).to_string())
    .bind(f.confidence().as_str())
    .bind(f.fingerprint())
    .fetch_one(&mut **tx)
    .await?;
    for loc in f.locations().iter().take(MAX_LOCATIONS_PER_FINDING) {
        sqlx::query(
            "INSERT INTO scan_locations (finding_id, path, member, commit_id, line, col) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(finding_id)
        .bind(loc.file().to_string_lossy().into_owned())
        .bind(loc.member().map(str::to_owned))
        .bind(loc.commit().map(str::to_owned))
        .bind(loc.line() as i64)
        .bind(loc.column() as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
