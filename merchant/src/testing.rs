//! A real merchant for integration tests (this crate's and the agent's): the server on a free
//! port over a fresh database, with the test keys below.

use std::sync::Arc;

use kit::clock::Clock;
use kit::testing::Backend;
use secrecy::SecretString;

use crate::configuration::{ApiKeySetting, Settings};
use crate::state::AppState;

/// The agent's key at the checkout API.
pub const API_KEY: &str = "test_agent_key_0123456789";
/// A second agent's key, for tests of what one agent may not see of another's.
pub const OTHER_API_KEY: &str = "other_agent_key_9876543210";
pub const ADMIN_KEY: &str = "test_operator_key_0123456789";
/// This merchant's secret key at the test PSP (`psp::testing::MERCHANT_SECRET`).
pub const PSP_SECRET: &str = "sk_test_merchant_for_tests_0001";

/// Settings for a test merchant on `database_url`: two agents, one operator, no background
/// sweep (a test that needs one runs it at the clock time it chooses).
pub fn settings(database_url: &str) -> Settings {
    let mut settings = Settings::load(None).expect("default settings");
    settings.server.port = 0;
    settings.server.public_base_url = String::new();
    settings.database.url = SecretString::from(database_url.to_owned());
    settings.database.max_connections = 4;
    settings.api_keys = vec![
        ApiKeySetting {
            agent: "test-agent".into(),
            key: SecretString::from(API_KEY),
        },
        ApiKeySetting {
            agent: "other-agent".into(),
            key: SecretString::from(OTHER_API_KEY),
        },
    ];
    settings.admin_keys = vec![ApiKeySetting {
        agent: "test-operator".into(),
        key: SecretString::from(ADMIN_KEY),
    }];
    settings.payment.secret_key = SecretString::from(PSP_SECRET);
    settings.merchant.expiry_sweep_interval_secs = 0;
    settings
}

pub struct TestMerchant {
    pub base_url: String,
    pub state: AppState,
    pub database_url: String,
    /// Holds the SQLite file (and its WAL) until the test ends.
    pub dir: tempfile::TempDir,
    serving: kit::testing::Serving,
}

impl TestMerchant {
    /// Stops serving and waits until it has.
    pub async fn stop(mut self) -> tempfile::TempDir {
        let _ = self.serving.stop().await;
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("dir"))
    }

    /// The ids of every order, oldest first.
    pub async fn order_ids(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT id FROM orders ORDER BY created_at, id")
            .fetch_all(&self.state.db.read)
            .await
            .expect("query")
    }
}

/// A merchant on a fresh database, configured by `configure` on top of [`settings`].
pub async fn spawn(
    backend: Backend,
    clock: Arc<dyn Clock>,
    configure: impl FnOnce(&mut Settings),
) -> TestMerchant {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = kit::testing::fresh_database(backend, dir.path(), "merchant").await;
    let mut settings = settings(&url);
    configure(&mut settings);
    let app = crate::startup::Application::build_with_clock(settings, clock)
        .await
        .expect("the merchant starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let serving = kit::testing::Serving::start(|stopped| app.run_until_stopped(stopped));
    TestMerchant {
        base_url,
        state,
        database_url: url,
        dir,
        serving,
    }
}
