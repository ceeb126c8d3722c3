//! Settings: built-in defaults, then an optional TOML file, then `AGENT__…` environment
//! variables (`__` nests). Each merchant's webhook secret can also come from
//! `AGENT_WEBHOOK_SECRETS="merchant_id=secret,…"`.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;
pub use kit::config::{DatabaseSettings, ServerSettings};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub webhooks: WebhookSettings,
    /// The merchants this agent shops at.
    #[serde(default)]
    pub merchants: Vec<Merchant>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// How far a signature's timestamp may be from this clock, either way.
    pub tolerance_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Merchant {
    /// The merchant's id (its payment handler's `merchant_id`).
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// The secret the merchant signs its order webhooks with (`Merchant-Signature`).
    pub webhook_secret: SecretString,
}

const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 3000
public_base_url = "http://localhost:3000"
request_body_limit_bytes = 1048576
request_timeout_secs = 30
shutdown_timeout_secs = 10

[database]
url = "sqlite://data/agent.db"
max_connections = 16
acquire_timeout_secs = 5

[webhooks]
tolerance_secs = 300
"#;

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut settings: Settings = kit::config::load(DEFAULTS, file, "AGENT")?;
        if let Ok(secrets) = std::env::var("AGENT_WEBHOOK_SECRETS") {
            for pair in kit::config::parse_api_keys(&secrets)? {
                match settings.merchants.iter_mut().find(|m| m.id == pair.agent) {
                    Some(m) => m.webhook_secret = pair.key,
                    None => settings.merchants.push(Merchant {
                        id: pair.agent,
                        name: String::new(),
                        webhook_secret: pair.key,
                    }),
                }
            }
        }
        Ok(settings)
    }

    /// Rejects settings that would make the agent unsafe; run before serving.
    pub fn validate(&self) -> anyhow::Result<()> {
        for m in &self.merchants {
            if m.webhook_secret.expose_secret().len() < 16 {
                bail!(
                    "the webhook secret of merchant {:?} must be at least 16 characters",
                    m.id
                );
            }
        }
        Ok(())
    }

    pub fn tolerance(&self) -> Duration {
        Duration::from_secs(self.webhooks.tolerance_secs)
    }
}
