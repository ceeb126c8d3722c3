//! The ACP demo agent: plays ChatGPT's part. It hosts the Feed API merchants push their
//! catalogs to and indexes them for search, talks with the buyer (by rules, or through an
//! OpenAI-compatible model), drives the ACP purchase (checkout, delegate payment, 3-D Secure)
//! and follows orders through the merchants' signed webhooks.
//!
//! # Layout
//! - [`feeds`]: the Feed API (2026-04-17) and file ingestion, over the database and the index.
//! - [`search`]: the tantivy index and the reading of shoppers' queries.
//! - [`shop`]: the shopping operations both engines use, and the ACP orchestration.
//! - [`chat`]: conversations, turns, and the two engines (built-in and LLM).
//! - [`api`]: the buyer's JSON API; [`terminal`]: `agent chat`.
//! - [`webhooks`]: `POST /agentic_checkout/webhooks/order_events`: verify, de-duplicate, store,
//!   tell the buyer.
//! - [`store`]: SQL. [`error`]: the error type and its wire form.
//! - `testing` (feature): a real agent for integration tests.

pub mod api;
pub mod chat;
pub mod cli;
pub mod configuration;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod routes;
pub mod search;
pub mod shop;
pub mod startup;
pub mod state;
pub mod store;
pub mod terminal;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;
