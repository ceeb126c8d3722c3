//! Idempotency per ACP 2026-04-17 §6: required keys, replays, conflicts, in-flight collisions.

use kit::clock::Clock;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{API_KEY, Backend, OTHER_API_KEY, VERSION, create_body, new_key, spawn_app};
use kit::on_both_backends;

async fn every_post_requires_a_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let r = app
        .call(
            Method::POST,
            "/checkout_sessions",
            None,
            Some(create_body(&[&variant], None)),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "idempotency_key_required"));
    let id = app.create(create_body(&[&variant], None)).await.id();
    for path in [
        format!("/checkout_sessions/{id}"),
        format!("/checkout_sessions/{id}/cancel"),
    ] {
        let r = app.call(Method::POST, &path, None, Some(json!({}))).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "idempotency_key_required"),
            "{path}"
        );
    }
    let long = "k".repeat(256);
    let r = app
        .call(
            Method::POST,
            "/checkout_sessions",
            Some(&long),
            Some(create_body(&[&variant], None)),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_idempotency_key"));
    let ok = app
        .call(
            Method::POST,
            "/checkout_sessions",
            Some(&"k".repeat(255)),
            Some(create_body(&[&variant], None)),
        )
        .await;
    assert_eq!(ok.status, 201);
}

async fn a_retried_create_is_replayed_not_repeated(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let key = new_key();
    let first = app
        .create_with_key(create_body(&[&variant], Some("CA")), &key)
        .await;
    assert_eq!(first.status, 201);
    assert!(!first.replayed());
    assert_eq!(first.header("idempotency-key"), Some(key.as_str()));
    // Same body with keys in another order and a number spelled differently: equivalent.
    let mut reordered = json!({
        "capabilities": {"interventions": {"supported": ["3ds"]}},
        "line_items": [{"id": variant}],
        "currency": "usd",
    });
    reordered["fulfillment_details"] = first.body["fulfillment_details"].clone();
    reordered["buyer"] =
        json!({"last_name": "Doe", "first_name": "Jane", "email": "jane@example.com"});
    let again = app.create_with_key(reordered, &key).await;
    assert_eq!(again.status, 201, "the original status is replayed");
    assert!(again.replayed());
    assert_eq!(again.body, first.body);
    assert_eq!(
        app.stock(&variant).await.1,
        1,
        "the retry reserved nothing more"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&app.state.db.read)
        .await
        .expect("query");
    assert_eq!(sessions, 1);
}

async fn a_key_reused_with_another_body_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let key = new_key();
    app.create_with_key(create_body(&[&variant], None), &key)
        .await;
    let r = app
        .create_with_key(create_body(&[&variant, &variant], None), &key)
        .await;
    assert_eq!((r.status, r.code()), (422, "idempotency_conflict"));
    let mut with_null = create_body(&[&variant], None);
    with_null["order_notes"] = serde_json::Value::Null;
    let r = app.create_with_key(with_null, &key).await;
    assert_eq!(r.status, 422, "null is not the same as absent");
}

async fn keys_are_scoped_to_agent_and_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let key = new_key();
    let a = app
        .create_with_key(create_body(&[&variant], None), &key)
        .await;
    // The same key on another endpoint is a different request.
    let upd = app
        .update_with_key(&a.id(), json!({"order_notes": "x"}), &key)
        .await;
    assert_eq!(upd.status, 200);
    assert!(!upd.replayed());
    // And for another agent too.
    let auth = format!("Bearer {OTHER_API_KEY}");
    let body = create_body(&[&variant], None).to_string().into_bytes();
    let b = app
        .request(
            Method::POST,
            "/checkout_sessions",
            &[
                ("Authorization", &auth),
                ("API-Version", VERSION),
                ("Idempotency-Key", &key),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        )
        .await;
    assert_eq!(b.status, 201);
    assert!(!b.replayed());
    assert_ne!(b.id(), a.id());
}

async fn business_errors_are_replayed_but_malformed_requests_are_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let key = new_key();
    let bad_item = create_body(&["no-such-item"], None);
    let first = app.create_with_key(bad_item.clone(), &key).await;
    assert_eq!((first.status, first.code()), (400, "invalid_item_id"));
    let again = app.create_with_key(bad_item, &key).await;
    assert_eq!(again.status, 400);
    assert!(again.replayed());

    // A body the API cannot even read is not an outcome: fixing it under the same key works.
    let key = new_key();
    let auth = format!("Bearer {API_KEY}");
    let broken = app
        .request(
            Method::POST,
            "/checkout_sessions",
            &[
                ("Authorization", &auth),
                ("API-Version", VERSION),
                ("Idempotency-Key", &key),
                ("Content-Type", "application/json"),
            ],
            Some(
                br#"{"currency":"usd","line_items":[{"id":"x","qty":1}],"capabilities":{}}"#
                    .to_vec(),
            ),
        )
        .await;
    assert_eq!(broken.status, 400);
    let fixed = app
        .create_with_key(create_body(&[&variant], None), &key)
        .await;
    assert_eq!(fixed.status, 201);
    assert!(!fixed.replayed());
}

async fn concurrent_requests_with_one_key_take_effect_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 20);
    let key = new_key();
    let body = create_body(&[&variant], Some("CA"));
    let results =
        futures::future::join_all((0..8).map(|_| app.create_with_key(body.clone(), &key))).await;
    let created: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    for r in &results {
        assert!(
            r.status == 201
                || (r.status == 409
                    && r.code() == "idempotency_in_flight"
                    && r.header("retry-after") == Some("1")),
            "unexpected {} {:?}",
            r.status,
            r.body
        );
    }
    let ids: std::collections::HashSet<String> = created.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), 1, "every success is the same session");
    assert_eq!(app.stock(&variant).await.1, 1);
}

async fn stored_responses_are_forgotten_after_retention(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let key = new_key();
    let first = app
        .create_with_key(create_body(&[&variant], None), &key)
        .await;
    app.clock.advance(chrono::Duration::hours(49));
    let purged = kit::idempotency::purge(
        &app.state.db.write,
        app.clock.now() - chrono::Duration::hours(48),
    )
    .await
    .expect("purge");
    assert_eq!(purged, 1);
    let later = app
        .create_with_key(create_body(&[&variant], None), &key)
        .await;
    assert_eq!(later.status, 201);
    assert!(
        !later.replayed(),
        "after retention a reused key is a new request"
    );
    assert_ne!(later.id(), first.id());
}

on_both_backends!(
    every_post_requires_a_key,
    a_retried_create_is_replayed_not_repeated,
    a_key_reused_with_another_body_is_a_conflict,
    keys_are_scoped_to_agent_and_endpoint,
    business_errors_are_replayed_but_malformed_requests_are_not_stored,
    concurrent_requests_with_one_key_take_effect_once,
    stored_responses_are_forgotten_after_retention,
);
