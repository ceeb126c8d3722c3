//! The HTTP surface and the middleware every request passes through.

mod acp;
mod acs;
mod health;
mod v1;

use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use kit::http;
use kit::idempotency::{Lookup, Refusal, Reply, Scope};
use kit::parse::ParseError;
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::Error;
use crate::extract::Post;
use crate::state::AppState;

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .merge(acp::router())
        .merge(acs::router())
        .merge(v1::router())
        .merge(health::router())
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(middleware::from_fn(move |req, next| {
            http::deadline(req, next, request_timeout, || {
                Error::Unavailable("request timed out".into()).into_response()
            })
        }))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(middleware::from_fn(http::request_context))
        .with_state(state)
}

/// Deserialises a body strictly; a field that is missing, unknown or mistyped is named in
/// `param` as a JSONPath, and the message never repeats the value (it may be a card number).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    kit::parse::strict(body).map_err(|e| match e {
        ParseError::Malformed(why) => Error::Body(kit::http::BodyError::Malformed(why)),
        ParseError::Field { message, param, .. } => Error::InvalidField {
            message,
            param: Some(param),
        },
    })
}

/// Runs `op` at most once per caller, endpoint and `Idempotency-Key` (kit's engine), answering
/// in the wire form `R` of the endpoint.
async fn once<R>(
    state: &AppState,
    caller: &str,
    endpoint: String,
    call: &Post<R>,
    op: impl AsyncFnOnce(&Scope) -> Result<Reply, Error>,
) -> Result<Reply, R>
where
    R: Refusal + From<Error>,
{
    let scope = Scope {
        agent: caller.to_owned(),
        endpoint,
        key: call.key.as_str().to_owned(),
    };
    state
        .idempotency()
        .run(
            scope,
            &call.body.fingerprint,
            Lookup::First,
            |scope| async move { op(&scope).await.map_err(R::from) },
        )
        .await
}
