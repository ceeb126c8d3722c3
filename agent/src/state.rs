//! The state every handler shares.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::Clock;
use kit::db::Db;
use secrecy::SecretString;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// `(merchant id, webhook secret)`.
    pub webhook_secrets: Vec<(String, SecretString)>,
    pub webhook_tolerance: Duration,
    pub body_limit: usize,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
