//! SQL, one module per table group. Functions take a connection or transaction so callers
//! compose them into one atomic unit; they never decide policy.

pub mod catalog;
pub mod fast_create;
pub mod feed;
pub mod inventory;
pub mod orders;
pub mod outbox;
pub mod records;
pub mod sessions;

pub use kit::db::{StoreError, unix};
