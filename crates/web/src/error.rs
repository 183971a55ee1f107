//! The one error shape of the HTTP edge: `{"error": {"code", "message", "field"?}}` with a stable
//! machine code and a human message. Internal details never go on the wire: they ride in a
//! response extension and the tracing middleware logs them once.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodian_auth::AuthError;
use serde::Serialize;

/// An error answered to an API caller.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine code (`unauthenticated`, `forbidden`, `invalid_input`, …).
    pub code: &'static str,
    /// A message for humans; never internal details or personal data.
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    /// What went wrong inside, for the log only.
    pub internal: Option<String>,
}

/// The detail logged for a 5xx; carried in the response's extensions, never in its body.
#[derive(Debug, Clone)]
pub(crate) struct InternalDetail(pub(crate) String);

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorInner,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorInner {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            internal: None,
        }
    }

    /// 422 naming the field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 with the cause kept for the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError {
            internal: Some(cause.to_string()),
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; the request id is in the x-request-id header",
            )
        }
    }

    /// 503 with the cause kept for the log.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        ApiError {
            internal: Some(cause.to_string()),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable; try again shortly",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInner {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(detail) = self.internal {
            resp.extensions_mut().insert(InternalDetail(detail));
        }
        resp
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match &e {
            AuthError::Db(db) if db.is_unavailable() => ApiError::unavailable(db),
            AuthError::Db(db) => ApiError::internal(db),
            AuthError::Hashing(_) => ApiError::internal(&e),
            AuthError::Forbidden { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            AuthError::Throttled { .. } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", e.to_string())
            }
            AuthError::UnknownRole(_) => ApiError::invalid("role", e.to_string()),
            AuthError::InvalidName(_) => ApiError::invalid("principal", e.to_string()),
            AuthError::UnknownPrincipal(_) => ApiError::not_found(e.to_string()),
            AuthError::PrincipalConflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            AuthError::WeakPassword => ApiError::invalid("password", e.to_string()),
            _ if e.is_unauthenticated() => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
            }
            _ => ApiError::internal(&e),
        }
    }
}

/// The JSON body of an error, for tests and clients.
pub fn error_code(body: &serde_json::Value) -> Option<&str> {
    body.get("error")?.get("code")?.as_str()
}
