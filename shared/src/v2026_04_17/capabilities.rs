//! Capability negotiation and payment handlers.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

open_enum! {
    /// Intervention kinds. Open: "implementations MUST ignore unknown capability values", so an
    /// agent declaring a newer kind must not make its request fail.
    pub enum InterventionType {
        ThreeDs => "3ds",
        Biometric => "biometric",
        AddressVerification => "address_verification",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    Always,
    Conditional,
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayContext {
    Native,
    Webview,
    Modal,
    Redirect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectContext {
    InApp,
    ExternalBrowser,
    None,
}

/// In a request: what the agent can do. In a response: the negotiated intersection plus the
/// seller's `required` and `enforcement`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterventionCapabilities {
    pub supported: Option<Vec<InterventionType>>,
    pub required: Option<Vec<InterventionType>>,
    pub enforcement: Option<Enforcement>,
    pub display_context: Option<DisplayContext>,
    pub redirect_context: Option<RedirectContext>,
    pub max_redirects: Option<u32>,
    pub max_interaction_depth: Option<u32>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDeclaration {
    pub name: String,
    pub extends: Option<Vec<String>>,
    pub schema: Option<String>,
    pub spec: Option<String>,
}

/// Requests list extension names; responses list declarations of the active ones.
///
/// An empty array matches both branches of the schema's `oneOf` and so fails validation:
/// leave the field out instead of sending `[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Extensions {
    Names(Vec<String>),
    Declarations(Vec<ExtensionDeclaration>),
}

/// A payment handler the seller accepts (e.g. `dev.acp.tokenized.card`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentHandler {
    /// Seller-defined instance id, referenced by `payment_data.handler_id`.
    pub id: String,
    /// Reverse-DNS name of the handler specification.
    pub name: String,
    pub display_name: Option<String>,
    /// `YYYY-MM-DD` version of the handler specification.
    pub version: String,
    pub spec: String,
    pub requires_delegate_payment: bool,
    pub requires_pci_compliance: bool,
    pub psp: String,
    pub config_schema: String,
    pub instrument_schemas: Vec<String>,
    /// Handler-specific; for tokenized cards it carries the `merchant_id` a token must be bound to.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Lower is preferred (JSON Schema only).
    pub display_order: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub handlers: Vec<PaymentHandler>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub payment: Option<Payment>,
    pub interventions: Option<InterventionCapabilities>,
    pub extensions: Option<Extensions>,
}
