//! The merchant-facing payment intents and refunds API (Stripe-shaped, not ACP).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kit::http::json_response;
use kit::idempotency::{Lookup, Reply, Scope};

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

fn scope(merchant: &str, endpoint: String, call: &Post<V1Error>) -> Scope {
    Scope {
        agent: merchant.to_owned(),
        endpoint,
        key: call.key.as_str().to_owned(),
    }
}

async fn create_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    let scope = scope(&m, "/v1/payment_intents".into(), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            payments::create(state, &m, &call.body.bytes, &scope, fp)
                .await
                .map_err(V1Error)
        })
        .await
}

async fn confirm_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    let scope = scope(&m, format!("/v1/payment_intents/{id}/confirm"), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            payments::confirm(state, &m, &id, &call.body.bytes, &scope, fp)
                .await
                .map_err(V1Error)
        })
        .await
}

async fn cancel_intent(
    State(state): State<AppState>,
    Merchant(m): Merchant,
    Path(id): Path<String>,
    call: Post<V1Error>,
) -> Result<Reply, V1Error> {
    let scope = scope(&m, format!("/v1/payment_intents/{id}/cancel"), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            payments::cancel(state, &m, &id, &scope, fp)
                .await
                .map_err(V1Error)
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
    let scope = scope(&m, "/v1/refunds".into(), &call);
    let (state, call) = (state, &call);
    let (state, call) = (&state, &call);
    let fp = &call.body.fingerprint;
    state
        .idempotency()
        .run(scope, fp, Lookup::First, |scope| async move {
            payments::refund(state, &m, &call.body.bytes, &scope, fp)
                .await
                .map_err(V1Error)
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
