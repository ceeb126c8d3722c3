//! The agent's one error type and its wire form: the webhook API's `Error`
//! (`{type, code, message, param?}`, `type` one of `invalid_request`, `processing_error`,
//! `service_unavailable`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kit::db::StoreError;
use kit::http::{BodyError, json_response};
use shared::signature::SignatureError;
use shared::{Error as WireError, ErrorType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Signature(#[from] SignatureError),
    #[error("{0}")]
    Body(BodyError),
    /// The body is JSON but not an order event.
    #[error("{message}")]
    InvalidPayload {
        message: String,
        param: Option<String>,
    },
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(sqlx::Error::PoolTimedOut) => {
                Error::Unavailable("the database is busy".into())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<BodyError> for Error {
    fn from(e: BodyError) -> Self {
        Error::Body(e)
    }
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Signature(_) => StatusCode::UNAUTHORIZED,
            Error::Body(BodyError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Body(BodyError::NotJson) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Body(BodyError::Malformed(_)) | Error::InvalidPayload { .. } => {
                StatusCode::BAD_REQUEST
            }
            Error::RouteNotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> WireError {
        let invalid = |code: &str, message: String| WireError::invalid_request(code, message);
        match self {
            Error::Signature(e) => invalid(SignatureError::CODE, e.to_string()),
            Error::Body(BodyError::TooLarge(n)) => invalid(
                "request_too_large",
                format!("The request body is larger than {n} bytes."),
            ),
            Error::Body(BodyError::NotJson) => invalid(
                "unsupported_media_type",
                "Request bodies must be JSON (Content-Type: application/json).".into(),
            ),
            Error::Body(BodyError::Malformed(why)) => invalid(
                "invalid_json",
                format!("The request body is not valid JSON: {why}"),
            ),
            Error::InvalidPayload { message, param } => {
                let e = invalid("invalid_payload", message.clone());
                match param {
                    Some(p) => e.with_param(p.clone()),
                    None => e,
                }
            }
            Error::RouteNotFound => invalid("not_found", "No such endpoint.".into()),
            Error::MethodNotAllowed => invalid(
                "method_not_allowed",
                "This endpoint does not support this HTTP method.".into(),
            ),
            Error::Unavailable(_) => WireError::new(
                ErrorType::ServiceUnavailable,
                "service_unavailable",
                "Temporarily unavailable; send the event again.",
            ),
            Error::Internal(_) => WireError::new(
                ErrorType::ProcessingError,
                "internal_error",
                "The event could not be processed; send it again.",
            ),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Error::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Error::Unavailable(why) => tracing::warn!(%why, "service unavailable"),
            other => tracing::info!(error = %other, "request rejected"),
        }
        let body = serde_json::to_string(&self.body()).unwrap_or_else(|_| "{}".into());
        json_response(self.status(), body)
    }
}
