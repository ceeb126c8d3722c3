//! Wire models of ACP 2026-04-17 (`spec/acp/2026-04-17/json-schema/schema.agentic_checkout.json`).
//!
//! Where the OpenAPI document and the JSON Schema disagree, these follow the JSON Schema, which
//! is the superset (NOTES §18.3): `order_notes`, `Address.company`, `display_order`,
//! `supported_versions` and `Order.client_reference_id` are modelled.

mod capabilities;
mod common;
mod delegate_authentication;
mod delegate_payment;
mod discount;
mod discovery;
pub mod feed;
mod fulfillment;
mod line_item;
mod message;
mod order;
mod payment;
mod session;
mod webhook;

pub use capabilities::*;
pub use common::*;
pub use delegate_authentication::*;
pub use delegate_payment::*;
pub use discount::*;
pub use discovery::*;
pub use fulfillment::*;
pub use line_item::*;
pub use message::*;
pub use order::*;
pub use payment::*;
pub use session::*;
pub use webhook::*;

use crate::api_version::ApiVersion;
use crate::version::CheckoutVersion;

/// Marker type for ACP 2026-04-17, used to parameterise clients and handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct V2026_04_17;

impl CheckoutVersion for V2026_04_17 {
    const VERSION: ApiVersion = ApiVersion::V2026_04_17;
    type CreateRequest = CheckoutSessionCreateRequest;
    type UpdateRequest = CheckoutSessionUpdateRequest;
    type CompleteRequest = CheckoutSessionCompleteRequest;
    type CancelRequest = CancelSessionRequest;
    type Session = CheckoutSession;
    type Discovery = DiscoveryResponse;
}
