//! Items as requested and line items as priced by the seller.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{ContentType, Total};

/// An item in a create or update request.
///
/// The schema gives it no `quantity` (upstream issue #264); a buyer wanting three units lists the
/// same id three times. `name` and `unit_amount` are the agent's view, never authoritative.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub name: Option<String>,
    pub unit_amount: Option<i64>,
}

impl Item {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            unit_amount: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantOption {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightUnit {
    G,
    Kg,
    Oz,
    Lb,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightInfo {
    pub value: f64,
    pub unit: WeightUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionUnit {
    Cm,
    In,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionsInfo {
    pub length: f64,
    pub width: f64,
    pub height: f64,
    pub unit: DimensionUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountType {
    Percentage,
    Fixed,
    Bogo,
    Volume,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountSource {
    Coupon,
    Automatic,
    Loyalty,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountDetail {
    pub code: Option<String>,
    #[serde(rename = "type")]
    pub kind: DiscountType,
    pub amount: i64,
    pub description: Option<String>,
    pub source: Option<DiscountSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureType {
    Disclaimer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    #[serde(rename = "type")]
    pub kind: DisclosureType,
    pub content_type: ContentType,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAttribute {
    pub display_name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketplaceSellerDetails {
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityStatus {
    InStock,
    LowStock,
    OutOfStock,
    Backorder,
    PreOrder,
}

/// A priced line of the seller's authoritative cart.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub id: String,
    pub item: Item,
    pub quantity: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    pub images: Option<Vec<String>>,
    pub unit_amount: Option<i64>,
    pub disclosures: Option<Vec<Disclosure>>,
    pub custom_attributes: Option<Vec<CustomAttribute>>,
    pub marketplace_seller_details: Option<MarketplaceSellerDetails>,
    pub product_id: Option<String>,
    pub sku: Option<String>,
    pub variant_id: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub weight: Option<WeightInfo>,
    pub dimensions: Option<DimensionsInfo>,
    pub availability_status: Option<AvailabilityStatus>,
    pub available_quantity: Option<u32>,
    pub max_quantity_per_order: Option<u32>,
    pub fulfillable_on: Option<chrono::DateTime<chrono::Utc>>,
    pub variant_options: Option<Vec<VariantOption>>,
    pub discount_details: Option<Vec<DiscountDetail>>,
    pub tax_exempt: Option<bool>,
    pub tax_exemption_reason: Option<String>,
    pub parent_id: Option<String>,
    pub totals: Vec<Total>,
}
