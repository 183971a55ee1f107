//! The console's scan pages: `/admin/scans` lists scans (kind, status, target, findings, worst
//! severity) and `/admin/scans/{id}` shows one scan's findings — for content scans the rule,
//! fingerprint and every location, for network scans each open port with its service and
//! evidence — and a PII scan's per-file summary. Read-only; scans start from the command line
//! or the API. The signed-in admin's principal needs `scan.read`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodian_auth::Principal;
use custodian_scan::store::{ScanId, ScanKind, ScanRecord, ScanStore, StoreError, StoredFinding};
use minijinja::context;

use super::signed_in;
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/scans", get(list))
        .route("/admin/scans/{id}", get(show))
}

/// The signed-in principal allowed `scan.read` and the store, or the response to send instead.
async fn reader(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Principal, String, ScanStore), Response> {
    let (principal, csrf) = signed_in(state, headers).await?;
    if !principal.may("scan.read") {
        return Err((StatusCode::FORBIDDEN, "your role may not read scans").into_response());
    }
    let Some(cfg) = state.scans.as_ref() else {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "the scanners are not configured",
        )
            .into_response());
    };
    Ok((principal, csrf, cfg.store.clone()))
}

fn failure(e: &StoreError) -> Response {
    match e {
        StoreError::UnknownScan(_) => (StatusCode::NOT_FOUND, "no such scan").into_response(),
        other => {
            tracing::error!(error = %other, "scan page failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

fn row(r: &ScanRecord) -> minijinja::Value {
    context! {
        id => r.id.0, kind => r.kind.as_str(), status => r.status.as_str(),
        started => r.started_at.to_rfc3339(), target => &r.target, findings => r.findings,
        severity => r.max_severity.to_string(),
    }
}

/// `GET /admin/scans`. Needs a session whose role grants `scan.read`.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (p, csrf, store) = match reader(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let scans = match store.list(None, 200).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let rows: Vec<_> = scans.iter().map(row).collect();
    let session = context! { name => &p.name, csrf => csrf };
    render(
        &state,
        "scans.html",
        context! { session => session, scans => rows },
    )
    .into_response()
}

fn finding(f: &StoredFinding) -> minijinja::Value {
    let (what, places): (String, Vec<String>) = match &f.port {
        Some(p) => {
            let service = p.service.as_ref().map_or_else(
                || "unidentified service".to_owned(),
                |s| {
                    [Some(&s.name), s.product.as_ref(), s.version.as_ref()]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            );
            let detail = p.service.as_ref().and_then(|s| s.detail.clone());
            let what = match detail {
                Some(d) => format!("{service}: {d}"),
                None => service,
            };
            (
                what,
                vec![
                    format!("{}:{}/{} {}", p.host, p.port, p.proto, p.state),
                    p.evidence.clone(),
                ],
            )
        }
        None => (
            format!(
                "{} ({}, {} confidence), fingerprint {}",
                f.rule_id, f.category, f.confidence, f.fingerprint
            ),
            f.locations
                .iter()
                .map(|l| {
                    let commit = l
                        .commit
                        .as_deref()
                        .map(|c| format!("@{}", &c[..c.len().min(12)]))
                        .unwrap_or_default();
                    let member = l
                        .member
                        .as_deref()
                        .map(|m| format!("!{m}"))
                        .unwrap_or_default();
                    format!("{}{commit}{member}:{}:{}", l.path, l.line, l.column)
                })
                .collect(),
        ),
    };
    context! { severity => f.severity.to_string(), what => what, where => places }
}

/// `GET /admin/scans/{id}`. Needs a session whose role grants `scan.read`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (p, csrf, store) = match reader(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>().map(ScanId) else {
        return (StatusCode::NOT_FOUND, "no such scan").into_response();
    };
    let (scan, findings, summaries) = match (
        store.find(id).await,
        store.findings(id).await,
        store.summaries(id).await,
    ) {
        (Ok(s), Ok(f), Ok(m)) => (s, f, m),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failure(&e),
    };
    let work = match scan.kind {
        ScanKind::Net => format!(
            "{} probes at {:.0}/s (limit {}).",
            scan.probes_sent,
            scan.probe_rate,
            scan.rate_limit
                .map_or_else(|| "none".to_owned(), |l| format!("{l}/s"))
        ),
        _ => format!(
            "{} file(s), {} bytes scanned.",
            scan.files_scanned, scan.bytes_scanned
        ),
    };
    let scan_ctx = context! {
        id => scan.id.0, kind => scan.kind.as_str(), status => scan.status.as_str(),
        target => &scan.target, started => scan.started_at.to_rfc3339(),
        finished => scan.finished_at.map(|t| t.to_rfc3339()), error => &scan.error, work => work,
    };
    let summaries: Vec<_> = summaries
        .iter()
        .map(|m| context! { location => &m.location, element => &m.element, distinct => m.distinct_values })
        .collect();
    let findings: Vec<_> = findings.iter().map(finding).collect();
    let session = context! { name => &p.name, csrf => csrf };
    render(
        &state,
        "scan.html",
        context! { session => session, scan => scan_ctx, findings => findings, summaries => summaries },
    )
    .into_response()
}
