//! The ACP demo merchant.
//!
//! # Layout
//! - [`routes`]: HTTP endpoints and middleware; handlers are thin.
//! - [`checkout`]: create, retrieve, update, cancel: each one database transaction.
//! - [`creates`]: group commit of session creates that arrive together.
//! - [`complete`]: paying through the PSP exactly once, and recovering interrupted payments.
//! - [`orders`]: the order lifecycle (operator actions, refunds, the demo clock).
//! - [`webhooks`]: the outbox of order events and its delivery worker.
//! - [`feed`]: the catalog as an ACP product feed, pushed to the agent and exported as files.
//! - [`domain`]: sessions, pricing, tax and shipping as plain functions.
//! - [`protocol`]: per-version parsing and rendering of the ACP wire format.
//! - [`store`]: SQL for SQLite and PostgreSQL (one code path through sqlx's Any driver).
//! - [`catalog`]: the seed file format, the generator and product images.
//! - [`configuration`], [`startup`], [`cli`]: running it.
//!
//! - `testing` (feature): a real merchant for integration tests.
//!
//! Database connections, telemetry, the clock, API keys and the idempotency engine come from
//! the workspace's `kit` crate.

pub mod catalog;
pub mod checkout;
pub mod cli;
pub mod complete;
pub mod configuration;
pub mod creates;
pub mod domain;
pub mod error;
pub mod extract;
pub mod feed;
pub mod ids;
pub mod orders;
pub mod protocol;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;
