//! Extractors for what requests carry: bearer keys and `API-Version`. Each rejects with the
//! spec's error object.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kit::http;
use shared::ApiVersion;

use crate::error::Error;
use crate::state::AppState;

/// The merchant a Feed API bearer key belongs to.
#[derive(Debug, Clone)]
pub struct FeedCaller(pub Arc<str>);

impl FromRequestParts<AppState> for FeedCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        http::bearer(&parts.headers)
            .and_then(|token| state.feed_keys.authenticate(token))
            .map(FeedCaller)
            .ok_or(Error::Unauthorized)
    }
}

/// The `API-Version` the client asked for; required.
#[derive(Debug, Clone, Copy)]
pub struct Version(pub ApiVersion);

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        Ok(Version(http::api_version(&parts.headers)?))
    }
}

/// The bearer token of a buyer's conversation (checked against the conversation by the
/// handler, which knows which one is meant).
#[derive(Debug, Clone)]
pub struct BuyerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BuyerToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        http::bearer(&parts.headers)
            .map(|t| BuyerToken(t.to_owned()))
            .ok_or(Error::Unauthorized)
    }
}
