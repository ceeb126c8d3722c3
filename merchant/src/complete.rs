//! `POST /checkout_sessions/{id}/complete`: pay with a Shared Payment Token, exactly once.
//!
//! 1. The PSP call about to be made is written to the session (`complete_in_progress`), with
//!    an idempotency key derived from the session and the token (or 3DS transaction).
//! 2. The call is made; transport failures are retried with the same key.
//! 3. The answer is written in one transaction: the order, the sold inventory, the session and
//!    the agent's idempotency record, or the decline, or the 3-D Secure requirement.
//!
//! A crash between 2 and 3 leaves the session in `complete_in_progress`; [`recover`] repeats the
//! recorded call with the same key (the PSP replays its answer, so nothing is charged twice)
//! and finishes step 3. Concurrent completes of one session serialize on step 1: the loser
//! waits for the winner's outcome.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kit::idempotency::{Reply, Scope, replay_winner};
use shared::client::PspError;
use shared::psp::{
    ConfirmPaymentIntent, CreatePaymentIntent, NextAction, PaymentIntent, PaymentIntentStatus,
    ThreeDSecureData,
};

use crate::domain::order::{self, PaymentRecord};
use crate::domain::payment::{self, AuthenticationMetadata, PspCall, PspOutcome};
use crate::domain::session::{Session, StateError, Status};
use crate::error::ApiError;
use crate::protocol::{RenderContext, WireVersion};
use crate::state::AppState;
use crate::store::{self, StoreError, sessions::Versioned};

/// How long a complete waits for another one already paying the same session.
const WAIT_FOR_OTHER: Duration = Duration::from_secs(15);
/// Retries of a PSP call that failed in transport (same idempotency key each time).
const PSP_ATTEMPTS: u32 = 3;
/// A session in progress for longer than this is taken over by recovery: a live request has
/// finished its PSP calls (three attempts within the client timeout) well before.
pub const RECOVERY_GRACE: chrono::Duration = chrono::Duration::seconds(60);

fn render_ctx(state: &AppState) -> RenderContext<'_> {
    RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    }
}

/// The handler's operation.
pub async fn complete<V: WireVersion>(
    state: &AppState,
    agent: &str,
    id: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, ApiError> {
    let input = V::parse_complete(body)?;
    let waited_since = std::time::Instant::now();
    loop {
        let found = store::sessions::get(&state.db.read, id).await?;
        let Some(Versioned {
            mut session,
            version,
        }) = found.filter(|v| v.session.agent == agent)
        else {
            return Err(ApiError::SessionNotFound);
        };
        let now = state.clock.now();
        match session.status {
            Status::ReadyForPayment => {
                if let Some(buyer) = input.buyer.clone() {
                    session.buyer = Some(buyer);
                }
                if input.order_notes.is_some() {
                    session.order_notes = input.order_notes.clone();
                }
                let call = payment::begin(&mut session, &input.token, &input.handler_id, now)?;
                if !begin_call(state, &session, version, input.attribution.as_ref(), now).await? {
                    continue;
                }
                return run_call::<V>(
                    state,
                    session,
                    version + 1,
                    call,
                    Some((scope, fingerprint)),
                )
                .await;
            }
            Status::AuthenticationRequired => {
                let Some(auth) = &input.authentication else {
                    return Err(ApiError::RequiresThreeDs);
                };
                match auth.three_ds.clone() {
                    Some(three_ds) => {
                        let Some(call) = payment::begin_confirmation(&mut session, three_ds, now)
                        else {
                            return Err(ApiError::Internal(anyhow::anyhow!(
                                "authentication required without a payment intent"
                            )));
                        };
                        if !begin_call(state, &session, version, None, now).await? {
                            continue;
                        }
                        return run_call::<V>(
                            state,
                            session,
                            version + 1,
                            call,
                            Some((scope, fingerprint)),
                        )
                        .await;
                    }
                    None => {
                        // The buyer did not pass 3-D Secure: nothing will be charged on this token.
                        let intent = session.payment.as_ref().and_then(|p| p.intent_id.clone());
                        payment::fail(
                            &mut session,
                            &format!("Card authentication did not succeed ({}).", auth.outcome),
                        );
                        session.updated_at = now;
                        let reply = Reply::new(
                            StatusCode::OK,
                            V::session_body(&session, None, &render_ctx(state))?,
                        );
                        if !record(
                            state,
                            &session,
                            version,
                            &reply,
                            Some((scope, fingerprint)),
                            now,
                        )
                        .await?
                        {
                            continue;
                        }
                        cancel_abandoned(state, &session.id, intent);
                        return Ok(reply);
                    }
                }
            }
            Status::CompleteInProgress => {
                // Another request (or recovery) is paying; wait for its outcome rather than pay twice.
                if waited_since.elapsed() > WAIT_FOR_OTHER {
                    return Err(StateError::CompleteInProgress.into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Status::Completed => {
                // Completing again with the token that paid is the same intent: answer with the
                // order, as the first complete did.
                if session
                    .payment
                    .as_ref()
                    .is_some_and(|p| p.token == input.token)
                {
                    let order = store::orders::for_session(&state.db.read, &session.id).await?;
                    return Ok(Reply::new(
                        StatusCode::OK,
                        V::session_body(&session, order.as_ref(), &render_ctx(state))?,
                    ));
                }
                return Err(StateError::Completed.into());
            }
            Status::NotReadyForPayment => {
                let why: Vec<&str> = session
                    .messages
                    .iter()
                    .filter(|m| m.is_blocking())
                    .map(|m| m.content.as_str())
                    .collect();
                return Err(ApiError::NotReadyForPayment(if why.is_empty() {
                    "see the session's messages".into()
                } else {
                    why.join(" ")
                }));
            }
            Status::Canceled | Status::Expired => {
                return Err(Option::<StateError>::from(session.status)
                    .unwrap_or(StateError::Canceled)
                    .into());
            }
        }
    }
}

/// Step 1: record the call about to be made. `false` if the session changed meanwhile.
async fn begin_call(
    state: &AppState,
    session: &Session,
    version: i64,
    attribution: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if !store::sessions::update(&mut tx, session, version).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    if let Some(a) = attribution {
        store::records::insert_attribution(&mut tx, &session.id, "last", a, now).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(true)
}

/// Steps 2 and 3.
async fn run_call<V: WireVersion>(
    state: &AppState,
    session: Session,
    version: i64,
    call: PspCall,
    idempotency: Option<(&Scope, &str)>,
) -> Result<Reply, ApiError> {
    let outcome = match call_psp(state, &session, &call).await {
        Ok(outcome) => outcome,
        Err(e) => {
            // The charge may or may not have happened: the session stays in progress and
            // recovery finishes it with the same key. The agent may retry; it will wait.
            tracing::warn!(session = %session.id, error = %e, "PSP unreachable; the payment will be recovered");
            return Err(ApiError::Unavailable(
                "the payment provider could not be reached; retry shortly".into(),
            ));
        }
    };
    settle::<V>(state, session, version, outcome, idempotency).await
}

async fn call_psp(
    state: &AppState,
    session: &Session,
    call: &PspCall,
) -> Result<PspOutcome, PspError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match call {
            PspCall::Create {
                key,
                amount,
                currency,
            } => {
                let token = session
                    .payment
                    .as_ref()
                    .map(|p| p.token.clone())
                    .unwrap_or_default();
                let body = CreatePaymentIntent {
                    amount: *amount,
                    currency: currency.clone(),
                    payment_token: token,
                    checkout_session_id: session.id.clone(),
                    metadata: [("checkout_session_id".to_owned(), session.id.clone())].into(),
                };
                state.psp.create_payment_intent(&body, key).await
            }
            PspCall::Confirm {
                key,
                intent_id,
                three_ds,
            } => {
                let body = ConfirmPaymentIntent {
                    three_d_secure: ThreeDSecureData {
                        cryptogram: three_ds.cryptogram.clone(),
                        electronic_commerce_indicator: three_ds.eci.clone(),
                        transaction_id: three_ds.transaction_id.clone(),
                        version: three_ds.version.clone(),
                    },
                };
                state
                    .psp
                    .confirm_payment_intent(intent_id, &body, key)
                    .await
            }
        };
        match result {
            Ok(intent) => return Ok(outcome_of(intent)),
            // The PSP refused the request itself (a bad token): nothing was charged.
            Err(PspError::Api { status, error }) if !(status >= 500 || status == 409) => {
                return Ok(PspOutcome::Failed {
                    reason: format!(
                        "The payment was refused: {}.",
                        error.message.trim_end_matches('.')
                    ),
                });
            }
            Err(e) if e.is_retryable() && attempt < PSP_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn outcome_of(intent: PaymentIntent) -> PspOutcome {
    match intent.status {
        PaymentIntentStatus::Succeeded => PspOutcome::Succeeded {
            intent_id: intent.id,
            brand: intent.card.brand,
            last4: intent.card.last4,
        },
        PaymentIntentStatus::RequiresAction => match intent.next_action {
            Some(NextAction::ThreeDSecure { three_d_secure: t }) => {
                PspOutcome::RequiresAuthentication {
                    intent_id: intent.id,
                    metadata: AuthenticationMetadata {
                        directory_server: t.directory_server,
                        acquirer_bin: t.acquirer_bin,
                        acquirer_country: t.acquirer_country,
                        acquirer_merchant_id: t.acquirer_merchant_id,
                        merchant_name: t.merchant_name,
                    },
                }
            }
            None => PspOutcome::Failed {
                reason: "The payment provider asked for an action this merchant does not support."
                    .into(),
            },
        },
        PaymentIntentStatus::RequiresPaymentMethod | PaymentIntentStatus::Canceled => {
            let reason = intent.last_payment_error.map_or_else(
                || "The card was declined.".to_owned(),
                |e| match e.decline_code {
                    Some(code) => format!("The card was declined ({}).", code.replace('_', " ")),
                    None if e.code == "processing_error" => {
                        "The card could not be processed; nothing was charged.".to_owned()
                    }
                    None => format!("The payment failed ({}).", e.code.replace('_', " ")),
                },
            );
            PspOutcome::Failed { reason }
        }
    }
}

/// Step 3: write the outcome. A success writes the order and sells the held units in the same
/// transaction as the session; the unique order per session is the last guard against two.
async fn settle<V: WireVersion>(
    state: &AppState,
    mut session: Session,
    version: i64,
    outcome: PspOutcome,
    idempotency: Option<(&Scope, &str)>,
) -> Result<Reply, ApiError> {
    let now = state.clock.now();
    if matches!(outcome, PspOutcome::Succeeded { .. })
        && state.failpoint.as_deref() == Some("after_charge")
    {
        tracing::error!(session = %session.id, "failpoint after_charge: aborting before the order is written");
        std::process::abort();
    }
    let supports_3ds = session.interventions.iter().any(|i| i == "3ds");
    let charged = match &outcome {
        PspOutcome::Succeeded {
            intent_id,
            brand,
            last4,
        } => Some(PaymentRecord {
            intent_id: intent_id.clone(),
            brand: brand.clone(),
            last4: last4.clone(),
        }),
        _ => None,
    };
    let paid = payment::settle(&mut session, outcome, supports_3ds, now);
    let order = match (paid, charged) {
        (true, Some(p)) => {
            let o = order::from_session(&session, kit::ids::random("ord_", 24), p, now);
            session.order_id = Some(o.id.clone());
            Some(o)
        }
        _ => None,
    };
    let reply = Reply::new(
        StatusCode::OK,
        V::session_body(&session, order.as_ref(), &render_ctx(state))?,
    );

    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if !store::sessions::update(&mut tx, &session, version).await? {
        // Someone else settled this call first (recovery and a retry racing): theirs stands.
        tx.rollback().await.map_err(StoreError::from)?;
        return current_reply::<V>(state, &session.id).await;
    }
    if let Some(o) = &order {
        if !store::orders::insert(&mut tx, o).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return current_reply::<V>(state, &session.id).await;
        }
        let sold: Vec<(String, i64)> = session
            .lines
            .iter()
            .map(|l| (l.variant_id.clone(), i64::from(l.quantity)))
            .collect();
        store::inventory::commit(&mut tx, &sold).await?;
        crate::webhooks::record(
            &mut tx,
            state,
            crate::webhooks::EventKind::OrderCreate,
            o,
            1,
            now,
        )
        .await?;
    }
    if let Some((scope, fingerprint)) = idempotency
        && !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return replay_winner(&state.db, scope, fingerprint).await;
    }
    tx.commit().await.map_err(StoreError::from)?;
    match &order {
        Some(o) => {
            state.webhooks.notify.notify_one();
            tracing::info!(session = %session.id, order = %o.id, total = o.totals.total, "checkout completed")
        }
        None => {
            tracing::info!(session = %session.id, status = session.status.as_str(), "payment attempt settled")
        }
    }
    Ok(reply)
}

async fn current_reply<V: WireVersion>(state: &AppState, id: &str) -> Result<Reply, ApiError> {
    let v = store::sessions::get(&state.db.write, id)
        .await?
        .ok_or(ApiError::SessionNotFound)?;
    let order = crate::checkout::order_of(state, &v.session).await?;
    Ok(Reply::new(
        StatusCode::OK,
        V::session_body(&v.session, order.as_ref(), &render_ctx(state))?,
    ))
}

/// Writes a session change with the agent's idempotency record. `false` if the session changed.
async fn record(
    state: &AppState,
    session: &Session,
    version: i64,
    reply: &Reply,
    idempotency: Option<(&Scope, &str)>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if !store::sessions::update(&mut tx, session, version).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    if let Some((scope, fingerprint)) = idempotency
        && !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(false);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(true)
}

/// Finishes payments cut short by a crash or an unreachable PSP: every session in
/// `complete_in_progress` last written before `cutoff` gets its recorded call repeated with the
/// recorded key, and the answer written. Returns how many were finished.
pub async fn recover(state: &AppState, cutoff: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut done = 0;
    for id in store::sessions::in_progress(&state.db.read, cutoff, 50).await? {
        let Some(Versioned { session, version }) =
            store::sessions::get(&state.db.read, &id).await?
        else {
            continue;
        };
        let Some(call) = session.payment.as_ref().and_then(|p| p.pending.clone()) else {
            continue;
        };
        match call_psp(state, &session, &call).await {
            Ok(outcome) => {
                // Recovery answers no request; the version check keeps it from racing one.
                settle::<crate::protocol::V2026_04_17>(state, session, version, outcome, None)
                    .await?;
                done += 1;
            }
            Err(e) => {
                tracing::warn!(session = %id, error = %e, "PSP still unreachable; will retry")
            }
        }
    }
    Ok(done)
}

/// Best effort: a payment intent left waiting for 3-D Secure by a session that moved on is
/// canceled at the PSP. Nothing was charged on it either way.
pub fn cancel_abandoned(state: &AppState, session_id: &str, intent: Option<String>) {
    let Some(intent) = intent else {
        return;
    };
    let psp = state.psp.clone();
    let key = format!("{session_id}:cancel:{intent}");
    tokio::spawn(async move {
        if let Err(e) = psp.cancel_payment_intent(&intent, &key).await {
            tracing::warn!(intent = %intent, error = %e, "could not cancel an abandoned payment intent");
        }
    });
}
