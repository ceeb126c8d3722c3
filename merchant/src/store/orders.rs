//! `orders`.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use sqlx::{AnyConnection, AnyPool};

use crate::domain::order::{Order, OrderStatus};

/// An order with the version it was read at, for optimistic concurrency.
#[derive(Debug, Clone)]
pub struct VersionedOrder {
    pub order: Order,
    pub version: i64,
}

/// Inserts the order; `false` if the session already has one (a concurrent completion won).
pub async fn insert(conn: &mut AnyConnection, o: &Order) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO orders (id, checkout_session_id, agent, status, version, document, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&o.id)
    .bind(&o.session_id)
    .bind(&o.agent)
    .bind(o.status.as_str())
    .bind(serde_json::to_string(o)?)
    .bind(unix(o.created_at))
    .bind(unix(o.updated_at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes `o` if the stored version is still `expected`; `false` means someone else changed
/// the order first and the caller must re-read.
pub async fn update(
    conn: &mut AnyConnection,
    o: &Order,
    expected: i64,
) -> Result<bool, StoreError> {
    let pending_since = o
        .adjustments
        .iter()
        .filter(|a| a.status == crate::domain::order::AdjustmentStatus::Pending)
        .map(|a| unix(a.occurred_at))
        .min();
    let done = sqlx::query(
        "UPDATE orders SET status = $1, version = version + 1, document = $2, updated_at = $3, \
         refund_pending_since = $4 WHERE id = $5 AND version = $6",
    )
    .bind(o.status.as_str())
    .bind(serde_json::to_string(o)?)
    .bind(unix(o.updated_at))
    .bind(pending_since)
    .bind(&o.id)
    .bind(expected)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn versioned(row: Option<(String, i64)>) -> Result<Option<VersionedOrder>, StoreError> {
    row.map(|(doc, version)| {
        Ok(VersionedOrder {
            order: serde_json::from_str(&doc)?,
            version,
        })
    })
    .transpose()
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<VersionedOrder>, StoreError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT document, version FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    versioned(row)
}

pub async fn for_session(pool: &AnyPool, session_id: &str) -> Result<Option<Order>, StoreError> {
    let doc: Option<String> =
        sqlx::query_scalar("SELECT document FROM orders WHERE checkout_session_id = $1")
            .bind(session_id)
            .fetch_optional(pool)
            .await?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

/// The newest orders first, optionally of one status.
pub async fn list(
    pool: &AnyPool,
    status: Option<OrderStatus>,
    limit: i64,
) -> Result<Vec<Order>, StoreError> {
    let docs: Vec<String> = match status {
        Some(s) => sqlx::query_scalar(
            "SELECT document FROM orders WHERE status = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(s.as_str())
        .bind(limit)
        .fetch_all(pool)
        .await?,
        None => {
            sqlx::query_scalar("SELECT document FROM orders ORDER BY created_at DESC, id LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
}

/// Ids of orders in `status` whose last change is at least as old as `before`.
pub async fn idle_since(
    pool: &AnyPool,
    status: OrderStatus,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = $1 AND updated_at <= $2 ORDER BY updated_at LIMIT $3",
    )
    .bind(status.as_str())
    .bind(unix(before))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Ids of orders with a refund written before `before` and still waiting for the PSP.
pub async fn refund_pending(
    pool: &AnyPool,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM orders WHERE refund_pending_since IS NOT NULL AND refund_pending_since <= $1 \
         ORDER BY refund_pending_since LIMIT $2",
    )
    .bind(unix(before))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
