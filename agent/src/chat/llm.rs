//! The LLM engine: any OpenAI-compatible chat-completions endpoint with tool calling. Its tools
//! are the shop's operations, the very ones the built-in engine uses, so the checkout works the
//! same whichever engine talks. The model never sees a card: cards are taken out of the text
//! before it is stored, and `pay` uses the card held for the conversation.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CardEvent, Said};
use crate::configuration::LlmSettings;
use crate::error::Error;
use crate::shop::outcome::Outcome;
use crate::shop::{Pick, Shop, us_address, view};
use crate::store::conversations::{self, Role};

pub struct LlmEngine {
    http: reqwest::Client,
    url: String,
    model: String,
    api_key: SecretString,
    max_rounds: usize,
}

const SYSTEM: &str = "You are a shopping agent. You help the buyer find products in the merchants' \
catalogs and buy them through the Agentic Commerce Protocol, using only the tools given. Prices \
from search are catalog prices; the checkout's totals are authoritative, and you tell the buyer \
when they differ. Never ask the buyer to type a card number to you and never repeat one: when \
payment is needed, ask them to enter their card in the card form (or the chat, which removes it \
before you see it), then call pay. Keep answers short and concrete: names, prices, what you need next.";

#[derive(Debug, Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Debug, Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
struct ToolCall {
    id: String,
    #[serde(rename = "type", default = "function")]
    kind: String,
    function: FunctionCall,
}

fn function() -> String {
    "function".into()
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
struct FunctionCall {
    name: String,
    /// JSON text, as the API sends it.
    arguments: String,
}

fn tool(name: &str, description: &str, parameters: Value) -> Value {
    json!({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})
}

/// The tools, as the chat-completions API describes functions.
pub fn tools() -> Vec<Value> {
    let none = json!({"type": "object", "properties": {}, "additionalProperties": false});
    vec![
        tool(
            "search_products",
            "Search the catalog with the buyer's words (price limits, colours, sizes and brands in the words are understood). Shows up to five products, numbered.",
            json!({"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"], "additionalProperties": false}),
        ),
        tool(
            "choose_result",
            "Choose one of the search results shown, by its number or by words that describe it (\"the blue one\").",
            json!({"type": "object", "properties": {"number": {"type": "integer", "minimum": 1}, "description": {"type": "string"}}, "additionalProperties": false}),
        ),
        tool(
            "choose_option",
            "Choose an option of the chosen product, such as a size or a colour, in the buyer's words (\"size 10\", \"navy\").",
            json!({"type": "object", "properties": {"value": {"type": "string"}}, "required": ["value"], "additionalProperties": false}),
        ),
        tool(
            "set_quantity",
            "Set how many of the chosen item to buy.",
            json!({"type": "object", "properties": {"quantity": {"type": "integer", "minimum": 1, "maximum": 99}}, "required": ["quantity"], "additionalProperties": false}),
        ),
        tool(
            "set_contact",
            "Record the buyer's e-mail (for the receipt) and name.",
            json!({"type": "object", "properties": {"email": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"}}, "additionalProperties": false}),
        ),
        tool(
            "set_shipping_address",
            "Record the US shipping address.",
            json!({"type": "object", "properties": {"name": {"type": "string"}, "line_one": {"type": "string"}, "line_two": {"type": "string"}, "city": {"type": "string"}, "state": {"type": "string", "description": "two-letter code"}, "postal_code": {"type": "string"}}, "required": ["name", "line_one", "city", "state", "postal_code"], "additionalProperties": false}),
        ),
        tool(
            "choose_shipping",
            "Choose the shipping speed.",
            json!({"type": "object", "properties": {"speed": {"type": "string", "enum": ["standard", "express", "overnight", "fastest", "cheapest"]}}, "required": ["speed"], "additionalProperties": false}),
        ),
        tool(
            "checkout",
            "Start (or update) the checkout for the chosen item; add_to_cart keeps what is already in the cart.",
            json!({"type": "object", "properties": {"add_to_cart": {"type": "boolean"}}, "additionalProperties": false}),
        ),
        tool(
            "pay",
            "Pay for the checkout with the card the buyer entered.",
            none.clone(),
        ),
        tool(
            "bank_confirmation_done",
            "The buyer says they finished confirming the payment at their bank's page.",
            none.clone(),
        ),
        tool(
            "cancel",
            "Cancel the checkout that is not paid yet.",
            json!({"type": "object", "properties": {"reason": {"type": "string"}}, "additionalProperties": false}),
        ),
        tool(
            "order_status",
            "Where the buyer's order is (from the shop's updates).",
            none,
        ),
    ]
}

fn string(args: &Value, name: &str) -> Option<String> {
    args.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}

impl LlmEngine {
    pub fn new(settings: &LlmSettings) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(settings.timeout_secs))
                .build()?,
            url: format!("{}/chat/completions", settings.url.trim_end_matches('/')),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
            max_rounds: settings.max_rounds.max(1),
        })
    }

    /// Runs one tool call against the shop; the result is what the model reads back.
    async fn run(&self, shop: &mut Shop<'_>, call: &FunctionCall) -> Result<Value, Error> {
        let args: Value = serde_json::from_str(&call.arguments).unwrap_or(json!({}));
        let outcome = match call.name.as_str() {
            "search_products" => {
                let q = string(&args, "query").unwrap_or_default();
                shop.search(&q).await?
            }
            "choose_result" => {
                let words = string(&args, "description").unwrap_or_default();
                let pick = match args.get("number").and_then(Value::as_u64) {
                    Some(n) => Pick::Number(usize::try_from(n).unwrap_or(usize::MAX)),
                    None => Pick::Words(words.clone()),
                };
                shop.choose(pick, &words).await?
            }
            "choose_option" => {
                shop.pick_options(&string(&args, "value").unwrap_or_default())
                    .await?
            }
            "set_quantity" => {
                let n = args.get("quantity").and_then(Value::as_u64).unwrap_or(1);
                shop.set_quantity(u32::try_from(n).unwrap_or(1)).await?
            }
            "set_contact" => shop
                .set_contact(
                    string(&args, "email").map(|e| e.to_lowercase()),
                    string(&args, "first_name"),
                    string(&args, "last_name"),
                )
                .await?
                .unwrap_or(Outcome::Problem {
                    message: "Recorded.".into(),
                }),
            "set_shipping_address" => {
                let (Some(name), Some(line_one), Some(city), Some(state), Some(zip)) = (
                    string(&args, "name"),
                    string(&args, "line_one"),
                    string(&args, "city"),
                    string(&args, "state"),
                    string(&args, "postal_code"),
                ) else {
                    return Ok(
                        json!({"outcome": "problem", "message": "name, line_one, city, state and postal_code are required"}),
                    );
                };
                let address = us_address(
                    name,
                    line_one,
                    string(&args, "line_two"),
                    city,
                    state.to_uppercase(),
                    zip,
                );
                shop.set_address(address)
                    .await?
                    .unwrap_or(Outcome::Problem {
                        message: "Recorded.".into(),
                    })
            }
            "choose_shipping" => {
                let speed = string(&args, "speed").unwrap_or_else(|| "standard".into());
                shop.choose_shipping(&speed).await?
            }
            "checkout" => {
                let add = args
                    .get("add_to_cart")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                shop.checkout(add).await?
            }
            "pay" => shop.pay().await?,
            "bank_confirmation_done" => shop.authentication_done().await?,
            "cancel" => shop.cancel(string(&args, "reason").as_deref()).await?,
            "order_status" => shop.order_status().await?,
            other => {
                return Ok(
                    json!({"outcome": "problem", "message": format!("there is no tool {other}")}),
                );
            }
        };
        serde_json::to_value(&outcome).map_err(|e| Error::Internal(e.into()))
    }

    async fn complete(&self, messages: &[Value]) -> Result<AssistantMessage, Error> {
        let body = json!({
            "model": self.model,
            "messages": messages,
            "tools": tools(),
            "tool_choice": "auto",
        });
        let mut req = self.http.post(&self.url).json(&body);
        let key = self.api_key.expose_secret();
        if !key.is_empty() {
            req = req.bearer_auth(key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Error::Unavailable(format!("the language model is not reachable: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::Unavailable(format!(
                "the language model answered HTTP {status}"
            )));
        }
        let completion: Completion = resp
            .json()
            .await
            .map_err(|e| Error::Unavailable(format!("the language model's answer: {e}")))?;
        completion
            .choices
            .into_iter()
            .next()
            .map(|c| c.message)
            .ok_or_else(|| Error::Unavailable("the language model gave no answer".into()))
    }

    pub async fn reply(&self, shop: &mut Shop<'_>, said: &Said) -> Result<Vec<String>, Error> {
        let context = json!({
            "state": view::state_view(shop.state),
            "results_shown": shop.state.results.iter().enumerate().map(|(i, h)| json!({
                "number": i + 1, "title": h.product_title, "price": h.price, "available": h.available
            })).collect::<Vec<_>>(),
        });
        let mut messages = vec![
            json!({"role": "system", "content": SYSTEM}),
            json!({"role": "system", "content": format!("The shopping state now: {context}")}),
        ];
        // The conversation so far, already without card numbers; this turn's message is last.
        let history = conversations::recent(&shop.app.db.read, shop.conversation, 20).await?;
        let n = history.len();
        for m in history.into_iter().take(n.saturating_sub(1)) {
            let role = match m.role {
                Role::Buyer => "user",
                Role::Agent | Role::Update => "assistant",
            };
            messages.push(json!({"role": role, "content": m.text}));
        }
        let mut text = said.text.clone();
        match &said.card {
            Some(CardEvent::Given { brand, last4 }) => text.push_str(&format!(
                "\n[The buyer entered a card ({brand} ending {last4}); it is held for pay.]"
            )),
            Some(CardEvent::Refused(why)) => {
                text.push_str(&format!(
                    "\n[The buyer entered a card that cannot be used: {why}.]"
                ));
            }
            None => {}
        }
        messages.push(json!({"role": "user", "content": text}));
        for _ in 0..self.max_rounds {
            let answer = self.complete(&messages).await?;
            if answer.tool_calls.is_empty() {
                let content = answer.content.unwrap_or_default();
                return Ok(vec![content]);
            }
            messages.push(json!({
                "role": "assistant",
                "content": answer.content,
                "tool_calls": answer.tool_calls,
            }));
            for call in &answer.tool_calls {
                let result = self.run(shop, &call.function).await?;
                tracing::info!(tool = %call.function.name, outcome = %result["outcome"], "tool called");
                messages.push(json!({
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": result.to_string(),
                }));
            }
        }
        Ok(vec![
            "Sorry, I got lost working that out. Could you say it another way?".into(),
        ])
    }
}
