//! The order a completed checkout session becomes: the merchant's record of what was bought,
//! for how much, going where.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::party::Address;
use super::pricing::Totals;
use super::session::{Session, contact_email};
use super::shipping::{OptionKind, Quote};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Created,
    Confirmed,
    Processing,
    Shipped,
    Completed,
    Canceled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The checkout line item id it came from.
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    pub digital: bool,
    pub ordered: u32,
    /// Still part of the order (less than ordered once items are canceled).
    pub current: u32,
    pub fulfilled: u32,
    pub unit_price: i64,
    pub subtotal: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub intent_id: String,
    pub brand: String,
    pub last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    /// What a buyer quotes to support, e.g. `ADO-7K2M9Q4X`.
    pub number: String,
    pub session_id: String,
    pub agent: String,
    pub status: OrderStatus,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub email: Option<String>,
    pub ship_to: Option<Address>,
    /// The shipping option chosen, with its delivery window.
    pub shipping: Option<Quote>,
    pub payment: PaymentRecord,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The order of a session whose payment succeeded.
pub fn from_session(
    session: &Session,
    id: String,
    payment: PaymentRecord,
    now: DateTime<Utc>,
) -> Order {
    let number = format!(
        "ADO-{}",
        id.trim_start_matches("ord_")
            .chars()
            .take(8)
            .collect::<String>()
            .to_uppercase()
    );
    let shipping = session
        .quotes
        .iter()
        .find(|q| q.kind == OptionKind::Shipping && session.selections.values().any(|o| o == &q.id))
        .cloned();
    Order {
        id,
        number,
        session_id: session.id.clone(),
        agent: session.agent.clone(),
        status: OrderStatus::Created,
        currency: session.currency.clone(),
        lines: session
            .lines
            .iter()
            .map(|l| OrderLine {
                id: l.id.clone(),
                variant_id: l.variant_id.clone(),
                product_id: l.snapshot.product_id.clone(),
                title: l.snapshot.display_name(),
                digital: l.snapshot.digital,
                ordered: l.quantity,
                current: l.quantity,
                fulfilled: 0,
                unit_price: l.price.unit_price,
                subtotal: l.price.subtotal,
            })
            .collect(),
        totals: session.totals.clone(),
        email: contact_email(session).map(str::to_owned),
        ship_to: session.fulfillment.as_ref().and_then(|f| f.address.clone()),
        shipping,
        payment,
        notes: session.order_notes.clone(),
        created_at: now,
        updated_at: now,
    }
}
