//! The PSP's merchant-facing API: how a merchant redeems a Shared Payment Token and refunds.
//!
//! This is not part of ACP (the spec leaves redemption to the PSP). It is shaped like Stripe's
//! payment intents so that it reads familiar: a merchant creates a payment intent from a token
//! and an amount; it succeeds, fails with a decline code, or requires action (3-D Secure), in
//! which case it is confirmed again with the authentication result.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// The 3-D Secure result the merchant passes on (from the agent's `authentication_result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreeDSecureData {
    pub cryptogram: String,
    pub electronic_commerce_indicator: String,
    /// The directory server transaction id (`dsTransID`).
    pub transaction_id: String,
    pub version: String,
}

/// `POST /v1/payment_intents`: redeem a token for `amount`, confirming at once.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentIntent {
    pub amount: i64,
    pub currency: String,
    /// The Shared Payment Token (`spt_…`).
    pub payment_token: String,
    /// Must match the token's allowance.
    pub checkout_session_id: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `POST /v1/payment_intents/{id}/confirm`: continue after 3-D Secure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentIntent {
    pub three_d_secure: ThreeDSecureData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    /// 3-D Secure must be completed, then the intent confirmed.
    RequiresAction,
    Succeeded,
    /// Declined: the token is used up, a new payment method is needed.
    RequiresPaymentMethod,
    Canceled,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
    pub funding: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentError {
    /// `card_declined`, `processing_error`, `authentication_failed`, …
    pub code: String,
    /// For `card_declined`: `generic_decline`, `insufficient_funds`, `lost_card`, …
    pub decline_code: Option<String>,
    pub message: String,
}

/// What 3-D Secure needs, for the merchant's `authentication_metadata`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeDSecureAction {
    /// `visa`, `mastercard`, `american_express`.
    pub directory_server: String,
    pub acquirer_bin: String,
    pub acquirer_country: String,
    pub acquirer_merchant_id: String,
    pub merchant_name: String,
    /// Where the agent runs the Delegate Authentication API.
    pub authentication_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NextAction {
    ThreeDSecure { three_d_secure: ThreeDSecureAction },
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    pub amount: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub status: PaymentIntentStatus,
    pub checkout_session_id: String,
    pub card: CardSummary,
    pub last_payment_error: Option<PaymentError>,
    pub next_action: Option<NextAction>,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `POST /v1/refunds`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRefund {
    pub payment_intent: String,
    /// Minor units; the whole remaining amount if absent.
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Succeeded,
    Failed,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    pub payment_intent: String,
    pub amount: i64,
    pub currency: String,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub created: DateTime<Utc>,
}

/// Errors of this API: `{"error": {…}}`, as Stripe's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `api_error`, `idempotency_error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
}

impl std::fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
