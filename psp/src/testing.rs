//! A real PSP for integration tests (its own and the merchant's), and the agent's side of it
//! played over real HTTP. Every request and response body the spec describes is checked against
//! the official 2026-04-17 schema on the way.

use std::sync::Arc;

use base64::Engine;
use kit::clock::ManualClock;
use kit::testing::Backend;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::ApiVersion;
use shared::schema::{Bundle, schemas, validate_delegate_authentication_session};

use crate::configuration::{MerchantAccount, Settings, VaultKey};
use crate::state::AppState;

pub const VERSION: &str = "2026-04-17";
pub const AGENT_KEY: &str = "test_agent_psp_key_0123456789";
pub const MERCHANT_ID: &str = "acct_demo_outfitters";
pub const MERCHANT_SECRET: &str = "sk_test_merchant_for_tests_0001";
pub const OTHER_MERCHANT_ID: &str = "acct_other_shop";
pub const OTHER_MERCHANT_SECRET: &str = "sk_test_other_shop_for_tests_02";

pub struct TestPsp {
    pub base_url: String,
    pub state: AppState,
    pub http: reqwest::Client,
    /// The database URL, for tests that look at what is stored.
    pub database_url: String,
    /// Holds the SQLite file (and its WAL) until the test ends.
    pub dir: tempfile::TempDir,
    serving: kit::testing::Serving,
}

pub fn b64_key(byte: u8) -> SecretString {
    SecretString::from(base64::engine::general_purpose::STANDARD.encode([byte; 32]))
}

/// Settings for a test PSP on `database_url`: one agent, two merchants, one vault key.
pub fn settings(database_url: &str) -> Settings {
    let mut settings = Settings::load(None).expect("defaults");
    settings.server.port = 0;
    settings.server.public_base_url = String::new();
    settings.database.url = SecretString::from(database_url.to_owned());
    settings.database.max_connections = 4;
    settings.vault.active_key = "test-key".into();
    settings.vault.keys = vec![VaultKey {
        id: "test-key".into(),
        key: b64_key(7),
    }];
    settings.vault.fingerprint_key = b64_key(9);
    settings.api_keys = vec![kit::config::ApiKeySetting {
        agent: "test-agent".into(),
        key: SecretString::from(AGENT_KEY),
    }];
    settings.merchants = vec![
        MerchantAccount {
            id: MERCHANT_ID.into(),
            name: "ACP Demo Outfitters".into(),
            secret_key: SecretString::from(MERCHANT_SECRET),
        },
        MerchantAccount {
            id: OTHER_MERCHANT_ID.into(),
            name: "Another Shop".into(),
            secret_key: SecretString::from(OTHER_MERCHANT_SECRET),
        },
    ];
    settings
}

/// A manual clock at the moment the tests' world starts.
pub fn clock() -> Arc<ManualClock> {
    use chrono::TimeZone;
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 23, 15, 0, 0)
        .single()
        .expect("valid time");
    Arc::new(ManualClock::new(start))
}

pub async fn spawn(backend: Backend, clock: Arc<ManualClock>) -> TestPsp {
    spawn_with(backend, clock, |_| {}).await
}

pub async fn spawn_with(
    backend: Backend,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestPsp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = kit::testing::fresh_database(backend, dir.path(), "psp").await;
    spawn_on(dir, database_url, clock, configure).await
}

/// A PSP on an existing database (a second instance, or a restart with other settings).
pub async fn spawn_on(
    dir: tempfile::TempDir,
    database_url: String,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestPsp {
    let mut settings = settings(&database_url);
    configure(&mut settings);
    let app = crate::startup::Application::build_with_clock(settings, clock)
        .await
        .expect("the PSP starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let serving = kit::testing::Serving::start(|stopped| app.run_until_stopped(stopped));
    TestPsp {
        base_url,
        state,
        http: reqwest::Client::new(),
        database_url,
        dir,
        serving,
    }
}

/// A response: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn code(&self) -> &str {
        self.body["code"]
            .as_str()
            .or_else(|| self.body["error"]["code"].as_str())
            .unwrap_or_default()
    }

    pub fn param(&self) -> Option<&str> {
        self.body["param"]
            .as_str()
            .or_else(|| self.body["error"]["param"].as_str())
    }

    pub fn replayed(&self) -> bool {
        self.headers
            .get("Idempotent-Replayed")
            .is_some_and(|v| v == "true")
    }
}

/// Validates a body the spec describes.
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
        crate::error::ACP_CODES_OUTSIDE_SCHEMA.contains(&code),
        "error outside the schema with an undocumented code: {body:#}"
    );
    let mut with_valid_code = body.clone();
    with_valid_code["code"] = json!("invalid_card");
    assert_schema(Bundle::DelegatePayment, "Error", &with_valid_code);
}

/// A test card, as an agent would send it.
#[derive(Debug, Clone, Copy)]
pub struct Card<'a> {
    pub number: &'a str,
    pub cvc: Option<&'a str>,
}

/// A card with the CVC length its brand expects.
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

#[derive(Debug, Clone, Copy)]
pub enum Challenge {
    Pass,
    Fail,
    Cancel,
}

impl TestPsp {
    /// Stops serving (the port closes) and hands back its database, to start it again with
    /// [`spawn_on`].
    pub async fn stop(mut self) -> (tempfile::TempDir, String) {
        let _ = self.serving.stop().await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("dir"));
        (dir, self.database_url.clone())
    }

    /// A POST as the agent (or a merchant, by key) with a fresh idempotency key.
    pub async fn post(&self, path: &str, bearer: &str, body: &Value) -> Reply {
        self.post_with_key(path, bearer, &new_key(), body).await
    }

    pub async fn post_with_key(
        &self,
        path: &str,
        bearer: &str,
        idempotency_key: &str,
        body: &Value,
    ) -> Reply {
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(bearer)
            .header("API-Version", VERSION)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await
            .expect("sent");
        Reply::read(resp).await
    }

    pub async fn get(&self, path: &str, bearer: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(bearer)
            .header("API-Version", VERSION)
            .send()
            .await
            .expect("sent");
        Reply::read(resp).await
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

    /// `POST /agentic_commerce/delegate_payment` with a body; the reply, schema-checked.
    pub async fn delegate_body(&self, body: &Value, idempotency_key: &str) -> Reply {
        let r = self
            .post_with_key(
                "/agentic_commerce/delegate_payment",
                AGENT_KEY,
                idempotency_key,
                body,
            )
            .await;
        if r.status == 201 {
            assert_schema(Bundle::DelegatePayment, "DelegatePaymentResponse", &r.body);
        } else {
            assert_delegate_error(&r.body);
        }
        r
    }

    /// Delegates a card; the token, or the error reply.
    pub async fn delegate(&self, card: &Card<'_>, a: &Allowance) -> Result<String, Reply> {
        let r = self
            .delegate_body(&self.delegation(card, a), &new_key())
            .await;
        if r.status == 201 {
            Ok(r.body["id"].as_str().expect("token").to_owned())
        } else {
            Err(r)
        }
    }

    /// A token for the whole of a session's total.
    pub async fn token(&self, number: &str, session: &str, total: i64) -> String {
        self.delegate(&card(number), &Allowance::for_session(session, total))
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
            .post("/delegate_authentication", AGENT_KEY, &create)
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
                    AGENT_KEY,
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
            .get(&format!("/delegate_authentication/{id}"), AGENT_KEY)
            .await;
        assert_eq!(got.status, 200);
        validate_delegate_authentication_session(ApiVersion::V2026_04_17, &got.body)
            .unwrap_or_else(|e| panic!("{e}: {:#}", got.body));
        got.body
    }

    /// Plays the buyer on the issuer's page, as in a browser: reads the code off the page and
    /// types it (or types wrong codes, or cancels), and checks the page says the outcome.
    pub async fn answer_challenge(&self, acs_url: &str, challenge: Challenge) {
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

    /// The typed client a merchant uses, with that merchant's secret key.
    pub fn merchant_client(&self, secret: &str) -> shared::client::PspClient {
        shared::client::PspClient::new(self.http.clone(), &self.base_url, secret)
    }

    /// Redeems a token as the merchant would, with a fresh idempotency key.
    pub async fn redeem(
        &self,
        token: &str,
        session: &str,
        amount: i64,
    ) -> Result<shared::psp::PaymentIntent, shared::client::PspError> {
        self.merchant_client(MERCHANT_SECRET)
            .create_payment_intent(&intent_request(token, session, amount), &new_key())
            .await
    }

    /// The PSP's payment intents for a checkout session: `(status, amount)`, oldest first.
    pub async fn intents_for(&self, session: &str) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT status, amount FROM payment_intents WHERE checkout_session_id = $1 ORDER BY created_at")
            .bind(session)
            .fetch_all(&self.state.db.read)
            .await
            .expect("query")
    }

    /// What the PSP has refunded of a checkout session's charges, in minor units.
    pub async fn refunded_for(&self, session: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(amount_refunded), 0) AS BIGINT) FROM payment_intents WHERE checkout_session_id = $1",
        )
        .bind(session)
        .fetch_one(&self.state.db.read)
        .await
        .expect("query")
    }
}

/// A payment intent request in US dollars.
pub fn intent_request(token: &str, session: &str, amount: i64) -> shared::psp::CreatePaymentIntent {
    shared::psp::CreatePaymentIntent {
        amount,
        currency: "usd".into(),
        payment_token: token.to_owned(),
        checkout_session_id: session.to_owned(),
        metadata: Default::default(),
    }
}

/// `authentication_result` for a checkout complete, from a delegate authentication `GET`.
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

pub fn new_key() -> String {
    kit::ids::random("idem_", 16)
}
