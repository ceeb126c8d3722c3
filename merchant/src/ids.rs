//! Identifiers of the merchant's objects.

pub use kit::ids::request;

pub fn checkout_session() -> String {
    kit::ids::random("cs_", 24)
}

pub fn line_item() -> String {
    kit::ids::random("li_", 16)
}
