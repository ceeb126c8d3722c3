//! The HTTP surface: routes, and the middleware every request passes through.

mod assets;
mod checkout;
mod discovery;
mod health;

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use shared::headers;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

use crate::error::ApiError;
use crate::ids;
use crate::state::AppState;

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .merge(checkout::router())
        .merge(discovery::router())
        .merge(assets::router())
        .merge(health::router())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn(move |req, next| {
            deadline(req, next, request_timeout)
        }))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
}

/// The request id (the caller's `Request-Id`, or a new one), a tracing span carrying it, and
/// the echo headers: `Request-Id` always, `Idempotency-Key` on POSTs.
async fn request_context(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(headers::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(ids::request, str::to_owned);
    let idem_key = (req.method() == Method::POST)
        .then(|| req.headers().get(headers::IDEMPOTENCY_KEY).cloned())
        .flatten();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", method = %req.method(), path = %path, request_id = %request_id);
    let started = std::time::Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "response"
        );
    });
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(headers::REQUEST_ID, v);
    }
    if let Some(k) = idem_key {
        h.insert(headers::IDEMPOTENCY_KEY, k);
    }
    resp
}

/// Bounds how long a request may take; the client gets a retryable 503, not a hung socket.
async fn deadline(req: Request, next: Next, limit: Duration) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::Unavailable("request timed out".into()).into_response(),
    }
}
