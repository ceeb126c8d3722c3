//! Addresses, buyers, totals, links and the small types every other model uses.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// A postal address. `country` is ISO 3166-1 alpha-2.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line_one: String,
    pub line_two: Option<String>,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    /// In the JSON Schema only, not the OpenAPI document (upstream #297); accepted and echoed.
    pub company: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentDetails {
    pub name: Option<String>,
    /// E.164 recommended.
    pub phone_number: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Guest,
    Registered,
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationStatus {
    Authenticated,
    Guest,
    RequiresSignin,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyInfo {
    pub name: String,
    pub tax_id: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyInfo {
    pub tier: Option<String>,
    pub points_balance: Option<i64>,
    pub member_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateType {
    Resale,
    ExemptOrganization,
    Government,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxExemption {
    pub certificate_id: String,
    pub certificate_type: CertificateType,
    pub exempt_regions: Option<Vec<String>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The buyer. Only `email` is required from 2026-01-30 on.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buyer {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub email: String,
    pub phone_number: Option<String>,
    pub customer_id: Option<String>,
    pub account_type: Option<AccountType>,
    pub authentication_status: Option<AuthenticationStatus>,
    pub company: Option<CompanyInfo>,
    pub loyalty: Option<LoyaltyInfo>,
    pub tax_exemption: Option<TaxExemption>,
}

/// `Total.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalType {
    ItemsBaseAmount,
    ItemsDiscount,
    Subtotal,
    Discount,
    Fulfillment,
    Tax,
    Fee,
    GiftWrap,
    Tip,
    StoreCredit,
    Total,
    AmountRefunded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxBreakdownItem {
    pub jurisdiction: String,
    /// A fraction, e.g. `0.0875` for 8.75 %. Informational: amounts are computed in integers.
    pub rate: f64,
    pub amount: i64,
}

/// One line of a totals list. Amounts are integers in minor units.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Total {
    #[serde(rename = "type")]
    pub kind: TotalType,
    pub display_text: String,
    pub amount: i64,
    pub presentment_amount: Option<i64>,
    pub description: Option<String>,
    pub breakdown: Option<Vec<TaxBreakdownItem>>,
}

impl Total {
    pub fn new(kind: TotalType, display_text: impl Into<String>, amount: i64) -> Self {
        Self {
            kind,
            display_text: display_text.into(),
            amount,
            presentment_amount: None,
            description: None,
            breakdown: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    TermsOfUse,
    PrivacyPolicy,
    ReturnPolicy,
    ShippingPolicy,
    ContactUs,
    AboutUs,
    Faq,
    Support,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: LinkType,
    pub title: Option<String>,
    pub url: String,
}

/// `plain` or CommonMark 0.31.2 without raw HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Plain,
    Markdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolVersion {
    pub version: String,
}
