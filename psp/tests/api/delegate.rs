//! `POST /agentic_commerce/delegate_payment`: headers, strict validation, the spec's errors,
//! idempotency, and what a token is bound to.

use kit::on_both_backends;
use kit::testing::Backend;
use psp::testing::{
    AGENT_KEY, Allowance, MERCHANT_ID, MERCHANT_SECRET, TestPsp, VERSION, assert_delegate_error,
    card, clock, new_key, spawn, spawn_with,
};
use serde_json::{Value, json};

const PATH: &str = "/agentic_commerce/delegate_payment";
const SECOND_AGENT_KEY: &str = "second_agent_psp_key_98765";

fn good_body(psp: &TestPsp) -> Value {
    psp.delegation(
        &card("4242424242424242"),
        &Allowance::for_session("cs_test_1", 5_000),
    )
}

/// Sends `body` raw with exactly these headers.
async fn send(psp: &TestPsp, body: &str, headers: &[(&str, String)]) -> psp::testing::Reply {
    let mut req = psp
        .http
        .post(format!("{}{PATH}", psp.base_url))
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let r = psp::testing::Reply::read(req.send().await.expect("sent")).await;
    assert_delegate_error(&r.body);
    r
}

/// Every header a delegation needs, with `name` replaced (or left out when `value` is `None`).
fn headers_with(name: &str, value: Option<&str>) -> Vec<(&'static str, String)> {
    [
        ("Authorization", format!("Bearer {AGENT_KEY}")),
        ("API-Version", VERSION.to_owned()),
        ("Idempotency-Key", new_key()),
        ("Content-Type", "application/json".to_owned()),
    ]
    .into_iter()
    .filter_map(|(n, v)| {
        if n == name {
            value.map(|value| (n, value.to_owned()))
        } else {
            Some((n, v))
        }
    })
    .collect()
}

async fn a_delegation_returns_a_token_bound_to_its_allowance(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let key = new_key();
    let r = psp.delegate_body(&good_body(&psp), &key).await;
    assert_eq!(r.status, 201, "{:#}", r.body);
    let token = r.body["id"].as_str().expect("id");
    assert!(token.starts_with("spt_") && token.len() >= 28, "{token}");
    assert_eq!(r.body["created"], "2026-11-23T15:00:00Z");
    // The request's metadata, then the correlation data the spec asks to echo.
    assert_eq!(
        r.body["metadata"],
        json!({"source": "test", "merchant_id": MERCHANT_ID, "checkout_session_id": "cs_test_1", "idempotency_key": key})
    );
    assert!(r.headers.get("Request-Id").is_some());

    let row: (String, String, String, i64, i64, String) = sqlx::query_as(
        "SELECT merchant_id, checkout_session_id, currency, max_amount, expires_at, status FROM payment_tokens WHERE id = $1",
    )
    .bind(token)
    .fetch_one(&psp.state.db.read)
    .await
    .expect("token row");
    let expires = (psp.state.clock.now() + chrono::Duration::minutes(30)).timestamp();
    assert_eq!(
        row,
        (
            MERCHANT_ID.to_owned(),
            "cs_test_1".to_owned(),
            "usd".to_owned(),
            5_000,
            expires,
            "active".to_owned()
        )
    );

    // Tokens are unguessable: two delegations of one card give unrelated tokens.
    let again = psp.delegate_body(&good_body(&psp), &new_key()).await;
    assert_ne!(again.body["id"], r.body["id"]);
}

async fn headers_are_checked_before_anything_else(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let body = good_body(&psp).to_string();
    let merchant_bearer = format!("Bearer {MERCHANT_SECRET}");
    let cases: Vec<(&str, Option<&str>, &str, u16, &str)> = vec![
        ("Authorization", None, &body, 401, "unauthorized"),
        (
            "Authorization",
            Some("Bearer not-a-key"),
            &body,
            401,
            "unauthorized",
        ),
        // A merchant's secret key is not an agent's key.
        (
            "Authorization",
            Some(&merchant_bearer),
            &body,
            401,
            "unauthorized",
        ),
        ("API-Version", None, &body, 400, "missing_api_version"),
        (
            "API-Version",
            Some("2099-01-01"),
            &body,
            400,
            "unsupported_api_version",
        ),
        (
            "Idempotency-Key",
            None,
            &body,
            400,
            "idempotency_key_required",
        ),
        (
            "Content-Type",
            Some("text/plain"),
            &body,
            415,
            "unsupported_media_type",
        ),
        ("-", None, "{\"payment_method\": ", 400, "invalid_json"),
    ];
    for (header, value, body, status, code) in cases {
        let r = send(&psp, body, &headers_with(header, value)).await;
        assert_eq!((r.status, r.code()), (status, code), "{header}: {value:?}");
    }
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000));
    let r = send(&psp, &big, &headers_with("-", None)).await;
    assert_eq!((r.status, r.code()), (413, "request_too_large"));

    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_tokens")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("count");
    assert_eq!(tokens, 0, "nothing was issued");
}

async fn the_body_is_validated_strictly_and_errors_name_the_field(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, u16, &str)> = vec![
        (
            "unknown field",
            Box::new(|b| b["payment_method"]["nickname"] = json!("x")),
            400,
            "$.payment_method.nickname",
        ),
        (
            "unknown top-level field",
            Box::new(|b| b["extra"] = json!(1)),
            400,
            "$.extra",
        ),
        (
            "missing allowance",
            Box::new(|b| {
                b.as_object_mut().expect("object").remove("allowance");
            }),
            400,
            "$.allowance",
        ),
        (
            "missing max_amount",
            Box::new(|b| {
                b["allowance"]
                    .as_object_mut()
                    .expect("object")
                    .remove("max_amount");
            }),
            400,
            "$.allowance.max_amount",
        ),
        (
            "amount as a string",
            Box::new(|b| b["allowance"]["max_amount"] = json!("5000")),
            400,
            "$.allowance.max_amount",
        ),
        (
            "unknown reason",
            Box::new(|b| b["allowance"]["reason"] = json!("subscription")),
            400,
            "$.allowance.reason",
        ),
        (
            "card number as a JSON number",
            Box::new(|b| b["payment_method"]["number"] = json!(4242424242424242_u64)),
            400,
            "$.payment_method.number",
        ),
        (
            "Luhn",
            Box::new(|b| b["payment_method"]["number"] = json!("4242424242424241")),
            422,
            "$.payment_method.number",
        ),
        (
            "expired card",
            Box::new(|b| b["payment_method"]["exp_year"] = json!("2025")),
            422,
            "$.payment_method.exp_month",
        ),
        (
            "month 13",
            Box::new(|b| b["payment_method"]["exp_month"] = json!("13")),
            422,
            "$.payment_method.exp_month",
        ),
        (
            "CVC length",
            Box::new(|b| b["payment_method"]["cvc"] = json!("1234")),
            422,
            "$.payment_method.cvc",
        ),
        (
            "last4",
            Box::new(|b| b["payment_method"]["display_last4"] = json!("1111")),
            422,
            "$.payment_method.display_last4",
        ),
        (
            "upper-case currency",
            Box::new(|b| b["allowance"]["currency"] = json!("USD")),
            422,
            "$.allowance.currency",
        ),
        (
            "zero amount",
            Box::new(|b| b["allowance"]["max_amount"] = json!(0)),
            422,
            "$.allowance.max_amount",
        ),
        (
            "unknown merchant",
            Box::new(|b| b["allowance"]["merchant_id"] = json!("acct_nobody")),
            422,
            "$.allowance.merchant_id",
        ),
        (
            "expired allowance",
            Box::new(|b| b["allowance"]["expires_at"] = json!("2026-11-23T14:59:59Z")),
            422,
            "$.allowance.expires_at",
        ),
        (
            "allowance beyond a day",
            Box::new(|b| b["allowance"]["expires_at"] = json!("2026-11-25T15:00:00Z")),
            422,
            "$.allowance.expires_at",
        ),
        (
            "blocked by the agent's risk checks",
            Box::new(|b| b["risk_signals"][0]["action"] = json!("blocked")),
            422,
            "$.risk_signals[0].action",
        ),
    ];
    for (what, edit, status, param) in cases {
        let mut body = good_body(&psp);
        edit(&mut body);
        let r = psp.post_with_key(PATH, AGENT_KEY, &new_key(), &body).await;
        assert_delegate_error(&r.body);
        assert_eq!(
            (r.status, r.code(), r.param()),
            (status, "invalid_card", Some(param)),
            "{what}: {:#}",
            r.body
        );
        assert_eq!(r.body["type"], "invalid_request", "{what}");
        // An error never echoes the card back.
        assert!(!r.body.to_string().contains("4242424242424242"), "{what}");
    }
}

async fn idempotency_replays_refuses_conflicts_and_issues_once(backend: Backend) {
    let psp = spawn_with(backend, clock(), |s| {
        s.api_keys.push(kit::config::ApiKeySetting {
            agent: "second-agent".into(),
            key: SECOND_AGENT_KEY.into(),
        })
    })
    .await;
    let body = good_body(&psp);
    let key = new_key();
    let first = psp.delegate_body(&body, &key).await;
    assert_eq!(first.status, 201);
    assert!(!first.replayed());

    let again = psp.delegate_body(&body, &key).await;
    assert_eq!((again.status, again.replayed()), (201, true));
    assert_eq!(again.body, first.body);

    let mut other = body.clone();
    other["allowance"]["max_amount"] = json!(6_000);
    let conflict = psp.delegate_body(&other, &key).await;
    assert_eq!(
        (conflict.status, conflict.code()),
        (422, "idempotency_conflict")
    );

    // Keys are scoped per agent: another agent's same key is another request.
    let theirs = psp
        .http
        .post(format!("{}{PATH}", psp.base_url))
        .bearer_auth(SECOND_AGENT_KEY)
        .header("API-Version", VERSION)
        .header("Idempotency-Key", &key)
        .json(&other)
        .send()
        .await
        .expect("sent");
    let theirs = psp::testing::Reply::read(theirs).await;
    assert_eq!((theirs.status, theirs.replayed()), (201, false));
    assert_ne!(theirs.body["id"], first.body["id"]);

    // Eight identical requests at once: one token, every answer the same.
    let key = new_key();
    let replies = futures::future::join_all((0..8).map(|_| psp.delegate_body(&body, &key))).await;
    let ids: Vec<&Value> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| &r.body["id"])
        .collect();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!((r.status, r.code()), (409, "idempotency_in_flight"));
        assert_eq!(
            r.headers.get("Retry-After").and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_tokens")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("count");
    assert_eq!(tokens, 3, "one token per agent and idempotency key");
}

on_both_backends!(
    a_delegation_returns_a_token_bound_to_its_allowance,
    headers_are_checked_before_anything_else,
    the_body_is_validated_strictly_and_errors_name_the_field,
    idempotency_replays_refuses_conflicts_and_issues_once,
);
