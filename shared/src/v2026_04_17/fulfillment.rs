//! Fulfillment options offered by the seller and the buyer's selections.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::{Address, FulfillmentDetails, Total};

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub carrier: Option<String>,
    pub earliest_delivery_time: Option<DateTime<Utc>>,
    pub latest_delivery_time: Option<DateTime<Utc>>,
    pub totals: Vec<Total>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitalOption {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub totals: Vec<Total>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupLocation {
    pub name: String,
    pub address: Address,
    pub phone: Option<String>,
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickupType {
    InStore,
    Curbside,
    Locker,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupOption {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub location: PickupLocation,
    pub pickup_type: Option<PickupType>,
    pub ready_by: Option<DateTime<Utc>>,
    pub pickup_by: Option<DateTime<Utc>>,
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceArea {
    pub radius_miles: Option<f64>,
    pub center_postal_code: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalDeliveryOption {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub delivery_window: Option<DeliveryWindow>,
    pub service_area: Option<ServiceArea>,
    pub totals: Vec<Total>,
}

/// One of the ways the seller can fulfil some of the line items, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FulfillmentOption {
    Shipping(ShippingOption),
    Digital(DigitalOption),
    // Boxed: a pickup location with its address is several times larger than the others.
    Pickup(Box<PickupOption>),
    LocalDelivery(LocalDeliveryOption),
}

impl FulfillmentOption {
    pub fn id(&self) -> &str {
        match self {
            Self::Shipping(o) => &o.id,
            Self::Digital(o) => &o.id,
            Self::Pickup(o) => &o.id,
            Self::LocalDelivery(o) => &o.id,
        }
    }

    pub fn kind(&self) -> FulfillmentType {
        match self {
            Self::Shipping(_) => FulfillmentType::Shipping,
            Self::Digital(_) => FulfillmentType::Digital,
            Self::Pickup(_) => FulfillmentType::Pickup,
            Self::LocalDelivery(_) => FulfillmentType::LocalDelivery,
        }
    }

    pub fn totals(&self) -> &[Total] {
        match self {
            Self::Shipping(o) => &o.totals,
            Self::Digital(o) => &o.totals,
            Self::Pickup(o) => &o.totals,
            Self::LocalDelivery(o) => &o.totals,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentType {
    Shipping,
    Digital,
    Pickup,
    LocalDelivery,
}

/// Which option fulfils which items. `item_ids` are line item ids in this implementation's
/// responses; item ids are accepted on input too (the upstream examples use both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectedFulfillmentOption {
    #[serde(rename = "type")]
    pub kind: FulfillmentType,
    pub option_id: String,
    pub item_ids: Vec<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentGroup {
    pub id: String,
    pub item_ids: Vec<String>,
    pub destination_type: FulfillmentType,
    pub fulfillment_details: Option<FulfillmentDetails>,
    pub location_id: Option<String>,
    pub instructions: Option<String>,
}
