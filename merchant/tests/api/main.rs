//! Integration tests of the merchant over real HTTP, each run against SQLite and PostgreSQL.

mod helpers;

mod checkout;
mod cli;
mod expiry;
mod idempotency;
mod inventory;
mod protocol;
