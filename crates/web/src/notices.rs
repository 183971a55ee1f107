//! The public answers of a notification campaign, on the company's own domain: "was I affected?"
//! by the lookup code printed in a notice (`/was-i-affected`, `POST /v1/lookup`) and "is this
//! message really from us?" by a notice's verification code or the whole pasted message
//! (`/verify-a-message`, `POST /v1/verify`).
//!
//! Nothing here takes SSN digits, names or phone numbers. Unknown and known codes get the same
//! answer shape and the same minimum time (the notify crate pads every answer); too many tries
//! from one address or on one code prefix get `429` with nothing about the code. The pages work
//! without JavaScript and send codes in POST bodies, never in URLs, and answers are `no-store`.

use axum::extract::{Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_notify::lookup::{LookupAnswer, Refusal, VerifyAnswer};
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::campaigns::notify;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::pages::render;
use crate::trust::PeerIp;

/// The longest lookup code accepted (codes are 20 characters; grouping and spaces allowed).
const MAX_CODE: usize = 64;
/// The longest pasted message accepted.
const MAX_TEXT: usize = 20_000;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/lookup", post(lookup_api))
        .route("/v1/verify", post(verify_api))
        .route("/was-i-affected", get(lookup_form).post(lookup_page))
        .route("/verify-a-message", get(verify_form).post(verify_page))
}

#[derive(OpenApi)]
#[openapi(
    paths(lookup_api, verify_api),
    components(schemas(LookupIn, LookupOut, VerifyIn, VerifyOut))
)]
pub(crate) struct Doc;

/// A lookup code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LookupIn {
    /// The code printed in the notice.
    code: String,
}

/// One question and its answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct Faq {
    question: String,
    answer: String,
}

/// The answer to "was I affected?": every field is present whether or not the code is known.
#[derive(Serialize, ToSchema)]
pub(crate) struct LookupOut {
    /// Whether the code belongs to a notice (and so the person was affected).
    found: bool,
    /// The data elements exposed.
    elements: Vec<String>,
    /// What the company is doing.
    what_we_are_doing: String,
    /// Questions and answers for the person's cohort.
    faq: Vec<Faq>,
    /// The identity-protection activation code.
    protection_code: String,
    /// The provider's engagement number.
    engagement: String,
    /// The last day to enrol.
    enrol_by: String,
    /// A message for the person.
    message: String,
}

impl From<LookupAnswer> for LookupOut {
    fn from(a: LookupAnswer) -> Self {
        LookupOut {
            found: a.found,
            elements: a.elements,
            what_we_are_doing: a.what_we_are_doing,
            faq: a
                .faq
                .into_iter()
                .map(|(question, answer)| Faq { question, answer })
                .collect(),
            protection_code: a.protection_code,
            engagement: a.engagement,
            enrol_by: a.enrol_by,
            message: a.message,
        }
    }
}

/// A verification code, or a whole message that carries one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyIn {
    /// The code, or the message's text.
    text: String,
}

/// The answer to "is this message really from us?": nothing about the recipient.
#[derive(Serialize, ToSchema)]
pub(crate) struct VerifyOut {
    /// Whether it is a notice this company sent.
    genuine: bool,
    /// The channel it was sent on (`email`, `sms`, `letter`), empty if not genuine.
    channel: String,
    /// When it was sent (RFC 3339), empty if not genuine.
    sent_at: String,
    /// A message for the reader.
    message: String,
}

impl From<VerifyAnswer> for VerifyOut {
    fn from(a: VerifyAnswer) -> Self {
        VerifyOut {
            genuine: a.genuine,
            channel: a.channel,
            sent_at: a.sent_at,
            message: a.message,
        }
    }
}

fn rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many attempts; wait a few minutes and try again",
    )
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// "Was I affected?" by the code printed in a notice. Public; rate-limited per address and per
/// code prefix (`429`). An unknown code gets `found: false` in the same shape and time.
#[utoipa::path(post, path = "/v1/lookup", tag = "notify", request_body = LookupIn,
    responses((status = 200, body = LookupOut), (status = 429, body = crate::error::ErrorBody)))]
async fn lookup_api(
    State(s): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(body): ApiJson<LookupIn>,
) -> Result<Response, ApiError> {
    let n = notify(&s)?;
    let code: String = body.code.chars().take(MAX_CODE).collect();
    match n.lookup(&ip, &code).await {
        Ok(a) => Ok(no_store(Json(LookupOut::from(a)).into_response())),
        Err(Refusal::RateLimited) => Err(rate_limited()),
    }
}

/// "Is this message really from us?" by a verification code or the whole message. Public;
/// rate-limited like the lookup. Never says anything about the recipient.
#[utoipa::path(post, path = "/v1/verify", tag = "notify", request_body = VerifyIn,
    responses((status = 200, body = VerifyOut), (status = 429, body = crate::error::ErrorBody)))]
async fn verify_api(
    State(s): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(body): ApiJson<VerifyIn>,
) -> Result<Response, ApiError> {
    let n = notify(&s)?;
    let text: String = body.text.chars().take(MAX_TEXT).collect();
    match n.verify(&ip, &text).await {
        Ok(a) => Ok(no_store(Json(VerifyOut::from(a)).into_response())),
        Err(Refusal::RateLimited) => Err(rate_limited()),
    }
}

fn unavailable(s: &AppState) -> Response {
    crate::trust::message(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "This page is not available right now.",
    )
}

async fn lookup_form(State(s): State<AppState>) -> Response {
    render(&s, "notice_lookup.html", context! {}).into_response()
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn lookup_page(
    State(s): State<AppState>,
    PeerIp(ip): PeerIp,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some(n) = s.notify.as_ref() else {
        return unavailable(&s);
    };
    let code: String = f.code.chars().take(MAX_CODE).collect();
    let resp = match n.lookup(&ip, &code).await {
        Ok(a) => render(&s, "notice_lookup.html", context! { answer => a }).into_response(),
        Err(Refusal::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            render(&s, "notice_lookup.html", context! { limited => true }),
        )
            .into_response(),
    };
    no_store(resp)
}

async fn verify_form(State(s): State<AppState>) -> Response {
    render(&s, "notice_verify.html", context! {}).into_response()
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
}

async fn verify_page(
    State(s): State<AppState>,
    PeerIp(ip): PeerIp,
    Form(f): Form<TextForm>,
) -> Response {
    let Some(n) = s.notify.as_ref() else {
        return unavailable(&s);
    };
    let text: String = f.text.chars().take(MAX_TEXT).collect();
    let resp = match n.verify(&ip, &text).await {
        Ok(a) => render(&s, "notice_verify.html", context! { answer => a }).into_response(),
        Err(Refusal::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            render(&s, "notice_verify.html", context! { limited => true }),
        )
            .into_response(),
    };
    no_store(resp)
}
