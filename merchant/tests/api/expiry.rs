//! Sessions expire after their time to live and give their units back.

use serde_json::json;

use kit::clock::Clock;

use crate::helpers::{Backend, create_body, spawn_app_with};
use kit::on_both_backends;

async fn an_expired_session_releases_its_units_on_read(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.merchant.session_ttl_secs = 600).await;
    let variant = app.physical_variant(false, 5);
    let created = app
        .create(create_body(&[&variant, &variant], Some("CA")))
        .await;
    let expires: chrono::DateTime<chrono::Utc> = created.body["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("RFC 3339");
    assert_eq!(expires, app.clock.now() + chrono::Duration::seconds(600));
    assert_eq!(app.stock(&variant).await.1, 2);

    app.clock.advance(chrono::Duration::seconds(599));
    assert_eq!(
        app.get(&created.id()).await.status_text(),
        "ready_for_payment"
    );
    app.clock.advance(chrono::Duration::seconds(1));
    let r = app.get(&created.id()).await;
    assert_eq!(r.status_text(), "expired", "{:#}", r.body);
    assert_eq!(app.stock(&variant).await.1, 0);

    let r = app
        .update(&created.id(), json!({"order_notes": "late"}))
        .await;
    assert_eq!((r.status, r.code()), (405, "session_expired"));
    let r = app.cancel(&created.id(), None).await;
    assert_eq!((r.status, r.code()), (405, "session_expired"));
}

async fn the_sweeper_expires_sessions_nobody_reads(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.merchant.session_ttl_secs = 60).await;
    let variant = app.physical_variant(false, 5);
    let old = app.create(create_body(&[&variant], Some("CA"))).await.id();
    app.clock.advance(chrono::Duration::seconds(30));
    let young = app.create(create_body(&[&variant], Some("CA"))).await.id();
    let canceled = app.create(create_body(&[&variant], Some("CA"))).await.id();
    app.cancel(&canceled, None).await;
    assert_eq!(app.stock(&variant).await.1, 2);

    app.clock.advance(chrono::Duration::seconds(31));
    let n = merchant::checkout::expire_due(&app.state)
        .await
        .expect("sweep");
    assert_eq!(n, 1);
    assert_eq!(app.stock(&variant).await.1, 1);
    let status: String = sqlx::query_scalar("SELECT status FROM checkout_sessions WHERE id = $1")
        .bind(&old)
        .fetch_one(&app.state.db.read)
        .await
        .expect("query");
    assert_eq!(status, "expired");
    assert_eq!(app.get(&young).await.status_text(), "ready_for_payment");
    assert_eq!(
        app.get(&canceled).await.status_text(),
        "canceled",
        "finished sessions do not expire"
    );
}

/// Readers, cancels and the sweeper all expiring the same sessions at once: each unit goes back
/// exactly once and nobody gets an error.
async fn concurrent_expiries_release_each_unit_once(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.merchant.session_ttl_secs = 60).await;
    let variant = app.physical_variant(false, 12);
    let before = app.stock(&variant).await.1;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(app.create(create_body(&[&variant], Some("CA"))).await.id());
    }
    assert_eq!(app.stock(&variant).await.1, before + 4);
    app.clock.advance(chrono::Duration::seconds(61));

    let reads = ids.iter().flat_map(|id| {
        [
            futures::future::Either::Left(app.get(id)),
            futures::future::Either::Right(app.cancel(id, None)),
        ]
    });
    let (answers, swept) = tokio::join!(
        futures::future::join_all(reads),
        merchant::checkout::expire_due(&app.state)
    );
    swept.expect("the sweeper does not fail");
    for r in answers {
        assert!(
            r.status_text() == "expired" || (r.status, r.code()) == (405, "session_expired"),
            "{} {:#}",
            r.status,
            r.body
        );
    }
    assert_eq!(app.stock(&variant).await.1, before);
}

on_both_backends!(
    an_expired_session_releases_its_units_on_read,
    the_sweeper_expires_sessions_nobody_reads,
    concurrent_expiries_release_each_unit_once,
);
