//! `checkout_sessions`: the session document plus the columns queries filter on.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AnyPool};

use crate::domain::session::Session;
use kit::db::{StoreError, unix};

/// A session as read, with the version the next write must match.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub session: Session,
    pub version: i64,
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<Versioned>, StoreError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT document, version FROM checkout_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(|(doc, version)| {
        Ok(Versioned {
            session: serde_json::from_str(&doc)?,
            version,
        })
    })
    .transpose()
}

pub async fn insert(conn: &mut AnyConnection, s: &Session) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO checkout_sessions (id, agent, status, version, document, created_at, updated_at, expires_at) \
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7)",
    )
    .bind(&s.id)
    .bind(&s.agent)
    .bind(s.status.as_str())
    .bind(serde_json::to_string(s)?)
    .bind(unix(s.created_at))
    .bind(unix(s.updated_at))
    .bind(unix(s.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes `s` if the stored version is still `expected`; `false` means someone else wrote
/// first and the caller must re-read and recompute.
pub async fn update(
    conn: &mut AnyConnection,
    s: &Session,
    expected: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE checkout_sessions SET status = $1, version = version + 1, document = $2, updated_at = $3 \
         WHERE id = $4 AND version = $5",
    )
    .bind(s.status.as_str())
    .bind(serde_json::to_string(s)?)
    .bind(unix(s.updated_at))
    .bind(&s.id)
    .bind(expected)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the session for this transaction if its version is still `expected`: PostgreSQL holds
/// the row lock until commit, and SQLite has one writer anyway. A writer that must change
/// inventory before it can write the session claims it first, so the loser of a race stops
/// before releasing units the winner already released.
pub async fn claim(conn: &mut AnyConnection, id: &str, expected: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE checkout_sessions SET version = version WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(expected)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open sessions whose time to live has run out, oldest first.
pub async fn due_for_expiry(
    pool: &AnyPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM checkout_sessions \
         WHERE status IN ('not_ready_for_payment', 'ready_for_payment', 'authentication_required') AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
    )
    .bind(unix(now))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(ids)
}

/// Sessions whose payment was cut short (a crash between deciding and recording a PSP call).
pub async fn in_progress(
    pool: &AnyPool,
    updated_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM checkout_sessions WHERE status = 'complete_in_progress' AND updated_at <= $1 ORDER BY updated_at LIMIT $2",
    )
    .bind(unix(updated_before))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(ids)
}
