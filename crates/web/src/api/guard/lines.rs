//! `/v1/lines/…`, `/v1/protection-requests/…`, `/v1/care/…`, `/v1/guard/report`: SIM-change and
//! port-out protection and the care-agent view over HTTP. Care session tokens travel in request
//! bodies, never in URLs, so they stay out of access logs.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use custodian_guard::{
    CallerProof, CareView, Decision, LineStatus, LockKind, OneTimeCode, PortOutRequest,
    ProtectionOutcome, SecretKind,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ContextIn, account, guard, parse_time_field, phone, ts, verdict_response};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/lines/{msisdn}", put(register).get(status))
        .route("/v1/lines/{msisdn}/locks/{lock}", put(lock))
        .route("/v1/lines/{msisdn}/locks/{lock}/remove", post(unlock))
        .route("/v1/lines/{msisdn}/transfer-pin", post(transfer_pin))
        .route("/v1/lines/{msisdn}/port-out", post(port_out))
        .route("/v1/lines/{msisdn}/sim-change", post(sim_change))
        .route("/v1/protection-requests/{id}/fraud", post(fraud))
        .route("/v1/guard/report", get(report))
        .route("/v1/care/sessions", post(open_session))
        .route("/v1/care/verify", post(care_verify))
        .route("/v1/care/view", post(care_view))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        register,
        status,
        lock,
        unlock,
        transfer_pin,
        port_out,
        sim_change,
        fraud,
        report,
        open_session,
        care_verify,
        care_view
    ),
    components(schemas(
        RegisterIn,
        LineOut,
        ContextOnly,
        CodeIn,
        DecisionOut,
        TransferPinOut,
        PortOutIn,
        ReportOut,
        ReportRowOut,
        OpenIn,
        SessionOut,
        CareVerifyIn,
        SessionIn,
        CareOut,
        SecretOut,
        RequestOut
    ))
)]
pub(super) struct Doc;

/// Put a line under an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterIn {
    account_id: String,
}

/// A line's protection state.
#[derive(Serialize, ToSchema)]
struct LineOut {
    line: String,
    account_id: String,
    sim_lock_since: Option<String>,
    port_lock_since: Option<String>,
    transfer_pin_expires_at: Option<String>,
}

fn line_out(l: &LineStatus) -> LineOut {
    LineOut {
        line: l.line.normalized().to_owned(),
        account_id: l.account.as_str().to_owned(),
        sim_lock_since: l.sim_lock_since.map(ts),
        port_lock_since: l.port_lock_since.map(ts),
        transfer_pin_expires_at: l.transfer_pin_expires_at.map(ts),
    }
}

/// Just where the request came from.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContextOnly {
    context: ContextIn,
}

/// A step-up code and where the request came from.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeIn {
    code: String,
    context: ContextIn,
}

/// The decision on a recorded request.
#[derive(Serialize, ToSchema)]
struct DecisionOut {
    request_id: i64,
    /// `allowed` or `refused`.
    decision: &'static str,
    /// Why it was refused: `line_locked`, `step_up_required`, `transfer_pin_invalid`,
    /// `throttled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

fn decision_out(o: ProtectionOutcome) -> Json<DecisionOut> {
    let (decision, reason) = match o.decision {
        Decision::Allowed => ("allowed", None),
        Decision::Refused(r) => ("refused", Some(r.as_str())),
    };
    Json(DecisionOut {
        request_id: o.request_id,
        decision,
        reason,
    })
}

/// A Number Transfer PIN for the customer (shown once).
#[derive(Serialize, ToSchema)]
struct TransferPinOut {
    transfer_pin: String,
    expires_at: String,
}

/// A port-out request from the recipient carrier.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PortOutIn {
    transfer_pin: String,
    /// The recipient carrier (name or SPID).
    requester: String,
    context: ContextIn,
}

/// Report period.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    /// Start, RFC 3339 (inclusive).
    from: String,
    /// End, RFC 3339 (exclusive).
    to: String,
}

/// One row of the effectiveness report.
#[derive(Serialize, ToSchema)]
struct ReportRowOut {
    kind: String,
    decision: String,
    reason: String,
    requests: i64,
    fraud_reports: i64,
}

/// The effectiveness report.
#[derive(Serialize, ToSchema)]
struct ReportOut {
    from: String,
    to: String,
    rows: Vec<ReportRowOut>,
    lines: i64,
    sim_locked: i64,
    port_locked: i64,
}

/// Open a care session for the account a caller claims.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OpenIn {
    account_id: String,
}

/// A care session token (a bearer secret for the agent's desktop).
#[derive(Serialize, ToSchema)]
struct SessionOut {
    session: String,
    expires_at: String,
}

/// Verify the caller of a care session with their secret or a step-up code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CareVerifyIn {
    session: String,
    /// `pin` or `password`, with `secret`.
    kind: Option<String>,
    secret: Option<String>,
    /// A step-up code issued for `care`, instead of a secret.
    code: Option<String>,
    context: ContextIn,
}

/// A care session.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SessionIn {
    session: String,
}

/// A secret's state.
#[derive(Serialize, ToSchema)]
struct SecretOut {
    kind: &'static str,
    is_set: bool,
    is_compromised: bool,
    failures: i64,
    is_disabled: bool,
}

/// A protection request.
#[derive(Serialize, ToSchema)]
struct RequestOut {
    id: i64,
    at: String,
    line_last4: String,
    kind: String,
    decision: String,
    reason: String,
    channel: String,
    requester: String,
    is_fraud_reported: bool,
}

/// What the care session shows: nothing but `verified: false` until the caller is verified.
#[derive(Serialize, ToSchema)]
struct CareOut {
    verified: bool,
    expires_at: Option<String>,
    account_id: Option<String>,
    secrets: Vec<SecretOut>,
    lines: Vec<LineOut>,
    recent_requests: Vec<RequestOut>,
}

fn lock_kind(s: &str) -> Result<LockKind, ApiError> {
    Ok(LockKind::parse(s)?)
}

/// Register (or move) a line under an account. Needs `guard.manage`.
#[utoipa::path(put, path = "/v1/lines/{msisdn}", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path, description = "E.164 or 10 digits")), request_body = RegisterIn,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn register(
    caller: Caller,
    State(s): State<AppState>,
    Path(msisdn): Path<String>,
    ApiJson(req): ApiJson<RegisterIn>,
) -> Result<StatusCode, ApiError> {
    caller.require("guard.manage")?;
    let (line, a) = (phone("msisdn", &msisdn)?, account(&req.account_id)?);
    guard(&s)?.register_line(&a, &line).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A line's locks and transfer PIN state. Needs `guard.manage`.
#[utoipa::path(get, path = "/v1/lines/{msisdn}", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path)),
    responses((status = 200, body = LineOut), (status = 404, body = crate::error::ErrorBody)))]
async fn status(
    caller: Caller,
    State(s): State<AppState>,
    Path(msisdn): Path<String>,
) -> Result<Json<LineOut>, ApiError> {
    caller.require("guard.manage")?;
    let line = phone("msisdn", &msisdn)?;
    Ok(Json(line_out(&guard(&s)?.line_status(&line).await?)))
}

/// Turn a lock on (`sim_change` or `port_out`); needs only the calling system's ordinary
/// verification of the customer. Needs `guard.manage`.
#[utoipa::path(put, path = "/v1/lines/{msisdn}/locks/{lock}", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path), ("lock" = String, Path)), request_body = ContextOnly,
    responses((status = 200, body = DecisionOut), (status = 404, body = crate::error::ErrorBody)))]
async fn lock(
    caller: Caller,
    State(s): State<AppState>,
    Path((msisdn, lock)): Path<(String, String)>,
    ApiJson(req): ApiJson<ContextOnly>,
) -> Result<Json<DecisionOut>, ApiError> {
    caller.require("guard.manage")?;
    let (line, kind, ctx) = (
        phone("msisdn", &msisdn)?,
        lock_kind(&lock)?,
        req.context.parse()?,
    );
    Ok(decision_out(guard(&s)?.lock_line(&line, kind, &ctx).await?))
}

/// Turn a lock off with a step-up code issued for `remove_sim_lock` or `remove_port_lock` on
/// this line. Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/lines/{msisdn}/locks/{lock}/remove", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path), ("lock" = String, Path)), request_body = CodeIn,
    responses((status = 200, body = DecisionOut), (status = 404, body = crate::error::ErrorBody)))]
async fn unlock(
    caller: Caller,
    State(s): State<AppState>,
    Path((msisdn, lock)): Path<(String, String)>,
    ApiJson(req): ApiJson<CodeIn>,
) -> Result<Json<DecisionOut>, ApiError> {
    caller.require("guard.manage")?;
    let (line, kind, ctx) = (
        phone("msisdn", &msisdn)?,
        lock_kind(&lock)?,
        req.context.parse()?,
    );
    let code = OneTimeCode::new(&req.code);
    Ok(decision_out(
        guard(&s)?.unlock_line(&line, kind, &code, &ctx).await?,
    ))
}

/// Issue a Number Transfer PIN (6 digits, 7 days, single use) with a step-up code issued for
/// `transfer_pin` on this line. Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/lines/{msisdn}/transfer-pin", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path)), request_body = CodeIn,
    responses((status = 201, body = TransferPinOut), (status = 422, body = crate::error::ErrorBody)))]
async fn transfer_pin(
    caller: Caller,
    State(s): State<AppState>,
    Path(msisdn): Path<String>,
    ApiJson(req): ApiJson<CodeIn>,
) -> Result<(StatusCode, Json<TransferPinOut>), ApiError> {
    caller.require("guard.manage")?;
    let (line, ctx) = (phone("msisdn", &msisdn)?, req.context.parse()?);
    let issued = guard(&s)?
        .issue_transfer_pin(&line, &OneTimeCode::new(&req.code), &ctx)
        .await?;
    let out = TransferPinOut {
        transfer_pin: issued.code.expose().to_owned(),
        expires_at: ts(issued.expires_at),
    };
    Ok((StatusCode::CREATED, Json(out)))
}

/// Decide a port-out request (from the porting system). Needs `guard.verify`.
#[utoipa::path(post, path = "/v1/lines/{msisdn}/port-out", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path)), request_body = PortOutIn,
    responses((status = 200, body = DecisionOut), (status = 404, body = crate::error::ErrorBody)))]
async fn port_out(
    caller: Caller,
    State(s): State<AppState>,
    Path(msisdn): Path<String>,
    ApiJson(req): ApiJson<PortOutIn>,
) -> Result<Json<DecisionOut>, ApiError> {
    caller.require("guard.verify")?;
    let line = phone("msisdn", &msisdn)?;
    let r = PortOutRequest {
        transfer_pin: OneTimeCode::new(&req.transfer_pin),
        requester: req.requester,
        context: req.context.parse()?,
    };
    Ok(decision_out(guard(&s)?.request_port_out(&line, &r).await?))
}

/// Decide a SIM change: needs a step-up code issued for `sim_change` on this line; a PIN alone
/// never suffices. Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/lines/{msisdn}/sim-change", tag = "lines", security(("api_key" = [])),
    params(("msisdn" = String, Path)), request_body = CodeIn,
    responses((status = 200, body = DecisionOut), (status = 404, body = crate::error::ErrorBody)))]
async fn sim_change(
    caller: Caller,
    State(s): State<AppState>,
    Path(msisdn): Path<String>,
    ApiJson(req): ApiJson<CodeIn>,
) -> Result<Json<DecisionOut>, ApiError> {
    caller.require("guard.manage")?;
    let (line, ctx) = (phone("msisdn", &msisdn)?, req.context.parse()?);
    let code = OneTimeCode::new(&req.code);
    Ok(decision_out(
        guard(&s)?.request_sim_change(&line, &code, &ctx).await?,
    ))
}

/// Record the customer's report that a request was fraud. Needs `guard.manage`.
#[utoipa::path(post, path = "/v1/protection-requests/{id}/fraud", tag = "lines", security(("api_key" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn fraud(
    caller: Caller,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require("guard.manage")?;
    if guard(&s)?.report_fraud(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no protection request with that id"))
    }
}

/// The effectiveness report of a period: requests, refusals and fraud reports by kind, and lock
/// adoption now. Needs `guard.manage`.
#[utoipa::path(get, path = "/v1/guard/report", tag = "lines", security(("api_key" = [])), params(ReportQuery),
    responses((status = 200, body = ReportOut), (status = 422, body = crate::error::ErrorBody)))]
async fn report(
    caller: Caller,
    State(s): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<ReportOut>, ApiError> {
    caller.require("guard.manage")?;
    let (from, to) = (
        parse_time_field("from", &q.from)?,
        parse_time_field("to", &q.to)?,
    );
    let r = guard(&s)?.protection_report(from, to).await?;
    Ok(Json(ReportOut {
        from: ts(r.from),
        to: ts(r.to),
        rows: r
            .rows
            .into_iter()
            .map(|x| ReportRowOut {
                kind: x.kind,
                decision: x.decision,
                reason: x.reason,
                requests: x.requests,
                fraud_reports: x.fraud_reports,
            })
            .collect(),
        lines: r.lines,
        sim_locked: r.sim_locked,
        port_locked: r.port_locked,
    }))
}

/// Open a care session; it shows nothing until the caller is verified. Needs `guard.verify`.
#[utoipa::path(post, path = "/v1/care/sessions", tag = "care", security(("api_key" = [])), request_body = OpenIn,
    responses((status = 201, body = SessionOut)))]
async fn open_session(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(req): ApiJson<OpenIn>,
) -> Result<(StatusCode, Json<SessionOut>), ApiError> {
    let agent = caller.require("guard.verify")?.name.clone();
    let a = account(&req.account_id)?;
    let session = guard(&s)?.open_care_session(&a, &agent).await?;
    let out = SessionOut {
        session: session.token.expose_secret().to_owned(),
        expires_at: ts(session.expires_at),
    };
    Ok((StatusCode::CREATED, Json(out)))
}

/// Verify a care session's caller by their secret (with its limits) or a step-up code issued
/// for `care`. Needs `guard.verify`. Answers like `/verify`.
#[utoipa::path(post, path = "/v1/care/verify", tag = "care", security(("api_key" = [])), request_body = CareVerifyIn,
    responses((status = 200, body = super::VerifyOut), (status = 404, body = crate::error::ErrorBody)))]
async fn care_verify(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(req): ApiJson<CareVerifyIn>,
) -> Result<Response, ApiError> {
    caller.require("guard.verify")?;
    let ctx = req.context.parse()?;
    let proof = match (req.secret, req.code) {
        (Some(secret), None) => CallerProof::Secret {
            kind: SecretKind::parse(req.kind.as_deref().unwrap_or("pin"))?,
            secret: SecretString::from(secret),
        },
        (None, Some(code)) => CallerProof::StepUpCode(OneTimeCode::new(&code)),
        _ => {
            return Err(ApiError::invalid(
                "secret",
                "give either `secret` or `code`",
            ));
        }
    };
    let token = SecretString::from(req.session);
    let v = guard(&s)?.verify_care_caller(&token, &proof, &ctx).await?;
    Ok(verdict_response(v))
}

/// What a care session may show: only `verified: false` until the caller is verified. Needs
/// `guard.verify`.
#[utoipa::path(post, path = "/v1/care/view", tag = "care", security(("api_key" = [])), request_body = SessionIn,
    responses((status = 200, body = CareOut), (status = 404, body = crate::error::ErrorBody)))]
async fn care_view(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(req): ApiJson<SessionIn>,
) -> Result<Json<CareOut>, ApiError> {
    caller.require("guard.verify")?;
    let view = guard(&s)?
        .care_view(&SecretString::from(req.session))
        .await?;
    let out = match view {
        CareView::Unverified { expires_at } => CareOut {
            verified: false,
            expires_at: Some(ts(expires_at)),
            account_id: None,
            secrets: Vec::new(),
            lines: Vec::new(),
            recent_requests: Vec::new(),
        },
        CareView::Verified(v) => CareOut {
            verified: true,
            expires_at: None,
            account_id: Some(v.account.as_str().to_owned()),
            secrets: v
                .secrets
                .iter()
                .map(|x| SecretOut {
                    kind: x.kind.as_str(),
                    is_set: x.is_set,
                    is_compromised: x.is_compromised,
                    failures: x.failures,
                    is_disabled: x.is_disabled,
                })
                .collect(),
            lines: v.lines.iter().map(line_out).collect(),
            recent_requests: v
                .recent_requests
                .into_iter()
                .map(|r| RequestOut {
                    id: r.id,
                    at: ts(r.at),
                    line_last4: r.line_last4,
                    kind: r.kind,
                    decision: r.decision,
                    reason: r.reason,
                    channel: r.channel,
                    requester: r.requester,
                    is_fraud_reported: r.is_fraud_reported,
                })
                .collect(),
        },
    };
    Ok(Json(out))
}
