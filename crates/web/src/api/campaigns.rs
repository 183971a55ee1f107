//! `/v1/campaigns`, `/v1/protection-codes` and `/v1/banner`: notification campaigns over HTTP.
//! Plan a campaign from an incident's impact version, set its templates, import
//! identity-protection codes, check, preview, start, pause, resume and cancel it, and follow its
//! progress; the login banner for the company's own logged-in pages. Reads need `notify.read`,
//! changes `notify.write` (planning and previews also read the incident and the vault, so the
//! caller's role must allow that too). The public "was I affected?" and "is this message really
//! from us?" answers are in [`crate::notices`]; sending is done by the workers of
//! `custodian serve` or `custodian notify send`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_notify::codes::parse_csv;
use custodian_notify::model::parse_channels;
use custodian_notify::template::{TemplateKey, TemplateText};
use custodian_notify::{Campaign, ChannelKind, NewCampaign, Notify, NotifyError, Status};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ctx;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns", get(list).post(create))
        .route("/v1/campaigns/{name}", get(status))
        .route(
            "/v1/campaigns/{name}/templates",
            get(templates).put(set_template),
        )
        .route("/v1/campaigns/{name}/templates/builtin", post(builtin))
        .route("/v1/campaigns/{name}/check", get(check))
        .route("/v1/campaigns/{name}/preview/{person}", get(preview))
        .route("/v1/campaigns/{name}/start", post(start))
        .route("/v1/campaigns/{name}/pause", post(pause))
        .route("/v1/campaigns/{name}/resume", post(resume))
        .route("/v1/campaigns/{name}/cancel", post(cancel))
        .route("/v1/protection-codes", post(import_codes))
        .route("/v1/notices/reports", post(reports))
        .route("/v1/banner/{external_id}", get(banner))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        status,
        templates,
        set_template,
        builtin,
        check,
        preview,
        start,
        pause,
        resume,
        cancel,
        import_codes,
        reports,
        banner
    ),
    components(schemas(
        CampaignIn,
        CampaignOut,
        StatusOut,
        TemplateIn,
        TemplateOut,
        CheckOut,
        PreviewOut,
        ReasonIn,
        CodesOut,
        ReportIn,
        ReportsOut,
        BannerOut
    ))
)]
pub(super) struct Doc;

pub(crate) fn notify(s: &AppState) -> Result<&Notify, ApiError> {
    s.notify.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "notification campaigns are not configured",
        )
    })
}

impl From<NotifyError> for ApiError {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::Auth(a) => a.into(),
            NotifyError::NoCampaign(_) => ApiError::not_found(e.to_string()),
            NotifyError::Invalid(m) => ApiError::invalid("body", m),
            NotifyError::NotReady(_) => {
                ApiError::new(StatusCode::CONFLICT, "not_ready", e.to_string())
            }
            NotifyError::Template { .. } => ApiError::invalid("body", e.to_string()),
            NotifyError::Vault(v) => v.into(),
            NotifyError::Breach(b) => b.into(),
            NotifyError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            other => ApiError::internal(other),
        }
    }
}

/// A new campaign.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CampaignIn {
    /// A unique name: 1-100 letters, digits, `-`, `_` or `.`.
    name: String,
    /// The incident.
    incident: i64,
    /// Its impact version (default: the latest).
    #[serde(default)]
    impact_version: Option<i64>,
    /// The channel order, with fallback left to right (default `["email", "letter"]`).
    #[serde(default)]
    channels: Option<Vec<String>>,
    /// Campaign settings: `company_name`, `company_phone`, `lookup_url`, `verify_url`,
    /// `default_language`, `max_attempts`, `backoff_base_secs`, `lease_secs`,
    /// `error_rate_pause`, `error_window`, `rate_per_sec`, `concurrency`, `date_of_breach`,
    /// `incident_summary`.
    #[serde(default)]
    #[schema(value_type = Object)]
    settings: Option<serde_json::Value>,
    /// Install the built-in English and Spanish templates for every channel.
    #[serde(default)]
    builtin_templates: bool,
}

/// A campaign.
#[derive(Serialize, ToSchema)]
pub(crate) struct CampaignOut {
    id: i64,
    name: String,
    incident: i64,
    impact_version: i64,
    /// `draft`, `running`, `paused`, `cancelled` or `finished`.
    status: String,
    /// Why it is paused or cancelled.
    reason: String,
    channels: Vec<String>,
    /// Who created it.
    principal: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    #[schema(value_type = Object)]
    settings: serde_json::Value,
}

fn time(t: Option<i64>) -> Option<String> {
    t.map(|t| custodian_db::Timestamp(t).to_rfc3339())
}

impl From<&Campaign> for CampaignOut {
    fn from(c: &Campaign) -> Self {
        CampaignOut {
            id: c.id.0,
            name: c.name.clone(),
            incident: c.incident,
            impact_version: c.impact_version,
            status: c.status.as_str().to_owned(),
            reason: c.reason.clone(),
            channels: c.channels.iter().map(|c| c.as_str().to_owned()).collect(),
            principal: c.principal.clone(),
            created_at: custodian_db::Timestamp(c.created_at).to_rfc3339(),
            started_at: time(c.started_at),
            finished_at: time(c.finished_at),
            settings: serde_json::to_value(&c.settings).unwrap_or_default(),
        }
    }
}

/// A campaign's progress.
#[derive(Serialize, ToSchema)]
pub(crate) struct StatusOut {
    campaign: CampaignOut,
    /// People in the audience.
    recipients: u64,
    /// Notices by state.
    by_state: BTreeMap<String, u64>,
    /// Notices by channel, then state.
    by_channel: BTreeMap<String, BTreeMap<String, u64>>,
    /// Notices still open (queued, claimed, soft-failed).
    open: u64,
    /// Notices in a final state.
    done: u64,
    /// Sends per second over the last minute.
    rate_per_sec: f64,
    /// Estimated seconds left at that rate.
    eta_secs: Option<u64>,
    /// Identity-protection codes assigned to this campaign.
    codes_assigned: u64,
    /// Free adult codes in the pool.
    codes_free_adult: u64,
    /// Free minor codes in the pool.
    codes_free_minor: u64,
}

impl From<&Status> for StatusOut {
    fn from(s: &Status) -> Self {
        StatusOut {
            campaign: CampaignOut::from(&s.campaign),
            recipients: s.recipients,
            by_state: s.by_state.clone(),
            by_channel: s.by_channel.clone(),
            open: s.open,
            done: s.done,
            rate_per_sec: s.rate_per_sec,
            eta_secs: s.eta_secs,
            codes_assigned: s.codes_assigned,
            codes_free_adult: s.codes_free_adult,
            codes_free_minor: s.codes_free_minor,
        }
    }
}

/// A template to store.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateIn {
    /// A cohort key (`account_kind:elements`), an account kind, or `*`.
    cohort: String,
    /// `email`, `sms` or `letter`.
    channel: String,
    /// A language code such as `en` or `es`.
    language: String,
    /// The subject line (a template too).
    subject: String,
    /// The body (minijinja; HTML-escaped for e-mail's HTML part).
    body: String,
}

/// A stored template.
#[derive(Serialize, ToSchema)]
pub(crate) struct TemplateOut {
    cohort: String,
    channel: String,
    language: String,
    subject: String,
    body: String,
}

/// What stops a campaign from starting.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckOut {
    /// Whether it may start.
    ready: bool,
    /// Each problem, naming what is missing.
    problems: Vec<String>,
}

/// One person's notice as it would be sent.
#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewOut {
    /// The template used (`cohort/channel/language`).
    template: String,
    subject: String,
    body: String,
}

/// Why a campaign is paused or cancelled.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonIn {
    #[serde(default)]
    reason: Option<String>,
}

/// The result of a code import.
#[derive(Serialize, ToSchema)]
pub(crate) struct CodesOut {
    /// Codes added to the pool.
    added: u64,
    /// Codes already in the pool (ignored).
    duplicates: u64,
}

/// One delivery report from a provider's webhook.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportIn {
    /// The notice: its idempotency key (`notice/{campaign}/{person}/{channel}`, sent with every
    /// message) or the Message-ID the channel returned.
    notice: String,
    /// `delivered`, `bounced` or `complained` (a complaint is treated as a bounce).
    event: String,
    /// The address the report is about (suppressed on a bounce).
    #[serde(default)]
    recipient: Option<String>,
    /// The provider's words.
    #[serde(default)]
    reason: Option<String>,
}

/// What a batch of reports did.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportsOut {
    delivered: u64,
    bounced: u64,
    /// Bounced notices for which the next channel was queued.
    fallen_back: u64,
    /// Reports already applied.
    unchanged: u64,
    /// Reports naming no notice of ours.
    unknown: u64,
}

/// The most reports one call may carry.
const MAX_REPORTS: usize = 10_000;

/// The login banner for one customer.
#[derive(Serialize, ToSchema)]
pub(crate) struct BannerOut {
    /// Whether the customer was affected.
    affected: bool,
    /// What to show.
    message: String,
    /// Where their notice's lookup page is (empty when not affected).
    link: String,
}

/// List campaigns. Needs `notify.read`.
#[utoipa::path(get, path = "/v1/campaigns", tag = "notify", security(("api_key" = [])),
    responses((status = 200, body = [CampaignOut]), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<CampaignOut>>, ApiError> {
    caller.require("notify.read")?;
    let cs = notify(&s)?.list(&caller.0).await?;
    Ok(Json(cs.iter().map(CampaignOut::from).collect()))
}

/// Create a campaign from an impact version and plan its audience: one recipient per affected
/// person, on the first channel their contact data allows. Nothing is sent until it starts.
/// Needs `notify.write`, `incidents.read` and `people.read`.
#[utoipa::path(post, path = "/v1/campaigns", tag = "notify", security(("api_key" = [])),
    request_body = CampaignIn,
    responses((status = 201, body = StatusOut), (status = 422, body = crate::error::ErrorBody)))]
async fn create(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CampaignIn>,
) -> Result<(StatusCode, Json<StatusOut>), ApiError> {
    caller.require("notify.write")?;
    let n = notify(&s)?;
    let channels = match &body.channels {
        Some(cs) => parse_channels(&cs.join(",")).map_err(|m| ApiError::invalid("channels", m))?,
        None => vec![ChannelKind::Email, ChannelKind::Letter],
    };
    let settings = match body.settings {
        Some(v) => {
            serde_json::from_value(v).map_err(|e| ApiError::invalid("settings", e.to_string()))?
        }
        None => custodian_notify::Settings::default(),
    };
    n.create(
        &caller.0,
        &ctx(&headers),
        &NewCampaign {
            name: body.name.clone(),
            incident: body.incident,
            impact_version: body.impact_version,
            channels,
            settings,
        },
        &|_| {},
    )
    .await?;
    if body.builtin_templates {
        n.install_builtin_templates(&caller.0, &body.name).await?;
    }
    let st = n.status(&caller.0, &body.name).await?;
    Ok((StatusCode::CREATED, Json(StatusOut::from(&st))))
}

/// A campaign's progress: counts by state and channel, rate, time left, codes. Needs
/// `notify.read`.
#[utoipa::path(get, path = "/v1/campaigns/{name}", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign's name or id")),
    responses((status = 200, body = StatusOut), (status = 404, body = crate::error::ErrorBody)))]
async fn status(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<StatusOut>, ApiError> {
    caller.require("notify.read")?;
    let st = notify(&s)?.status(&caller.0, &name).await?;
    Ok(Json(StatusOut::from(&st)))
}

fn template_list(ts: &BTreeMap<TemplateKey, TemplateText>) -> Vec<TemplateOut> {
    ts.iter()
        .map(|(k, t)| TemplateOut {
            cohort: k.cohort.clone(),
            channel: k.channel.as_str().to_owned(),
            language: k.language.clone(),
            subject: t.subject.clone(),
            body: t.body.clone(),
        })
        .collect()
}

/// A campaign's templates. Needs `notify.read`.
#[utoipa::path(get, path = "/v1/campaigns/{name}/templates", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")),
    responses((status = 200, body = [TemplateOut]), (status = 404, body = crate::error::ErrorBody)))]
async fn templates(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    caller.require("notify.read")?;
    let ts = notify(&s)?.templates(&caller.0, &name).await?;
    Ok(Json(template_list(&ts)))
}

/// Store one template (draft campaigns only). Needs `notify.write`. Answers the whole set.
#[utoipa::path(put, path = "/v1/campaigns/{name}/templates", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")), request_body = TemplateIn,
    responses((status = 200, body = [TemplateOut]), (status = 422, body = crate::error::ErrorBody)))]
async fn set_template(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TemplateIn>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    caller.require("notify.write")?;
    let n = notify(&s)?;
    let channel: ChannelKind = body
        .channel
        .parse()
        .map_err(|m| ApiError::invalid("channel", m))?;
    let key = TemplateKey {
        cohort: body.cohort,
        channel,
        language: body.language,
    };
    n.set_template(
        &caller.0,
        &name,
        &key,
        &TemplateText {
            subject: body.subject,
            body: body.body,
        },
    )
    .await?;
    Ok(Json(template_list(&n.templates(&caller.0, &name).await?)))
}

/// Install the built-in English and Spanish templates for every channel (draft campaigns only).
/// Needs `notify.write`.
#[utoipa::path(post, path = "/v1/campaigns/{name}/templates/builtin", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")),
    responses((status = 200, body = [TemplateOut]), (status = 404, body = crate::error::ErrorBody)))]
async fn builtin(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    caller.require("notify.write")?;
    let n = notify(&s)?;
    n.install_builtin_templates(&caller.0, &name).await?;
    Ok(Json(template_list(&n.templates(&caller.0, &name).await?)))
}

/// Everything that stops the campaign from starting: missing templates, placeholders that do not
/// resolve, content an affected jurisdiction requires, too few protection codes. Needs
/// `notify.read`.
#[utoipa::path(get, path = "/v1/campaigns/{name}/check", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")),
    responses((status = 200, body = CheckOut), (status = 404, body = crate::error::ErrorBody)))]
async fn check(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<CheckOut>, ApiError> {
    caller.require("notify.read")?;
    let problems = notify(&s)?.check(&caller.0, &ctx(&headers), &name).await?;
    Ok(Json(CheckOut {
        ready: problems.is_empty(),
        problems,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// `email`, `sms` or `letter` (default: the campaign's first channel).
    channel: Option<String>,
}

/// Render one person's notice (external or opaque id) as it would be sent, from the vault under
/// the caller's role and with the purpose recorded. Needs `notify.read` and `people.read`.
#[utoipa::path(get, path = "/v1/campaigns/{name}/preview/{person}", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign"),
        ("person" = String, Path, description = "The person's external or opaque id"), PreviewQuery),
    responses((status = 200, body = PreviewOut), (status = 422, body = crate::error::ErrorBody)))]
async fn preview(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((name, person)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Json<PreviewOut>, ApiError> {
    caller.require("notify.read")?;
    let ch = q
        .channel
        .map(|c| c.parse::<ChannelKind>())
        .transpose()
        .map_err(|m| ApiError::invalid("channel", m))?;
    let (k, r, _, _) = notify(&s)?
        .preview(&caller.0, &ctx(&headers), &name, &person, ch)
        .await?;
    Ok(Json(PreviewOut {
        template: k.to_string(),
        subject: r.subject,
        body: r.body,
    }))
}

/// Check, assign identity-protection codes (one per person, transactionally) and start sending;
/// `409 not_ready` lists what is missing. Needs `notify.write`.
#[utoipa::path(post, path = "/v1/campaigns/{name}/start", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")),
    responses((status = 200, body = CampaignOut), (status = 409, body = crate::error::ErrorBody)))]
async fn start(
    caller: Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<CampaignOut>, ApiError> {
    caller.require("notify.write")?;
    let c = notify(&s)?.start(&caller.0, &ctx(&headers), &name).await?;
    Ok(Json(CampaignOut::from(&c)))
}

/// The optional `{"reason": …}` body of pause and cancel (an empty body takes the default).
fn reason(body: &[u8], default: &str) -> Result<String, ApiError> {
    let r: ReasonIn = if body.iter().all(u8::is_ascii_whitespace) {
        ReasonIn::default()
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    Ok(r.reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| default.to_owned()))
}

/// Pause a running campaign; workers stop after their current notices. Needs `notify.write`.
#[utoipa::path(post, path = "/v1/campaigns/{name}/pause", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")), request_body(content = ReasonIn, content_type = "application/json"),
    responses((status = 200, body = CampaignOut), (status = 422, body = crate::error::ErrorBody)))]
async fn pause(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<CampaignOut>, ApiError> {
    caller.require("notify.write")?;
    let why = reason(&body, "paused by an operator")?;
    let c = notify(&s)?.pause(&caller.0, &name, &why).await?;
    Ok(Json(CampaignOut::from(&c)))
}

/// Resume a paused campaign from each recipient's state. Needs `notify.write`.
#[utoipa::path(post, path = "/v1/campaigns/{name}/resume", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")),
    responses((status = 200, body = CampaignOut), (status = 422, body = crate::error::ErrorBody)))]
async fn resume(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<CampaignOut>, ApiError> {
    caller.require("notify.write")?;
    let c = notify(&s)?.resume(&caller.0, &name).await?;
    Ok(Json(CampaignOut::from(&c)))
}

/// Cancel a campaign for good; open notices are cancelled. Needs `notify.write`.
#[utoipa::path(post, path = "/v1/campaigns/{name}/cancel", tag = "notify", security(("api_key" = [])),
    params(("name" = String, Path, description = "The campaign")), request_body(content = ReasonIn, content_type = "application/json"),
    responses((status = 200, body = CampaignOut), (status = 422, body = crate::error::ErrorBody)))]
async fn cancel(
    caller: Caller,
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<CampaignOut>, ApiError> {
    caller.require("notify.write")?;
    let why = reason(&body, "cancelled by an operator")?;
    let c = notify(&s)?.cancel(&caller.0, &name, &why).await?;
    Ok(Json(CampaignOut::from(&c)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CodesQuery {
    /// Every code in the file is a minor's code.
    #[serde(default)]
    minor: bool,
}

/// Import identity-protection codes from the provider's CSV (`code`, `engagement`, `enrol_by`,
/// optionally `minor`), sent as the body (`text/csv`). Errors name the line. Needs
/// `notify.write`.
#[utoipa::path(post, path = "/v1/protection-codes", tag = "notify", security(("api_key" = [])),
    params(CodesQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CodesOut), (status = 422, body = crate::error::ErrorBody)))]
async fn import_codes(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<CodesQuery>,
    body: Bytes,
) -> Result<Json<CodesOut>, ApiError> {
    caller.require("notify.write")?;
    let codes = parse_csv(&body[..], q.minor).map_err(|m| ApiError::invalid("body", m))?;
    let (added, duplicates) = notify(&s)?.import_codes(&caller.0, &codes).await?;
    Ok(Json(CodesOut { added, duplicates }))
}

/// Delivery reports and bounces from a provider's webhook (e-mail service or SMS gateway):
/// `delivered` marks a sent notice delivered; `bounced` (or `complained`) marks it bounced,
/// suppresses the address and queues the next channel. Applying a report twice changes nothing.
/// Needs `notify.write`.
#[utoipa::path(post, path = "/v1/notices/reports", tag = "notify", security(("api_key" = [])),
    request_body = [ReportIn],
    responses((status = 200, body = ReportsOut), (status = 422, body = crate::error::ErrorBody)))]
async fn reports(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<Vec<ReportIn>>,
) -> Result<Json<ReportsOut>, ApiError> {
    use custodian_notify::reports::{Report, ReportKind};
    caller.require("notify.write")?;
    if body.len() > MAX_REPORTS {
        return Err(ApiError::invalid(
            "body",
            format!("at most {MAX_REPORTS} reports per call"),
        ));
    }
    let mut rs = Vec::with_capacity(body.len());
    for (i, r) in body.into_iter().enumerate() {
        let kind = match r.event.as_str() {
            "delivered" => ReportKind::Delivered,
            "bounced" | "complained" => ReportKind::Bounced,
            other => {
                return Err(ApiError::invalid(
                    &format!("[{i}].event"),
                    format!("`{other}`: expected delivered, bounced or complained"),
                ));
            }
        };
        if r.notice.trim().is_empty() || r.notice.len() > 300 {
            return Err(ApiError::invalid(
                &format!("[{i}].notice"),
                "must be 1-300 characters",
            ));
        }
        rs.push(Report {
            notice: r.notice,
            kind,
            recipient: r.recipient.filter(|a| !a.trim().is_empty()),
            reason: r.reason.unwrap_or_else(|| r.event.clone()),
        });
    }
    let a = notify(&s)?.apply_reports(&caller.0, &rs).await?;
    Ok(Json(ReportsOut {
        delivered: a.delivered,
        bounced: a.bounced,
        fallen_back: a.fallen_back,
        unchanged: a.unchanged,
        unknown: a.unknown,
    }))
}

/// The login banner for a customer of the company's own logged-in pages (the caller has
/// authenticated the customer): affected, with a link to the lookup page, or not affected.
/// Needs `notify.read`.
#[utoipa::path(get, path = "/v1/banner/{external_id}", tag = "notify", security(("api_key" = [])),
    params(("external_id" = String, Path, description = "The company's own customer id")),
    responses((status = 200, body = BannerOut), (status = 403, body = crate::error::ErrorBody)))]
async fn banner(
    caller: Caller,
    State(s): State<AppState>,
    Path(external_id): Path<String>,
) -> Result<Json<BannerOut>, ApiError> {
    caller.require("notify.read")?;
    if external_id.is_empty() || external_id.len() > 200 {
        return Err(ApiError::invalid("external_id", "must be 1-200 characters"));
    }
    let b = notify(&s)?.banner(&caller.0, &external_id).await?;
    Ok(Json(BannerOut {
        affected: b.affected,
        message: b.message,
        link: b.link,
    }))
}
