//! Order webhooks, never lost.
//!
//! Every order change writes its event (`order_create`, `order_update`: the whole order) into
//! the outbox in the same transaction as the change, so an event exists exactly when its change
//! does. The delivery worker then sends each event to its agent's endpoint, signed
//! (`Merchant-Signature`), with the event id as `Request-Id` on every attempt so that the
//! receiver can tell a redelivery from a new event:
//!
//! - per order, strictly in order: an event is sent only once the order's earlier ones have
//!   been acknowledged;
//! - failures are retried with exponential backoff and jitter; after `max_attempts` the event
//!   is parked (and the order's later events wait behind it) until an operator retries it;
//! - an attempt first takes a lease on the event, so a crash mid-delivery means one more
//!   attempt after the lease, never a lost event.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use rand::RngExt;
use secrecy::{ExposeSecret, SecretString};
use shared::client::WebhookClient;
use shared::v2026_04_17 as w;
use sqlx::AnyConnection;
use tokio::sync::{Notify, watch};

use crate::configuration::WebhookSettings;
use crate::domain::order::Order;
use crate::error::ApiError;
use crate::protocol::RenderContext;
use crate::protocol::order_out;
use crate::state::AppState;
use crate::store::{StoreError, outbox};

/// The delivery side: where each agent's events go, and the worker's wake-up call.
pub struct Webhooks {
    endpoints: HashMap<String, (String, SecretString)>,
    pub settings: WebhookSettings,
    client: WebhookClient,
    /// Rung after a commit that wrote events, so they go out at once instead of at the next poll.
    pub notify: Notify,
}

impl Webhooks {
    pub fn new(settings: WebhookSettings, http: reqwest::Client) -> Self {
        let endpoints = settings
            .endpoints
            .iter()
            .map(|e| (e.agent.clone(), (e.url.clone(), e.secret.clone())))
            .collect();
        Self {
            endpoints,
            settings,
            client: WebhookClient::new(http),
            notify: Notify::new(),
        }
    }

    /// Whether `agent` hears about its orders.
    pub fn subscribed(&self, agent: &str) -> bool {
        self.endpoints.contains_key(agent)
    }

    pub fn any(&self) -> bool {
        !self.endpoints.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    OrderCreate,
    OrderUpdate,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderCreate => "order_create",
            EventKind::OrderUpdate => "order_update",
        }
    }
}

/// The event body: `{type, data: <the whole order>}` (2026-04-17).
pub fn render(kind: EventKind, order: &Order, ctx: &RenderContext<'_>) -> Result<String, ApiError> {
    let event = w::WebhookEvent {
        kind: w::WebhookEventType::from(kind.as_str()),
        data: order_out(order, ctx),
    };
    serde_json::to_string(&event).map_err(|e| ApiError::Internal(e.into()))
}

/// Writes the event of an order change, in the change's transaction. `version` is the order's
/// version after the change: events of one order go out in version order.
pub async fn record(
    conn: &mut AnyConnection,
    state: &AppState,
    kind: EventKind,
    order: &Order,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !state.webhooks.subscribed(&order.agent) {
        return Ok(());
    }
    let ctx = RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    };
    let body = render(kind, order, &ctx)?;
    outbox::enqueue(
        conn,
        &kit::ids::random("evt_", 24),
        &order.agent,
        &order.id,
        version,
        kind.as_str(),
        &body,
        now,
    )
    .await?;
    Ok(())
}

/// The delay before attempt `attempt + 1`: `base × 2^(attempt-1)`, at most `max`, of which a
/// random half is taken off (`jitter` in `[0, 1)`) so that receivers coming back up are not met
/// by every retry at once.
pub fn backoff(attempt: u32, base_ms: u64, max_ms: u64, jitter: f64) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(32));
    let full = exp.min(max_ms) as f64;
    Duration::from_millis((full * (1.0 - jitter.clamp(0.0, 1.0) / 2.0)) as u64)
}

/// One pass over the outbox: takes every event that is due and first in line for its order,
/// sends them (to different orders, so at once, up to `concurrency`), and records the outcomes.
/// Returns how many were delivered. The bookkeeping is two statements for the whole pass plus
/// one per failure, so delivery keeps up with a busy single-writer SQLite.
pub async fn deliver_due(state: &AppState) -> Result<usize, StoreError> {
    let s = &state.webhooks.settings;
    let limit = i64::try_from(s.concurrency * 4).unwrap_or(64);
    let now = state.clock.now();
    let due = outbox::due(&state.db.read, now, limit).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let timeout = Duration::from_secs(s.timeout_secs);
    // Long enough for every round of attempts of the pass, plus a margin.
    let rounds = i64::try_from(due.len().div_ceil(s.concurrency)).unwrap_or(i64::MAX);
    let lease = outbox::millis(now)
        + i64::try_from(timeout.as_millis())
            .unwrap_or(i64::MAX)
            .saturating_mul(rounds)
        + 5_000;
    let ids: Vec<String> = due.iter().map(|e| e.id.clone()).collect();
    let claimed = outbox::claim(&state.db.write, &ids, now, lease).await?;
    let attempts: Vec<(outbox::Pending, Result<(), String>)> =
        futures::stream::iter(due.into_iter().filter(|e| claimed.contains(&e.id)))
            .map(|event| async move {
                let outcome = attempt(state, &event, timeout).await;
                (event, outcome)
            })
            .buffer_unordered(s.concurrency)
            .collect()
            .await;

    let now = state.clock.now();
    let mut delivered = Vec::new();
    for (event, outcome) in attempts {
        match outcome {
            Ok(()) => {
                tracing::info!(event = %event.id, order = %event.order_id, seq = event.seq, attempt = event.attempts + 1, "order event delivered");
                delivered.push(event.id);
            }
            Err(why) => failed(state, &event, &why, now).await?,
        }
    }
    outbox::delivered(&state.db.write, &delivered, now).await?;
    Ok(delivered.len())
}

/// One attempt at one event.
async fn attempt(
    state: &AppState,
    event: &outbox::Pending,
    timeout: Duration,
) -> Result<(), String> {
    let hooks = &state.webhooks;
    let Some((url, secret)) = hooks.endpoints.get(&event.agent) else {
        return Err(format!(
            "no webhook endpoint is configured for agent {:?}",
            event.agent
        ));
    };
    hooks
        .client
        .deliver(
            url,
            secret.expose_secret().as_bytes(),
            &event.id,
            &event.body,
            state.clock.now().timestamp(),
            timeout,
        )
        .await
        .map_err(|e| e.to_string())
}

/// Records a failed attempt: retried after a backoff, or parked after the last one.
async fn failed(
    state: &AppState,
    event: &outbox::Pending,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let s = &state.webhooks.settings;
    let attempt = event.attempts + 1;
    let attempts = u32::try_from(attempt).unwrap_or(u32::MAX);
    if attempts >= s.max_attempts {
        outbox::failed(&state.db.write, &event.id, attempt, why, None).await?;
        tracing::warn!(event = %event.id, order = %event.order_id, attempt, error = %why, "order event parked after its last attempt");
    } else {
        let delay = backoff(
            attempts,
            s.backoff_base_ms,
            s.backoff_max_ms,
            rand::rng().random(),
        );
        let at = outbox::millis(now) + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        outbox::failed(&state.db.write, &event.id, attempt, why, Some(at)).await?;
        tracing::info!(event = %event.id, order = %event.order_id, attempt, error = %why, retry_in_ms = delay.as_millis() as u64, "order event not delivered; will retry");
    }
    Ok(())
}

/// The worker: delivers whatever is due, then sleeps until an event is written here, the poll
/// interval passes, or the server stops.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.webhooks.settings.poll_interval_ms.max(10));
    loop {
        match deliver_due(&state).await {
            // Delivering an event may have put the order's next one first in line.
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery pass failed"),
        }
        tokio::select! {
            () = state.webhooks.notify.notified() => {}
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Starts the worker, if any agent has an endpoint.
pub fn spawn(state: &AppState, stop: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
    state
        .webhooks
        .any()
        .then(|| tokio::spawn(run(state.clone(), stop)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_takes_at_most_half() {
        let ms = |attempt, jitter| backoff(attempt, 500, 60_000, jitter).as_millis();
        assert_eq!(
            [ms(1, 0.0), ms(2, 0.0), ms(3, 0.0), ms(4, 0.0)],
            [500, 1000, 2000, 4000]
        );
        assert_eq!(ms(20, 0.0), 60_000);
        assert_eq!(ms(200, 0.0), 60_000, "no overflow however many attempts");
        assert_eq!(ms(3, 0.999_999), 1000);
        assert_eq!(ms(3, 0.5), 1500);
    }
}
