//! The shopping state as buyers (and language models, and the web UI) see it: the checkout
//! session's authoritative totals, shipping options and messages, in plain fields.

use serde::Serialize;
use shared::v2026_04_17::{CheckoutSession, FulfillmentOption, Message, SessionStatus, TotalType};

use super::state::ConversationState;

/// `$12.34` (minor units of a two-decimal currency; the demo trades in US dollars).
pub fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}${}.{:02}", m / 100, m % 100)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LineView {
    pub id: String,
    pub item_id: String,
    pub title: String,
    pub quantity: u32,
    pub unit_amount: Option<i64>,
    /// Before tax.
    pub subtotal: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShippingView {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub carrier: Option<String>,
    /// The shipping charge, before tax.
    pub price: Option<i64>,
    /// The charge with its tax.
    pub total: Option<i64>,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageView {
    /// `info`, `warning` or `error`.
    pub kind: &'static str,
    pub code: Option<String>,
    pub param: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TotalView {
    pub kind: String,
    pub label: String,
    pub amount: i64,
}

/// A checkout session, for display.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckoutView {
    pub id: String,
    pub status: String,
    pub lines: Vec<LineView>,
    pub shipping: Vec<ShippingView>,
    pub totals: Vec<TotalView>,
    pub total: Option<i64>,
    pub messages: Vec<MessageView>,
}

fn message_view(m: &Message) -> MessageView {
    let (kind, code) = match m {
        Message::Info(_) => ("info", None),
        Message::Warning(w) => (
            "warning",
            serde_json::to_value(w.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned)),
        ),
        Message::Error(e) => (
            "error",
            serde_json::to_value(e.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned)),
        ),
    };
    MessageView {
        kind,
        code,
        param: m.param().map(str::to_owned),
        text: m.content().to_owned(),
    }
}

fn option_total(o: &FulfillmentOption) -> Option<i64> {
    o.totals()
        .iter()
        .find(|t| t.kind == TotalType::Total)
        .map(|t| t.amount)
}

/// The ids of the fulfillment options the session has selected.
pub fn selected_options(s: &CheckoutSession) -> Vec<&str> {
    s.selected_fulfillment_options
        .iter()
        .flatten()
        .map(|o| o.option_id.as_str())
        .collect()
}

pub fn checkout_view(s: &CheckoutSession) -> CheckoutView {
    let selected = selected_options(s);
    CheckoutView {
        id: s.id.clone(),
        status: s.status.as_str().to_owned(),
        lines: s
            .line_items
            .iter()
            .map(|l| LineView {
                id: l.id.clone(),
                item_id: l.item.id.clone(),
                title: l.name.clone().unwrap_or_else(|| l.item.id.clone()),
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                subtotal: l
                    .totals
                    .iter()
                    .find(|t| t.kind == TotalType::Subtotal)
                    .map(|t| t.amount),
            })
            .collect(),
        shipping: s
            .fulfillment_options
            .iter()
            .map(|o| {
                let (id, title, description, carrier) = match o {
                    FulfillmentOption::Shipping(x) => {
                        (&x.id, &x.title, x.description.clone(), x.carrier.clone())
                    }
                    FulfillmentOption::Digital(x) => (&x.id, &x.title, x.description.clone(), None),
                    FulfillmentOption::Pickup(x) => (&x.id, &x.title, x.description.clone(), None),
                    FulfillmentOption::LocalDelivery(x) => {
                        (&x.id, &x.title, x.description.clone(), None)
                    }
                };
                ShippingView {
                    id: id.clone(),
                    title: title.clone(),
                    description,
                    carrier,
                    price: o
                        .totals()
                        .iter()
                        .find(|t| t.kind == TotalType::Fulfillment)
                        .map(|t| t.amount),
                    total: option_total(o),
                    selected: selected.contains(&id.as_str()),
                }
            })
            .collect(),
        totals: s
            .totals
            .iter()
            .map(|t| TotalView {
                kind: serde_json::to_value(t.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: t.display_text.clone(),
                amount: t.amount,
            })
            .collect(),
        total: s.total(),
        messages: s.messages.iter().map(message_view).collect(),
    }
}

/// Whether the session can still change (not paid, canceled or expired).
pub fn is_open(s: &CheckoutSession) -> bool {
    !matches!(
        s.status,
        SessionStatus::Completed | SessionStatus::Canceled | SessionStatus::Expired
    )
}

/// The whole state as the buyer's screen shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateView {
    pub cart: Vec<CartLineView>,
    pub checkout: Option<CheckoutView>,
    pub order: Option<super::state::OrderRef>,
    pub card: Option<String>,
    /// What the agent waits for: `choice`, `option`, `details`, `card`, `authentication`.
    pub awaiting: Option<String>,
    /// The bank's page, while a 3-D Secure challenge is waiting.
    pub challenge_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CartLineView {
    pub variant_id: String,
    pub title: String,
    pub quantity: u32,
    pub feed_price: Option<i64>,
}

pub fn state_view(s: &ConversationState) -> StateView {
    use super::state::Awaiting;
    StateView {
        cart: s
            .cart
            .iter()
            .map(|l| CartLineView {
                variant_id: l.variant_id.clone(),
                title: l.title.clone(),
                quantity: l.quantity,
                feed_price: l.feed_price,
            })
            .collect(),
        checkout: s.checkout.as_ref().map(|c| checkout_view(&c.session)),
        order: s.order.clone(),
        card: s
            .payment
            .as_ref()
            .map(|p| format!("{} ending {}", p.brand, p.last4)),
        awaiting: match &s.awaiting {
            Awaiting::Nothing => None,
            Awaiting::Choice => Some("choice".into()),
            Awaiting::Option { .. } => Some("option".into()),
            Awaiting::Details => Some("details".into()),
            Awaiting::Card => Some("card".into()),
            Awaiting::Authentication => Some("authentication".into()),
        },
        challenge_url: s.payment.as_ref().and_then(|p| p.challenge_url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_is_dollars_and_cents() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(5299), "$52.99");
        assert_eq!(money(100_005), "$1000.05");
        assert_eq!(money(-250), "-$2.50");
    }
}
