//! `payment_tokens`: Shared Payment Tokens and their allowance.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use sqlx::{AnyConnection, AnyPool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub card_id: String,
    pub agent: String,
    pub merchant_id: String,
    pub checkout_session_id: String,
    pub currency: String,
    pub max_amount: i64,
    pub expires_at: i64,
    pub status: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    t: &TokenRow,
    metadata: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_tokens (id, card_id, agent, merchant_id, checkout_session_id, currency, max_amount, expires_at, status, metadata, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&t.id)
    .bind(&t.card_id)
    .bind(&t.agent)
    .bind(&t.merchant_id)
    .bind(&t.checkout_session_id)
    .bind(&t.currency)
    .bind(t.max_amount)
    .bind(t.expires_at)
    .bind(&t.status)
    .bind(metadata)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
);

fn from_row(
    (
        id,
        card_id,
        agent,
        merchant_id,
        checkout_session_id,
        currency,
        max_amount,
        expires_at,
        status,
    ): Row,
) -> TokenRow {
    TokenRow {
        id,
        card_id,
        agent,
        merchant_id,
        checkout_session_id,
        currency,
        max_amount,
        expires_at,
        status,
    }
}

const COLUMNS: &str = "id, card_id, agent, merchant_id, checkout_session_id, currency, max_amount, expires_at, status";

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<TokenRow>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_tokens WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(from_row))
}

pub async fn get_in_pool(pool: &AnyPool, id: &str) -> Result<Option<TokenRow>, StoreError> {
    let mut conn = pool.acquire().await?;
    get(&mut conn, id).await
}

/// Marks a token used if, and only if, every binding of its allowance holds for this
/// redemption. One conditional update, so two concurrent redemptions cannot both succeed.
pub async fn redeem(
    conn: &mut AnyConnection,
    id: &str,
    merchant_id: &str,
    checkout_session_id: &str,
    currency: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<Option<TokenRow>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE payment_tokens SET status = 'used', used_at = $6 \
         WHERE id = $1 AND status = 'active' AND merchant_id = $2 AND checkout_session_id = $3 \
           AND currency = $4 AND max_amount >= $5 AND expires_at > $6 \
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(merchant_id)
    .bind(checkout_session_id)
    .bind(currency)
    .bind(amount)
    .bind(unix(now))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(from_row))
}
