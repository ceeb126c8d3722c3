//! A whole world for the agent's tests: the real PSP, the real merchant (pushing its feed to
//! the agent and sending it order webhooks) and the agent, on one manual clock, each on a free
//! port over its own fresh database.

use std::sync::Arc;
use std::time::Duration;

use agent::testing::{FEED_KEY, MERCHANT_ID, TestAgent, WEBHOOK_SECRET};
use kit::clock::ManualClock;
use kit::testing::Backend;
use merchant::configuration::WebhookEndpoint;
use merchant::testing::TestMerchant;
use psp::testing::TestPsp;
use secrecy::SecretString;
use serde_json::{Value, json};

pub struct World {
    pub clock: Arc<ManualClock>,
    pub psp: TestPsp,
    pub merchant: TestMerchant,
    pub agent: TestAgent,
    pub http: reqwest::Client,
}

/// A port nobody listens on right now (the agent's: the merchant must know it first).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Everything up, with the demo catalog indexed at the agent.
pub async fn world(backend: Backend) -> World {
    world_with(backend, |_| {}, |_| {}).await
}

pub async fn world_with(
    backend: Backend,
    merchant_settings: impl FnOnce(&mut merchant::configuration::Settings),
    agent_settings: impl FnOnce(&mut agent::configuration::Settings),
) -> World {
    if std::env::var("TEST_LOG").is_ok() {
        kit::telemetry::init("debug,sqlx=warn,tantivy=warn,hyper=warn");
    }
    let clock = psp::testing::clock();
    let psp = psp::testing::spawn(backend, clock.clone()).await;
    let agent_port = free_port();
    let agent_url = format!("http://127.0.0.1:{agent_port}");
    let merchant = merchant::testing::spawn(backend, clock.clone(), |s| {
        s.payment.psp_url = psp.base_url.clone();
        s.feed.agent_url = agent_url.clone();
        s.feed.api_key = SecretString::from(FEED_KEY);
        s.feed.sync_interval_secs = 1;
        s.webhooks.endpoints = vec![WebhookEndpoint {
            agent: "test-agent".into(),
            url: format!("{agent_url}{}", agent::webhooks::PATH),
            secret: SecretString::from(WEBHOOK_SECRET),
        }];
        s.webhooks.backoff_base_ms = 50;
        s.webhooks.backoff_max_ms = 500;
        s.webhooks.poll_interval_ms = 100;
        merchant_settings(s);
    })
    .await;
    let merchant_url = merchant.base_url.clone();
    let psp_url = psp.base_url.clone();
    let agent = agent::testing::spawn_with(backend, clock.clone(), |s| {
        s.server.port = agent_port;
        let m = &mut s.merchants[0];
        m.url = merchant_url;
        m.api_key = SecretString::from(merchant::testing::API_KEY);
        s.psps = vec![agent::configuration::Psp {
            name: "acp-demo-psp".into(),
            url: psp_url,
            api_key: SecretString::from(psp::testing::AGENT_KEY),
        }];
        agent_settings(s);
    })
    .await;
    let world = World {
        clock,
        psp,
        merchant,
        agent,
        http: reqwest::Client::new(),
    };
    let variants = world.merchant.state.catalog.variant_count() as u64;
    world
        .eventually("the catalog is indexed", || async {
            world.agent.state.index.num_docs() >= variants
        })
        .await;
    world
}

/// A buyer's conversation, through the agent's JSON API.
pub struct Buyer<'a> {
    pub world: &'a World,
    pub id: String,
    pub token: String,
    /// What the agent said in the last turn, joined.
    pub last: String,
    pub state: Value,
}

impl World {
    /// Waits (in real time, up to 30 s) until `check` holds.
    pub async fn eventually<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..300 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting until {what}");
    }

    pub async fn buyer(&self) -> Buyer<'_> {
        let resp = self
            .http
            .post(format!("{}/api/conversations", self.agent.base_url))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status().as_u16(), 201);
        let body: Value = resp.json().await.expect("JSON");
        Buyer {
            world: self,
            id: body["id"].as_str().expect("id").to_owned(),
            token: body["token"].as_str().expect("token").to_owned(),
            last: body["messages"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            state: body["state"].clone(),
        }
    }

    /// An operator action on an order at the merchant (`confirm`, `ship`, `deliver`, …).
    pub async fn operate(&self, order: &str, action: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!(
                "{}/admin/orders/{order}/{action}",
                self.merchant.base_url
            ))
            .bearer_auth(merchant::testing::ADMIN_KEY)
            .header("Idempotency-Key", psp::testing::new_key())
            .json(&body)
            .send()
            .await
            .expect("sent");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(status, 200, "{action}: {body}");
        body
    }

    /// The PSP's payment intents of a checkout session: `(status, amount)`.
    pub async fn charges(&self, session: &str) -> Vec<(String, i64)> {
        self.psp.intents_for(session).await
    }
}

impl Buyer<'_> {
    async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .world
            .http
            .post(format!(
                "{}/api/conversations/{}{path}",
                self.world.agent.base_url, self.id
            ))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON"))
    }

    fn take(&mut self, body: &Value) {
        let said: Vec<&str> = body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["role"] == "agent")
            .filter_map(|m| m["text"].as_str())
            .collect();
        self.last = said.join("\n");
        self.state = body["state"].clone();
    }

    /// Says `text`; returns what the agent answered.
    pub async fn say(&mut self, text: &str) -> String {
        let (status, body) = self.post("/messages", json!({"text": text})).await;
        assert_eq!(status, 200, "{text}: {body}");
        self.take(&body);
        if std::env::var("TEST_LOG").is_ok() {
            println!("buyer> {text}\nagent> {}\n", self.last);
        }
        self.last.clone()
    }

    /// Gives a card through the card form, with the CVC its brand expects.
    pub async fn card(&mut self, number: &str) -> String {
        let cvc = if number.starts_with("37") {
            "1234"
        } else {
            "123"
        };
        self.card_with(number, cvc).await
    }

    /// Gives a card through the card form with this CVC.
    pub async fn card_with(&mut self, number: &str, cvc: &str) -> String {
        let (status, body) = self
            .post(
                "/card",
                json!({"number": number, "exp_month": "12", "exp_year": "2031", "cvc": cvc, "name": "Jane Doe"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        self.take(&body);
        self.last.clone()
    }

    /// Every message of the conversation: `(role, text)`.
    pub async fn history(&self) -> Vec<(String, String)> {
        let resp = self
            .world
            .http
            .get(format!(
                "{}/api/conversations/{}",
                self.world.agent.base_url, self.id
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status().as_u16(), 200);
        let body: Value = resp.json().await.expect("JSON");
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap_or_default().to_owned(),
                    m["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The checkout session id the agent is working on.
    pub fn session(&self) -> String {
        self.state["checkout"]["id"]
            .as_str()
            .expect("a checkout session")
            .to_owned()
    }

    pub fn order_id(&self) -> String {
        self.state["order"]["id"]
            .as_str()
            .expect("an order")
            .to_owned()
    }

    /// Waits until an order update containing `text` reaches the conversation.
    pub async fn hears(&self, text: &str) {
        let t = text.to_owned();
        self.world
            .eventually(&format!("the buyer hears {text:?}"), || {
                let t = t.clone();
                async move {
                    self.history()
                        .await
                        .iter()
                        .any(|(role, said)| role == "update" && said.contains(&t))
                }
            })
            .await;
    }
}

/// The merchant the world's agent shops at.
pub const MERCHANT: &str = MERCHANT_ID;
