//! Extractors for what every ACP request carries: the bearer key, `API-Version`,
//! `Idempotency-Key` and a JSON body. Each rejects with the spec's error object.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use shared::idempotency::{self, IdempotencyKey};
use shared::{ApiVersion, headers};

use crate::error::ApiError;
use crate::state::AppState;

/// The agent the bearer token belongs to.
#[derive(Debug, Clone)]
pub struct Agent(pub Arc<str>);

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::Unauthorized);
        }
        state
            .keys
            .authenticate(token.trim())
            .map(Agent)
            .ok_or(ApiError::Unauthorized)
    }
}

/// The `API-Version` the client asked for; required.
#[derive(Debug, Clone, Copy)]
pub struct Version(pub ApiVersion);

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts
            .headers
            .get(headers::API_VERSION)
            .ok_or(ApiError::MissingApiVersion)?;
        let text = raw.to_str().map_err(|_| {
            ApiError::UnsupportedApiVersion(String::from_utf8_lossy(raw.as_bytes()).into())
        })?;
        text.parse()
            .map(Version)
            .map_err(|e: shared::api_version::UnsupportedVersion| {
                ApiError::UnsupportedApiVersion(e.0)
            })
    }
}

/// The `API-Version` if the client sent a supported one (for public endpoints).
#[derive(Debug, Clone, Copy)]
pub struct OptionalVersion(pub Option<ApiVersion>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(OptionalVersion(
            parts
                .headers
                .get(headers::API_VERSION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
        ))
    }
}

/// `Idempotency-Key`, required on every POST.
#[derive(Debug, Clone)]
pub struct IdemKey(pub IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts
            .headers
            .get(idempotency::HEADER)
            .ok_or(ApiError::IdempotencyKeyRequired)?;
        let text = raw
            .to_str()
            .map_err(|_| ApiError::InvalidIdempotencyKey(idempotency::InvalidKey::NotPrintable))?;
        IdempotencyKey::parse(text)
            .map(IdemKey)
            .map_err(ApiError::InvalidIdempotencyKey)
    }
}

/// A JSON request body, size-limited, with its idempotency fingerprint. An empty body is
/// allowed (the cancel body is optional) and fingerprints as `{}`.
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub bytes: axum::body::Bytes,
    pub fingerprint: String,
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json_content = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or_default().trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        let limit = state.body_limit;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(limit))?;
        if !bytes.is_empty() && json_content != Some(true) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let fingerprint =
            idempotency::fingerprint(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        Ok(JsonBody { bytes, fingerprint })
    }
}
