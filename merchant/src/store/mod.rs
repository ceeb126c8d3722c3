//! SQL, one module per table group. Functions take a connection or transaction so callers
//! compose them into one atomic unit; they never decide policy.

pub mod catalog;
pub mod fast_create;
pub mod idempotency;
pub mod inventory;
pub mod records;
pub mod sessions;

/// Why a store function failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored document no longer reads as the current code's type.
    #[error("stored document is unreadable: {0}")]
    Document(#[from] serde_json::Error),
    /// The database disagrees with itself (e.g. a release of units that were never held).
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
}

/// Unix seconds, the portable time representation used in every table.
pub fn unix(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}
