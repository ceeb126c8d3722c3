//! Extractors. ACP endpoints reject with the ACP error form, the merchant API with its own.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use kit::http::{self, JsonBody};
use shared::idempotency::IdempotencyKey;

use crate::error::{AcpError, Error, V1Error};
use crate::state::AppState;

/// The agent a bearer key belongs to (ACP endpoints).
pub struct Agent(pub Arc<str>);

impl FromRequestParts<AppState> for Agent {
    type Rejection = AcpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AcpError> {
        http::bearer(&parts.headers)
            .and_then(|t| state.agent_keys.authenticate(t))
            .map(Agent)
            .ok_or(AcpError(Error::Unauthorized))
    }
}

/// The merchant a secret key belongs to (merchant API).
pub struct Merchant(pub Arc<str>);

impl FromRequestParts<AppState> for Merchant {
    type Rejection = V1Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, V1Error> {
        http::bearer(&parts.headers)
            .and_then(|t| state.merchant_keys.authenticate(t))
            .map(Merchant)
            .ok_or(V1Error(Error::Unauthorized))
    }
}

/// A supported `API-Version` (ACP endpoints).
pub struct Version;

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = AcpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AcpError> {
        http::api_version(&parts.headers).map_err(|e| AcpError(e.into()))?;
        Ok(Version)
    }
}

/// A POST: its idempotency key and JSON body, rejected in the wire form `R`.
pub struct Post<R> {
    pub key: IdempotencyKey,
    pub body: JsonBody,
    form: PhantomData<R>,
}

impl<R> FromRequest<AppState> for Post<R>
where
    R: From<Error> + IntoResponse,
{
    type Rejection = R;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, R> {
        let key = http::idempotency_key(req.headers()).map_err(|e| R::from(e.into()))?;
        let body = http::json_body(req, state.body_limit)
            .await
            .map_err(|e| R::from(e.into()))?;
        Ok(Post {
            key,
            body,
            form: PhantomData,
        })
    }
}
