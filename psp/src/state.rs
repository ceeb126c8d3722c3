//! The state every handler shares.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use kit::auth::ApiKeys;
use kit::clock::Clock;
use kit::db::Db;
use kit::idempotency::{Idempotency, InFlight};

use crate::configuration::PspSettings;
use crate::vault::Vault;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    /// Agents' keys (delegate payment and authentication).
    pub agent_keys: ApiKeys,
    /// Merchants' secret keys, resolving to the merchant id.
    pub merchant_keys: ApiKeys,
    /// Merchant id → display name.
    pub merchants: HashMap<String, String>,
    pub vault: Vault,
    pub inflight: InFlight,
    pub clock: Arc<dyn Clock>,
    pub settings: PspSettings,
    pub base_url: String,
    pub body_limit: usize,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

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
