//! Every upstream 2026-04-17 checkout example goes through the typed models and back.
//!
//! For each example: it deserialises into the model the spec names for it, serialises back to
//! equivalent JSON, and both the original and the re-serialised form validate against the
//! official JSON Schema. The examples that are wrong upstream are listed in `KNOWN_DEFECTS`
//! with the reason; the test checks that they really do fail, so the list cannot go stale.

use std::path::PathBuf;

use chrono::DateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::ApiVersion;
use shared::schema::{Bundle, schemas};
use shared::v2026_04_17 as v;

/// Upstream examples that do not match the 2026-04-17 schema, and why (spec/acp/SOURCE.md,
/// NOTES §17–18).
const KNOWN_DEFECTS: &[(&str, &str)] = &[
    (
        "examples.agentic_checkout.json#authentication_result_denied_example",
        "outcome_details lacks the required three_ds_cryptogram and electronic_commerce_indicator",
    ),
    (
        "examples.agentic_checkout.json#webhook_order_create_event",
        "carries the refunds[] field that 2026-04-17 removed in favour of adjustments[]",
    ),
    (
        "examples.agentic_checkout.json#webhook_order_update_event",
        "carries the refunds[] field that 2026-04-17 removed in favour of adjustments[]",
    ),
    (
        "examples.multi_item_checkout.json#create_multi_item_checkout_request",
        "stale: no capabilities (required since 2026-01-30)",
    ),
    (
        "examples.multi_item_checkout.json#create_multi_item_checkout_response",
        "stale: capabilities inside protocol, total type base_amount, no top-level capabilities",
    ),
    (
        "examples.mcp.agentic_checkout.json#create_checkout_session_response",
        "link type terms_of_service is not in the Link enum (terms_of_use is)",
    ),
    (
        "examples.mcp.agentic_checkout.json#get_checkout_session_response",
        "abbreviated session: no fulfillment_options (required)",
    ),
    (
        "examples.mcp.agentic_checkout.json#update_checkout_session_response",
        "abbreviated session: no fulfillment_options (required)",
    ),
    (
        "examples.mcp.agentic_checkout.json#complete_checkout_session_response",
        "abbreviated session: no fulfillment_options (required)",
    ),
    (
        "examples.mcp.agentic_checkout.json#cancel_checkout_session_response",
        "abbreviated session: no fulfillment_options (required)",
    ),
    (
        "examples.mcp.agentic_checkout.json#update_checkout_session_request",
        "selected_fulfillment_options in the pre-2026-01-30 nested {type, shipping:{…}} shape",
    ),
    (
        "examples.mcp.agentic_checkout.json#complete_checkout_session_request",
        "payment_data.instrument lacks type and credential",
    ),
    (
        "examples.delegate_authentication.json#retrieve_session_response_authenticated",
        DELEGATE_AUTH_ALLOF,
    ),
    (
        "examples.delegate_authentication.json#retrieve_session_response_attempted",
        DELEGATE_AUTH_ALLOF,
    ),
    (
        "examples.delegate_authentication.json#retrieve_session_response_not_authenticated",
        DELEGATE_AUTH_ALLOF,
    ),
    (
        "examples.delegate_authentication.json#retrieve_session_response_rejected",
        DELEGATE_AUTH_ALLOF,
    ),
    (
        "examples.delegate_authentication.json#retrieve_session_response_challenge_abandoned",
        DELEGATE_AUTH_ALLOF,
    ),
    (
        "discount-extension/*.json#request",
        "stale: items carry quantity (not in Item, upstream #264) and capabilities is missing",
    ),
    (
        "discount-extension/*.json#response",
        "stale: capabilities.payment_methods (replaced by payment handlers in 2026-01-30)",
    ),
];

/// `DelegateAuthenticationSessionWithResult` is `allOf` [the base, which has
/// `additionalProperties: false`, and an object adding `authentication_result`]: no document
/// with a result can satisfy both. Such bodies are checked as the schema evidently intends
/// instead: the base without the result, and the result against `AuthenticationResult`.
const DELEGATE_AUTH_ALLOF: &str =
    "unsatisfiable upstream: allOf of a closed base and an object adding authentication_result";

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/acp/2026-04-17/examples")
}

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(examples_dir().join(path)).expect("example file exists");
    serde_json::from_str(&text).expect("example file is JSON")
}

fn defect_reason(id: &str) -> Option<&'static str> {
    KNOWN_DEFECTS.iter().find_map(|(pattern, reason)| {
        let matches = match pattern.split_once("*.json") {
            Some((dir, suffix)) => id.starts_with(dir) && id.ends_with(suffix),
            None => id == *pattern,
        };
        matches.then_some(*reason)
    })
}

/// Drops the files' own annotations (`$schema`, `_description`, `_notes`), which are not part
/// of the object they illustrate.
fn strip_annotations(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !k.starts_with('$') && !k.starts_with('_'))
                .collect(),
        ),
        other => other,
    }
}

#[derive(Default)]
struct Report {
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    fn check<T: DeserializeOwned + Serialize>(&mut self, id: &str, def: &str, example: Value) {
        self.check_in::<T>(Bundle::Checkout, id, def, example);
    }

    fn check_in<T: DeserializeOwned + Serialize>(
        &mut self,
        bundle: Bundle,
        id: &str,
        def: &str,
        example: Value,
    ) {
        self.checked += 1;
        let outcome = round_trip::<T>(bundle, def, &example);
        match (defect_reason(id), outcome) {
            (None, Ok(())) => {}
            (None, Err(e)) => self.failures.push(format!("{id}: {e}")),
            (Some(_), Err(_)) => {}
            (Some(reason), Ok(())) => self.failures.push(format!(
                "{id} is listed as an upstream defect ({reason}) but now passes: update KNOWN_DEFECTS"
            )),
        }
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(
    bundle: Bundle,
    def: &str,
    example: &Value,
) -> Result<(), String> {
    let schemas = schemas(ApiVersion::V2026_04_17);
    schemas
        .validate(bundle, def, example)
        .map_err(|e| format!("original fails the schema: {e}"))?;
    let typed: T = serde_json::from_value(example.clone())
        .map_err(|e| format!("does not deserialise: {e}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("does not serialise: {e}"))?;
    if !equivalent(example, &back) {
        return Err(format!(
            "round trip changed the JSON:\n  before {example}\n  after  {back}"
        ));
    }
    schemas
        .validate(bundle, def, &back)
        .map_err(|e| format!("re-serialised form fails the schema: {e}"))
}

/// JSON equality, except that two timestamps naming the same instant are equal
/// (`…50.52Z` and `…50.520Z`) and numbers compare by value (`1` and `1.0`).
fn equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, va)| y.get(k).is_some_and(|vb| equivalent(va, vb)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equivalent(p, q))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y
                || matches!(
                    (DateTime::parse_from_rfc3339(x), DateTime::parse_from_rfc3339(y)),
                    (Ok(p), Ok(q)) if p == q
                )
        }
        _ => a == b,
    }
}

fn check_checkout_example(report: &mut Report, id: &str, name: &str, value: Value) {
    let is_request = name.contains("request");
    if name.starts_with("webhook_") {
        // The webhook bundle is OpenAPI-only; the event's `data` is the checkout `Order`.
        report.checked += 1;
        let outcome = serde_json::from_value::<v::WebhookEvent>(value.clone())
            .map_err(|e| e.to_string())
            .and_then(|_| {
                schemas(ApiVersion::V2026_04_17)
                    .validate(Bundle::Checkout, "Order", &value["data"])
                    .map_err(|e| e.to_string())
            });
        match (defect_reason(id), outcome) {
            (Some(_), Err(_)) | (None, Ok(())) => {}
            (None, Err(e)) => report.failures.push(format!("{id}: {e}")),
            (Some(_), Ok(())) => report
                .failures
                .push(format!("{id} now passes: update KNOWN_DEFECTS")),
        }
    } else if name.starts_with("error_") {
        report.check::<shared::Error>(id, "Error", value);
    } else if name.starts_with("discovery_") {
        report.check::<v::DiscoveryResponse>(id, "DiscoveryResponse", value);
    } else if name.starts_with("authentication_result") {
        report.check::<v::AuthenticationResult>(id, "AuthenticationResult", value);
    } else if is_request && name.starts_with("create") {
        report.check::<v::CheckoutSessionCreateRequest>(id, "CheckoutSessionCreateRequest", value);
    } else if is_request && name.starts_with("update") {
        report.check::<v::CheckoutSessionUpdateRequest>(id, "CheckoutSessionUpdateRequest", value);
    } else if is_request && name.starts_with("complete") {
        report.check::<v::CheckoutSessionCompleteRequest>(
            id,
            "CheckoutSessionCompleteRequest",
            value,
        );
    } else if is_request && name.starts_with("cancel") {
        report.check::<v::CancelSessionRequest>(id, "CancelSessionRequest", value);
    } else if name.starts_with("complete") {
        report.check::<v::CheckoutSession>(id, "CheckoutSessionWithOrder", value);
    } else {
        report.check::<v::CheckoutSession>(id, "CheckoutSession", value);
    }
}

#[test]
fn every_checkout_example_round_trips_and_validates() {
    let mut report = Report::default();

    for file in [
        "examples.agentic_checkout.json",
        "examples.multi_item_checkout.json",
    ] {
        let Value::Object(examples) = read(file) else {
            panic!("{file} is an object of named examples");
        };
        for (name, value) in examples {
            check_checkout_example(&mut report, &format!("{file}#{name}"), &name, value);
        }
    }

    // The MCP binding wraps the same bodies in JSON-RPC: arguments.payload, result, error.data.
    let Value::Object(mcp) = read("examples.mcp.agentic_checkout.json") else {
        panic!("MCP examples are an object");
    };
    for (name, rpc) in mcp {
        let id = format!("examples.mcp.agentic_checkout.json#{name}");
        if let Some(payload) = rpc.pointer("/params/arguments/payload") {
            check_checkout_example(&mut report, &id, &name, payload.clone());
        } else if let Some(result) = rpc.get("result") {
            let as_name = name.replace("get_", "retrieve_");
            check_checkout_example(&mut report, &id, &as_name, result.clone());
        } else if let Some(data) = rpc.pointer("/error/data") {
            report.check::<shared::Error>(&id, "Error", data.clone());
        }
    }

    for entry in std::fs::read_dir(examples_dir().join("discount-extension")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let file = format!(
            "discount-extension/{}",
            path.file_name().expect("name").to_string_lossy()
        );
        let example = read(&file);
        report.check::<v::CheckoutSessionCreateRequest>(
            &format!("{file}#request"),
            "CheckoutSessionCreateRequest",
            example["request"].clone(),
        );
        report.check::<v::CheckoutSession>(
            &format!("{file}#response"),
            "CheckoutSession",
            example["response"].clone(),
        );
    }

    for entry in std::fs::read_dir(examples_dir().join("orders")).expect("dir") {
        let path = entry.expect("entry").path();
        let file = format!(
            "orders/{}",
            path.file_name().expect("name").to_string_lossy()
        );
        report.check::<v::Order>(&file, "Order", strip_annotations(read(&file)));
    }

    assert!(
        report.checked >= 50,
        "only {} examples found",
        report.checked
    );
    assert!(
        report.failures.is_empty(),
        "{} of {} examples failed:\n{}",
        report.failures.len(),
        report.checked,
        report.failures.join("\n")
    );
}

#[test]
fn every_delegate_example_round_trips_and_validates() {
    let mut report = Report::default();
    let Value::Object(payment) = read("examples.delegate_payment.json") else {
        panic!("an object of named examples");
    };
    for (name, value) in payment {
        let id = format!("examples.delegate_payment.json#{name}");
        let b = Bundle::DelegatePayment;
        if name.contains("error") {
            report.check_in::<shared::Error>(b, &id, "Error", value);
        } else if name.ends_with("request") {
            report.check_in::<v::DelegatePaymentRequest>(b, &id, "DelegatePaymentRequest", value);
        } else {
            report.check_in::<v::DelegatePaymentResponse>(b, &id, "DelegatePaymentResponse", value);
        }
    }
    let Value::Object(auth) = read("examples.delegate_authentication.json") else {
        panic!("an object of named examples");
    };
    for (name, value) in auth {
        let id = format!("examples.delegate_authentication.json#{name}");
        let b = Bundle::DelegateAuthentication;
        if name.starts_with("error") {
            report.check_in::<shared::Error>(b, &id, "Error", value);
        } else if name.starts_with("create") && name.contains("request") {
            report.check_in::<v::DelegateAuthenticationCreateRequest>(
                b,
                &id,
                "DelegateAuthenticationCreateRequest",
                value,
            );
        } else if name.starts_with("authenticate_request") {
            report.check_in::<v::DelegateAuthenticationAuthenticateRequest>(
                b,
                &id,
                "DelegateAuthenticationAuthenticateRequest",
                value,
            );
        } else if name.starts_with("retrieve") {
            report.check_in::<v::DelegateAuthenticationSession>(
                b,
                &id,
                "DelegateAuthenticationSessionWithResult",
                value.clone(),
            );
            if let Err(e) = shared::schema::validate_delegate_authentication_session(
                ApiVersion::V2026_04_17,
                &value,
            ) {
                report.failures.push(format!("{id} as intended: {e}"));
            }
        } else {
            report.check_in::<v::DelegateAuthenticationSession>(
                b,
                &id,
                "DelegateAuthenticationSession",
                value,
            );
        }
    }
    assert!(report.checked >= 25, "only {} examples", report.checked);
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
}

#[test]
fn card_secrets_never_show_in_debug_output() {
    let req: v::DelegatePaymentRequest = serde_json::from_value(
        read("examples.delegate_payment.json")["delegate_payment_request"].clone(),
    )
    .expect("valid");
    let debug = format!("{req:?}");
    assert!(!debug.contains("4242424242424242"), "{debug}");
    assert!(
        !debug.contains(req.payment_method.cvc.as_deref().unwrap_or("x")),
        "{debug}"
    );
    assert!(debug.contains("…4242"));
}

#[test]
fn unknown_fields_and_wrong_types_are_rejected() {
    let unknown = serde_json::json!({"currency": "usd", "line_items": [{"id": "x"}], "capabilities": {}, "colour": "red"});
    assert!(serde_json::from_value::<v::CheckoutSessionCreateRequest>(unknown).is_err());
    let nested = serde_json::json!({"currency": "usd", "line_items": [{"id": "x", "quantity": 2}], "capabilities": {}});
    assert!(serde_json::from_value::<v::CheckoutSessionCreateRequest>(nested).is_err());
    let message = serde_json::json!({"type": "error", "code": "missing", "content_type": "plain", "content": "x", "extra": 1});
    assert!(serde_json::from_value::<v::Message>(message).is_err());
}

#[test]
fn update_request_distinguishes_absent_null_and_value() {
    let r: v::CheckoutSessionUpdateRequest =
        serde_json::from_str(r#"{"buyer": null, "order_notes": "hi"}"#).expect("parses");
    assert_eq!(r.buyer, Some(None));
    assert_eq!(r.order_notes, Some(Some("hi".into())));
    assert_eq!(r.fulfillment_details, None);
    let back = serde_json::to_value(&r).expect("serialises");
    assert_eq!(
        back,
        serde_json::json!({"buyer": null, "order_notes": "hi"})
    );
}

#[test]
fn open_enums_accept_unknown_values() {
    let trace: v::CancelSessionRequest =
        serde_json::from_str(r#"{"intent_trace": {"reason_code": "too_expensive_today"}}"#)
            .expect("an unknown reason code is not an error");
    let code = trace.intent_trace.expect("present").reason_code;
    assert!(!code.is_known());
    let caps: v::Capabilities =
        serde_json::from_str(r#"{"interventions": {"supported": ["3ds", "retina_scan"]}}"#)
            .expect("unknown capability values are ignored, not rejected");
    let supported = caps
        .interventions
        .and_then(|i| i.supported)
        .expect("present");
    assert_eq!(supported[0], v::InterventionType::ThreeDs);
    assert!(!supported[1].is_known());
}

#[test]
fn every_feed_example_round_trips_and_validates() {
    use v::feed;
    let mut report = Report::default();
    let Value::Object(examples) = read("examples.feed.json") else {
        panic!("an object of named examples");
    };
    for (name, value) in examples {
        let id = format!("examples.feed.json#{name}");
        let b = Bundle::Feed;
        if name.starts_with("feed_error") {
            report.check_in::<shared::Error>(b, &id, "Error", value);
        } else if name.starts_with("create_feed_request") {
            report.check_in::<feed::CreateFeedRequest>(b, &id, "CreateFeedRequest", value);
        } else if name.ends_with("feed_response") {
            report.check_in::<feed::FeedMetadata>(b, &id, "FeedMetadata", value);
        } else if name.starts_with("get_products") {
            report.check_in::<feed::ProductsResponse>(b, &id, "ProductsResponse", value);
        } else if name.starts_with("upsert_products_request") {
            report.check_in::<feed::UpsertProductsRequest>(b, &id, "UpsertProductsRequest", value);
            let typed: feed::UpsertProductsRequest =
                serde_json::from_value(read("examples.feed.json")[&name].clone()).expect("typed");
            for p in &typed.products {
                assert!(p.problems().is_empty(), "{id}: {:?}", p.problems());
            }
        } else {
            report
                .failures
                .push(format!("{id}: no model for this example"));
        }
    }
    let ack = serde_json::json!({"id": "feed_8f3K2x", "accepted": true});
    let typed: feed::UpsertProductsResponse = serde_json::from_value(ack.clone()).expect("typed");
    assert_eq!(serde_json::to_value(typed).expect("json"), ack);
    shared::schema::validate_upsert_products_response(ApiVersion::V2026_04_17, &ack)
        .expect("the OpenAPI's UpsertProductsResponse");
    for wrong in [
        serde_json::json!({"id": "feed_1"}),
        serde_json::json!({"id": "feed_1", "accepted": "yes"}),
        serde_json::json!({"id": "feed_1", "accepted": true, "extra": 1}),
    ] {
        assert!(
            shared::schema::validate_upsert_products_response(ApiVersion::V2026_04_17, &wrong)
                .is_err(),
            "{wrong}"
        );
    }
    assert!(report.checked >= 6, "only {} examples", report.checked);
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
}
