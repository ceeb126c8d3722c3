//! Card data stays in the vault. A whole run — purchases with every test card, declines, 3-D
//! Secure, refunds, and requests the PSP refuses — with every log line of both services
//! captured at TRACE, then the logs and both databases (rows, and the raw files) are searched
//! for the card numbers and CVCs sent. Only the vault's ciphertext may hold a card number; a
//! CVC may appear nowhere.
//!
//! A test binary of its own: it installs the process's tracing subscriber.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "api/shop.rs"]
#[allow(dead_code, unused_imports)]
mod shop;

use helpers::{Resp, TestApp, create_body};
use kit::on_both_backends;
use kit::testing::Backend;
use kit::testing::leaks::{Secrets, capture_logs, raw_files, text_cells};
use psp::testing::{AGENT_KEY, Allowance, Card, Challenge, MERCHANT_SECRET, TestPsp, new_key};
use serde_json::json;
use shop::{authentication_result, complete_body, spawn_shop};

/// Every card used, with the CVC the agent sends. CVCs are unusual on purpose, so that a hit
/// means a leak.
const CARDS: &[(&str, &str)] = &[
    ("4242424242424242", "739"),
    ("5555555555554444", "739"),
    ("378282246310005", "8264"),
    ("4000000000000002", "739"),
    ("4000000000009995", "739"),
    ("4000000000009987", "739"),
    ("4000000000009979", "739"),
    ("4000000000000069", "739"),
    ("4000000000000127", "739"),
    ("4000000000000119", "739"),
    ("4000000000003055", "739"),
    ("4000000000003220", "739"),
    ("4000008400001629", "739"),
    ("4000000000005126", "739"),
];
/// Sent only in requests that are refused.
const REFUSED_NUMBER: &str = "4242424242424241";
const REFUSED_CVC: &str = "51873";

async fn ready_session(app: &TestApp) -> Resp {
    let variant = app.physical_variant(false, 20);
    let s = app.create(create_body(&[&variant], Some("CA"))).await;
    assert_eq!(s.status_text(), "ready_for_payment", "{:?}", s.messages());
    s
}

/// Buys one item with `number`, through 3-D Secure when asked. Returns the final status.
async fn buy(app: &TestApp, psp: &TestPsp, number: &str, cvc: &str) -> String {
    let session = ready_session(app).await;
    let total = session.total("total").expect("total");
    let token = psp
        .delegate(
            &Card {
                number,
                cvc: Some(cvc),
            },
            &Allowance::for_session(&session.id(), total),
        )
        .await
        .unwrap_or_else(|r| panic!("delegation refused: {:#}", r.body));
    let r = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    if r.status_text() != "authentication_required" {
        return r.status_text().to_owned();
    }
    let auth = psp
        .authenticate(number, total, &session.id(), Challenge::Pass)
        .await;
    let r = app
        .complete(
            &session.id(),
            complete_body(&token, Some(authentication_result(&auth))),
        )
        .await;
    r.status_text().to_owned()
}

/// Requests that carry card data and are refused: the refusal must not echo or log it.
async fn refused_requests(psp: &TestPsp) {
    let good = psp.delegation(
        &Card {
            number: "4242424242424242",
            cvc: Some("739"),
        },
        &Allowance::for_session("cs_refused", 1_000),
    );
    let path = "/agentic_commerce/delegate_payment";
    let edits: Vec<serde_json::Value> = vec![
        json!({"number": REFUSED_NUMBER}),
        json!({"number": REFUSED_NUMBER.parse::<u64>().expect("digits")}),
        json!({"cvc": REFUSED_CVC}),
        json!({"cvc": REFUSED_CVC.parse::<u64>().expect("digits")}),
        json!({"number": REFUSED_NUMBER, "nickname": "x"}),
        json!({"exp_year": "2020", "number": REFUSED_NUMBER}),
    ];
    for edit in edits {
        let mut body = good.clone();
        for (k, v) in edit.as_object().expect("object") {
            body["payment_method"][k] = v.clone();
        }
        let r = psp.post_with_key(path, AGENT_KEY, &new_key(), &body).await;
        assert!(r.status >= 400, "{edit}: {:#}", r.body);
        let text = r.body.to_string();
        assert!(
            !text.contains(REFUSED_NUMBER) && !text.contains(REFUSED_CVC),
            "{text}"
        );
    }
    let r = psp
        .post_with_key(
            "/delegate_authentication",
            AGENT_KEY,
            &new_key(),
            &json!({"merchant_id": "acct_demo_outfitters", "payment_method": {"type": "card", "number": REFUSED_NUMBER.parse::<u64>().expect("digits"), "exp_month": "12", "exp_year": "2031"}, "amount": {"value": 100, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(!r.body.to_string().contains(REFUSED_NUMBER));
}

async fn refunds(psp: &TestPsp) {
    let client = psp.merchant_client(MERCHANT_SECRET);
    for number in ["4242424242424242", "4000000000005126"] {
        let token = psp
            .delegate(
                &Card {
                    number,
                    cvc: Some("739"),
                },
                &Allowance::for_session("cs_refunds", 2_000),
            )
            .await
            .expect("token");
        let pi = psp.redeem(&token, "cs_refunds", 2_000).await.expect("paid");
        client
            .create_refund(
                &shared::psp::CreateRefund {
                    payment_intent: pi.id,
                    amount: Some(500),
                    reason: None,
                },
                &new_key(),
            )
            .await
            .expect("a refund object");
    }
}

/// What must not be anywhere but the vault's ciphertext.
fn secrets() -> Secrets {
    let mut numbers: Vec<String> = CARDS.iter().map(|(n, _)| (*n).to_owned()).collect();
    numbers.push(REFUSED_NUMBER.to_owned());
    let mut cvcs: Vec<String> = CARDS.iter().map(|(_, c)| (*c).to_owned()).collect();
    cvcs.push(REFUSED_CVC.to_owned());
    cvcs.sort_unstable();
    cvcs.dedup();
    Secrets { numbers, cvcs }
}

async fn no_card_data_outside_the_vault_after_a_full_run(backend: Backend) {
    let logs = capture_logs();
    let (app, psp) = spawn_shop(backend).await;

    let mut outcomes = Vec::new();
    for (number, cvc) in CARDS {
        outcomes.push(buy(&app, &psp, number, cvc).await);
    }
    assert_eq!(
        outcomes.iter().filter(|s| *s == "completed").count(),
        6,
        "the approving cards, 3-D Secure included, paid: {outcomes:?}"
    );
    refused_requests(&psp).await;
    refunds(&psp).await;

    let secrets = secrets();
    // The search finds what it looks for.
    assert!(secrets.find_in(b"x 4000000000003220 y").is_some());
    assert!(secrets.find_in(br#"{"CVC": "739"}"#).is_some());
    assert!(secrets.find_in_cell("8264").is_some());
    assert!(secrets.find_in(b"cvc_check pass 4242 visa").is_none());
    let logged = logs.bytes();
    assert!(
        String::from_utf8_lossy(&logged).contains("payment delegated"),
        "the capture works"
    );
    if let Some(leak) = secrets.find_in(&logged) {
        panic!("the logs hold a {leak}");
    }

    for (service, url, dir) in [
        ("merchant", &app.database_url, app.dir.path()),
        ("psp", &psp.database_url, psp.dir.path()),
    ] {
        let cells = text_cells(url, backend).await;
        let (_, stored_id) = cells
            .iter()
            .find(|(c, v)| {
                (c.ends_with("sessions.id") || c.ends_with("tokens.id")) && !v.is_empty()
            })
            .expect("the run stored something");
        if let Some(leak) = secrets.find_in_cells(&cells) {
            panic!("{service}: {leak}");
        }
        let files = raw_files(url, dir, backend).await;
        assert!(
            files
                .iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains(stored_id.as_str())),
            "the raw files hold the rows"
        );
        if let Some(leak) = secrets.find_in_files(&files) {
            panic!("{service}: {leak}");
        }
    }

    // The vault does hold the cards, sealed.
    let sealed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault_cards")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("count");
    assert!(sealed >= CARDS.len() as i64);
}

on_both_backends!(no_card_data_outside_the_vault_after_a_full_run);
