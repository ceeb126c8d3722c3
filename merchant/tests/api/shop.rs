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

use crate::helpers::{Resp, TestApp, create_body, new_key, spawn_app_with_clock};
use merchant::configuration::{Settings, WebhookEndpoint};

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

/// A merchant, its PSP and the agent's webhook receiver, sharing one manual clock. The merchant
/// delivers the test agent's order events to the receiver; `configure` may change the rest.
pub async fn spawn_shop_with_agent(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, TestPsp, agent::testing::TestAgent) {
    let clock = Arc::new(ManualClock::new(crate::helpers::start_time()));
    let psp = spawn_psp(backend, clock.clone()).await;
    let receiver = agent::testing::spawn(backend, 0, clock.clone()).await;
    let (psp_url, hook) = (psp.base_url.clone(), receiver.webhook_url());
    let app = spawn_app_with_clock(backend, clock, move |s| {
        s.payment.psp_url = psp_url;
        s.payment.secret_key = SecretString::from(MERCHANT_SECRET);
        subscribe(s, &hook);
        configure(s);
    })
    .await;
    (app, psp, receiver)
}

/// Sends the test agent's order events to `url`, quickly: polls every 20 ms, retries after 1 s
/// (doubling up to a minute) of the shared clock.
pub fn subscribe(s: &mut Settings, url: &str) {
    s.webhooks.endpoints = vec![WebhookEndpoint {
        agent: "test-agent".into(),
        url: url.to_owned(),
        secret: SecretString::from(agent::testing::WEBHOOK_SECRET),
    }];
    s.webhooks.poll_interval_ms = 20;
    s.webhooks.backoff_base_ms = 1_000;
    s.webhooks.backoff_max_ms = 60_000;
    s.webhooks.timeout_secs = 2;
}

/// Buys one unit of each of `variants` (shipped to California when any is physical) with
/// `number`; the order.
pub async fn buy(app: &TestApp, psp: &TestPsp, variants: &[&str], number: &str) -> Value {
    let session = app.create(create_body(variants, Some("CA"))).await;
    assert_eq!(
        session.status_text(),
        "ready_for_payment",
        "{:?}",
        session.messages()
    );
    let token = token_for(psp, number, &session).await;
    let done = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(done.status_text(), "completed", "{:#}", done.body);
    done.body["order"].clone()
}

/// Waits (up to 10 s) until `check` holds, moving the shared clock on by `step` each round so
/// that retries fall due.
pub async fn eventually<F, Fut>(app: &TestApp, step: chrono::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..500 {
        if check().await {
            return;
        }
        app.clock.advance(step);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}
