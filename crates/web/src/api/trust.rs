//! `/v1/trust…`: the Trust Center's administration over HTTP. Attestations and their documents,
//! access requests (approve, deny), grants (revoke), auto-approve domains and the view/download
//! figures; advisories and incident notices (draft, revise, publish — publishing mails the
//! topic's subscribers); subscribers; disclosure reports (triage through the state machine),
//! the bounty table and payouts; and the authored content — practices pages, subprocessors, FAQ
//! and the disclosure scope. Reads need `trust.read`, changes `trust.write`. The public pages and
//! feeds are in [`crate::trust`].

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use custodian_db::Timestamp;
use custodian_trust::{
    AccessRequest, Advisory, AdvisoryKind, Attestation, FaqEntry, NewAdvisory, NewAttestation,
    PracticePage, Report, ReportState, ScopeAsset, Severity, Subprocessor, TrustError,
    TrustService, Visibility,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::parse_time;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::trust::day;

/// The largest attestation document the route reads (the service applies its own limit too).
const DOCUMENT_LIMIT: usize = 64 * 1024 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/trust/attestations",
            get(attestations).post(create_attestation),
        )
        .route(
            "/v1/trust/attestations/{slug}/document",
            put(upload_document).layer(DefaultBodyLimit::max(DOCUMENT_LIMIT)),
        )
        .route("/v1/trust/access-requests", get(access_requests))
        .route("/v1/trust/access-requests/{id}/approve", post(approve))
        .route("/v1/trust/access-requests/{id}/deny", post(deny))
        .route("/v1/trust/grants/{id}/revoke", post(revoke))
        .route("/v1/trust/auto-approve", post(auto_approve))
        .route("/v1/trust/stats", get(stats))
        .route(
            "/v1/trust/advisories",
            get(advisories).post(create_advisory),
        )
        .route("/v1/trust/advisories/{slug}/revisions", post(revise))
        .route("/v1/trust/advisories/{slug}/publish", post(publish))
        .route("/v1/trust/subscribers", get(subscribers))
        .route("/v1/trust/reports", get(reports))
        .route("/v1/trust/reports/close-stale", post(close_stale))
        .route("/v1/trust/reports/{id}", get(report))
        .route("/v1/trust/reports/{id}/state", post(transition))
        .route("/v1/trust/bounty", get(bounty).put(set_bounty))
        .route("/v1/trust/payouts", get(payouts).post(add_payout))
        .route("/v1/trust/pages", get(pages))
        .route("/v1/trust/pages/{slug}", put(put_page).delete(delete_page))
        .route(
            "/v1/trust/subprocessors",
            get(subprocessors).post(put_subprocessor),
        )
        .route("/v1/trust/subprocessors/{id}", delete(delete_subprocessor))
        .route("/v1/trust/faq", get(faq).post(put_faq))
        .route("/v1/trust/faq/{id}", delete(delete_faq))
        .route("/v1/trust/scope", get(scope).post(put_scope))
        .route("/v1/trust/scope/{id}", delete(delete_scope))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        attestations,
        create_attestation,
        upload_document,
        access_requests,
        approve,
        deny,
        revoke,
        auto_approve,
        stats,
        advisories,
        create_advisory,
        revise,
        publish,
        subscribers,
        reports,
        close_stale,
        report,
        transition,
        bounty,
        set_bounty,
        payouts,
        add_payout,
        pages,
        put_page,
        delete_page,
        subprocessors,
        put_subprocessor,
        delete_subprocessor,
        faq,
        put_faq,
        delete_faq,
        scope,
        put_scope,
        delete_scope
    ),
    components(schemas(
        AttestationIn,
        AttestationOut,
        RequestOut,
        ApprovedOut,
        DomainIn,
        StatsOut,
        AdvisoryIn,
        AdvisoryOut,
        RevisionIn,
        PublishedOut,
        SubscriberOut,
        ReportOut,
        CommentOut,
        ReportDetailOut,
        TransitionIn,
        ClosedOut,
        BountyRowIo,
        PayoutIn,
        PayoutOut,
        PageIn,
        PageOut,
        SubprocessorIn,
        SubprocessorOut,
        FaqIn,
        FaqOut,
        ScopeIn,
        ScopeOut
    ))
)]
pub(super) struct Doc;

/// The service, or 503 when the Trust Center is not configured.
fn trust(s: &AppState) -> Result<&TrustService, ApiError> {
    s.trust.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the Trust Center is not configured",
        )
    })
}

impl From<TrustError> for ApiError {
    fn from(e: TrustError) -> Self {
        match &e {
            TrustError::Invalid { field, reason } => ApiError::invalid(field, reason.clone()),
            TrustError::NotFound => ApiError::not_found("no such item"),
            TrustError::Duplicate(_) | TrustError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            TrustError::BadLink => ApiError::new(StatusCode::GONE, "gone", e.to_string()),
            TrustError::TooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                e.to_string(),
            ),
            TrustError::WrongType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                e.to_string(),
            ),
            TrustError::BadTransition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "bad_transition", e.to_string())
            }
            TrustError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            _ => ApiError::internal(&e),
        }
    }
}

fn parsed<T>(field: &str, r: Result<T, TrustError>) -> Result<T, ApiError> {
    r.map_err(|e| ApiError::invalid(field, e.to_string()))
}

// ---- attestations -------------------------------------------------------------------------

/// A new attestation (certification, audit report, penetration test).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttestationIn {
    /// URL name: 1 to 80 of `a-z`, `0-9` and `-`.
    slug: String,
    title: String,
    issuer: String,
    /// `ISO/IEC 27001:2022`, `SOC 2 Type 2`, …
    standard: String,
    scope: String,
    description: String,
    /// First day of the period covered (`YYYY-MM-DD` or RFC 3339).
    period_start: String,
    /// Last day of the period covered.
    period_end: String,
    /// Issue date.
    issued: String,
    /// Expiry date.
    expires: String,
    /// `public`, `teaser` (description shown, file gated), `gated` or `hidden`.
    visibility: String,
}

/// An attestation as admins see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttestationOut {
    id: i64,
    slug: String,
    title: String,
    issuer: String,
    standard: String,
    scope: String,
    description: String,
    period_start: String,
    period_end: String,
    issued: String,
    expires: String,
    visibility: String,
    /// `current`, `expiring` (within 60 days) or `expired`.
    status: String,
    /// The document's file name, if one is uploaded.
    document: Option<String>,
    /// The document's size in bytes.
    document_bytes: Option<i64>,
}

pub(crate) fn attestation_status(a: &Attestation, now: Timestamp) -> &'static str {
    if a.is_expired(now) {
        "expired"
    } else if a.is_expiring(now) {
        "expiring"
    } else {
        "current"
    }
}

fn attestation_out(a: &Attestation, now: Timestamp) -> AttestationOut {
    AttestationOut {
        id: a.id,
        slug: a.slug.clone(),
        title: a.title.clone(),
        issuer: a.issuer.clone(),
        standard: a.standard.clone(),
        scope: a.scope.clone(),
        description: a.description.clone(),
        period_start: day(a.period_start),
        period_end: day(a.period_end),
        issued: day(a.issued_at),
        expires: day(a.expires_at),
        visibility: a.visibility.as_str().to_owned(),
        status: attestation_status(a, now).to_owned(),
        document: a.document.as_ref().map(|d| d.0.clone()),
        document_bytes: a.document.as_ref().map(|d| d.2),
    }
}

/// Every attestation, hidden ones included, with its expiry status.
#[utoipa::path(get, path = "/v1/trust/attestations", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [AttestationOut]), (status = 403, body = crate::error::ErrorBody)))]
async fn attestations(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<AttestationOut>>, ApiError> {
    caller.require("trust.read")?;
    let t = trust(&s)?;
    let now = t.now();
    let list = t.attestations(true).await?;
    Ok(Json(list.iter().map(|a| attestation_out(a, now)).collect()))
}

/// Add an attestation; upload its document with `PUT …/document`.
#[utoipa::path(post, path = "/v1/trust/attestations", tag = "trust", security(("api_key" = [])),
    request_body = AttestationIn,
    responses((status = 201, body = AttestationOut), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn create_attestation(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<AttestationIn>,
) -> Result<(StatusCode, Json<AttestationOut>), ApiError> {
    caller.require("trust.write")?;
    let t = trust(&s)?;
    let new = NewAttestation {
        slug: b.slug,
        title: b.title,
        issuer: b.issuer,
        standard: b.standard,
        scope: b.scope,
        description: b.description,
        period_start: parse_time("period_start", &b.period_start)?,
        period_end: parse_time("period_end", &b.period_end)?,
        issued_at: parse_time("issued", &b.issued)?,
        expires_at: parse_time("expires", &b.expires)?,
        visibility: parsed("visibility", Visibility::parse(&b.visibility))?,
    };
    let a = t.create_attestation(&new).await?;
    Ok((StatusCode::CREATED, Json(attestation_out(&a, t.now()))))
}

/// The file name of an upload.
#[derive(Deserialize, IntoParams)]
pub(crate) struct DocumentQuery {
    /// The file name shown to visitors (default `{slug}.pdf`).
    name: Option<String>,
}

/// Upload (or replace) an attestation's document: the raw file as the body, its type in
/// `Content-Type` (`application/pdf`).
#[utoipa::path(put, path = "/v1/trust/attestations/{slug}/document", tag = "trust",
    security(("api_key" = [])), params(("slug" = String, Path), DocumentQuery),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = AttestationOut), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody)))]
async fn upload_document(
    caller: Caller,
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<DocumentQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AttestationOut>, ApiError> {
    caller.require("trust.write")?;
    let t = trust(&s)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let name = q.name.unwrap_or_else(|| format!("{slug}.pdf"));
    t.upload_document(&slug, &name, &content_type, &body)
        .await?;
    let a = t
        .attestations(true)
        .await?
        .into_iter()
        .find(|a| a.slug == slug)
        .ok_or_else(|| ApiError::not_found("no such attestation"))?;
    Ok(Json(attestation_out(&a, t.now())))
}

/// Which requests to list.
#[derive(Deserialize, IntoParams)]
pub(crate) struct RequestQuery {
    /// `pending`, `approved` or `denied` (default: all).
    status: Option<String>,
}

/// A request for a gated document, with its recorded NDA acceptance.
#[derive(Serialize, ToSchema)]
pub(crate) struct RequestOut {
    id: i64,
    attestation_id: i64,
    attestation: String,
    name: String,
    company: String,
    email: String,
    reason: String,
    /// SHA-256 of the NDA text accepted.
    nda_version: String,
    nda_accepted_at: String,
    ip: String,
    /// `pending`, `approved` or `denied`.
    status: String,
    decided_by: Option<String>,
}

fn request_out(r: &AccessRequest) -> RequestOut {
    RequestOut {
        id: r.id,
        attestation_id: r.attestation_id,
        attestation: r.attestation_title.clone(),
        name: r.name.clone(),
        company: r.company.clone(),
        email: r.email.clone(),
        reason: r.reason.clone(),
        nda_version: r.nda_version.clone(),
        nda_accepted_at: r.nda_accepted_at.to_rfc3339(),
        ip: r.ip.clone(),
        status: r.status.clone(),
        decided_by: r.decided_by.clone(),
    }
}

/// Access requests, newest first.
#[utoipa::path(get, path = "/v1/trust/access-requests", tag = "trust", security(("api_key" = [])),
    params(RequestQuery), responses((status = 200, body = [RequestOut])))]
async fn access_requests(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<RequestQuery>,
) -> Result<Json<Vec<RequestOut>>, ApiError> {
    caller.require("trust.read")?;
    if let Some(st) = q.status.as_deref()
        && !matches!(st, "pending" | "approved" | "denied")
    {
        return Err(ApiError::invalid(
            "status",
            "use pending, approved or denied",
        ));
    }
    let list = trust(&s)?.access_requests(q.status.as_deref()).await?;
    Ok(Json(list.iter().map(request_out).collect()))
}

/// An approval: the magic link mailed to the requester.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApprovedOut {
    request: i64,
    /// The personal link (also mailed); it expires with the grant.
    link: String,
}

/// Approve a pending request: a grant that expires after the configured days, and a magic link
/// mailed to the requester.
#[utoipa::path(post, path = "/v1/trust/access-requests/{id}/approve", tag = "trust",
    security(("api_key" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ApprovedOut), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
async fn approve(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ApprovedOut>, ApiError> {
    let p = caller.require("trust.write")?;
    let link = trust(&s)?.approve_request(id, &p.name).await?;
    Ok(Json(ApprovedOut { request: id, link }))
}

/// Deny a pending request.
#[utoipa::path(post, path = "/v1/trust/access-requests/{id}/deny", tag = "trust",
    security(("api_key" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn deny(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let p = caller.require("trust.write")?;
    trust(&s)?.deny_request(id, &p.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke a grant: its magic link stops working at once.
#[utoipa::path(post, path = "/v1/trust/grants/{id}/revoke", tag = "trust",
    security(("api_key" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?.revoke_grant(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An e-mail domain.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DomainIn {
    /// Requests from addresses at this domain are approved at once.
    domain: String,
}

/// Add an auto-approve domain.
#[utoipa::path(post, path = "/v1/trust/auto-approve", tag = "trust", security(("api_key" = [])),
    request_body = DomainIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn auto_approve(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<DomainIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?
        .add_auto_approve(&b.domain)
        .await
        .map_err(|e| match e {
            TrustError::Invalid { reason, .. } => ApiError::invalid("domain", reason),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Views and downloads of one attestation.
#[derive(Serialize, ToSchema)]
pub(crate) struct StatsOut {
    slug: String,
    views: i64,
    downloads: i64,
}

/// Views and downloads per attestation.
#[utoipa::path(get, path = "/v1/trust/stats", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [StatsOut])))]
async fn stats(caller: Caller, State(s): State<AppState>) -> Result<Json<Vec<StatsOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.access_stats().await?;
    Ok(Json(
        list.into_iter()
            .map(|a| StatsOut {
                slug: a.slug,
                views: a.views,
                downloads: a.downloads,
            })
            .collect(),
    ))
}

// ---- advisories ---------------------------------------------------------------------------

/// A new advisory or incident notice (a draft until published).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvisoryIn {
    /// URL name, also the CSAF tracking id.
    slug: String,
    /// `advisory` or `incident`.
    kind: String,
    title: String,
    /// One paragraph, plain text.
    summary: String,
    /// The body, in markdown (raw HTML is shown as text).
    body: String,
    /// A CVSS 3.1 or 4.0 vector.
    #[serde(default)]
    cvss_vector: Option<String>,
    /// The breach-engine incident it concerns.
    #[serde(default)]
    incident_id: Option<String>,
    /// The "was I affected?" lookup (`https://…` or site-relative).
    #[serde(default)]
    lookup_url: Option<String>,
}

/// A notice.
#[derive(Serialize, ToSchema)]
pub(crate) struct AdvisoryOut {
    id: i64,
    slug: String,
    kind: String,
    topic: String,
    title: String,
    summary: String,
    body: String,
    cvss_vector: Option<String>,
    incident_id: Option<String>,
    lookup_url: Option<String>,
    version: i64,
    published_at: Option<String>,
    updated_at: String,
}

fn advisory_out(a: &Advisory) -> AdvisoryOut {
    AdvisoryOut {
        id: a.id,
        slug: a.slug.clone(),
        kind: a.kind.as_str().to_owned(),
        topic: a.topic.as_str().to_owned(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        body: a.body_md.clone(),
        cvss_vector: a.cvss_vector.clone(),
        incident_id: a.incident_id.clone(),
        lookup_url: a.lookup_url.clone(),
        version: a.version,
        published_at: a.published_at.map(Timestamp::to_rfc3339),
        updated_at: a.updated_at.to_rfc3339(),
    }
}

/// Every notice, drafts included.
#[utoipa::path(get, path = "/v1/trust/advisories", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [AdvisoryOut])))]
async fn advisories(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<AdvisoryOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.all_advisories().await?;
    Ok(Json(list.iter().map(advisory_out).collect()))
}

/// Draft a notice.
#[utoipa::path(post, path = "/v1/trust/advisories", tag = "trust", security(("api_key" = [])),
    request_body = AdvisoryIn,
    responses((status = 201, body = AdvisoryOut), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn create_advisory(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<AdvisoryIn>,
) -> Result<(StatusCode, Json<AdvisoryOut>), ApiError> {
    caller.require("trust.write")?;
    let new = NewAdvisory {
        slug: b.slug,
        kind: parsed("kind", AdvisoryKind::parse(&b.kind))?,
        title: b.title,
        summary: b.summary,
        body_md: b.body,
        cvss_vector: b.cvss_vector.filter(|v| !v.trim().is_empty()),
        incident_id: b.incident_id.filter(|v| !v.trim().is_empty()),
        lookup_url: b.lookup_url.filter(|v| !v.trim().is_empty()),
    };
    let a = trust(&s)?.create_advisory(&new).await?;
    Ok((StatusCode::CREATED, Json(advisory_out(&a))))
}

/// A revision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevisionIn {
    summary: String,
    /// The new body, in markdown.
    body: String,
}

/// Revise a notice: a new version with its own date (published notices keep their history).
#[utoipa::path(post, path = "/v1/trust/advisories/{slug}/revisions", tag = "trust",
    security(("api_key" = [])), params(("slug" = String, Path)), request_body = RevisionIn,
    responses((status = 200, body = AdvisoryOut), (status = 404, body = crate::error::ErrorBody)))]
async fn revise(
    caller: Caller,
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<RevisionIn>,
) -> Result<Json<AdvisoryOut>, ApiError> {
    caller.require("trust.write")?;
    let a = trust(&s)?
        .revise_advisory(&slug, &b.summary, &b.body)
        .await?;
    Ok(Json(advisory_out(&a)))
}

/// A publication.
#[derive(Serialize, ToSchema)]
pub(crate) struct PublishedOut {
    advisory: AdvisoryOut,
    /// Subscribers of the notice's topic who were mailed.
    mailed: usize,
}

/// Publish a draft: it appears on the site and in the feeds, and the confirmed subscribers of
/// its topic are mailed. Publishing twice is refused.
#[utoipa::path(post, path = "/v1/trust/advisories/{slug}/publish", tag = "trust",
    security(("api_key" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = PublishedOut), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
async fn publish(
    caller: Caller,
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<PublishedOut>, ApiError> {
    caller.require("trust.write")?;
    let (a, mailed) = trust(&s)?.publish_advisory(&slug).await?;
    Ok(Json(PublishedOut {
        advisory: advisory_out(&a),
        mailed,
    }))
}

/// A subscriber.
#[derive(Serialize, ToSchema)]
pub(crate) struct SubscriberOut {
    email: String,
    topics: Vec<String>,
    /// `pending` (not confirmed), `active` or `unsubscribed`.
    status: String,
    confirmed_at: Option<String>,
    unsubscribed_at: Option<String>,
}

/// Subscribers and their state.
#[utoipa::path(get, path = "/v1/trust/subscribers", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [SubscriberOut])))]
async fn subscribers(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<SubscriberOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.subscribers().await?;
    Ok(Json(
        list.iter()
            .map(|x| SubscriberOut {
                email: x.email.clone(),
                topics: x
                    .topics
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                status: if x.unsubscribed_at.is_some() {
                    "unsubscribed"
                } else if x.is_active() {
                    "active"
                } else {
                    "pending"
                }
                .to_owned(),
                confirmed_at: x.confirmed_at.map(Timestamp::to_rfc3339),
                unsubscribed_at: x.unsubscribed_at.map(Timestamp::to_rfc3339),
            })
            .collect(),
    ))
}

// ---- disclosure reports -------------------------------------------------------------------

/// Which reports to list.
#[derive(Deserialize, IntoParams)]
pub(crate) struct ReportQuery {
    /// A state (`new`, `triaged`, `needs_more_info`, …); default all.
    state: Option<String>,
}

/// A vulnerability report.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportOut {
    id: i64,
    /// The researcher's handle.
    researcher: String,
    title: String,
    asset: String,
    weakness: String,
    description: String,
    steps: String,
    impact: String,
    cvss_vector: Option<String>,
    /// The CVSS base score.
    score: Option<f64>,
    severity: String,
    state: String,
    duplicate_of: Option<i64>,
    created_at: String,
    state_changed_at: String,
}

fn report_out(r: &Report) -> ReportOut {
    ReportOut {
        id: r.id,
        researcher: r.handle.clone(),
        title: r.title.clone(),
        asset: r.asset.clone(),
        weakness: r.weakness.clone(),
        description: r.description.clone(),
        steps: r.steps.clone(),
        impact: r.impact.clone(),
        cvss_vector: r.cvss_vector.clone(),
        score: r.score_tenths.map(|t| t as f64 / 10.0),
        severity: r.severity.as_str().to_owned(),
        state: r.state.as_str().to_owned(),
        duplicate_of: r.duplicate_of,
        created_at: r.created_at.to_rfc3339(),
        state_changed_at: r.state_changed_at.to_rfc3339(),
    }
}

/// One comment of a report's thread.
#[derive(Serialize, ToSchema)]
pub(crate) struct CommentOut {
    /// `staff`, `researcher` or `system`.
    author: String,
    body: String,
    from: Option<String>,
    to: Option<String>,
    at: String,
}

/// A report with its thread.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportDetailOut {
    report: ReportOut,
    comments: Vec<CommentOut>,
}

/// Reports, newest first.
#[utoipa::path(get, path = "/v1/trust/reports", tag = "trust", security(("api_key" = [])),
    params(ReportQuery), responses((status = 200, body = [ReportOut]),
        (status = 422, body = crate::error::ErrorBody)))]
async fn reports(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<Vec<ReportOut>>, ApiError> {
    caller.require("trust.read")?;
    let state = match q.state.as_deref() {
        Some(st) => Some(parsed("state", ReportState::parse(st))?),
        None => None,
    };
    let list = trust(&s)?.reports(state).await?;
    Ok(Json(list.iter().map(report_out).collect()))
}

/// A report and its thread.
#[utoipa::path(get, path = "/v1/trust/reports/{id}", tag = "trust", security(("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ReportDetailOut), (status = 404, body = crate::error::ErrorBody)))]
async fn report(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ReportDetailOut>, ApiError> {
    caller.require("trust.read")?;
    let (r, comments) = trust(&s)?.report(id).await?;
    Ok(Json(ReportDetailOut {
        report: report_out(&r),
        comments: comments
            .into_iter()
            .map(|c| CommentOut {
                author: c.author,
                body: c.body,
                from: c.from,
                to: c.to,
                at: c.at.to_rfc3339(),
            })
            .collect(),
    }))
}

/// A state change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionIn {
    /// The new state.
    state: String,
    /// The comment mailed to the researcher.
    comment: String,
    /// The original report, for `duplicate`.
    #[serde(default)]
    duplicate_of: Option<i64>,
}

/// Move a report to a new state with a comment (mailed to the researcher); the state machine
/// refuses moves the programme does not allow.
#[utoipa::path(post, path = "/v1/trust/reports/{id}/state", tag = "trust",
    security(("api_key" = [])), params(("id" = i64, Path)), request_body = TransitionIn,
    responses((status = 200, body = ReportOut), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn transition(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TransitionIn>,
) -> Result<Json<ReportOut>, ApiError> {
    caller.require("trust.write")?;
    let to = parsed("state", ReportState::parse(&b.state))?;
    let r = trust(&s)?
        .transition_report(id, to, &b.comment, b.duplicate_of)
        .await?;
    Ok(Json(report_out(&r)))
}

/// How many reports were closed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClosedOut {
    closed: usize,
}

/// Close as informative every report that has waited for more information for 30 days.
#[utoipa::path(post, path = "/v1/trust/reports/close-stale", tag = "trust",
    security(("api_key" = [])), responses((status = 200, body = ClosedOut)))]
async fn close_stale(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<ClosedOut>, ApiError> {
    caller.require("trust.write")?;
    let closed = trust(&s)?.close_stale_reports().await?;
    Ok(Json(ClosedOut { closed }))
}

/// One row of the bounty table, in cents.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BountyRowIo {
    /// `low`, `medium`, `high` or `critical`.
    severity: String,
    min_cents: i64,
    max_cents: i64,
}

/// The bounty table.
#[utoipa::path(get, path = "/v1/trust/bounty", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [BountyRowIo])))]
async fn bounty(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<BountyRowIo>>, ApiError> {
    caller.require("trust.read")?;
    let rows = trust(&s)?.bounty_table().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| BountyRowIo {
                severity: r.severity.as_str().to_owned(),
                min_cents: r.min_cents,
                max_cents: r.max_cents,
            })
            .collect(),
    ))
}

/// Set the award range for a severity.
#[utoipa::path(put, path = "/v1/trust/bounty", tag = "trust", security(("api_key" = [])),
    request_body = BountyRowIo,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn set_bounty(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<BountyRowIo>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    let sev = parsed("severity", Severity::parse(&b.severity))?;
    trust(&s)?.set_bounty(sev, b.min_cents, b.max_cents).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A payout to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayoutIn {
    report: i64,
    amount_cents: i64,
    note: String,
}

/// A payout in the ledger.
#[derive(Serialize, ToSchema)]
pub(crate) struct PayoutOut {
    report: i64,
    researcher: String,
    amount_cents: i64,
    note: String,
    at: String,
}

/// The payouts ledger.
#[utoipa::path(get, path = "/v1/trust/payouts", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [PayoutOut])))]
async fn payouts(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<PayoutOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.payouts().await?;
    Ok(Json(
        list.into_iter()
            .map(|p| PayoutOut {
                report: p.report_id,
                researcher: p.handle,
                amount_cents: p.amount_cents,
                note: p.note,
                at: p.at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Record a payout for a resolved report.
#[utoipa::path(post, path = "/v1/trust/payouts", tag = "trust", security(("api_key" = [])),
    request_body = PayoutIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn add_payout(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<PayoutIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?
        .record_payout(b.report, b.amount_cents, &b.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- authored content ---------------------------------------------------------------------

/// A practices page to save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageIn {
    title: String,
    /// The body, in markdown.
    body: String,
    /// Order in the list (default 0).
    #[serde(default)]
    position: i64,
}

/// A practices page.
#[derive(Serialize, ToSchema)]
pub(crate) struct PageOut {
    slug: String,
    title: String,
    body: String,
    position: i64,
    updated_at: String,
}

fn page_out(p: &PracticePage) -> PageOut {
    PageOut {
        slug: p.slug.clone(),
        title: p.title.clone(),
        body: p.body_md.clone(),
        position: p.position,
        updated_at: p.updated_at.to_rfc3339(),
    }
}

/// The security practices pages.
#[utoipa::path(get, path = "/v1/trust/pages", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [PageOut])))]
async fn pages(caller: Caller, State(s): State<AppState>) -> Result<Json<Vec<PageOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.practice_pages().await?;
    Ok(Json(list.iter().map(page_out).collect()))
}

/// Create or replace a practices page (shown at `/practices/{slug}`).
#[utoipa::path(put, path = "/v1/trust/pages/{slug}", tag = "trust", security(("api_key" = [])),
    params(("slug" = String, Path)), request_body = PageIn,
    responses((status = 200, body = PageOut), (status = 422, body = crate::error::ErrorBody)))]
async fn put_page(
    caller: Caller,
    State(s): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<PageIn>,
) -> Result<Json<PageOut>, ApiError> {
    caller.require("trust.write")?;
    let p = trust(&s)?
        .put_practice_page(&slug, &b.title, &b.body, b.position)
        .await?;
    Ok(Json(page_out(&p)))
}

/// Remove a practices page.
#[utoipa::path(delete, path = "/v1/trust/pages/{slug}", tag = "trust", security(("api_key" = [])),
    params(("slug" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_page(
    caller: Caller,
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?.delete_practice_page(&slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subprocessor to save (replaces the one with the same name).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubprocessorIn {
    name: String,
    purpose: String,
    location: String,
    #[serde(default)]
    position: i64,
}

/// A subprocessor.
#[derive(Serialize, ToSchema)]
pub(crate) struct SubprocessorOut {
    id: i64,
    name: String,
    purpose: String,
    location: String,
    position: i64,
}

fn subprocessor_out(x: Subprocessor) -> SubprocessorOut {
    SubprocessorOut {
        id: x.id,
        name: x.name,
        purpose: x.purpose,
        location: x.location,
        position: x.position,
    }
}

/// The subprocessor list.
#[utoipa::path(get, path = "/v1/trust/subprocessors", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [SubprocessorOut])))]
async fn subprocessors(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<SubprocessorOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.subprocessors().await?;
    Ok(Json(list.into_iter().map(subprocessor_out).collect()))
}

/// Add or replace a subprocessor.
#[utoipa::path(post, path = "/v1/trust/subprocessors", tag = "trust", security(("api_key" = [])),
    request_body = SubprocessorIn,
    responses((status = 200, body = SubprocessorOut), (status = 422, body = crate::error::ErrorBody)))]
async fn put_subprocessor(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<SubprocessorIn>,
) -> Result<Json<SubprocessorOut>, ApiError> {
    caller.require("trust.write")?;
    let x = trust(&s)?
        .put_subprocessor(&b.name, &b.purpose, &b.location, b.position)
        .await?;
    Ok(Json(subprocessor_out(x)))
}

/// Remove a subprocessor.
#[utoipa::path(delete, path = "/v1/trust/subprocessors/{id}", tag = "trust",
    security(("api_key" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_subprocessor(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?.delete_subprocessor(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A question to save (replaces the answer of the same question).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaqIn {
    question: String,
    /// The answer, in markdown.
    answer: String,
    #[serde(default)]
    position: i64,
}

/// A question and answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct FaqOut {
    id: i64,
    question: String,
    answer: String,
    position: i64,
}

fn faq_out(f: FaqEntry) -> FaqOut {
    FaqOut {
        id: f.id,
        question: f.question,
        answer: f.answer_md,
        position: f.position,
    }
}

/// The FAQ.
#[utoipa::path(get, path = "/v1/trust/faq", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [FaqOut])))]
async fn faq(caller: Caller, State(s): State<AppState>) -> Result<Json<Vec<FaqOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.faq().await?;
    Ok(Json(list.into_iter().map(faq_out).collect()))
}

/// Add or replace a question.
#[utoipa::path(post, path = "/v1/trust/faq", tag = "trust", security(("api_key" = [])),
    request_body = FaqIn,
    responses((status = 200, body = FaqOut), (status = 422, body = crate::error::ErrorBody)))]
async fn put_faq(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<FaqIn>,
) -> Result<Json<FaqOut>, ApiError> {
    caller.require("trust.write")?;
    let f = trust(&s)?
        .put_faq(&b.question, &b.answer, b.position)
        .await?;
    Ok(Json(faq_out(f)))
}

/// Remove a question.
#[utoipa::path(delete, path = "/v1/trust/faq/{id}", tag = "trust", security(("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_faq(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?.delete_faq(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An asset of the disclosure scope (replaces the entry for the same asset).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopeIn {
    asset: String,
    /// Whether researchers may test it.
    in_scope: bool,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    position: i64,
}

/// An asset of the disclosure scope.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScopeOut {
    id: i64,
    asset: String,
    in_scope: bool,
    notes: String,
    position: i64,
}

fn scope_out(a: ScopeAsset) -> ScopeOut {
    ScopeOut {
        id: a.id,
        asset: a.asset,
        in_scope: a.in_scope,
        notes: a.notes,
        position: a.position,
    }
}

/// The disclosure programme's scope.
#[utoipa::path(get, path = "/v1/trust/scope", tag = "trust", security(("api_key" = [])),
    responses((status = 200, body = [ScopeOut])))]
async fn scope(caller: Caller, State(s): State<AppState>) -> Result<Json<Vec<ScopeOut>>, ApiError> {
    caller.require("trust.read")?;
    let list = trust(&s)?.scope().await?;
    Ok(Json(list.into_iter().map(scope_out).collect()))
}

/// Add or replace a scope entry.
#[utoipa::path(post, path = "/v1/trust/scope", tag = "trust", security(("api_key" = [])),
    request_body = ScopeIn,
    responses((status = 200, body = ScopeOut), (status = 422, body = crate::error::ErrorBody)))]
async fn put_scope(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<ScopeIn>,
) -> Result<Json<ScopeOut>, ApiError> {
    caller.require("trust.write")?;
    let a = trust(&s)?
        .put_scope_asset(&b.asset, b.in_scope, &b.notes, b.position)
        .await?;
    Ok(Json(scope_out(a)))
}

/// Remove a scope entry.
#[utoipa::path(delete, path = "/v1/trust/scope/{id}", tag = "trust", security(("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_scope(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require("trust.write")?;
    trust(&s)?.delete_scope_asset(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
