//! Bearer API keys, kept only as SHA-256 digests.

use std::sync::Arc;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ApiKeySetting;

/// The keys a service accepts and whom each belongs to.
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

    /// Whom a bearer token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<Arc<str>> {
        let presented = digest(token);
        let mut found = None;
        for (who, expected) in &self.0 {
            if bool::from(expected.ct_eq(&presented)) {
                found = Some(who.clone());
            }
        }
        found
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn authenticates_each_caller_by_its_key() {
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
}
