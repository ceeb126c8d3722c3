//! The HTTP surface and the middleware every request passes through.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use kit::http;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::Error;
use crate::state::AppState;
use crate::{api, feeds, webhooks};

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route(webhooks::PATH, post(order_events))
        .merge(feeds::routes::router())
        .merge(api::router())
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/health/ready", get(ready))
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

/// Order events from merchants (spec: 200 `{received, request_id}`).
async fn order_events(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<webhooks::Ack>, Error> {
    let headers = req.headers().clone();
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(Error::Body(http::BodyError::NotJson));
    }
    // The raw bytes: the signature covers them exactly as sent, so nothing parses them first.
    let body = axum::body::to_bytes(req.into_body(), state.body_limit)
        .await
        .map_err(|_| Error::Body(http::BodyError::TooLarge(state.body_limit)))?;
    Ok(Json(webhooks::receive(&state, &headers, &body).await?))
}

async fn ready(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Error> {
    sqlx::query("SELECT 1")
        .execute(&state.db.read)
        .await
        .map_err(|e| Error::Unavailable(format!("database: {e}")))?;
    Ok(Json(
        serde_json::json!({"status": "ready", "indexed_variants": state.index.num_docs()}),
    ))
}
