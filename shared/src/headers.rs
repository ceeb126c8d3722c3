//! Header names shared by the ACP APIs.

pub use crate::api_version::HEADER as API_VERSION;
pub use crate::idempotency::{HEADER as IDEMPOTENCY_KEY, REPLAYED_HEADER as IDEMPOTENT_REPLAYED};

/// Correlation id: echoed by the server, generated when the client sent none.
pub const REQUEST_ID: &str = "Request-Id";
/// Seconds to wait before retrying (409 in flight, 503).
pub const RETRY_AFTER: &str = "Retry-After";
