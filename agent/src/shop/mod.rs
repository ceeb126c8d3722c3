//! The shopping operations both conversation engines use (the built-in engine by rules, the
//! LLM engine as its tools): search, choose, set the details, check out, pay, authenticate,
//! cancel, follow the order.
//!
//! Each operation works on one conversation's [`state::ConversationState`] and the merchant's
//! authoritative checkout session. Calls that change something at a merchant or a PSP take an
//! idempotency key that is written to the conversation *before* the call and reused if the same
//! request is made again (after a lost answer or a crash), so a retry is never a second charge
//! or a second session.

pub mod card;
mod catalog;
mod checkout;
pub mod news;
pub mod outcome;
mod payment;
pub mod state;
pub mod view;

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::client::{ApiResponse, CheckoutClient, ClientError, DelegateClient};
use shared::idempotency::IdempotencyKey;
use shared::v2026_04_17::{BrowserInfo, V2026_04_17};

use crate::error::Error;
use crate::state::AppState;
use state::{ConversationState, Pending};

pub use catalog::{Pick, options_named};
pub use checkout::us_address;

/// One turn's view of a conversation: the shared services, and the state it may change.
pub struct Shop<'a> {
    pub app: &'a AppState,
    pub conversation: &'a str,
    pub state: &'a mut ConversationState,
    /// The row version the state was read at (optimistic concurrency).
    pub version: i64,
    /// The buyer's browser, when the turn came from one (3-D Secure wants it).
    pub browser: Option<BrowserInfo>,
}

/// Transport failures and answers that say "try again" are retried this many times, with the
/// same key.
const ATTEMPTS: u32 = 3;

fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Transport(_) => true,
        other => matches!(other.status(), Some(409 | 500..=599)),
    }
}

impl Shop<'_> {
    /// Writes the state now (before a call whose key it records).
    pub async fn save(&mut self) -> Result<(), Error> {
        match crate::store::conversations::save_state(
            &self.app.db.write,
            self.conversation,
            self.state,
            self.version,
            self.app.clock.now(),
        )
        .await?
        {
            Some(v) => {
                self.version = v;
                Ok(())
            }
            None => Err(Error::Busy),
        }
    }

    /// The key for `op` on `basis` (what makes two requests the same intent: the body, or for
    /// requests that carry a card, what identifies them without the card): the pending one if
    /// it is the same intent, else a new one, recorded (and saved) before the call is made.
    async fn key_for<B: Serialize>(
        &mut self,
        op: &str,
        basis: &B,
    ) -> Result<IdempotencyKey, Error> {
        let json = serde_json::to_vec(basis).map_err(|e| Error::Internal(e.into()))?;
        let fingerprint = hex::encode(Sha256::digest(&json));
        if let Some(p) = &self.state.pending
            && p.op == op
            && p.fingerprint == fingerprint
            && let Ok(key) = IdempotencyKey::parse(&p.key)
        {
            return Ok(key);
        }
        self.state.intents += 1;
        let raw = format!("{}-{}-{op}", self.conversation, self.state.intents);
        let key =
            IdempotencyKey::parse(&raw).map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
        self.state.pending = Some(Pending {
            op: op.to_owned(),
            key: raw,
            fingerprint,
        });
        self.save().await?;
        Ok(key)
    }

    /// Makes an idempotent call: the same key on every attempt; the pending record is cleared
    /// once an answer (of any kind) has come.
    async fn call<B, T, F, Fut>(
        &mut self,
        op: &str,
        basis: &B,
        send: F,
    ) -> Result<Result<ApiResponse<T>, ClientError>, Error>
    where
        B: Serialize,
        F: Fn(IdempotencyKey) -> Fut,
        Fut: Future<Output = Result<ApiResponse<T>, ClientError>>,
    {
        let key = self.key_for(op, basis).await?;
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let result = send(key.clone()).await;
            match &result {
                Err(e) if retryable(e) && attempt < ATTEMPTS => {
                    tracing::info!(op, attempt, error = %e, "retrying with the same idempotency key");
                    tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
                }
                _ => break result,
            }
        };
        match &outcome {
            Err(e) if retryable(e) => {
                // No answer: the key stays pending, so asking again repeats this very call.
                tracing::warn!(op, error = %e, "no answer; the call will be repeated with the same key");
            }
            _ => self.state.pending = None,
        }
        Ok(outcome)
    }

    /// The checkout client of a merchant this agent knows.
    async fn merchant(&self, id: &str) -> Result<&CheckoutClient<V2026_04_17>, Error> {
        let link =
            self.app.merchants.get(id).ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("merchant {id} is not configured"))
            })?;
        link.checkout().await
    }

    /// The PSP a merchant's payment handler names.
    fn psp(&self, name: &str) -> Result<&DelegateClient, Error> {
        self.app.psps.get(name).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "the merchant pays through PSP {name:?}, which this agent has no key for"
            ))
        })
    }
}
