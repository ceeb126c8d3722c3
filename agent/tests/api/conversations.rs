//! The built-in engine, in scripted conversations over the real merchant and PSP: from "I need
//! running shoes under $100" to a delivered order, and the ways a purchase goes differently
//! (a declined card, something out of stock, 3-D Secure, a cancel, a price that changed).

use kit::on_both_backends;
use kit::testing::Backend;
use serde_json::json;

use crate::helpers::{Buyer, World, world};

/// Search, choose, settle the variant: the buyer has the white size-10 daily trainers in focus.
async fn choose_trainers(buyer: &mut Buyer<'_>) {
    let said = buyer.say("I need running shoes under $100").await;
    assert!(said.contains("Here's what I found"), "{said}");
    assert!(
        said.contains("Northpeak Daily Trainer Running Shoes"),
        "{said}"
    );
    assert!(
        said.contains("$52.99 (was $66.99)"),
        "feed prices are shown: {said}"
    );
    assert!(
        said.contains("(color White, Green; size 8, 9, 10, 11, 12)"),
        "what it comes in: {said}"
    );
    let said = buyer.say("the Northpeak Daily Trainer").await;
    assert!(said.contains("Which color?"), "{said}");
    let said = buyer.say("white, size 10").await;
    assert!(
        said.contains("Northpeak Daily Trainer Running Shoes (White / 10)")
            && said.contains("$52.99"),
        "{said}"
    );
}

/// Checkout to ready for payment: the buyer has given an address and an e-mail.
async fn checkout_ready(buyer: &mut Buyer<'_>) {
    let said = buyer.say("buy it").await;
    assert!(said.contains("shipping address"), "{said}");
    assert!(said.contains("e-mail"), "{said}");
    assert_eq!(buyer.state["checkout"]["status"], "not_ready_for_payment");
    let said = buyer
        .say("Jane Doe, 500 Congress Ave, Austin, TX 78701, jane@example.com")
        .await;
    assert_eq!(
        buyer.state["checkout"]["status"], "ready_for_payment",
        "{said}"
    );
    assert!(said.contains("To pay, send your card"), "{said}");
    assert!(
        said.contains("Total $62.66"),
        "the merchant's total: {said}"
    );
}

async fn a_purchase_from_search_to_a_delivered_order(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    assert!(
        buyer.last.contains("shopping agent at ACP Demo Outfitters"),
        "{}",
        buyer.last
    );
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;

    let said = buyer.say("express shipping please").await;
    assert!(said.contains("Express"), "{said}");
    assert!(said.contains("Total $72.23"), "{said}");
    let session = buyer.session();

    let said = buyer.say("4242 4242 4242 4242 12/30 123").await;
    assert!(said.contains("Done! Order ADO-"), "{said}");
    assert!(said.contains("paid with visa ending 4242"), "{said}");
    assert!(said.contains("$72.23"), "{said}");
    assert_eq!(
        world.charges(&session).await,
        [("succeeded".to_owned(), 7223)]
    );
    let order = buyer.order_id();

    // The history keeps what was said, but not the card.
    let history = buyer.history().await;
    assert!(
        history
            .iter()
            .any(|(role, text)| role == "buyer" && text == "card ending 4242 exp 12/30 (CVC given)"),
        "{history:?}"
    );
    assert!(
        !history
            .iter()
            .any(|(_, t)| t.contains("4242 4242") || t.contains("4242424242424242"))
    );

    // The operator moves the order along; each change reaches the conversation.
    world.operate(&order, "confirm", json!({})).await;
    buyer.hears("is confirmed").await;
    world
        .operate(
            &order,
            "ship",
            json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}),
        )
        .await;
    buyer
        .hears("has shipped with UPS (tracking 1Z999AA10123456784)")
        .await;
    world.operate(&order, "deliver", json!({})).await;
    buyer.hears("has been delivered").await;

    let said = buyer.say("where is my order?").await;
    assert!(said.contains("has been delivered"), "{said}");
    assert!(said.contains("/orders/"), "{said}");
    // Every update was told once, in order.
    let updates: Vec<String> = buyer
        .history()
        .await
        .into_iter()
        .filter(|(role, _)| role == "update")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(updates.len(), 3, "{updates:?}");
    assert!(updates[0].contains("confirmed") && updates[2].contains("delivered"));
}

async fn a_declined_card_then_another(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let session = buyer.session();
    let said = buyer.card("4000000000009995").await;
    assert!(said.contains("didn't go through"), "{said}");
    assert!(said.contains("insufficient funds"), "{said}");
    assert_eq!(buyer.state["checkout"]["status"], "ready_for_payment");
    assert!(buyer.state["order"].is_null());
    let said = buyer.card("5555555555554444").await;
    assert!(said.contains("paid with mastercard ending 4444"), "{said}");
    let charges = world.charges(&session).await;
    assert_eq!(charges.len(), 2, "{charges:?}");
    assert_eq!(charges[1], ("succeeded".to_owned(), 6266));
    assert_ne!(charges[0].0, "succeeded");
}

async fn a_mistyped_card_is_refused_before_anything_is_sent(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let said = buyer.say("4242 4242 4242 4241 12/30 123").await;
    assert!(said.contains("can't use that card"), "{said}");
    assert!(world.charges(&buyer.session()).await.is_empty());
    let history = buyer.history().await;
    assert!(
        !history.iter().any(|(_, t)| t.contains("4242 4241")),
        "{history:?}"
    );
}

async fn out_of_stock_in_the_feed_and_at_checkout(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    // The feed says this one is sold out: the agent says so before any checkout.
    buyer.say("Stride Aero Runner running shoes").await;
    buyer.say("the Stride Aero Runner").await;
    let said = buyer.say("black size 9").await;
    assert!(said.contains("out of stock"), "{said}");
    assert!(said.contains("Available:"), "{said}");

    // The feed says in stock, but the last unit sold since: checkout is the authority.
    choose_trainers(&mut buyer).await;
    let variant = "northpeak-daily-trainer-running-shoes-white-10";
    merchant::store::inventory::set_on_hand(&world.merchant.state.db.write, variant, 0)
        .await
        .expect("stock set");
    let said = buyer.say("buy it").await;
    assert!(said.to_lowercase().contains("out of stock"), "{said}");
    assert_ne!(buyer.state["checkout"]["status"], "ready_for_payment");
}

/// Completes a 3-D Secure challenge the way a buyer does in a browser.
async fn pass_challenge(world: &World, url: &str) {
    world
        .psp
        .answer_challenge(url, psp::testing::Challenge::Pass)
        .await;
}

async fn three_d_secure_frictionless_and_with_a_challenge(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let said = buyer.card("4000000000003055").await;
    assert!(said.contains("Done! Order"), "frictionless: {said}");

    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let session = buyer.session();
    let said = buyer.card("4000000000003220").await;
    assert!(said.contains("Your bank wants you to confirm"), "{said}");
    let url = buyer.state["challenge_url"]
        .as_str()
        .expect("the challenge page")
        .to_owned();
    assert!(said.contains(&url));
    // Saying something before finishing: still waiting.
    let said = buyer.say("hmm").await;
    assert!(said.contains("still waiting"), "{said}");
    pass_challenge(&world, &url).await;
    let said = buyer.say("done").await;
    assert!(said.contains("Done! Order"), "{said}");
    assert_eq!(
        world.charges(&session).await,
        [("succeeded".to_owned(), 6266)]
    );
}

async fn a_failed_challenge_is_a_decline(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let said = buyer.card("4000008400001629").await;
    assert!(said.contains("Your bank wants you to confirm"), "{said}");
    let url = buyer.state["challenge_url"]
        .as_str()
        .expect("page")
        .to_owned();
    pass_challenge(&world, &url).await;
    let said = buyer.say("done").await;
    assert!(said.contains("didn't go through"), "{said}");
    assert!(buyer.state["order"].is_null());
}

async fn cancel_before_paying(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let variant = "northpeak-daily-trainer-running-shoes-white-10";
    let held = |w: &World| {
        let db = w.merchant.state.db.read.clone();
        async move {
            merchant::store::inventory::levels(&db, variant)
                .await
                .expect("levels")
                .expect("row")
                .1
        }
    };
    assert_eq!(held(&world).await, 1, "the session holds a unit");
    let said = buyer.say("cancel").await;
    assert!(said.contains("Canceled"), "{said}");
    assert_eq!(buyer.state["checkout"]["status"], "canceled");
    assert_eq!(held(&world).await, 0, "the unit is released");
    let said = buyer.say("cancel").await;
    assert!(said.contains("nothing to cancel"), "{said}");
}

async fn a_price_change_at_checkout_is_told(backend: Backend) {
    let world = world(backend).await;
    // The agent's copy of the feed is stale: it says $39.00 for the trainers.
    let feed_id = merchant::store::feed::get(&world.merchant.state.db.read, &world.agent.base_url)
        .await
        .expect("query")
        .expect("a feed");
    let mut products = agent::store::feeds::products_by_id(
        &world.agent.state.db.read,
        &feed_id,
        &["northpeak-daily-trainer-running-shoes"],
    )
    .await
    .expect("query");
    for v in &mut products[0].variants {
        if let Some(p) = v.price.as_mut() {
            p.amount = 3900;
        }
    }
    agent::feeds::upsert(
        &world.agent.state,
        crate::helpers::MERCHANT,
        &feed_id,
        products,
    )
    .await
    .expect("upserted");
    let mut buyer = world.buyer().await;
    let said = buyer.say("northpeak daily trainer running shoes").await;
    assert!(said.contains("$39.00"), "{said}");
    buyer.say("the first one").await;
    buyer.say("white size 10").await;
    let said = buyer.say("buy it").await;
    assert!(
        said.contains("the shop's price for Northpeak Daily Trainer Running Shoes (White / 10) is $52.99, not the $39.00 the catalog showed"),
        "{said}"
    );
}

async fn quantities_and_conversations_are_private(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    let said = buyer.say("2 of them").await;
    assert!(said.contains("2 ×"), "{said}");
    buyer.say("buy it").await;
    assert_eq!(buyer.state["checkout"]["lines"][0]["quantity"], 2);

    // Another token does not open this conversation.
    let other = world.buyer().await;
    let resp = world
        .http
        .get(format!(
            "{}/api/conversations/{}",
            world.agent.base_url, buyer.id
        ))
        .bearer_auth(&other.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 404);
    let resp = world
        .http
        .get(format!(
            "{}/api/conversations/{}",
            world.agent.base_url, buyer.id
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 401);
}

async fn an_expired_checkout_starts_again(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let first = buyer.session();
    // The buyer comes back after the session's hour is up.
    world.clock.advance(chrono::Duration::hours(2));
    let said = buyer.say("express shipping").await;
    assert!(said.contains("Total $72.23"), "{said}");
    assert_ne!(buyer.session(), first, "a new session");
    assert_eq!(buyer.state["checkout"]["status"], "ready_for_payment");
}

async fn a_partial_refund_is_told_with_the_charge_refunded(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    choose_trainers(&mut buyer).await;
    checkout_ready(&mut buyer).await;
    let session = buyer.session();
    let said = buyer.card("4242424242424242").await;
    assert!(said.contains("Done! Order ADO-"), "{said}");
    let order = buyer.order_id();
    world.operate(&order, "confirm", json!({})).await;
    buyer.hears("is confirmed").await;

    world
        .operate(
            &order,
            "refund",
            json!({"amount": 1250, "reason": "scuffed box"}),
        )
        .await;
    buyer.hears("You were refunded $12.50 for order").await;
    // The PSP holds the refund against the one charge.
    assert_eq!(
        world.charges(&session).await,
        [("succeeded".to_owned(), 6266)]
    );
    assert_eq!(world.psp.refunded_for(&session).await, 1250);
    let said = buyer.say("where is my order?").await;
    assert!(said.contains("is confirmed"), "{said}");
}

async fn a_result_is_picked_by_what_it_looks_like(backend: Backend) {
    let world = world(backend).await;
    let mut buyer = world.buyer().await;
    let said = buyer.say("I need running shoes under $100").await;
    assert!(said.contains("Here's what I found"), "{said}");
    assert!(
        said.contains("(color Blue, Navy;"),
        "one result comes in blue: {said}"
    );
    let said = buyer.say("the blue one").await;
    assert!(
        said.contains("Stride Recovery Plus Running Shoes"),
        "the one result that comes in blue: {said}"
    );
    assert!(
        said.contains("Which size?"),
        "colour settled by the pick: {said}"
    );
    let said = buyer.say("10").await;
    assert!(
        said.contains("Stride Recovery Plus Running Shoes (Blue / 10)"),
        "{said}"
    );
}

on_both_backends!(
    an_expired_checkout_starts_again,
    a_purchase_from_search_to_a_delivered_order,
    a_declined_card_then_another,
    a_mistyped_card_is_refused_before_anything_is_sent,
    out_of_stock_in_the_feed_and_at_checkout,
    three_d_secure_frictionless_and_with_a_challenge,
    a_failed_challenge_is_a_decline,
    cancel_before_paying,
    a_price_change_at_checkout_is_told,
    quantities_and_conversations_are_private,
    a_partial_refund_is_told_with_the_charge_refunded,
    a_result_is_picked_by_what_it_looks_like,
);
