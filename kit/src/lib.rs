//! Server plumbing shared by the merchant, the PSP and the agent. Nothing here knows about
//! checkout sessions, cards or conversations.
//!
//! # Layout
//! - [`db`]: SQLite or PostgreSQL through sqlx's `Any` driver, with one writer on SQLite.
//! - [`config`]: database and API-key settings.
//! - [`auth`]: bearer keys kept as digests, compared in constant time.
//! - [`http`]: ACP headers, JSON bodies, request ids, deadlines, shutdown.
//! - [`idempotency`]: the ACP idempotency rules and their table.
//! - [`parse`]: strict JSON bodies, errors with a JSONPath and without the value sent.
//! - [`clock`], [`ids`], [`telemetry`].

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod parse;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
