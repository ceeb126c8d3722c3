//! Liveness and readiness probes.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::error::Error;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/health/ready", get(ready))
}

async fn ready(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Error> {
    sqlx::query("SELECT 1")
        .execute(&state.db.read)
        .await
        .map_err(|e| Error::Unavailable(format!("database: {e}")))?;
    Ok(Json(serde_json::json!({"status": "ready"})))
}
