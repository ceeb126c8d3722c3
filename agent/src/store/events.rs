//! `order_events` and `orders`: what merchants told this agent about orders.

use chrono::{DateTime, Utc};
use kit::db::{Db, StoreError, unix};
use sqlx::AnyPool;

use crate::webhooks::Received;

/// Stores the event and the order's latest state in one transaction; `false` if this event was
/// recorded before (a redelivery). Two new events of one order at once cannot both take the
/// same position: the loser fails and its sender retries.
///
/// `news` turns the order's previous event body (if any) and this one into a message for the
/// buyer; it is added to the conversation the checkout session belongs to, in the same
/// transaction, so the buyer hears of each change exactly once.
pub async fn record(
    db: &Db,
    e: &Received,
    now: DateTime<Utc>,
    news: impl FnOnce(Option<&str>, &str) -> Option<String>,
) -> Result<bool, StoreError> {
    let mut tx = db.write.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO order_events (merchant_id, event_id, order_id, position, event_type, order_status, body, received_at) \
         SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1, $4, $5, $6, $7 \
           FROM order_events WHERE merchant_id = $1 AND order_id = $3 \
         ON CONFLICT (merchant_id, event_id) DO NOTHING",
    )
    .bind(&e.merchant_id)
    .bind(&e.event_id)
    .bind(&e.order_id)
    .bind(&e.event_type)
    .bind(&e.order_status)
    .bind(&e.body)
    .bind(unix(now))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        tx.rollback().await?;
        return Ok(false);
    }
    let previous: Option<String> =
        sqlx::query_scalar("SELECT document FROM orders WHERE merchant_id = $1 AND order_id = $2")
            .bind(&e.merchant_id)
            .bind(&e.order_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(text) = news(previous.as_deref(), &e.body)
        && let Some(conversation) =
            super::conversations::for_checkout(&mut tx, &e.merchant_id, &e.checkout_session_id)
                .await?
    {
        super::conversations::append(
            &mut tx,
            &conversation,
            super::conversations::Role::Update,
            &text,
            now,
        )
        .await?;
    }
    sqlx::query(
        "INSERT INTO orders (merchant_id, order_id, checkout_session_id, status, document, last_event_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (merchant_id, order_id) DO UPDATE SET status = excluded.status, \
           document = excluded.document, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
    )
    .bind(&e.merchant_id)
    .bind(&e.order_id)
    .bind(&e.checkout_session_id)
    .bind(&e.order_status)
    .bind(&e.body)
    .bind(&e.event_id)
    .bind(unix(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An order's events as received: `(event id, type, order status, body)`, oldest first.
pub async fn events_for(
    pool: &AnyPool,
    merchant_id: &str,
    order_id: &str,
) -> Result<Vec<(String, String, String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT event_id, event_type, order_status, body FROM order_events \
         WHERE merchant_id = $1 AND order_id = $2 ORDER BY position",
    )
    .bind(merchant_id)
    .bind(order_id)
    .fetch_all(pool)
    .await?)
}
