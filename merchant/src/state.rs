//! The state every handler shares.

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::configuration::{ApiKeySetting, MerchantSettings};
use crate::db::Db;
use crate::error::ApiError;
use crate::store::idempotency::Scope;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub keys: ApiKeys,
    pub inflight: InFlight,
    pub clock: Arc<dyn Clock>,
    pub merchant: MerchantSettings,
    /// Where agents reach this server; no trailing slash.
    pub base_url: String,
    pub body_limit: usize,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.merchant.session_ttl_secs).unwrap_or(i64::MAX))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The agents' API keys, kept only as SHA-256 digests.
///
/// Comparing fixed-length digests with a constant-time equality reveals neither the key's
/// length nor how much of it matched; every configured key is compared on every request.
pub struct ApiKeys(Vec<(Arc<str>, [u8; 32])>);

impl ApiKeys {
    pub fn new(settings: &[ApiKeySetting]) -> Self {
        Self(
            settings
                .iter()
                .map(|k| (Arc::from(k.agent.as_str()), digest(k.key.expose_secret())))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The agent a bearer token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<Arc<str>> {
        let presented = digest(token);
        let mut found = None;
        for (agent, expected) in &self.0 {
            if bool::from(expected.ct_eq(&presented)) {
                found = Some(agent.clone());
            }
        }
        found
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Idempotency keys whose first request is still running in this process.
///
/// The database guarantees exactly-once across processes (a second writer of a key waits for
/// the first and then replays its response); this registry turns the common same-process case
/// into the spec's immediate `409 idempotency_in_flight` instead of a wait.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<Scope>>);

pub struct InFlightGuard<'a> {
    set: &'a InFlight,
    scope: Scope,
}

impl InFlight {
    pub fn claim(&self, scope: &Scope) -> Result<InFlightGuard<'_>, ApiError> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(scope.clone()) {
            return Err(ApiError::IdempotencyInFlight);
        }
        Ok(InFlightGuard {
            set: self,
            scope: scope.clone(),
        })
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn authenticates_each_agent_by_its_key() {
        let keys = ApiKeys::new(&[
            ApiKeySetting {
                agent: "a".into(),
                key: SecretString::from("key-for-agent-a-0001"),
            },
            ApiKeySetting {
                agent: "b".into(),
                key: SecretString::from("key-for-agent-b-0002"),
            },
        ]);
        assert_eq!(
            keys.authenticate("key-for-agent-b-0002").as_deref(),
            Some("b")
        );
        assert_eq!(
            keys.authenticate("key-for-agent-a-0001").as_deref(),
            Some("a")
        );
        assert_eq!(keys.authenticate("key-for-agent-a-000"), None);
        assert_eq!(keys.authenticate(""), None);
    }

    #[test]
    fn in_flight_claims_are_exclusive_until_dropped() {
        let set = InFlight::default();
        let scope = Scope {
            agent: "a".into(),
            endpoint: "/x".into(),
            key: "k".into(),
        };
        let guard = set.claim(&scope).expect("first claim");
        assert!(matches!(
            set.claim(&scope),
            Err(ApiError::IdempotencyInFlight)
        ));
        drop(guard);
        assert!(set.claim(&scope).is_ok());
    }
}
