//! The console's incident pages: `/admin/incidents` lists incidents with their latest impact,
//! `/admin/incidents/{id}` shows one (facts, timeline, exposures, cohorts with a bar chart,
//! deadlines), and `/admin/incidents/{id}/report.html` downloads the full report. Read-only:
//! changes go through the API or the command line, which record them on the timeline. The
//! signed-in admin's principal needs `incidents.read`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodian_breach::cohort::human_count;
use custodian_breach::{BreachError, IncidentId};
use custodian_vault::RequestContext;
use minijinja::context;

use super::signed_in;
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/incidents", get(list))
        .route("/admin/incidents/{id}", get(show))
        .route("/admin/incidents/{id}/report.html", get(download))
}

fn failure(e: &BreachError) -> Response {
    match e {
        BreachError::Auth(_) => {
            (StatusCode::FORBIDDEN, "your role may not read incidents").into_response()
        }
        BreachError::UnknownIncident(_) => {
            (StatusCode::NOT_FOUND, "no such incident").into_response()
        }
        other => {
            tracing::error!(error = %other, "incident page failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

fn console_ctx() -> RequestContext {
    RequestContext {
        request_id: "admin-console".into(),
    }
}

/// `GET /admin/incidents`. Needs a session whose role grants `incidents.read`.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (p, csrf) = match signed_in(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(b) = state.breach.as_ref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the breach engine is not configured",
        )
            .into_response();
    };
    let c = console_ctx();
    let r = match b.incident_reader(&p, &c) {
        Ok(r) => r,
        Err(e) => return failure(&e),
    };
    let incidents = match r.list().await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let mut rows = Vec::new();
    for i in &incidents {
        let impact = match r.cohorts(i.id, None).await {
            Ok(t) => format!(
                "{} affected, {} not affected (version {})",
                human_count(t.affected),
                human_count(t.not_affected()),
                t.version
            ),
            Err(BreachError::NoImpact { .. }) => "not computed".to_owned(),
            Err(e) => return failure(&e),
        };
        rows.push(context! { id => i.id.0, title => &i.title, status => i.status.as_str(), owner => &i.owner, impact => impact });
    }
    let session = context! { name => &p.name, csrf => csrf };
    render(
        &state,
        "incidents.html",
        context! { session => session, incidents => rows },
    )
    .into_response()
}

/// `GET /admin/incidents/{id}`. Needs a session whose role grants `incidents.read`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (p, csrf) = match signed_in(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return (StatusCode::NOT_FOUND, "no such incident").into_response();
    };
    let Some(b) = state.breach.as_ref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the breach engine is not configured",
        )
            .into_response();
    };
    let c = console_ctx();
    let r = match b.incident_reader(&p, &c) {
        Ok(r) => r,
        Err(e) => return failure(&e),
    };
    let (incident, timeline, exposures) = match (
        r.find(id).await,
        r.timeline(id).await,
        r.exposures(id).await,
    ) {
        (Ok(i), Ok(t), Ok(e)) => (i, t, e),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failure(&e),
    };
    let report = match r.report(id, None).await {
        Ok(rep) => Some(rep),
        Err(BreachError::NoImpact { .. }) => None,
        Err(e) => return failure(&e),
    };
    let timeline: Vec<_> = timeline
        .iter()
        .map(|e| context! { at => e.occurred_at.to_rfc3339(), kind => &e.kind, detail => &e.detail, actor => &e.actor })
        .collect();
    let exposures: Vec<_> = exposures
        .iter()
        .map(|e| context! { id => e.id.0, kind => e.kind.as_str(), form => e.form.as_str(),
            what => e.dataset.as_ref().map_or_else(|| e.principal.clone().unwrap_or_else(|| e.source.clone()), ToString::to_string),
            elements => e.elements.to_string(), people => e.people, unlinked => e.unlinked_rows })
        .collect();
    let (cohorts, deadlines, summary) = match &report {
        Some(rep) => {
            let max = rep
                .cohorts
                .cohorts
                .iter()
                .map(|c| c.people)
                .max()
                .unwrap_or(1)
                .max(1);
            let cohorts: Vec<_> = rep
                .cohorts
                .cohorts
                .iter()
                .enumerate()
                .map(|(n, c)| context! { summary => c.summary(), label => c.summary().chars().take(64).collect::<String>(), people => c.people, y => n * 24,
                    width => (c.people as f64 / max as f64 * 500.0).max(1.0) as u64 })
                .collect();
            let deadlines: Vec<_> = rep.plan.iter().flat_map(|pl| pl.timeline.iter())
                .map(|t| context! { due => t.due.to_string(), jurisdiction => t.jurisdiction.as_str(), action => &t.action })
                .collect();
            let summary = format!(
                "Impact version {}: {} affected, {} not affected; {}",
                rep.impact.version,
                human_count(rep.cohorts.affected),
                human_count(rep.cohorts.not_affected()),
                rep.assumptions.first().cloned().unwrap_or_default()
            );
            (cohorts, deadlines, summary)
        }
        None => (
            Vec::new(),
            Vec::new(),
            "Impact not computed yet.".to_owned(),
        ),
    };
    let chart_height = cohorts.len() * 24 + 8;
    let ctx = context! {
        session => context! { name => &p.name, csrf => csrf },
        incident => context! { id => incident.id.0, title => &incident.title, summary => &incident.summary,
            status => incident.status.as_str(), owner => &incident.owner,
            detected => incident.detected_at.map(|t| t.to_rfc3339()) },
        timeline => timeline, exposures => exposures, cohorts => cohorts, chart_height => chart_height,
        deadlines => deadlines, impact_summary => summary, has_report => report.is_some(),
    };
    render(&state, "incident.html", ctx).into_response()
}

/// `GET /admin/incidents/{id}/report.html`: the full report as a file to forward. Needs a
/// session whose role grants `incidents.read`.
async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (p, _) = match signed_in(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return (StatusCode::NOT_FOUND, "no such incident").into_response();
    };
    let Some(b) = state.breach.as_ref() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the breach engine is not configured",
        )
            .into_response();
    };
    let c = console_ctx();
    let report = match b.incident_reader(&p, &c) {
        Ok(r) => r.report(id, None).await,
        Err(e) => Err(e),
    };
    match report {
        Ok(rep) => {
            let mut resp = custodian_breach::report::html(&rep).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            let disposition = format!("attachment; filename=\"incident-{}-report.html\"", id.0);
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(BreachError::NoImpact { .. }) => {
            (StatusCode::NOT_FOUND, "impact not computed yet").into_response()
        }
        Err(e) => failure(&e),
    }
}
