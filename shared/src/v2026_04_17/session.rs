//! The checkout session and the bodies of the five checkout operations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::capabilities::Capabilities;
use super::common::{Buyer, FulfillmentDetails, Link, ProtocolVersion, Total};
use super::discount::{DiscountsRequest, DiscountsResponse};
use super::fulfillment::{FulfillmentGroup, FulfillmentOption, SelectedFulfillmentOption};
use super::line_item::{Item, LineItem};
use super::message::Message;
use super::order::Order;
use super::payment::{
    AffiliateAttribution, AuthenticationMetadata, AuthenticationResult, PaymentData, RiskSignals,
};
use crate::open_enum;

/// `CheckoutSession.status`. The RFC defines only some of these; see the merchant's README for
/// the state machine this implementation follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Incomplete,
    NotReadyForPayment,
    RequiresEscalation,
    AuthenticationRequired,
    ReadyForPayment,
    PendingApproval,
    CompleteInProgress,
    Completed,
    Canceled,
    InProgress,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incomplete => "incomplete",
            Self::NotReadyForPayment => "not_ready_for_payment",
            Self::RequiresEscalation => "requires_escalation",
            Self::AuthenticationRequired => "authentication_required",
            Self::ReadyForPayment => "ready_for_payment",
            Self::PendingApproval => "pending_approval",
            Self::CompleteInProgress => "complete_in_progress",
            Self::Completed => "completed",
            Self::Canceled => "canceled",
            Self::InProgress => "in_progress",
            Self::Expired => "expired",
        }
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingConsentOption {
    /// Open: `email`, `sms`, `whatsapp`, …
    pub channel: String,
    pub display_text: String,
    pub privacy_policy_url: String,
    pub is_subscribed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingConsent {
    pub channel: String,
    pub opted_in: bool,
}

/// The seller's authoritative view of a checkout. `order` is present once completed
/// (`CheckoutSessionWithOrder` in the schema).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSession {
    pub id: String,
    pub protocol: Option<ProtocolVersion>,
    pub capabilities: Capabilities,
    pub buyer: Option<Buyer>,
    pub status: SessionStatus,
    pub currency: String,
    pub presentment_currency: Option<String>,
    pub exchange_rate: Option<f64>,
    pub exchange_rate_timestamp: Option<DateTime<Utc>>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub line_items: Vec<LineItem>,
    pub fulfillment_details: Option<FulfillmentDetails>,
    pub fulfillment_options: Vec<FulfillmentOption>,
    pub selected_fulfillment_options: Option<Vec<SelectedFulfillmentOption>>,
    pub fulfillment_groups: Option<Vec<FulfillmentGroup>>,
    pub totals: Vec<Total>,
    pub messages: Vec<Message>,
    pub links: Vec<Link>,
    pub authentication_metadata: Option<AuthenticationMetadata>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub continue_url: Option<String>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub quote_id: Option<String>,
    pub quote_expires_at: Option<DateTime<Utc>>,
    pub discounts: Option<DiscountsResponse>,
    pub marketing_consent_options: Option<Vec<MarketingConsentOption>>,
    pub order: Option<Order>,
}

impl CheckoutSession {
    /// The amount of the `total` entry, if the session has one.
    pub fn total(&self) -> Option<i64> {
        self.totals
            .iter()
            .find(|t| t.kind == super::common::TotalType::Total)
            .map(|t| t.amount)
    }
}

/// `POST /checkout_sessions`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSessionCreateRequest {
    pub buyer: Option<Buyer>,
    pub line_items: Vec<Item>,
    pub currency: String,
    pub fulfillment_details: Option<FulfillmentDetails>,
    pub capabilities: Capabilities,
    pub fulfillment_groups: Option<Vec<FulfillmentGroup>>,
    pub affiliate_attribution: Option<AffiliateAttribution>,
    /// Deprecated alias of `discounts.codes`.
    pub coupons: Option<Vec<String>>,
    pub discounts: Option<DiscountsRequest>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub quote_id: Option<String>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub order_notes: Option<String>,
}

impl CheckoutSessionCreateRequest {
    /// A request for these item ids in `currency`, declaring no interventions.
    pub fn new(currency: impl Into<String>, item_ids: &[&str]) -> Self {
        Self {
            buyer: None,
            line_items: item_ids.iter().map(|id| Item::new(*id)).collect(),
            currency: currency.into(),
            fulfillment_details: None,
            capabilities: Capabilities::default(),
            fulfillment_groups: None,
            affiliate_attribution: None,
            coupons: None,
            discounts: None,
            locale: None,
            timezone: None,
            quote_id: None,
            metadata: None,
            order_notes: None,
        }
    }
}

/// `POST /checkout_sessions/{id}`.
///
/// Each field has three states: absent (`None`, leave as is), `null` (`Some(None)`, clear it) and a
/// value (`Some(Some(v))`, replace it). Arrays are replaced whole.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSessionUpdateRequest {
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub buyer: Option<Option<Buyer>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub line_items: Option<Option<Vec<Item>>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub fulfillment_details: Option<Option<FulfillmentDetails>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub fulfillment_groups: Option<Option<Vec<FulfillmentGroup>>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub selected_fulfillment_options: Option<Option<Vec<SelectedFulfillmentOption>>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub coupons: Option<Option<Vec<String>>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub discounts: Option<Option<DiscountsRequest>>,
    #[serde(default, with = "::serde_with::rust::double_option")]
    pub order_notes: Option<Option<String>>,
}

/// `POST /checkout_sessions/{id}/complete`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSessionCompleteRequest {
    pub buyer: Option<Buyer>,
    pub payment_data: PaymentData,
    pub authentication_result: Option<AuthenticationResult>,
    pub affiliate_attribution: Option<AffiliateAttribution>,
    pub risk_signals: Option<RiskSignals>,
    pub marketing_consents: Option<Vec<MarketingConsent>>,
    pub order_notes: Option<String>,
}

open_enum! {
    /// Why the buyer walked away. Open: an unknown reason is not an error, it counts as `other`.
    pub enum IntentReasonCode {
        PriceSensitivity => "price_sensitivity",
        ShippingCost => "shipping_cost",
        ShippingSpeed => "shipping_speed",
        ProductFit => "product_fit",
        TrustSecurity => "trust_security",
        ReturnsPolicy => "returns_policy",
        PaymentOptions => "payment_options",
        Comparison => "comparison",
        TimingDeferred => "timing_deferred",
        Other => "other",
    }
}

/// Write-only record of why a session was canceled; never returned.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentTrace {
    pub reason_code: IntentReasonCode,
    pub trace_summary: Option<String>,
    /// Flat: values are strings, numbers or booleans.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `POST /checkout_sessions/{id}/cancel`; the body itself is optional.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CancelSessionRequest {
    pub intent_trace: Option<IntentTrace>,
}
