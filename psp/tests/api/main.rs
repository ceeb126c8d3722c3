//! Integration tests of the PSP over real HTTP, each run against SQLite and PostgreSQL. The
//! agent's and the merchant's sides are played by `psp::testing` and the typed clients.

mod delegate;
mod intents;
mod refunds;
mod vault;
