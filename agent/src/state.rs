//! The state every handler shares.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use kit::auth::ApiKeys;
use kit::clock::Clock;
use kit::db::Db;
use kit::idempotency::{Idempotency, InFlight};
use secrecy::{ExposeSecret, SecretString};
use shared::client::{CheckoutClient, DelegateClient};
use shared::v2026_04_17::V2026_04_17;
use tokio::sync::OnceCell;

use crate::chat::{Engine, TurnLocks};
use crate::error::Error;
use crate::search::SearchIndex;
use crate::shop::card::CardVault;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// `(merchant id, webhook secret)`.
    pub webhook_secrets: Vec<(String, SecretString)>,
    pub webhook_tolerance: Duration,
    pub body_limit: usize,
    pub index: Arc<SearchIndex>,
    /// Orders feed changes: the index applies them in the order the database did.
    pub feed_lock: tokio::sync::Mutex<()>,
    /// Merchants' keys for the Feed API.
    pub feed_keys: ApiKeys,
    pub inflight: InFlight,
    /// The merchants this agent shops at, by id.
    pub merchants: HashMap<String, MerchantLink>,
    /// Delegate payment and authentication clients, by PSP name.
    pub psps: HashMap<String, DelegateClient>,
    pub cards: CardVault,
    pub conversation: ConversationRules,
    pub engine: Engine,
    pub turns: TurnLocks,
}

/// How conversations behave.
#[derive(Debug, Clone)]
pub struct ConversationRules {
    pub results_shown: usize,
    /// How long a delegated token may be used.
    pub token_ttl: chrono::Duration,
}

/// A merchant: where it is and this agent's key there. Its checkout API's base URL comes from
/// its discovery document, read once.
pub struct MerchantLink {
    pub id: String,
    pub name: String,
    pub url: String,
    pub api_key: SecretString,
    pub http: reqwest::Client,
    checkout: OnceCell<CheckoutClient<V2026_04_17>>,
}

impl MerchantLink {
    pub fn new(
        id: String,
        name: String,
        url: String,
        api_key: SecretString,
        http: reqwest::Client,
    ) -> Self {
        Self {
            id,
            name,
            url,
            api_key,
            http,
            checkout: OnceCell::new(),
        }
    }

    /// The checkout client, at the `api_base_url` the merchant's discovery document gives.
    pub async fn checkout(&self) -> Result<&CheckoutClient<V2026_04_17>, Error> {
        self.checkout
            .get_or_try_init(|| async {
                let probe = CheckoutClient::<V2026_04_17>::new(
                    self.http.clone(),
                    self.url.clone(),
                    self.api_key.expose_secret(),
                );
                let doc = probe.discovery().await.map_err(|e| {
                    Error::Unavailable(format!("the shop {} cannot be reached: {e}", self.name))
                })?;
                let version = shared::ApiVersion::V2026_04_17.as_str();
                if !doc
                    .body
                    .protocol
                    .supported_versions
                    .iter()
                    .any(|v| v == version)
                {
                    return Err(Error::Unavailable(format!(
                        "the shop {} does not speak ACP {version}",
                        self.name
                    )));
                }
                Ok(CheckoutClient::new(
                    self.http.clone(),
                    doc.body.api_base_url,
                    self.api_key.expose_secret(),
                ))
            })
            .await
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// The idempotency runner over this service's database.
    pub fn idempotency(&self) -> Idempotency<'_> {
        Idempotency {
            db: &self.db,
            inflight: &self.inflight,
            clock: &*self.clock,
        }
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
