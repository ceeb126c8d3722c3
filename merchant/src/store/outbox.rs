//! `webhook_events`: the outbox of order events.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool};

/// An event to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub agent: String,
    pub order_id: String,
    pub seq: i64,
    pub body: String,
    pub attempts: i64,
}

/// What an operator sees of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub agent: String,
    pub order_id: String,
    pub seq: i64,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    /// Unix milliseconds.
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Writes an event in the transaction of the order change it reports.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    conn: &mut AnyConnection,
    id: &str,
    agent: &str,
    order_id: &str,
    seq: i64,
    event_type: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_events (id, agent, order_id, seq, event_type, body, status, attempts, next_attempt_ms, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)",
    )
    .bind(id)
    .bind(agent)
    .bind(order_id)
    .bind(seq)
    .bind(event_type)
    .bind(body)
    .bind(millis(now))
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Events due now that are first in line for their order: an order's later events wait until
/// the earlier ones are delivered (a parked one holds them back until an operator acts).
pub async fn due(
    pool: &AnyPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Pending>, StoreError> {
    let rows: Vec<(String, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT e.id, e.agent, e.order_id, e.seq, e.body, e.attempts FROM webhook_events e \
         WHERE e.status = 'pending' AND e.next_attempt_ms <= $1 \
           AND NOT EXISTS (SELECT 1 FROM webhook_events p \
                           WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.status <> 'delivered') \
         ORDER BY e.next_attempt_ms, e.created_at LIMIT $2",
    )
    .bind(millis(now))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, agent, order_id, seq, body, attempts)| Pending {
            id,
            agent,
            order_id,
            seq,
            body,
            attempts,
        })
        .collect())
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes events for one attempt each: they are not due again before `lease_until_ms`, so
/// another worker (or this one, after a crash) retries only once the lease has run out. Returns
/// the ids taken (others were taken by someone else first). One statement for the lot.
pub async fn claim(
    pool: &AnyPool,
    ids: &[String],
    now: DateTime<Utc>,
    lease_until_ms: i64,
) -> Result<Vec<String>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE webhook_events SET next_attempt_ms = $1 \
         WHERE status = 'pending' AND next_attempt_ms <= $2 AND id IN ({}) RETURNING id",
        placeholders(3, ids.len())
    );
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(lease_until_ms)
        .bind(millis(now));
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(pool).await?)
}

/// Marks events acknowledged (each after one more attempt). One statement for the lot.
pub async fn delivered(
    pool: &AnyPool,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE webhook_events SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, \
         last_error = NULL WHERE id IN ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unix(now));
    for id in ids {
        q = q.bind(id);
    }
    q.execute(pool).await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at_ms`, or parked when `retry_at_ms` is `None`.
pub async fn failed(
    pool: &AnyPool,
    id: &str,
    attempts: i64,
    error: &str,
    retry_at_ms: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_events SET attempts = $1, last_error = $2, \
         status = CASE WHEN $3 THEN 'pending' ELSE 'parked' END, next_attempt_ms = COALESCE($4, next_attempt_ms) \
         WHERE id = $5",
    )
    .bind(attempts)
    .bind(error)
    .bind(retry_at_ms.is_some())
    .bind(retry_at_ms)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts a parked event back in line, with a fresh count of attempts. `false` if it was not
/// parked.
pub async fn retry(pool: &AnyPool, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_ms = $1 \
         WHERE id = $2 AND status = 'parked'",
    )
    .bind(millis(now))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

const COLUMNS: &str = "id, agent, order_id, seq, event_type, status, attempts, next_attempt_ms, last_error, created_at, delivered_at";

/// Events of one status (all when `None`), oldest first.
pub async fn list(
    pool: &AnyPool,
    status: Option<&str>,
    order_id: Option<&str>,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_events \
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR order_id = $2) \
         ORDER BY created_at, order_id, seq LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(order_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<EventRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_events WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?)
}
