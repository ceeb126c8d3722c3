//! Order webhooks are never lost: the agent's receiver down for a while, a redelivery, an
//! event parked after its last attempt, and the merchant process killed with events pending.

use std::sync::Arc;

use kit::clock::SystemClock;
use kit::on_both_backends;
use reqwest::Method;
use serde_json::{Value, json};

use crate::crash::{free_port, start_merchant_with};
use crate::helpers::{Backend, TestApp, create_body, new_key};
use crate::shop::{buy, complete_body, eventually, spawn_psp, spawn_shop_with_agent, subscribe};

/// The outbox as the operator sees it.
async fn outbox(app: &TestApp, status: &str) -> Vec<Value> {
    let r = app
        .admin(
            Method::GET,
            &format!("/admin/webhooks?status={status}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    r.body["events"].as_array().expect("events").clone()
}

/// A few orders with a few changes each, all while nobody listens: `(order id, changes)`.
async fn busy_shop(app: &TestApp, psp: &psp::testing::TestPsp) -> Vec<(String, usize)> {
    let variant = app.physical_variant(false, 20);
    let mut orders = Vec::new();
    for i in 0..3 {
        let order = buy(app, psp, &[&variant], "4242424242424242").await;
        let id = order["id"].as_str().expect("id").to_owned();
        let mut events = 1;
        for action in ["confirm", "process"].iter().take(i + 1) {
            let r = app.order_action(&id, action, json!({})).await;
            assert_eq!(r.status, 200, "{:#}", r.body);
            events += 1;
        }
        orders.push((id, events));
    }
    orders
}

async fn events_survive_the_receiver_being_down(backend: Backend) {
    // The receiver's port, with nothing listening on it yet.
    let port = free_port();
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |s| {
        subscribe(
            s,
            &format!("http://127.0.0.1:{port}/agentic_checkout/webhooks/order_events"),
        );
        s.webhooks.max_attempts = 50;
    })
    .await;
    drop(receiver);
    let orders = busy_shop(&app, &psp).await;
    let total: usize = orders.iter().map(|(_, n)| n).sum();

    // Attempts fail and are retried later; nothing is delivered, nothing is dropped.
    eventually(
        &app,
        chrono::Duration::seconds(2),
        "attempts have failed",
        || async {
            outbox(&app, "pending")
                .await
                .iter()
                .filter(|e| e["attempts"].as_i64() >= Some(2))
                .count()
                == orders.len()
        },
    )
    .await;
    let pending = outbox(&app, "pending").await;
    assert_eq!(pending.len(), total);
    // Only each order's first event has been tried (and says why it failed): the rest wait
    // their turn.
    for e in &pending {
        assert_eq!(
            e["attempts"].as_i64() > Some(0),
            e["last_error"].is_string(),
            "{e}"
        );
    }
    let tried: Vec<i64> = pending
        .iter()
        .filter(|e| e["attempts"].as_i64() > Some(0))
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(tried, vec![1; orders.len()]);

    // The receiver comes up: everything arrives, in order, once.
    let receiver = agent::testing::spawn(backend, port, app.clock.clone()).await;
    eventually(
        &app,
        chrono::Duration::seconds(30),
        "every event is delivered",
        || async { outbox(&app, "delivered").await.len() == total },
    )
    .await;
    assert_eq!(receiver.event_count().await, total as i64);
    for (id, n) in &orders {
        let heard: Vec<String> = receiver
            .events_for(id)
            .await
            .into_iter()
            .map(|(_, kind, status, _)| format!("{kind}:{status}"))
            .collect();
        let expected = [
            "order_create:created",
            "order_update:confirmed",
            "order_update:processing",
        ];
        assert_eq!(heard, expected[..*n], "{id}");
    }

    // An acknowledgement lost on the way: the merchant sends the event again, and the receiver
    // recognises it.
    let (order, _) = &orders[0];
    let event = outbox(&app, "delivered")
        .await
        .into_iter()
        .find(|e| e["order_id"] == order.as_str())
        .expect("an event");
    sqlx::query("UPDATE webhook_events SET status = 'pending', next_attempt_ms = 0 WHERE id = $1")
        .bind(event["id"].as_str().expect("id"))
        .execute(&app.state.db.write)
        .await
        .expect("reset");
    app.state.webhooks.notify.notify_one();
    eventually(
        &app,
        chrono::Duration::seconds(1),
        "it is delivered again",
        || async { outbox(&app, "delivered").await.len() == total },
    )
    .await;
    assert_eq!(receiver.event_count().await, total as i64, "stored once");
}

async fn a_parked_event_holds_its_order_back_until_retried(backend: Backend) {
    let port = free_port();
    let (app, psp, receiver) = spawn_shop_with_agent(backend, |s| {
        subscribe(
            s,
            &format!("http://127.0.0.1:{port}/agentic_checkout/webhooks/order_events"),
        );
        s.webhooks.max_attempts = 3;
    })
    .await;
    drop(receiver);
    let variant = app.physical_variant(false, 20);
    let order = buy(&app, &psp, &[&variant], "4242424242424242").await;
    let id = order["id"].as_str().expect("id").to_owned();
    app.order_action(&id, "confirm", json!({})).await;

    eventually(
        &app,
        chrono::Duration::seconds(5),
        "the first event is parked",
        || async { outbox(&app, "parked").await.len() == 1 },
    )
    .await;
    let parked = outbox(&app, "parked").await.remove(0);
    assert_eq!(
        (parked["seq"].as_i64(), parked["attempts"].as_i64()),
        (Some(1), Some(3))
    );
    assert!(
        parked["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("request failed"))
    );
    let waiting = outbox(&app, "pending").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0]["attempts"], 0,
        "the order's next event waits behind it"
    );

    // The receiver is back, but a parked event stays parked until an operator says so.
    let receiver = agent::testing::spawn(backend, port, app.clock.clone()).await;
    for _ in 0..10 {
        app.clock.advance(chrono::Duration::minutes(10));
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    assert_eq!(receiver.event_count().await, 0);
    let r = app
        .admin(
            Method::POST,
            &format!(
                "/admin/webhooks/{}/retry",
                parked["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("pending")),
        "{:#}",
        r.body
    );
    eventually(
        &app,
        chrono::Duration::seconds(1),
        "both are delivered",
        || async { outbox(&app, "delivered").await.len() == 2 },
    )
    .await;
    let heard: Vec<String> = receiver
        .events_for(&id)
        .await
        .into_iter()
        .map(|(_, _, status, _)| status)
        .collect();
    assert_eq!(heard, ["created", "confirmed"]);
    let again = app
        .admin(
            Method::POST,
            &format!(
                "/admin/webhooks/{}/retry",
                parked["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!((again.status, again.code()), (404, "event_not_found"));
}

/// The real merchant binary, killed (SIGKILL) with order events pending and restarted: every
/// event reaches the agent once it listens, in order, once each.
async fn the_merchant_killed_with_events_pending_loses_nothing(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(kit::clock::ManualClock::new(crate::helpers::start_time()));
    let psp = spawn_psp(backend, clock).await;
    let db_url = kit::testing::fresh_database(backend, dir.path(), "merchant").await;
    let (port, hook_port) = (free_port(), free_port());
    let hook = format!("http://127.0.0.1:{hook_port}/agentic_checkout/webhooks/order_events");
    let env = [
        ("MERCHANT__WEBHOOKS__BACKOFF_BASE_MS", "50".to_owned()),
        ("MERCHANT__WEBHOOKS__BACKOFF_MAX_MS", "200".to_owned()),
        ("MERCHANT__WEBHOOKS__POLL_INTERVAL_MS", "50".to_owned()),
        ("MERCHANT__WEBHOOKS__MAX_ATTEMPTS", "100000".to_owned()),
        // An attempt cut short by the kill holds its lease for this plus 5 s.
        ("MERCHANT__WEBHOOKS__TIMEOUT_SECS", "1".to_owned()),
    ];
    let config = dir.path().join("merchant.toml");
    std::fs::write(
        &config,
        format!(
            "[[admin_keys]]\nagent = \"ops\"\nkey = \"{}\"\n\n[[webhooks.endpoints]]\nagent = \"test-agent\"\nurl = \"{hook}\"\nsecret = \"{}\"\n",
            crate::helpers::ADMIN_KEY,
            agent::testing::WEBHOOK_SECRET
        ),
    )
    .expect("config");
    let log = dir.path().join("merchant.log");
    let merchant = start_merchant_with(
        &db_url,
        &psp.base_url,
        port,
        &log,
        None,
        Some(&config),
        &env,
    )
    .await;
    let http = reqwest::Client::new();
    let base = merchant.base_url.clone();

    // Two orders, three changes each, while the agent is away.
    let mut orders = Vec::new();
    for _ in 0..2 {
        let variant = "stride-aero-runner-running-shoes-black-10";
        let (status, session) = crate::crash::call(
            &http,
            &base,
            Method::POST,
            "/checkout_sessions",
            Some(&new_key()),
            Some(&create_body(&[variant], Some("CA"))),
        )
        .await
        .expect("created");
        assert_eq!(status, 201, "{session:#}");
        let id = session["id"].as_str().expect("id").to_owned();
        let total = session["totals"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "total"))
            .and_then(|t| t["amount"].as_i64())
            .expect("total");
        let token = psp
            .delegate(
                &psp::testing::card("4242424242424242"),
                &psp::testing::Allowance::for_session(&id, total),
            )
            .await
            .expect("token");
        let (_, done) = crate::crash::call(
            &http,
            &base,
            Method::POST,
            &format!("/checkout_sessions/{id}/complete"),
            Some(&new_key()),
            Some(&complete_body(&token, None)),
        )
        .await
        .expect("completed");
        let order = done["order"]["id"].as_str().expect("order").to_owned();
        for action in ["confirm", "process"] {
            let r = http
                .post(format!("{base}/admin/orders/{order}/{action}"))
                .bearer_auth(crate::helpers::ADMIN_KEY)
                .header("Idempotency-Key", new_key())
                .json(&json!({}))
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status(), 200);
        }
        orders.push(order);
    }

    let mut merchant = merchant;
    merchant.child.kill().expect("killed");
    merchant.child.wait().expect("reaped");
    drop(merchant);

    // The agent starts listening; the merchant starts again and catches up.
    let receiver = agent::testing::spawn(backend, hook_port, Arc::new(SystemClock)).await;
    let merchant = start_merchant_with(
        &db_url,
        &psp.base_url,
        port,
        &log,
        None,
        Some(&config),
        &env,
    )
    .await;
    for _ in 0..600 {
        if receiver.event_count().await == 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        receiver.event_count().await,
        6,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    for order in &orders {
        let heard: Vec<String> = receiver
            .events_for(order)
            .await
            .into_iter()
            .map(|(_, _, status, _)| status)
            .collect();
        assert_eq!(heard, ["created", "confirmed", "processing"]);
    }
    drop(merchant);
}

on_both_backends!(
    events_survive_the_receiver_being_down,
    a_parked_event_holds_its_order_back_until_retried,
    the_merchant_killed_with_events_pending_loses_nothing,
);
