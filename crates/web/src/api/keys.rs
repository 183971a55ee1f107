//! `/v1/whoami` and `/v1/api-keys`: who the caller is, and API key management for admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/whoami", get(whoami))
        .route("/v1/api-keys", get(list).post(create))
        .route("/v1/api-keys/{prefix}", delete(revoke))
}

#[derive(OpenApi)]
#[openapi(
    paths(whoami, list, create, revoke),
    components(schemas(WhoAmI, ApiKeyView, CreateApiKey, CreatedApiKey))
)]
pub(super) struct Doc;

/// The caller's identity.
#[derive(Serialize, ToSchema)]
struct WhoAmI {
    principal: String,
    kind: &'static str,
    role: String,
    permissions: Vec<String>,
}

/// An API key as listed (never its secret).
#[derive(Serialize, ToSchema)]
struct ApiKeyView {
    prefix: String,
    principal: String,
    role: String,
    label: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
}

/// A request for a new key.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateApiKey {
    /// The principal (created if missing).
    principal: String,
    /// The principal's role.
    role: String,
    /// A free label.
    #[serde(default)]
    label: String,
    /// Days until the key expires (1 to 3650); none means no expiry.
    expires_in_days: Option<i64>,
}

/// A new key: `key` is shown this once.
#[derive(Serialize, ToSchema)]
struct CreatedApiKey {
    key: String,
    #[serde(flatten)]
    info: ApiKeyView,
}

fn ts(t: i64) -> String {
    custodian_db::Timestamp(t).to_rfc3339()
}

fn view(k: custodian_auth::ApiKeyInfo) -> ApiKeyView {
    ApiKeyView {
        prefix: k.prefix,
        principal: k.principal,
        role: k.role,
        label: k.label,
        created_at: ts(k.created_at),
        expires_at: k.expires_at.map(ts),
        revoked_at: k.revoked_at.map(ts),
        last_used_at: k.last_used_at.map(ts),
    }
}

/// Who am I? Needs any valid key.
#[utoipa::path(get, path = "/v1/whoami", tag = "auth", security(("api_key" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = crate::error::ErrorBody)))]
async fn whoami(caller: Caller) -> Json<WhoAmI> {
    let p = caller.0;
    Json(WhoAmI {
        kind: p.kind.as_str(),
        role: p.role.name().to_owned(),
        permissions: p
            .role
            .permissions()
            .map(|x| x.as_str().to_owned())
            .collect(),
        principal: p.name,
    })
}

/// List API keys. Needs `apikeys.manage`.
#[utoipa::path(get, path = "/v1/api-keys", tag = "auth", security(("api_key" = [])),
    responses((status = 200, body = [ApiKeyView]), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn list(
    caller: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    caller.require("apikeys.manage")?;
    Ok(Json(
        s.auth
            .list_api_keys()
            .await?
            .into_iter()
            .map(view)
            .collect(),
    ))
}

/// Create an API key. Needs `apikeys.manage`.
#[utoipa::path(post, path = "/v1/api-keys", tag = "auth", security(("api_key" = [])), request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create(
    caller: Caller,
    State(s): State<AppState>,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    caller.require("apikeys.manage")?;
    let ttl = match req.expires_in_days {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(d * 86_400),
        Some(_) => return Err(ApiError::invalid("expires_in_days", "must be 1 to 3650")),
    };
    let k = s
        .auth
        .create_api_key(&req.principal, &req.role, &req.label, ttl)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: k.secret.expose_secret().to_owned(),
            info: view(k.info),
        }),
    ))
}

/// Revoke an API key by prefix. Needs `apikeys.manage`.
#[utoipa::path(delete, path = "/v1/api-keys/{prefix}", tag = "auth", security(("api_key" = [])),
    params(("prefix" = String, Path, description = "The key's visible prefix")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke(
    caller: Caller,
    State(s): State<AppState>,
    Path(prefix): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("apikeys.manage")?;
    match s.auth.revoke_api_key(&prefix).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(custodian_auth::AuthError::UnknownKey) => Err(ApiError::not_found(format!(
            "no API key with prefix `{prefix}`"
        ))),
        Err(e) => Err(e.into()),
    }
}
