//! SQL, one module per table group. Functions take a pool or a transaction so callers compose
//! them; they never decide policy.

pub mod conversations;
pub mod events;
pub mod feeds;

pub use events::{events_for, record};
pub use kit::db::{StoreError, unix};
