//! The merchant-facing payment intents and refunds API (Stripe-shaped, not ACP).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kit::http::json_response;
use kit::idempotency::Reply;

use crate::error::{Error, V1Error};
use crate::extract::{Merchant, Post};
use crate::payments;
use crate::state::AppState;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{id}", get(retrieve_intent))
        .route("/v1/payment_intents/{id}/confirm", post(confirm_intent))
        .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
        .route("/v1/refunds", post(create_refund))
        .route("/v1/refunds/{id}", get(retrieve_refund))
}

async fn create_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    super::once(
        &state,
        &m,
        "/v1/payment_intents".into(),
        &call,
        async |scope| {
            payments::create(&state, &m, &call.body.bytes, scope, &call.body.fingerprint).await
        },
    )
    .await
}

async fn confirm_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    super::once(
        &state,
        &m,
        format!("/v1/payment_intents/{id}/confirm"),
        &call,
        async |scope| {
            payments::confirm(
                &state,
                &m,
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

async fn cancel_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    let path = format!("/v1/payment_intents/{id}/cancel");
    super::once(&state, &m, path, &call, async |scope| {
        payments::cancel(&state, &m, &id, scope, &call.body.fingerprint).await
    })
    .await
}

async fn retrieve_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
) -> Result<Response, V1Error> {
    let row = store::intents::get(&state.db.read, &m, &id)
        .await?
        .ok_or(Error::NotFound("payment intent"))?;
    let body =
        serde_json::to_string(&row.intent).map_err(|e| V1Error(Error::Internal(e.into())))?;
    Ok(json_response(StatusCode::OK, body))
}

async fn create_refund(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    super::once(&state, &m, "/v1/refunds".into(), &call, async |scope| {
        payments::refund(&state, &m, &call.body.bytes, scope, &call.body.fingerprint).await
    })
    .await
}

async fn retrieve_refund(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
) -> Result<Response, V1Error> {
    let refund = store::refunds::get(&state.db.read, &m, &id)
        .await?
        .ok_or(Error::NotFound("refund"))?;
    let body = serde_json::to_string(&refund).map_err(|e| V1Error(Error::Internal(e.into())))?;
    Ok(json_response(StatusCode::OK, body))
}
