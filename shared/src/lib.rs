//! The ACP protocol crate: what goes over the wire, and nothing about how a server keeps state.
//!
//! # Layout
//! - [`api_version`]: the `API-Version` value that every request carries and handlers dispatch on.
//! - [`version`]: the [`version::CheckoutVersion`] trait mapping a version to its wire types.
//! - [`v2026_04_17`]: the 2026-04-17 models.
//! - [`error`]: the flat ACP `Error` object.
//! - [`idempotency`]: idempotency keys and body fingerprints.
//! - [`client`]: typed reqwest clients (checkout, delegate payment and authentication, PSP).
//! - [`psp`]: the PSP's merchant-facing payment intents API (not ACP; Stripe-shaped).
//! - [`signature`]: `Merchant-Signature`, the order webhooks' HMAC: signing and verification.
//! - `schema` (feature `schema`): the official JSON Schema validators, one per version.

pub mod api_version;
pub mod client;
pub mod error;
pub mod headers;
pub mod idempotency;
mod open_enum;
pub mod psp;
#[cfg(feature = "schema")]
pub mod schema;
pub mod signature;
pub mod v2026_04_17;
pub mod version;

pub use api_version::ApiVersion;
pub use error::{Error, ErrorType};
