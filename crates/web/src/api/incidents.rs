//! `/v1/incidents` and `/v1/inventory`: the breach engine over HTTP. Create incidents and change
//! them (every change an event on the timeline), record exposures (a dataset, a principal's reads
//! over a window, an uploaded file), recompute impact into a new version and diff it, read
//! cohorts, the obligations plan and the report (HTML, JSON, or the affected list as CSV,
//! streamed). Reads need `incidents.read`, changes `incidents.write`; the inventory list needs
//! `inventory.read`.

mod parse;
mod stream;
mod wire;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_breach::{
    BreachError, BreachService, ExposureMeta, ExposureSource, FileBytes, FileFormat, NewIncident,
};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use self::parse::{changes, form, parse_id};
use self::stream::affected_csv;
use self::wire::{
    ChangeIn, CohortsOut, DatasetOut, DiffOut, EventOut, ExposureIn, ExposureOut, ImpactOut,
    IncidentDetail, IncidentIn, IncidentOut, PlanOut, ReportOut,
};
use super::ctx;
use super::parse_time;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// The largest exposed file accepted over HTTP (larger: `custodian incident expose --file`).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/incidents", get(list).post(create))
        .route("/v1/incidents/{id}", get(show))
        .route("/v1/incidents/{id}/events", post(change))
        .route("/v1/incidents/{id}/exposures", get(exposures).post(expose))
        .route(
            "/v1/incidents/{id}/exposures/upload",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/v1/incidents/{id}/impact", get(impact).post(recompute))
        .route("/v1/incidents/{id}/cohorts", get(cohorts))
        .route("/v1/incidents/{id}/obligations", get(obligations))
        .route("/v1/incidents/{id}/report", get(report))
        .route("/v1/inventory/datasets", get(datasets))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        show,
        change,
        exposures,
        expose,
        upload,
        impact,
        recompute,
        cohorts,
        obligations,
        report,
        datasets
    ),
    components(schemas(
        IncidentIn,
        IncidentOut,
        IncidentDetail,
        EventOut,
        ChangeIn,
        ExposureIn,
        ExposureOut,
        ImpactOut,
        DiffOut,
        CohortsOut,
        PlanOut,
        ReportOut,
        DatasetOut
    ))
)]
pub(super) struct Doc;

fn breach(s: &AppState) -> Result<&BreachService, ApiError> {
    s.breach.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the breach engine is not configured",
        )
    })
}

impl From<BreachError> for ApiError {
    fn from(e: BreachError) -> Self {
        match e {
            BreachError::Auth(a) => a.into(),
            BreachError::UnknownDataset(_)
            | BreachError::UnknownIncident(_)
            | BreachError::NoImpact { .. } => ApiError::not_found(e.to_string()),
            BreachError::DatasetExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            BreachError::Invalid { field, reason } => ApiError::invalid(&field, reason),
            BreachError::Malformed { .. } | BreachError::Read { .. } => {
                ApiError::invalid("file", e.to_string())
            }
            BreachError::Vault(v) => v.into(),
            BreachError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            other => ApiError::internal(other),
        }
    }
}

/// List incidents, newest first. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents", tag = "breach", security(("api_key" = [])),
    responses((status = 200, body = [IncidentOut]), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<IncidentOut>>, ApiError> {
    caller.require("incidents.read")?;
    let c = ctx(&headers);
    let list = breach(&s)?.incident_reader(&caller.0, &c)?.list().await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}

/// Open an incident. Needs `incidents.write`.
#[utoipa::path(post, path = "/v1/incidents", tag = "breach", security(("api_key" = [])), request_body = IncidentIn,
    responses((status = 201, body = IncidentOut), (status = 422, body = crate::error::ErrorBody)))]
async fn create(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<IncidentIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    caller.require("incidents.write")?;
    let detected_at = body
        .detected_at
        .as_deref()
        .map(|t| parse_time("detected_at", t))
        .transpose()?;
    let c = ctx(&headers);
    let new = NewIncident {
        title: body.title,
        summary: body.summary,
        owner: body.owner,
        detected_at,
    };
    let i = breach(&s)?
        .incident_writer(&caller.0, &c)?
        .create(&new)
        .await?;
    Ok((StatusCode::CREATED, Json((&i).into())))
}

/// An incident with its timeline and exposures. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number")),
    responses((status = 200, body = IncidentDetail), (status = 404, body = crate::error::ErrorBody)))]
async fn show(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    caller.require("incidents.read")?;
    let id = parse_id(&id)?;
    let c = ctx(&headers);
    let r = breach(&s)?.incident_reader(&caller.0, &c)?;
    let (i, t, e) = (
        r.find(id).await?,
        r.timeline(id).await?,
        r.exposures(id).await?,
    );
    Ok(Json(IncidentDetail {
        incident: (&i).into(),
        timeline: t.iter().map(Into::into).collect(),
        exposures: e.iter().map(Into::into).collect(),
    }))
}

/// Change an incident (status, owner, milestone dates, key/CPNI exposure, SEC, findings); each
/// change is an event on its timeline. Needs `incidents.write`.
#[utoipa::path(post, path = "/v1/incidents/{id}/events", tag = "breach", security(("api_key" = [])), request_body = ChangeIn,
    params(("id" = String, Path, description = "Incident number")),
    responses((status = 200, body = [EventOut]), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn change(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangeIn>,
) -> Result<Json<Vec<EventOut>>, ApiError> {
    caller.require("incidents.write")?;
    let id = parse_id(&id)?;
    let list = changes(&body, s.clock.now())?;
    let c = ctx(&headers);
    let w = breach(&s)?.incident_writer(&caller.0, &c)?;
    let mut out = Vec::new();
    for ch in &list {
        out.push((&w.change(id, ch, &body.note).await?).into());
    }
    Ok(Json(out))
}

/// The incident's exposures. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}/exposures", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number")),
    responses((status = 200, body = [ExposureOut]), (status = 404, body = crate::error::ErrorBody)))]
async fn exposures(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<ExposureOut>>, ApiError> {
    caller.require("incidents.read")?;
    let c = ctx(&headers);
    let list = breach(&s)?
        .incident_reader(&caller.0, &c)?
        .exposures(parse_id(&id)?)
        .await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}

/// Record an exposure of a dataset (optionally some columns) or of a principal's reads over a
/// window. Needs `incidents.write` (and `audit.read` for a principal).
#[utoipa::path(post, path = "/v1/incidents/{id}/exposures", tag = "breach", security(("api_key" = [])), request_body = ExposureIn,
    params(("id" = String, Path, description = "Incident number")),
    responses((status = 201, body = ExposureOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn expose(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ExposureIn>,
) -> Result<(StatusCode, Json<ExposureOut>), ApiError> {
    caller.require("incidents.write")?;
    let id = parse_id(&id)?;
    let source = match (&b.dataset, &b.principal) {
        (Some(d), None) => ExposureSource::Dataset {
            name: d.parse().map_err(|e: BreachError| ApiError::from(e))?,
            columns: b.columns.clone(),
        },
        (None, Some(p)) => {
            let from = parse_time(
                "from",
                b.from
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("from", "is required with principal"))?,
            )?;
            let to = parse_time(
                "to",
                b.to.as_deref()
                    .ok_or_else(|| ApiError::invalid("to", "is required with principal"))?,
            )?;
            ExposureSource::Principal {
                name: p.clone(),
                from,
                to,
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "body",
                "give exactly one of dataset or principal",
            ));
        }
    };
    let occurred_at = match &b.occurred_at {
        Some(t) => parse_time("occurred_at", t)?,
        None => s.clock.now(),
    };
    let meta = ExposureMeta {
        occurred_at,
        note: b.note.clone(),
        form: form(b.form.as_deref())?,
    };
    let c = ctx(&headers);
    let e = breach(&s)?
        .incident_writer(&caller.0, &c)?
        .expose(id, &meta, &source, &|_| {})
        .await?;
    Ok((StatusCode::CREATED, Json((&e).into())))
}

#[derive(Deserialize, IntoParams)]
struct UploadQuery {
    /// The file's name, as the attacker's copy was called.
    name: String,
    /// `csv` (default) or `ndjson`.
    format: Option<String>,
    /// `clear` (default) or `encrypted`.
    form: Option<String>,
    /// When it was taken (default: now).
    occurred_at: Option<String>,
    /// A note.
    note: Option<String>,
}

/// Record an exposed file, sent as the body (CSV or NDJSON, at most 64 MiB): identifier columns
/// are found by header and content, rows resolved to people, unmatched identifiers counted. The
/// file is never written to disk. Needs `incidents.write` and `people.search`.
#[utoipa::path(post, path = "/v1/incidents/{id}/exposures/upload", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number"), UploadQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ExposureOut), (status = 422, body = crate::error::ErrorBody)))]
async fn upload(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ExposureOut>), ApiError> {
    caller.require("incidents.write")?;
    let id = parse_id(&id)?;
    let format = match q.format.as_deref() {
        None | Some("csv") => FileFormat::Csv,
        Some("ndjson") => FileFormat::Ndjson,
        Some(_) => return Err(ApiError::invalid("format", "must be csv or ndjson")),
    };
    let occurred_at = match &q.occurred_at {
        Some(t) => parse_time("occurred_at", t)?,
        None => s.clock.now(),
    };
    let meta = ExposureMeta {
        occurred_at,
        note: q.note.unwrap_or_default(),
        form: form(q.form.as_deref())?,
    };
    let source = ExposureSource::Upload {
        name: q.name,
        data: FileBytes(body.to_vec()),
        format,
    };
    let c = ctx(&headers);
    let e = breach(&s)?
        .incident_writer(&caller.0, &c)?
        .expose(id, &meta, &source, &|_| {})
        .await?;
    Ok((StatusCode::CREATED, Json((&e).into())))
}

#[derive(Deserialize, IntoParams)]
struct VersionQuery {
    /// The impact version (default: latest).
    version: Option<i64>,
    /// With `true`, also what changed since the previous version.
    diff: Option<bool>,
    /// `html`, `json` or `csv` (report); `json` or `csv` (cohorts).
    format: Option<String>,
}

/// An impact version (the latest by default), optionally with its diff. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}/impact", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number"), VersionQuery),
    responses((status = 200, body = ImpactOut), (status = 404, body = crate::error::ErrorBody)))]
async fn impact(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<ImpactOut>, ApiError> {
    caller.require("incidents.read")?;
    let id = parse_id(&id)?;
    let c = ctx(&headers);
    let r = breach(&s)?.incident_reader(&caller.0, &c)?;
    let v = r.impact(id, q.version).await?;
    let mut out: ImpactOut = (&v).into();
    if q.diff == Some(true) {
        out.diff = Some((&r.impact_diff(id, None, Some(v.version)).await?).into());
    }
    Ok(Json(out))
}

/// Recompute impact from the exposures into a new version; returns it with its diff against
/// the previous one. Needs `incidents.write`.
#[utoipa::path(post, path = "/v1/incidents/{id}/impact", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number")),
    responses((status = 201, body = ImpactOut), (status = 404, body = crate::error::ErrorBody)))]
async fn recompute(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ImpactOut>), ApiError> {
    caller.require("incidents.write")?;
    let id = parse_id(&id)?;
    let c = ctx(&headers);
    let svc = breach(&s)?;
    let v = svc
        .incident_writer(&caller.0, &c)?
        .recompute_impact(id)
        .await?;
    let mut out: ImpactOut = (&v).into();
    out.diff = Some(
        (&svc
            .incident_reader(&caller.0, &c)?
            .impact_diff(id, None, Some(v.version))
            .await?)
            .into(),
    );
    Ok((StatusCode::CREATED, Json(out)))
}

/// The cohorts of a version, as JSON or (`?format=csv`) CSV. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}/cohorts", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number"), VersionQuery),
    responses((status = 200, body = CohortsOut), (status = 404, body = crate::error::ErrorBody)))]
async fn cohorts(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, ApiError> {
    caller.require("incidents.read")?;
    let c = ctx(&headers);
    let t = breach(&s)?
        .incident_reader(&caller.0, &c)?
        .cohorts(parse_id(&id)?, q.version)
        .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(CohortsOut::from(&t)).into_response()),
        Some("csv") => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            t.to_csv(),
        )
            .into_response()),
        Some(_) => Err(ApiError::invalid("format", "must be json or csv")),
    }
}

/// The notification obligations plan for a version (decision support, not legal advice). Needs
/// `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}/obligations", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number"), VersionQuery),
    responses((status = 200, body = PlanOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn obligations(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<PlanOut>, ApiError> {
    caller.require("incidents.read")?;
    let c = ctx(&headers);
    let p = breach(&s)?
        .incident_reader(&caller.0, &c)?
        .obligations(parse_id(&id)?, q.version)
        .await?;
    Ok(Json((&p).into()))
}

/// The incident report: `?format=html` (default), `json`, or `csv` — the affected people as ids
/// with their cohorts, streamed. Needs `incidents.read`.
#[utoipa::path(get, path = "/v1/incidents/{id}/report", tag = "breach", security(("api_key" = [])),
    params(("id" = String, Path, description = "Incident number"), VersionQuery),
    responses((status = 200, body = ReportOut, description = "JSON; HTML and CSV with their content types"),
              (status = 404, body = crate::error::ErrorBody)))]
async fn report(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, ApiError> {
    caller.require("incidents.read")?;
    let id = parse_id(&id)?;
    let c = ctx(&headers);
    let svc = breach(&s)?;
    let r = svc.incident_reader(&caller.0, &c)?;
    match q.format.as_deref() {
        None | Some("html") => {
            let html = custodian_breach::report::html(&r.report(id, q.version).await?);
            Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
        }
        Some("json") => Ok(Json(ReportOut::from(&r.report(id, q.version).await?)).into_response()),
        Some("csv") => {
            let v = r.impact(id, q.version).await?;
            Ok(affected_csv(svc.clone(), caller, c.clone(), v))
        }
        Some(_) => Err(ApiError::invalid("format", "must be html, json or csv")),
    }
}

/// The datasets of the inventory. Needs `inventory.read`.
#[utoipa::path(get, path = "/v1/inventory/datasets", tag = "breach", security(("api_key" = [])),
    responses((status = 200, body = [DatasetOut]), (status = 403, body = crate::error::ErrorBody)))]
async fn datasets(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<DatasetOut>>, ApiError> {
    caller.require("inventory.read")?;
    let c = ctx(&headers);
    let list = breach(&s)?.inventory_reader(&caller.0, &c)?.list().await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}
