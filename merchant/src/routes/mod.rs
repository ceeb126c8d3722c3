//! The HTTP surface: routes, and the middleware every request passes through.

mod admin;
mod assets;
mod checkout;
mod discovery;
mod health;

use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use kit::http;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .merge(checkout::router())
        .merge(admin::router())
        .merge(discovery::router())
        .merge(assets::router())
        .merge(health::router())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn(move |req, next| {
            http::deadline(req, next, request_timeout, || {
                ApiError::Unavailable("request timed out".into()).into_response()
            })
        }))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(middleware::from_fn(http::request_context))
        .with_state(state)
}
