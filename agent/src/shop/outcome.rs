//! What an operation did, in fields: the built-in engine turns it into sentences, the LLM
//! engine hands it to the model as the tool's result.

use serde::Serialize;

use super::state::OrderRef;
use super::view::{CheckoutView, MessageView, money};
use crate::search::{Hit, ShopperQuery};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Search results, numbered as shown.
    Results {
        understood: Understood,
        results: Vec<Shown>,
        /// Nothing matched the colour or size asked for; these are the closest.
        relaxed: bool,
    },
    NoResults {
        understood: Understood,
    },
    /// A product is chosen and its variant settled.
    Chosen {
        title: String,
        variant_id: String,
        price: Option<i64>,
        available: bool,
        quantity: u32,
    },
    /// A product is chosen; one of its options must still be picked.
    NeedsOption {
        product_title: String,
        option: String,
        values: Vec<OptionValue>,
    },
    /// The variant asked for exists but is not available.
    Unavailable {
        title: String,
        /// Values of the same option that are available.
        instead: Vec<String>,
    },
    /// The words did not point at one of the results or options.
    NotFound {
        what: String,
    },
    Quantity {
        title: String,
        quantity: u32,
    },
    /// Where the checkout stands after a change.
    Checkout(Box<CheckoutStep>),
    /// Paid: the merchant created the order.
    Ordered {
        order: OrderRef,
        card: String,
    },
    /// The card was declined; the buyer can try another.
    Declined {
        reason: String,
    },
    /// The buyer's bank wants them to confirm, at this page.
    Challenge {
        url: String,
    },
    /// Still waiting for the buyer at the bank's page.
    ChallengeWaiting {
        url: String,
    },
    /// A card is needed to pay this total.
    CardNeeded {
        total: Option<i64>,
    },
    /// The card typed was not usable (before anything was sent).
    CardRefused {
        reason: String,
    },
    Canceled,
    NothingToCancel,
    /// Orders are not canceled through the agent; the merchant's support can.
    OrderNotCancelable {
        number: String,
        permalink_url: String,
    },
    OrderStatus {
        number: String,
        status: String,
        summary: String,
        permalink_url: String,
    },
    NoOrder,
    /// Something the buyer must fix or that could not be done, said plainly.
    Problem {
        message: String,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Understood {
    pub words: Vec<String>,
    pub max_price: Option<String>,
    pub min_price: Option<String>,
    pub in_stock: bool,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    pub brands: Vec<String>,
}

impl From<&ShopperQuery> for Understood {
    fn from(q: &ShopperQuery) -> Self {
        Self {
            words: q.terms.clone(),
            max_price: q.max_price.map(money),
            min_price: q.min_price.map(money),
            in_stock: q.in_stock,
            colors: q.colors.clone(),
            sizes: q.sizes.clone(),
            brands: q.brands.clone(),
        }
    }
}

/// A result as shown to the buyer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shown {
    pub number: usize,
    pub title: String,
    pub brand: Option<String>,
    /// The feed's price: checkout confirms it.
    pub price: Option<i64>,
    pub list_price: Option<i64>,
    pub available: bool,
    pub status: Option<String>,
    /// This variant's options.
    pub options: Vec<NamedValue>,
    /// What else the product comes in: each option's values.
    pub choices: Vec<NamedValues>,
    pub image_url: Option<String>,
    pub url: Option<String>,
    pub variant_id: String,
}

impl Shown {
    pub fn new(number: usize, h: &Hit) -> Self {
        Self {
            number,
            title: h.product_title.clone(),
            brand: h.brand.clone(),
            price: h.price,
            list_price: h.list_price,
            available: h.available,
            status: h.status.clone(),
            options: h
                .options
                .iter()
                .map(|(name, value)| NamedValue {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            choices: h
                .choices
                .iter()
                .map(|(name, values)| NamedValues {
                    name: name.clone(),
                    values: values.clone(),
                })
                .collect(),
            image_url: h.image_url.clone(),
            url: h.url.clone(),
            variant_id: h.variant_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NamedValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NamedValues {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OptionValue {
    pub value: String,
    pub available: bool,
    pub price: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriceChange {
    pub title: String,
    pub feed_price: i64,
    pub checkout_price: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckoutStep {
    pub checkout: CheckoutView,
    pub ready: bool,
    /// What checkout still needs from the buyer: `address`, `email`, `shipping`, …
    pub missing: Vec<String>,
    /// The merchant's messages that need attention (errors and warnings).
    pub problems: Vec<MessageView>,
    pub price_changes: Vec<PriceChange>,
}
