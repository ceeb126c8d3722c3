//! What the agent remembers of one buyer's shopping, persisted as the conversation's `state`
//! document. Card numbers and CVCs never get here: only a card's brand and last four digits.

use serde::{Deserialize, Serialize};
use shared::v2026_04_17::{Address, CheckoutSession};

use crate::search::{Hit, ShopperQuery};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The results last shown, in the order shown ("the second one").
    #[serde(default)]
    pub results: Vec<Hit>,
    /// The search they answer, for the colour or size it asked for.
    #[serde(default)]
    pub last_query: Option<ShopperQuery>,
    /// The product being talked about, and the variant once one is settled.
    #[serde(default)]
    pub focus: Option<Focus>,
    /// What goes to checkout.
    #[serde(default)]
    pub cart: Vec<CartLine>,
    #[serde(default)]
    pub buyer: BuyerDetails,
    #[serde(default)]
    pub address: Option<Address>,
    /// A shipping speed the buyer asked for before the options were known.
    #[serde(default)]
    pub shipping_wish: Option<String>,
    #[serde(default)]
    pub checkout: Option<Checkout>,
    /// A mutating call whose answer was not received: retried with the same key.
    #[serde(default)]
    pub pending: Option<Pending>,
    #[serde(default)]
    pub payment: Option<Payment>,
    #[serde(default)]
    pub order: Option<OrderRef>,
    /// What the agent asked for last, so a short answer ("10", "yes") is understood.
    #[serde(default)]
    pub awaiting: Awaiting,
    /// Numbers idempotency keys: each new intent takes the next.
    #[serde(default)]
    pub intents: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    pub hit: Hit,
    /// Option values chosen so far, e.g. `("Color", "Blue")`.
    #[serde(default)]
    pub chosen: Vec<(String, String)>,
    /// Set once the variant is settled (the product has one, or the buyer chose).
    pub variant_id: Option<String>,
    /// The variant's title and feed price, once settled.
    #[serde(default)]
    pub variant_title: Option<String>,
    #[serde(default)]
    pub variant_price: Option<i64>,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub merchant_id: String,
    pub variant_id: String,
    pub title: String,
    pub quantity: u32,
    /// What the feed said, to tell the buyer when checkout says otherwise.
    pub feed_price: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerDetails {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl BuyerDetails {
    pub fn full_name(&self) -> Option<String> {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.clone()),
            _ => None,
        }
    }
}

/// The checkout session at the merchant, as last answered (the merchant is the authority).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    pub merchant_id: String,
    pub session: CheckoutSession,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// What the call does, e.g. `create`, `update`, `complete`, `delegate`.
    pub op: String,
    pub key: String,
    /// A digest of the request, so the key is reused only for the very same request.
    pub fingerprint: String,
}

/// The card used for the checkout in progress: never more than this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub brand: String,
    pub last4: String,
    /// A 3-D Secure authentication under way at the PSP.
    pub authentication_id: Option<String>,
    /// Where the buyer confirms with their bank, when a challenge is needed.
    pub challenge_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    pub merchant_id: String,
    pub id: String,
    pub number: Option<String>,
    pub checkout_session_id: String,
    pub permalink_url: String,
    pub status: String,
    pub total: Option<i64>,
}

/// What the agent is waiting for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Awaiting {
    #[default]
    Nothing,
    /// A choice among the results shown.
    Choice,
    /// A value of this option of the focused product (e.g. `Size`).
    Option { name: String },
    /// Whatever checkout still needs (address, e-mail…).
    Details,
    /// A card, to pay the session's total.
    Card,
    /// The buyer confirming with their bank at the challenge page.
    Authentication,
}
