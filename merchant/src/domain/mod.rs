//! The merchant's business rules as plain data and functions: no HTTP, no SQL, no clock.

pub mod message;
pub mod money;
pub mod order;
pub mod party;
pub mod payment;
pub mod pricing;
pub mod session;
pub mod shipping;
pub mod tax;

#[cfg(test)]
mod session_tests;
