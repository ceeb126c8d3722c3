//! The test harness: a real merchant on a free port over a fresh database (a temporary SQLite
//! file, or a new PostgreSQL database), driven over real HTTP.
//!
//! Every response that goes through [`TestApp::request`] is checked against the official JSON
//! Schema of the version asked for: sessions against `CheckoutSession`, errors against `Error`,
//! discovery against `DiscoveryResponse`. A test cannot see a body the schema would reject.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kit::clock::ManualClock;
use merchant::configuration::Settings;
use merchant::startup::Application;
use merchant::state::AppState;
use reqwest::Method;
use serde_json::{Value, json};
use shared::ApiVersion;
use shared::client::CheckoutClient;
use shared::schema::{Bundle, schemas};
use shared::v2026_04_17::V2026_04_17;

#[allow(unused_imports)]
pub use merchant::testing::{ADMIN_KEY, API_KEY, OTHER_API_KEY};
pub const VERSION: &str = "2026-04-17";

pub use kit::testing::Backend;

pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    pub client: CheckoutClient<V2026_04_17>,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    /// The database URL, for tests that look at what is stored (`tests/pci.rs`).
    #[allow(dead_code)]
    pub database_url: String,
    /// Holds the SQLite file (and its WAL) until the test ends.
    #[allow(dead_code)]
    pub dir: tempfile::TempDir,
    serving: kit::testing::Serving,
}

/// A response, already validated against the schema.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn replayed(&self) -> bool {
        self.header("Idempotent-Replayed") == Some("true")
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("a session id").to_owned()
    }

    pub fn status_text(&self) -> &str {
        self.body["status"].as_str().unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn param(&self) -> Option<&str> {
        self.body["param"].as_str()
    }

    /// The `amount` of a session-level total.
    pub fn total(&self, kind: &str) -> Option<i64> {
        self.body["totals"]
            .as_array()?
            .iter()
            .find(|t| t["type"] == kind)
            .and_then(|t| t["amount"].as_i64())
    }

    /// `(type, code)` of every message.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.body["messages"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| {
                        (
                            m["type"].as_str().unwrap_or_default().to_owned(),
                            m["code"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_message(&self, kind: &str, code: &str) -> bool {
        self.messages().iter().any(|(k, c)| k == kind && c == code)
    }

    pub fn message_param(&self, code: &str) -> Option<String> {
        self.body["messages"]
            .as_array()?
            .iter()
            .find(|m| m["code"] == code)
            .and_then(|m| m["param"].as_str().map(str::to_owned))
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// The moment every test's clock starts at.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0)
        .single()
        .expect("valid time")
}

pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_clock(backend, Arc::new(ManualClock::new(start_time())), configure).await
}

pub async fn spawn_app_with_clock(
    backend: Backend,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        kit::telemetry::init("debug,sqlx=warn");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = kit::testing::fresh_database(backend, dir.path(), "merchant").await;
    let mut settings = merchant::testing::settings(&url);
    configure(&mut settings);

    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("the merchant starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let serving = kit::testing::Serving::start(|stopped| app.run_until_stopped(stopped));
    let http = reqwest::Client::new();
    TestApp {
        client: CheckoutClient::new(http.clone(), base_url.clone(), API_KEY),
        base_url,
        http,
        clock,
        state,
        database_url: url,
        dir,
        serving,
    }
}

pub fn new_key() -> String {
    kit::ids::random("idem_", 16)
}

impl TestApp {
    /// Sends a request and checks the response body against the official schema.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body read");
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{method} {path} answered {status} with a non-JSON body ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        assert_conforms(&method, path, status, &body);
        Resp {
            status,
            headers,
            body,
        }
    }

    /// An authenticated ACP call with the given key; `key = None` omits the header.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut headers = vec![
            ("Authorization", format!("Bearer {API_KEY}")),
            ("API-Version", VERSION.to_owned()),
        ];
        if let Some(k) = key {
            headers.push(("Idempotency-Key", k.to_owned()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.request(
            method,
            path,
            &headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }

    /// An operator's call to `/admin`, with a fresh idempotency key on POSTs.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let key = new_key();
        let mut headers = vec![("Authorization", format!("Bearer {ADMIN_KEY}"))];
        if method == Method::POST {
            headers.push(("Idempotency-Key", key));
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body =
            (method == Method::POST).then(|| body.unwrap_or(json!({})).to_string().into_bytes());
        self.request(method, path, &headers, body).await
    }

    /// `POST /admin/orders/{id}/{action}`.
    pub async fn order_action(&self, id: &str, action: &str, body: Value) -> Resp {
        self.admin(
            Method::POST,
            &format!("/admin/orders/{id}/{action}"),
            Some(body),
        )
        .await
    }

    pub async fn create(&self, body: Value) -> Resp {
        self.create_with_key(body, &new_key()).await
    }

    pub async fn create_with_key(&self, body: Value, key: &str) -> Resp {
        self.call(Method::POST, "/checkout_sessions", Some(key), Some(body))
            .await
    }

    pub async fn get(&self, id: &str) -> Resp {
        self.call(Method::GET, &format!("/checkout_sessions/{id}"), None, None)
            .await
    }

    pub async fn update(&self, id: &str, body: Value) -> Resp {
        self.update_with_key(id, body, &new_key()).await
    }

    pub async fn update_with_key(&self, id: &str, body: Value, key: &str) -> Resp {
        self.call(
            Method::POST,
            &format!("/checkout_sessions/{id}"),
            Some(key),
            Some(body),
        )
        .await
    }

    pub async fn cancel(&self, id: &str, body: Option<Value>) -> Resp {
        self.call(
            Method::POST,
            &format!("/checkout_sessions/{id}/cancel"),
            Some(&new_key()),
            body,
        )
        .await
    }

    /// `(on_hand, reserved)` of a variant.
    pub async fn stock(&self, variant: &str) -> (i64, i64) {
        merchant::store::inventory::levels(&self.state.db.read, variant)
            .await
            .expect("query")
            .expect("variant has a stock row")
    }

    pub async fn set_stock(&self, variant: &str, on_hand: i64) {
        assert!(
            merchant::store::inventory::set_on_hand(&self.state.db.write, variant, on_hand)
                .await
                .expect("query")
        );
    }

    /// A physical variant (not on sale unless `on_sale`) with at least `min` units in stock.
    pub fn physical_variant(&self, on_sale: bool, min: u32) -> String {
        self.find_variant(|p, v| !p.digital && v.sale_price.is_some() == on_sale && v.stock >= min)
    }

    pub fn digital_variant(&self) -> String {
        self.find_variant(|p, v| p.digital && v.stock >= 5 && p.max_quantity_per_order >= 1)
    }

    pub fn find_variant(
        &self,
        f: impl Fn(&merchant::catalog::Product, &merchant::catalog::Variant) -> bool,
    ) -> String {
        self.state
            .catalog
            .products()
            .iter()
            .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
            .find(|(p, v)| f(p, v))
            .map(|(_, v)| v.id.clone())
            .expect("the demo catalog has such a variant")
    }

    /// Unit price of a variant in the catalog.
    pub fn unit_price(&self, variant: &str) -> i64 {
        self.state
            .catalog
            .variant(variant)
            .expect("known")
            .variant
            .unit_price()
    }

    pub async fn shutdown(mut self) {
        self.serving
            .stop()
            .await
            .expect("the server stopped cleanly");
    }
}

/// Checks a body received through the typed client against `#/$defs/{def}`.
pub fn assert_valid(def: &str, body: &Value) {
    if let Err(e) = schemas(ApiVersion::V2026_04_17).validate(Bundle::Checkout, def, body) {
        panic!("{def} does not validate: {e}\nbody: {body:#}");
    }
}

/// The schema a response of this endpoint and status must match.
fn assert_conforms(method: &Method, path: &str, status: u16, body: &Value) {
    let def = if !(200..300).contains(&status) {
        if body.is_null() {
            panic!(
                "{method} {path} answered {status} with no body: errors must carry an Error object"
            );
        }
        "Error"
    } else if path == "/.well-known/acp.json" {
        "DiscoveryResponse"
    } else if path.starts_with("/checkout_sessions") && body["status"] == "completed" {
        "CheckoutSessionWithOrder"
    } else if path.starts_with("/checkout_sessions") {
        "CheckoutSession"
    } else if path.starts_with("/admin/orders/") {
        "Order"
    } else if path.starts_with("/admin/orders") {
        for o in body["orders"].as_array().expect("orders") {
            if let Err(e) = schemas(ApiVersion::V2026_04_17).validate(Bundle::Checkout, "Order", o)
            {
                panic!("{method} {path} ({status}): an order does not validate: {e}\norder: {o:#}");
            }
        }
        return;
    } else {
        return;
    };
    if let Err(e) = schemas(ApiVersion::V2026_04_17).validate(Bundle::Checkout, def, body) {
        panic!("{method} {path} ({status}) does not validate: {e}\nbody: {body:#}");
    }
}

/// A US address in `state`.
pub fn address(state: &str) -> Value {
    let (city, zip) = match state {
        "CA" => ("San Francisco", "94131"),
        "TX" => ("Austin", "78701"),
        "NY" => ("New York", "10001"),
        "OR" => ("Portland", "97201"),
        "HI" => ("Honolulu", "96813"),
        _ => ("Springfield", "12345"),
    };
    json!({"name": "Jane Doe", "line_one": "1 Market St", "city": city, "state": state, "country": "US", "postal_code": zip})
}

/// A create body for these item ids, with an e-mail and, if given, a shipping address.
pub fn create_body(items: &[&str], state: Option<&str>) -> Value {
    let mut body = json!({
        "currency": "usd",
        "line_items": items.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "capabilities": {"interventions": {"supported": ["3ds"]}},
        "buyer": {"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe"},
    });
    if let Some(s) = state {
        body["fulfillment_details"] = json!({"name": "Jane Doe", "address": address(s)});
    }
    body
}
