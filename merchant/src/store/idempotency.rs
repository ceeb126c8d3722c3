//! `idempotency_keys`: the response stored for each (agent, endpoint path, key).

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AnyPool};

use super::{StoreError, unix};

/// Which request a stored response answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub agent: String,
    /// The request path, e.g. `/checkout_sessions/cs_123/cancel`.
    pub endpoint: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

pub async fn find(pool: &AnyPool, scope: &Scope) -> Result<Option<StoredResponse>, StoreError> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT fingerprint, status_code, body FROM idempotency_keys \
         WHERE agent = $1 AND endpoint = $2 AND idem_key = $3",
    )
    .bind(&scope.agent)
    .bind(&scope.endpoint)
    .bind(&scope.key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(fingerprint, status, body)| StoredResponse {
        fingerprint,
        status: u16::try_from(status).unwrap_or(500),
        body,
    }))
}

/// Stores a response; `false` if the key already has one (another request got there first).
pub async fn insert(
    conn: &mut AnyConnection,
    scope: &Scope,
    response: &StoredResponse,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (agent, endpoint, idem_key, fingerprint, status_code, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&scope.agent)
    .bind(&scope.endpoint)
    .bind(&scope.key)
    .bind(&response.fingerprint)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets responses stored before `cutoff`; returns how many.
pub async fn purge(pool: &AnyPool, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(unix(cutoff))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
