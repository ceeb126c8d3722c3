//! What each benchmark sends. An iteration answers `Ok(Ok(()))` when every answer was the
//! expected one, `Ok(Err(why))` when one was not (counted as an error), and `Err` when the
//! connection itself failed (the run stops).

use anyhow::Context;
use http::{Request, StatusCode};
use hyper::body::Bytes;
use merchant::catalog::SeedFile;
use rand::RngExt;
use serde_json::{Value, json};

use std::sync::Arc;

use crate::drive::{Conn, Conns, Steps, Target};
use crate::receiver::Receiver;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `POST /checkout_sessions`: one in-stock item, a California address and an e-mail, so
    /// every session is fully priced, taxed and ready for payment.
    Create,
    /// `GET /checkout_sessions/{id}` over sessions created beforehand.
    Retrieve,
    /// `POST /ceiling` on the ceiling server: one insert.
    Ceiling,
    /// `POST /floor` on the floor server: the write of a create, and nothing else.
    Floor,
    /// `POST /agentic_commerce/delegate_payment` on the PSP (`--url`): vault a card, issue a
    /// token.
    Delegate,
    /// A whole purchase as an agent makes it: create, update (express shipping), delegate the
    /// card to the PSP (`--psp-url`), complete (the merchant redeems the token at the PSP).
    Purchase,
    /// `GET /api/search?q=…` on the agent (`--url`): shopper queries, typos and constraints.
    Search,
}

/// What shoppers type (a sample of the search-quality queries).
const QUERIES: &[&str] = &[
    "running shoes under $100",
    "runing shose",
    "waterproof hiking boots",
    "blue rain jacket size M",
    "noise cancelling headphones",
    "wireless earbuds in stock",
    "cast iron skillet",
    "coffee grinder",
    "2 person tent",
    "yoga mat",
    "sourdough e-book",
    "birthday gift card",
    "northpeak jacket",
    "merino base layer",
    "usb-c charger",
    "board game for family",
    "vitamin c serum",
    "grey hoodie under $40",
    "stainles steel mixing bowls",
    "sneakers under $75",
];

pub struct Plan {
    kind: Kind,
    /// Hears the order events of purchases, when the merchant sends them here.
    pub receiver: Option<Arc<Receiver>>,
    /// The merchant's agent key.
    key: String,
    /// The PSP's agent key.
    psp_key: String,
    variants: Vec<String>,
    sessions: Vec<String>,
    /// Distinguishes idempotency keys of separate runs against one server.
    run_id: u64,
}

pub struct Keys {
    pub merchant: String,
    pub psp: String,
}

const VERSION: &str = "2026-04-17";
const CARD: &str = "4242424242424242";
/// The merchant of the demo PSP configuration (`config/demo/psp.toml`), for tokens delegated
/// without a merchant in the loop.
const DEMO_MERCHANT_ID: &str = "acct_demo_outfitters";

/// Physical variants of the demo catalog (the bench catalog has the same ids).
fn variants() -> Vec<String> {
    physical_variants(&merchant::catalog::generate::generate(
        merchant::catalog::generate::demo_size(),
        merchant::catalog::generate::DEMO_RNG_SEED,
    ))
}

/// Ids of the variants of `seed` that are shipped, the ones the create scenario buys.
pub fn physical_variants(seed: &SeedFile) -> Vec<String> {
    seed.products
        .iter()
        .filter(|p| !p.digital)
        .flat_map(|p| p.variants.iter().map(|v| v.id.clone()))
        .collect()
}

/// A create for one unit of `variant`, with everything needed to be ready for payment.
pub fn create_body(variant: &str) -> Value {
    json!({
        "currency": "usd",
        "line_items": [{"id": variant}],
        "capabilities": {"interventions": {"supported": ["3ds"]}},
        "buyer": {"email": "load@example.com", "first_name": "Load"},
        "fulfillment_details": {"name": "Load Test", "address": {
            "name": "Load Test", "line_one": "1 Market St", "city": "San Francisco",
            "state": "CA", "country": "US", "postal_code": "94105"}},
    })
}

pub async fn prepare(
    kind: Kind,
    target: &Target,
    keys: Keys,
    receiver: Option<Arc<Receiver>>,
) -> anyhow::Result<Plan> {
    let mut plan = Plan {
        kind,
        receiver,
        key: keys.merchant,
        psp_key: keys.psp,
        variants: variants(),
        sessions: Vec::new(),
        run_id: rand::rng().random(),
    };
    if kind == Kind::Retrieve {
        // A pool of sessions to read, made with the create request itself.
        let mut conn = Conn::open(target).await?;
        for i in 0..1000 {
            let (status, body) = conn
                .send(plan.create(usize::MAX, i, &conn.authority)?)
                .await?;
            let session =
                expect("create", status, &body, StatusCode::CREATED).map_err(anyhow::Error::msg)?;
            plan.sessions
                .push(session["id"].as_str().context("session id")?.to_owned());
        }
    }
    Ok(plan)
}

/// The body, if the status is the expected one.
fn expect(step: &str, status: StatusCode, body: &[u8], want: StatusCode) -> Result<Value, String> {
    if status != want {
        return Err(format!(
            "{step}: HTTP {status}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    serde_json::from_slice(body).map_err(|e| format!("{step}: {e}"))
}

/// The status and a telling part of the body, without parsing it: at one connection the load
/// tool shares the two cores with the server, and parsing a 4.5 KB session per request would
/// add its time to every request measured (the ceiling answers a few bytes).
fn expect_holding(
    step: &str,
    status: StatusCode,
    body: &[u8],
    want: StatusCode,
    needle: &str,
) -> Result<(), String> {
    let needle = needle.as_bytes();
    if status != want || !body.windows(needle.len()).any(|w| w == needle) {
        return Err(format!(
            "{step}: HTTP {status}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    Ok(())
}

/// What every answer of a create (or retrieve) in these scenarios says: the load tool sends all
/// a session needs to be paid.
const READY: &str = r#""status":"ready_for_payment""#;

impl Plan {
    /// The measured window opens (`true`) or closes.
    pub fn recording(&self, on: bool) {
        if let Some(r) = &self.receiver {
            r.recording(on);
        }
    }

    fn idempotency_key(&self, worker: usize, seq: u64, step: &str) -> String {
        format!("load-{:x}-{worker}-{seq}-{step}", self.run_id)
    }

    fn post(
        &self,
        authority: &str,
        path: &str,
        bearer: &str,
        idempotency_key: String,
        body: &Value,
    ) -> anyhow::Result<Request<Bytes>> {
        Ok(Request::builder()
            .method("POST")
            .uri(path)
            .header("Host", authority)
            .header("Authorization", format!("Bearer {bearer}"))
            .header("API-Version", VERSION)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idempotency_key)
            .body(Bytes::from(body.to_string()))?)
    }

    fn create(&self, worker: usize, seq: u64, authority: &str) -> anyhow::Result<Request<Bytes>> {
        let variant = &self.variants[rand::rng().random_range(0..self.variants.len())];
        let body = create_body(variant);
        let path = match self.kind {
            Kind::Ceiling => "/ceiling",
            Kind::Floor => "/floor",
            _ => "/checkout_sessions",
        };
        self.post(
            authority,
            path,
            &self.key,
            self.idempotency_key(worker, seq, "create"),
            &body,
        )
    }

    fn delegation(&self, session: &str, merchant_id: &str, max_amount: i64) -> Value {
        let expires = chrono::Utc::now() + chrono::Duration::minutes(30);
        json!({
            "payment_method": {
                "type": "card", "card_number_type": "fpan", "number": CARD,
                "exp_month": "12", "exp_year": "2031", "cvc": "123", "name": "Load Test",
                "display_card_funding_type": "credit", "display_last4": "4242", "metadata": {}
            },
            "allowance": {
                "reason": "one_time", "max_amount": max_amount, "currency": "usd",
                "checkout_session_id": session, "merchant_id": merchant_id,
                "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            },
            "risk_signals": [{"type": "card_testing", "score": 3, "action": "authorized"}],
            "metadata": {}
        })
    }

    pub async fn iteration(
        &self,
        worker: usize,
        seq: u64,
        conns: &mut Conns,
        steps: &mut Steps,
    ) -> anyhow::Result<Result<(), String>> {
        match self.kind {
            Kind::Create | Kind::Ceiling | Kind::Floor => {
                let req = self.create(worker, seq, &conns.main.authority)?;
                let (status, body) = steps.time("create", conns.main.send(req)).await?;
                let needle = if self.kind == Kind::Ceiling {
                    r#""id":""#
                } else {
                    READY
                };
                Ok(expect_holding(
                    "create",
                    status,
                    &body,
                    StatusCode::CREATED,
                    needle,
                ))
            }
            Kind::Retrieve => {
                let id = &self.sessions[rand::rng().random_range(0..self.sessions.len())];
                let req = Request::builder()
                    .method("GET")
                    .uri(format!("/checkout_sessions/{id}"))
                    .header("Host", &conns.main.authority)
                    .header("Authorization", format!("Bearer {}", self.key))
                    .header("API-Version", VERSION)
                    .body(Bytes::new())?;
                let (status, body) = steps.time("retrieve", conns.main.send(req)).await?;
                Ok(expect_holding(
                    "retrieve",
                    status,
                    &body,
                    StatusCode::OK,
                    READY,
                ))
            }
            Kind::Delegate => {
                // `--url` is the PSP here.
                let psp = &mut conns.main;
                let session = format!("cs_load_{:x}_{worker}_{seq}", self.run_id);
                let req = self.post(
                    &psp.authority,
                    "/agentic_commerce/delegate_payment",
                    &self.psp_key,
                    self.idempotency_key(worker, seq, "delegate"),
                    &self.delegation(&session, DEMO_MERCHANT_ID, 10_000),
                )?;
                let (status, body) = steps.time("delegate", psp.send(req)).await?;
                Ok(expect("delegate", status, &body, StatusCode::CREATED).map(drop))
            }
            Kind::Purchase => self.purchase(worker, seq, conns, steps).await,
            Kind::Search => {
                let q = QUERIES[rand::rng().random_range(0..QUERIES.len())];
                let encoded: String = q
                    .bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect();
                let req = Request::builder()
                    .method("GET")
                    .uri(format!("/api/search?q={encoded}&limit=5"))
                    .header("Host", &conns.main.authority)
                    .body(Bytes::new())?;
                let (status, body) = steps.time("search", conns.main.send(req)).await?;
                Ok(
                    expect("search", status, &body, StatusCode::OK).and_then(|v| {
                        if v["results"].as_array().is_some_and(|r| !r.is_empty()) {
                            Ok(())
                        } else {
                            Err(format!("no results for {q:?}"))
                        }
                    }),
                )
            }
        }
    }

    /// One timed step of a purchase: the POST, and the answer if its status is the one wanted.
    async fn step(
        &self,
        steps: &mut Steps,
        conn: &mut Conn,
        (worker, seq): (usize, u64),
        call: Call<'_>,
    ) -> Result<Value, Stop> {
        let key = self.idempotency_key(worker, seq, call.step);
        let req = self.post(&conn.authority, call.path, call.bearer, key, call.body)?;
        let (status, answer) = steps.time(call.step, conn.send(req)).await?;
        Ok(expect(call.step, status, &answer, call.want)?)
    }

    async fn purchase(
        &self,
        worker: usize,
        seq: u64,
        conns: &mut Conns,
        steps: &mut Steps,
    ) -> anyhow::Result<Result<(), String>> {
        match self.purchase_steps(worker, seq, conns, steps).await {
            Ok(()) => Ok(Ok(())),
            Err(Stop::Unexpected(why)) => Ok(Err(why)),
            Err(Stop::Broken(e)) => Err(e),
        }
    }

    async fn purchase_steps(
        &self,
        worker: usize,
        seq: u64,
        conns: &mut Conns,
        steps: &mut Steps,
    ) -> Result<(), Stop> {
        let psp = conns.psp.as_mut().context("purchase needs --psp-url")?;
        let merchant = &mut conns.main;

        let req = self.create(worker, seq, &merchant.authority)?;
        let (status, body) = steps.time("create", merchant.send(req)).await?;
        let session = expect("create", status, &body, StatusCode::CREATED)?;
        let id = session["id"].as_str().context("session id")?.to_owned();
        let line = session["line_items"][0]["id"].clone();
        let merchant_id =
            session["capabilities"]["payment"]["handlers"][0]["config"]["merchant_id"]
                .as_str()
                .context("the card handler's merchant_id")?
                .to_owned();

        let update = json!({"selected_fulfillment_options": [
            {"type": "shipping", "option_id": "ship_express", "item_ids": [line]}
        ]});
        let path = format!("/checkout_sessions/{id}");
        let call = Call {
            step: "update",
            path: &path,
            bearer: &self.key,
            body: &update,
            want: StatusCode::OK,
        };
        let session = self.step(steps, merchant, (worker, seq), call).await?;
        let total = session["totals"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["type"] == "total"))
            .and_then(|t| t["amount"].as_i64())
            .context("total")?;

        let delegation = self.delegation(&id, &merchant_id, total);
        let call = Call {
            step: "delegate",
            path: "/agentic_commerce/delegate_payment",
            bearer: &self.psp_key,
            body: &delegation,
            want: StatusCode::CREATED,
        };
        let token = self.step(steps, psp, (worker, seq), call).await?;
        let token = token["id"].as_str().context("token")?;

        let complete = json!({"payment_data": {
            "handler_id": "card",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}}
        }});
        let path = format!("/checkout_sessions/{id}/complete");
        let call = Call {
            step: "complete",
            path: &path,
            bearer: &self.key,
            body: &complete,
            want: StatusCode::OK,
        };
        let session = self.step(steps, merchant, (worker, seq), call).await?;
        if session["status"] != "completed" {
            return Err(Stop::Unexpected(format!(
                "complete: status {}",
                session["status"]
            )));
        }
        // The order was committed just before this answer was sent: from here to the
        // receiver's acknowledgement is the webhook's delivery latency.
        if let Some(r) = &self.receiver {
            r.completed(&id);
        }
        Ok(())
    }
}

/// A POST of a purchase step.
struct Call<'a> {
    step: &'static str,
    path: &'a str,
    bearer: &'a str,
    body: &'a Value,
    want: StatusCode,
}

/// Why a purchase stopped before its end.
enum Stop {
    /// An answer other than the expected one: counted as an error.
    Unexpected(String),
    /// The connection failed: the run ends.
    Broken(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Self {
        Stop::Broken(e)
    }
}

impl From<String> for Stop {
    fn from(why: String) -> Self {
        Stop::Unexpected(why)
    }
}
