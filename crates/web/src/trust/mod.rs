//! The public Trust Center pages: home, attestations with the gated request flow, security
//! practices, advisories (HTML, Atom, CSAF 2.0 with its provider metadata and ROLIE feed),
//! security.txt, subscriptions and the vulnerability disclosure programme.
//!
//! Pages are server-rendered and work without JavaScript. Forms that a visitor fills in carry a
//! double-submit CSRF token (an `HttpOnly`, `SameSite=Strict` cookie and a hidden field that must
//! match); forms that act on a secret link (confirm, unsubscribe, researcher reply) are guarded by
//! the link's token itself, which a forged post cannot know. Every value reaches HTML through the
//! autoescaping templates; authored markdown through the trust crate's sanitizing renderer.

pub(crate) mod cache;
mod disclosure;
mod feeds;
mod pages;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodian_trust::{TrustError, TrustService};
use minijinja::context;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::pages::render;

const CSRF_COOKIE: &str = "trust_csrf";

/// The public routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::routes())
        .merge(feeds::routes())
        .merge(disclosure::routes())
}

/// The service, or a 503 page when the Trust Center is not configured.
#[allow(clippy::result_large_err)] // the error is the response itself, returned once per request
pub(crate) fn service(state: &AppState) -> Result<&TrustService, Response> {
    state.trust.as_ref().ok_or_else(|| {
        message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "The Trust Center is not configured.",
        )
    })
}

/// A page with a title and one message.
pub(crate) fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    (
        status,
        render(
            state,
            "trust_message.html",
            context! { title => title, text => text },
        ),
    )
        .into_response()
}

/// The page for a service error: the error's own words for what a visitor can fix, a generic
/// sentence (and a log line) for the rest.
pub(crate) fn error_page(state: &AppState, e: &TrustError) -> Response {
    let (status, text) = match e {
        TrustError::Invalid { .. } | TrustError::TooLarge { .. } | TrustError::WrongType(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        TrustError::NotFound => (StatusCode::NOT_FOUND, "There is nothing here.".to_owned()),
        TrustError::BadLink => (StatusCode::GONE, e.to_string()),
        TrustError::Duplicate(_) | TrustError::BadTransition { .. } | TrustError::Conflict(_) => {
            (StatusCode::CONFLICT, e.to_string())
        }
        _ => {
            tracing::error!(error = %e, "trust center request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side; please try again later.".to_owned(),
            )
        }
    };
    message(state, status, "Sorry", &text)
}

/// A fresh CSRF token and the cookie that carries it.
pub(crate) fn csrf_issue(state: &AppState) -> (String, HeaderValue) {
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let secure = if state.tls { "; Secure" } else { "" };
    let cookie =
        format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=7200{secure}");
    let value = HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""));
    (token, value)
}

/// Whether the form's token matches the cookie's.
pub(crate) fn csrf_ok(headers: &HeaderMap, form_token: &str) -> bool {
    let cookie = crate::admin::cookie(headers, CSRF_COOKIE).unwrap_or("");
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(form_token.as_bytes()))
}

/// A rendered page with a fresh CSRF cookie.
pub(crate) fn with_csrf(
    status: StatusCode,
    html: axum::response::Html<String>,
    cookie: HeaderValue,
) -> Response {
    let mut resp = (status, html).into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp
}

/// The refusal of a forged or expired form.
pub(crate) fn csrf_refused(state: &AppState) -> Response {
    message(
        state,
        StatusCode::FORBIDDEN,
        "Form expired",
        "The form expired or did not come from this site; please go back, reload and try again.",
    )
}

/// The client's IP address as the server saw it (`unknown` without connection info).
pub(crate) struct PeerIp(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(PeerIp(ip))
    }
}

/// A date for people (`2026-11-23`).
pub(crate) fn day(t: custodian_db::Timestamp) -> String {
    t.day()
}

/// `GET /static/brand.css`: the configured colours (a stylesheet, so the CSP needs no inline
/// styles).
pub(crate) async fn brand_stylesheet(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    let css = state
        .trust
        .as_ref()
        .map(|t| t.config().branding.stylesheet())
        .unwrap_or_else(|| custodian_trust::Branding::default().stylesheet());
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response()
}

/// `GET /brand/logo`: the configured logo, or 404.
pub(crate) async fn logo(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state
        .trust
        .as_ref()
        .and_then(|t| t.config().branding.logo.as_ref())
    {
        Some(l) => (
            [
                (header::CONTENT_TYPE, l.content_type),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            l.bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /static/trust.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/trust.css"),
    )
}
