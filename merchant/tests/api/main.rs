//! Integration tests of the merchant over real HTTP, each run against SQLite and PostgreSQL.

mod helpers;
mod shop;

mod checkout;
mod cli;
mod crash;
mod expiry;
mod idempotency;
mod inventory;
mod orders;
mod payments;
mod protocol;
mod webhooks;
