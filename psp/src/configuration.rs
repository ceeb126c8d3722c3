//! Settings: built-in defaults, then an optional TOML file, then `PSP__…` environment variables
//! (`__` nests). Agent keys can also come from `PSP_API_KEYS="agent=key,…"` and merchant secret
//! keys from `PSP_MERCHANT_KEYS="acct_id=sk_…,…"`. Vault keys have no default: the server does
//! not start without them.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
pub use kit::config::{ApiKeySetting, DatabaseSettings, ServerSettings};
use kit::config::{parse_api_keys, validate_api_keys};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub psp: PspSettings,
    pub vault: VaultSettings,
    /// Agents allowed to delegate payments and run authentication.
    #[serde(default)]
    pub api_keys: Vec<ApiKeySetting>,
    /// Merchants allowed to redeem tokens, each with its secret key.
    #[serde(default)]
    pub merchants: Vec<MerchantAccount>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PspSettings {
    /// The `psp` name merchants advertise in their payment handler.
    pub name: String,
    /// The latest `allowance.expires_at` accepted, from now.
    pub max_token_lifetime_secs: u64,
    /// How long a 3-D Secure session stays usable.
    pub authentication_ttl_secs: u64,
    /// Acquirer details given to merchants for their `authentication_metadata`.
    pub acquirer_bin: String,
    pub acquirer_country: String,
    pub idempotency_retention_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VaultSettings {
    /// The key new cards are sealed with.
    pub active_key: String,
    /// Every key that may still be needed to open a card (the active one and older ones).
    #[serde(default)]
    pub keys: Vec<VaultKey>,
    /// The HMAC key that fingerprints card numbers (at least 32 bytes, base64).
    pub fingerprint_key: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VaultKey {
    pub id: String,
    /// 32 bytes, base64.
    pub key: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MerchantAccount {
    /// The id tokens are bound to (`allowance.merchant_id`).
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub secret_key: SecretString,
}

const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 4000
public_base_url = "http://localhost:4000"
request_body_limit_bytes = 65536
request_timeout_secs = 30
shutdown_timeout_secs = 10

[database]
url = "sqlite://data/psp.db"
max_connections = 16
acquire_timeout_secs = 5

[psp]
name = "acp-demo-psp"
max_token_lifetime_secs = 86400
authentication_ttl_secs = 600
acquirer_bin = "411111"
acquirer_country = "US"
idempotency_retention_secs = 172800

[vault]
active_key = ""
fingerprint_key = ""
"#;

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut settings: Settings = kit::config::load(DEFAULTS, file, "PSP")?;
        if let Ok(keys) = std::env::var("PSP_API_KEYS") {
            settings.api_keys.extend(parse_api_keys(&keys)?);
        }
        if let Ok(keys) = std::env::var("PSP_MERCHANT_KEYS") {
            settings
                .merchants
                .extend(parse_api_keys(&keys)?.into_iter().map(|k| MerchantAccount {
                    id: k.agent,
                    name: String::new(),
                    secret_key: k.key,
                }));
        }
        Ok(settings)
    }

    /// Rejects settings that would make the server unsafe; run before serving.
    pub fn validate(&self) -> anyhow::Result<()> {
        validate_api_keys(&self.api_keys)?;
        let merchant_keys: Vec<ApiKeySetting> = self
            .merchants
            .iter()
            .map(|m| ApiKeySetting {
                agent: m.id.clone(),
                key: m.secret_key.clone(),
            })
            .collect();
        validate_api_keys(&merchant_keys)?;
        if self.vault.keys.is_empty() || self.vault.active_key.is_empty() {
            bail!(
                "the vault needs keys: set [vault] active_key and [[vault.keys]] (32 random bytes, base64)"
            );
        }
        for k in &self.vault.keys {
            let bytes = decode_key(&k.key).with_context(|| format!("vault key {:?}", k.id))?;
            if bytes.len() != 32 {
                bail!(
                    "vault key {:?} must be 32 bytes (AES-256), not {}",
                    k.id,
                    bytes.len()
                );
            }
        }
        if !self
            .vault
            .keys
            .iter()
            .any(|k| k.id == self.vault.active_key)
        {
            bail!(
                "vault.active_key {:?} is not one of vault.keys",
                self.vault.active_key
            );
        }
        if decode_key(&self.vault.fingerprint_key).map_or(0, |k| k.len()) < 32 {
            bail!("vault.fingerprint_key must be at least 32 bytes, base64");
        }
        Ok(())
    }
}

pub fn decode_key(key: &SecretString) -> anyhow::Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(key.expose_secret().trim())
        .context("not valid base64")
}
