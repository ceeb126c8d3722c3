//! Redeeming a Shared Payment Token into a payment intent, as a merchant does: the test cards'
//! outcomes, every allowance binding, single use under concurrency, idempotency, isolation.

use kit::on_both_backends;
use kit::testing::Backend;
use psp::testing::{
    AGENT_KEY, Allowance, MERCHANT_SECRET, OTHER_MERCHANT_SECRET, TestPsp, card, clock,
    intent_request, new_key, spawn,
};
use shared::client::PspError;
use shared::psp::{NextAction, PaymentIntentStatus};

const SESSION: &str = "cs_test_intents";

/// The `/v1` error code of a refused request.
fn code(e: &PspError) -> (u16, String) {
    match e {
        PspError::Api { status, error } => (*status, error.code.clone()),
        other => panic!("not an API error: {other}"),
    }
}

async fn token(psp: &TestPsp, number: &str, max_amount: i64) -> String {
    psp.delegate(&card(number), &Allowance::for_session(SESSION, max_amount))
        .await
        .unwrap_or_else(|r| panic!("delegation refused: {:#}", r.body))
}

async fn each_test_card_behaves_as_documented(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    use PaymentIntentStatus::*;
    /// number, status, error code, decline code, brand
    type Row = (
        &'static str,
        PaymentIntentStatus,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );
    let table: &[Row] = &[
        ("4242424242424242", Succeeded, None, None, "visa"),
        ("5555555555554444", Succeeded, None, None, "mastercard"),
        ("378282246310005", Succeeded, None, None, "amex"),
        (
            "4000000000000002",
            RequiresPaymentMethod,
            Some("card_declined"),
            Some("generic_decline"),
            "visa",
        ),
        (
            "4000000000009995",
            RequiresPaymentMethod,
            Some("card_declined"),
            Some("insufficient_funds"),
            "visa",
        ),
        (
            "4000000000009987",
            RequiresPaymentMethod,
            Some("card_declined"),
            Some("lost_card"),
            "visa",
        ),
        (
            "4000000000009979",
            RequiresPaymentMethod,
            Some("card_declined"),
            Some("stolen_card"),
            "visa",
        ),
        (
            "4000000000000069",
            RequiresPaymentMethod,
            Some("expired_card"),
            Some("expired_card"),
            "visa",
        ),
        (
            "4000000000000127",
            RequiresPaymentMethod,
            Some("incorrect_cvc"),
            Some("incorrect_cvc"),
            "visa",
        ),
        (
            "4000000000000119",
            RequiresPaymentMethod,
            Some("processing_error"),
            None,
            "visa",
        ),
        ("4000000000003055", RequiresAction, None, None, "visa"),
        ("4000000000003220", RequiresAction, None, None, "visa"),
        ("4000008400001629", RequiresAction, None, None, "visa"),
        ("4000000000005126", Succeeded, None, None, "visa"),
    ];
    for &(number, status, error, decline, brand) in table {
        let t = token(&psp, number, 1_000).await;
        let pi = psp.redeem(&t, SESSION, 1_000).await.expect("an intent");
        assert_eq!(pi.status, status, "{number}");
        let err = pi.last_payment_error.as_ref();
        assert_eq!(err.map(|e| e.code.as_str()), error, "{number}");
        assert_eq!(
            err.and_then(|e| e.decline_code.as_deref()),
            decline,
            "{number}"
        );
        assert_eq!(
            (pi.card.brand.as_str(), pi.card.last4.as_str()),
            (brand, &number[number.len() - 4..]),
            "{number}"
        );
        let received = if status == Succeeded { 1_000 } else { 0 };
        assert_eq!(pi.amount_received, received, "{number}");
        match (&pi.next_action, status) {
            (Some(NextAction::ThreeDSecure { three_d_secure }), RequiresAction) => {
                assert_eq!(three_d_secure.directory_server, "visa");
                assert_eq!(three_d_secure.authentication_url, psp.base_url);
            }
            (None, RequiresAction) => panic!("{number}: no next action"),
            (next, _) => assert!(next.is_none(), "{number}"),
        }
    }
}

async fn every_binding_is_enforced_at_redemption(backend: Backend) {
    let clock = clock();
    let psp = spawn(backend, clock.clone()).await;
    let t = token(&psp, "4242424242424242", 1_000).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let refused = |body: shared::psp::CreatePaymentIntent, secret: &'static str| {
        let client = psp.merchant_client(secret);
        async move {
            code(
                &client
                    .create_payment_intent(&body, &new_key())
                    .await
                    .expect_err("refused"),
            )
        }
    };
    let mut over = intent_request(&t, SESSION, 1_001);
    assert_eq!(
        refused(over.clone(), MERCHANT_SECRET).await,
        (400, "amount_exceeds_allowance".into())
    );
    over.amount = 1_000;
    assert_eq!(
        refused(over.clone(), OTHER_MERCHANT_SECRET).await,
        (400, "token_merchant_mismatch".into())
    );
    assert_eq!(
        refused(intent_request(&t, "cs_other", 1_000), MERCHANT_SECRET).await,
        (400, "token_session_mismatch".into())
    );
    let mut eur = intent_request(&t, SESSION, 1_000);
    eur.currency = "eur".into();
    assert_eq!(
        refused(eur, MERCHANT_SECRET).await,
        (400, "token_currency_mismatch".into())
    );
    assert_eq!(
        refused(intent_request("spt_nope", SESSION, 1_000), MERCHANT_SECRET).await,
        (400, "token_not_found".into())
    );

    // None of those refusals used the token up.
    let pi = client
        .create_payment_intent(&intent_request(&t, SESSION, 999), &new_key())
        .await
        .expect("paid");
    assert_eq!(
        (pi.status, pi.amount_received),
        (PaymentIntentStatus::Succeeded, 999)
    );
    assert_eq!(
        refused(intent_request(&t, SESSION, 999), MERCHANT_SECRET).await,
        (400, "token_already_used".into())
    );

    // Time-limited: one second past `expires_at` it is refused.
    let late = token(&psp, "4242424242424242", 1_000).await;
    clock.advance(chrono::Duration::minutes(30) + chrono::Duration::seconds(1));
    assert_eq!(
        refused(intent_request(&late, SESSION, 1_000), MERCHANT_SECRET).await,
        (400, "token_expired".into())
    );
    assert!(psp.intents_for("cs_other").await.is_empty());
    assert_eq!(psp.intents_for(SESSION).await.len(), 1);
}

async fn one_token_pays_once_however_many_try_at_once(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    for _ in 0..3 {
        let t = token(&psp, "4242424242424242", 1_000).await;
        let results =
            futures::future::join_all((0..8).map(|_| psp.redeem(&t, SESSION, 1_000))).await;
        let paid = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(paid, 1, "{results:?}");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(code(e), (400, "token_already_used".into()));
        }
    }
    let succeeded = psp.intents_for(SESSION).await;
    assert_eq!(succeeded.len(), 3);
    assert!(succeeded.iter().all(|(s, _)| s == "succeeded"));
}

async fn the_merchant_api_is_idempotent_and_private_to_each_merchant(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let t = token(&psp, "4242424242424242", 1_000).await;
    let key = new_key();
    let body = intent_request(&t, SESSION, 1_000);
    let first = client
        .create_payment_intent(&body, &key)
        .await
        .expect("paid");
    let replay = psp
        .http
        .post(format!("{}/v1/payment_intents", psp.base_url))
        .bearer_auth(MERCHANT_SECRET)
        .header("Idempotency-Key", &key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    let replay = psp::testing::Reply::read(replay).await;
    assert_eq!((replay.status, replay.replayed()), (200, true));
    assert_eq!(replay.body["id"], first.id.as_str());
    let other_body = intent_request(&t, SESSION, 900);
    assert_eq!(
        code(
            &client
                .create_payment_intent(&other_body, &key)
                .await
                .expect_err("conflict")
        ),
        (422, "idempotency_conflict".into())
    );
    assert_eq!(psp.intents_for(SESSION).await.len(), 1, "charged once");

    assert_eq!(
        client
            .retrieve_payment_intent(&first.id)
            .await
            .expect("mine"),
        first
    );
    let other = psp.merchant_client(OTHER_MERCHANT_SECRET);
    assert_eq!(
        code(
            &other
                .retrieve_payment_intent(&first.id)
                .await
                .expect_err("not theirs")
        ),
        (404, "resource_missing".into())
    );
    // The agent's key is not a merchant's: an agent cannot redeem what it holds.
    let agent = psp.merchant_client(AGENT_KEY);
    let t2 = token(&psp, "4242424242424242", 1_000).await;
    assert_eq!(
        code(
            &agent
                .create_payment_intent(&intent_request(&t2, SESSION, 1_000), &new_key())
                .await
                .expect_err("agent")
        ),
        (401, "unauthorized".into())
    );
    // A POST without an idempotency key is refused before anything happens.
    let r = psp
        .http
        .post(format!("{}/v1/payment_intents", psp.base_url))
        .bearer_auth(MERCHANT_SECRET)
        .json(&intent_request(&t2, SESSION, 1_000))
        .send()
        .await
        .expect("sent");
    let r = psp::testing::Reply::read(r).await;
    assert_eq!((r.status, r.code()), (400, "idempotency_key_required"));
    assert_eq!(psp.intents_for(SESSION).await.len(), 1);
}

async fn only_unfinished_intents_can_be_canceled(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let t = token(&psp, "4000000000003220", 1_000).await;
    let pending = psp.redeem(&t, SESSION, 1_000).await.expect("intent");
    assert_eq!(pending.status, PaymentIntentStatus::RequiresAction);
    let canceled = client
        .cancel_payment_intent(&pending.id, &new_key())
        .await
        .expect("canceled");
    assert_eq!(
        (canceled.status, canceled.next_action),
        (PaymentIntentStatus::Canceled, None)
    );

    let t = token(&psp, "4242424242424242", 1_000).await;
    let paid = psp.redeem(&t, SESSION, 1_000).await.expect("paid");
    assert_eq!(
        code(
            &client
                .cancel_payment_intent(&paid.id, &new_key())
                .await
                .expect_err("refund instead")
        ),
        (400, "payment_intent_unexpected_state".into())
    );
}

on_both_backends!(
    each_test_card_behaves_as_documented,
    every_binding_is_enforced_at_redemption,
    one_token_pays_once_however_many_try_at_once,
    the_merchant_api_is_idempotent_and_private_to_each_merchant,
    only_unfinished_intents_can_be_canceled,
);
