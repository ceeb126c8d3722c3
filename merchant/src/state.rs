//! The state every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use kit::auth::ApiKeys;
use kit::clock::Clock;
use kit::db::Db;
use kit::idempotency::{Idempotency, InFlight};

use crate::catalog::Catalog;
use crate::configuration::{DemoClockSettings, FeedSettings, MerchantSettings};
use crate::creates::Creates;
use crate::webhooks::Webhooks;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub keys: ApiKeys,
    /// Operators' keys for `/admin`.
    pub admin_keys: ApiKeys,
    pub inflight: InFlight,
    pub clock: Arc<dyn Clock>,
    pub merchant: MerchantSettings,
    /// Where agents reach this server; no trailing slash.
    pub base_url: String,
    pub body_limit: usize,
    /// The PSP's payment intents API, authenticated as this merchant.
    pub psp: shared::client::PspClient,
    /// A test hook (`MERCHANT_FAILPOINT`): `after_charge` aborts the process right after the
    /// PSP confirms a charge and before the order is written, to prove recovery.
    pub failpoint: Option<String>,
    pub webhooks: Webhooks,
    /// Set when the demo clock moves orders along by itself.
    pub demo_clock: Option<DemoClockSettings>,
    /// Set when the catalog is pushed to an agent's Feed API.
    pub feed: Option<FeedSettings>,
    /// Fast-path creates, written together when they arrive together.
    pub creates: Creates,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.merchant.session_ttl_secs).unwrap_or(i64::MAX))
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
