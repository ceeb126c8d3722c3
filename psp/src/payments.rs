//! The merchant side: redeem a token into a payment intent, confirm it after 3-D Secure,
//! cancel it, refund it.
//!
//! Any redemption that reaches the (simulated) card network uses the token up, declines
//! included, so a token cannot be used to probe a card repeatedly. Redemptions refused before
//! that (wrong merchant, amount above the allowance, expired) leave the token as it was.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kit::db::StoreError;
use kit::idempotency::{Reply, Scope};
use shared::psp::{
    CardSummary, ConfirmPaymentIntent, CreatePaymentIntent, CreateRefund, NextAction, PaymentError,
    PaymentIntent, PaymentIntentStatus, Refund, RefundStatus, ThreeDSecureAction,
};
use subtle::ConstantTimeEq;

use crate::cards::{self, Behaviour, Brand};
use crate::error::{Error, V1Error};
use crate::state::AppState;
use crate::store::{self, intents::IntentRow, tokens::TokenRow};

/// Why a token could not be redeemed as asked, most specific first.
pub fn token_refusal(
    t: &TokenRow,
    merchant_id: &str,
    checkout_session_id: &str,
    currency: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> (&'static str, String, &'static str) {
    if t.merchant_id != merchant_id {
        return (
            "token_merchant_mismatch",
            "The payment token was issued for another merchant".into(),
            "payment_token",
        );
    }
    if t.status != "active" {
        return (
            "token_already_used",
            "The payment token has already been used".into(),
            "payment_token",
        );
    }
    if t.expires_at <= now.timestamp() {
        return (
            "token_expired",
            "The payment token has expired".into(),
            "payment_token",
        );
    }
    if t.checkout_session_id != checkout_session_id {
        return (
            "token_session_mismatch",
            "The payment token was issued for another checkout session".into(),
            "checkout_session_id",
        );
    }
    if t.currency != currency {
        return (
            "token_currency_mismatch",
            format!("The payment token allows {} only", t.currency),
            "currency",
        );
    }
    if amount > t.max_amount {
        return (
            "amount_exceeds_allowance",
            format!(
                "The amount exceeds the token's allowance of {}",
                t.max_amount
            ),
            "amount",
        );
    }
    (
        "token_unusable",
        "The payment token cannot be used".into(),
        "payment_token",
    )
}

/// What the network does with a first attempt.
pub fn first_attempt(
    behaviour: Behaviour,
    cvc_check: &str,
) -> (PaymentIntentStatus, Option<PaymentError>) {
    match behaviour {
        _ if cvc_check == "fail" => declined("incorrect_cvc"),
        Behaviour::Approve | Behaviour::RefundFails => (PaymentIntentStatus::Succeeded, None),
        Behaviour::Decline(code) => declined(code),
        Behaviour::ProcessingError => (
            PaymentIntentStatus::RequiresPaymentMethod,
            Some(PaymentError {
                code: "processing_error".into(),
                decline_code: None,
                message: "An error occurred while processing the card; nothing was charged.".into(),
            }),
        ),
        Behaviour::RequiresAuthentication { .. } => (PaymentIntentStatus::RequiresAction, None),
    }
}

/// As Stripe reports them: an expired card and a wrong CVC have codes of their own, every
/// other decline is `card_declined` with the reason in `decline_code`.
fn declined(code: &str) -> (PaymentIntentStatus, Option<PaymentError>) {
    (
        PaymentIntentStatus::RequiresPaymentMethod,
        Some(PaymentError {
            code: match code {
                "expired_card" | "incorrect_cvc" => code.to_owned(),
                _ => "card_declined".to_owned(),
            },
            decline_code: Some(code.to_owned()),
            message: format!("The card was declined ({code})."),
        }),
    )
}

fn parse_v1<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    crate::routes::parse(body)
}

/// `POST /v1/payment_intents`.
pub async fn create(
    state: &AppState,
    merchant: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let req: CreatePaymentIntent = parse_v1(body)?;
    if req.amount <= 0 {
        return Err(Error::invalid_field("amount must be positive", "amount"));
    }
    let now = state.clock.now();
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    let Some(token) = store::tokens::redeem(
        &mut tx,
        &req.payment_token,
        merchant,
        &req.checkout_session_id,
        &req.currency,
        req.amount,
        now,
    )
    .await?
    else {
        let existing = store::tokens::get(&mut tx, &req.payment_token).await?;
        tx.rollback().await.map_err(StoreError::from)?;
        let (code, message, param) = match existing {
            Some(t) => token_refusal(
                &t,
                merchant,
                &req.checkout_session_id,
                &req.currency,
                req.amount,
                now,
            ),
            None => (
                "token_not_found",
                "No such payment token".into(),
                "payment_token",
            ),
        };
        tracing::info!(code, merchant, "token redemption refused");
        return Err(Error::Payment {
            code,
            message,
            param: Some(param.to_owned()),
        });
    };
    let card = store::cards::get(&mut *tx, &token.card_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("token {} has no card", token.id)))?;
    let secret = state
        .vault
        .open(&card.id, &card.sealed)
        .map_err(|e| Error::Internal(e.into()))?;
    let behaviour = cards::behaviour(&secret.number);
    let brand = Brand::of(&secret.number);
    drop(secret);

    let (status, last_payment_error) = first_attempt(behaviour, &card.cvc_check);
    let next_action =
        (status == PaymentIntentStatus::RequiresAction).then(|| NextAction::ThreeDSecure {
            three_d_secure: ThreeDSecureAction {
                directory_server: brand.directory_server().to_owned(),
                acquirer_bin: state.settings.acquirer_bin.clone(),
                acquirer_country: state.settings.acquirer_country.clone(),
                acquirer_merchant_id: merchant.to_owned(),
                merchant_name: truncated(
                    state
                        .merchants
                        .get(merchant)
                        .map_or(merchant, String::as_str),
                    40,
                ),
                authentication_url: state.base_url.clone(),
            },
        });
    let intent = PaymentIntent {
        id: kit::ids::random("pi_", 24),
        amount: req.amount,
        amount_received: if status == PaymentIntentStatus::Succeeded {
            req.amount
        } else {
            0
        },
        amount_refunded: 0,
        currency: req.currency.clone(),
        status,
        checkout_session_id: req.checkout_session_id.clone(),
        card: CardSummary {
            brand: card.brand.clone(),
            last4: card.last4.clone(),
            funding: card.funding.clone(),
        },
        last_payment_error,
        next_action,
        created: now,
        metadata: req.metadata.clone(),
    };
    let row = IntentRow {
        intent,
        merchant_id: merchant.to_owned(),
        token_id: token.id.clone(),
        card_id: card.id.clone(),
    };
    store::intents::insert(&mut tx, &row, now).await?;
    finish(state, tx, scope, fingerprint, &row.intent, now).await
}

/// Stores the reply with the effect, or replays the winner of a race for the key.
async fn finish(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    scope: &Scope,
    fingerprint: &str,
    intent: &PaymentIntent,
    now: DateTime<Utc>,
) -> Result<Reply, Error> {
    let reply = Reply::new(
        StatusCode::OK,
        serde_json::to_string(intent).map_err(|e| Error::Internal(e.into()))?,
    );
    if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return kit::idempotency::replay_winner::<V1Error>(&state.db, scope, fingerprint)
            .await
            .map_err(|e| e.0);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(intent = %intent.id, status = ?intent.status, amount = intent.amount, "payment intent");
    Ok(reply)
}

fn truncated(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// `POST /v1/payment_intents/{id}/confirm`: continue a `requires_action` intent with the
/// 3-D Secure result, which must be an authentication of this card, merchant and amount that
/// has not paid for anything else yet.
pub async fn confirm(
    state: &AppState,
    merchant: &str,
    id: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let req: ConfirmPaymentIntent = parse_v1(body)?;
    let now = state.clock.now();
    let row = store::intents::get(&state.db.read, merchant, id)
        .await?
        .ok_or(Error::NotFound("payment intent"))?;
    if row.intent.status != PaymentIntentStatus::RequiresAction {
        return Err(Error::Payment {
            code: "payment_intent_unexpected_state",
            message: "Only a payment intent that requires action can be confirmed".into(),
            param: None,
        });
    }
    let card = store::cards::get(&state.db.read, &row.card_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("intent {id} has no card")))?;

    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    let auth =
        store::authentications::find_by_ds_trans(&mut tx, &req.three_d_secure.transaction_id)
            .await?;
    let verified = auth.as_ref().is_some_and(|a| {
        let cryptogram_matches = a.cryptogram.as_deref().is_some_and(|c| {
            bool::from(c.as_bytes().ct_eq(req.three_d_secure.cryptogram.as_bytes()))
        });
        cryptogram_matches
            && matches!(a.status.as_str(), "authenticated" | "attempted")
            && a.card_fingerprint == card.fingerprint
            && a.merchant_id == merchant
            && a.amount == row.intent.amount
            && a.currency.eq_ignore_ascii_case(&row.intent.currency)
            && a.consumed_by.is_none()
            && a.expires_at > now.timestamp()
    });
    let mut intent = row.intent.clone();
    intent.next_action = None;
    if verified {
        let auth = auth.as_ref().map(|a| a.id.clone()).unwrap_or_default();
        if !store::authentications::consume(&mut tx, &auth, &intent.id).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(Error::Unavailable(
                "the authentication was used concurrently".into(),
            ));
        }
        let secret = state
            .vault
            .open(&card.id, &card.sealed)
            .map_err(|e| Error::Internal(e.into()))?;
        let then = match cards::behaviour(&secret.number) {
            Behaviour::RequiresAuthentication { then_decline, .. } => then_decline,
            _ => None,
        };
        drop(secret);
        match then {
            None => {
                intent.status = PaymentIntentStatus::Succeeded;
                intent.amount_received = intent.amount;
            }
            Some(code) => (intent.status, intent.last_payment_error) = declined(code),
        }
    } else {
        intent.status = PaymentIntentStatus::RequiresPaymentMethod;
        intent.last_payment_error = Some(PaymentError {
            code: "authentication_failed".into(),
            decline_code: None,
            message: "The 3-D Secure result does not authenticate this payment.".into(),
        });
    }
    if !store::intents::transition(&mut tx, &intent, "requires_action", now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(Error::Unavailable(
            "the payment intent changed concurrently".into(),
        ));
    }
    finish(state, tx, scope, fingerprint, &intent, now).await
}

/// `POST /v1/payment_intents/{id}/cancel`: only an intent that has not succeeded.
pub async fn cancel(
    state: &AppState,
    merchant: &str,
    id: &str,
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let now = state.clock.now();
    let row = store::intents::get(&state.db.read, merchant, id)
        .await?
        .ok_or(Error::NotFound("payment intent"))?;
    let from = match row.intent.status {
        PaymentIntentStatus::RequiresAction => "requires_action",
        PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
        _ => {
            return Err(Error::Payment {
                code: "payment_intent_unexpected_state",
                message:
                    "A succeeded or canceled payment intent cannot be canceled; refund it instead"
                        .into(),
                param: None,
            });
        }
    };
    let mut intent = row.intent;
    intent.status = PaymentIntentStatus::Canceled;
    intent.next_action = None;
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if !store::intents::transition(&mut tx, &intent, from, now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(Error::Unavailable(
            "the payment intent changed concurrently".into(),
        ));
    }
    finish(state, tx, scope, fingerprint, &intent, now).await
}

/// `POST /v1/refunds`: never more than was received minus what was refunded already.
pub async fn refund(
    state: &AppState,
    merchant: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let req: CreateRefund = parse_v1(body)?;
    let now = state.clock.now();
    let row = store::intents::get(&state.db.read, merchant, &req.payment_intent)
        .await?
        .ok_or(Error::NotFound("payment intent"))?;
    if row.intent.status != PaymentIntentStatus::Succeeded {
        return Err(Error::Payment {
            code: "charge_not_refundable",
            message: "Only a succeeded payment can be refunded".into(),
            param: Some("payment_intent".into()),
        });
    }
    let remaining = row.intent.amount_received - row.intent.amount_refunded;
    let amount = req.amount.unwrap_or(remaining);
    if amount <= 0 {
        return Err(Error::invalid_field("amount must be positive", "amount"));
    }
    let card = store::cards::get(&state.db.read, &row.card_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("intent has no card")))?;
    let refund_fails = {
        let secret = state
            .vault
            .open(&card.id, &card.sealed)
            .map_err(|e| Error::Internal(e.into()))?;
        cards::behaviour(&secret.number) == Behaviour::RefundFails
    };
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    let status = if refund_fails {
        RefundStatus::Failed
    } else if store::intents::add_refund(&mut tx, merchant, &row.intent.id, amount, now)
        .await?
        .is_some()
    {
        RefundStatus::Succeeded
    } else {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(Error::Payment {
            code: "amount_too_large",
            message: format!("At most {remaining} can be refunded on this payment"),
            param: Some("amount".into()),
        });
    };
    let refund = Refund {
        id: kit::ids::random("re_", 24),
        payment_intent: row.intent.id.clone(),
        amount,
        currency: row.intent.currency.clone(),
        status,
        reason: req.reason.clone(),
        created: now,
    };
    store::refunds::insert(
        &mut tx,
        merchant,
        &refund,
        refund_fails.then_some("expired_or_canceled_card"),
        now,
    )
    .await?;
    let reply = Reply::new(
        StatusCode::OK,
        serde_json::to_string(&refund).map_err(|e| Error::Internal(e.into()))?,
    );
    if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return kit::idempotency::replay_winner::<V1Error>(&state.db, scope, fingerprint)
            .await
            .map_err(|e| e.0);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(refund = %refund.id, intent = %refund.payment_intent, amount, status = ?refund.status, "refund");
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> TokenRow {
        TokenRow {
            id: "spt_1".into(),
            card_id: "card_1".into(),
            agent: "a".into(),
            merchant_id: "m".into(),
            checkout_session_id: "cs".into(),
            currency: "usd".into(),
            max_amount: 1000,
            expires_at: 2_000_000_000,
            status: "active".into(),
        }
    }

    #[test]
    fn refusals_name_the_broken_binding() {
        let now = DateTime::from_timestamp(1_900_000_000, 0).expect("valid");
        let t = token();
        assert_eq!(
            token_refusal(&t, "other", "cs", "usd", 10, now).0,
            "token_merchant_mismatch"
        );
        assert_eq!(
            token_refusal(&t, "m", "other", "usd", 10, now).0,
            "token_session_mismatch"
        );
        assert_eq!(
            token_refusal(&t, "m", "cs", "eur", 10, now).0,
            "token_currency_mismatch"
        );
        assert_eq!(
            token_refusal(&t, "m", "cs", "usd", 1001, now).0,
            "amount_exceeds_allowance"
        );
        let later = DateTime::from_timestamp(2_000_000_000, 0).expect("valid");
        assert_eq!(
            token_refusal(&t, "m", "cs", "usd", 10, later).0,
            "token_expired"
        );
        let used = TokenRow {
            status: "used".into(),
            ..token()
        };
        assert_eq!(
            token_refusal(&used, "m", "cs", "usd", 10, now).0,
            "token_already_used"
        );
    }

    #[test]
    fn network_outcomes() {
        assert_eq!(
            first_attempt(Behaviour::Approve, "pass").0,
            PaymentIntentStatus::Succeeded
        );
        assert_eq!(
            first_attempt(Behaviour::Approve, "fail")
                .1
                .and_then(|e| e.decline_code)
                .as_deref(),
            Some("incorrect_cvc")
        );
        assert_eq!(
            first_attempt(Behaviour::Decline("lost_card"), "pass")
                .1
                .and_then(|e| e.decline_code)
                .as_deref(),
            Some("lost_card")
        );
        assert_eq!(
            first_attempt(Behaviour::ProcessingError, "pass")
                .1
                .map(|e| e.code)
                .as_deref(),
            Some("processing_error")
        );
        assert_eq!(
            first_attempt(
                Behaviour::RequiresAuthentication {
                    flow: cards::Flow::Challenge,
                    then_decline: None
                },
                "unavailable"
            )
            .0,
            PaymentIntentStatus::RequiresAction
        );
    }
}
