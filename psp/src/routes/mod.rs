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
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::Error;
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
/// `param` as a JSONPath. Serde's message never echoes values, so card data cannot leak here.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Error::Body(kit::http::BodyError::Malformed(inner.to_string()));
        }
        let text = inner.to_string();
        let base = if path == "." || path.is_empty() {
            "$".to_owned()
        } else {
            format!("$.{path}")
        };
        let param = match text
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            Some(field) if base == "$" => format!("$.{field}"),
            Some(field) => format!("{base}.{field}"),
            None => base,
        };
        let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
        Error::InvalidField {
            message,
            param: Some(param),
        }
    })
}
