//! `/v1/scans`: the scanners over HTTP. `POST` starts a scan (secrets or PII of a path on the
//! server under the configured content roots, or a network scan of targets inside the configured scope; an out-of-scope target is
//! refused with 422 before anything is sent) and answers 202 with its id while it runs; `GET`
//! lists scans, shows one with its findings (fingerprints and locations, never values), and
//! diffs two network scans. Reads need `scan.read`, starting a scan `scan.write`.

use std::path::PathBuf;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use custodian_scan::content::{FingerprintKey, RuleSet, ScanOptions};
use custodian_scan::net::{
    NetDiff, NetScanConfig, PortKey, PortList, PortResult, Scope, Target, diff, resolve_targets,
};
use custodian_scan::run::{
    ContentRequest, GitHistory, NetRequest, RunError, execute_content, execute_net, record_content,
    record_net,
};
use custodian_scan::store::{
    ScanId, ScanKind, ScanRecord, ScanStore, StoreError, StoredFinding, StoredSummary,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// What the server needs to run scans: the store, and the network scope and defaults.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Where scans and findings are kept.
    pub store: ScanStore,
    /// The configured scope; network scans are refused without one.
    pub scope: Option<Scope>,
    /// Ports, rate and timeouts of network scans started over the API.
    pub net: NetScanConfig,
    /// The directories content scans started over the API may read (`[scan] content_roots`);
    /// none: content scans over the API are refused. Paths are resolved (symlinks and `..`)
    /// before they are compared, so nothing outside these is read.
    pub content_roots: Vec<PathBuf>,
}

/// Resolves each requested path and checks it lies under one of `roots`. A path that does not
/// exist and one outside the roots get the same answer, so the API does not tell which files
/// exist elsewhere on the server.
fn allowed_paths(roots: &[PathBuf], requested: &[String]) -> Result<Vec<PathBuf>, ApiError> {
    if roots.is_empty() {
        return Err(ApiError::invalid(
            "paths",
            "content scans over the API are off: set [scan] content_roots to the directories \
             they may read",
        ));
    }
    let roots: Vec<PathBuf> = roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    requested
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .ok()
                .filter(|c| roots.iter().any(|r| c.starts_with(r)))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "paths",
                        format!("`{p}` is not an existing path under [scan] content_roots"),
                    )
                })
        })
        .collect()
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/scans", get(list).post(start))
        .route("/v1/scans/diff", get(net_diff))
        .route("/v1/scans/{id}", get(show))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, start, show, net_diff),
    components(schemas(
        ScanIn,
        ScanOut,
        StartedOut,
        ScanDetail,
        FindingOut,
        LocationOut,
        PortOut,
        SummaryOut,
        DiffOut
    ))
)]
pub(super) struct Doc;

fn scans(s: &AppState) -> Result<&ScanConfig, ApiError> {
    s.scans.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the scanners are not configured",
        )
    })
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Store(s) => s.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownScan(_) => ApiError::not_found(e.to_string()),
            StoreError::WrongKind { .. } => ApiError::invalid("id", e.to_string()),
            StoreError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            other => ApiError::internal(other),
        }
    }
}

/// A scan to start.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ScanIn {
    /// `secrets`, `pii` or `net`.
    kind: String,
    /// Secrets and PII scans: files or directories on the server.
    #[serde(default)]
    paths: Vec<String>,
    /// Secrets scans: also read the git history of paths that are repositories.
    #[serde(default)]
    git: bool,
    /// Network scans: addresses, CIDR blocks or host names inside the configured scope.
    #[serde(default)]
    targets: Vec<String>,
    /// Network scans: ports (`22,80,8000-8100`); the server's default when absent.
    ports: Option<String>,
}

/// A stored scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanOut {
    id: i64,
    kind: &'static str,
    target: String,
    status: &'static str,
    principal: String,
    started_at: String,
    finished_at: Option<String>,
    /// Network scans: the configured probe rate per second.
    rate_limit: Option<u32>,
    /// Network scans: probes sent and the rate achieved.
    probes_sent: u64,
    probe_rate: f64,
    files_scanned: u64,
    bytes_scanned: u64,
    findings: u64,
    max_severity: String,
    error: Option<String>,
}

impl From<&ScanRecord> for ScanOut {
    fn from(r: &ScanRecord) -> Self {
        ScanOut {
            id: r.id.0,
            kind: r.kind.as_str(),
            target: r.target.clone(),
            status: r.status.as_str(),
            principal: r.principal.clone(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            rate_limit: r.rate_limit,
            probes_sent: r.probes_sent,
            probe_rate: r.probe_rate,
            files_scanned: r.files_scanned,
            bytes_scanned: r.bytes_scanned,
            findings: r.findings,
            max_severity: r.max_severity.to_string(),
            error: r.error.clone(),
        }
    }
}

/// A scan that was started.
#[derive(Serialize, ToSchema)]
pub(crate) struct StartedOut {
    id: i64,
    status: &'static str,
}

/// Where a content finding occurs.
#[derive(Serialize, ToSchema)]
pub(crate) struct LocationOut {
    path: String,
    member: Option<String>,
    commit: Option<String>,
    line: u64,
    column: u64,
}

/// An open port.
#[derive(Serialize, ToSchema)]
pub(crate) struct PortOut {
    host: String,
    port: u16,
    proto: String,
    state: String,
    severity: String,
    service: Option<String>,
    product: Option<String>,
    version: Option<String>,
    detail: Option<String>,
    evidence: String,
}

fn port_out(k: &PortKey, p: &PortResult) -> PortOut {
    let svc = p.service.as_ref();
    PortOut {
        host: k.addr.to_string(),
        port: k.port,
        proto: k.proto.to_string(),
        state: p.state.to_string(),
        severity: p.severity.to_string(),
        service: svc.map(|s| s.name.clone()),
        product: svc.and_then(|s| s.product.clone()),
        version: svc.and_then(|s| s.version.clone()),
        detail: svc.and_then(|s| s.detail.clone()),
        evidence: p.evidence.clone(),
    }
}

/// One finding: a distinct value (by fingerprint) with its locations, or an open port.
#[derive(Serialize, ToSchema)]
pub(crate) struct FindingOut {
    rule_id: String,
    category: String,
    severity: String,
    confidence: String,
    fingerprint: String,
    locations: Vec<LocationOut>,
    port: Option<PortOut>,
}

impl From<&StoredFinding> for FindingOut {
    fn from(f: &StoredFinding) -> Self {
        FindingOut {
            rule_id: f.rule_id.clone(),
            category: f.category.clone(),
            severity: f.severity.to_string(),
            confidence: f.confidence.clone(),
            fingerprint: f.fingerprint.clone(),
            locations: f
                .locations
                .iter()
                .map(|l| LocationOut {
                    path: l.path.clone(),
                    member: l.member.clone(),
                    commit: l.commit.clone(),
                    line: l.line,
                    column: l.column,
                })
                .collect(),
            port: f.port.as_ref().map(|p| {
                let key = PortKey {
                    addr: p.host,
                    port: p.port,
                    proto: p.proto,
                };
                let result = PortResult {
                    port: p.port,
                    proto: p.proto,
                    state: p.state,
                    service: p.service.clone(),
                    severity: f.severity,
                    evidence: p.evidence.clone(),
                };
                port_out(&key, &result)
            }),
        }
    }
}

/// A file's personal data element and its distinct-value count.
#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryOut {
    location: String,
    element: String,
    distinct_values: u64,
}

impl From<&StoredSummary> for SummaryOut {
    fn from(s: &StoredSummary) -> Self {
        SummaryOut {
            location: s.location.clone(),
            element: s.element.clone(),
            distinct_values: s.distinct_values,
        }
    }
}

/// A scan with its findings and (PII scans) per-file summaries.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanDetail {
    scan: ScanOut,
    findings: Vec<FindingOut>,
    file_summaries: Vec<SummaryOut>,
}

/// What changed between two network scans.
#[derive(Serialize, ToSchema)]
pub(crate) struct DiffOut {
    old: i64,
    new: i64,
    appeared: Vec<PortOut>,
    disappeared: Vec<PortOut>,
    /// Open in both with a different service or severity: the newer result.
    changed: Vec<PortOut>,
}

fn diff_out(old: ScanId, new: ScanId, d: &NetDiff) -> DiffOut {
    let list = |v: &[(PortKey, PortResult)]| v.iter().map(|(k, p)| port_out(k, p)).collect();
    DiffOut {
        old: old.0,
        new: new.0,
        appeared: list(&d.appeared),
        disappeared: list(&d.disappeared),
        changed: d.changed.iter().map(|c| port_out(&c.key, &c.new)).collect(),
    }
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct ListQuery {
    /// Only this kind: `secrets`, `pii` or `net`.
    kind: Option<String>,
    /// How many (1 to 1000, default 50).
    limit: Option<u32>,
}

fn parse_kind(k: &str) -> Result<ScanKind, ApiError> {
    ScanKind::from_name(k).ok_or_else(|| ApiError::invalid("kind", "secrets, pii or net"))
}

/// List scans, newest first. Needs `scan.read`.
#[utoipa::path(get, path = "/v1/scans", tag = "scan", security(("api_key" = [])), params(ListQuery),
    responses((status = 200, body = [ScanOut]), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ScanOut>>, ApiError> {
    caller.require("scan.read")?;
    let kind = q.kind.as_deref().map(parse_kind).transpose()?;
    let list = scans(&s)?.store.list(kind, q.limit.unwrap_or(50)).await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}

/// Start a scan; it runs in the background (poll `GET /v1/scans/{id}`). Needs `scan.write`.
#[utoipa::path(post, path = "/v1/scans", tag = "scan", security(("api_key" = [])), request_body = ScanIn,
    responses((status = 202, body = StartedOut), (status = 422, body = crate::error::ErrorBody)))]
async fn start(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ScanIn>,
) -> Result<(StatusCode, Json<StartedOut>), ApiError> {
    let who = caller.require("scan.write")?.name.clone();
    let cfg = scans(&s)?.clone();
    let kind = parse_kind(&body.kind)?;
    let id = match kind {
        ScanKind::Net => start_net(cfg, body, who).await?,
        _ => start_content(cfg, kind, body, who).await?,
    };
    let status = "running";
    Ok((StatusCode::ACCEPTED, Json(StartedOut { id: id.0, status })))
}

async fn start_content(
    cfg: ScanConfig,
    kind: ScanKind,
    body: ScanIn,
    principal: String,
) -> Result<ScanId, ApiError> {
    if body.paths.is_empty() {
        return Err(ApiError::invalid("paths", "at least one path"));
    }
    let paths = allowed_paths(&cfg.content_roots, &body.paths)?;
    let (rules, key) = match kind {
        ScanKind::Pii => (
            RuleSet::pii(),
            Some(FingerprintKey::from_bytes(rand::random())),
        ),
        _ => (RuleSet::secrets(), None),
    };
    let rules = rules.map_err(ApiError::internal)?;
    let req = ContentRequest {
        kind,
        paths,
        history: if body.git {
            GitHistory::Include
        } else {
            GitHistory::Skip
        },
        rules,
        options: ScanOptions {
            fingerprint_key: key,
            ..ScanOptions::default()
        },
        principal,
    };
    let store = cfg.store;
    let id = record_content(&store, &req)
        .await
        .map_err(|e| ApiError::invalid("paths", e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = execute_content(&store, id, req).await {
            tracing::warn!(error = %e, "content scan failed");
        }
    });
    Ok(id)
}

async fn start_net(cfg: ScanConfig, body: ScanIn, principal: String) -> Result<ScanId, ApiError> {
    let Some(scope) = cfg.scope.clone() else {
        return Err(ApiError::invalid(
            "targets",
            "no scan scope is configured (`[scan] scope`)",
        ));
    };
    if body.targets.is_empty() {
        return Err(ApiError::invalid("targets", "at least one target"));
    }
    let targets = body
        .targets
        .iter()
        .map(|t| Target::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid("targets", e.to_string()))?;
    // Refuse out-of-scope targets now, with a clear 422; the scan checks again before sending.
    resolve_targets(&scope, &targets)
        .await
        .map_err(|e| ApiError::invalid("targets", e.to_string()))?;
    let mut config = cfg.net.clone();
    if let Some(spec) = &body.ports {
        config.ports =
            PortList::parse(spec).map_err(|e| ApiError::invalid("ports", e.to_string()))?;
    }
    let req = NetRequest {
        scope,
        targets,
        config,
        principal,
    };
    let store = cfg.store;
    let id = record_net(&store, &req).await?;
    tokio::spawn(async move {
        if let Err(e) = execute_net(&store, id, req).await {
            tracing::warn!(error = %e, "network scan failed");
        }
    });
    Ok(id)
}

/// A scan with its findings. Needs `scan.read`.
#[utoipa::path(get, path = "/v1/scans/{id}", tag = "scan", security(("api_key" = [])),
    params(("id" = i64, Path, description = "Scan id")),
    responses((status = 200, body = ScanDetail), (status = 404, body = crate::error::ErrorBody)))]
async fn show(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ScanDetail>, ApiError> {
    caller.require("scan.read")?;
    let id = ScanId(
        id.parse()
            .map_err(|_| ApiError::not_found("no such scan"))?,
    );
    let store = &scans(&s)?.store;
    let scan = store.find(id).await?;
    Ok(Json(ScanDetail {
        scan: (&scan).into(),
        findings: store.findings(id).await?.iter().map(Into::into).collect(),
        file_summaries: store.summaries(id).await?.iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct DiffQuery {
    /// The older network scan (default: the one before `new`).
    old: Option<i64>,
    /// The newer network scan (default: the newest).
    new: Option<i64>,
}

/// What appeared, disappeared or changed between two network scans. Needs `scan.read`.
#[utoipa::path(get, path = "/v1/scans/diff", tag = "scan", security(("api_key" = [])), params(DiffQuery),
    responses((status = 200, body = DiffOut), (status = 404, body = crate::error::ErrorBody)))]
async fn net_diff(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffOut>, ApiError> {
    caller.require("scan.read")?;
    let store = &scans(&s)?.store;
    let none = || ApiError::not_found("no earlier finished network scan to compare with");
    let new = match q.new {
        Some(n) => ScanId(n),
        None => store.latest_net().await?.ok_or_else(none)?,
    };
    let old = match q.old {
        Some(o) => ScanId(o),
        None => store.previous_net(new).await?.ok_or_else(none)?,
    };
    let d = diff(&store.net_report(old).await?, &store.net_report(new).await?);
    Ok(Json(diff_out(old, new, &d)))
}
