//! Lost answers: a proxy between the agent and the merchant lets the merchant act on the first
//! `POST` to create a session and the first `complete`, then tells the agent 503 instead of the
//! answer. The agent asks again with the same idempotency key, the merchant replays what it did,
//! and the buyer ends with one session, one charge and one order.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kit::on_both_backends;
use kit::testing::Backend;

use crate::helpers::world_with;

/// A `POST` the proxy saw: `(path, idempotency key, status the merchant gave, replayed)`.
type Seen = (String, String, u16, bool);

#[derive(Clone, Default)]
struct Proxy {
    upstream: Arc<OnceLock<String>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    http: reqwest::Client,
}

/// Whether the first answer to this path is the one to lose.
fn lose_first(path: &str) -> bool {
    path == "/checkout_sessions" || path.ends_with("/complete")
}

async fn forward(State(proxy): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("request body");
    let upstream = proxy.upstream.get().expect("upstream set");
    let path = parts.uri.path().to_owned();
    let url = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("", |p| p.as_str())
    );
    // axum and reqwest share the `http` crate's types; only the hop's own headers change.
    let mut headers = parts.headers.clone();
    headers.remove(header::HOST);
    headers.remove(header::CONTENT_LENGTH);
    let answer = proxy
        .http
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the merchant answers");
    let status = answer.status();
    let mut out = answer.headers().clone();
    out.remove(header::CONTENT_LENGTH);
    out.remove(header::TRANSFER_ENCODING);
    let replayed = answer
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let bytes = answer.bytes().await.expect("answer body");
    if parts.method == Method::POST {
        let key = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut seen = proxy.seen.lock().expect("lock");
        let first = !seen.iter().any(|(p, _, _, _)| *p == path);
        seen.push((path.clone(), key, status.as_u16(), replayed));
        if first && lose_first(&path) {
            return (StatusCode::SERVICE_UNAVAILABLE, "upstream timed out").into_response();
        }
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = out;
    resp
}

async fn lost_answers_are_asked_again_with_the_same_key(backend: Backend) {
    let proxy = Proxy::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The agent finds the merchant through the proxy, and the discovery document the merchant
    // serves sends it back there for every checkout call.
    let world = world_with(
        backend,
        |s| s.server.public_base_url = proxy_url.clone(),
        |s| s.merchants[0].url = proxy_url.clone(),
    )
    .await;
    proxy
        .upstream
        .set(world.merchant.base_url.clone())
        .expect("set once");

    let mut buyer = world.buyer().await;
    buyer.say("I need running shoes under $100").await;
    buyer.say("the Northpeak Daily Trainer").await;
    buyer.say("white, size 10").await;
    let said = buyer.say("buy it").await;
    assert!(said.contains("shipping address"), "{said}");
    let session = buyer.session();
    buyer
        .say("Jane Doe, 500 Congress Ave, Austin, TX 78701, jane@example.com")
        .await;
    let said = buyer.card("4242424242424242").await;
    assert!(said.contains("Done! Order ADO-"), "{said}");

    let seen = proxy.seen.lock().expect("lock").clone();
    for (path, status) in [
        ("/checkout_sessions".to_owned(), 201),
        (format!("/checkout_sessions/{session}/complete"), 200),
    ] {
        let calls: Vec<&Seen> = seen.iter().filter(|(p, ..)| *p == path).collect();
        assert_eq!(calls.len(), 2, "{path}: asked, lost, asked again: {seen:?}");
        assert_eq!(calls[0].1, calls[1].1, "{path}: the same key both times");
        assert!(!calls[0].1.is_empty(), "{path}: a key");
        assert_eq!(
            (calls[0].2, calls[0].3),
            (status, false),
            "{path}: acted on"
        );
        assert_eq!((calls[1].2, calls[1].3), (status, true), "{path}: replayed");
    }
    // One session, one charge, one order.
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&world.merchant.state.db.read)
        .await
        .expect("count");
    assert_eq!(sessions, 1);
    assert_eq!(
        world.charges(&session).await,
        [("succeeded".to_owned(), 6266)]
    );
    assert_eq!(world.merchant.order_ids().await.len(), 1);
    assert_eq!(buyer.session(), session);
}

on_both_backends!(lost_answers_are_asked_again_with_the_same_key);
