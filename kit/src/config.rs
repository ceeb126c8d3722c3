//! Settings every service shares: its database and the API keys of its callers.

use std::collections::HashSet;

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A service's settings: built-in `defaults` (TOML), then `file` if given, then environment
/// variables `<PREFIX>__SECTION__KEY` (`__` nests).
pub fn load<T: DeserializeOwned>(
    defaults: &str,
    file: Option<&Path>,
    env_prefix: &str,
) -> anyhow::Result<T> {
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(defaults, config::FileFormat::Toml));
    if let Some(file) = file {
        builder = builder.add_source(config::File::from(file).required(true));
    }
    builder = builder.add_source(
        config::Environment::with_prefix(env_prefix)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true),
    );
    builder
        .build()
        .and_then(|c| c.try_deserialize())
        .with_context(|| match file {
            Some(f) => format!("reading configuration from {}", f.display()),
            None => "reading configuration".to_owned(),
        })
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The URL clients reach this server at, used in the links it hands out.
    pub public_base_url: String,
    pub request_body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://…`.
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

/// One caller and its bearer key.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeySetting {
    /// Who the key identifies; idempotency keys and resources are scoped to it.
    pub agent: String,
    pub key: SecretString,
}

/// `name=key,name2=key2`, the form the `*_API_KEYS` environment variables take.
pub fn parse_api_keys(s: &str) -> anyhow::Result<Vec<ApiKeySetting>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (agent, key) = pair
                .split_once('=')
                .context("API key lists must look like name=key,name2=key2")?;
            Ok(ApiKeySetting {
                agent: agent.trim().to_owned(),
                key: SecretString::from(key.trim().to_owned()),
            })
        })
        .collect()
}

/// Keys must be long enough not to be guessed and names must be unique.
pub fn validate_api_keys(keys: &[ApiKeySetting]) -> anyhow::Result<()> {
    let mut names = HashSet::new();
    for k in keys {
        if k.key.expose_secret().len() < 16 {
            bail!("the API key of {:?} is shorter than 16 characters", k.agent);
        }
        if !names.insert(&k.agent) {
            bail!("{:?} has more than one API key entry", k.agent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates_key_lists() {
        let keys = parse_api_keys("a=0123456789abcdef, b=fedcba9876543210").expect("parses");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].agent, "b");
        validate_api_keys(&keys).expect("valid");
        assert!(parse_api_keys("nokey").is_err());
        assert!(validate_api_keys(&parse_api_keys("a=short").expect("parses")).is_err());
        assert!(
            validate_api_keys(
                &parse_api_keys("a=0123456789abcdef,a=0123456789abcdeg").expect("parses")
            )
            .is_err()
        );
    }
}
