//! Settings: built-in defaults, then an optional TOML file, then `MERCHANT__…` environment
//! variables (`__` nests: `MERCHANT__DATABASE__URL`). Agent API keys can also come from
//! `MERCHANT_API_KEYS="agent=key,other=key2"`, which is easier to inject as a single secret, and
//! operators' keys from `MERCHANT_ADMIN_KEYS` the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
pub use kit::config::{ApiKeySetting, DatabaseSettings, ServerSettings};
use kit::config::{parse_api_keys, validate_api_keys};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub merchant: MerchantSettings,
    pub payment: PaymentSettings,
    #[serde(default)]
    pub catalog: CatalogSettings,
    #[serde(default)]
    pub api_keys: Vec<ApiKeySetting>,
    /// Operators' keys for the `/admin` API (order actions, webhook outbox).
    #[serde(default)]
    pub admin_keys: Vec<ApiKeySetting>,
    pub webhooks: WebhookSettings,
    pub demo_clock: DemoClockSettings,
    pub feed: FeedSettings,
}

/// The product feed pushed to an agent's Feed API (ACP 2026-04-17, agent-hosted).
#[derive(Debug, Clone, Deserialize)]
pub struct FeedSettings {
    /// The agent's Feed API base URL; empty turns pushing off.
    pub agent_url: String,
    /// This merchant's bearer key at that Feed API.
    pub api_key: SecretString,
    /// ISO 3166-1 alpha-2 market of the feed.
    pub target_country: String,
    /// How often stock is looked at for availability changes to push.
    pub sync_interval_secs: u64,
    /// Products per `PATCH`.
    pub batch_size: usize,
    /// How long one call to the Feed API may take.
    pub timeout_secs: u64,
}

impl FeedSettings {
    pub fn enabled(&self) -> bool {
        !self.agent_url.trim().is_empty()
    }
}

/// Order webhooks: where each agent receives them, and how delivery retries.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// Attempts before an event is parked for an operator.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, up to `backoff_max_ms`, with jitter.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// How long one delivery may take.
    pub timeout_secs: u64,
    /// Deliveries in flight at once (to different orders).
    pub concurrency: usize,
    /// How often the outbox is looked at when nothing new was written here.
    pub poll_interval_ms: u64,
    #[serde(default)]
    pub endpoints: Vec<WebhookEndpoint>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEndpoint {
    /// The agent (as in `[[api_keys]]`) whose orders are reported here.
    pub agent: String,
    /// Its `POST /agentic_checkout/webhooks/order_events` URL.
    pub url: String,
    /// The shared secret of `Merchant-Signature`.
    pub secret: SecretString,
}

/// Moves new orders along by itself, for demos: confirmed, shipped and delivered after these
/// delays (each counted from the order's previous change).
#[derive(Debug, Clone, Deserialize)]
pub struct DemoClockSettings {
    pub enabled: bool,
    pub confirm_after_secs: u64,
    pub ship_after_secs: u64,
    pub deliver_after_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MerchantSettings {
    pub name: String,
    /// The merchant id a Shared Payment Token must be bound to (`allowance.merchant_id`).
    pub merchant_id: String,
    /// The PSP that vaults cards and issues tokens for this merchant.
    pub psp: String,
    pub support_email: String,
    pub session_ttl_secs: u64,
    /// How often the background sweep expires sessions, finishes interrupted payments and
    /// forgets old idempotency records; 0 turns it off.
    pub expiry_sweep_interval_secs: u64,
    /// How long stored idempotent responses are kept; the spec requires at least 24 hours.
    pub idempotency_retention_secs: u64,
    /// Most session creates written together (group commit).
    pub create_batch_max: usize,
    /// Batches written side by side on PostgreSQL (SQLite has one writer).
    pub create_writers: usize,
}

/// How this merchant reaches its PSP to redeem tokens.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentSettings {
    /// The PSP's base URL (its `/v1` payment intents API).
    pub psp_url: String,
    /// This merchant's secret key at the PSP. No default: payments need it configured.
    pub secret_key: SecretString,
    /// How long one call to the PSP may take.
    pub psp_timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CatalogSettings {
    /// A seed file to load instead of the built-in demo catalog.
    pub seed_file: Option<PathBuf>,
}

const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 4001
public_base_url = "http://localhost:4001"
request_body_limit_bytes = 65536
request_timeout_secs = 30
shutdown_timeout_secs = 10

[database]
url = "sqlite://data/merchant.db"
max_connections = 16
acquire_timeout_secs = 5

[merchant]
name = "ACP Demo Outfitters"
merchant_id = "acct_demo_outfitters"
psp = "acp-demo-psp"
support_email = "support@outfitters.example"
session_ttl_secs = 3600
expiry_sweep_interval_secs = 5
idempotency_retention_secs = 172800
create_batch_max = 32
create_writers = 4

[webhooks]
max_attempts = 12
backoff_base_ms = 500
backoff_max_ms = 300000
timeout_secs = 10
concurrency = 8
poll_interval_ms = 1000

[demo_clock]
enabled = false
confirm_after_secs = 10
ship_after_secs = 20
deliver_after_secs = 40

[feed]
agent_url = ""
api_key = ""
target_country = "US"
sync_interval_secs = 10
batch_size = 100
timeout_secs = 30

[payment]
psp_url = "http://localhost:4000"
secret_key = ""
psp_timeout_secs = 10
"#;

/// The minimum the spec allows for keeping idempotent responses.
pub const MIN_IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 3600);

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut settings: Settings = kit::config::load(DEFAULTS, file, "MERCHANT")?;
        if let Ok(keys) = std::env::var("MERCHANT_API_KEYS") {
            settings.api_keys.extend(parse_api_keys(&keys)?);
        }
        if let Ok(keys) = std::env::var("MERCHANT_ADMIN_KEYS") {
            settings.admin_keys.extend(parse_api_keys(&keys)?);
        }
        Ok(settings)
    }

    /// Rejects settings that would make the server unsafe or non-conforming; run before serving.
    pub fn validate(&self) -> anyhow::Result<()> {
        if Duration::from_secs(self.merchant.idempotency_retention_secs) < MIN_IDEMPOTENCY_RETENTION
        {
            bail!(
                "merchant.idempotency_retention_secs must be at least 86400 (the spec keeps keys 24 h)"
            );
        }
        if self.payment.secret_key.expose_secret().len() < 16 {
            bail!(
                "payment.secret_key (this merchant's secret key at its PSP) must be set, at least 16 characters"
            );
        }
        if self.merchant.session_ttl_secs == 0 {
            bail!("merchant.session_ttl_secs must be positive");
        }
        for e in &self.webhooks.endpoints {
            if e.secret.expose_secret().len() < 16 {
                bail!(
                    "the webhook secret for agent {:?} must be at least 16 characters",
                    e.agent
                );
            }
            if !self.api_keys.iter().any(|k| k.agent == e.agent) {
                bail!(
                    "webhooks.endpoints names agent {:?}, which has no API key",
                    e.agent
                );
            }
        }
        if self.webhooks.max_attempts == 0 || self.webhooks.concurrency == 0 {
            bail!("webhooks.max_attempts and webhooks.concurrency must be positive");
        }
        if self.feed.enabled() {
            if self.feed.api_key.expose_secret().len() < 16 {
                bail!(
                    "feed.api_key (this merchant's key at the agent's Feed API) must be at least 16 characters"
                );
            }
            if !shared::v2026_04_17::feed::is_country_code(&self.feed.target_country) {
                bail!("feed.target_country must be an uppercase ISO 3166-1 alpha-2 code");
            }
        }
        validate_api_keys(&self.admin_keys)?;
        validate_api_keys(&self.api_keys)
    }

    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.merchant.session_ttl_secs).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secret_is_built_in() {
        let settings = Settings::load(None).expect("defaults load");
        assert!(settings.api_keys.is_empty());
        let err = settings
            .validate()
            .expect_err("the PSP secret key has no default");
        assert!(format!("{err:#}").contains("payment.secret_key"), "{err:#}");
    }
}
