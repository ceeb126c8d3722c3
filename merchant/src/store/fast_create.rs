//! Creating a session in one database round trip, when stock is comfortably available.
//!
//! The ordinary path is a transaction of five round trips (begin, holds, session, idempotency
//! record, commit). Here the same three writes go to the database as one unit: a single
//! statement on PostgreSQL (data-modifying CTEs, atomic by themselves), one script on SQLite
//! (one hand-off to the driver's worker thread). All or nothing is enforced by constraints:
//!
//! - a hold is taken only if, after it, at least `margin` units are still free. If any hold is
//!   refused, the idempotency record is written with a NULL status, which its NOT NULL
//!   constraint rejects, and the whole unit fails: the caller falls back to the exact path,
//!   which records precisely what could be held;
//! - a key that already has a record fails on the primary key: the caller replays it.
//!
//! The margin is what makes the pre-rendered response exact: with more than
//! [`LOW_STOCK`](crate::domain::session::LOW_STOCK) units left, a session says nothing about
//! how many, so it reads the same as if the exact path had produced it.

use sqlx::error::ErrorKind;
use sqlx::{AssertSqlSafe, Executor};

use kit::db::{Backend, Db, StoreError, unix};
use kit::idempotency::{Scope, StoredResponse};

use crate::domain::session::{Hold, Session};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// The idempotency key already has a response: replay it.
    KeyTaken,
    /// Some hold would leave too little stock: use the exact path.
    NotEnoughStock,
}

/// Columns bound by position: `$1`…`$15`, then an `(id, units)` pair per hold from `$16` on.
fn sql(backend: Backend, holds: usize) -> String {
    let wanted: Vec<String> = (0..holds)
        .map(|i| {
            let (id, q) = (16 + 2 * i, 17 + 2 * i);
            format!("SELECT CAST(${id} AS TEXT) AS id, CAST(${q} AS BIGINT) AS q")
        })
        .collect();
    let wanted = wanted.join(" UNION ALL ");
    match backend {
        Backend::Postgres => format!(
            "WITH wanted AS ({wanted}), \
             held AS (UPDATE inventory SET reserved = inventory.reserved + wanted.q FROM wanted \
                      WHERE inventory.variant_id = wanted.id \
                        AND inventory.on_hand - inventory.reserved >= wanted.q + $15 RETURNING 1), \
             ok AS (SELECT COUNT(*) = $14 AS all_held FROM held), \
             created AS (INSERT INTO checkout_sessions (id, agent, status, version, document, created_at, updated_at, expires_at) \
                         SELECT $1, $2, $3, 1, $4, $5, $6, $7 FROM ok WHERE ok.all_held) \
             INSERT INTO idempotency_keys (agent, endpoint, idem_key, fingerprint, status_code, body, created_at) \
             SELECT $2, $8, $9, $10, CASE WHEN ok.all_held THEN $11 END, $12, $13 FROM ok"
        ),
        // SQLite has no data-modifying CTEs; `changes()` carries each step's outcome to the next.
        Backend::Sqlite => format!(
            "BEGIN IMMEDIATE; \
             UPDATE inventory SET reserved = inventory.reserved + wanted.q FROM ({wanted}) AS wanted \
              WHERE inventory.variant_id = wanted.id \
                AND inventory.on_hand - inventory.reserved >= wanted.q + $15; \
             INSERT INTO checkout_sessions (id, agent, status, version, document, created_at, updated_at, expires_at) \
              SELECT $1, $2, $3, 1, $4, $5, $6, $7 WHERE changes() = $14; \
             INSERT INTO idempotency_keys (agent, endpoint, idem_key, fingerprint, status_code, body, created_at) \
              SELECT $2, $8, $9, $10, CASE WHEN changes() = 1 THEN $11 END, $12, $13; \
             COMMIT"
        ),
    }
}

/// Inserts `session` (whose lines already count `holds` as granted), takes the holds and stores
/// `response` for `scope`, all or nothing. `holds` must all be positive and sorted.
pub async fn create(
    db: &Db,
    session: &Session,
    holds: &[Hold],
    margin: u32,
    scope: &Scope,
    response: &StoredResponse,
) -> Result<Outcome, StoreError> {
    debug_assert!(holds.iter().all(|h| h.delta > 0));
    if holds.is_empty() {
        return Ok(Outcome::NotEnoughStock);
    }
    let sql = sql(db.backend, holds.len());
    let document = serde_json::to_string(session)?;
    let (session, scope, response) = (session.clone(), scope.clone(), response.clone());
    let holds = holds.to_vec();
    let pool = db.write.clone();
    let backend = db.backend;
    // Spawned, so that a client hanging up cannot cancel between a failed SQLite script and its
    // ROLLBACK (which would return a connection with a transaction still open to the pool).
    let task = tokio::spawn(async move {
        let mut conn = pool.acquire().await?;
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(session.id)
            .bind(session.agent)
            .bind(session.status.as_str())
            .bind(document)
            .bind(unix(session.created_at))
            .bind(unix(session.updated_at))
            .bind(unix(session.expires_at))
            .bind(scope.endpoint)
            .bind(scope.key)
            .bind(response.fingerprint)
            .bind(i64::from(response.status))
            .bind(response.body)
            .bind(unix(session.updated_at))
            .bind(i64::try_from(holds.len()).unwrap_or(i64::MAX))
            .bind(i64::from(margin));
        for h in holds {
            q = q.bind(h.variant_id).bind(h.delta);
        }
        let result = q.execute(&mut *conn).await;
        if result.is_err() && backend == Backend::Sqlite {
            // The script stopped at the failing statement, inside its transaction.
            let _ = conn.execute("ROLLBACK").await;
        }
        result
    });
    match task
        .await
        .map_err(|e| StoreError::Inconsistent(format!("create task failed: {e}")))?
    {
        Ok(_) => Ok(Outcome::Created),
        Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::UniqueViolation => {
            Ok(Outcome::KeyTaken)
        }
        Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::NotNullViolation => {
            Ok(Outcome::NotEnoughStock)
        }
        Err(e) => Err(e.into()),
    }
}
