//! The checkout endpoints. Each handler extracts, picks the wire version, and calls one
//! operation in `crate::checkout` through the idempotency runner.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use shared::ApiVersion;

use crate::checkout::{self, scope};
use crate::error::ApiError;
use crate::extract::{Agent, Body, IdemKey, Version};
use crate::protocol::V2026_04_17;
use crate::state::AppState;
use kit::idempotency::{Lookup, Reply};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checkout_sessions", post(create))
        .route("/checkout_sessions/{id}", get(retrieve).post(update))
        .route("/checkout_sessions/{id}/complete", post(complete))
        .route("/checkout_sessions/{id}/cancel", post(cancel))
}

/// Create a session (spec: `POST /checkout_sessions`, 201).
async fn create(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Version(version): Version,
    IdemKey(key): IdemKey,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let scope = scope(&agent, "/checkout_sessions".into(), &key);
    let (state, body) = (&state, &body);
    state
        .idempotency()
        .run(
            scope,
            &body.fingerprint,
            Lookup::OnConflict,
            |scope| async move {
                match version {
                    ApiVersion::V2026_04_17 => {
                        checkout::create::<V2026_04_17>(
                            state,
                            &agent,
                            &body.bytes,
                            &scope,
                            &body.fingerprint,
                        )
                        .await
                    }
                }
            },
        )
        .await
}

/// Retrieve a session (spec: `GET /checkout_sessions/{id}`, 200 or 404).
async fn retrieve(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Version(version): Version,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    match version {
        ApiVersion::V2026_04_17 => checkout::retrieve::<V2026_04_17>(&state, &agent, &id).await,
    }
}

/// Update a session (spec: `POST /checkout_sessions/{id}`, 200).
async fn update(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Version(version): Version,
    IdemKey(key): IdemKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let scope = scope(&agent, format!("/checkout_sessions/{id}"), &key);
    let (state, body) = (&state, &body);
    state
        .idempotency()
        .run(
            scope,
            &body.fingerprint,
            Lookup::First,
            |scope| async move {
                match version {
                    ApiVersion::V2026_04_17 => {
                        checkout::update::<V2026_04_17>(
                            state,
                            &agent,
                            &id,
                            &body.bytes,
                            &scope,
                            &body.fingerprint,
                        )
                        .await
                    }
                }
            },
        )
        .await
}

/// Cancel a session (spec: `POST /checkout_sessions/{id}/cancel`, 200, or 405 when finished).
async fn cancel(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Version(version): Version,
    IdemKey(key): IdemKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let scope = scope(&agent, format!("/checkout_sessions/{id}/cancel"), &key);
    let (state, body) = (&state, &body);
    state
        .idempotency()
        .run(
            scope,
            &body.fingerprint,
            Lookup::First,
            |scope| async move {
                match version {
                    ApiVersion::V2026_04_17 => {
                        checkout::cancel::<V2026_04_17>(
                            state,
                            &agent,
                            &id,
                            &body.bytes,
                            &scope,
                            &body.fingerprint,
                        )
                        .await
                    }
                }
            },
        )
        .await
}

/// Pay (spec: `POST /checkout_sessions/{id}/complete`, 200 with the order).
async fn complete(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Version(version): Version,
    IdemKey(key): IdemKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let scope = scope(&agent, format!("/checkout_sessions/{id}/complete"), &key);
    let (state, body) = (&state, &body);
    state
        .idempotency()
        .run(
            scope,
            &body.fingerprint,
            Lookup::First,
            |scope| async move {
                match version {
                    ApiVersion::V2026_04_17 => {
                        crate::complete::complete::<V2026_04_17>(
                            state,
                            &agent,
                            &id,
                            &body.bytes,
                            &scope,
                            &body.fingerprint,
                        )
                        .await
                    }
                }
            },
        )
        .await
}
