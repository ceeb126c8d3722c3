//! The agent's one error type and its wire form: ACP's flat `Error`
//! (`{type, code, message, param?}`) on every API it hosts: the webhook receiver, the Feed API
//! and the buyer's conversation API.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kit::db::StoreError;
use kit::http::{BodyError, KeyError, VersionError, json_response};
use kit::idempotency::{Refusal, Reply};
use kit::parse::{FieldProblem, ParseError};
use shared::signature::SignatureError;
use shared::{ApiVersion, Error as WireError, ErrorType};

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
    /// No or an unknown bearer token.
    #[error("unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Version(#[from] VersionError),
    #[error("{0}")]
    IdempotencyKey(#[from] KeyError),
    #[error("idempotency key in flight")]
    IdempotencyInFlight,
    #[error("idempotency key reused with another body")]
    IdempotencyConflict,
    /// A request field is wrong: `code` says how, `param` where.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        param: Option<String>,
    },
    #[error("feed not found")]
    FeedNotFound,
    #[error("conversation not found")]
    ConversationNotFound,
    /// Another turn of the same conversation is being answered.
    #[error("conversation busy")]
    Busy,
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

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Malformed(why) => Error::Body(BodyError::Malformed(why)),
            ParseError::Field {
                problem,
                message,
                param,
            } => Error::Invalid {
                code: match problem {
                    FieldProblem::Unknown => "unknown_field",
                    FieldProblem::Missing => "missing_field",
                    FieldProblem::InvalidType | FieldProblem::InvalidValue => "invalid_field",
                },
                message,
                param: Some(param),
            },
        }
    }
}

impl Error {
    pub fn invalid(code: &'static str, message: impl Into<String>, param: &str) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Signature(_) | Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Body(BodyError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Body(BodyError::NotJson) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Body(BodyError::Malformed(_))
            | Error::InvalidPayload { .. }
            | Error::Version(_)
            | Error::IdempotencyKey(_)
            | Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::IdempotencyInFlight | Error::Busy => StatusCode::CONFLICT,
            Error::IdempotencyConflict => StatusCode::UNPROCESSABLE_ENTITY,
            Error::FeedNotFound | Error::ConversationNotFound | Error::RouteNotFound => {
                StatusCode::NOT_FOUND
            }
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
            Error::Unauthorized => invalid(
                "unauthorized",
                "A valid API key is required: send Authorization: Bearer <key>.".into(),
            ),
            Error::Version(v) => {
                let (code, message) = match v {
                    VersionError::Missing => (
                        "missing_api_version",
                        "The API-Version header is required.".to_owned(),
                    ),
                    VersionError::Unsupported(got) => (
                        "unsupported_api_version",
                        format!("API version {got:?} is not supported."),
                    ),
                };
                let mut e = invalid(code, message);
                e.supported_versions = Some(ApiVersion::supported_strings());
                e
            }
            Error::IdempotencyKey(k) => match k {
                KeyError::Missing => invalid(
                    "idempotency_key_required",
                    "An Idempotency-Key header is required on this request.".into(),
                ),
                KeyError::Invalid(why) => invalid(
                    "invalid_idempotency_key",
                    format!("The Idempotency-Key is not valid: {why}."),
                ),
            },
            Error::IdempotencyInFlight => invalid(
                "idempotency_in_flight",
                "A request with this Idempotency-Key is still being processed.".into(),
            ),
            Error::IdempotencyConflict => invalid(
                "idempotency_conflict",
                "Idempotency-Key has already been used with a different request body".into(),
            ),
            Error::Invalid {
                code,
                message,
                param,
            } => {
                let e = invalid(code, message.clone());
                match param {
                    Some(p) => e.with_param(p.clone()),
                    None => e,
                }
            }
            // The Feed API's own example of this error.
            Error::FeedNotFound => {
                invalid("feed_not_found", "Feed not found".into()).with_param("id")
            }
            Error::ConversationNotFound => invalid(
                "conversation_not_found",
                "No conversation with this id is open to this token.".into(),
            ),
            Error::Busy => invalid(
                "conversation_busy",
                "The previous message is still being answered; send this one again in a moment."
                    .into(),
            ),
            Error::RouteNotFound => invalid("not_found", "No such endpoint.".into()),
            Error::MethodNotAllowed => invalid(
                "method_not_allowed",
                "This endpoint does not support this HTTP method.".into(),
            ),
            Error::Unavailable(_) => WireError::new(
                ErrorType::ServiceUnavailable,
                "service_unavailable",
                "Temporarily unavailable; try again.",
            ),
            Error::Internal(_) => WireError::new(
                ErrorType::ProcessingError,
                "internal_error",
                "The request could not be processed; try again.",
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
        let mut resp = json_response(self.status(), body);
        if matches!(self, Error::IdempotencyInFlight | Error::Busy) {
            resp.headers_mut()
                .insert("Retry-After", HeaderValue::from_static("1"));
        }
        resp
    }
}

impl Refusal for Error {
    fn in_flight() -> Self {
        Error::IdempotencyInFlight
    }

    fn conflict() -> Self {
        Error::IdempotencyConflict
    }

    fn is_outcome(&self) -> bool {
        matches!(self, Error::Invalid { .. } | Error::FeedNotFound)
    }

    fn to_reply(&self) -> Reply {
        Reply::new(
            self.status(),
            serde_json::to_string(&self.body()).unwrap_or_default(),
        )
    }
}
