//! The order webhook receiver over real HTTP, on SQLite and PostgreSQL: signatures checked as
//! the spec writes them, every refusal the spec's error, each event stored once.

use std::sync::Arc;

use agent::testing::{MERCHANT_ID, TestAgent, WEBHOOK_SECRET, spawn};
use kit::clock::ManualClock;
use kit::on_both_backends;
use kit::testing::Backend;
use serde_json::{Value, json};
use shared::signature;

const NOW: i64 = 1_795_446_000; // 2026-11-23T15:00:00Z

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(NOW, 0).expect("valid"),
    ))
}

fn event(kind: &str, status: &str) -> String {
    json!({
        "type": kind,
        "data": {
            "type": "order", "id": "ord_1", "checkout_session_id": "cs_1",
            "permalink_url": "https://shop.example/orders/ord_1", "status": status,
            "line_items": [{"id": "li_1", "title": "Shoes", "quantity": {"ordered": 1, "current": 1, "fulfilled": 0}}]
        }
    })
    .to_string()
}

struct Answer {
    status: u16,
    body: Value,
}

async fn post(agent: &TestAgent, headers: &[(&str, String)], body: &str) -> Answer {
    let mut req = reqwest::Client::new()
        .post(agent.webhook_url())
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("JSON");
    if status != 200 {
        // The webhook API's Error: exactly these fields, `type` from its closed list.
        let obj = body.as_object().expect("object");
        assert!(
            obj.keys()
                .all(|k| ["type", "code", "message", "param"].contains(&k.as_str())),
            "{body}"
        );
        assert!(
            ["invalid_request", "processing_error", "service_unavailable"]
                .contains(&body["type"].as_str().unwrap_or("")),
            "{body}"
        );
    }
    Answer { status, body }
}

fn signed(body: &str, at: i64, request_id: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            signature::HEADER,
            signature::sign(WEBHOOK_SECRET.as_bytes(), at, body.as_bytes()),
        ),
        ("Request-Id", request_id.to_owned()),
    ]
}

async fn a_signed_event_is_stored_once_however_often_it_comes(backend: Backend) {
    let agent = spawn(backend, 0, clock()).await;
    let body = event("order_create", "created");
    let first = post(&agent, &signed(&body, NOW, "evt_a"), &body).await;
    assert_eq!(
        (first.status, first.body.clone()),
        (200, json!({"received": true, "request_id": "evt_a"}))
    );
    // Redelivered (a lost acknowledgement), even signed at another time: acknowledged, kept once.
    let again = post(&agent, &signed(&body, NOW + 60, "evt_a"), &body).await;
    assert_eq!(again.status, 200);
    assert_eq!(agent.event_count().await, 1);

    let update = event("order_update", "confirmed");
    assert_eq!(
        post(&agent, &signed(&update, NOW, "evt_b"), &update)
            .await
            .status,
        200
    );
    // Unknown event types are accepted, as the spec requires.
    let novel = event("order_teleported", "confirmed");
    assert_eq!(
        post(&agent, &signed(&novel, NOW, "evt_c"), &novel)
            .await
            .status,
        200
    );
    let events = agent.events_for("ord_1").await;
    let kinds: Vec<&str> = events.iter().map(|(_, k, _, _)| k.as_str()).collect();
    assert_eq!(kinds, ["order_create", "order_update", "order_teleported"]);
    assert_eq!(events[0].3, body, "the body is kept as sent");

    // Without a Request-Id the body's digest identifies it.
    let bare = event("order_update", "shipped");
    let headers = vec![(
        signature::HEADER,
        signature::sign(WEBHOOK_SECRET.as_bytes(), NOW, bare.as_bytes()),
    )];
    assert_eq!(post(&agent, &headers, &bare).await.status, 200);
    assert_eq!(post(&agent, &headers, &bare).await.status, 200);
    assert_eq!(agent.event_count().await, 4);
    let status: String = sqlx::query_scalar(
        "SELECT status FROM orders WHERE merchant_id = $1 AND order_id = 'ord_1'",
    )
    .bind(MERCHANT_ID)
    .fetch_one(&agent.state.db.read)
    .await
    .expect("order");
    assert_eq!(status, "shipped");
}

async fn bad_signatures_are_refused_with_the_specs_messages(backend: Backend) {
    let agent = spawn(backend, 0, clock()).await;
    let body = event("order_create", "created");
    let sig = |secret: &str, at: i64, b: &str| signature::sign(secret.as_bytes(), at, b.as_bytes());
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(Headers, String, &str)> = vec![
        (vec![], body.clone(), "Missing Merchant-Signature header."),
        (
            vec![(signature::HEADER, "sha256=abc".into())],
            body.clone(),
            "Merchant-Signature must be t=<timestamp>,v1=<64_hex>.",
        ),
        (
            vec![(signature::HEADER, sig(WEBHOOK_SECRET, NOW - 301, &body))],
            body.clone(),
            "Timestamp outside allowed window.",
        ),
        (
            vec![(signature::HEADER, sig(WEBHOOK_SECRET, NOW + 301, &body))],
            body.clone(),
            "Timestamp outside allowed window.",
        ),
        (
            vec![(
                signature::HEADER,
                sig("whsec_somebody_else_entirely", NOW, &body),
            )],
            body.clone(),
            "Webhook signature verification failed.",
        ),
        (
            vec![(signature::HEADER, sig(WEBHOOK_SECRET, NOW, &body))],
            body.replace("created", "shipped"),
            "Webhook signature verification failed.",
        ),
    ];
    for (headers, b, message) in cases {
        let r = post(&agent, &headers, &b).await;
        assert_eq!(r.status, 401, "{message}");
        assert_eq!(
            r.body,
            json!({"type": "invalid_request", "code": "invalid_signature", "message": message})
        );
    }
    assert_eq!(agent.event_count().await, 0);
}

async fn signed_bodies_that_are_not_order_events_are_refused(backend: Backend) {
    let agent = spawn(backend, 0, clock()).await;
    for (body, param) in [
        (json!({"type": "order_create"}).to_string(), None),
        (json!({"type": "order_create", "data": {"type": "refund", "id": "x", "checkout_session_id": "c", "permalink_url": "u", "status": "s"}}).to_string(), Some("$.data.type")),
        ("[1, 2]".to_owned(), None),
    ] {
        let r = post(&agent, &signed(&body, NOW, "evt_x"), &body).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_payload")), "{body}");
        assert_eq!(r.body["param"].as_str(), param);
    }
    let r = post(&agent, &signed("{not json", NOW, "evt_y"), "{not json").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("invalid_json"))
    );
    assert_eq!(agent.event_count().await, 0);
}

on_both_backends!(
    a_signed_event_is_stored_once_however_often_it_comes,
    bad_signatures_are_refused_with_the_specs_messages,
    signed_bodies_that_are_not_order_events_are_refused,
);
