//! The checkout session and its state machine, as plain functions over plain data.
//!
//! ```text
//! create/update ─► not_ready_for_payment ◄──► ready_for_payment      (recomputed on every write)
//!                      │        │                    │
//!           cancel ────┴────────┼────────────────────┴──► canceled   (terminal, holds released)
//!           ttl passed ─────────┴───────────────────────► expired    (terminal, holds released)
//! ```
//! `ready_for_payment` means: every line holds all its units, nothing blocking is reported,
//! physical lines have a valid US address and a shipping option, digital lines have digital
//! delivery, and there is an e-mail to send the receipt to. Anything else is
//! `not_ready_for_payment`, with `messages[]` saying what is missing.
//!
//! Inventory is held per line: a line tries to hold exactly its quantity. If it cannot (not
//! enough stock, or over the per-order limit) it keeps what it already held, and the session
//! says so. Database effects are described as [`Hold`]s that the caller applies atomically.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::message::{ErrorCode, Message, WarningCode};
use super::money::{Rate, format_usd};
use super::party::{Buyer, FulfillmentDetails, email_is_plausible};
use super::pricing::{LinePrice, Totals, price_line, session_totals};
use super::shipping::{self, OptionKind, Quote};
use super::tax;
use crate::catalog::{Catalog, Entry};

/// At or below this many units left, buyers are told stock is low.
pub const LOW_STOCK: u32 = 3;

/// Interventions this merchant can run (3-D Secure, through its PSP).
pub const SELLER_INTERVENTIONS: &[&str] = &["3ds"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotReadyForPayment,
    ReadyForPayment,
    /// The PSP asked for 3-D Secure; the next complete must carry its result.
    AuthenticationRequired,
    /// A call to the PSP is running (or was cut short by a crash, and recovery will finish it).
    CompleteInProgress,
    Completed,
    Canceled,
    Expired,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Canceled | Status::Expired)
    }

    /// Computed from the cart on every write (as opposed to set by the payment flow).
    pub fn is_cart_state(self) -> bool {
        matches!(self, Status::NotReadyForPayment | Status::ReadyForPayment)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotReadyForPayment => "not_ready_for_payment",
            Status::ReadyForPayment => "ready_for_payment",
            Status::AuthenticationRequired => "authentication_required",
            Status::CompleteInProgress => "complete_in_progress",
            Status::Completed => "completed",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
        }
    }
}

/// What the line is, copied from the catalog when it was last priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub product_id: String,
    pub title: String,
    pub variant_title: String,
    pub description: String,
    pub category: String,
    pub sku: String,
    pub options: Vec<(String, String)>,
    pub digital: bool,
    pub max_per_order: u32,
    pub disclosure: Option<String>,
    pub weight_grams: Option<u32>,
}

impl Snapshot {
    fn of(entry: Entry<'_>) -> Self {
        let (p, v) = (entry.product, entry.variant);
        Self {
            product_id: p.id.clone(),
            title: p.title.clone(),
            variant_title: v.title.clone(),
            description: p.description.clone(),
            category: p.category.clone(),
            sku: v.sku.clone(),
            options: v
                .options
                .iter()
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
            digital: p.digital,
            max_per_order: p.max_quantity_per_order,
            disclosure: p.disclosure.clone(),
            weight_grams: v.weight_grams,
        }
    }

    /// "Stride Aero Runner Running Shoes (Blue / 10)".
    pub fn display_name(&self) -> String {
        if self.variant_title == "Standard" {
            self.title.clone()
        } else {
            format!("{} ({})", self.title, self.variant_title)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    /// The catalog variant, which is also the checkout `item.id`.
    pub variant_id: String,
    pub quantity: u32,
    /// Units of this variant held in inventory for this session.
    pub reserved: u32,
    /// Units still free in inventory when this line last tried to hold more, kept only when
    /// it matters to the buyer: when the line is short, or stock is at or below [`LOW_STOCK`].
    /// `None` means "plenty", so a session reads the same whatever the exact count was.
    pub available: Option<u32>,
    /// The unit price the agent last said it expected, to warn it when ours differs.
    pub agent_unit_amount: Option<i64>,
    pub snapshot: Snapshot,
    pub price: LinePrice,
}

impl Line {
    /// How many units this line should hold: all of them, unless it is over the per-order
    /// limit, in which case it grabs nothing more than it has.
    pub fn target_hold(&self) -> u32 {
        if self.quantity <= self.snapshot.max_per_order {
            self.quantity
        } else {
            self.reserved.min(self.quantity)
        }
    }
}

/// The session as stored. Computed parts (prices, quotes, totals, messages, status) are kept
/// so that a read renders without touching the catalog or inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub agent: String,
    pub status: Status,
    pub currency: String,
    pub lines: Vec<Line>,
    pub buyer: Option<Buyer>,
    pub fulfillment: Option<FulfillmentDetails>,
    /// Line id → fulfillment option id.
    pub selections: BTreeMap<String, String>,
    pub quotes: Vec<Quote>,
    pub totals: Totals,
    pub messages: Vec<Message>,
    /// Intervention kinds both the agent and this merchant support.
    pub interventions: Vec<String>,
    pub discount_codes: Vec<String>,
    pub fulfillment_groups_ignored: bool,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub quote_id: Option<String>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub order_notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The payment being made, from the first complete until the order exists.
    #[serde(default)]
    pub payment: Option<super::payment::Payment>,
    /// What the last payment attempt came to, when it did not end in an order (a decline).
    /// Reported with the session but does not block paying again.
    #[serde(default)]
    pub payment_messages: Vec<Message>,
    #[serde(default)]
    pub order_id: Option<String>,
}

/// An item as the agent asked for it; repeated ids mean more units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedItem {
    pub id: String,
    pub unit_amount: Option<i64>,
}

/// A fulfillment choice as the agent sent it (`selected_fulfillment_options[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionRequest {
    pub kind: OptionKind,
    pub option_id: String,
    /// Line ids or item ids; empty means every line the option can fulfil.
    pub item_ids: Vec<String>,
}

/// Three states of an update field: leave it, clear it (`null`), or replace it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn from_wire(v: Option<Option<T>>) -> Self {
        match v {
            None => Patch::Keep,
            Some(None) => Patch::Clear,
            Some(Some(v)) => Patch::Set(v),
        }
    }

    fn apply_to(self, slot: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }
}

/// What a create request asks for, after parsing.
#[derive(Debug, Clone)]
pub struct CreateCommand {
    pub currency: String,
    pub items: Vec<RequestedItem>,
    pub buyer: Option<Buyer>,
    pub fulfillment: Option<FulfillmentDetails>,
    pub interventions_supported: Vec<String>,
    pub discount_codes: Vec<String>,
    pub fulfillment_groups_sent: bool,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub quote_id: Option<String>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub order_notes: Option<String>,
}

/// What an update request asks for, after parsing.
#[derive(Debug, Clone, Default)]
pub struct UpdateCommand {
    pub items: Option<Vec<RequestedItem>>,
    pub buyer: Patch<Buyer>,
    pub fulfillment: Patch<FulfillmentDetails>,
    pub selections: Patch<Vec<SelectionRequest>>,
    pub discount_codes: Patch<Vec<String>>,
    pub order_notes: Patch<String>,
    pub fulfillment_groups_sent: bool,
}

/// A request that cannot be applied; becomes a 4xx `Error` with `param` pointing at the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{message}")]
    InvalidItem { param: String, message: String },
    #[error("{message}")]
    Invalid { param: String, message: String },
    #[error("{message}")]
    UnsupportedCurrency { param: String, message: String },
}

/// A transition the session's state forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("The checkout session is already canceled")]
    Canceled,
    #[error("The checkout session has expired")]
    Expired,
    #[error("The checkout session is already completed")]
    Completed,
    #[error("A payment for this checkout session is being processed")]
    CompleteInProgress,
}

impl From<Status> for Option<StateError> {
    fn from(s: Status) -> Self {
        match s {
            Status::Canceled => Some(StateError::Canceled),
            Status::Expired => Some(StateError::Expired),
            Status::Completed => Some(StateError::Completed),
            Status::CompleteInProgress => Some(StateError::CompleteInProgress),
            _ => None,
        }
    }
}

/// A change to the units a session holds of one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub variant_id: String,
    /// Positive to take more units, negative to give units back.
    pub delta: i64,
}

/// How the inventory answered a [`Hold`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldOutcome {
    pub variant_id: String,
    /// Releases always succeed; a take succeeds only if enough units were free.
    pub granted: bool,
    /// Units still free after the attempt.
    pub available: u32,
}

/// Inputs of a computation that are not the session itself.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub now: DateTime<Utc>,
}

/// Groups repeated ids into one quantity each, in the order ids first appear.
pub fn aggregate(items: &[RequestedItem]) -> Vec<(String, u32, Option<i64>)> {
    let mut out: Vec<(String, u32, Option<i64>)> = Vec::new();
    for item in items {
        match out.iter_mut().find(|(id, _, _)| *id == item.id) {
            Some((_, q, amount)) => {
                *q += 1;
                if item.unit_amount.is_some() {
                    *amount = item.unit_amount;
                }
            }
            None => out.push((item.id.clone(), 1, item.unit_amount)),
        }
    }
    out
}

/// Checks every requested id against the catalog; the error points at the first unknown one.
fn check_items(items: &[RequestedItem], catalog: &Catalog) -> Result<(), RequestError> {
    if items.is_empty() {
        return Err(RequestError::Invalid {
            param: "$.line_items".into(),
            message: "A checkout session needs at least one item; cancel the session instead of removing every item.".into(),
        });
    }
    for (i, item) in items.iter().enumerate() {
        if catalog.variant(&item.id).is_none() {
            return Err(RequestError::InvalidItem {
                param: format!("$.line_items[{i}].id"),
                message: format!("The item ID '{}' does not exist.", item.id),
            });
        }
    }
    Ok(())
}

fn new_line(id: String, entry: Entry<'_>, quantity: u32, agent_unit_amount: Option<i64>) -> Line {
    let v = entry.variant;
    Line {
        id,
        variant_id: v.id.clone(),
        quantity,
        reserved: 0,
        available: None,
        agent_unit_amount,
        snapshot: Snapshot::of(entry),
        price: price_line(v.price, v.unit_price(), quantity, None),
    }
}

/// Builds a new session from a create command. The caller then applies [`holds`] and
/// [`apply_outcomes`], and calls [`evaluate`].
pub fn create(
    id: String,
    agent: String,
    cmd: CreateCommand,
    ctx: &Context<'_>,
    ttl: chrono::Duration,
    new_line_id: &mut dyn FnMut() -> String,
) -> Result<Session, RequestError> {
    if !cmd.currency.eq_ignore_ascii_case(ctx.catalog.currency()) {
        return Err(RequestError::UnsupportedCurrency {
            param: "$.currency".into(),
            message: format!(
                "This merchant sells in {}; '{}' is not supported.",
                ctx.catalog.currency(),
                cmd.currency
            ),
        });
    }
    check_items(&cmd.items, ctx.catalog)?;
    let lines = aggregate(&cmd.items)
        .into_iter()
        .filter_map(|(variant, q, amount)| {
            ctx.catalog
                .variant(&variant)
                .map(|e| new_line(new_line_id(), e, q, amount))
        })
        .collect();
    Ok(Session {
        id,
        agent,
        status: Status::NotReadyForPayment,
        currency: ctx.catalog.currency().to_owned(),
        lines,
        buyer: cmd.buyer,
        fulfillment: cmd.fulfillment,
        selections: BTreeMap::new(),
        quotes: Vec::new(),
        totals: session_totals(&[], None, 0, None, false),
        messages: Vec::new(),
        interventions: cmd
            .interventions_supported
            .into_iter()
            .filter(|i| SELLER_INTERVENTIONS.contains(&i.as_str()))
            .collect(),
        discount_codes: normalise_codes(cmd.discount_codes),
        fulfillment_groups_ignored: cmd.fulfillment_groups_sent,
        locale: cmd.locale,
        timezone: cmd.timezone,
        quote_id: cmd.quote_id,
        metadata: cmd.metadata,
        order_notes: cmd.order_notes,
        created_at: ctx.now,
        updated_at: ctx.now,
        expires_at: ctx.now + ttl,
        payment: None,
        payment_messages: Vec::new(),
        order_id: None,
    })
}

/// Applies an update command. Returns the holds to give back for lines that were removed;
/// the caller then applies [`holds`] of the remaining lines, [`apply_outcomes`] and
/// [`evaluate`] with the requested selections.
pub fn update(
    session: &mut Session,
    cmd: UpdateCommand,
    ctx: &Context<'_>,
    new_line_id: &mut dyn FnMut() -> String,
) -> Result<(Vec<Hold>, Patch<Vec<SelectionRequest>>), RequestError> {
    let mut released = Vec::new();
    if let Some(items) = cmd.items {
        check_items(&items, ctx.catalog)?;
        let wanted = aggregate(&items);
        let mut old: Vec<Line> = std::mem::take(&mut session.lines);
        for (variant, quantity, amount) in wanted {
            let line = match old.iter().position(|l| l.variant_id == variant) {
                Some(i) => {
                    let mut line = old.remove(i);
                    line.quantity = quantity;
                    line.agent_unit_amount = amount.or(line.agent_unit_amount);
                    line
                }
                None => match ctx.catalog.variant(&variant) {
                    Some(e) => new_line(new_line_id(), e, quantity, amount),
                    None => continue,
                },
            };
            session.lines.push(line);
        }
        for gone in old {
            session.selections.remove(&gone.id);
            if gone.reserved > 0 {
                released.push(Hold {
                    variant_id: gone.variant_id,
                    delta: -i64::from(gone.reserved),
                });
            }
        }
    }
    cmd.buyer.apply_to(&mut session.buyer);
    cmd.fulfillment.apply_to(&mut session.fulfillment);
    cmd.order_notes.apply_to(&mut session.order_notes);
    match cmd.discount_codes {
        Patch::Keep => {}
        Patch::Clear => session.discount_codes.clear(),
        Patch::Set(codes) => session.discount_codes = normalise_codes(codes),
    }
    if cmd.fulfillment_groups_sent {
        session.fulfillment_groups_ignored = true;
    }
    session.updated_at = ctx.now;
    Ok((released, cmd.selections))
}

fn normalise_codes(codes: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in codes {
        let c = c.trim().to_ascii_uppercase();
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The inventory changes needed for every line to hold its target, sorted by variant id so
/// that concurrent transactions lock inventory rows in the same order.
pub fn holds(session: &Session) -> Vec<Hold> {
    let mut out: Vec<Hold> = session
        .lines
        .iter()
        .filter_map(|l| {
            let delta = i64::from(l.target_hold()) - i64::from(l.reserved);
            (delta != 0).then(|| Hold {
                variant_id: l.variant_id.clone(),
                delta,
            })
        })
        .collect();
    out.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    out
}

/// Records what the inventory granted.
pub fn apply_outcomes(session: &mut Session, outcomes: &[HoldOutcome]) {
    for o in outcomes {
        if let Some(line) = session
            .lines
            .iter_mut()
            .find(|l| l.variant_id == o.variant_id)
        {
            if o.granted {
                line.reserved = line.target_hold();
            }
            line.available = (!o.granted || o.available <= LOW_STOCK).then_some(o.available);
        }
    }
}

/// Releases everything a session holds.
pub fn release_all(session: &mut Session) -> Vec<Hold> {
    let mut out: Vec<Hold> = session
        .lines
        .iter_mut()
        .filter(|l| l.reserved > 0)
        .map(|l| {
            let h = Hold {
                variant_id: l.variant_id.clone(),
                delta: -i64::from(l.reserved),
            };
            l.reserved = 0;
            h
        })
        .collect();
    out.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    out
}

/// Refuses writes to a session that can no longer change.
pub fn ensure_open(session: &Session) -> Result<(), StateError> {
    match Option::<StateError>::from(session.status) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `open → canceled`; returns the holds to give back.
pub fn cancel(session: &mut Session, now: DateTime<Utc>) -> Result<Vec<Hold>, StateError> {
    ensure_open(session)?;
    session.status = Status::Canceled;
    session.updated_at = now;
    Ok(release_all(session))
}

/// Whether the session's time to live has run out while it was still open. A session whose
/// payment is being processed does not expire under it: recovery finishes the payment first.
pub fn is_due_to_expire(session: &Session, now: DateTime<Utc>) -> bool {
    !session.status.is_terminal()
        && session.status != Status::CompleteInProgress
        && now >= session.expires_at
}

/// `open → expired`; returns the holds to give back.
pub fn expire(session: &mut Session, now: DateTime<Utc>) -> Vec<Hold> {
    if !is_due_to_expire(session, now) {
        return Vec::new();
    }
    session.status = Status::Expired;
    session.updated_at = now;
    release_all(session)
}

/// Where the destination is, when it is one this merchant ships to.
fn destination(session: &Session) -> Result<Option<&'static tax::StateTax>, Message> {
    let Some(addr) = session
        .fulfillment
        .as_ref()
        .and_then(|f| f.address.as_ref())
    else {
        return Ok(None);
    };
    if !addr.country.eq_ignore_ascii_case("US") {
        return Err(Message::error(
            ErrorCode::RegionRestricted,
            "$.fulfillment_details.address.country",
            format!(
                "We only ship within the United States, not to '{}'.",
                addr.country
            ),
        ));
    }
    let Some(state) = tax::state(&addr.state) else {
        return Err(Message::error(
            ErrorCode::Invalid,
            "$.fulfillment_details.address.state",
            format!(
                "'{}' is not a US state; use its two-letter code, e.g. CA.",
                addr.state
            ),
        ));
    };
    if !postal_code_is_valid(&addr.postal_code) {
        return Err(Message::error(
            ErrorCode::Invalid,
            "$.fulfillment_details.address.postal_code",
            format!(
                "'{}' is not a US ZIP code (12345 or 12345-6789).",
                addr.postal_code
            ),
        ));
    }
    if addr.line_one.trim().is_empty() || addr.city.trim().is_empty() || addr.name.trim().is_empty()
    {
        return Err(Message::error(
            ErrorCode::Missing,
            "$.fulfillment_details.address",
            "The shipping address needs a name, a street and a city.",
        ));
    }
    Ok(Some(state))
}

fn postal_code_is_valid(zip: &str) -> bool {
    let b = zip.trim().as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    (b.len() == 5 && digits(b))
        || (b.len() == 10 && digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]))
}

/// The address e-mail receipts and digital goods go to.
pub fn contact_email(session: &Session) -> Option<&str> {
    session
        .buyer
        .as_ref()
        .map(|b| b.email.as_str())
        .or_else(|| {
            session
                .fulfillment
                .as_ref()
                .and_then(|f| f.email.as_deref())
        })
}

/// Recomputes prices, fulfillment options, selections, totals, messages and status from the
/// session's inputs and the catalog. `requested` are selections sent with this request.
pub fn evaluate(
    session: &mut Session,
    requested: Patch<Vec<SelectionRequest>>,
    ctx: &Context<'_>,
) -> Result<(), RequestError> {
    let mut messages = Vec::new();

    // Prices from the catalog as it is now; tell the agent when its expectation differs.
    let dest = destination(session);
    let tax_rate = |digital: bool| match &dest {
        Ok(Some(state)) if !digital => Some(state.rate),
        Ok(Some(_)) => Some(Rate::ZERO),
        _ => None,
    };
    for (i, line) in session.lines.iter_mut().enumerate() {
        let param = format!("$.line_items[{i}]");
        let Some(entry) = ctx.catalog.variant(&line.variant_id) else {
            messages.push(Message::error(
                ErrorCode::OutOfStock,
                param,
                format!("{} is no longer sold.", line.snapshot.display_name()),
            ));
            continue;
        };
        let before = line.price.unit_price;
        line.snapshot = Snapshot::of(entry);
        line.price = price_line(
            entry.variant.price,
            entry.variant.unit_price(),
            line.quantity,
            tax_rate(line.snapshot.digital),
        );
        let now_price = line.price.unit_price;
        let expected = line.agent_unit_amount.unwrap_or(before);
        if expected != now_price {
            messages.push(Message::warning(
                WarningCode::PriceChange,
                param.clone(),
                format!(
                    "The price of {} is now {} (was {}).",
                    line.snapshot.display_name(),
                    format_usd(now_price),
                    format_usd(expected)
                ),
            ));
            line.agent_unit_amount = Some(now_price);
        }
        messages.extend(stock_messages(line, &param));
    }

    // Fulfillment options for what is in the cart and where it goes.
    let has_physical = session.lines.iter().any(|l| !l.snapshot.digital);
    let has_digital = session.lines.iter().any(|l| l.snapshot.digital);
    let physical_subtotal: i64 = session
        .lines
        .iter()
        .filter(|l| !l.snapshot.digital)
        .map(|l| l.price.subtotal)
        .sum();
    let mut quotes = Vec::new();
    match &dest {
        Ok(Some(state)) if has_physical => {
            quotes.extend(shipping::shipping_quotes(state, physical_subtotal, ctx.now));
        }
        Ok(None) if has_physical => messages.push(Message::error(
            ErrorCode::Missing,
            "$.fulfillment_details.address",
            "A shipping address is needed to show shipping options and tax.",
        )),
        Err(m) if has_physical => messages.push(m.clone()),
        _ => {}
    }
    if has_digital {
        quotes.push(shipping::digital_quote());
    }

    let previous = std::mem::take(&mut session.selections);
    let mut selections = BTreeMap::new();
    if let Patch::Set(requests) = requested {
        for (i, r) in requests.iter().enumerate() {
            for line_id in resolve_selection(session, &quotes, i, r)? {
                selections.insert(line_id, r.option_id.clone());
            }
        }
    } else if requested == Patch::Keep {
        for (line_id, option) in &previous {
            let still_offered = quotes.iter().any(|q| &q.id == option);
            if still_offered {
                selections.insert(line_id.clone(), option.clone());
            } else if let Some(q) = previous_title(&session.quotes, option) {
                messages.push(Message::info(
                    Some("$.selected_fulfillment_options".into()),
                    format!(
                        "{q} is not available for this address, so the default was chosen instead."
                    ),
                ));
            }
        }
    }
    // Lines without a choice get the cheapest default for their kind.
    for line in &session.lines {
        if selections.contains_key(&line.id) {
            continue;
        }
        let default = if line.snapshot.digital {
            shipping::DIGITAL
        } else {
            shipping::STANDARD
        };
        if quotes.iter().any(|q| q.id == default) {
            selections.insert(line.id.clone(), default.to_owned());
        }
    }
    // Drop selections of lines that no longer exist.
    selections.retain(|line_id, _| session.lines.iter().any(|l| &l.id == line_id));

    let selected: Vec<&Quote> = quotes
        .iter()
        .filter(|q| selections.values().any(|o| o == &q.id))
        .collect();
    let fulfillment = (!selected.is_empty()).then(|| selected.iter().map(|q| q.cost).sum());
    let fulfillment_tax: i64 = selected.iter().map(|q| q.tax).sum();
    if let Some(std) = selected.iter().find(|q| q.id == shipping::STANDARD)
        && std.cost > 0
    {
        messages.push(Message::info(
            None,
            format!(
                "Add {} more to get free standard shipping.",
                format_usd(shipping::FREE_STANDARD_FROM - physical_subtotal)
            ),
        ));
    }

    // Contact e-mail for the receipt and digital delivery.
    match (
        &session.buyer,
        session.fulfillment.as_ref().and_then(|f| f.email.as_ref()),
    ) {
        (Some(b), _) if !email_is_plausible(&b.email) => messages.push(Message::error(
            ErrorCode::Invalid,
            "$.buyer.email",
            format!("'{}' does not look like an e-mail address.", b.email),
        )),
        (None, Some(e)) if !email_is_plausible(e) => messages.push(Message::error(
            ErrorCode::Invalid,
            "$.fulfillment_details.email",
            format!("'{e}' does not look like an e-mail address."),
        )),
        (None, None) => messages.push(Message::error(
            ErrorCode::Missing,
            "$.buyer.email",
            "An e-mail address is needed for the order confirmation.",
        )),
        _ => {}
    }

    for (i, code) in session.discount_codes.iter().enumerate() {
        messages.push(Message::warning(
            WarningCode::DiscountCodeInvalid,
            format!("$.discounts.codes[{i}]"),
            format!("The discount code {code} is not valid."),
        ));
    }
    if session.fulfillment_groups_ignored {
        messages.push(Message::info(
            Some("$.fulfillment_groups".into()),
            "Split fulfillment is not offered; all items ship together.",
        ));
    }

    let tax_known = match &dest {
        Ok(Some(_)) => true,
        Ok(None) | Err(_) => !has_physical,
    };
    let jurisdiction = match &dest {
        Ok(Some(s)) => Some((s.code, s.rate)),
        _ => None,
    };
    let prices: Vec<LinePrice> = session.lines.iter().map(|l| l.price).collect();
    session.totals = session_totals(
        &prices,
        fulfillment,
        fulfillment_tax,
        jurisdiction,
        tax_known,
    );

    let every_line_held = session.lines.iter().all(|l| l.reserved == l.quantity);
    let every_line_routed = session.lines.iter().all(|l| selections.contains_key(&l.id));
    let payable = every_line_held
        && every_line_routed
        && tax_known
        && !messages.iter().any(Message::is_blocking)
        && contact_email(session).is_some();

    session.quotes = quotes;
    session.selections = selections;
    session.messages = messages;
    if session.status.is_cart_state() {
        session.status = if payable {
            Status::ReadyForPayment
        } else {
            Status::NotReadyForPayment
        };
    }
    Ok(())
}

fn previous_title(quotes: &[Quote], id: &str) -> Option<String> {
    quotes.iter().find(|q| q.id == id).map(|q| q.title.clone())
}

fn stock_messages(line: &Line, param: &str) -> Vec<Message> {
    let name = line.snapshot.display_name();
    let mut out = Vec::new();
    if line.quantity > line.snapshot.max_per_order {
        out.push(Message::error(
            ErrorCode::QuantityExceeded,
            param,
            format!(
                "You can buy at most {} of {name} per order.",
                line.snapshot.max_per_order
            ),
        ));
    } else if line.reserved < line.quantity {
        let obtainable = line.reserved + line.available.unwrap_or(0);
        out.push(if obtainable == 0 {
            Message::error(
                ErrorCode::OutOfStock,
                param,
                format!("{name} is out of stock."),
            )
        } else {
            Message::error(
                ErrorCode::LowStock,
                param,
                format!("Only {obtainable} of {name} can be ordered right now."),
            )
        });
    } else if line.available.is_some_and(|a| a <= LOW_STOCK) {
        out.push(Message::warning(
            WarningCode::LowStock,
            param,
            format!(
                "Only {} more of {name} in stock.",
                line.available.unwrap_or(0)
            ),
        ));
    }
    out
}

/// The line ids a selection applies to, checked against what is on offer.
fn resolve_selection(
    session: &Session,
    quotes: &[Quote],
    index: usize,
    r: &SelectionRequest,
) -> Result<Vec<String>, RequestError> {
    let base = format!("$.selected_fulfillment_options[{index}]");
    let Some(quote) = quotes.iter().find(|q| q.id == r.option_id) else {
        let offered: Vec<&str> = quotes.iter().map(|q| q.id.as_str()).collect();
        return Err(RequestError::Invalid {
            param: format!("{base}.option_id"),
            message: if offered.is_empty() {
                format!(
                    "'{}' is not offered: no fulfillment options are available yet (a shipping address is needed).",
                    r.option_id
                )
            } else {
                format!(
                    "'{}' is not one of the offered options: {}.",
                    r.option_id,
                    offered.join(", ")
                )
            },
        });
    };
    if quote.kind != r.kind {
        return Err(RequestError::Invalid {
            param: format!("{base}.type"),
            message: format!("'{}' is a {:?} option.", quote.id, quote.kind).to_lowercase(),
        });
    }
    let fits = |l: &Line| (quote.kind == OptionKind::Digital) == l.snapshot.digital;
    if r.item_ids.is_empty() {
        return Ok(session
            .lines
            .iter()
            .filter(|l| fits(l))
            .map(|l| l.id.clone())
            .collect());
    }
    let mut out = Vec::new();
    for (j, item) in r.item_ids.iter().enumerate() {
        let Some(line) = session
            .lines
            .iter()
            .find(|l| &l.id == item || &l.variant_id == item)
        else {
            return Err(RequestError::Invalid {
                param: format!("{base}.item_ids[{j}]"),
                message: format!("'{item}' is not a line item or item of this session."),
            });
        };
        if !fits(line) {
            return Err(RequestError::Invalid {
                param: format!("{base}.item_ids[{j}]"),
                message: format!(
                    "{} cannot be fulfilled by '{}'.",
                    line.snapshot.display_name(),
                    quote.id
                ),
            });
        }
        out.push(line.id.clone());
    }
    Ok(out)
}
