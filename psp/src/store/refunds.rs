//! `refunds`.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use shared::psp::{Refund, RefundStatus};
use sqlx::{AnyConnection, AnyPool};

pub async fn insert(
    conn: &mut AnyConnection,
    merchant_id: &str,
    refund: &Refund,
    failure_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refunds (id, payment_intent_id, merchant_id, amount, currency, status, reason, failure_reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&refund.id)
    .bind(&refund.payment_intent)
    .bind(merchant_id)
    .bind(refund.amount)
    .bind(&refund.currency)
    .bind(match refund.status {
        RefundStatus::Succeeded => "succeeded",
        RefundStatus::Failed => "failed",
    })
    .bind(&refund.reason)
    .bind(failure_reason)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// `(id, payment_intent_id, amount, currency, status, reason, created_at)`.
type Row = (String, String, i64, String, String, Option<String>, i64);

pub async fn get(
    pool: &AnyPool,
    merchant_id: &str,
    id: &str,
) -> Result<Option<Refund>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, payment_intent_id, amount, currency, status, reason, created_at FROM refunds \
         WHERE id = $1 AND merchant_id = $2",
    )
    .bind(id)
    .bind(merchant_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(id, payment_intent, amount, currency, status, reason, created)| Refund {
            id,
            payment_intent,
            amount,
            currency,
            status: if status == "succeeded" {
                RefundStatus::Succeeded
            } else {
                RefundStatus::Failed
            },
            reason,
            created: chrono::DateTime::from_timestamp(created, 0).unwrap_or_default(),
        },
    ))
}
