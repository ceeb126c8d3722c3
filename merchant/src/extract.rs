//! Extractors for what every ACP request carries: the bearer key, `API-Version`,
//! `Idempotency-Key` and a JSON body. Each rejects with the spec's error object.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use kit::http;
use shared::ApiVersion;
use shared::idempotency::IdempotencyKey;

use crate::error::ApiError;
use crate::state::AppState;

pub use kit::http::JsonBody;

/// The agent the bearer token belongs to.
#[derive(Debug, Clone)]
pub struct Agent(pub Arc<str>);

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        http::bearer(&parts.headers)
            .and_then(|token| state.keys.authenticate(token))
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
        Ok(Version(http::api_version(&parts.headers)?))
    }
}

/// The `API-Version` if the client sent a supported one (for public endpoints).
#[derive(Debug, Clone, Copy)]
pub struct OptionalVersion(pub Option<ApiVersion>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(OptionalVersion(http::api_version(&parts.headers).ok()))
    }
}

/// `Idempotency-Key`, required on every POST.
#[derive(Debug, Clone)]
pub struct IdemKey(pub IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(IdemKey(http::idempotency_key(&parts.headers)?))
    }
}

/// A size-limited JSON body with its idempotency fingerprint.
pub struct Body(pub JsonBody);

impl FromRequest<AppState> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Ok(Body(http::json_body(req, state.body_limit).await?))
    }
}

/// The operator a bearer token belongs to (`/admin`).
#[derive(Debug, Clone)]
pub struct Operator(pub Arc<str>);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        http::bearer(&parts.headers)
            .and_then(|token| state.admin_keys.authenticate(token))
            .map(Operator)
            .ok_or(ApiError::Unauthorized)
    }
}
