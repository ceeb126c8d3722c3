//! The order a completed checkout session becomes: the merchant's record of what was bought,
//! for how much, going where, and everything that happened to it since.
//!
//! ```text
//! created ─ confirm ─▶ confirmed ─ process ─▶ processing ─ ship ─▶ shipped ─ deliver ─▶ completed
//!    │                    │                       │  ▲ ship (part)                        ▲
//!    └────────────────────┴──── cancel ───────────┴──┴─▶ canceled                        │
//!  digital goods are delivered on confirm; an order with nothing to ship completes there ─┘
//! ```
//!
//! Refunds can be made at any point after payment, up to what was charged: each is an
//! adjustment that is `pending` until the PSP answers, then `completed` or `failed`.

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

/// Units of one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineQty {
    pub id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentKind {
    Shipping,
    Digital,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    Shipped,
    Delivered,
}

impl FulfillmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FulfillmentStatus::Shipped => "shipped",
            FulfillmentStatus::Delivered => "delivered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfillmentEvent {
    pub id: String,
    /// `shipped`, `delivered` (the spec's `FulfillmentEvent.type`).
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalDelivery {
    pub access_url: String,
    pub license_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfillment {
    pub id: String,
    pub kind: FulfillmentKind,
    pub status: FulfillmentStatus,
    pub lines: Vec<LineQty>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub digital: Option<DigitalDelivery>,
    pub description: Option<String>,
    pub events: Vec<FulfillmentEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    Refund,
    Cancellation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub id: String,
    pub kind: AdjustmentKind,
    pub status: AdjustmentStatus,
    /// Tax-inclusive, minor units (refunds only).
    pub amount: Option<i64>,
    pub lines: Vec<LineQty>,
    pub reason: Option<String>,
    pub description: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The PSP's refund, once it answered.
    pub psp_refund_id: Option<String>,
    /// The operator request (idempotency key) that asked for it, so that a retry of that
    /// request finishes this refund instead of making another.
    #[serde(default)]
    pub request_key: Option<String>,
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
    #[serde(default)]
    pub fulfillments: Vec<Fulfillment>,
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
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
        fulfillments: Vec::new(),
        adjustments: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

/// Why an operator action cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("a {status} order cannot be {action}")]
    NotNow {
        status: &'static str,
        action: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("at most {refundable} can be refunded on this order")]
    TooMuch { refundable: i64 },
}

/// Shipping details from the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipInput {
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    /// Which units go in this parcel; all that are left when absent.
    pub line_items: Option<Vec<LineQty>>,
}

/// A refund to make at the PSP, as written into the order (`pending`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub adjustment_id: String,
    pub amount: i64,
}

/// What the PSP said about a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded { psp_refund_id: String },
    Failed { reason: String },
}

/// New ids for what an action creates (`ful_…`, `adj_…`, `fev_…`).
pub trait Ids {
    fn next(&mut self, prefix: &str) -> String;
}

impl<F: FnMut(&str) -> String> Ids for F {
    fn next(&mut self, prefix: &str) -> String {
        self(prefix)
    }
}

impl Order {
    /// What the buyer paid.
    pub fn charged(&self) -> i64 {
        self.totals.total
    }

    fn refunds(&self, status: AdjustmentStatus) -> i64 {
        self.adjustments
            .iter()
            .filter(|a| a.kind == AdjustmentKind::Refund && a.status == status)
            .filter_map(|a| a.amount)
            .sum()
    }

    /// Completed refunds (the spec's `amount_refunded`).
    pub fn refunded(&self) -> i64 {
        self.refunds(AdjustmentStatus::Completed)
    }

    /// What may still be refunded: charged, less refunds completed or under way.
    pub fn refundable(&self) -> i64 {
        self.charged() - self.refunded() - self.refunds(AdjustmentStatus::Pending)
    }

    /// The pending refund a request asked for, if it is still waiting for the PSP.
    pub fn pending_refund_for(&self, request_key: &str) -> Option<RefundRequest> {
        self.adjustments
            .iter()
            .find(|a| {
                a.kind == AdjustmentKind::Refund
                    && a.status == AdjustmentStatus::Pending
                    && a.request_key.as_deref() == Some(request_key)
            })
            .map(|a| RefundRequest {
                adjustment_id: a.id.clone(),
                amount: a.amount.unwrap_or(0),
            })
    }

    /// Refunds written but not yet answered by the PSP.
    pub fn pending_refunds(&self) -> Vec<RefundRequest> {
        self.adjustments
            .iter()
            .filter(|a| a.kind == AdjustmentKind::Refund && a.status == AdjustmentStatus::Pending)
            .map(|a| RefundRequest {
                adjustment_id: a.id.clone(),
                amount: a.amount.unwrap_or(0),
            })
            .collect()
    }

    fn physical_left_to_ship(&self) -> u32 {
        self.lines
            .iter()
            .filter(|l| !l.digital)
            .map(|l| l.current - l.fulfilled)
            .sum()
    }

    fn has_physical(&self) -> bool {
        self.lines.iter().any(|l| !l.digital && l.current > 0)
    }

    fn not_now(&self, action: &'static str) -> OrderError {
        OrderError::NotNow {
            status: self.status.as_str(),
            action,
        }
    }
}

fn event(
    ids: &mut impl Ids,
    kind: &str,
    description: Option<String>,
    now: DateTime<Utc>,
) -> FulfillmentEvent {
    FulfillmentEvent {
        id: ids.next("fev_"),
        kind: kind.to_owned(),
        occurred_at: now,
        description,
    }
}

/// A licence key shaped `XXXX-XXXX-XXXX-XXXX` from a random id.
fn licence_key(random: &str) -> String {
    let chars: Vec<char> = random
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(16)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The operator accepts the order. Digital goods are delivered at once (a download link and a
/// licence key); an order of nothing but digital goods is then complete.
pub fn confirm(
    o: &mut Order,
    ids: &mut impl Ids,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    if o.status != OrderStatus::Created {
        return Err(o.not_now("confirmed"));
    }
    o.status = OrderStatus::Confirmed;
    let digital: Vec<LineQty> = o
        .lines
        .iter()
        .filter(|l| l.digital && l.current > l.fulfilled)
        .map(|l| LineQty {
            id: l.id.clone(),
            quantity: l.current - l.fulfilled,
        })
        .collect();
    if !digital.is_empty() {
        let id = ids.next("ful_");
        let licence = licence_key(&ids.next("lic_")["lic_".len()..]);
        for l in o.lines.iter_mut().filter(|l| l.digital) {
            l.fulfilled = l.current;
        }
        o.fulfillments.push(Fulfillment {
            id: id.clone(),
            kind: FulfillmentKind::Digital,
            status: FulfillmentStatus::Delivered,
            lines: digital,
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            digital: Some(DigitalDelivery {
                access_url: format!("{base_url}/orders/{}/downloads/{id}", o.id),
                license_key: licence,
            }),
            description: Some("Download link and licence key sent by e-mail".into()),
            events: vec![event(ids, "delivered", None, now)],
        });
    }
    if !o.has_physical() {
        o.status = OrderStatus::Completed;
    }
    o.updated_at = now;
    Ok(())
}

/// The warehouse starts picking and packing.
pub fn start_processing(o: &mut Order, now: DateTime<Utc>) -> Result<(), OrderError> {
    if o.status != OrderStatus::Confirmed {
        return Err(o.not_now("processed"));
    }
    o.status = OrderStatus::Processing;
    o.updated_at = now;
    Ok(())
}

/// A parcel leaves: all the physical units still to ship, or those named. The order is
/// `shipped` once nothing is left to ship, `processing` while some is.
pub fn ship(
    o: &mut Order,
    input: ShipInput,
    ids: &mut impl Ids,
    now: DateTime<Utc>,
) -> Result<String, OrderError> {
    if !matches!(
        o.status,
        OrderStatus::Created | OrderStatus::Confirmed | OrderStatus::Processing
    ) {
        return Err(o.not_now("shipped"));
    }
    if input.carrier.trim().is_empty() || input.tracking_number.trim().is_empty() {
        return Err(OrderError::Invalid(
            "a carrier and a tracking number are needed".into(),
        ));
    }
    let parcel: Vec<LineQty> = match input.line_items {
        Some(wanted) => wanted,
        None => o
            .lines
            .iter()
            .filter(|l| !l.digital && l.current > l.fulfilled)
            .map(|l| LineQty {
                id: l.id.clone(),
                quantity: l.current - l.fulfilled,
            })
            .collect(),
    };
    if parcel.is_empty() || parcel.iter().any(|p| p.quantity == 0) {
        return Err(OrderError::Invalid("nothing to ship".into()));
    }
    for p in &parcel {
        let line = o
            .lines
            .iter()
            .find(|l| l.id == p.id && !l.digital)
            .ok_or_else(|| {
                OrderError::Invalid(format!("{} is not a physical line of this order", p.id))
            })?;
        if p.quantity > line.current - line.fulfilled {
            return Err(OrderError::Invalid(format!(
                "{} has only {} units left to ship",
                p.id,
                line.current - line.fulfilled
            )));
        }
    }
    for p in &parcel {
        if let Some(l) = o.lines.iter_mut().find(|l| l.id == p.id) {
            l.fulfilled += p.quantity;
        }
    }
    let id = ids.next("ful_");
    let carrier = input.carrier.trim().to_owned();
    let tracking = input.tracking_number.trim().to_owned();
    o.fulfillments.push(Fulfillment {
        id: id.clone(),
        kind: FulfillmentKind::Shipping,
        status: FulfillmentStatus::Shipped,
        lines: parcel,
        tracking_url: input
            .tracking_url
            .or_else(|| tracking_url(&carrier, &tracking)),
        carrier: Some(carrier),
        tracking_number: Some(tracking),
        digital: None,
        description: None,
        events: vec![event(ids, "shipped", None, now)],
    });
    o.status = if o.physical_left_to_ship() == 0 {
        OrderStatus::Shipped
    } else {
        OrderStatus::Processing
    };
    o.updated_at = now;
    Ok(id)
}

/// The public tracking page of the big carriers.
pub fn tracking_url(carrier: &str, number: &str) -> Option<String> {
    match carrier.to_ascii_lowercase().as_str() {
        "usps" => Some(format!(
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"
        )),
        "ups" => Some(format!("https://www.ups.com/track?tracknum={number}")),
        "fedex" => Some(format!("https://www.fedex.com/fedextrack/?trknbr={number}")),
        _ => None,
    }
}

/// A parcel arrives (the one named, or every one in transit). The order is complete when
/// everything has been shipped and has arrived.
pub fn deliver(
    o: &mut Order,
    fulfillment_id: Option<&str>,
    ids: &mut impl Ids,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    if !matches!(o.status, OrderStatus::Processing | OrderStatus::Shipped) {
        return Err(o.not_now("delivered"));
    }
    let mut delivered = 0;
    for f in o.fulfillments.iter_mut().filter(|f| {
        f.kind == FulfillmentKind::Shipping
            && f.status == FulfillmentStatus::Shipped
            && fulfillment_id.is_none_or(|id| f.id == id)
    }) {
        f.status = FulfillmentStatus::Delivered;
        f.events.push(event(ids, "delivered", None, now));
        delivered += 1;
    }
    if delivered == 0 {
        return Err(OrderError::Invalid(match fulfillment_id {
            Some(id) => format!("{id} is not a parcel in transit"),
            None => "no parcel is in transit".into(),
        }));
    }
    let all_arrived = o
        .fulfillments
        .iter()
        .all(|f| f.status == FulfillmentStatus::Delivered);
    if o.physical_left_to_ship() == 0 && all_arrived {
        o.status = OrderStatus::Completed;
    }
    o.updated_at = now;
    Ok(())
}

/// What a cancellation leaves to do: units to put back on the shelf, and the refund to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canceled {
    pub restock: Vec<(String, i64)>,
    pub refund: Option<RefundRequest>,
}

/// The order is called off before anything has left: every line goes to zero, a cancellation
/// is recorded, and whatever is still refundable is refunded.
pub fn cancel(
    o: &mut Order,
    reason: Option<String>,
    request_key: Option<String>,
    ids: &mut impl Ids,
    now: DateTime<Utc>,
) -> Result<Canceled, OrderError> {
    if matches!(
        o.status,
        OrderStatus::Canceled | OrderStatus::Completed | OrderStatus::Shipped
    ) || !o.fulfillments.is_empty()
    {
        return Err(o.not_now("canceled"));
    }
    let restock: Vec<(String, i64)> = o
        .lines
        .iter()
        .filter(|l| !l.digital && l.current > 0)
        .map(|l| (l.variant_id.clone(), i64::from(l.current)))
        .collect();
    let lines: Vec<LineQty> = o
        .lines
        .iter()
        .filter(|l| l.current > 0)
        .map(|l| LineQty {
            id: l.id.clone(),
            quantity: l.current,
        })
        .collect();
    for l in &mut o.lines {
        l.current = 0;
    }
    o.status = OrderStatus::Canceled;
    o.adjustments.push(Adjustment {
        id: ids.next("adj_"),
        kind: AdjustmentKind::Cancellation,
        status: AdjustmentStatus::Completed,
        amount: None,
        lines: lines.clone(),
        reason: reason.clone(),
        description: Some("Order canceled before shipping".into()),
        occurred_at: now,
        psp_refund_id: None,
        request_key: None,
    });
    let refund = (o.refundable() > 0).then(|| {
        let r = NewRefund {
            amount: o.refundable(),
            lines,
            reason,
            description: Some("Refund of the canceled order".into()),
            request_key,
        };
        add_refund(o, r, ids, now)
    });
    o.updated_at = now;
    Ok(Canceled { restock, refund })
}

/// What a refund is and who asked for it.
struct NewRefund {
    amount: i64,
    lines: Vec<LineQty>,
    reason: Option<String>,
    description: Option<String>,
    request_key: Option<String>,
}

fn add_refund(
    o: &mut Order,
    r: NewRefund,
    ids: &mut impl Ids,
    now: DateTime<Utc>,
) -> RefundRequest {
    let NewRefund {
        amount,
        lines,
        reason,
        description,
        request_key,
    } = r;
    let id = ids.next("adj_");
    o.adjustments.push(Adjustment {
        id: id.clone(),
        kind: AdjustmentKind::Refund,
        status: AdjustmentStatus::Pending,
        amount: Some(amount),
        lines,
        reason,
        description,
        occurred_at: now,
        psp_refund_id: None,
        request_key,
    });
    RefundRequest {
        adjustment_id: id,
        amount,
    }
}

/// The operator refunds `amount` (everything refundable when absent), optionally naming the
/// lines it is for. It is `pending` until the PSP answers.
pub fn refund(
    o: &mut Order,
    amount: Option<i64>,
    lines: Vec<LineQty>,
    reason: Option<String>,
    request_key: Option<String>,
    ids: &mut impl Ids,
    now: DateTime<Utc>,
) -> Result<RefundRequest, OrderError> {
    let refundable = o.refundable();
    let amount = amount.unwrap_or(refundable);
    if amount <= 0 {
        return Err(if refundable == 0 {
            OrderError::TooMuch { refundable }
        } else {
            OrderError::Invalid("a refund must be positive".into())
        });
    }
    if amount > refundable {
        return Err(OrderError::TooMuch { refundable });
    }
    for l in &lines {
        if !o
            .lines
            .iter()
            .any(|ol| ol.id == l.id && l.quantity <= ol.ordered)
        {
            return Err(OrderError::Invalid(format!(
                "{} is not a line of this order with {} units",
                l.id, l.quantity
            )));
        }
    }
    let r = NewRefund {
        amount,
        lines,
        reason,
        description: None,
        request_key,
    };
    let r = add_refund(o, r, ids, now);
    o.updated_at = now;
    Ok(r)
}

/// Writes the PSP's answer into the refund. `false` if it was no longer pending (answered
/// already: nothing to do).
pub fn settle_refund(
    o: &mut Order,
    adjustment_id: &str,
    outcome: RefundOutcome,
    now: DateTime<Utc>,
) -> bool {
    let Some(a) = o
        .adjustments
        .iter_mut()
        .find(|a| a.id == adjustment_id && a.status == AdjustmentStatus::Pending)
    else {
        return false;
    };
    match outcome {
        RefundOutcome::Succeeded { psp_refund_id } => {
            a.status = AdjustmentStatus::Completed;
            a.psp_refund_id = Some(psp_refund_id);
        }
        RefundOutcome::Failed { reason } => {
            a.status = AdjustmentStatus::Failed;
            a.description = Some(format!("The refund failed: {reason}"));
        }
    }
    o.updated_at = now;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pricing::Totals;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_446_000, 0).expect("valid")
    }

    fn line(id: &str, qty: u32, digital: bool) -> OrderLine {
        OrderLine {
            id: id.into(),
            variant_id: format!("v-{id}"),
            product_id: format!("p-{id}"),
            title: id.into(),
            digital,
            ordered: qty,
            current: qty,
            fulfilled: 0,
            unit_price: 1_000,
            subtotal: 1_000 * i64::from(qty),
        }
    }

    fn order(lines: Vec<OrderLine>) -> Order {
        Order {
            id: "ord_1".into(),
            number: "ADO-1".into(),
            session_id: "cs_1".into(),
            agent: "a".into(),
            status: OrderStatus::Created,
            currency: "usd".into(),
            lines,
            totals: Totals {
                items_base: 3_000,
                items_discount: 0,
                subtotal: 3_000,
                fulfillment: Some(500),
                tax: None,
                total: 3_500,
            },
            email: None,
            ship_to: None,
            shipping: None,
            payment: PaymentRecord {
                intent_id: "pi_1".into(),
                brand: "visa".into(),
                last4: "4242".into(),
            },
            notes: None,
            fulfillments: Vec::new(),
            adjustments: Vec::new(),
            created_at: now(),
            updated_at: now(),
        }
    }

    fn ids() -> impl FnMut(&str) -> String {
        let mut n = 0;
        move |prefix: &str| {
            n += 1;
            format!("{prefix}{n:016}")
        }
    }

    fn ship_all(carrier: &str) -> ShipInput {
        ShipInput {
            carrier: carrier.into(),
            tracking_number: "T1".into(),
            tracking_url: None,
            line_items: None,
        }
    }

    #[test]
    fn the_happy_path_and_nothing_out_of_turn() {
        let mut o = order(vec![line("a", 2, false)]);
        let mut ids = ids();
        assert!(matches!(
            deliver(&mut o, None, &mut ids, now()),
            Err(OrderError::NotNow { .. })
        ));
        confirm(&mut o, &mut ids, "http://shop", now()).expect("confirm");
        assert_eq!(
            confirm(&mut o, &mut ids, "http://shop", now()),
            Err(OrderError::NotNow {
                status: "confirmed",
                action: "confirmed"
            })
        );
        start_processing(&mut o, now()).expect("process");
        ship(&mut o, ship_all("UPS"), &mut ids, now()).expect("ship");
        assert_eq!(o.status, OrderStatus::Shipped);
        assert_eq!(o.lines[0].fulfilled, 2);
        assert_eq!(
            o.fulfillments[0].tracking_url.as_deref(),
            Some("https://www.ups.com/track?tracknum=T1")
        );
        deliver(&mut o, None, &mut ids, now()).expect("deliver");
        assert_eq!(o.status, OrderStatus::Completed);
        assert_eq!(o.fulfillments[0].events.len(), 2);
    }

    #[test]
    fn partial_parcels_keep_the_order_processing_until_the_last() {
        let mut o = order(vec![line("a", 2, false), line("b", 1, false)]);
        let mut ids = ids();
        let first = ShipInput {
            line_items: Some(vec![LineQty {
                id: "a".into(),
                quantity: 1,
            }]),
            ..ship_all("USPS")
        };
        let parcel = ship(&mut o, first.clone(), &mut ids, now()).expect("ship");
        assert_eq!(o.status, OrderStatus::Processing);
        let too_many = ShipInput {
            line_items: Some(vec![LineQty {
                id: "a".into(),
                quantity: 2,
            }]),
            ..first
        };
        assert!(matches!(
            ship(&mut o, too_many, &mut ids, now()),
            Err(OrderError::Invalid(_))
        ));
        deliver(&mut o, Some(&parcel), &mut ids, now()).expect("first arrives");
        assert_eq!(o.status, OrderStatus::Processing, "more to ship");
        ship(&mut o, ship_all("USPS"), &mut ids, now()).expect("the rest");
        assert_eq!(o.status, OrderStatus::Shipped);
        deliver(&mut o, None, &mut ids, now()).expect("the rest arrives");
        assert_eq!(o.status, OrderStatus::Completed);
    }

    #[test]
    fn digital_goods_are_delivered_on_confirmation() {
        let mut o = order(vec![line("e", 1, true)]);
        confirm(&mut o, &mut ids(), "http://shop", now()).expect("confirm");
        assert_eq!(o.status, OrderStatus::Completed);
        let d = o.fulfillments[0].digital.as_ref().expect("delivery");
        assert_eq!(d.license_key.len(), 19);
        assert_eq!(d.license_key.matches('-').count(), 3);
        assert!(
            d.access_url
                .starts_with("http://shop/orders/ord_1/downloads/ful_")
        );
        let mut mixed = order(vec![line("e", 1, true), line("a", 1, false)]);
        confirm(&mut mixed, &mut ids(), "http://shop", now()).expect("confirm");
        assert_eq!(
            mixed.status,
            OrderStatus::Confirmed,
            "the parcel is still to come"
        );
    }

    #[test]
    fn canceling_gives_back_the_units_and_refunds_the_rest() {
        let mut o = order(vec![line("a", 2, false), line("e", 1, true)]);
        let mut ids = ids();
        refund(&mut o, Some(500), Vec::new(), None, None, &mut ids, now()).expect("refund");
        let c = cancel(
            &mut o,
            Some("changed mind".into()),
            Some("k".into()),
            &mut ids,
            now(),
        )
        .expect("cancel");
        assert_eq!(
            c.restock,
            vec![("v-a".to_owned(), 2)],
            "digital goods are not restocked"
        );
        let r = c.refund.expect("a refund");
        assert_eq!(
            r.amount, 3_000,
            "what is left after the earlier pending refund"
        );
        assert_eq!(o.pending_refund_for("k"), Some(r));
        assert!(o.lines.iter().all(|l| l.current == 0));
        assert_eq!(o.refundable(), 0);
        assert!(matches!(
            cancel(&mut o, None, None, &mut ids, now()),
            Err(OrderError::NotNow { .. })
        ));
    }

    #[test]
    fn refunds_are_bounded_and_settle_once() {
        let mut o = order(vec![line("a", 1, false)]);
        let mut ids = ids();
        assert_eq!(
            refund(&mut o, Some(3_501), Vec::new(), None, None, &mut ids, now()),
            Err(OrderError::TooMuch { refundable: 3_500 })
        );
        let r =
            refund(&mut o, Some(1_000), Vec::new(), None, None, &mut ids, now()).expect("refund");
        assert_eq!(
            (o.refunded(), o.refundable()),
            (0, 2_500),
            "pending counts against what is left"
        );
        let failed = RefundOutcome::Failed {
            reason: "no".into(),
        };
        assert!(settle_refund(&mut o, &r.adjustment_id, failed, now()));
        assert_eq!(
            (o.refunded(), o.refundable()),
            (0, 3_500),
            "a failed refund gives it back"
        );
        let r = refund(&mut o, None, Vec::new(), None, None, &mut ids, now()).expect("all");
        let ok = RefundOutcome::Succeeded {
            psp_refund_id: "re_1".into(),
        };
        assert!(settle_refund(&mut o, &r.adjustment_id, ok.clone(), now()));
        assert!(
            !settle_refund(&mut o, &r.adjustment_id, ok, now()),
            "only once"
        );
        assert_eq!((o.refunded(), o.refundable()), (3_500, 0));
        assert_eq!(
            refund(&mut o, None, Vec::new(), None, None, &mut ids, now()),
            Err(OrderError::TooMuch { refundable: 0 })
        );
    }
}
