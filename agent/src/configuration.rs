//! Settings: built-in defaults, then an optional TOML file, then `AGENT__…` environment
//! variables (`__` nests). Each merchant's webhook secret can also come from
//! `AGENT_WEBHOOK_SECRETS="merchant_id=secret,…"`, and its Feed API key from
//! `AGENT_FEED_KEYS="merchant_id=key,…"`.

use std::path::{Path, PathBuf};
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
    pub search: SearchSettings,
    pub conversation: ConversationSettings,
    /// An OpenAI-compatible chat-completions endpoint, for `conversation.engine = "llm"`.
    pub llm: LlmSettings,
    /// The merchants this agent shops at.
    #[serde(default)]
    pub merchants: Vec<Merchant>,
    /// The payment service providers this agent delegates cards to, by the name merchants
    /// give in their payment handler (`psp`).
    #[serde(default)]
    pub psps: Vec<Psp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// How far a signature's timestamp may be from this clock, either way.
    pub tolerance_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchSettings {
    /// The tantivy index's folder (created if missing).
    pub index_dir: PathBuf,
    /// Memory the index writer may use before it flushes a segment.
    pub writer_memory_bytes: usize,
    /// How often the index is compared with the feeds in the database, to pick up file
    /// ingestions made by another process.
    pub reconcile_interval_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// The offline engine: understands shopping phrases by rules.
    Builtin,
    /// An OpenAI-compatible model with tool calling.
    Llm,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConversationSettings {
    pub engine: EngineKind,
    /// How long a card typed by the buyer is kept in memory (never on disk), for 3-D Secure.
    pub card_ttl_secs: u64,
    /// How long a delegated token may be used (the allowance's `expires_at`).
    pub token_ttl_secs: u64,
    /// How many search results are shown at once.
    pub results_shown: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LlmSettings {
    /// The API base, e.g. `https://api.openai.com/v1` (`/chat/completions` is appended).
    pub url: String,
    pub model: String,
    pub api_key: SecretString,
    pub timeout_secs: u64,
    /// Tool-calling rounds allowed in one turn before the engine gives up.
    pub max_rounds: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Merchant {
    /// The merchant's id (its payment handler's `merchant_id`).
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Where its ACP discovery document is (`/.well-known/acp.json`); empty if the agent only
    /// receives its webhooks.
    #[serde(default)]
    pub url: String,
    /// This agent's bearer key at the merchant's checkout API.
    #[serde(default = "empty_secret")]
    pub api_key: SecretString,
    /// The secret the merchant signs its order webhooks with (`Merchant-Signature`).
    pub webhook_secret: SecretString,
    /// The key the merchant uses at this agent's Feed API; empty: it may not push a feed.
    #[serde(default = "empty_secret")]
    pub feed_key: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Psp {
    /// The name merchants use for it in `PaymentHandler.psp`.
    pub name: String,
    pub url: String,
    /// This agent's key for delegate payment and delegate authentication.
    pub api_key: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 3000
public_base_url = "http://localhost:3000"
request_body_limit_bytes = 4194304
request_timeout_secs = 60
shutdown_timeout_secs = 10

[database]
url = "sqlite://data/agent.db"
max_connections = 16
acquire_timeout_secs = 5

[webhooks]
tolerance_secs = 300

[search]
index_dir = "data/agent-index"
writer_memory_bytes = 50000000
reconcile_interval_secs = 5

[conversation]
engine = "builtin"
card_ttl_secs = 900
token_ttl_secs = 1800
results_shown = 5

[llm]
url = ""
model = ""
api_key = ""
timeout_secs = 60
max_rounds = 8
"#;

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut settings: Settings = kit::config::load(DEFAULTS, file, "AGENT")?;
        for (var, set) in [
            (
                "AGENT_WEBHOOK_SECRETS",
                (|m: &mut Merchant, k| m.webhook_secret = k) as fn(&mut Merchant, SecretString),
            ),
            ("AGENT_FEED_KEYS", |m: &mut Merchant, k| m.feed_key = k),
        ] {
            let Ok(pairs) = std::env::var(var) else {
                continue;
            };
            for pair in kit::config::parse_api_keys(&pairs)? {
                match settings.merchants.iter_mut().find(|m| m.id == pair.agent) {
                    Some(m) => set(m, pair.key),
                    None => bail!(
                        "{var} names merchant {:?}, which is not configured",
                        pair.agent
                    ),
                }
            }
        }
        Ok(settings)
    }

    /// Rejects settings that would make the agent unsafe; run before serving.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut ids = std::collections::HashSet::new();
        for m in &self.merchants {
            if !ids.insert(&m.id) {
                bail!("merchant {:?} is configured twice", m.id);
            }
            if m.webhook_secret.expose_secret().len() < 16 {
                bail!(
                    "the webhook secret of merchant {:?} must be at least 16 characters",
                    m.id
                );
            }
            let feed_key = m.feed_key.expose_secret();
            if !feed_key.is_empty() && feed_key.len() < 16 {
                bail!(
                    "the feed key of merchant {:?} must be at least 16 characters",
                    m.id
                );
            }
            if !m.url.is_empty() && m.api_key.expose_secret().is_empty() {
                bail!(
                    "merchant {:?} has a url but no api_key for its checkout API",
                    m.id
                );
            }
        }
        for p in &self.psps {
            if p.api_key.expose_secret().len() < 16 {
                bail!(
                    "the API key for PSP {:?} must be at least 16 characters",
                    p.name
                );
            }
        }
        if self.conversation.engine == EngineKind::Llm
            && (self.llm.url.is_empty() || self.llm.model.is_empty())
        {
            bail!("conversation.engine = \"llm\" needs llm.url and llm.model");
        }
        Ok(())
    }

    pub fn tolerance(&self) -> Duration {
        Duration::from_secs(self.webhooks.tolerance_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_an_llm_needs_an_endpoint() {
        let mut s = Settings::load(None).expect("defaults");
        assert_eq!(s.conversation.engine, EngineKind::Builtin);
        s.validate().expect("valid");
        s.conversation.engine = EngineKind::Llm;
        assert!(s.validate().is_err());
        s.llm.url = "http://127.0.0.1:9/v1".into();
        s.llm.model = "demo".into();
        s.validate().expect("valid");
    }
}
