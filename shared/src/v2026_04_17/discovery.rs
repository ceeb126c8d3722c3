//! `GET /.well-known/acp.json`: public, cacheable, seller-wide; never merchant ids.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::capabilities::InterventionType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Rest,
    Mcp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Checkout,
    Orders,
    DelegatePayment,
    Carts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolName {
    Acp,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryProtocol {
    pub name: ProtocolName,
    /// The latest version served.
    pub version: String,
    /// Oldest first; the last one equals `version`.
    pub supported_versions: Vec<String>,
    pub documentation_url: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryExtension {
    pub name: String,
    pub spec: Option<String>,
    pub schema: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryCapabilities {
    pub services: Vec<Service>,
    pub extensions: Option<Vec<DiscoveryExtension>>,
    pub intervention_types: Option<Vec<InterventionType>>,
    pub supported_currencies: Option<Vec<String>>,
    pub supported_locales: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryResponse {
    pub protocol: DiscoveryProtocol,
    pub api_base_url: String,
    pub transports: Vec<Transport>,
    pub capabilities: DiscoveryCapabilities,
}
