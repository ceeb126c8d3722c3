//! `GET /.well-known/acp.json`: public, cacheable for an hour (RFC discovery §4.1).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use shared::ApiVersion;

use kit::http::json_response;

use crate::error::ApiError;
use crate::extract::OptionalVersion;
use crate::protocol::{RenderContext, V2026_04_17, WireVersion};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/.well-known/acp.json", get(discovery))
}

/// Rendered in the version the client asked for if it sent one we speak, else the latest.
async fn discovery(
    State(state): State<AppState>,
    OptionalVersion(version): OptionalVersion,
) -> Result<Response, ApiError> {
    let ctx = RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    };
    let body = match version.unwrap_or(ApiVersion::LATEST) {
        ApiVersion::V2026_04_17 => V2026_04_17::discovery_body(&ctx)?,
    };
    let mut resp = json_response(StatusCode::OK, body);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(resp)
}
