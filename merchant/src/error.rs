//! The one error type of the merchant API: every variant is a status code and the spec's flat
//! `Error` object. The client gets a stable code and safe text; the log gets the cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kit::http::{BodyError, KeyError, VersionError, json_response};
use kit::idempotency::{Refusal, Reply};
use shared::headers;
use shared::idempotency::InvalidKey;

use crate::domain::order::OrderError;
use crate::domain::session::{RequestError, StateError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("API-Version header is missing")]
    MissingApiVersion,
    #[error("API version {0:?} is not supported")]
    UnsupportedApiVersion(String),
    #[error("Idempotency-Key header is missing")]
    IdempotencyKeyRequired,
    #[error("{0}")]
    InvalidIdempotencyKey(InvalidKey),
    #[error("a request with this Idempotency-Key is in flight")]
    IdempotencyInFlight,
    #[error("Idempotency-Key reused with a different body")]
    IdempotencyConflict,
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// A body that is JSON but not the shape the API version defines.
    #[error("{message}")]
    InvalidBody {
        code: &'static str,
        message: String,
        param: Option<String>,
    },
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("checkout session not found")]
    SessionNotFound,
    #[error("order not found")]
    OrderNotFound,
    #[error("webhook event not found")]
    EventNotFound,
    /// An operator action the order's state does not allow, or with invalid details.
    #[error(transparent)]
    Order(#[from] crate::domain::order::OrderError),
    /// Complete while 3-D Secure is required, without its result.
    #[error("the checkout session requires authentication")]
    RequiresThreeDs,
    /// Complete on a session that is not ready for payment.
    #[error("the checkout session is not ready for payment")]
    NotReadyForPayment(String),
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // Running out of pooled connections is load, not a bug: ask the client to retry.
            StoreError::Database(sqlx::Error::PoolTimedOut) => {
                ApiError::Unavailable("the database is busy".into())
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<VersionError> for ApiError {
    fn from(e: VersionError) -> Self {
        match e {
            VersionError::Missing => ApiError::MissingApiVersion,
            VersionError::Unsupported(v) => ApiError::UnsupportedApiVersion(v),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Missing => ApiError::IdempotencyKeyRequired,
            KeyError::Invalid(k) => ApiError::InvalidIdempotencyKey(k),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(limit) => ApiError::PayloadTooLarge(limit),
            BodyError::NotJson => ApiError::UnsupportedMediaType,
            BodyError::Malformed(detail) => ApiError::MalformedJson(detail),
        }
    }
}

impl Refusal for ApiError {
    fn in_flight() -> Self {
        ApiError::IdempotencyInFlight
    }

    fn conflict() -> Self {
        ApiError::IdempotencyConflict
    }

    fn is_outcome(&self) -> bool {
        ApiError::is_outcome(self)
    }

    fn to_reply(&self) -> Reply {
        Reply::new(
            self.status(),
            serde_json::to_string(&self.body()).unwrap_or_default(),
        )
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            Unauthorized => StatusCode::UNAUTHORIZED,
            MissingApiVersion
            | UnsupportedApiVersion(_)
            | IdempotencyKeyRequired
            | InvalidIdempotencyKey(_)
            | MalformedJson(_)
            | InvalidBody { .. }
            | Request(_) => StatusCode::BAD_REQUEST,
            IdempotencyInFlight => StatusCode::CONFLICT,
            IdempotencyConflict => StatusCode::UNPROCESSABLE_ENTITY,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            // 405 is what the spec gives for canceling a finished session; other writes to a
            // finished session get the same answer.
            State(StateError::CompleteInProgress) => StatusCode::CONFLICT,
            State(_) | MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequiresThreeDs | NotReadyForPayment(_) => StatusCode::BAD_REQUEST,
            SessionNotFound | OrderNotFound | EventNotFound | RouteNotFound => {
                StatusCode::NOT_FOUND
            }
            Order(OrderError::NotNow { .. }) => StatusCode::CONFLICT,
            Order(_) => StatusCode::BAD_REQUEST,
            Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body the client sees.
    pub fn body(&self) -> shared::Error {
        use ApiError::*;
        use shared::Error as E;
        match self {
            Unauthorized => E::invalid_request(
                "unauthorized",
                "A valid API key is required: send Authorization: Bearer <key>.",
            ),
            MissingApiVersion => {
                E::invalid_request("missing_api_version", "The API-Version header is required.")
                    .with_supported_versions()
            }
            UnsupportedApiVersion(v) => E::invalid_request(
                "unsupported_api_version",
                format!("API version '{v}' is not supported."),
            )
            .with_supported_versions(),
            IdempotencyKeyRequired => E::invalid_request(
                "idempotency_key_required",
                "Idempotency-Key header is required on all POST requests",
            ),
            InvalidIdempotencyKey(e) => {
                E::invalid_request("invalid_idempotency_key", e.to_string())
            }
            IdempotencyInFlight => E::invalid_request(
                "idempotency_in_flight",
                "A request with this Idempotency-Key is currently being processed",
            ),
            IdempotencyConflict => E::invalid_request(
                "idempotency_conflict",
                "Idempotency-Key has already been used with a different request body",
            ),
            UnsupportedMediaType => E::invalid_request(
                "unsupported_media_type",
                "Request bodies must be JSON, sent with Content-Type: application/json.",
            ),
            PayloadTooLarge(limit) => E::invalid_request(
                "request_too_large",
                format!("The request body is larger than {limit} bytes."),
            ),
            MalformedJson(detail) => E::invalid_request(
                "invalid_json",
                format!("The request body is not valid JSON: {detail}"),
            ),
            InvalidBody {
                code,
                message,
                param,
            } => {
                let e = E::invalid_request(*code, message.clone());
                match param {
                    Some(p) => e.with_param(p.clone()),
                    None => e,
                }
            }
            Request(r) => {
                let (code, param) = match r {
                    RequestError::InvalidItem { param, .. } => ("invalid_item_id", param),
                    RequestError::Invalid { param, .. } => ("invalid", param),
                    RequestError::UnsupportedCurrency { param, .. } => {
                        ("unsupported_currency", param)
                    }
                };
                E::invalid_request(code, r.to_string()).with_param(param.clone())
            }
            State(s) => {
                let (code, message) = match s {
                    StateError::Canceled => ("session_canceled", format!("{s} and cannot be changed.")),
                    StateError::Expired => ("session_expired", format!("{s} and cannot be changed.")),
                    StateError::Completed => ("session_completed", format!("{s} and cannot be changed.")),
                    StateError::CompleteInProgress => (
                        "complete_in_progress",
                        format!("{s}; retry shortly to see its outcome."),
                    ),
                };
                E::invalid_request(code, message)
            }
            SessionNotFound => E::invalid_request(
                "session_not_found",
                "No checkout session with this id exists for this API key.",
            ),
            OrderNotFound => E::invalid_request("order_not_found", "No order with this id exists."),
            EventNotFound => E::invalid_request(
                "event_not_found",
                "No webhook event with this id is parked.",
            ),
            Order(e) => E::invalid_request(
                match e {
                    OrderError::NotNow { .. } => "invalid_order_state",
                    OrderError::Invalid(_) => "invalid",
                    OrderError::TooMuch { .. } => "amount_too_large",
                },
                format!("{e}."),
            ),
            // The spec gives this error exactly (2026-04-17 §4.4).
            RequiresThreeDs => E::invalid_request(
                "requires_3ds",
                "This checkout session requires issuer authentication. The request must include 'authentication_result' as provided by the issuer authentication flow.",
            )
            .with_param("$.authentication_result"),
            NotReadyForPayment(why) => E::invalid_request(
                "session_not_ready",
                format!("The checkout session is not ready for payment: {why}"),
            ),
            RouteNotFound => E::invalid_request("not_found", "No such endpoint."),
            MethodNotAllowed => E::invalid_request(
                "method_not_allowed",
                "This endpoint does not support this HTTP method.",
            ),
            Unavailable(_) => E::new(
                shared::ErrorType::ServiceUnavailable,
                "service_unavailable",
                "The service is temporarily unavailable; retry with the same Idempotency-Key.",
            ),
            Internal(_) => E::new(
                shared::ErrorType::ProcessingError,
                "internal_error",
                "The request could not be processed; retry with the same Idempotency-Key.",
            ),
        }
    }

    /// Whether the outcome belongs to the request and is replayed for its idempotency key.
    /// Only results of requests that got as far as the business logic are kept (as Stripe
    /// does): a malformed request can be corrected and resent with the same key, and 5xx
    /// responses must not be stored.
    pub fn is_outcome(&self) -> bool {
        matches!(
            self,
            ApiError::Request(_)
                | ApiError::State(
                    StateError::Canceled | StateError::Expired | StateError::Completed
                )
                | ApiError::SessionNotFound
                | ApiError::OrderNotFound
                | ApiError::Order(_)
                | ApiError::RequiresThreeDs
                | ApiError::NotReadyForPayment(_)
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            ApiError::Unavailable(why) => tracing::warn!(%why, "service unavailable"),
            other => tracing::debug!(error = %other, "request rejected"),
        }
        let body = serde_json::to_string(&self.body()).unwrap_or_default();
        let mut resp = json_response(status, body);
        let h = resp.headers_mut();
        match self {
            ApiError::Unauthorized => {
                h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::IdempotencyInFlight
            | ApiError::Unavailable(_)
            | ApiError::State(StateError::CompleteInProgress) => {
                h.insert(headers::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        resp
    }
}
