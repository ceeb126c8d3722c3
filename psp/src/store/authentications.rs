//! `authentication_sessions`: 3-D Secure sessions of the Delegate Authentication API.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use sqlx::{AnyConnection, AnyPool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRow {
    pub id: String,
    pub agent: String,
    pub merchant_id: String,
    pub card_fingerprint: String,
    pub brand: String,
    pub amount: i64,
    pub currency: String,
    pub checkout_session_id: Option<String>,
    /// `frictionless`, `challenge` or `none` (card not enrolled).
    pub flow: String,
    /// The Delegate Authentication status, e.g. `pending`, `action_required`, `authenticated`.
    pub status: String,
    pub challenge_code: String,
    pub attempts: i64,
    pub three_ds_server_trans_id: String,
    pub acs_trans_id: String,
    pub ds_trans_id: String,
    pub cryptogram: Option<String>,
    pub eci: Option<String>,
    pub consumed_by: Option<String>,
    pub expires_at: i64,
}

const COLUMNS: &str = "id, agent, merchant_id, card_fingerprint, brand, amount, currency, checkout_session_id, flow, status, \
    challenge_code, attempts, three_ds_server_trans_id, acs_trans_id, ds_trans_id, cryptogram, eci, consumed_by, expires_at";

fn from_row(r: sqlx::any::AnyRow) -> Result<AuthRow, sqlx::Error> {
    use sqlx::Row as _;
    Ok(AuthRow {
        id: r.try_get(0)?,
        agent: r.try_get(1)?,
        merchant_id: r.try_get(2)?,
        card_fingerprint: r.try_get(3)?,
        brand: r.try_get(4)?,
        amount: r.try_get(5)?,
        currency: r.try_get(6)?,
        checkout_session_id: r.try_get(7)?,
        flow: r.try_get(8)?,
        status: r.try_get(9)?,
        challenge_code: r.try_get(10)?,
        attempts: r.try_get(11)?,
        three_ds_server_trans_id: r.try_get(12)?,
        acs_trans_id: r.try_get(13)?,
        ds_trans_id: r.try_get(14)?,
        cryptogram: r.try_get(15)?,
        eci: r.try_get(16)?,
        consumed_by: r.try_get(17)?,
        expires_at: r.try_get(18)?,
    })
}

pub async fn insert(
    conn: &mut AnyConnection,
    a: &AuthRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO authentication_sessions ({COLUMNS}, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)"
    )))
    .bind(&a.id)
    .bind(&a.agent)
    .bind(&a.merchant_id)
    .bind(&a.card_fingerprint)
    .bind(&a.brand)
    .bind(a.amount)
    .bind(&a.currency)
    .bind(&a.checkout_session_id)
    .bind(&a.flow)
    .bind(&a.status)
    .bind(&a.challenge_code)
    .bind(a.attempts)
    .bind(&a.three_ds_server_trans_id)
    .bind(&a.acs_trans_id)
    .bind(&a.ds_trans_id)
    .bind(&a.cryptogram)
    .bind(&a.eci)
    .bind(&a.consumed_by)
    .bind(a.expires_at)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<AuthRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM authentication_sessions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(from_row).transpose()?)
}

pub async fn find_by_ds_trans(
    conn: &mut AnyConnection,
    ds_trans_id: &str,
) -> Result<Option<AuthRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM authentication_sessions WHERE ds_trans_id = $1"
    )))
    .bind(ds_trans_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(from_row).transpose()?)
}

/// Writes the new state if the session was still in `expected_status`.
pub async fn update(
    conn: &mut AnyConnection,
    a: &AuthRow,
    expected_status: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE authentication_sessions SET status = $1, attempts = $2, cryptogram = $3, eci = $4, updated_at = $5 \
         WHERE id = $6 AND status = $7",
    )
    .bind(&a.status)
    .bind(a.attempts)
    .bind(&a.cryptogram)
    .bind(&a.eci)
    .bind(unix(now))
    .bind(&a.id)
    .bind(expected_status)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an authentication as used by a payment intent; each result pays once.
pub async fn consume(
    conn: &mut AnyConnection,
    id: &str,
    intent_id: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE authentication_sessions SET consumed_by = $1 WHERE id = $2 AND consumed_by IS NULL",
    )
    .bind(intent_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
