//! The card vault's cryptography: AES-256-GCM sealing with a key ring, and HMAC fingerprints.
//!
//! A sealed card is `(key_id, nonce, ciphertext)`; the card's row id is the associated data, so
//! a ciphertext copied onto another row does not open. Old keys stay in the ring for opening
//! until every card sealed with them is gone; new cards use the active key.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit as HmacKeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What is sealed: everything about the card that must not be stored in the clear.
/// The CVC is never part of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSecret {
    pub number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub name: String,
}

impl std::fmt::Debug for CardSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardSecret([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    /// Base64.
    pub nonce: String,
    /// Base64.
    pub ciphertext: String,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault key {0:?}")]
    UnknownKey(String),
    #[error("a sealed card did not open (wrong key, or tampered data)")]
    Open,
    #[error("a vault key is not 32 bytes")]
    BadKey,
}

pub struct Vault {
    active: String,
    ciphers: HashMap<String, Aes256Gcm>,
    fingerprint_key: Vec<u8>,
}

impl Vault {
    /// `keys` are `(id, 32 raw bytes)`.
    pub fn new(
        active: &str,
        keys: &[(String, Vec<u8>)],
        fingerprint_key: Vec<u8>,
    ) -> Result<Self, VaultError> {
        let mut ciphers = HashMap::new();
        for (id, bytes) in keys {
            let key =
                Key::<Aes256Gcm>::try_from(bytes.as_slice()).map_err(|_| VaultError::BadKey)?;
            ciphers.insert(id.clone(), Aes256Gcm::new(&key));
        }
        if !ciphers.contains_key(active) {
            return Err(VaultError::UnknownKey(active.to_owned()));
        }
        Ok(Self {
            active: active.to_owned(),
            ciphers,
            fingerprint_key,
        })
    }

    pub fn seal(&self, card_id: &str, secret: &CardSecret) -> Sealed {
        let cipher = &self.ciphers[&self.active];
        let nonce = Nonce::generate();
        // A fixed, flat struct always serialises; the fallback keeps this infallible.
        let plaintext = serde_json::to_vec(secret).unwrap_or_default();
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: card_id.as_bytes(),
                },
            )
            .unwrap_or_default();
        Sealed {
            key_id: self.active.clone(),
            nonce: B64.encode(nonce.as_slice()),
            ciphertext: B64.encode(ciphertext),
        }
    }

    pub fn open(&self, card_id: &str, sealed: &Sealed) -> Result<CardSecret, VaultError> {
        let cipher = self
            .ciphers
            .get(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        let nonce_bytes = B64.decode(&sealed.nonce).map_err(|_| VaultError::Open)?;
        let nonce = Nonce::try_from(nonce_bytes.as_slice()).map_err(|_| VaultError::Open)?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| VaultError::Open)?;
        let plaintext = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &ciphertext,
                    aad: card_id.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Open)?;
        serde_json::from_slice(&plaintext).map_err(|_| VaultError::Open)
    }

    /// Recognises the same card number again without storing it: HMAC-SHA256, hex.
    pub fn fingerprint(&self, number: &str) -> String {
        let mut mac = <Hmac<Sha256> as HmacKeyInit>::new_from_slice(&self.fingerprint_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn active_key(&self) -> &str {
        &self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> CardSecret {
        CardSecret {
            number: "4242424242424242".into(),
            exp_month: "12".into(),
            exp_year: "2030".into(),
            name: "Jane Doe".into(),
        }
    }

    fn vault(active: &str) -> Vault {
        Vault::new(
            active,
            &[("k1".into(), vec![1; 32]), ("k2".into(), vec![2; 32])],
            vec![9; 32],
        )
        .expect("valid")
    }

    #[test]
    fn seals_and_opens_and_binds_to_the_row() {
        let v = vault("k1");
        let sealed = v.seal("card_a", &secret());
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.ciphertext.contains("4242"));
        assert_eq!(v.open("card_a", &sealed).expect("opens"), secret());
        assert!(
            v.open("card_b", &sealed).is_err(),
            "another row's id does not open it"
        );
        let mut tampered = sealed.clone();
        tampered.ciphertext.replace_range(0..4, "AAAA");
        assert!(v.open("card_a", &tampered).is_err());
    }

    #[test]
    fn rotation_keeps_old_cards_readable() {
        let old = vault("k1").seal("card_a", &secret());
        let rotated = vault("k2");
        assert_eq!(rotated.seal("card_b", &secret()).key_id, "k2");
        assert_eq!(
            rotated
                .open("card_a", &old)
                .expect("old key still in the ring"),
            secret()
        );
    }

    #[test]
    fn nonces_are_fresh_and_fingerprints_stable() {
        let v = vault("k1");
        assert_ne!(v.seal("c", &secret()).nonce, v.seal("c", &secret()).nonce);
        assert_eq!(
            v.fingerprint("4242424242424242"),
            v.fingerprint("4242424242424242")
        );
        assert_ne!(
            v.fingerprint("4242424242424242"),
            v.fingerprint("4000000000000002")
        );
        assert!(!format!("{:?}", secret()).contains("4242"));
    }
}
