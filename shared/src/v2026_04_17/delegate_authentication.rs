//! Delegate Authentication (`openapi.delegate_authentication.yaml`): 3-D Secure run by the agent
//! against the merchant's authentication provider.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::payment::AcquirerDetails;

/// The card, as the authentication provider needs it. `number` is a secret: no `Debug` of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthPaymentMethod {
    #[serde(rename = "type")]
    pub kind: super::delegate_payment::PaymentMethodType,
    pub number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub name: String,
}

impl std::fmt::Debug for AuthPaymentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last4 = self
            .number
            .get(self.number.len().saturating_sub(4)..)
            .unwrap_or("");
        f.debug_struct("AuthPaymentMethod")
            .field("number", &format_args!("…{last4}"))
            .finish_non_exhaustive()
    }
}

/// An amount in minor units; the currency is **uppercase** in this API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    pub value: i64,
    pub currency: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserInfo {
    pub accept_header: String,
    pub ip_address: String,
    pub javascript_enabled: bool,
    pub language: String,
    pub user_agent: String,
    pub color_depth: Option<i64>,
    pub java_enabled: Option<bool>,
    pub screen_height: Option<i64>,
    pub screen_width: Option<i64>,
    pub timezone_offset: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelType {
    Browser,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(rename = "type")]
    pub kind: ChannelType,
    pub browser: BrowserInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowType {
    Challenge,
    Frictionless,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFlowPreference {
    #[serde(rename = "type")]
    pub kind: FlowType,
    pub challenge: Option<super::payment::ChallengeDetails>,
    pub frictionless: Option<serde_json::Map<String, serde_json::Value>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopperDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<super::delegate_payment::BillingAddress>,
}

/// `POST /delegate_authentication`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateAuthenticationCreateRequest {
    pub merchant_id: String,
    pub acquirer_details: Option<AcquirerDetails>,
    pub payment_method: AuthPaymentMethod,
    pub amount: Amount,
    pub channel: Option<Channel>,
    pub checkout_session_id: Option<String>,
    pub flow_preference: Option<AuthFlowPreference>,
    pub challenge_notification_url: Option<String>,
    pub shopper_details: Option<ShopperDetails>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FingerprintCompletion {
    /// The 3DS Method completed.
    Y,
    /// It timed out.
    N,
    /// It was unavailable (or not needed).
    U,
}

/// `POST /delegate_authentication/{id}/authenticate`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateAuthenticationAuthenticateRequest {
    pub fingerprint_completion: FingerprintCompletion,
    pub channel: Option<Channel>,
    pub checkout_session_id: Option<String>,
    pub challenge_notification_url: Option<String>,
    pub shopper_details: Option<ShopperDetails>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegateAuthenticationStatus {
    ActionRequired,
    Pending,
    NotSupported,
    Authenticated,
    Attempted,
    NotAuthenticated,
    Rejected,
    Unavailable,
    Expired,
    ChallengeAbandoned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintAction {
    pub three_ds_method_url: String,
    pub three_ds_server_trans_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeAction {
    pub acs_url: String,
    pub acs_trans_id: String,
    pub three_ds_server_trans_id: String,
    pub message_version: String,
}

/// What the client must do next: run the 3DS Method (fingerprint) or show the challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Fingerprint { fingerprint: FingerprintAction },
    Challenge { challenge: ChallengeAction },
}

/// The outcome, from `GET /delegate_authentication/{id}`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatedAuthenticationResult {
    /// EMV 3DS `transStatus`: `Y` authenticated, `A` attempted, `N` not, `R` rejected, `U` unavailable.
    pub trans_status: String,
    pub electronic_commerce_indicator: Option<String>,
    pub three_ds_cryptogram: Option<String>,
    /// The directory server's `dsTransID`.
    pub transaction_id: String,
    pub three_ds_server_trans_id: String,
    pub version: String,
    pub authentication_value: Option<String>,
    pub trans_status_reason: Option<String>,
    pub cardholder_info: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateAuthenticationSession {
    pub authentication_session_id: String,
    pub status: DelegateAuthenticationStatus,
    pub action: Option<Action>,
    /// Present on `GET` once there is an outcome (`DelegateAuthenticationSessionWithResult`).
    pub authentication_result: Option<DelegatedAuthenticationResult>,
}
