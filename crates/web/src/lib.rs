//! The HTTP server: the JSON API under `/v1` (OpenAPI document at `/v1/openapi.json`), the public
//! pages and the admin console, on axum and tokio, with TLS through rustls when configured.
//!
//! This crate is thin: handlers parse the request into domain types, check the caller's permission
//! (their first line), call a service, and render. Only this crate knows HTTP and JSON; domain
//! types are converted to wire types here, by hand.

mod admin;
mod api;
mod auth;
mod error;
mod extract;
mod health;
mod layers;
mod metrics;
mod notices;
mod pages;
mod server;
mod trust;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use custodian_auth::AuthService;
use custodian_db::{Clock, Component, Database};

pub use api::openapi;
pub use api::scans::ScanConfig;
pub use auth::Caller;
pub use error::{ApiError, error_code};
pub use extract::ApiJson;
pub use layers::CSP;
pub use metrics::Metrics;
pub use server::{ServeError, ServerConfig, TlsConfig, bind, serve, shutdown_signal};

/// Everything a handler may use, cloned into each request.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// Principals, keys and sessions.
    pub auth: AuthService,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The components whose migrations must be current for `/readyz`.
    pub components: Arc<[Component]>,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The company name shown on pages.
    pub brand: Arc<str>,
    /// The vault, when configured (routes under `/v1/people` answer 503 without it).
    pub vault: Option<custodian_vault::Vault>,
    /// The breach engine, when configured (routes under `/v1/incidents` answer 503 without it).
    pub breach: Option<custodian_breach::BreachService>,
    /// The guard, when configured (routes under `/v1/accounts`, `/v1/lines`, `/v1/care` and
    /// `/v1/guard` answer 503 without it).
    pub guard: Option<Arc<custodian_guard::GuardService>>,
    /// The scanners, when configured (routes under `/v1/scans` answer 503 without them).
    pub scans: Option<ScanConfig>,
    /// The Trust Center, when configured (its public pages answer 503 without it).
    pub trust: Option<custodian_trust::TrustService>,
    /// Notification campaigns, when configured (routes under `/v1/campaigns`, `/v1/banner`,
    /// `/v1/lookup`, `/v1/verify` and the public lookup pages answer 503 without them).
    pub notify: Option<custodian_notify::Notify>,
    /// Whether the server speaks TLS (cookies get `Secure`, responses get HSTS).
    pub tls: bool,
    templates: Arc<minijinja::Environment<'static>>,
    page_cache: trust::cache::PageCache,
}

impl AppState {
    /// State for a server over these services.
    pub fn new(
        db: Database,
        auth: AuthService,
        clock: Arc<dyn Clock>,
        components: Vec<Component>,
        brand: &str,
    ) -> Self {
        AppState {
            db,
            auth,
            clock,
            components: components.into(),
            metrics: Metrics::new(),
            brand: brand.into(),
            vault: None,
            breach: None,
            guard: None,
            scans: None,
            trust: None,
            notify: None,
            tls: false,
            templates: Arc::new(pages::environment()),
            page_cache: trust::cache::PageCache::default(),
        }
    }
}

/// Limits of the router.
#[derive(Debug, Clone, Copy)]
pub struct RouterLimits {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for RouterLimits {
    fn default() -> Self {
        RouterLimits {
            max_body_bytes: 2 * 1024 * 1024,
        }
    }
}

/// The whole application: health, metrics, API, pages and console, with every layer applied.
pub fn router(state: AppState, limits: RouterLimits) -> Router {
    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/custodian.css", get(pages::stylesheet))
        .merge(api::routes())
        .merge(admin::routes())
        .merge(trust::routes().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trust::cache::layer,
        )))
        .merge(notices::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ));
    let tls = state.tls;
    layers::apply(app, tls).with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}
