//! The ACP endpoints agents call: delegate payment and delegate authentication.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use kit::http::json_response;
use kit::idempotency::Reply;

use crate::error::AcpError;
use crate::extract::{Agent, Post, Version};
use crate::state::AppState;
use crate::{authentication, delegation};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agentic_commerce/delegate_payment", post(delegate_payment))
        .route("/delegate_authentication", post(create_authentication))
        .route(
            "/delegate_authentication/{id}",
            get(retrieve_authentication),
        )
        .route(
            "/delegate_authentication/{id}/authenticate",
            post(authenticate),
        )
}

/// Vault a card and issue a Shared Payment Token (spec: 201 `DelegatePaymentResponse`).
async fn delegate_payment(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    call: Post<AcpError>,
) -> Result<Reply, AcpError> {
    super::once(
        &state,
        &agent,
        "/agentic_commerce/delegate_payment".into(),
        &call,
        async |scope| {
            delegation::delegate(
                &state,
                &agent,
                &call.body.bytes,
                scope,
                &call.body.fingerprint,
            )
            .await
        },
    )
    .await
}

/// Start 3-D Secure (spec: 201 `DelegateAuthenticationSession`).
async fn create_authentication(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    call: Post<AcpError>,
) -> Result<Reply, AcpError> {
    super::once(
        &state,
        &agent,
        "/delegate_authentication".into(),
        &call,
        async |scope| {
            authentication::create(
                &state,
                &agent,
                &call.body.bytes,
                scope,
                &call.body.fingerprint,
            )
            .await
        },
    )
    .await
}

/// Authenticate (spec: 200, frictionless result or a challenge action).
async fn authenticate(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    Path(id): Path<String>,
    call: Post<AcpError>,
) -> Result<Reply, AcpError> {
    super::once(
        &state,
        &agent,
        format!("/delegate_authentication/{id}/authenticate"),
        &call,
        async |scope| {
            authentication::authenticate(
                &state,
                &agent,
                &id,
                &call.body.bytes,
                scope,
                &call.body.fingerprint,
            )
            .await
        },
    )
    .await
}

/// The session and, once known, its result (spec: 200 `DelegateAuthenticationSessionWithResult`).
async fn retrieve_authentication(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    Path(id): Path<String>,
) -> Result<axum::response::Response, AcpError> {
    let session = authentication::retrieve(&state, &agent, &id).await?;
    let body = serde_json::to_string(&session)
        .map_err(|e| AcpError(crate::error::Error::Internal(e.into())))?;
    Ok(json_response(axum::http::StatusCode::OK, body))
}
