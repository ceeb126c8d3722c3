//! Write-only records: intent traces and affiliate attribution are kept for the merchant's
//! analytics and never returned by any endpoint.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use kit::db::{StoreError, unix};

pub async fn insert_intent_trace(
    conn: &mut AnyConnection,
    session_id: &str,
    reason_code: &str,
    document: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO intent_traces (session_id, reason_code, document, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(session_id)
    .bind(reason_code)
    .bind(document.to_string())
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_attribution(
    conn: &mut AnyConnection,
    session_id: &str,
    touchpoint: &str,
    document: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO affiliate_attributions (session_id, touchpoint, document, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(session_id)
    .bind(touchpoint)
    .bind(document.to_string())
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}
