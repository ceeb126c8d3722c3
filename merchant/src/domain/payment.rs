//! Paying for a session: the steps between "complete" and an order, as plain data.
//!
//! ```text
//! ready_for_payment ── complete(token) ──► complete_in_progress ── PSP: succeeded ──────► completed (+ order)
//!                                                │               ├─ PSP: 3-D Secure ──► authentication_required
//!                                                │               └─ PSP: declined ────► ready_for_payment (+ payment_declined)
//! authentication_required ── complete(result) ──► complete_in_progress ── … as above
//!                         └─ complete(failed result) ──────────────────────────────────► ready_for_payment (+ payment_declined)
//! ```
//! Before any call to the PSP, the session records the call and its idempotency key in
//! `complete_in_progress`. If the process dies mid-call, recovery repeats exactly that call
//! with the same key, which the PSP answers from its own idempotency store: the buyer is
//! charged once, whatever happened.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::message::{ErrorCode, Message};
use super::session::{Session, StateError, Status};

/// The 3-D Secure result passed on to the PSP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeDs {
    pub cryptogram: String,
    pub eci: String,
    pub transaction_id: String,
    pub version: String,
}

/// A call to the PSP that has been decided but whose answer is not recorded yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PspCall {
    /// Redeem the token for the session's total.
    Create {
        key: String,
        amount: i64,
        currency: String,
    },
    /// Confirm the payment intent with the 3-D Secure result.
    Confirm {
        key: String,
        intent_id: String,
        three_ds: ThreeDs,
    },
}

/// What 3-D Secure needs, from the PSP, for `authentication_metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationMetadata {
    pub directory_server: String,
    pub acquirer_bin: String,
    pub acquirer_country: String,
    pub acquirer_merchant_id: String,
    pub merchant_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The Shared Payment Token.
    pub token: String,
    pub handler_id: String,
    pub intent_id: Option<String>,
    /// Set while `complete_in_progress`.
    pub pending: Option<PspCall>,
    pub authentication: Option<AuthenticationMetadata>,
    /// Card brand and last four, once the PSP has told.
    pub card: Option<(String, String)>,
}

/// What the PSP answered, reduced to what the session needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PspOutcome {
    Succeeded {
        intent_id: String,
        brand: String,
        last4: String,
    },
    RequiresAuthentication {
        intent_id: String,
        metadata: AuthenticationMetadata,
    },
    /// Declined, failed, or the token was refused: nothing was charged.
    Failed { reason: String },
}

/// The idempotency key of the PSP call that redeems `token` for this session. Derived from both,
/// so a retried complete (or recovery) repeats the same call, while a new token after a
/// decline is a new call.
pub fn create_key(session_id: &str, token: &str) -> String {
    format!("{session_id}:create:{token}")
}

pub fn confirm_key(session_id: &str, transaction_id: &str) -> String {
    format!("{session_id}:confirm:{transaction_id}")
}

/// `ready_for_payment → complete_in_progress`, recording the redemption about to be made.
pub fn begin(
    session: &mut Session,
    token: &str,
    handler_id: &str,
    now: DateTime<Utc>,
) -> Result<PspCall, StateError> {
    match session.status {
        Status::ReadyForPayment => {}
        other => {
            return Err(Option::<StateError>::from(other).unwrap_or(StateError::CompleteInProgress));
        }
    }
    let call = PspCall::Create {
        key: create_key(&session.id, token),
        amount: session.totals.total,
        currency: session.currency.clone(),
    };
    session.payment = Some(Payment {
        token: token.to_owned(),
        handler_id: handler_id.to_owned(),
        intent_id: None,
        pending: Some(call.clone()),
        authentication: None,
        card: None,
    });
    session.payment_messages.clear();
    session.status = Status::CompleteInProgress;
    session.updated_at = now;
    Ok(call)
}

/// `authentication_required → complete_in_progress`, recording the confirmation about to be made.
pub fn begin_confirmation(
    session: &mut Session,
    three_ds: ThreeDs,
    now: DateTime<Utc>,
) -> Option<PspCall> {
    let payment = session.payment.as_mut()?;
    let intent_id = payment.intent_id.clone()?;
    let call = PspCall::Confirm {
        key: confirm_key(&session.id, &three_ds.transaction_id),
        intent_id,
        three_ds,
    };
    payment.pending = Some(call.clone());
    session.status = Status::CompleteInProgress;
    session.updated_at = now;
    Some(call)
}

/// Records the PSP's answer. Returns `true` when the payment succeeded and an order is due.
pub fn settle(
    session: &mut Session,
    outcome: PspOutcome,
    agent_supports_3ds: bool,
    now: DateTime<Utc>,
) -> bool {
    session.updated_at = now;
    let Some(payment) = session.payment.as_mut() else {
        return false;
    };
    payment.pending = None;
    match outcome {
        PspOutcome::Succeeded {
            intent_id,
            brand,
            last4,
        } => {
            payment.intent_id = Some(intent_id);
            payment.card = Some((brand, last4));
            session.status = Status::Completed;
            // The cart's advice (free shipping thresholds, low stock) no longer applies.
            session.messages.clear();
            true
        }
        PspOutcome::RequiresAuthentication {
            intent_id,
            metadata,
        } => {
            payment.intent_id = Some(intent_id);
            payment.authentication = Some(metadata);
            session.status = Status::AuthenticationRequired;
            if !agent_supports_3ds {
                session.payment_messages.push(Message::error(
                    ErrorCode::InterventionRequired,
                    "$.payment_data",
                    "This card requires 3-D Secure, which the agent did not declare it supports. Update the session and pay with another card.",
                ));
            }
            false
        }
        PspOutcome::Failed { reason } => {
            fail(session, &reason);
            false
        }
    }
}

/// Back to `ready_for_payment`, telling the agent why; the token is spent and a new one is
/// needed.
pub fn fail(session: &mut Session, reason: &str) {
    session.payment = None;
    session.status = Status::ReadyForPayment;
    session.payment_messages = vec![Message::error(
        ErrorCode::PaymentDeclined,
        "$.payment_data",
        format!("{reason} Try again with a different payment method."),
    )];
}

/// Drops a payment waiting for 3-D Secure (the session is changing or ending); returns the
/// payment intent to cancel at the PSP.
pub fn abandon(session: &mut Session) -> Option<String> {
    if session.status != Status::AuthenticationRequired {
        return None;
    }
    session.status = Status::NotReadyForPayment;
    session.payment_messages.clear();
    session.payment.take().and_then(|p| p.intent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_per_session_and_token() {
        assert_eq!(create_key("cs_1", "spt_a"), create_key("cs_1", "spt_a"));
        assert_ne!(create_key("cs_1", "spt_a"), create_key("cs_1", "spt_b"));
        assert_ne!(create_key("cs_1", "spt_a"), create_key("cs_2", "spt_a"));
    }
}
