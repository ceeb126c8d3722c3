//! The order lifecycle driven by an operator through `/admin`, with refunds at the real PSP,
//! and the agent's receiver hearing every change: each admin answer validates as an `Order`,
//! each event as a `WebhookEvent`.

use kit::clock::Clock;
use kit::on_both_backends;
use reqwest::Method;
use serde_json::{Value, json};
use shared::ApiVersion;
use shared::schema::validate_webhook_event;

use crate::helpers::{API_KEY, Backend, TestApp};
use crate::shop::{buy, eventually, spawn_shop_with_agent};
use agent::testing::TestAgent;

/// The order's events as the agent received them: `(type, order status)`, each body checked
/// against the schema.
async fn heard(receiver: &TestAgent, order: &str) -> Vec<(String, String)> {
    receiver
        .events_for(order)
        .await
        .into_iter()
        .map(|(_, kind, status, body)| {
            let body: Value = serde_json::from_str(&body).expect("JSON");
            validate_webhook_event(ApiVersion::V2026_04_17, &body)
                .unwrap_or_else(|e| panic!("{e}\n{body:#}"));
            (kind, status)
        })
        .collect()
}

async fn wait_for_events(app: &TestApp, receiver: &TestAgent, order: &str, n: usize) {
    eventually(
        app,
        chrono::Duration::seconds(1),
        "the agent has heard",
        || async { receiver.events_for(order).await.len() >= n },
    )
    .await;
}

fn id(order: &Value) -> String {
    order["id"].as_str().expect("order id").to_owned()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The amount of a totals entry.
fn total(order: &Value, kind: &str) -> Option<i64> {
    order["totals"]
        .as_array()?
        .iter()
        .find(|t| t["type"] == kind)
        .and_then(|t| t["amount"].as_i64())
}

async fn an_order_goes_from_created_to_completed_and_the_agent_hears_each_step(backend: Backend) {
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    wait_for_events(&app, &receiver, &oid, 1).await;

    let r = app.order_action(&oid, "confirm", json!({})).await;
    assert_eq!(
        (r.status, r.status_text()),
        (200, "confirmed"),
        "{:#}",
        r.body
    );
    let r = app.order_action(&oid, "process", json!({})).await;
    assert_eq!(r.status_text(), "processing");
    let r = app
        .order_action(
            &oid,
            "ship",
            json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}),
        )
        .await;
    assert_eq!(r.status_text(), "shipped", "{:#}", r.body);
    let parcel = &r.body["fulfillments"][0];
    assert_eq!(parcel["type"], "shipping");
    assert_eq!(parcel["status"], "shipped");
    assert_eq!(
        parcel["tracking_url"],
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    );
    assert_eq!(parcel["events"][0]["type"], "shipped");
    assert_eq!(parcel["destination"]["state"], "CA");
    assert_eq!(r.body["line_items"][0]["status"], "fulfilled");
    assert_eq!(r.body["line_items"][0]["quantity"]["fulfilled"], 1);
    let r = app.order_action(&oid, "deliver", json!({})).await;
    assert_eq!(r.status_text(), "completed");
    assert_eq!(r.body["fulfillments"][0]["status"], "delivered");
    assert_eq!(r.body["fulfillments"][0]["events"][1]["type"], "delivered");

    wait_for_events(&app, &receiver, &oid, 5).await;
    assert_eq!(
        heard(&receiver, &oid).await,
        pairs(&[
            ("order_create", "created"),
            ("order_update", "confirmed"),
            ("order_update", "processing"),
            ("order_update", "shipped"),
            ("order_update", "completed"),
        ])
    );
    // What the agent holds last is what the admin API shows.
    let (_, _, _, last) = receiver.events_for(&oid).await.pop().expect("events");
    let last: Value = serde_json::from_str(&last).expect("JSON");
    let shown = app
        .admin(Method::GET, &format!("/admin/orders/{oid}"), None)
        .await;
    assert_eq!(last["data"], shown.body);

    // Finished: no more moves.
    let r = app.order_action(&oid, "cancel", json!({})).await;
    assert_eq!((r.status, r.code()), (409, "invalid_order_state"));
    let listed = app
        .admin(Method::GET, "/admin/orders?status=completed", None)
        .await;
    assert_eq!(listed.body["orders"][0]["id"], oid.as_str());
}

async fn parcels_can_leave_and_arrive_one_at_a_time(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let a = app.physical_variant(false, 10);
    let b = app.find_variant(|p, v| !p.digital && v.stock >= 10 && v.id != a);
    let order = buy(&app, &psp, &[&a, &b], "4242424242424242").await;
    let oid = id(&order);
    let first_line = order["line_items"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();

    let r = app
        .order_action(&oid, "ship", json!({"carrier": "USPS", "tracking_number": "9400111899223456789012", "line_items": [{"id": first_line, "quantity": 1}]}))
        .await;
    assert_eq!(r.status_text(), "processing", "{:#}", r.body);
    assert_eq!(r.body["line_items"][0]["status"], "fulfilled");
    assert_eq!(r.body["line_items"][1]["status"], "processing");
    let first_parcel = r.body["fulfillments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The same units cannot leave twice.
    let again = app
        .order_action(&oid, "ship", json!({"carrier": "USPS", "tracking_number": "1", "line_items": [{"id": first_line, "quantity": 1}]}))
        .await;
    assert_eq!((again.status, again.code()), (400, "invalid"));

    let r = app
        .order_action(
            &oid,
            "ship",
            json!({"carrier": "FedEx", "tracking_number": "123456789012"}),
        )
        .await;
    assert_eq!(r.status_text(), "shipped");
    assert_eq!(r.body["fulfillments"].as_array().map(Vec::len), Some(2));
    let r = app
        .order_action(&oid, "deliver", json!({"fulfillment_id": first_parcel}))
        .await;
    assert_eq!(r.status_text(), "shipped", "one parcel is still on its way");
    let r = app.order_action(&oid, "deliver", json!({})).await;
    assert_eq!(r.status_text(), "completed");
    let r = app.order_action(&oid, "deliver", json!({})).await;
    assert_eq!((r.status, r.code()), (409, "invalid_order_state"));
}

async fn digital_orders_are_delivered_on_confirmation(backend: Backend) {
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let ebook = app.find_variant(|p, v| p.digital && v.stock >= 5);
    let order = buy(&app, &psp, &[&ebook], "4242424242424242").await;
    let oid = id(&order);
    let r = app.order_action(&oid, "confirm", json!({})).await;
    assert_eq!(r.status_text(), "completed", "{:#}", r.body);
    let delivery = &r.body["fulfillments"][0];
    assert_eq!(delivery["type"], "digital");
    assert_eq!(delivery["status"], "delivered");
    let key = delivery["digital_delivery"]["license_key"]
        .as_str()
        .expect("key");
    assert_eq!(key.len(), 19, "{key}");
    assert!(
        delivery["digital_delivery"]["access_url"]
            .as_str()
            .is_some_and(|u| u.contains(&oid))
    );
    let r = app
        .order_action(
            &oid,
            "ship",
            json!({"carrier": "UPS", "tracking_number": "1Z"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "invalid_order_state"));
    wait_for_events(&app, &receiver, &oid, 2).await;
    assert_eq!(
        heard(&receiver, &oid).await,
        pairs(&[("order_create", "created"), ("order_update", "completed")])
    );
}

async fn canceling_restocks_and_refunds_in_full(backend: Backend) {
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let (on_hand, _) = app.stock(&variant).await;
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    assert_eq!(app.stock(&variant).await.0, on_hand - 1);
    let charged = total(&order, "total").expect("total");

    let r = app
        .order_action(
            &oid,
            "cancel",
            json!({"reason": "buyer changed their mind"}),
        )
        .await;
    assert_eq!(r.status_text(), "canceled", "{:#}", r.body);
    assert_eq!(r.body["line_items"][0]["quantity"]["current"], 0);
    assert_eq!(r.body["line_items"][0]["status"], "removed");
    let kinds: Vec<(&str, &str)> = r.body["adjustments"]
        .as_array()
        .expect("adjustments")
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap_or(""),
                a["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("cancellation", "completed"), ("refund", "completed")]
    );
    assert_eq!(r.body["adjustments"][1]["amount"], charged);
    assert_eq!(total(&r.body, "amount_refunded"), Some(charged));
    assert_eq!(
        total(&r.body, "total"),
        Some(charged),
        "the total is what was charged"
    );
    assert_eq!(app.stock(&variant).await.0, on_hand, "back on the shelf");

    let refunded: i64 = sqlx::query_scalar(
        "SELECT amount_refunded FROM payment_intents WHERE checkout_session_id = $1",
    )
    .bind(order["checkout_session_id"].as_str().expect("session"))
    .fetch_one(&psp.state.db.read)
    .await
    .expect("intent");
    assert_eq!(refunded, charged);

    let r = app
        .order_action(
            &oid,
            "ship",
            json!({"carrier": "UPS", "tracking_number": "1Z1"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "invalid_order_state"));
    let r = app.order_action(&oid, "refund", json!({})).await;
    assert_eq!((r.status, r.code()), (400, "amount_too_large"));

    // A shipped order cannot be canceled.
    let other = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let r = app
        .order_action(
            &id(&other),
            "ship",
            json!({"carrier": "UPS", "tracking_number": "1Z2"}),
        )
        .await;
    assert_eq!(r.status_text(), "shipped");
    let r = app.order_action(&id(&other), "cancel", json!({})).await;
    assert_eq!((r.status, r.code()), (409, "invalid_order_state"));

    wait_for_events(&app, &receiver, &oid, 3).await;
    assert_eq!(
        heard(&receiver, &oid).await,
        pairs(&[
            ("order_create", "created"),
            ("order_update", "canceled"),
            ("order_update", "canceled"),
        ]),
        "the cancellation, then its refund's outcome"
    );
}

async fn refunds_never_exceed_the_charge(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    let charged = total(&order, "total").expect("total");

    let r = app
        .order_action(
            &oid,
            "refund",
            json!({"amount": 1000, "reason": "scuffed box"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.body["adjustments"][0]["status"], "completed");
    assert_eq!(r.body["adjustments"][0]["amount"], 1000);
    assert_eq!(r.body["adjustments"][0]["currency"], "usd");
    assert_eq!(r.body["adjustments"][0]["reason"], "scuffed box");
    assert_eq!(total(&r.body, "amount_refunded"), Some(1000));
    let r = app
        .order_action(&oid, "refund", json!({"amount": charged - 999}))
        .await;
    assert_eq!((r.status, r.code()), (400, "amount_too_large"));
    let r = app.order_action(&oid, "refund", json!({"amount": 0})).await;
    assert_eq!((r.status, r.code()), (400, "invalid"));
    let r = app.order_action(&oid, "refund", json!({})).await;
    assert_eq!(total(&r.body, "amount_refunded"), Some(charged), "the rest");
    let r = app.order_action(&oid, "refund", json!({"amount": 1})).await;
    assert_eq!((r.status, r.code()), (400, "amount_too_large"));
    let refunded: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds WHERE status = 'succeeded'",
    )
    .fetch_one(&psp.state.db.read)
    .await
    .expect("refunds");
    assert_eq!(refunded, charged, "the PSP agrees");
}

async fn a_refund_the_psp_refuses_does_not_count(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4000000000005126").await;
    let oid = id(&order);
    let r = app
        .order_action(&oid, "refund", json!({"amount": 500}))
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let adj = &r.body["adjustments"][0];
    assert_eq!(
        (adj["type"].as_str(), adj["status"].as_str()),
        (Some("refund"), Some("failed"))
    );
    assert!(
        adj["description"]
            .as_str()
            .is_some_and(|d| d.contains("refused"))
    );
    assert_eq!(
        total(&r.body, "amount_refunded"),
        None,
        "nothing was refunded"
    );
    // It can be tried again (and fails again with this card).
    let r = app
        .order_action(&oid, "refund", json!({"amount": 500}))
        .await;
    assert_eq!(r.body["adjustments"][1]["status"], "failed");
}

async fn a_retried_refund_request_refunds_once(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    let send = |key: &'static str| {
        let app = &app;
        let path = format!("/admin/orders/{oid}/refund");
        async move {
            app.request(
                Method::POST,
                &path,
                &[
                    (
                        "Authorization",
                        &format!("Bearer {}", crate::helpers::ADMIN_KEY),
                    ),
                    ("Idempotency-Key", key),
                    ("Content-Type", "application/json"),
                ],
                Some(br#"{"amount": 700}"#.to_vec()),
            )
            .await
        }
    };
    let first = send("refund-once").await;
    let again = send("refund-once").await;
    assert_eq!(first.body, again.body);
    assert!(again.replayed());
    assert_eq!(first.body["adjustments"].as_array().map(Vec::len), Some(1));
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refunds")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("refunds");
    assert_eq!(count, 1);
}

async fn a_refund_the_psp_could_not_answer_is_finished_later(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    let psp_port: u16 = psp
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (dir, url) = psp.stop().await;

    let r = app
        .order_action(&oid, "refund", json!({"amount": 900}))
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.body["adjustments"][0]["status"], "pending");
    assert_eq!(total(&r.body, "amount_refunded"), None);

    // The PSP is back; the sweeper finishes the refund, once.
    let psp =
        psp::testing::spawn_on(dir, url, app.clock.clone(), |s| s.server.port = psp_port).await;
    app.clock.advance(chrono::Duration::seconds(61));
    let settled = merchant::orders::recover_refunds(&app.state, app.clock.now())
        .await
        .expect("recovery");
    assert_eq!(settled, 1);
    let shown = app
        .admin(Method::GET, &format!("/admin/orders/{oid}"), None)
        .await;
    assert_eq!(shown.body["adjustments"][0]["status"], "completed");
    assert_eq!(total(&shown.body, "amount_refunded"), Some(900));
    assert_eq!(
        merchant::orders::recover_refunds(&app.state, app.clock.now())
            .await
            .expect("recovery"),
        0
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refunds")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("refunds");
    assert_eq!(count, 1);
}

async fn only_operators_drive_orders(backend: Backend) {
    let (app, psp, _receiver) = spawn_shop_with_agent(backend, |_| {}).await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    let path = format!("/admin/orders/{oid}/confirm");
    for auth in [None, Some(API_KEY), Some("not-a-key")] {
        let bearer = auth.map(|k| format!("Bearer {k}"));
        let mut headers = vec![
            ("Idempotency-Key", "k1"),
            ("Content-Type", "application/json"),
        ];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b));
        }
        let r = app
            .request(Method::POST, &path, &headers, Some(b"{}".to_vec()))
            .await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{auth:?}");
    }
    let r = app.order_action("ord_nope", "confirm", json!({})).await;
    assert_eq!((r.status, r.code()), (404, "order_not_found"));
    let r = app.order_action(&oid, "teleport", json!({})).await;
    assert_eq!(r.status, 404);
    let r = app
        .order_action(&oid, "ship", json!({"carrier": "UPS"}))
        .await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "missing_required_field", Some("$.tracking_number"))
    );
    let r = app
        .order_action(&oid, "confirm", json!({"when": "now"}))
        .await;
    assert_eq!((r.status, r.code()), (400, "unknown_field"));
}

async fn the_demo_clock_moves_orders_along(backend: Backend) {
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |s| {
        s.demo_clock.enabled = true;
        s.demo_clock.confirm_after_secs = 10;
        s.demo_clock.ship_after_secs = 20;
        s.demo_clock.deliver_after_secs = 40;
    })
    .await;
    let variant = app.physical_variant(false, 10);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let oid = id(&order);
    let path = format!("/admin/orders/{oid}");
    let status = || async {
        app.admin(Method::GET, &path, None)
            .await
            .status_text()
            .to_owned()
    };
    let tick = || merchant::orders::demo_clock_tick(&app.state);

    app.clock.advance(chrono::Duration::seconds(9));
    assert_eq!(tick().await.expect("tick"), 0);
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(tick().await.expect("tick"), 1);
    assert_eq!(status().await, "confirmed");
    for expected in ["processing", "shipped"] {
        app.clock.advance(chrono::Duration::seconds(10));
        tick().await.expect("tick");
        assert_eq!(status().await, expected);
    }
    let shown = app
        .admin(Method::GET, &format!("/admin/orders/{oid}"), None)
        .await;
    let parcel = &shown.body["fulfillments"][0];
    let carrier = parcel["carrier"].as_str().expect("carrier");
    assert_eq!(carrier, "USPS", "the carrier of standard shipping");
    assert!(
        parcel["tracking_number"]
            .as_str()
            .is_some_and(|n| n.starts_with("9400") && n.len() == 22)
    );
    app.clock.advance(chrono::Duration::seconds(40));
    tick().await.expect("tick");
    assert_eq!(status().await, "completed");
    wait_for_events(&app, &receiver, &oid, 5).await;
}

on_both_backends!(
    an_order_goes_from_created_to_completed_and_the_agent_hears_each_step,
    parcels_can_leave_and_arrive_one_at_a_time,
    digital_orders_are_delivered_on_confirmation,
    canceling_restocks_and_refunds_in_full,
    refunds_never_exceed_the_charge,
    a_refund_the_psp_refuses_does_not_count,
    a_retried_refund_request_refunds_once,
    a_refund_the_psp_could_not_answer_is_finished_later,
    only_operators_drive_orders,
    the_demo_clock_moves_orders_along,
);
