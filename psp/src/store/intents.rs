//! `payment_intents`: the document as returned to merchants, and the columns rules depend on.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use shared::psp::PaymentIntent;
use sqlx::{AnyConnection, AnyPool};

/// A payment intent with what only the PSP knows about it.
#[derive(Debug, Clone)]
pub struct IntentRow {
    pub intent: PaymentIntent,
    pub merchant_id: String,
    pub token_id: String,
    pub card_id: String,
}

fn status_str(i: &PaymentIntent) -> String {
    serde_json::to_value(i.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn insert(
    conn: &mut AnyConnection,
    row: &IntentRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let i = &row.intent;
    sqlx::query(
        "INSERT INTO payment_intents (id, merchant_id, token_id, card_id, checkout_session_id, amount, currency, status, \
         amount_received, amount_refunded, document, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&i.id)
    .bind(&row.merchant_id)
    .bind(&row.token_id)
    .bind(&row.card_id)
    .bind(&i.checkout_session_id)
    .bind(i.amount)
    .bind(&i.currency)
    .bind(status_str(i))
    .bind(i.amount_received)
    .bind(i.amount_refunded)
    .bind(serde_json::to_string(i)?)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The merchant's intent; another merchant's is reported as missing.
pub async fn get(
    pool: &AnyPool,
    merchant_id: &str,
    id: &str,
) -> Result<Option<IntentRow>, StoreError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT document, merchant_id, token_id, card_id FROM payment_intents WHERE id = $1 AND merchant_id = $2",
    )
    .bind(id)
    .bind(merchant_id)
    .fetch_optional(pool)
    .await?;
    row.map(|(doc, merchant_id, token_id, card_id)| {
        Ok(IntentRow {
            intent: serde_json::from_str(&doc)?,
            merchant_id,
            token_id,
            card_id,
        })
    })
    .transpose()
}

/// Moves an intent on from `expected_status`; `false` if it was no longer in that state.
pub async fn transition(
    conn: &mut AnyConnection,
    intent: &PaymentIntent,
    expected_status: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payment_intents SET status = $1, amount_received = $2, document = $3, updated_at = $4 \
         WHERE id = $5 AND status = $6",
    )
    .bind(status_str(intent))
    .bind(intent.amount_received)
    .bind(serde_json::to_string(intent)?)
    .bind(unix(now))
    .bind(&intent.id)
    .bind(expected_status)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds `amount` to what was refunded, if that stays within what was received. Returns the new
/// total refunded, or `None` when it would exceed it (or the intent did not succeed).
pub async fn add_refund(
    conn: &mut AnyConnection,
    merchant_id: &str,
    id: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let refunded: Option<i64> = sqlx::query_scalar(
        "UPDATE payment_intents SET amount_refunded = amount_refunded + $1, updated_at = $2 \
         WHERE id = $3 AND merchant_id = $4 AND status = 'succeeded' AND amount_received - amount_refunded >= $1 \
         RETURNING amount_refunded",
    )
    .bind(amount)
    .bind(unix(now))
    .bind(id)
    .bind(merchant_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(total) = refunded {
        // Keep the document's copy of the total in step.
        let doc: String = sqlx::query_scalar("SELECT document FROM payment_intents WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        let mut intent: PaymentIntent = serde_json::from_str(&doc)?;
        intent.amount_refunded = total;
        sqlx::query("UPDATE payment_intents SET document = $1 WHERE id = $2")
            .bind(serde_json::to_string(&intent)?)
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(refunded)
}
