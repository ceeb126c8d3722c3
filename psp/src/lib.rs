//! The ACP demo payment service provider.
//!
//! # Layout
//! - [`routes`]: the ACP endpoints (delegate payment, delegate authentication), the simulated
//!   issuer's challenge page, and the merchant-facing `/v1` payment intents API.
//! - [`delegation`]: card and allowance checks, vaulting, token issuance.
//! - [`payments`]: token redemption into payment intents, 3-D Secure confirmation, refunds.
//! - [`authentication`]: the 3-D Secure session state machine.
//! - [`vault`]: AES-256-GCM sealing with a key ring, HMAC card fingerprints.
//! - [`cards`]: Luhn, brands, expiry, and the test cards' behaviours.
//! - [`store`]: SQL. [`error`]: the error type and its two wire forms.
//! - `testing` (feature): a real PSP for integration tests and the agent's side of it.

pub mod authentication;
pub mod cards;
pub mod cli;
pub mod configuration;
pub mod delegation;
pub mod error;
pub mod extract;
pub mod payments;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod vault;
