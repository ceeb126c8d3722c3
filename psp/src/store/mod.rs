//! SQL, one module per table. Functions take a connection or transaction so callers compose them
//! atomically.

pub mod authentications;
pub mod cards;
pub mod intents;
pub mod refunds;
pub mod tokens;
