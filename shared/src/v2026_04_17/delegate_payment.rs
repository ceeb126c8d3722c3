//! Delegate payment (`openapi.delegate_payment.yaml`): the agent hands the card to the PSP, which
//! vaults it and returns a token usable only within the allowance.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodType {
    Card,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardNumberType {
    Fpan,
    NetworkToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingType {
    Credit,
    Debit,
    Prepaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckPerformed {
    Avs,
    Cvv,
    Ani,
    Auth0,
}

/// The card. `number` and `cvc` are secrets: this type deliberately has no `Debug` output of
/// them (see the manual impl) so they cannot end up in a log by accident.
#[skip_serializing_none]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodCard {
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    pub card_number_type: CardNumberType,
    pub number: String,
    pub exp_month: Option<String>,
    pub exp_year: Option<String>,
    pub name: Option<String>,
    pub cvc: Option<String>,
    pub cryptogram: Option<String>,
    pub eci_value: Option<String>,
    pub checks_performed: Option<Vec<CheckPerformed>>,
    pub iin: Option<String>,
    pub display_card_funding_type: FundingType,
    pub display_wallet_type: Option<String>,
    pub display_brand: Option<String>,
    pub display_last4: Option<String>,
    pub metadata: BTreeMap<String, String>,
    #[serde(rename = "virtual")]
    pub is_virtual: Option<bool>,
}

impl std::fmt::Debug for PaymentMethodCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last4 = self
            .number
            .get(self.number.len().saturating_sub(4)..)
            .unwrap_or("");
        f.debug_struct("PaymentMethodCard")
            .field("card_number_type", &self.card_number_type)
            .field("number", &format_args!("…{last4}"))
            .field("cvc", &self.cvc.as_ref().map(|_| "[redacted]"))
            .field("display_brand", &self.display_brand)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceReason {
    OneTime,
}

/// What the token may be used for, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowance {
    pub reason: AllowanceReason,
    /// Minor units.
    pub max_amount: i64,
    /// Lowercase ISO 4217.
    pub currency: String,
    pub checkout_session_id: String,
    /// From the merchant's payment handler `config.merchant_id`.
    pub merchant_id: String,
    pub expires_at: DateTime<Utc>,
}

/// The billing address (delegate payment's own `Address`: no `company`, bounded lengths).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingAddress {
    pub name: String,
    pub line_one: String,
    pub line_two: Option<String>,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskSignalType {
    CardTesting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskAction {
    Blocked,
    ManualReview,
    Authorized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSignal {
    #[serde(rename = "type")]
    pub kind: RiskSignalType,
    pub score: i64,
    pub action: RiskAction,
}

/// `POST /agentic_commerce/delegate_payment`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatePaymentRequest {
    pub payment_method: PaymentMethodCard,
    pub allowance: Allowance,
    pub billing_address: Option<BillingAddress>,
    /// May be empty from 2026-04-17 on.
    pub risk_signals: Vec<RiskSignal>,
    pub metadata: BTreeMap<String, String>,
}

/// 201: the token and correlation data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatePaymentResponse {
    /// The Shared Payment Token (`spt_…`).
    pub id: String,
    pub created: DateTime<Utc>,
    pub metadata: BTreeMap<String, String>,
}
