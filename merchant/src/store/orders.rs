//! `orders`.

use kit::db::{StoreError, unix};
use sqlx::{AnyConnection, AnyPool};

use crate::domain::order::Order;

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

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<Order>, StoreError> {
    let doc: Option<String> = sqlx::query_scalar("SELECT document FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub async fn for_session(pool: &AnyPool, session_id: &str) -> Result<Option<Order>, StoreError> {
    let doc: Option<String> =
        sqlx::query_scalar("SELECT document FROM orders WHERE checkout_session_id = $1")
            .bind(session_id)
            .fetch_optional(pool)
            .await?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}
