//! Headers, authentication, versioning and error shapes that every endpoint shares.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{API_KEY, Backend, OTHER_API_KEY, VERSION, create_body, new_key, spawn_app};
use kit::on_both_backends;

async fn discovery_is_public_cacheable_and_valid(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app
        .request(Method::GET, "/.well-known/acp.json", &[], None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(r.body["protocol"]["name"], "acp");
    assert_eq!(r.body["protocol"]["version"], VERSION);
    assert_eq!(r.body["protocol"]["supported_versions"], json!([VERSION]));
    assert_eq!(r.body["api_base_url"], app.base_url.as_str());
    assert_eq!(r.body["capabilities"]["services"], json!(["checkout"]));
    // The typed client reads it too.
    let typed = app.client.discovery().await.expect("discovery");
    crate::helpers::assert_valid("DiscoveryResponse", &typed.raw);
    assert_eq!(typed.body.api_base_url, app.base_url);
}

async fn requests_without_a_valid_key_get_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create(create_body(&[&app.physical_variant(false, 5)], None))
        .await
        .id();
    for auth in [
        None,
        Some("Bearer wrong_key_0000000000"),
        Some("Basic dGVzdA=="),
        Some(API_KEY),
    ] {
        let mut headers = vec![("API-Version", VERSION)];
        if let Some(a) = auth {
            headers.push(("Authorization", a));
        }
        let r = app
            .request(
                Method::GET,
                &format!("/checkout_sessions/{id}"),
                &headers,
                None,
            )
            .await;
        assert_eq!(r.status, 401, "{auth:?}");
        assert_eq!(r.body["type"], "invalid_request");
        assert_eq!(r.code(), "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
    let ok = app
        .request(
            Method::GET,
            &format!("/checkout_sessions/{id}"),
            &[
                ("API-Version", VERSION),
                ("Authorization", &format!("bearer {API_KEY}")),
            ],
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "the scheme is case-insensitive");
}

async fn sessions_are_private_to_the_agent_that_created_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create(create_body(&[&app.physical_variant(false, 5)], None))
        .await
        .id();
    let auth = format!("Bearer {OTHER_API_KEY}");
    let headers = [("Authorization", auth.as_str()), ("API-Version", VERSION)];
    let r = app
        .request(
            Method::GET,
            &format!("/checkout_sessions/{id}"),
            &headers,
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "session_not_found");
    let key = new_key();
    let mut post = headers.to_vec();
    post.push(("Idempotency-Key", key.as_str()));
    let r = app
        .request(
            Method::POST,
            &format!("/checkout_sessions/{id}/cancel"),
            &post,
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(app.get(&id).await.status_text(), "not_ready_for_payment");
}

async fn api_version_is_required_and_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let auth = format!("Bearer {API_KEY}");
    let missing = app
        .request(
            Method::GET,
            "/checkout_sessions/cs_x",
            &[("Authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.code(), "missing_api_version");
    assert_eq!(missing.body["supported_versions"], json!([VERSION]));

    let old = app
        .request(
            Method::POST,
            "/checkout_sessions",
            &[
                ("Authorization", &auth),
                ("API-Version", "2026-01-30"),
                ("Idempotency-Key", "k"),
                ("Content-Type", "application/json"),
            ],
            Some(b"{}".to_vec()),
        )
        .await;
    assert_eq!(old.status, 400);
    assert_eq!(old.code(), "unsupported_api_version");
    assert_eq!(old.body["supported_versions"], json!([VERSION]));
}

async fn request_id_is_echoed_or_generated(backend: Backend) {
    let app = spawn_app(backend).await;
    let auth = format!("Bearer {API_KEY}");
    let r = app
        .request(
            Method::GET,
            "/checkout_sessions/cs_missing",
            &[
                ("Authorization", &auth),
                ("API-Version", VERSION),
                ("Request-Id", "req_from_client_42"),
            ],
            None,
        )
        .await;
    assert_eq!(r.header("request-id"), Some("req_from_client_42"));
    let r = app
        .request(Method::GET, "/.well-known/acp.json", &[], None)
        .await;
    assert!(
        r.header("request-id")
            .is_some_and(|v| v.starts_with("req_"))
    );
}

async fn malformed_bodies_get_spec_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let auth = format!("Bearer {API_KEY}");
    let post = |body: &'static [u8], content_type: &'static str| {
        let auth = auth.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/checkout_sessions",
                &[
                    ("Authorization", &auth),
                    ("API-Version", VERSION),
                    ("Idempotency-Key", &new_key()),
                    ("Content-Type", content_type),
                ],
                Some(body.to_vec()),
            )
            .await
        }
    };
    let r = post(b"{\"currency\": ", "application/json").await;
    assert_eq!((r.status, r.code()), (400, "invalid_json"));

    let r = post(
        br#"{"currency":"usd","line_items":[{"id":"x","quantity":2}],"capabilities":{}}"#,
        "application/json",
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "unknown_field"));
    assert_eq!(r.param(), Some("$.line_items[0].quantity"));

    let r = post(
        br#"{"currency":"usd","line_items":[{"id":7}],"capabilities":{}}"#,
        "application/json",
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "invalid_type", Some("$.line_items[0].id"))
    );

    let r = post(
        br#"{"line_items":[{"id":"x"}],"capabilities":{}}"#,
        "application/json",
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "missing_required_field", Some("$.currency"))
    );

    let r = post(br#"{"currency":"usd"}"#, "text/plain").await;
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"));

    let big = format!(
        r#"{{"currency":"usd","line_items":[],"capabilities":{{}},"metadata":{{"x":"{}"}}}}"#,
        "a".repeat(70_000)
    );
    let r = app
        .request(
            Method::POST,
            "/checkout_sessions",
            &[
                ("Authorization", &auth),
                ("API-Version", VERSION),
                ("Idempotency-Key", "big"),
                ("Content-Type", "application/json"),
            ],
            Some(big.into_bytes()),
        )
        .await;
    assert_eq!((r.status, r.code()), (413, "request_too_large"));
}

async fn unknown_routes_and_methods_get_spec_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.call(Method::GET, "/nope", None, None).await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = app
        .call(Method::DELETE, "/checkout_sessions", None, None)
        .await;
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));
    let r = app
        .call(Method::GET, "/checkout_sessions/cs_unknown", None, None)
        .await;
    assert_eq!((r.status, r.code()), (404, "session_not_found"));
    let r = app
        .call(
            Method::POST,
            "/checkout_sessions/cs_unknown",
            Some(&new_key()),
            Some(json!({})),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "session_not_found"));
}

async fn images_and_policies_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 1);
    let r = app
        .http
        .get(format!("{}/images/{variant}.svg", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.expect("body").starts_with("<svg"));
    let r = app
        .http
        .get(format!("{}/policies/returns", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("30 days"));
    let r = app
        .request(Method::GET, "/images/no-such-thing.svg", &[], None)
        .await;
    assert_eq!(r.status, 404);
}

async fn shuts_down_gracefully(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = app.base_url.clone();
    let health = app
        .http
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    app.shutdown().await;
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "no longer listening"
    );
}

on_both_backends!(
    shuts_down_gracefully,
    discovery_is_public_cacheable_and_valid,
    requests_without_a_valid_key_get_401,
    sessions_are_private_to_the_agent_that_created_them,
    api_version_is_required_and_checked,
    request_id_is_echoed_or_generated,
    malformed_bodies_get_spec_errors,
    unknown_routes_and_methods_get_spec_errors,
    images_and_policies_are_served,
);
