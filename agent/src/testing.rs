//! A real agent for integration tests: the merchant's (as its webhook receiver) and the
//! agent's own.

use std::sync::Arc;

use kit::clock::Clock;
use kit::testing::Backend;
use secrecy::SecretString;

use crate::configuration::{Merchant, Settings};
use crate::state::AppState;

pub const MERCHANT_ID: &str = "acct_demo_outfitters";
pub const WEBHOOK_SECRET: &str = "whsec_test_secret_for_tests_0001";

pub struct TestAgent {
    pub base_url: String,
    pub port: u16,
    pub state: AppState,
    /// The database URL, to start the agent again on the same data.
    pub database_url: String,
    /// Holds the SQLite file until the test ends.
    pub dir: tempfile::TempDir,
    serving: kit::testing::Serving,
}

impl TestAgent {
    /// The webhook URL to give the merchant.
    pub fn webhook_url(&self) -> String {
        format!("{}{}", self.base_url, crate::webhooks::PATH)
    }

    /// Stops serving (the port closes) and waits until it has.
    pub async fn stop(mut self) -> tempfile::TempDir {
        let _ = self.serving.stop().await;
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("dir"))
    }

    /// Every event of an order as received: `(event id, type, order status, body)`.
    pub async fn events_for(&self, order_id: &str) -> Vec<(String, String, String, String)> {
        crate::store::events_for(&self.state.db.read, MERCHANT_ID, order_id)
            .await
            .expect("query")
    }

    /// How many events were recorded in all.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM order_events")
            .fetch_one(&self.state.db.read)
            .await
            .expect("count")
    }
}

/// An agent on a fresh database, on `port` (0 for any), knowing one merchant.
pub async fn spawn(backend: Backend, port: u16, clock: Arc<dyn Clock>) -> TestAgent {
    spawn_with(backend, clock, |s| s.server.port = port).await
}

/// An agent on a fresh database, configured by `configure` on top of the test settings.
pub async fn spawn_with(
    backend: Backend,
    clock: Arc<dyn Clock>,
    configure: impl FnOnce(&mut Settings),
) -> TestAgent {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = kit::testing::fresh_database(backend, dir.path(), "agent").await;
    spawn_on_with(dir, &url, clock, configure).await
}

/// An agent on an existing database (a restart).
pub async fn spawn_on(
    dir: tempfile::TempDir,
    database_url: &str,
    port: u16,
    clock: Arc<dyn Clock>,
) -> TestAgent {
    spawn_on_with(dir, database_url, clock, |s| s.server.port = port).await
}

/// The key a test merchant pushes its feed with.
pub const FEED_KEY: &str = "feed_key_for_tests_0123456789";

/// An agent on an existing database (and index, in `dir`), configured by `configure`.
pub async fn spawn_on_with(
    dir: tempfile::TempDir,
    database_url: &str,
    clock: Arc<dyn Clock>,
    configure: impl FnOnce(&mut Settings),
) -> TestAgent {
    let mut settings = Settings::load(None).expect("defaults");
    settings.server.port = 0;
    settings.database.url = SecretString::from(database_url.to_owned());
    settings.database.max_connections = 4;
    settings.search.index_dir = dir.path().join("index");
    settings.search.reconcile_interval_secs = 0;
    settings.merchants = vec![Merchant {
        id: MERCHANT_ID.into(),
        name: "ACP Demo Outfitters".into(),
        url: String::new(),
        api_key: SecretString::from(String::new()),
        webhook_secret: SecretString::from(WEBHOOK_SECRET),
        feed_key: SecretString::from(FEED_KEY),
    }];
    configure(&mut settings);
    let app = crate::startup::Application::build_with_clock(settings, clock)
        .await
        .expect("the agent starts");
    let port = app.port();
    let state = app.state();
    let serving = kit::testing::Serving::start(|stopped| app.run_until_stopped(stopped));
    TestAgent {
        base_url: format!("http://127.0.0.1:{port}"),
        port,
        state,
        database_url: database_url.to_owned(),
        dir,
        serving,
    }
}
