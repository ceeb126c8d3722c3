//! The merchant and the PSP together, both real servers over real HTTP, with the agent's side
//! played by the test. Every body the spec describes is validated against the official schema,
//! requests included.

use std::sync::Arc;

use base64::Engine;
use kit::clock::ManualClock;
use kit::testing::Backend;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::ApiVersion;
use shared::schema::{Bundle, schemas, validate_delegate_authentication_session};

use crate::helpers::{Resp, TestApp, VERSION, new_key, spawn_app_with_clock};

pub const PSP_AGENT_KEY: &str = "test_agent_psp_key_0123456789";
pub const MERCHANT_ID: &str = "acct_demo_outfitters";
pub const MERCHANT_SECRET: &str = "sk_test_merchant_for_tests_0001";
pub const OTHER_MERCHANT_ID: &str = "acct_other_shop";
pub const OTHER_MERCHANT_SECRET: &str = "sk_test_other_shop_for_tests_02";

pub struct TestPsp {
    pub base_url: String,
    pub state: psp::state::AppState,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestPsp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn b64_key(byte: u8) -> SecretString {
    SecretString::from(base64::engine::general_purpose::STANDARD.encode([byte; 32]))
}

pub async fn spawn_psp(backend: Backend, clock: Arc<ManualClock>) -> TestPsp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = kit::testing::fresh_database(backend, dir.path(), "psp").await;
    let mut settings = psp::configuration::Settings::load(None).expect("defaults");
    settings.server.port = 0;
    settings.server.public_base_url = String::new();
    settings.database.url = SecretString::from(url);
    settings.database.max_connections = 4;
    settings.vault.active_key = "test-key".into();
    settings.vault.keys = vec![psp::configuration::VaultKey {
        id: "test-key".into(),
        key: b64_key(7),
    }];
    settings.vault.fingerprint_key = b64_key(9);
    settings.api_keys = vec![kit::config::ApiKeySetting {
        agent: "test-agent".into(),
        key: SecretString::from(PSP_AGENT_KEY),
    }];
    settings.merchants = vec![
        psp::configuration::MerchantAccount {
            id: MERCHANT_ID.into(),
            name: "ACP Demo Outfitters".into(),
            secret_key: SecretString::from(MERCHANT_SECRET),
        },
        psp::configuration::MerchantAccount {
            id: OTHER_MERCHANT_ID.into(),
            name: "Another Shop".into(),
            secret_key: SecretString::from(OTHER_MERCHANT_SECRET),
        },
    ];
    let app = psp::startup::Application::build_with_clock(settings, clock)
        .await
        .expect("the PSP starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestPsp {
        base_url,
        state,
        http: reqwest::Client::new(),
        _dir: dir,
        shutdown: Some(tx),
    }
}

/// A merchant wired to a PSP, sharing one manual clock.
pub async fn spawn_shop(backend: Backend) -> (TestApp, TestPsp) {
    let clock = Arc::new(ManualClock::new(crate::helpers::start_time()));
    let psp = spawn_psp(backend, clock.clone()).await;
    let psp_url = psp.base_url.clone();
    let app = spawn_app_with_clock(backend, clock, move |s| {
        s.payment.psp_url = psp_url;
        s.payment.secret_key = SecretString::from(MERCHANT_SECRET);
    })
    .await;
    (app, psp)
}

/// Validates a body the spec describes (`ApiVersion::V2026_04_17`).
pub fn assert_schema(bundle: Bundle, def: &str, body: &Value) {
    if let Err(e) = schemas(ApiVersion::V2026_04_17).validate(bundle, def, body) {
        panic!("{def} does not validate: {e}\nbody: {body:#}");
    }
}

/// Delegate payment errors: valid against the schema, or outside it only in `code`, and only
/// with one of the codes the PSP documents as outside the closed enum.
pub fn assert_delegate_error(body: &Value) {
    if schemas(ApiVersion::V2026_04_17)
        .validate(Bundle::DelegatePayment, "Error", body)
        .is_ok()
    {
        return;
    }
    let code = body["code"].as_str().unwrap_or_default();
    assert!(
        psp::error::ACP_CODES_OUTSIDE_SCHEMA.contains(&code),
        "error outside the schema with an undocumented code: {body:#}"
    );
    let mut with_valid_code = body.clone();
    with_valid_code["code"] = json!("invalid_card");
    assert_schema(Bundle::DelegatePayment, "Error", &with_valid_code);
}

/// A test card, as an agent would send it.
pub struct Card<'a> {
    pub number: &'a str,
    pub cvc: Option<&'a str>,
}

pub fn card(number: &str) -> Card<'_> {
    let cvc = if number.starts_with("37") {
        "1234"
    } else {
        "123"
    };
    Card {
        number,
        cvc: Some(cvc),
    }
}

/// The allowance a token is bound to.
#[derive(Debug, Clone)]
pub struct Allowance {
    pub session: String,
    pub merchant: String,
    pub max_amount: i64,
    pub currency: String,
    pub expires_in: chrono::Duration,
}

impl Allowance {
    /// Everything a payment of `max_amount` on `session` needs, for 30 minutes.
    pub fn for_session(session: &str, max_amount: i64) -> Self {
        Self {
            session: session.to_owned(),
            merchant: MERCHANT_ID.to_owned(),
            max_amount,
            currency: "usd".to_owned(),
            expires_in: chrono::Duration::minutes(30),
        }
    }
}

impl TestPsp {
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Resp {
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .header("API-Version", VERSION)
            .header("Idempotency-Key", new_key())
            .json(body)
            .send()
            .await
            .expect("sent");
        into_resp(resp).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        let resp = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .header("API-Version", VERSION)
            .send()
            .await
            .expect("sent");
        into_resp(resp).await
    }

    /// The delegate payment request body, validated against the schema.
    pub fn delegation(&self, card: &Card<'_>, a: &Allowance) -> Value {
        let now = self.state.clock.now();
        let mut pm = json!({
            "type": "card", "card_number_type": "fpan", "number": card.number,
            "exp_month": "12", "exp_year": "2031", "name": "Jane Doe",
            "display_card_funding_type": "credit", "display_last4": &card.number[card.number.len() - 4..],
            "metadata": {}
        });
        if let Some(cvc) = card.cvc {
            pm["cvc"] = json!(cvc);
        }
        let body = json!({
            "payment_method": pm,
            "allowance": {
                "reason": "one_time", "max_amount": a.max_amount, "currency": a.currency,
                "checkout_session_id": a.session, "merchant_id": a.merchant,
                "expires_at": (now + a.expires_in).to_rfc3339()
            },
            "billing_address": {"name": "Jane Doe", "line_one": "1 Market St", "city": "San Francisco", "state": "CA", "country": "US", "postal_code": "94105"},
            "risk_signals": [{"type": "card_testing", "score": 4, "action": "authorized"}],
            "metadata": {"source": "test"}
        });
        assert_schema(Bundle::DelegatePayment, "DelegatePaymentRequest", &body);
        body
    }

    /// `POST /agentic_commerce/delegate_payment`; the token, or the error response.
    pub async fn delegate(&self, card: &Card<'_>, a: &Allowance) -> Result<String, Resp> {
        let r = self
            .post(
                "/agentic_commerce/delegate_payment",
                PSP_AGENT_KEY,
                &self.delegation(card, a),
            )
            .await;
        if r.status == 201 {
            assert_schema(Bundle::DelegatePayment, "DelegatePaymentResponse", &r.body);
            Ok(r.body["id"].as_str().expect("token").to_owned())
        } else {
            assert_delegate_error(&r.body);
            Err(r)
        }
    }

    /// A token for the whole of a session.
    pub async fn token_for(&self, number: &str, session: &Resp) -> String {
        let total = session.total("total").expect("a total");
        self.delegate(&card(number), &Allowance::for_session(&session.id(), total))
            .await
            .unwrap_or_else(|r| panic!("delegation refused: {:?}", r.body))
    }

    /// Runs 3-D Secure as the agent does: create, authenticate, (challenge), retrieve. Returns
    /// the final session (`GET`).
    pub async fn authenticate(
        &self,
        number: &str,
        amount: i64,
        session: &str,
        challenge: Challenge,
    ) -> Value {
        let create = json!({
            "merchant_id": MERCHANT_ID,
            "payment_method": {"type": "card", "number": number, "exp_month": "12", "exp_year": "2031", "name": "Jane Doe"},
            "amount": {"value": amount, "currency": "USD"},
            "checkout_session_id": session,
            "flow_preference": {"type": "frictionless"}
        });
        assert_schema(
            Bundle::DelegateAuthentication,
            "DelegateAuthenticationCreateRequest",
            &create,
        );
        let r = self
            .post("/delegate_authentication", PSP_AGENT_KEY, &create)
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_schema(
            Bundle::DelegateAuthentication,
            "DelegateAuthenticationSession",
            &r.body,
        );
        let id = r.body["authentication_session_id"]
            .as_str()
            .expect("id")
            .to_owned();
        if r.body["status"] == "pending" {
            let auth = json!({"fingerprint_completion": "U", "channel": {"type": "browser", "browser": {
                "accept_header": "text/html", "ip_address": "127.0.0.1", "javascript_enabled": false,
                "language": "en-US", "user_agent": "acp-demo-tests"}}});
            assert_schema(
                Bundle::DelegateAuthentication,
                "DelegateAuthenticationAuthenticateRequest",
                &auth,
            );
            let r = self
                .post(
                    &format!("/delegate_authentication/{id}/authenticate"),
                    PSP_AGENT_KEY,
                    &auth,
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            assert_schema(
                Bundle::DelegateAuthentication,
                "DelegateAuthenticationSession",
                &r.body,
            );
            if r.body["status"] == "action_required" {
                let acs_url = r.body["action"]["challenge"]["acs_url"]
                    .as_str()
                    .expect("acs url")
                    .to_owned();
                self.answer_challenge(&acs_url, challenge).await;
            }
        }
        let got = self
            .get(&format!("/delegate_authentication/{id}"), PSP_AGENT_KEY)
            .await;
        assert_eq!(got.status, 200);
        validate_delegate_authentication_session(ApiVersion::V2026_04_17, &got.body)
            .unwrap_or_else(|e| panic!("{e}: {:#}", got.body));
        got.body
    }

    /// Plays the buyer on the issuer's page: reads the code off the page and types it, or not.
    async fn answer_challenge(&self, acs_url: &str, challenge: Challenge) {
        let page = self
            .http
            .get(acs_url)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let code = page
            .split("<code id=\"code\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("the demo bank shows the code")
            .to_owned();
        let answers: Vec<(&str, String)> = match challenge {
            Challenge::Pass => vec![("code", code)],
            Challenge::Fail => (0..3).map(|_| ("code", "000000x".to_owned())).collect(),
            Challenge::Cancel => vec![("cancel", "1".to_owned())],
        };
        let mut last = String::new();
        for (field, value) in answers {
            last = self
                .http
                .post(acs_url)
                .form(&[(field, value)])
                .send()
                .await
                .expect("posted")
                .text()
                .await
                .expect("html");
        }
        let expected = match challenge {
            Challenge::Pass => "authenticated",
            Challenge::Fail => "not_authenticated",
            Challenge::Cancel => "challenge_abandoned",
        };
        assert!(
            last.contains(&format!("data-status=\"{expected}\"")),
            "{last}"
        );
    }

    /// Redeems a token as the merchant would, with a fresh idempotency key.
    pub async fn redeem(
        &self,
        token: &str,
        session: &str,
        amount: i64,
    ) -> Result<shared::psp::PaymentIntent, shared::client::PspError> {
        let client =
            shared::client::PspClient::new(self.http.clone(), &self.base_url, MERCHANT_SECRET);
        let body = shared::psp::CreatePaymentIntent {
            amount,
            currency: "usd".into(),
            payment_token: token.to_owned(),
            checkout_session_id: session.to_owned(),
            metadata: Default::default(),
        };
        client.create_payment_intent(&body, &new_key()).await
    }

    /// The PSP's payment intents for a checkout session.
    pub async fn intents_for(&self, session: &str) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT status, amount FROM payment_intents WHERE checkout_session_id = $1 ORDER BY created_at")
            .bind(session)
            .fetch_all(&self.state.db.read)
            .await
            .expect("query")
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Challenge {
    Pass,
    Fail,
    Cancel,
}

async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON")
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// The complete request body, validated against the schema.
pub fn complete_body(token: &str, authentication_result: Option<Value>) -> Value {
    let mut body = json!({
        "payment_data": {
            "handler_id": "card",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            "billing_address": {"name": "Jane Doe", "line_one": "1 Market St", "city": "San Francisco", "state": "CA", "country": "US", "postal_code": "94105"}
        },
        "risk_signals": {"ip_address": "127.0.0.1", "user_agent": "acp-demo-tests"}
    });
    if let Some(r) = authentication_result {
        body["authentication_result"] = r;
    }
    assert_schema(Bundle::Checkout, "CheckoutSessionCompleteRequest", &body);
    body
}

impl TestApp {
    pub async fn complete(&self, id: &str, body: Value) -> Resp {
        self.complete_with_key(id, body, &new_key()).await
    }

    pub async fn complete_with_key(&self, id: &str, body: Value, key: &str) -> Resp {
        self.call(
            Method::POST,
            &format!("/checkout_sessions/{id}/complete"),
            Some(key),
            Some(body),
        )
        .await
    }
}

/// `authentication_result` from a delegate authentication `GET`.
pub fn authentication_result(session: &Value) -> Value {
    let r = &session["authentication_result"];
    match session["status"].as_str() {
        Some("authenticated") => json!({
            "outcome": "authenticated",
            "outcome_details": {
                "three_ds_cryptogram": r["three_ds_cryptogram"],
                "electronic_commerce_indicator": r["electronic_commerce_indicator"],
                "transaction_id": r["transaction_id"],
                "version": r["version"],
            }
        }),
        Some("not_authenticated") => json!({"outcome": "denied"}),
        Some("challenge_abandoned") => json!({"outcome": "abandoned"}),
        other => panic!("no result for {other:?}"),
    }
}
