//! The merchant and the PSP together, both real servers over real HTTP, with the agent's side
//! played by the test (`psp::testing`). Every body the spec describes is validated against the
//! official schema, requests included.

use std::sync::Arc;

use kit::clock::ManualClock;
use kit::testing::Backend;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::schema::Bundle;

pub use psp::testing::{
    Allowance, Card, Challenge, MERCHANT_ID, MERCHANT_SECRET, OTHER_MERCHANT_ID, TestPsp,
    assert_schema, authentication_result, card,
};

use crate::helpers::{Resp, TestApp, new_key, spawn_app_with_clock};

pub async fn spawn_psp(backend: Backend, clock: Arc<ManualClock>) -> TestPsp {
    psp::testing::spawn(backend, clock).await
}

/// A merchant wired to a PSP, sharing one manual clock.
pub async fn spawn_shop(backend: Backend) -> (TestApp, TestPsp) {
    let clock = Arc::new(ManualClock::new(crate::helpers::start_time()));
    let psp = spawn_psp(backend, clock.clone()).await;
    let psp_url = psp.base_url.clone();
    let app = spawn_app_with_clock(backend, clock, move |s| {
        s.payment.psp_url = psp_url;
        s.payment.secret_key = SecretString::from(MERCHANT_SECRET);
    })
    .await;
    (app, psp)
}

/// The complete request body, validated against the schema.
pub fn complete_body(token: &str, authentication_result: Option<Value>) -> Value {
    let mut body = json!({
        "payment_data": {
            "handler_id": "card",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            "billing_address": {"name": "Jane Doe", "line_one": "1 Market St", "city": "San Francisco", "state": "CA", "country": "US", "postal_code": "94105"}
        },
        "risk_signals": {"ip_address": "127.0.0.1", "user_agent": "acp-demo-tests"}
    });
    if let Some(r) = authentication_result {
        body["authentication_result"] = r;
    }
    assert_schema(Bundle::Checkout, "CheckoutSessionCompleteRequest", &body);
    body
}

impl TestApp {
    pub async fn complete(&self, id: &str, body: Value) -> Resp {
        self.complete_with_key(id, body, &new_key()).await
    }

    pub async fn complete_with_key(&self, id: &str, body: Value, key: &str) -> Resp {
        self.call(
            Method::POST,
            &format!("/checkout_sessions/{id}/complete"),
            Some(key),
            Some(body),
        )
        .await
    }
}

/// A token for the whole of a merchant session's total.
pub async fn token_for(psp: &TestPsp, number: &str, session: &Resp) -> String {
    psp.token(
        number,
        &session.id(),
        session.total("total").expect("a total"),
    )
    .await
}
