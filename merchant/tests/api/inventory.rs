//! Inventory holds: reserved while a session is open, never oversold, released when it ends.

use serde_json::json;

use crate::helpers::{Backend, create_body, spawn_app};
use kit::on_both_backends;

async fn two_sessions_cannot_both_hold_the_last_unit(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 1);
    app.set_stock(&variant, 1).await;
    let body = create_body(&[&variant], Some("CA"));
    let (a, b) = tokio::join!(app.create(body.clone()), app.create(body.clone()));
    let ready = [&a, &b]
        .iter()
        .filter(|r| r.status_text() == "ready_for_payment")
        .count();
    assert_eq!(ready, 1, "exactly one session holds the last unit");
    let loser = if a.status_text() == "ready_for_payment" {
        &b
    } else {
        &a
    };
    assert_eq!(
        loser.status, 201,
        "the other session still exists, so the agent can talk about it"
    );
    assert!(loser.has_message("error", "out_of_stock"));
    assert_eq!(
        loser.message_param("out_of_stock").as_deref(),
        Some("$.line_items[0]")
    );
    assert_eq!(
        loser.body["line_items"][0]["availability_status"],
        "out_of_stock"
    );
    assert_eq!(app.stock(&variant).await, (1, 1));

    // When the winner cancels, the loser can get the unit on its next update.
    let winner = if a.status_text() == "ready_for_payment" {
        &a
    } else {
        &b
    };
    app.cancel(&winner.id(), None).await;
    assert_eq!(app.stock(&variant).await, (1, 0));
    let retried = app
        .update(&loser.id(), json!({"order_notes": "try again"}))
        .await;
    assert_eq!(retried.status_text(), "ready_for_payment");
    assert_eq!(app.stock(&variant).await, (1, 1));
}

async fn many_concurrent_buyers_never_oversell(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 3);
    app.set_stock(&variant, 3).await;
    let body = create_body(&[&variant], Some("NY"));
    let results = futures::future::join_all((0..12).map(|_| app.create(body.clone()))).await;
    let holding = results
        .iter()
        .filter(|r| r.status_text() == "ready_for_payment")
        .count();
    assert_eq!(holding, 3);
    assert_eq!(app.stock(&variant).await, (3, 3));
}

async fn partial_stock_and_per_order_limits_are_explained(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant =
        app.find_variant(|p, v| !p.digital && p.max_quantity_per_order >= 4 && v.stock >= 1);
    app.set_stock(&variant, 2).await;
    let r = app
        .create(create_body(&[&variant, &variant, &variant], Some("CA")))
        .await;
    assert!(r.has_message("error", "low_stock"));
    assert_eq!(r.body["line_items"][0]["available_quantity"], 2);
    assert_eq!(r.status_text(), "not_ready_for_payment");
    assert_eq!(
        app.stock(&variant).await.1,
        0,
        "a line that cannot be filled holds nothing new"
    );
    let id = r.id();
    let r = app
        .update(
            &id,
            json!({"line_items": [{"id": variant}, {"id": variant}]}),
        )
        .await;
    assert_eq!(r.status_text(), "ready_for_payment");
    assert!(r.has_message("warning", "low_stock"), "{:?}", r.messages());
    assert_eq!(app.stock(&variant).await.1, 2);

    let limit = app
        .state
        .catalog
        .variant(&variant)
        .expect("known")
        .product
        .max_quantity_per_order as usize;
    app.set_stock(&variant, 100).await;
    let too_many: Vec<serde_json::Value> = (0..=limit).map(|_| json!({"id": variant})).collect();
    let r = app.update(&id, json!({"line_items": too_many})).await;
    assert!(r.has_message("error", "quantity_exceeded"));
    assert_eq!(r.status_text(), "not_ready_for_payment");
    assert_eq!(
        app.stock(&variant).await.1,
        2,
        "over the limit, the line keeps what it had"
    );
}

async fn out_of_stock_items_are_reported_not_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.find_variant(|p, v| !p.digital && v.stock == 0);
    let r = app.create(create_body(&[&variant], Some("CA"))).await;
    assert_eq!(r.status, 201);
    assert!(r.has_message("error", "out_of_stock"));
    assert_eq!(r.status_text(), "not_ready_for_payment");
}

async fn low_stock_takes_the_exact_path_and_leaves_nothing_half_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let plenty = app.physical_variant(false, 20);
    let scarce = app.find_variant(|p, v| !p.digital && v.id != plenty && v.stock >= 1);
    // Five free units: one is taken and four remain, more than the low-stock threshold.
    app.set_stock(&scarce, 5).await;
    let r = app.create(create_body(&[&scarce], Some("CA"))).await;
    assert_eq!(r.status_text(), "ready_for_payment");
    assert!(
        r.body["line_items"][0].get("available_quantity").is_none(),
        "plenty is not counted"
    );
    assert!(!r.has_message("warning", "low_stock"));
    // Now four free: one taken leaves three, which the buyer is told about.
    let r = app.create(create_body(&[&scarce], Some("CA"))).await;
    assert_eq!(
        r.body["line_items"][0]["available_quantity"], 4,
        "the line's 1 plus 3 still free"
    );
    assert!(r.has_message("warning", "low_stock"));
    assert_eq!(app.stock(&scarce).await, (5, 2));

    // A cart with a plentiful and a scarce line: the one-statement attempt fails as a whole,
    // and the exact path holds each unit exactly once.
    app.set_stock(&scarce, 3).await;
    let before_plenty = app.stock(&plenty).await.1;
    let r = app
        .create(create_body(&[&plenty, &scarce], Some("CA")))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(app.stock(&plenty).await.1, before_plenty + 1);
    assert_eq!(app.stock(&scarce).await, (3, 3));
    assert!(r.has_message("warning", "low_stock"));
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&app.state.db.read)
        .await
        .expect("query");
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&app.state.db.read)
        .await
        .expect("query");
    assert_eq!(
        (sessions, keys),
        (3, 3),
        "one session and one stored response per create"
    );
    assert_eq!(
        app.get(&r.id()).await.body,
        r.body,
        "what was stored is what was answered"
    );
}

/// Updates racing on one session, some taking units and some giving them back: the losers
/// retry instead of failing, and what is held at the end is exactly what the session holds.
async fn concurrent_updates_of_one_session_keep_holds_exact(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 30);
    let before = app.stock(&variant).await.1;
    let id = app.create(create_body(&[&variant], Some("CA"))).await.id();
    let updates = (0..8).map(|i| {
        let items: Vec<_> = (0..=(i % 4)).map(|_| json!({"id": &variant})).collect();
        app.update(&id, json!({"line_items": items}))
    });
    for r in futures::future::join_all(updates).await {
        assert_eq!(r.status, 200, "{:#}", r.body);
    }
    let held: i64 = app.get(&id).await.body["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["quantity"].as_i64().expect("quantity"))
        .sum();
    assert_eq!(app.stock(&variant).await.1, before + held);
}

/// Creates that arrive together are written together (group commit), and each gets its own
/// answer: what was stored for its key, its holds, its session.
async fn concurrent_creates_are_written_together_and_each_answered(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.physical_variant(false, 20);
    let b = app.physical_variant(true, 20);
    app.set_stock(&a, 1000).await;
    app.set_stock(&b, 1000).await;
    let before = app.state.creates.stats();
    let bodies: Vec<_> = (0..40)
        .map(|i| {
            let items: Vec<&str> = if i % 3 == 0 { vec![&a, &b] } else { vec![&a] };
            create_body(&items, Some("WA"))
        })
        .collect();
    let results = futures::future::join_all(bodies.into_iter().map(|body| app.create(body))).await;
    assert!(
        results
            .iter()
            .all(|r| r.status == 201 && r.status_text() == "ready_for_payment")
    );
    let ids: std::collections::HashSet<String> = results.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), 40);
    assert_eq!(app.stock(&a).await, (1000, 40));
    assert_eq!(app.stock(&b).await, (1000, 14));
    let stats = app.state.creates.stats();
    assert!(
        stats.batched > before.batched,
        "some were written together: {stats:?}"
    );
    assert!(
        stats.writes - before.writes < 40,
        "fewer writes than creates: {stats:?}"
    );
    for r in results.iter().take(5) {
        assert_eq!(
            app.get(&r.id()).await.body,
            r.body,
            "what was stored is what was answered"
        );
    }

    // Scarce stock: the batch fails as a unit, and one-at-a-time writes never oversell.
    app.set_stock(&b, 14 + 9).await;
    let body = create_body(&[&b], Some("WA"));
    let results = futures::future::join_all((0..16).map(|_| app.create(body.clone()))).await;
    let ready = results
        .iter()
        .filter(|r| r.status_text() == "ready_for_payment")
        .count();
    assert_eq!(ready, 9);
    assert_eq!(app.stock(&b).await, (23, 23));
}

on_both_backends!(
    concurrent_creates_are_written_together_and_each_answered,
    low_stock_takes_the_exact_path_and_leaves_nothing_half_done,
    two_sessions_cannot_both_hold_the_last_unit,
    many_concurrent_buyers_never_oversell,
    concurrent_updates_of_one_session_keep_holds_exact,
    partial_stock_and_per_order_limits_are_explained,
    out_of_stock_items_are_reported_not_refused,
);
