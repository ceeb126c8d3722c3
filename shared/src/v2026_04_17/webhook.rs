//! Order events the merchant sends to the agent (`openapi.agentic_checkout_webhook.yaml`).

use serde::{Deserialize, Serialize};

use super::order::Order;
use crate::open_enum;

open_enum! {
    /// Open: receivers MUST accept event types they do not know.
    pub enum WebhookEventType {
        OrderCreate => "order_create",
        OrderUpdate => "order_update",
    }
}

/// `{type, data}`; `data` is the full order, never a delta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub kind: WebhookEventType,
    pub data: Order,
}
