//! The ACP endpoints agents call: delegate payment and delegate authentication.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use kit::http::json_response;
use kit::idempotency::{Lookup, Reply, Scope};

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

fn scope(agent: &str, endpoint: String, call: &Post<AcpError>) -> Scope {
    Scope {
        agent: agent.to_owned(),
        endpoint,
        key: call.key.as_str().to_owned(),
    }
}

/// Vault a card and issue a Shared Payment Token (spec: 201 `DelegatePaymentResponse`).
async fn delegate_payment(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    call: Post<AcpError>,
) -> Result<Reply, AcpError> {
    let scope = scope(&agent, "/agentic_commerce/delegate_payment".into(), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            delegation::delegate(state, &agent, &call.body.bytes, &scope, fp)
                .await
                .map_err(AcpError)
        })
        .await
}

/// Start 3-D Secure (spec: 201 `DelegateAuthenticationSession`).
async fn create_authentication(
    State(state): State<AppState>,
    Agent(agent): Agent,
    _: Version,
    call: Post<AcpError>,
) -> Result<Reply, AcpError> {
    let scope = scope(&agent, "/delegate_authentication".into(), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            authentication::create(state, &agent, &call.body.bytes, &scope, fp)
                .await
                .map_err(AcpError)
        })
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
    let scope = scope(
        &agent,
        format!("/delegate_authentication/{id}/authenticate"),
        &call,
    );
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            authentication::authenticate(state, &agent, &id, &call.body.bytes, &scope, fp)
                .await
                .map_err(AcpError)
        })
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
