//! The JSON API under `/v1`: one module per capability, each contributing its routes and its part
//! of the OpenAPI document, which is generated from the handlers' annotations (never hand-written)
//! and served at `/v1/openapi.json`.

pub(crate) mod campaigns;
mod guard;
mod incidents;
mod keys;
mod people;
pub(crate) mod scans;
pub(crate) mod trust;

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use crate::AppState;

/// The vault's request context of an API call: its request id (set by the request-id layer),
/// which the access log records with every read.
pub(crate) fn ctx(headers: &axum::http::HeaderMap) -> custodian_vault::RequestContext {
    custodian_vault::RequestContext {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned(),
    }
}

/// A time from a body or query: RFC 3339, or `YYYY-MM-DD` as its midnight UTC; else 422 naming
/// `field`.
pub(crate) fn parse_time(
    field: &str,
    s: &str,
) -> Result<custodian_db::Timestamp, crate::error::ApiError> {
    custodian_db::Timestamp::parse_day_or_rfc3339(s)
        .ok_or_else(|| crate::error::ApiError::invalid(field, "must be RFC 3339 or YYYY-MM-DD"))
}

/// The `/v1` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/openapi.json", get(openapi_json))
        .merge(keys::routes())
        .merge(guard::routes())
        .merge(people::routes())
        .merge(incidents::routes())
        .merge(scans::routes())
        .merge(campaigns::routes())
        .merge(trust::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Custodian API", description = "Vault, guard, breach engine, notification campaigns, Trust Center and scanners. Every route but health requires `Authorization: Bearer <API key>`."),
    paths(crate::health::healthz, crate::health::readyz),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorInner))
)]
struct BaseDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "api_key",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The whole OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = BaseDoc::openapi();
    doc.merge(keys::Doc::openapi());
    doc.merge(guard::Doc::openapi());
    doc.merge(people::Doc::openapi());
    doc.merge(incidents::Doc::openapi());
    doc.merge(scans::Doc::openapi());
    doc.merge(campaigns::Doc::openapi());
    doc.merge(trust::Doc::openapi());
    doc.merge(crate::notices::Doc::openapi());
    doc
}

/// `GET /v1/openapi.json`: this API's OpenAPI 3.1 document (public, like the API's shape).
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
