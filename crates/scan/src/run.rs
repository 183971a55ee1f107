//! Running a scan and recording it: the one path the command line, the API and the scheduler
//! share. A scan's row is written before it starts, so a refused or failed scan (a target out
//! of scope, an unreadable rules file) is recorded as failed with its reason, and a finished
//! one gets its findings in one transaction.

use std::path::PathBuf;

use crate::content::{RuleSet, ScanError, ScanOptions, ScanReport, Scanner};
use crate::net::{NetScanConfig, NetScanError, NetScanReport, Scope, Target};
use crate::store::{NewScan, ScanId, ScanKind, ScanStore, StoreError};

/// A content scan to run: which pack, over which paths.
#[derive(Debug)]
pub struct ContentRequest {
    /// [`ScanKind::Secrets`] or [`ScanKind::Pii`].
    pub kind: ScanKind,
    /// Files and directories (archives are opened by content).
    pub paths: Vec<PathBuf>,
    /// Whether to scan the git history of every path that is a repository, too.
    pub history: GitHistory,
    /// The rules (a shipped pack, possibly merged with the user's).
    pub rules: RuleSet,
    /// Allowlist, baseline, confidence floor, fingerprint key, threads.
    pub options: ScanOptions,
    /// Who asked.
    pub principal: String,
}

/// Whether a content scan reads git history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GitHistory {
    /// Only the files as they are now.
    #[default]
    Skip,
    /// Every blob in the history of each path that is a git repository, once.
    Include,
}

/// A network scan to run.
#[derive(Debug)]
pub struct NetRequest {
    /// The configured scope; every target must lie inside it.
    pub scope: Scope,
    /// What to scan.
    pub targets: Vec<Target>,
    /// Ports, rate, timeouts, probes.
    pub config: NetScanConfig,
    /// Who asked.
    pub principal: String,
}

/// Why a scan did not produce a stored result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The content scanner could not be set up (scan `0` when nothing was recorded).
    #[error("scan {0}: {1}")]
    Content(ScanId, #[source] ScanError),
    /// The network scan was refused (scope) or failed; it is recorded as failed.
    #[error("scan {0}: {1}")]
    Net(ScanId, #[source] NetScanError),
    /// A path does not exist.
    #[error("no such file or directory: {0}")]
    MissingPath(PathBuf),
    /// The scan task died (a bug).
    #[error("scan {0}: the scan task failed: {1}")]
    Task(ScanId, String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RunError {
    /// Whether the scan was refused because a target lies outside the scope.
    pub fn is_out_of_scope(&self) -> bool {
        matches!(
            self,
            RunError::Net(
                _,
                NetScanError::Scope(crate::net::ScopeError::OutOfScope { .. })
            )
        )
    }
}

/// Records a content scan, runs it on a blocking thread, and stores its findings.
pub async fn run_content(
    store: &ScanStore,
    req: ContentRequest,
) -> Result<(ScanId, ScanReport), RunError> {
    let id = record_content(store, &req).await?;
    let report = execute_content(store, id, req).await?;
    Ok((id, report))
}

/// Records that a content scan starts (status `running`) and returns its id; then
/// [`execute_content`] runs it (the API answers with the id in between).
pub async fn record_content(store: &ScanStore, req: &ContentRequest) -> Result<ScanId, RunError> {
    if let Some(missing) = req.paths.iter().find(|p| !p.exists()) {
        return Err(RunError::MissingPath(missing.clone()));
    }
    let target = req
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let target = match req.history {
        GitHistory::Include => format!("{target} (with git history)"),
        GitHistory::Skip => target,
    };
    let new = NewScan {
        kind: req.kind,
        target,
        principal: req.principal.clone(),
        rate_limit: None,
    };
    Ok(store.start(&new).await?)
}

/// Runs the content scan recorded as `id` and stores its result (or its failure).
pub async fn execute_content(
    store: &ScanStore,
    id: ScanId,
    req: ContentRequest,
) -> Result<ScanReport, RunError> {
    let joined = tokio::task::spawn_blocking(move || scan_paths(req)).await;
    let report = match joined {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            store.fail(id, &e.to_string()).await?;
            return Err(RunError::Content(id, e));
        }
        Err(e) => {
            store.fail(id, "the scan task failed").await?;
            return Err(RunError::Task(id, e.to_string()));
        }
    };
    store.finish_content(id, &report).await?;
    Ok(report)
}

fn scan_paths(req: ContentRequest) -> Result<ScanReport, ScanError> {
    let scanner = Scanner::new(req.rules, req.options)?;
    let mut total = ScanReport::default();
    for path in &req.paths {
        total.merge(scanner.scan_path(path));
        if req.history == GitHistory::Include && path.join(".git").exists() {
            total.merge(scanner.scan_git(path));
        }
    }
    Ok(total)
}

/// Records a network scan, runs it (refused before anything is sent when a target is out of
/// scope, and then recorded as failed), and stores its open ports.
pub async fn run_net(
    store: &ScanStore,
    req: NetRequest,
) -> Result<(ScanId, NetScanReport), RunError> {
    let id = record_net(store, &req).await?;
    let report = execute_net(store, id, req).await?;
    Ok((id, report))
}

/// Records that a network scan starts (status `running`) and returns its id.
pub async fn record_net(store: &ScanStore, req: &NetRequest) -> Result<ScanId, RunError> {
    let targets = req
        .targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let new = NewScan {
        kind: ScanKind::Net,
        target: format!("{targets} ports {}", req.config.ports),
        principal: req.principal.clone(),
        rate_limit: req.config.rate.map(std::num::NonZeroU32::get),
    };
    Ok(store.start(&new).await?)
}

/// Runs the network scan recorded as `id` and stores its open ports (or its failure).
pub async fn execute_net(
    store: &ScanStore,
    id: ScanId,
    req: NetRequest,
) -> Result<NetScanReport, RunError> {
    match crate::net::scan(&req.scope, &req.targets, &req.config).await {
        Ok(report) => {
            store.finish_net(id, &report).await?;
            Ok(report)
        }
        Err(e) => {
            store.fail(id, &e.to_string()).await?;
            Err(RunError::Net(id, e))
        }
    }
}
