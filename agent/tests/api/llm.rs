//! The LLM engine against a scripted OpenAI-compatible server (real HTTP, no live provider):
//! its tools are the shop's operations, their results reach the model, and the purchase
//! happens at the real merchant and PSP. The model never sees the card.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kit::on_both_backends;
use kit::testing::Backend;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::world_with;

const LLM_KEY: &str = "sk-scripted-model-key-0001";

/// An OpenAI-compatible chat-completions endpoint that answers from a script, in order, and
/// keeps every request it got.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Value>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn completions(
    State(script): State<Script>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {LLM_KEY}"));
    script.requests.lock().expect("lock").push(body);
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "bad key"}})),
        );
    }
    let Some(message) = script.answers.lock().expect("lock").pop_front() else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "script ended"}})),
        );
    };
    (
        StatusCode::OK,
        Json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": if message.get("tool_calls").is_some() { "tool_calls" } else { "stop" }}]
        })),
    )
}

impl Script {
    async fn serve(answers: Vec<Value>) -> (Self, String) {
        let script = Script::default();
        script.answers.lock().expect("lock").extend(answers);
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (script, url)
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }
}

fn calls(calls: &[(&str, Value)]) -> Value {
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": format!("call_{name}_{i}"), "type": "function", "function": {"name": name, "arguments": args.to_string()}})
        })
        .collect();
    json!({"role": "assistant", "content": null, "tool_calls": tool_calls})
}

fn say(text: &str) -> Value {
    json!({"role": "assistant", "content": text})
}

/// The tool results the model was given in a request, by tool call id order.
fn tool_results(request: &Value) -> Vec<Value> {
    request["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| serde_json::from_str(m["content"].as_str().expect("content")).expect("JSON"))
        .collect()
}

async fn a_purchase_through_the_model_and_its_tools(backend: Backend) {
    let (script, url) = Script::serve(vec![
        calls(&[("search_products", json!({"query": "running shoes under $100"}))]),
        say("The Northpeak Daily Trainer is $52.99."),
        calls(&[
            ("choose_result", json!({"description": "Northpeak Daily Trainer"})),
            ("choose_option", json!({"value": "white, size 10"})),
            ("set_shipping_address", json!({"name": "Jane Doe", "line_one": "500 Congress Ave", "city": "Austin", "state": "tx", "postal_code": "78701"})),
            ("set_contact", json!({"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe"})),
            ("checkout", json!({})),
        ]),
        say("That's $62.66 with shipping and tax. Please enter your card in the card form."),
        calls(&[("pay", json!({}))]),
        say("Paid: your order is placed."),
    ])
    .await;
    let world = world_with(
        backend,
        |_| {},
        |s| {
            s.conversation.engine = agent::configuration::EngineKind::Llm;
            s.llm.url = url;
            s.llm.model = "scripted-model".into();
            s.llm.api_key = SecretString::from(LLM_KEY);
        },
    )
    .await;
    let mut buyer = world.buyer().await;
    assert_eq!(
        buyer.say("I need running shoes under $100").await,
        "The Northpeak Daily Trainer is $52.99."
    );
    let said = buyer
        .say("The Northpeak Daily Trainer in white, size 10. Ship to Jane Doe, 500 Congress Ave, Austin TX 78701, jane@example.com")
        .await;
    assert_eq!(
        said,
        "That's $62.66 with shipping and tax. Please enter your card in the card form."
    );
    assert_eq!(buyer.state["checkout"]["status"], "ready_for_payment");
    let session = buyer.session();
    assert_eq!(
        buyer.card("4242424242424242").await,
        "Paid: your order is placed."
    );
    assert_eq!(
        world.charges(&session).await,
        [("succeeded".to_owned(), 6266)]
    );
    assert!(buyer.state["order"]["id"].is_string());

    let requests = script.requests();
    assert_eq!(requests.len(), 6, "one request per scripted answer");
    for r in &requests {
        assert_eq!(r["model"], "scripted-model");
        let tools: Vec<&str> = r["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|t| t["function"]["name"].as_str())
            .collect();
        for name in [
            "search_products",
            "choose_result",
            "checkout",
            "pay",
            "bank_confirmation_done",
            "cancel",
            "order_status",
        ] {
            assert!(tools.contains(&name), "{name} offered");
        }
        let text = r.to_string();
        assert!(
            !text.contains("4242424242424242") && !text.contains("4242 4242"),
            "the card never reaches the model"
        );
    }
    // Each tool's outcome came back to the model, after the call it answers.
    let searched = tool_results(&requests[1]);
    assert_eq!(searched[0]["outcome"], "results");
    assert!(
        searched[0]["results"]
            .to_string()
            .contains("Northpeak Daily Trainer Running Shoes")
    );
    let checkout = tool_results(&requests[3]);
    let outcomes: Vec<&str> = checkout
        .iter()
        .filter_map(|o| o["outcome"].as_str())
        .collect();
    assert_eq!(&outcomes[..2], ["needs_option", "chosen"]);
    let last = checkout.last().expect("checkout's result");
    assert_eq!(
        (
            last["outcome"].as_str(),
            last["ready"].as_bool(),
            last["checkout"]["total"].as_i64()
        ),
        (Some("checkout"), Some(true), Some(6266))
    );
    let paid = tool_results(&requests[5]);
    assert_eq!(paid.last().expect("pay's result")["outcome"], "ordered");
    // The model is told the card arrived, as brand and last four only.
    let told = requests[4]["messages"]
        .as_array()
        .expect("messages")
        .last()
        .expect("the buyer's turn")["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(told.contains("visa ending 4242"), "{told}");
}

async fn an_unreachable_model_is_an_apology_not_an_error(backend: Backend) {
    let world = world_with(
        backend,
        |_| {},
        |s| {
            s.conversation.engine = agent::configuration::EngineKind::Llm;
            // Nothing listens there.
            s.llm.url = "http://127.0.0.1:9/v1".into();
            s.llm.model = "absent".into();
        },
    )
    .await;
    let mut buyer = world.buyer().await;
    let said = buyer.say("hello").await;
    assert!(said.contains("not answering right now"), "{said}");
}

on_both_backends!(
    a_purchase_through_the_model_and_its_tools,
    an_unreachable_model_is_an_apology_not_an_error,
);
