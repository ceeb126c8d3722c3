//! What happens to an order after checkout: operator actions (and the demo clock, which acts
//! like an operator), refunds at the PSP, and the event every change sends the agent.
//!
//! Each change is one transaction: the order's new version, the inventory it puts back, its
//! webhook event and, for an operator's request, the stored answer to its idempotency key. A
//! refund is written `pending` first (marked with the request that asked for it), then the PSP
//! is asked (with an idempotency key derived from the refund), then its answer is written with
//! the stored answer. A refund cut short by a crash is finished by the sweeper, or by a retry of
//! the same request, with the same key at the PSP: it happens once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::Deserialize;
use shared::client::PspError;
use shared::psp::{CreateRefund, RefundStatus};

use axum::http::StatusCode;
use kit::idempotency::{Reply, Scope};

use crate::domain::order::{
    self, LineQty, Order, OrderError, OrderStatus, RefundOutcome, RefundRequest, ShipInput,
};
use crate::error::ApiError;
use crate::protocol::RenderContext;
use crate::protocol::order_out;
use crate::state::AppState;
use crate::store::{self, StoreError, orders::VersionedOrder};
use crate::webhooks::{self, EventKind};

/// How often a change is retried when the order changed under it.
const MAX_ATTEMPTS: usize = 8;
/// Transport failures of one refund call retried with the same key.
const PSP_ATTEMPTS: u32 = 3;
/// A refund pending for longer than this is taken over by the sweeper.
pub const REFUND_GRACE: chrono::Duration = chrono::Duration::seconds(60);

/// An operator's action on an order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    // Empty braces, not unit variants: serde rejects unknown fields only for struct variants.
    Confirm {},
    Process {},
    Ship(ShipInput),
    Deliver {
        fulfillment_id: Option<String>,
    },
    Cancel {
        reason: Option<String>,
    },
    Refund {
        amount: Option<i64>,
        #[serde(default)]
        line_items: Vec<LineQty>,
        reason: Option<String>,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Confirm {} => "confirm",
            Action::Process {} => "process",
            Action::Ship(_) => "ship",
            Action::Deliver { .. } => "deliver",
            Action::Cancel { .. } => "cancel",
            Action::Refund { .. } => "refund",
        }
    }
}

fn ids(prefix: &str) -> String {
    kit::ids::random(prefix, 16)
}

pub async fn load(state: &AppState, id: &str) -> Result<VersionedOrder, ApiError> {
    store::orders::get(&state.db.read, id)
        .await?
        .ok_or(ApiError::OrderNotFound)
}

/// What applying an action leaves to do after its transaction.
struct Applied {
    restock: Vec<(String, i64)>,
    refund: Option<RefundRequest>,
}

fn apply(
    o: &mut Order,
    action: &Action,
    request_key: Option<String>,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Applied, OrderError> {
    let mut ids = ids;
    let mut applied = Applied {
        restock: Vec::new(),
        refund: None,
    };
    match action.clone() {
        Action::Confirm {} => order::confirm(o, &mut ids, base_url, now)?,
        Action::Process {} => order::start_processing(o, now)?,
        Action::Ship(input) => {
            order::ship(o, input, &mut ids, now)?;
        }
        Action::Deliver { fulfillment_id } => {
            order::deliver(o, fulfillment_id.as_deref(), &mut ids, now)?;
        }
        Action::Cancel { reason } => {
            let canceled = order::cancel(o, reason, request_key, &mut ids, now)?;
            applied.restock = canceled.restock;
            applied.refund = canceled.refund;
        }
        Action::Refund {
            amount,
            line_items,
            reason,
        } => {
            applied.refund = Some(order::refund(
                o,
                amount,
                line_items,
                reason,
                request_key,
                &mut ids,
                now,
            )?);
        }
    }
    Ok(applied)
}

/// An operator's request: the idempotency record its answer is stored under.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub scope: &'a Scope,
    pub fingerprint: &'a str,
}

impl Request<'_> {
    /// Names the request on what it creates (a refund), unique per operator and key.
    fn key(&self) -> String {
        format!("{}:{}", self.scope.agent, self.scope.key)
    }
}

/// The admin API's answer: the order in the 2026-04-17 form.
pub fn reply(state: &AppState, o: &Order) -> Result<Reply, ApiError> {
    let ctx = RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    };
    let body =
        serde_json::to_string(&order_out(o, &ctx)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Reply::new(StatusCode::OK, body))
}

/// Applies `action` and returns the order as it then stands (a refund's outcome included).
/// With a `request`, its answer is stored in the transaction that finishes the action.
pub async fn act(
    state: &AppState,
    id: &str,
    action: &Action,
    request: Option<Request<'_>>,
) -> Result<Order, ApiError> {
    // A retry of a request whose refund was written but never answered: finish that one.
    if let Some(req) = request {
        let order = load(state, id).await?.order;
        if let Some(r) = order.pending_refund_for(&req.key()) {
            return make_refund(state, &order, &r, request).await;
        }
    }
    for _ in 0..MAX_ATTEMPTS {
        let VersionedOrder { mut order, version } = load(state, id).await?;
        let now = state.clock.now();
        let applied = apply(
            &mut order,
            action,
            request.map(|r| r.key()),
            &state.base_url,
            now,
        )?;
        // The answer is stored with the change, unless a refund has yet to be made.
        let answer = if applied.refund.is_none() {
            request
        } else {
            None
        };
        if !write(state, &order, version, &applied.restock, answer, now).await? {
            continue;
        }
        tracing::info!(order = %order.id, action = action.name(), status = order.status.as_str(), "order changed");
        return match applied.refund {
            Some(r) => make_refund(state, &order, &r, request).await,
            None => Ok(order),
        };
    }
    Err(ApiError::Unavailable(
        "the order kept changing while being updated".into(),
    ))
}

/// One change: the new version, restocked units, the event and the request's answer, all or
/// nothing. `false` if the order changed since `version` was read.
async fn write(
    state: &AppState,
    order: &Order,
    version: i64,
    restock: &[(String, i64)],
    request: Option<Request<'_>>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if !store::orders::update(&mut tx, order, version).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    store::inventory::restock(&mut tx, restock).await?;
    webhooks::record(
        &mut tx,
        state,
        EventKind::OrderUpdate,
        order,
        version + 1,
        now,
    )
    .await?;
    if let Some(req) = request {
        let stored = reply(state, order)?.to_stored(req.fingerprint);
        if !kit::idempotency::insert(&mut tx, req.scope, &stored, now).await? {
            // The same request finished elsewhere meanwhile; its answer stands.
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ApiError::IdempotencyInFlight);
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    state.webhooks.notify.notify_one();
    Ok(true)
}

/// Asks the PSP for a pending refund and writes its answer (with the request's, if any). If the
/// PSP cannot be reached the refund stays pending (the sweeper, or a retry of the request, asks
/// again) and the order is returned as it is.
async fn make_refund(
    state: &AppState,
    order: &Order,
    r: &RefundRequest,
    request: Option<Request<'_>>,
) -> Result<Order, ApiError> {
    let Some(outcome) = ask_psp(state, order, r).await else {
        return Ok(load(state, &order.id).await?.order);
    };
    for _ in 0..MAX_ATTEMPTS {
        let VersionedOrder { mut order, version } = load(state, &order.id).await?;
        let now = state.clock.now();
        if !order::settle_refund(&mut order, &r.adjustment_id, outcome.clone(), now) {
            // Answered already (the sweeper and a request raced): theirs stands.
            return Ok(order);
        }
        if write(state, &order, version, &[], request, now).await? {
            tracing::info!(order = %order.id, adjustment = %r.adjustment_id, amount = r.amount, outcome = ?outcome, "refund settled");
            return Ok(order);
        }
    }
    Err(ApiError::Unavailable(
        "the order kept changing while its refund was recorded".into(),
    ))
}

/// The PSP's answer, or `None` if it could not be had now.
async fn ask_psp(state: &AppState, order: &Order, r: &RefundRequest) -> Option<RefundOutcome> {
    let body = CreateRefund {
        payment_intent: order.payment.intent_id.clone(),
        amount: Some(r.amount),
        reason: Some("requested_by_customer".into()),
    };
    let key = format!("{}:refund:{}", order.id, r.adjustment_id);
    for attempt in 1..=PSP_ATTEMPTS {
        match state.psp.create_refund(&body, &key).await {
            Ok(refund) => {
                return Some(match refund.status {
                    RefundStatus::Succeeded => RefundOutcome::Succeeded {
                        psp_refund_id: refund.id,
                    },
                    RefundStatus::Failed => RefundOutcome::Failed {
                        reason: "the card's issuer refused the refund".into(),
                    },
                });
            }
            Err(e) if e.is_retryable() => {
                tracing::warn!(order = %order.id, attempt, error = %e, "refund call failed; retrying");
                let pause = 100 * u64::from(attempt) + rand::rng().random_range(0..100);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Err(PspError::Api { error, .. }) => {
                return Some(RefundOutcome::Failed {
                    reason: error.message,
                });
            }
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, "refund call failed");
                return None;
            }
        }
    }
    None
}

/// Finishes refunds left pending (a crash, or the PSP unreachable) since before `cutoff`.
/// Returns how many were settled.
pub async fn recover_refunds(state: &AppState, cutoff: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut settled = 0;
    for id in store::orders::refund_pending(&state.db.read, cutoff, 50).await? {
        let order = load(state, &id).await?.order;
        for r in order.pending_refunds() {
            let after = make_refund(state, &order, &r, None).await?;
            if after
                .pending_refunds()
                .iter()
                .all(|p| p.adjustment_id != r.adjustment_id)
            {
                settled += 1;
            }
        }
    }
    Ok(settled)
}

/// The demo clock: moves orders along as a warehouse would, each step some time after the
/// order's last change. Returns how many orders it moved.
pub async fn demo_clock_tick(state: &AppState) -> Result<usize, ApiError> {
    let Some(c) = state.demo_clock.as_ref() else {
        return Ok(0);
    };
    let now = state.clock.now();
    let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
    let half_ship = secs(c.ship_after_secs / 2);
    let steps = [
        (OrderStatus::Created, secs(c.confirm_after_secs)),
        (OrderStatus::Confirmed, half_ship),
        (OrderStatus::Processing, secs(c.ship_after_secs) - half_ship),
        (OrderStatus::Shipped, secs(c.deliver_after_secs)),
    ];
    let mut moved = 0;
    for (status, after) in steps {
        for id in store::orders::idle_since(&state.db.read, status, now - after, 50).await? {
            let order = load(state, &id).await?.order;
            let action = match status {
                OrderStatus::Created => Action::Confirm {},
                OrderStatus::Confirmed => Action::Process {},
                OrderStatus::Processing => Action::Ship(demo_parcel(&order)),
                _ => Action::Deliver {
                    fulfillment_id: None,
                },
            };
            match act(state, &id, &action, None).await {
                Ok(_) => moved += 1,
                // An operator got there first; the next tick looks again.
                Err(ApiError::Order(e)) => {
                    tracing::debug!(order = %id, error = %e, "demo clock skipped an order")
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(moved)
}

/// A parcel with the carrier of the shipping option the buyer chose and a made-up tracking
/// number in that carrier's format.
pub fn demo_parcel(order: &Order) -> ShipInput {
    let carrier = order
        .shipping
        .as_ref()
        .and_then(|q| q.carrier.clone())
        .unwrap_or_else(|| "USPS".into());
    let mut rng = rand::rng();
    let digits = |n: usize, rng: &mut rand::rngs::ThreadRng| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    };
    let tracking_number = match carrier.to_ascii_lowercase().as_str() {
        "ups" => format!("1Z{}", digits(16, &mut rng)),
        "fedex" => digits(12, &mut rng),
        _ => format!("9400{}", digits(18, &mut rng)),
    };
    ShipInput {
        carrier,
        tracking_number,
        tracking_url: None,
        line_items: None,
    }
}
