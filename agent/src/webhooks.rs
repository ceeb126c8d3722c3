//! `POST /agentic_checkout/webhooks/order_events`: the merchant tells the agent about an order.
//!
//! 1. The `Merchant-Signature` is checked against each configured merchant's secret; the one
//!    that matches says who sent it. Nothing else is looked at before that.
//! 2. The body must be an order event: `{type, data: {type: "order", id, checkout_session_id,
//!    permalink_url, status, …}}`. Unknown event types and fields are accepted, as the spec
//!    asks; the full body is kept as sent.
//! 3. The event id is the merchant's `Request-Id`, which it keeps across retries (or, without
//!    one, a digest of the body). An id seen before is acknowledged again without being stored
//!    twice, so each event counts once however often it is delivered.
//! 4. The event and the order's latest state are written in one transaction, with a message
//!    to the buyer's conversation about what changed (shipped, delivered, refunded), then 200
//!    `{received: true, request_id}`.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::signature::{self, SignatureError};

use crate::error::Error;
use crate::state::AppState;
use crate::store;

pub const PATH: &str = "/agentic_checkout/webhooks/order_events";

/// What the receiver needs of an event; the rest of the body is kept as it came.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: OrderHead,
}

#[derive(Debug, Deserialize)]
pub struct OrderHead {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub checkout_session_id: String,
    #[allow(dead_code)]
    pub permalink_url: String,
    pub status: String,
}

/// The 200 answer.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ack {
    pub received: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A received event, as stored.
#[derive(Debug, Clone)]
pub struct Received {
    pub merchant_id: String,
    pub event_id: String,
    pub order_id: String,
    pub checkout_session_id: String,
    pub event_type: String,
    pub order_status: String,
    pub body: String,
}

/// The merchant whose secret signed `body`.
pub fn authenticate<'a>(
    state: &'a AppState,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<&'a str, SignatureError> {
    use secrecy::ExposeSecret;
    let mut refusal = SignatureError::Mismatch;
    for (merchant, secret) in &state.webhook_secrets {
        match signature::verify(
            header,
            body,
            secret.expose_secret().as_bytes(),
            now,
            state.webhook_tolerance,
        ) {
            Ok(()) => return Ok(merchant),
            // Missing, malformed or stale is the same for every secret.
            Err(e @ (SignatureError::Missing | SignatureError::Malformed)) => return Err(e),
            Err(e) => refusal = e,
        }
    }
    Err(refusal)
}

/// Reads the envelope; what is wrong is named by JSONPath.
pub fn parse(body: &[u8]) -> Result<Envelope, Error> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        let why = e.to_string();
        let why = why.split(" at line ").next().unwrap_or_default().to_owned();
        if e.is_syntax() || e.is_eof() {
            Error::Body(kit::http::BodyError::Malformed(why))
        } else {
            Error::InvalidPayload {
                message: format!("not an order event: {why}"),
                param: None,
            }
        }
    })?;
    if envelope.data.kind != "order" {
        return Err(Error::InvalidPayload {
            message: "data.type must be \"order\"".into(),
            param: Some("$.data.type".into()),
        });
    }
    Ok(envelope)
}

/// The merchant's `Request-Id` if it is a sane one, else a digest of the body.
pub fn event_id(headers: &HeaderMap, body: &[u8]) -> String {
    headers
        .get(shared::headers::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(
            || format!("sha256:{}", hex::encode(Sha256::digest(body))),
            str::to_owned,
        )
}

/// What changed in the order between two of its events, for the buyer's conversation.
fn order_news(previous: Option<&str>, body: &str) -> Option<String> {
    let order = |b: &str| {
        serde_json::from_str::<serde_json::Value>(b)
            .ok()
            .and_then(|v| {
                serde_json::from_value::<shared::v2026_04_17::Order>(v["data"].clone()).ok()
            })
    };
    let now = order(body)?;
    let before = previous.and_then(order);
    crate::shop::news::describe(before.as_ref(), &now)
}

/// The whole receipt; `true` if the event was new.
pub async fn receive(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Ack, Error> {
    let now = state.clock.now();
    let header = headers
        .get(signature::HEADER)
        .map(|v| v.to_str().map_err(|_| SignatureError::Malformed))
        .transpose()?;
    let merchant = authenticate(state, header, body, now.timestamp())?.to_owned();
    let envelope = parse(body)?;
    let event_id = event_id(headers, body);
    let event = Received {
        merchant_id: merchant,
        event_id: event_id.clone(),
        order_id: envelope.data.id,
        checkout_session_id: envelope.data.checkout_session_id,
        event_type: envelope.kind,
        order_status: envelope.data.status,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let new = store::record(&state.db, &event, now, order_news).await?;
    if new {
        tracing::info!(merchant = %event.merchant_id, order = %event.order_id, event = %event.event_id, kind = %event.event_type, status = %event.order_status, "order event received");
    } else {
        tracing::info!(merchant = %event.merchant_id, event = %event.event_id, "order event received again; already recorded");
    }
    Ok(Ack {
        received: true,
        request_id: headers
            .get(shared::headers::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    })
}
