//! The ACP demo agent. Today: the receiver of the merchants' signed order webhooks. Next: the
//! product index, the conversation and the checkout orchestration, and the web UI.
//!
//! # Layout
//! - [`webhooks`]: `POST /agentic_checkout/webhooks/order_events`: verify, de-duplicate, store,
//!   acknowledge.
//! - [`store`]: SQL. [`error`]: the error type and its wire form.
//! - `testing` (feature): a real receiver for integration tests.

pub mod cli;
pub mod configuration;
pub mod error;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;
