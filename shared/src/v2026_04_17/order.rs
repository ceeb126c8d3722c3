//! The 2026-04-17 rich order (after the post-release alignment #232): line items with ordered,
//! current and fulfilled quantities, fulfillments, adjustments and totals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{Address, Total};
use crate::open_enum;

open_enum! {
    /// `Order.status`: open, receivers must accept values they do not know.
    pub enum OrderStatus {
        Created => "created",
        Confirmed => "confirmed",
        ManualReview => "manual_review",
        Processing => "processing",
        Shipped => "shipped",
        Completed => "completed",
        Canceled => "canceled",
    }
}

open_enum! {
    pub enum OrderLineItemStatus {
        Processing => "processing",
        Partial => "partial",
        Fulfilled => "fulfilled",
        Removed => "removed",
    }
}

open_enum! {
    pub enum FulfillmentStatus {
        Pending => "pending",
        Processing => "processing",
        Shipped => "shipped",
        InTransit => "in_transit",
        OutForDelivery => "out_for_delivery",
        ReadyForPickup => "ready_for_pickup",
        Delivered => "delivered",
        Failed => "failed",
        Canceled => "canceled",
    }
}

open_enum! {
    pub enum FulfillmentEventType {
        Processing => "processing",
        Shipped => "shipped",
        InTransit => "in_transit",
        OutForDelivery => "out_for_delivery",
        ReadyForPickup => "ready_for_pickup",
        Delivered => "delivered",
        FailedAttempt => "failed_attempt",
        ReturnedToSender => "returned_to_sender",
        Canceled => "canceled",
        Undeliverable => "undeliverable",
    }
}

open_enum! {
    pub enum AdjustmentType {
        Refund => "refund",
        Credit => "credit",
        Return => "return",
        Exchange => "exchange",
        PriceAdjustment => "price_adjustment",
        Cancellation => "cancellation",
        Dispute => "dispute",
    }
}

open_enum! {
    pub enum AdjustmentStatus {
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimatedDelivery {
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderConfirmation {
    pub confirmation_number: Option<String>,
    pub confirmation_email_sent: Option<bool>,
    pub receipt_url: Option<String>,
    pub invoice_number: Option<String>,
    pub order_notes: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportInfo {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub hours: Option<String>,
    pub help_center_url: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineItemQuantity {
    pub ordered: u32,
    pub current: u32,
    /// Defaults to 0 when absent.
    pub fulfilled: Option<u32>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineItem {
    pub id: String,
    pub title: String,
    pub product_id: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub url: Option<String>,
    pub quantity: OrderLineItemQuantity,
    pub unit_price: Option<i64>,
    pub subtotal: Option<i64>,
    pub totals: Option<Vec<Total>>,
    pub status: Option<OrderLineItemStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItemReference {
    pub id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderFulfillmentType {
    Shipping,
    Pickup,
    Digital,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitalDelivery {
    pub access_url: Option<String>,
    pub license_key: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FulfillmentEventType,
    pub occurred_at: DateTime<Utc>,
    pub description: Option<String>,
    pub location: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fulfillment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: OrderFulfillmentType,
    pub status: Option<FulfillmentStatus>,
    pub line_items: Option<Vec<LineItemReference>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub destination: Option<Address>,
    pub estimated_delivery: Option<EstimatedDelivery>,
    pub digital_delivery: Option<DigitalDelivery>,
    pub description: Option<String>,
    pub events: Option<Vec<FulfillmentEvent>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: AdjustmentType,
    pub occurred_at: DateTime<Utc>,
    pub status: AdjustmentStatus,
    pub line_items: Option<Vec<LineItemReference>>,
    /// Tax-inclusive, minor units.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderObjectType {
    Order,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[serde(rename = "type")]
    pub kind: Option<OrderObjectType>,
    pub id: String,
    pub checkout_session_id: String,
    pub order_number: Option<String>,
    pub client_reference_id: Option<String>,
    pub permalink_url: String,
    pub status: Option<OrderStatus>,
    pub estimated_delivery: Option<EstimatedDelivery>,
    pub confirmation: Option<OrderConfirmation>,
    pub support: Option<SupportInfo>,
    pub line_items: Option<Vec<OrderLineItem>>,
    pub fulfillments: Option<Vec<Fulfillment>>,
    pub adjustments: Option<Vec<Adjustment>>,
    pub totals: Option<Vec<Total>>,
}
