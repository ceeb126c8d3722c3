//! Paying: the merchant redeems the agent's Shared Payment Token at the PSP, over real HTTP.

use kit::on_both_backends;
use serde_json::json;

use crate::helpers::{Backend, Resp, TestApp, create_body, new_key};
use crate::shop::{
    Allowance, Card, Challenge, MERCHANT_ID, OTHER_MERCHANT_ID, TestPsp, authentication_result,
    card, complete_body, spawn_shop, token_for,
};

/// A session ready for payment, for one unit of a physical item.
async fn ready_session(app: &TestApp) -> (Resp, String) {
    let variant = app.physical_variant(false, 10);
    let s = app.create(create_body(&[&variant], Some("CA"))).await;
    assert_eq!(s.status_text(), "ready_for_payment", "{:?}", s.messages());
    (s, variant)
}

async fn the_whole_purchase_works_and_creates_one_order(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, variant) = ready_session(&app).await;
    let (on_hand, _) = app.stock(&variant).await;
    let token = token_for(&psp, "4242424242424242", &session).await;
    assert!(token.starts_with("spt_"));

    let done = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(
        (done.status, done.status_text()),
        (200, "completed"),
        "{:#}",
        done.body
    );
    let order = &done.body["order"];
    assert_eq!(order["checkout_session_id"], session.id().as_str());
    assert!(
        order["permalink_url"]
            .as_str()
            .is_some_and(|u| u.contains("/orders/ord_"))
    );
    assert_eq!(order["status"], "created");
    assert_eq!(
        order["line_items"][0]["quantity"],
        json!({"ordered": 1, "current": 1, "fulfilled": 0})
    );
    assert_eq!(
        app.stock(&variant).await,
        (on_hand - 1, 0),
        "the held unit is sold"
    );

    let intents = psp.intents_for(&session.id()).await;
    assert_eq!(
        intents,
        vec![(
            "succeeded".to_owned(),
            session.total("total").expect("total")
        )]
    );

    // The order page is what permalink_url points to.
    let page = app
        .http
        .get(order["permalink_url"].as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains(order["order_number"].as_str().expect("number"))
    );

    // Reads show the order; the session is finished.
    let got = app.get(&session.id()).await;
    assert_eq!(got.body["order"]["id"], order["id"]);
    let r = app
        .update(&session.id(), json!({"order_notes": "late"}))
        .await;
    assert_eq!((r.status, r.code()), (405, "session_completed"));
    let r = app.cancel(&session.id(), None).await;
    assert_eq!((r.status, r.code()), (405, "session_completed"));
    // Completing again with the token that paid answers with the same order; another is refused.
    let again = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(again.body["order"]["id"], order["id"]);
    let other = app
        .complete(&session.id(), complete_body("spt_other", None))
        .await;
    assert_eq!((other.status, other.code()), (405, "session_completed"));
}

async fn each_declining_test_card_leaves_the_session_payable(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let cases = [
        ("4000000000000002", "generic decline"),
        ("4000000000009995", "insufficient funds"),
        ("4000000000009987", "lost card"),
        ("4000000000009979", "stolen card"),
        ("4000000000000069", "expired card"),
        ("4000000000000127", "incorrect cvc"),
        ("4000000000000119", "could not be processed"),
    ];
    let (session, variant) = ready_session(&app).await;
    for (number, reason) in cases {
        let token = token_for(&psp, number, &session).await;
        let r = app
            .complete(&session.id(), complete_body(&token, None))
            .await;
        assert_eq!(
            (r.status, r.status_text()),
            (200, "ready_for_payment"),
            "{number}: {:#}",
            r.body
        );
        assert!(r.has_message("error", "payment_declined"), "{number}");
        let text = r.body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["code"] == "payment_declined")
            .expect("declined")["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(text.contains(reason), "{number}: {text}");
        assert!(r.body.get("order").is_none());
        assert_eq!(
            app.stock(&variant).await.1,
            1,
            "the unit stays held for the next attempt"
        );
    }
    // After all that, a good card pays, once.
    let token = token_for(&psp, "4242424242424242", &session).await;
    let r = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(r.status_text(), "completed");
    assert!(
        !r.has_message("error", "payment_declined"),
        "old declines are gone"
    );
    let succeeded = psp
        .intents_for(&session.id())
        .await
        .into_iter()
        .filter(|(s, _)| s == "succeeded")
        .count();
    assert_eq!(succeeded, 1);
}

async fn tokens_are_bound_to_their_allowance(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, _) = ready_session(&app).await;
    let (other_session, _) = ready_session(&app).await;
    let id = session.id();
    let total = session.total("total").expect("total");
    let good = Allowance::for_session(&id, total);
    let visa = card("4242424242424242");
    let refused = |r: &crate::helpers::Resp, why: &str| {
        assert_eq!(r.status_text(), "ready_for_payment", "{:#}", r.body);
        let text = r.body["messages"].to_string();
        assert!(
            text.contains("payment_declined") && text.contains(why),
            "{why}: {text}"
        );
    };

    let t = psp
        .delegate(
            &visa,
            &Allowance {
                max_amount: total - 1,
                ..good.clone()
            },
        )
        .await
        .expect("token");
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "exceeds the token's allowance",
    );

    let t = psp
        .delegate(
            &visa,
            &Allowance {
                merchant: OTHER_MERCHANT_ID.into(),
                ..good.clone()
            },
        )
        .await
        .expect("token");
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "another merchant",
    );

    let t = psp
        .delegate(&visa, &Allowance::for_session(&other_session.id(), total))
        .await
        .expect("token");
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "another checkout session",
    );

    let t = psp
        .delegate(
            &visa,
            &Allowance {
                currency: "eur".into(),
                ..good.clone()
            },
        )
        .await
        .expect("token");
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "allows eur only",
    );

    let t = psp
        .delegate(
            &visa,
            &Allowance {
                expires_in: chrono::Duration::minutes(5),
                ..good.clone()
            },
        )
        .await
        .expect("token");
    app.clock.advance(chrono::Duration::minutes(6));
    refused(&app.complete(&id, complete_body(&t, None)).await, "expired");

    // A declined attempt uses the token up. Through the merchant, the same token is the same
    // payment (same idempotency key at the PSP): the decline is repeated, not re-attempted.
    let t = psp
        .delegate(&card("4000000000000002"), &good)
        .await
        .expect("token");
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "generic decline",
    );
    refused(
        &app.complete(&id, complete_body(&t, None)).await,
        "generic decline",
    );
    // Redeemed again as a new payment, the PSP refuses it.
    let again = psp.redeem(&t, &id, total).await.expect_err("spent");
    assert_eq!(
        again.to_string(),
        "HTTP 400: token_already_used: The payment token has already been used"
    );

    // A token that paid cannot pay for another session.
    let t = psp.delegate(&visa, &good).await.expect("token");
    assert_eq!(
        app.complete(&id, complete_body(&t, None))
            .await
            .status_text(),
        "completed"
    );
    refused(
        &app.complete(&other_session.id(), complete_body(&t, None))
            .await,
        "already been used",
    );
    assert!(
        psp.intents_for(&other_session.id()).await.is_empty(),
        "nothing was charged for the other session"
    );
}

async fn delegation_refuses_bad_cards_and_allowances(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, _) = ready_session(&app).await;
    let id = session.id();
    let a = Allowance::for_session(&id, 1000);
    let r = psp
        .delegate(&card("4242424242424241"), &a)
        .await
        .expect_err("bad Luhn");
    assert_eq!(
        (r.status, r.code(), r.param()),
        (422, "invalid_card", Some("$.payment_method.number"))
    );
    let short_cvc = Card {
        number: "4242424242424242",
        cvc: Some("12"),
    };
    let r = psp.delegate(&short_cvc, &a).await.expect_err("short CVC");
    assert_eq!(r.param(), Some("$.payment_method.cvc"));
    let r = psp
        .delegate(
            &card("4242424242424242"),
            &Allowance {
                merchant: "acct_nobody".into(),
                ..a.clone()
            },
        )
        .await
        .expect_err("merchant");
    assert_eq!(r.param(), Some("$.allowance.merchant_id"));
    let r = psp
        .delegate(
            &card("4242424242424242"),
            &Allowance {
                expires_in: chrono::Duration::days(3),
                ..a
            },
        )
        .await
        .expect_err("too long");
    assert_eq!(r.param(), Some("$.allowance.expires_at"));
}

async fn three_d_secure_frictionless(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, _) = ready_session(&app).await;
    let number = "4000000000003055";
    let token = token_for(&psp, number, &session).await;
    let r = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(
        (r.status, r.status_text()),
        (200, "authentication_required"),
        "{:#}",
        r.body
    );
    let meta = &r.body["authentication_metadata"];
    assert_eq!(meta["directory_server"], "visa");
    assert_eq!(
        meta["acquirer_details"]["acquirer_merchant_id"],
        MERCHANT_ID
    );

    // Without the result the spec's error; with it, the order.
    let missing = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    assert_eq!(
        (missing.status, missing.code(), missing.param()),
        (400, "requires_3ds", Some("$.authentication_result"))
    );
    let auth = psp
        .authenticate(
            number,
            session.total("total").expect("total"),
            &session.id(),
            Challenge::Pass,
        )
        .await;
    assert_eq!(auth["status"], "authenticated");
    assert_eq!(auth["authentication_result"]["trans_status"], "Y");
    let done = app
        .complete(
            &session.id(),
            complete_body(&token, Some(authentication_result(&auth))),
        )
        .await;
    assert_eq!(done.status_text(), "completed", "{:#}", done.body);
    assert_eq!(
        psp.intents_for(&session.id()).await,
        vec![(
            "succeeded".to_owned(),
            session.total("total").expect("total")
        )]
    );
}

/// A session paid with `number` up to 3-D Secure: the first complete asks for it, the buyer
/// answers the challenge as `challenge` for `amount` (the session's total unless given), and the
/// complete is sent again with the result. Returns the authentication and the last answer.
async fn pay_through_3ds(
    app: &TestApp,
    psp: &TestPsp,
    number: &str,
    challenge: Challenge,
    amount: Option<i64>,
) -> (Resp, serde_json::Value, Resp) {
    let (session, _) = ready_session(app).await;
    let token = token_for(psp, number, &session).await;
    assert_eq!(
        app.complete(&session.id(), complete_body(&token, None))
            .await
            .status_text(),
        "authentication_required"
    );
    let amount = amount.unwrap_or_else(|| session.total("total").expect("total"));
    let auth = psp
        .authenticate(number, amount, &session.id(), challenge)
        .await;
    let r = app
        .complete(
            &session.id(),
            complete_body(&token, Some(authentication_result(&auth))),
        )
        .await;
    (session, auth, r)
}

async fn nothing_succeeded(psp: &TestPsp, session: &Resp) -> bool {
    psp.intents_for(&session.id())
        .await
        .iter()
        .all(|(s, _)| s != "succeeded")
}

async fn three_d_secure_challenge_passed_failed_and_abandoned(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let number = "4000000000003220";

    let (_, _, r) = pay_through_3ds(&app, &psp, number, Challenge::Pass, None).await;
    assert_eq!(r.status_text(), "completed");

    // Three wrong codes: not authenticated; the agent still reports it, and nothing is charged.
    let (session, auth, r) = pay_through_3ds(&app, &psp, number, Challenge::Fail, None).await;
    assert_eq!(auth["status"], "not_authenticated");
    assert_eq!(auth["authentication_result"]["trans_status"], "N");
    assert_eq!(r.status_text(), "ready_for_payment");
    assert!(r.has_message("error", "payment_declined"));
    assert!(nothing_succeeded(&psp, &session).await);

    // The buyer closes the bank's page: abandoned, reported, nothing charged; they can try again.
    let (session, auth, r) = pay_through_3ds(&app, &psp, number, Challenge::Cancel, None).await;
    assert_eq!(auth["status"], "challenge_abandoned");
    assert_eq!(r.status_text(), "ready_for_payment", "{:#}", r.body);
    assert!(r.has_message("error", "payment_declined"));
    assert!(nothing_succeeded(&psp, &session).await);

    // A result for another amount does not pay this one.
    let (session, _, r) = pay_through_3ds(&app, &psp, number, Challenge::Pass, Some(1)).await;
    assert_eq!(r.status_text(), "ready_for_payment", "{:#}", r.body);
    assert!(
        r.body["messages"]
            .to_string()
            .contains("authentication failed")
    );
    assert!(nothing_succeeded(&psp, &session).await);
}

async fn concurrent_completes_charge_once(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, _) = ready_session(&app).await;
    let token = token_for(&psp, "4242424242424242", &session).await;
    let id = session.id();
    let results =
        futures::future::join_all((0..4).map(|_| app.complete(&id, complete_body(&token, None))))
            .await;
    for r in &results {
        assert_eq!(
            (r.status, r.status_text()),
            (200, "completed"),
            "{:#}",
            r.body
        );
        assert_eq!(r.body["order"]["id"], results[0].body["order"]["id"]);
    }
    assert_eq!(psp.intents_for(&id).await.len(), 1, "one charge");
    let orders: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE checkout_session_id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.read)
            .await
            .expect("query");
    assert_eq!(orders, 1);
}

async fn a_retried_complete_is_replayed(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let (session, _) = ready_session(&app).await;
    let token = token_for(&psp, "4242424242424242", &session).await;
    let key = new_key();
    let first = app
        .complete_with_key(&session.id(), complete_body(&token, None), &key)
        .await;
    let again = app
        .complete_with_key(&session.id(), complete_body(&token, None), &key)
        .await;
    assert!(again.replayed());
    assert_eq!(again.body, first.body);
    let conflict = app
        .complete_with_key(&session.id(), complete_body("spt_else", None), &key)
        .await;
    assert_eq!(
        (conflict.status, conflict.code()),
        (422, "idempotency_conflict")
    );
}

async fn complete_checks_the_request_and_the_session(backend: Backend) {
    let (app, psp) = spawn_shop(backend).await;
    let variant = app.physical_variant(false, 10);
    let not_ready = app.create(create_body(&[&variant], None)).await;
    let r = app
        .complete(&not_ready.id(), complete_body("spt_x", None))
        .await;
    assert_eq!((r.status, r.code()), (400, "session_not_ready"));
    let (session, _) = ready_session(&app).await;
    let mut wrong_handler = complete_body("spt_x", None);
    wrong_handler["payment_data"]["handler_id"] = json!("paypal");
    let r = app.complete(&session.id(), wrong_handler).await;
    assert_eq!(r.param(), Some("$.payment_data.handler_id"));
    let r = app
        .complete(&session.id(), complete_body("spt_not_a_real_token", None))
        .await;
    assert_eq!(r.status_text(), "ready_for_payment");
    assert!(
        r.body["messages"]
            .to_string()
            .contains("No such payment token")
    );
    // Canceling a session waiting for 3-D Secure gives its unit back and cancels the intent.
    let token = token_for(&psp, "4000000000003220", &session).await;
    assert_eq!(
        app.complete(&session.id(), complete_body(&token, None))
            .await
            .status_text(),
        "authentication_required"
    );
    assert_eq!(
        app.cancel(&session.id(), None).await.status_text(),
        "canceled"
    );
    for _ in 0..50 {
        if psp
            .intents_for(&session.id())
            .await
            .iter()
            .any(|(s, _)| s == "canceled")
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the abandoned payment intent was not canceled: {:?}",
        psp.intents_for(&session.id()).await
    );
}

on_both_backends!(
    the_whole_purchase_works_and_creates_one_order,
    each_declining_test_card_leaves_the_session_payable,
    tokens_are_bound_to_their_allowance,
    delegation_refuses_bad_cards_and_allowances,
    three_d_secure_frictionless,
    three_d_secure_challenge_passed_failed_and_abandoned,
    concurrent_completes_charge_once,
    a_retried_complete_is_replayed,
    complete_checks_the_request_and_the_session,
);
