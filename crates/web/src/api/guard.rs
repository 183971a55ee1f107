//! `/v1/accounts/…`, `/v1/guard/…`: the guard over HTTP for the carrier's retail, care, web, app
//! and porting systems. Verification answers `ok`, `wrong`, `throttled`, `locked` or
//! `reset_required` with status 200 whether or not the account exists; the other routes set
//! secrets, send and use step-up codes, redeem reset codes, and list events. Lines, port-outs,
//! SIM changes and the care view are in `guard/lines.rs`.

mod lines;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use custodian_db::Timestamp;
use custodian_guard::{
    AccountId, AttemptContext, Channel, DeviceId, EventKind, EventQuery, GuardError, GuardService,
    OneTimeCode, SecretKind, StepUpPurpose, Verdict,
};
use custodian_vault::types::Phone;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts/{id}/verify", post(verify))
        .route("/v1/accounts/{id}/secrets/{kind}", put(set_secret))
        .route(
            "/v1/accounts/{id}/secrets/{kind}/change",
            post(change_secret),
        )
        .route("/v1/accounts/{id}/step-up", post(step_up))
        .route("/v1/accounts/{id}/unlock", post(unlock))
        .route("/v1/accounts/{id}/reset", post(redeem_reset))
        .route("/v1/guard/events", get(events))
        .route("/v1/guard/exposed", post(exposed))
        .merge(lines::routes())
}

#[derive(OpenApi)]
#[openapi(
    paths(
        verify,
        set_secret,
        change_secret,
        step_up,
        unlock,
        redeem_reset,
        events,
        exposed
    ),
    components(schemas(
        ContextIn, VerifyIn, VerifyOut, SecretIn, ChangeIn, StepUpIn, StepUpOut, UnlockIn,
        RedeemIn, EventOut, ExposedIn, ExposedOut
    ))
)]
struct AccountsDoc;

/// The guard's part of the OpenAPI document: the account routes and the line routes.
pub(super) struct Doc;

impl OpenApi for Doc {
    fn openapi() -> utoipa::openapi::OpenApi {
        let mut doc = AccountsDoc::openapi();
        doc.merge(lines::Doc::openapi());
        doc
    }
}

/// Where an attempt came from.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ContextIn {
    /// `retail`, `care`, `web`, `app` or `porting`.
    channel: String,
    /// The customer's address as the calling system saw it.
    client_ip: Option<String>,
    /// The customer's device, when the calling system authenticates devices.
    device_id: Option<String>,
}

impl ContextIn {
    pub(super) fn parse(&self) -> Result<AttemptContext, ApiError> {
        let client_ip = match &self.client_ip {
            Some(ip) => Some(ip.trim().parse().map_err(|_| {
                ApiError::invalid("context.client_ip", "not an IPv4 or IPv6 address")
            })?),
            None => None,
        };
        Ok(AttemptContext {
            channel: Channel::parse(&self.channel)?,
            client_ip,
            device: self.device_id.as_deref().map(DeviceId::parse).transpose()?,
        })
    }
}

/// A secret to check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    /// `pin` (default) or `password`.
    #[serde(default = "default_kind")]
    kind: String,
    /// The secret as the customer gave it.
    secret: String,
    /// Where the attempt came from.
    context: ContextIn,
}

fn default_kind() -> String {
    "pin".into()
}

/// The verdict. `retry_after_secs` comes with `throttled`.
#[derive(Serialize, ToSchema)]
pub(super) struct VerifyOut {
    /// `ok`, `wrong`, `throttled`, `locked` or `reset_required`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
}

pub(super) fn verdict_response(v: Verdict) -> Response {
    let retry = match v {
        Verdict::Throttled { retry_after_secs } => Some(retry_after_secs),
        _ => None,
    };
    let mut resp = Json(VerifyOut {
        result: v.as_str(),
        retry_after_secs: retry,
    })
    .into_response();
    if let Some(h) = retry.and_then(|r| HeaderValue::from_str(&r.to_string()).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, h);
    }
    resp
}

/// A new secret.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SecretIn {
    secret: String,
}

/// A change: the current secret is verified (with its limits) before the new one is set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeIn {
    current: String,
    new: String,
    context: ContextIn,
}

/// Send a step-up code to the customer on a channel other than `line`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StepUpIn {
    /// `unlock`, `remove_sim_lock`, `remove_port_lock`, `sim_change`, `transfer_pin` or `care`.
    purpose: String,
    /// The line concerned (needed for the line purposes), E.164 or 10 digits.
    line: Option<String>,
}

/// When the code expires.
#[derive(Serialize, ToSchema)]
struct StepUpOut {
    expires_at: String,
}

/// Re-enable a disabled secret with a step-up code issued for `unlock`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UnlockIn {
    #[serde(default = "default_kind")]
    kind: String,
    code: String,
    context: ContextIn,
}

/// Set a new secret with a forced-reset code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RedeemIn {
    #[serde(default = "default_kind")]
    kind: String,
    code: String,
    new_secret: String,
    context: ContextIn,
}

/// Event filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Only this account.
    account: Option<String>,
    /// Only this source address or network (`203.0.113.0/24`).
    source: Option<String>,
    /// Only this kind (`verify`, `secret_disabled`, `forced_reset`, …).
    kind: Option<String>,
    /// From this time (RFC 3339).
    since: Option<String>,
    /// Before this time (RFC 3339).
    until: Option<String>,
    /// At most this many (default 100, at most 10,000).
    limit: Option<usize>,
}

/// An event.
#[derive(Serialize, ToSchema)]
struct EventOut {
    id: i64,
    at: String,
    last_at: String,
    count: i64,
    account: String,
    kind: String,
    outcome: String,
    channel: String,
    source: String,
    network: String,
    device: String,
    detail: String,
}

/// Values exposed in an incident, refused as new secrets from now on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExposedIn {
    incident: String,
    #[serde(default = "default_kind")]
    kind: String,
    values: Vec<String>,
}

/// How many were new.
#[derive(Serialize, ToSchema)]
struct ExposedOut {
    added: u64,
}

pub(super) fn guard(s: &AppState) -> Result<&Arc<GuardService>, ApiError> {
    s.guard.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the guard is not configured",
        )
    })
}

pub(super) fn account(id: &str) -> Result<AccountId, ApiError> {
    Ok(AccountId::parse(id)?)
}

pub(super) fn phone(field: &str, s: &str) -> Result<Phone, ApiError> {
    Phone::parse(s).map_err(|e| ApiError::invalid(field, e.reason().to_owned()))
}

pub(super) fn ts(t: Timestamp) -> String {
    t.to_rfc3339()
}

pub(super) fn parse_time_field(field: &str, s: &str) -> Result<Timestamp, ApiError> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(Timestamp::from_datetime)
        .map_err(|_| ApiError::invalid(field, "not an RFC 3339 time"))
}

impl From<GuardError> for ApiError {
    fn from(e: GuardError) -> Self {
        match e {
            GuardError::Invalid { field, .. } => ApiError::invalid(field, e.to_string()),
            GuardError::Weak { .. } => ApiError {
                field: Some("secret".into()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "weak_secret",
                    e.to_string(),
                )
            },
            GuardError::BadCode => ApiError {
                field: Some("code".into()),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_code", e.to_string())
            },
            GuardError::Throttled { .. } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", e.to_string())
            }
            GuardError::UnknownLine { .. } | GuardError::NoCareSession => {
                ApiError::not_found(e.to_string())
            }
            GuardError::Import { .. } => ApiError::invalid("body", e.to_string()),
            GuardError::ResetConflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            GuardError::Busy => ApiError {
                internal: Some(e.to_string()),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the guard is busy; retry shortly",
                )
            },
            GuardError::Notify(_) | GuardError::Facts(_) => ApiError {
                internal: Some(e.to_string()),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a service the guard needs is unavailable; try again shortly",
                )
            },
            GuardError::Db(d) if d.is_unavailable() => ApiError::unavailable(d),
            other => ApiError::internal(other),
        }
    }
}

/// Check a customer's PIN or password. Needs `guard.verify`. Always 200 with the verdict for a
/// well-formed request, whether or not the account exists; `throttled` carries `Retry-After`.
#[utoipa::path(post, path = "/v1/accounts/{id}/verify", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path, description = "The company's account id")), request_body = VerifyIn,
    responses((status = 200, body = VerifyOut), (status = 422, body = crate::error::ErrorBody)))]
async fn verify(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<VerifyIn>,
) -> Result<Response, ApiError> {
    caller.require("guard.verify")?;
    let g = guard(&s)?;
    let (a, kind, ctx) = (
        account(&id)?,
        SecretKind::parse(&req.kind)?,
        req.context.parse()?,
    );
    let v = g
        .verify(&a, kind, &SecretString::from(req.secret), &ctx)
        .await?;
    Ok(verdict_response(v))
}

/// Set a secret (the calling system has verified the customer its own way). Needs
/// `guard.manage`. 422 `weak_secret` names the rule, never the value.
#[utoipa::path(put, path = "/v1/accounts/{id}/secrets/{kind}", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path), ("kind" = String, Path, description = "`pin` or `password`")), request_body = SecretIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn set_secret(
    caller: Caller,
    State(s): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    ApiJson(req): ApiJson<SecretIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("guard.manage")?;
    let (a, kind) = (account(&id)?, SecretKind::parse(&kind)?);
    guard(&s)?
        .set_secret(&a, kind, &SecretString::from(req.secret))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a secret: verifies the current one (with its limits), then sets the new one. Needs
/// `guard.verify`. Answers the verification's verdict; the secret changed only on `ok`.
#[utoipa::path(post, path = "/v1/accounts/{id}/secrets/{kind}/change", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path), ("kind" = String, Path)), request_body = ChangeIn,
    responses((status = 200, body = VerifyOut), (status = 422, body = crate::error::ErrorBody)))]
async fn change_secret(
    caller: Caller,
    State(s): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    ApiJson(req): ApiJson<ChangeIn>,
) -> Result<Response, ApiError> {
    caller.require("guard.verify")?;
    let (a, kind, ctx) = (
        account(&id)?,
        SecretKind::parse(&kind)?,
        req.context.parse()?,
    );
    let (cur, new) = (SecretString::from(req.current), SecretString::from(req.new));
    let v = guard(&s)?.change_secret(&a, kind, &cur, &new, &ctx).await?;
    Ok(verdict_response(v))
}

/// Send the customer a step-up code through the notifier, never to the line at risk. Needs
/// `guard.manage`.
#[utoipa::path(post, path = "/v1/accounts/{id}/step-up", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path)), request_body = StepUpIn,
    responses((status = 202, body = StepUpOut), (status = 404, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn step_up(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepUpIn>,
) -> Result<(StatusCode, Json<StepUpOut>), ApiError> {
    caller.require("guard.manage")?;
    let a = account(&id)?;
    let purpose = StepUpPurpose::parse(&req.purpose)?;
    let line = req.line.as_deref().map(|l| phone("line", l)).transpose()?;
    let exp = guard(&s)?.issue_step_up(&a, purpose, line.as_ref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StepUpOut {
            expires_at: ts(exp),
        }),
    ))
}

/// Re-enable a secret disabled after too many failures, with a step-up code issued for
/// `unlock`. Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/accounts/{id}/unlock", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path)), request_body = UnlockIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn unlock(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UnlockIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("guard.manage")?;
    let (a, kind, ctx) = (
        account(&id)?,
        SecretKind::parse(&req.kind)?,
        req.context.parse()?,
    );
    guard(&s)?
        .unlock(&a, kind, &OneTimeCode::new(&req.code), &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new secret with a forced-reset code (the code is spent only if the secret is
/// accepted). Needs `guard.verify`.
#[utoipa::path(post, path = "/v1/accounts/{id}/reset", tag = "guard", security(("api_key" = [])),
    params(("id" = String, Path)), request_body = RedeemIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn redeem_reset(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RedeemIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("guard.verify")?;
    let (a, kind, ctx) = (
        account(&id)?,
        SecretKind::parse(&req.kind)?,
        req.context.parse()?,
    );
    let (code, new) = (
        OneTimeCode::new(&req.code),
        SecretString::from(req.new_secret),
    );
    guard(&s)?.redeem_reset(&a, kind, &code, &new, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn event_kind(s: &str) -> Result<EventKind, ApiError> {
    use EventKind::*;
    [
        Verify,
        SecretSet,
        SecretDisabled,
        UntrustedLocked,
        StuffingFlagged,
        DistributedGuessing,
        StepUpIssued,
        StepUpFailed,
        Unlocked,
        Protection,
        ForcedReset,
        ResetRedeemed,
        Imported,
        CareVerified,
        Rehashed,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
    .ok_or_else(|| ApiError::invalid("kind", "unknown event kind"))
}

/// List guard events by account, source (address or network) and time, newest first. Needs
/// `guard.manage`.
#[utoipa::path(get, path = "/v1/guard/events", tag = "guard", security(("api_key" = [])), params(EventsQuery),
    responses((status = 200, body = [EventOut]), (status = 422, body = crate::error::ErrorBody)))]
async fn events(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Vec<EventOut>>, ApiError> {
    caller.require("guard.manage")?;
    let query = EventQuery {
        account: q.account.as_deref().map(account).transpose()?,
        source: q.source,
        kind: q.kind.as_deref().map(event_kind).transpose()?,
        since: q
            .since
            .as_deref()
            .map(|t| parse_time_field("since", t))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|t| parse_time_field("until", t))
            .transpose()?,
        limit: q.limit.unwrap_or(100),
    };
    let list = guard(&s)?.events(&query).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| EventOut {
                id: e.id,
                at: ts(e.at),
                last_at: ts(e.last_at),
                count: e.count,
                account: e.account,
                kind: e.kind,
                outcome: e.outcome,
                channel: e.channel,
                source: e.source,
                network: e.network,
                device: e.device,
                detail: e.detail,
            })
            .collect(),
    ))
}

/// Record values exposed in an incident so they are refused as new secrets (only keyed digests
/// are stored). Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/guard/exposed", tag = "guard", security(("api_key" = [])), request_body = ExposedIn,
    responses((status = 200, body = ExposedOut), (status = 422, body = crate::error::ErrorBody)))]
async fn exposed(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(req): ApiJson<ExposedIn>,
) -> Result<Json<ExposedOut>, ApiError> {
    caller.require("guard.manage")?;
    let kind = SecretKind::parse(&req.kind)?;
    let values: Vec<SecretString> = req.values.into_iter().map(SecretString::from).collect();
    let added = guard(&s)?.add_exposed(&req.incident, kind, &values).await?;
    Ok(Json(ExposedOut { added }))
}
