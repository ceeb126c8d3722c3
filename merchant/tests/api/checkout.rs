//! Create, retrieve, update and cancel: what a buyer and an agent see.

use serde_json::json;
use shared::client::RequestOptions;
use shared::idempotency::IdempotencyKey;
use shared::v2026_04_17 as w;

use crate::helpers::{Backend, Resp, address, assert_valid, create_body, spawn_app};
use kit::on_both_backends;

/// The arithmetic every session must satisfy, whatever is in it.
fn assert_totals_add_up(r: &Resp) {
    let t = |k| r.total(k).unwrap_or(0);
    assert_eq!(
        t("items_base_amount") - t("items_discount"),
        t("subtotal"),
        "{:#}",
        r.body["totals"]
    );
    assert_eq!(
        t("subtotal") + t("fulfillment") + t("tax"),
        t("total"),
        "{:#}",
        r.body["totals"]
    );
    let lines = r.body["line_items"].as_array().expect("line items");
    let line_total = |l: &serde_json::Value, k: &str| {
        l["totals"]
            .as_array()
            .and_then(|ts| ts.iter().find(|x| x["type"] == k))
            .and_then(|x| x["amount"].as_i64())
            .unwrap_or(0)
    };
    let subtotals: i64 = lines.iter().map(|l| line_total(l, "subtotal")).sum();
    assert_eq!(subtotals, t("subtotal"));
    for l in lines {
        assert_eq!(
            line_total(l, "items_base_amount") - line_total(l, "discount"),
            line_total(l, "subtotal")
        );
        assert_eq!(
            line_total(l, "subtotal") + line_total(l, "tax"),
            line_total(l, "total")
        );
    }
}

async fn create_without_address_asks_for_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let mut body = create_body(&[&variant], None);
    body.as_object_mut().expect("object").remove("buyer");
    let r = app.create(body).await;
    assert_eq!(r.status, 201);
    assert!(r.id().starts_with("cs_"));
    assert_eq!(r.status_text(), "not_ready_for_payment");
    assert_eq!(
        r.message_param("missing").as_deref(),
        Some("$.fulfillment_details.address")
    );
    assert!(r.has_message("error", "missing"));
    assert!(
        r.body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["param"] == "$.buyer.email")
    );
    assert_eq!(
        r.body["fulfillment_options"],
        json!([]),
        "no shipping options before an address"
    );
    assert_eq!(r.total("tax"), None, "tax is unknown before an address");
    assert_eq!(r.body["line_items"][0]["item"]["id"], variant.as_str());
    assert_eq!(r.body["line_items"][0]["quantity"], 1);
    assert_eq!(
        r.body["capabilities"]["payment"]["handlers"][0]["name"],
        "dev.acp.tokenized.card"
    );
    assert_eq!(
        r.body["capabilities"]["payment"]["handlers"][0]["config"]["merchant_id"],
        "acct_demo_outfitters"
    );
    assert_totals_add_up(&r);
    // A read returns the same authoritative state.
    let g = app.get(&r.id()).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body, r.body);
}

async fn full_details_make_a_session_ready_with_tax_and_shipping(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let unit = app.unit_price(&variant);
    let r = app.create(create_body(&[&variant], Some("CA"))).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.status_text(),
        "ready_for_payment",
        "{:#}",
        r.body["messages"]
    );
    let options: Vec<&str> = r.body["fulfillment_options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(options, ["ship_standard", "ship_express", "ship_overnight"]);
    let selected = &r.body["selected_fulfillment_options"][0];
    assert_eq!(
        selected["option_id"], "ship_standard",
        "the cheapest option is chosen by default"
    );
    assert_eq!(selected["item_ids"], json!([r.body["line_items"][0]["id"]]));
    // California: 7.25 % on goods, shipping not taxed.
    let expected_tax = (unit * 72_500 + 500_000) / 1_000_000;
    assert_eq!(r.total("tax"), Some(expected_tax));
    let shipping = if unit >= 7_500 { 0 } else { 599 };
    assert_eq!(r.total("fulfillment"), Some(shipping));
    assert_eq!(r.total("total"), Some(unit + shipping + expected_tax));
    let tax = r.body["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .find(|t| t["type"] == "tax")
        .expect("tax");
    assert_eq!(tax["breakdown"][0]["jurisdiction"], "US-CA");
    assert_totals_add_up(&r);
}

async fn texas_taxes_shipping_and_oregon_taxes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    // A cheap item, so standard shipping is charged.
    let variant = app.find_variant(|p, v| {
        !p.digital && v.sale_price.is_none() && v.price < 3_000 && v.stock >= 5
    });
    let unit = app.unit_price(&variant);
    let tx = app.create(create_body(&[&variant], Some("TX"))).await;
    let goods_tax = (unit * 62_500 + 500_000) / 1_000_000;
    let shipping_tax = (599 * 62_500 + 500_000) / 1_000_000;
    assert_eq!(tx.total("fulfillment"), Some(599));
    assert_eq!(tx.total("tax"), Some(goods_tax + shipping_tax));
    assert!(
        tx.body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["type"] == "info"
                && m["content"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("free standard shipping"))
    );
    assert_totals_add_up(&tx);

    let or = app.create(create_body(&[&variant], Some("OR"))).await;
    assert_eq!(or.total("tax"), Some(0));
    assert_eq!(or.total("total"), Some(unit + 599));
}

async fn sale_prices_show_as_discounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(true, 5);
    let entry = app.state.catalog.variant(&variant).expect("known");
    let (list, sale) = (
        entry.variant.price,
        entry.variant.sale_price.expect("on sale"),
    );
    let r = app
        .create(create_body(&[&variant, &variant], Some("NY")))
        .await;
    let line = &r.body["line_items"][0];
    assert_eq!(
        line["quantity"], 2,
        "a repeated id is one line with more units"
    );
    assert_eq!(line["unit_amount"], sale);
    assert_eq!(line["discount_details"][0]["amount"], 2 * (list - sale));
    assert_eq!(r.total("items_base_amount"), Some(2 * list));
    assert_eq!(r.total("items_discount"), Some(2 * (list - sale)));
    assert_eq!(r.total("subtotal"), Some(2 * sale));
    assert_totals_add_up(&r);
}

async fn digital_goods_need_only_an_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let ebook = app.digital_variant();
    let r = app.create(create_body(&[&ebook], None)).await;
    assert_eq!(
        r.status_text(),
        "ready_for_payment",
        "{:#}",
        r.body["messages"]
    );
    assert_eq!(r.body["fulfillment_options"][0]["type"], "digital");
    assert_eq!(
        r.body["selected_fulfillment_options"][0]["option_id"],
        "digital_email"
    );
    assert_eq!(r.total("tax"), Some(0));
    assert_eq!(r.total("fulfillment"), Some(0));

    // Mixed cart: the book ships, the e-book is e-mailed; both selected.
    let book = app.physical_variant(false, 5);
    let mixed = app.create(create_body(&[&book, &ebook], Some("CA"))).await;
    assert_eq!(mixed.status_text(), "ready_for_payment");
    let kinds: Vec<&str> = mixed.body["selected_fulfillment_options"]
        .as_array()
        .expect("selected")
        .iter()
        .map(|s| s["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["shipping", "digital"]);
    assert_totals_add_up(&mixed);
}

async fn invalid_requests_point_at_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let r = app
        .create(create_body(&[&variant, "no-such-item"], None))
        .await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "invalid_item_id", Some("$.line_items[1].id"))
    );
    let mut eur = create_body(&[&variant], None);
    eur["currency"] = json!("eur");
    let r = app.create(eur).await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "unsupported_currency", Some("$.currency"))
    );
    let r = app.create(create_body(&[], None)).await;
    assert_eq!(
        (r.status, r.code(), r.param()),
        (400, "invalid", Some("$.line_items"))
    );
}

async fn address_problems_are_messages_the_agent_can_fix(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let id = app.create(create_body(&[&variant], None)).await.id();
    let mut abroad = address("CA");
    abroad["country"] = json!("FR");
    let r = app
        .update(&id, json!({"fulfillment_details": {"address": abroad}}))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.has_message("error", "region_restricted"));
    assert_eq!(r.status_text(), "not_ready_for_payment");
    let mut nowhere = address("CA");
    nowhere["state"] = json!("Atlantis");
    let r = app
        .update(&id, json!({"fulfillment_details": {"address": nowhere}}))
        .await;
    assert_eq!(
        r.message_param("invalid").as_deref(),
        Some("$.fulfillment_details.address.state")
    );
    let r = app
        .update(
            &id,
            json!({"fulfillment_details": {"address": address("NY")}}),
        )
        .await;
    assert_eq!(r.status_text(), "ready_for_payment");
    let r = app
        .update(&id, json!({"buyer": {"email": "not-an-email"}}))
        .await;
    assert_eq!(r.message_param("invalid").as_deref(), Some("$.buyer.email"));
    assert_eq!(r.status_text(), "not_ready_for_payment");
}

async fn choosing_a_faster_option_recomputes_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let created = app.create(create_body(&[&variant], Some("TX"))).await;
    let id = created.id();
    let line_id = created.body["line_items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .update(&id, json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "ship_express", "item_ids": [line_id]}]}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["selected_fulfillment_options"][0]["option_id"],
        "ship_express"
    );
    assert_eq!(r.total("fulfillment"), Some(1_499));
    assert!(r.total("total").expect("total") > created.total("total").expect("total"));
    assert_totals_add_up(&r);

    // By item id, and by omitting item ids (= every line the option can serve).
    let r = app.update(&id, json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "ship_overnight", "item_ids": [variant]}]})).await;
    assert_eq!(r.total("fulfillment"), Some(2_999));
    let r = app.update(&id, json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "ship_standard", "item_ids": []}]})).await;
    assert_eq!(
        r.body["selected_fulfillment_options"][0]["option_id"],
        "ship_standard"
    );

    // Moving to Hawaii, where there is no overnight: the choice falls back and the agent is told.
    app.update(&id, json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "ship_overnight", "item_ids": []}]})).await;
    let r = app
        .update(
            &id,
            json!({"fulfillment_details": {"address": address("HI")}}),
        )
        .await;
    assert_eq!(
        r.body["selected_fulfillment_options"][0]["option_id"],
        "ship_standard"
    );
    assert!(r.has_message("info", ""));

    let bad = app.update(&id, json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "ship_teleport", "item_ids": []}]})).await;
    assert_eq!((bad.status, bad.code()), (400, "invalid"));
    assert_eq!(
        bad.param(),
        Some("$.selected_fulfillment_options[0].option_id")
    );
    let bad = app.update(&id, json!({"selected_fulfillment_options": [{"type": "pickup", "option_id": "ship_standard", "item_ids": []}]})).await;
    assert_eq!(bad.param(), Some("$.selected_fulfillment_options[0].type"));
}

async fn null_clears_and_absent_keeps(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let id = app.create(create_body(&[&variant], Some("CA"))).await.id();
    let kept = app.update(&id, json!({"order_notes": "ring twice"})).await;
    assert_eq!(
        kept.body["buyer"]["email"], "jane@example.com",
        "absent fields are left as they are"
    );
    assert_eq!(kept.status_text(), "ready_for_payment");
    let cleared = app
        .update(&id, json!({"buyer": null, "fulfillment_details": null}))
        .await;
    assert!(cleared.body.get("buyer").is_none(), "null clears the buyer");
    assert!(cleared.body.get("fulfillment_details").is_none());
    assert_eq!(cleared.status_text(), "not_ready_for_payment");
    let r = app.update(&id, json!({"line_items": null})).await;
    assert_eq!((r.status, r.param()), (400, Some("$.line_items")));
}

async fn changing_items_keeps_line_ids_and_repricing(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.physical_variant(false, 10);
    let b = app.find_variant(|p, v| !p.digital && v.id != a && v.stock >= 10);
    let created = app.create(create_body(&[&a], Some("CA"))).await;
    let id = created.id();
    let line_a = created.body["line_items"][0]["id"].clone();
    let r = app
        .update(
            &id,
            json!({"line_items": [{"id": a}, {"id": a}, {"id": b}]}),
        )
        .await;
    assert_eq!(
        r.body["line_items"][0]["id"], line_a,
        "a kept item keeps its line id"
    );
    assert_eq!(r.body["line_items"][0]["quantity"], 2);
    assert_eq!(r.body["line_items"][1]["item"]["id"], b.as_str());
    assert_eq!(app.stock(&a).await.1, 2);
    assert_eq!(app.stock(&b).await.1, 1);
    let r = app.update(&id, json!({"line_items": [{"id": b}]})).await;
    assert_eq!(r.body["line_items"].as_array().expect("lines").len(), 1);
    assert_eq!(
        app.stock(&a).await.1,
        0,
        "removing an item gives its units back"
    );
    assert_totals_add_up(&r);
}

async fn agent_price_expectations_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let unit = app.unit_price(&variant);
    let mut body = create_body(&[&variant], Some("CA"));
    body["line_items"][0]["unit_amount"] = json!(unit - 100);
    let r = app.create(body).await;
    assert!(r.has_message("warning", "price_change"));
    assert_eq!(
        r.message_param("price_change").as_deref(),
        Some("$.line_items[0]")
    );
    assert_eq!(
        r.body["line_items"][0]["unit_amount"], unit,
        "the merchant's price is authoritative"
    );
    assert_eq!(
        r.status_text(),
        "ready_for_payment",
        "a warning does not block payment"
    );
}

async fn discount_codes_are_rejected_with_warnings(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body(&[&app.physical_variant(false, 5)], Some("CA"));
    body["discounts"] = json!({"codes": ["save10"]});
    let r = app.create(body).await;
    assert_eq!(r.body["discounts"]["rejected"][0]["code"], "SAVE10");
    assert_eq!(
        r.body["discounts"]["rejected"][0]["reason"],
        "discount_code_invalid"
    );
    assert_eq!(
        r.message_param("discount_code_invalid").as_deref(),
        Some("$.discounts.codes[0]")
    );
    assert_eq!(r.status_text(), "ready_for_payment");
}

async fn cancel_releases_and_finishes_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let id = app
        .create(create_body(&[&variant, &variant], Some("CA")))
        .await
        .id();
    assert_eq!(app.stock(&variant).await.1, 2);
    let trace = json!({"intent_trace": {"reason_code": "shipping_cost", "trace_summary": "too pricey", "metadata": {"target": 0, "ref": "x", "ok": true}}});
    let r = app.cancel(&id, Some(trace)).await;
    assert_eq!((r.status, r.status_text()), (200, "canceled"));
    assert!(
        r.body.get("intent_trace").is_none(),
        "intent traces are write-only"
    );
    assert_eq!(
        app.stock(&variant).await.1,
        0,
        "canceling gives the units back"
    );
    let traces: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM intent_traces WHERE session_id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.read)
            .await
            .expect("query");
    assert_eq!(traces, 1);

    let again = app.cancel(&id, None).await;
    assert_eq!((again.status, again.code()), (405, "session_canceled"));
    let upd = app.update(&id, json!({"order_notes": "hi"})).await;
    assert_eq!((upd.status, upd.code()), (405, "session_canceled"));
    assert_eq!(app.get(&id).await.status_text(), "canceled");
}

async fn cancel_accepts_unknown_reasons_and_rejects_nested_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let id = app.create(create_body(&[&variant], None)).await.id();
    let r = app.cancel(&id, Some(json!({"intent_trace": {"reason_code": "mood_changed", "metadata": {"a": {"nested": 1}}}}))).await;
    assert_eq!((r.status, r.code()), (400, "invalid_type"));
    assert_eq!(r.param(), Some("$.intent_trace.metadata.a"));
    let r = app
        .cancel(
            &id,
            Some(json!({"intent_trace": {"reason_code": "mood_changed"}})),
        )
        .await;
    assert_eq!(r.status_text(), "canceled");
    let reason: String =
        sqlx::query_scalar("SELECT reason_code FROM intent_traces WHERE session_id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.read)
            .await
            .expect("query");
    assert_eq!(reason, "other");
}

async fn the_typed_client_drives_the_whole_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let variant = app.physical_variant(false, 5);
    let opts = RequestOptions::default();
    let mut req = w::CheckoutSessionCreateRequest::new("usd", &[&variant]);
    req.buyer = Some(w::Buyer {
        first_name: Some("Jane".into()),
        last_name: None,
        full_name: None,
        email: "jane@example.com".into(),
        phone_number: None,
        customer_id: None,
        account_type: None,
        authentication_status: None,
        company: None,
        loyalty: None,
        tax_exemption: None,
    });
    let key = IdempotencyKey::parse("typed-create-1").expect("key");
    let created = app.client.create(&req, &key, &opts).await.expect("created");
    assert_valid("CheckoutSession", &created.raw);
    assert_eq!(created.status, 201);
    assert_eq!(created.body.status, w::SessionStatus::NotReadyForPayment);

    let update = w::CheckoutSessionUpdateRequest {
        fulfillment_details: Some(Some(w::FulfillmentDetails {
            name: Some("Jane".into()),
            phone_number: None,
            email: None,
            address: Some(serde_json::from_value(address("CA")).expect("address")),
        })),
        ..Default::default()
    };
    let key = IdempotencyKey::parse("typed-update-1").expect("key");
    let updated = app
        .client
        .update(&created.body.id, &update, &key, &opts)
        .await
        .expect("updated");
    assert_eq!(updated.body.status, w::SessionStatus::ReadyForPayment);
    assert!(updated.body.total().is_some_and(|t| t > 0));

    let got = app
        .client
        .retrieve(&created.body.id, &opts)
        .await
        .expect("retrieved");
    assert_eq!(got.body, updated.body);

    let key = IdempotencyKey::parse("typed-cancel-1").expect("key");
    let canceled = app
        .client
        .cancel(&created.body.id, None, &key, &opts)
        .await
        .expect("canceled");
    assert_eq!(canceled.body.status, w::SessionStatus::Canceled);
    let err = app
        .client
        .cancel(
            &created.body.id,
            None,
            &IdempotencyKey::parse("typed-cancel-2").expect("key"),
            &opts,
        )
        .await
        .expect_err("405");
    assert_eq!(err.status(), Some(405));
    if let shared::client::ClientError::Api { raw, .. } = &err {
        assert_valid("Error", raw);
    }
    assert_eq!(
        err.api_error().map(|e| e.code.as_str()),
        Some("session_canceled")
    );
}

on_both_backends!(
    create_without_address_asks_for_one,
    full_details_make_a_session_ready_with_tax_and_shipping,
    texas_taxes_shipping_and_oregon_taxes_nothing,
    sale_prices_show_as_discounts,
    digital_goods_need_only_an_email,
    invalid_requests_point_at_the_field,
    address_problems_are_messages_the_agent_can_fix,
    choosing_a_faster_option_recomputes_totals,
    null_clears_and_absent_keeps,
    changing_items_keeps_line_ids_and_repricing,
    agent_price_expectations_are_checked,
    discount_codes_are_rejected_with_warnings,
    cancel_releases_and_finishes_the_session,
    cancel_accepts_unknown_reasons_and_rejects_nested_metadata,
    the_typed_client_drives_the_whole_flow,
);
