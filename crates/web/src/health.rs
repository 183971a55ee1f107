//! Liveness, readiness and metrics: the routes that need no credentials.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use custodian_db::MigrationStatus;
use serde_json::json;

use crate::AppState;

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The process is up")))]
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "Database unreachable or migrations pending")))]
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if let Err(e) = state.db.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": "unreachable"})),
        );
    }
    match state.db.migration_status(&state.components).await {
        Ok(MigrationStatus::Current) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": state.db.backend().as_str()})),
        ),
        Ok(MigrationStatus::Pending(p)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "pending_migrations": p})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: migration status");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": "error"})),
            )
        }
    }
}

/// `GET /metrics`: Prometheus text exposition.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
