//! What the agent sends to pay (complete), 3-D Secure metadata and results, attribution.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::Address;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// `spt` for a Shared Payment Token.
    #[serde(rename = "type")]
    pub kind: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// e.g. `card`, `seller_backed_saved_card`.
    #[serde(rename = "type")]
    pub kind: String,
    pub credential: Credential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTerms {
    Immediate,
    #[serde(rename = "net_15")]
    Net15,
    #[serde(rename = "net_30")]
    Net30,
    #[serde(rename = "net_60")]
    Net60,
    #[serde(rename = "net_90")]
    Net90,
}

/// Either a handler and instrument, or (B2B) a purchase order number.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentData {
    pub handler_id: Option<String>,
    pub instrument: Option<Instrument>,
    pub billing_address: Option<Address>,
    pub purchase_order_number: Option<String>,
    pub payment_terms: Option<PaymentTerms>,
    pub due_date: Option<DateTime<Utc>>,
    pub approval_required: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryServer {
    AmericanExpress,
    Mastercard,
    Visa,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcquirerDetails {
    pub acquirer_bin: String,
    pub acquirer_country: String,
    pub acquirer_merchant_id: String,
    pub merchant_name: String,
    pub requestor_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowPreferenceType {
    Challenge,
    Frictionless,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePreference {
    Mandated,
    Preferred,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrictionlessPreference {
    LowRisk,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeDetails {
    #[serde(rename = "type")]
    pub kind: Option<ChallengePreference>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrictionlessDetails {
    #[serde(rename = "type")]
    pub kind: Option<FrictionlessPreference>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowPreference {
    #[serde(rename = "type")]
    pub kind: FlowPreferenceType,
    pub challenge: Option<ChallengeDetails>,
    pub frictionless: Option<FrictionlessDetails>,
}

/// What the agent needs to run 3-D Secure. The schema allows extra properties, kept in `extra`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationMetadata {
    pub acquirer_details: AcquirerDetails,
    pub directory_server: DirectoryServer,
    pub flow_preference: Option<FlowPreference>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationOutcome {
    Abandoned,
    AttemptAcknowledged,
    Authenticated,
    Canceled,
    Denied,
    Informational,
    InternalError,
    NotSupported,
    ProcessingError,
    Rejected,
}

impl AuthenticationOutcome {
    /// The outcomes for which the schema requires `outcome_details`.
    pub fn requires_details(self) -> bool {
        matches!(
            self,
            Self::Authenticated | Self::Informational | Self::AttemptAcknowledged
        )
    }
}

/// Electronic Commerce Indicator values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Eci {
    #[serde(rename = "01")]
    E01,
    #[serde(rename = "02")]
    E02,
    #[serde(rename = "05")]
    E05,
    #[serde(rename = "06")]
    E06,
    #[serde(rename = "07")]
    E07,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDetails {
    /// Base64 of 20 bytes.
    pub three_ds_cryptogram: String,
    pub electronic_commerce_indicator: Eci,
    /// The 3DS2 `dsTransID`.
    pub transaction_id: String,
    /// e.g. `2.2.0`.
    pub version: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationResult {
    pub outcome: AuthenticationOutcome,
    pub outcome_details: Option<OutcomeDetails>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSignals {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub accept_language: Option<String>,
    pub session_id: Option<String>,
    pub device_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionSourceType {
    Url,
    Platform,
    Unknown,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionSource {
    #[serde(rename = "type")]
    pub kind: AttributionSourceType,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Touchpoint {
    First,
    Last,
}

/// Affiliate attribution: write-only, never returned. Unknown fields are ignored on purpose
/// (the schema leaves the object open for forward compatibility). The token is a secret.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffiliateAttribution {
    pub provider: String,
    pub token: Option<String>,
    pub publisher_id: Option<String>,
    pub campaign_id: Option<String>,
    pub creative_id: Option<String>,
    pub sub_id: Option<String>,
    pub source: Option<AttributionSource>,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Flat: string, number or boolean values only.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub touchpoint: Option<Touchpoint>,
}
