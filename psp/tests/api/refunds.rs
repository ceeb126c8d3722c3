//! Refunds, full and partial: never more than was received, once per idempotency key, and the
//! test card whose refunds fail.

use kit::on_both_backends;
use kit::testing::Backend;
use psp::testing::{
    Allowance, MERCHANT_SECRET, OTHER_MERCHANT_SECRET, TestPsp, card, clock, new_key, spawn,
};
use shared::client::PspError;
use shared::psp::{CreateRefund, PaymentIntent, RefundStatus};

const SESSION: &str = "cs_test_refunds";

async fn paid(psp: &TestPsp, number: &str, amount: i64) -> PaymentIntent {
    let t = psp
        .delegate(&card(number), &Allowance::for_session(SESSION, amount))
        .await
        .unwrap_or_else(|r| panic!("delegation refused: {:#}", r.body));
    psp.redeem(&t, SESSION, amount).await.expect("an intent")
}

fn refund(pi: &PaymentIntent, amount: Option<i64>) -> CreateRefund {
    CreateRefund {
        payment_intent: pi.id.clone(),
        amount,
        reason: Some("requested_by_customer".into()),
    }
}

async fn refunded(client: &shared::client::PspClient, pi: &PaymentIntent) -> i64 {
    client
        .retrieve_payment_intent(&pi.id)
        .await
        .expect("read")
        .amount_refunded
}

fn code(e: &PspError) -> (u16, String) {
    match e {
        PspError::Api { status, error } => (*status, error.code.clone()),
        other => panic!("not an API error: {other}"),
    }
}

async fn partial_then_full_and_never_more_than_received(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let pi = paid(&psp, "4242424242424242", 5_000).await;

    let part = client
        .create_refund(&refund(&pi, Some(1_500)), &new_key())
        .await
        .expect("partial");
    assert_eq!(
        (part.status, part.amount, part.currency.as_str()),
        (RefundStatus::Succeeded, 1_500, "usd")
    );
    assert_eq!(client.retrieve_refund(&part.id).await.expect("read"), part);
    assert_eq!(
        code(
            &client
                .create_refund(&refund(&pi, Some(3_501)), &new_key())
                .await
                .expect_err("too much")
        ),
        (400, "amount_too_large".into())
    );
    // Without an amount: whatever is left.
    let rest = client
        .create_refund(&refund(&pi, None), &new_key())
        .await
        .expect("the rest");
    assert_eq!(rest.amount, 3_500);
    let after = client.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(
        (after.amount_received, after.amount_refunded),
        (5_000, 5_000)
    );
    assert_eq!(
        code(
            &client
                .create_refund(&refund(&pi, Some(1)), &new_key())
                .await
                .expect_err("nothing left")
        ),
        (400, "amount_too_large".into())
    );
    assert_eq!(
        code(
            &client
                .create_refund(&refund(&pi, Some(0)), &new_key())
                .await
                .expect_err("zero")
        ),
        (400, "parameter_invalid".into())
    );
}

async fn a_retried_refund_refunds_once_and_concurrent_ones_never_exceed(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let pi = paid(&psp, "4242424242424242", 5_000).await;

    let key = new_key();
    let once = client
        .create_refund(&refund(&pi, Some(1_000)), &key)
        .await
        .expect("refund");
    let again = client
        .create_refund(&refund(&pi, Some(1_000)), &key)
        .await
        .expect("replayed");
    assert_eq!(again, once);
    assert_eq!(refunded(&client, &pi).await, 1_000);

    // Ten refunds of 1,000 at once on the 4,000 left: four succeed, the rest are refused.
    let results = futures::future::join_all((0..10).map(|_| {
        let (client, body) = (&client, refund(&pi, Some(1_000)));
        async move { client.create_refund(&body, &new_key()).await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 4, "{results:?}");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(code(e), (400, "amount_too_large".into()));
    }
    assert_eq!(refunded(&client, &pi).await, 5_000);
}

async fn refunds_fail_on_the_failing_card_and_not_on_unpaid_intents(backend: Backend) {
    let psp = spawn(backend, clock()).await;
    let client = psp.merchant_client(MERCHANT_SECRET);
    let pi = paid(&psp, "4000000000005126", 2_000).await;
    let failed = client
        .create_refund(&refund(&pi, None), &new_key())
        .await
        .expect("a refund object");
    assert_eq!(failed.status, RefundStatus::Failed);
    assert_eq!(
        refunded(&client, &pi).await,
        0,
        "a failed refund returns nothing"
    );

    let declined = paid(&psp, "4000000000000002", 2_000).await;
    assert_eq!(
        code(
            &client
                .create_refund(&refund(&declined, None), &new_key())
                .await
                .expect_err("nothing to refund")
        ),
        (400, "charge_not_refundable".into())
    );
    // Another merchant cannot refund this one's payment.
    let paid_ok = paid(&psp, "4242424242424242", 2_000).await;
    assert_eq!(
        code(
            &psp.merchant_client(OTHER_MERCHANT_SECRET)
                .create_refund(&refund(&paid_ok, None), &new_key())
                .await
                .expect_err("not theirs")
        ),
        (404, "resource_missing".into())
    );
}

on_both_backends!(
    partial_then_full_and_never_more_than_received,
    a_retried_refund_refunds_once_and_concurrent_ones_never_exceed,
    refunds_fail_on_the_failing_card_and_not_on_unpaid_intents,
);
