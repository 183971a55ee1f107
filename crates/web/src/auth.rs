//! Who is calling: the [`Caller`] extractor turns `Authorization: Bearer <key>` into a
//! [`Principal`] through the auth service, or answers 401 in the one error shape. Every `/v1`
//! handler but health takes a `Caller`, so an unauthenticated request cannot reach a service.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use custodian_auth::{AuthError, Principal};

use crate::AppState;
use crate::error::ApiError;

/// The authenticated principal of an API request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// `Ok` when the caller holds `permission`, else 403.
    pub fn require(&self, permission: &str) -> Result<&Principal, ApiError> {
        self.0.require(permission)?;
        Ok(&self.0)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AuthError::MissingCredential)?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(AuthError::MissingCredential)?;
        let principal = state.auth.authenticate_key(key.trim()).await?;
        tracing::Span::current().record("principal", principal.name.as_str());
        Ok(Caller(principal))
    }
}
