//! Cross-cutting HTTP layers: security headers on every response, request ids, request tracing
//! that logs each 5xx's internal detail exactly once, and body size limits.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::InternalDetail;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The Content-Security-Policy of every page: no scripts from anywhere, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let mut b = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut b);
        HeaderValue::from_str(&hex::encode(b))
            .ok()
            .map(RequestId::new)
    }
}

/// Adds the security headers, request ids and tracing to a router.
pub(crate) fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, hsts: bool) -> Router<S> {
    let router = router
        .layer(axum::middleware::from_fn(trace))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, RandomRequestId))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    }
}

/// Logs one line per request (method, route, status, time, request id, principal) and, for
/// server errors, the internal detail that the response body does not carry.
async fn trace(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!("request", %method, route = %path, request_id = %id, principal = tracing::field::Empty);
    let start = std::time::Instant::now();
    let resp = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let _e = span.enter();
    let status = resp.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match resp.extensions().get::<InternalDetail>() {
        Some(InternalDetail(d)) => tracing::error!(status, ms, detail = %d, "request failed"),
        None if status >= 500 => tracing::error!(status, ms, "request failed"),
        None => tracing::info!(status, ms, "request"),
    }
    resp
}
