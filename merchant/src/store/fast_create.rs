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
//!
//! [`create_batch`] writes several such creates as one unit in the same way (their holds
//! summed per variant, so the margin holds after all of them): group commit, for when many
//! agents create sessions at once. A batch that fails for any reason is retried one create at
//! a time, so each gets its own outcome.

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

/// One create of a batch: the session (its lines counting `holds` as granted), its holds, and
/// the response to store for its idempotency key.
#[derive(Debug, Clone)]
pub struct Job {
    pub session: Session,
    pub holds: Vec<Hold>,
    pub scope: Scope,
    pub response: StoredResponse,
}

/// Holds of every job, summed per variant and sorted (row locks in one order).
fn summed(jobs: &[Job]) -> Vec<(String, i64)> {
    let mut total: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for h in jobs.iter().flat_map(|j| &j.holds) {
        *total.entry(h.variant_id.as_str()).or_default() += h.delta;
    }
    total.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `($i, $i+1, …)` groups of `width` placeholders, one per row, from `$first`.
fn rows(first: usize, width: usize, count: usize, casts: &[&str]) -> String {
    (0..count)
        .map(|r| {
            let cells: Vec<String> = (0..width)
                .map(|c| {
                    let n = first + r * width + c;
                    match casts.get(c).filter(|_| r == 0) {
                        Some(t) => format!("CAST(${n} AS {t})"),
                        None => format!("${n}"),
                    }
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const SESSION_COLUMNS: &str =
    "id, agent, status, version, document, created_at, updated_at, expires_at";
const SESSION_CASTS: &[&str] = &[
    "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "BIGINT", "BIGINT", "BIGINT",
];
const KEY_COLUMNS: &str = "agent, endpoint, idem_key, fingerprint, status_code, body, created_at";
const KEY_CASTS: &[&str] = &["TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "BIGINT"];

/// The statement (PostgreSQL) or script (SQLite) of a batch: `$1` margin, `$2` distinct
/// variants, `$3` jobs, then `(id, units)` per variant, 8 session columns per job, 7 key
/// columns per job.
fn batch_sql(backend: Backend, variants: usize, jobs: usize) -> String {
    let holds_at = 4;
    let sessions_at = holds_at + 2 * variants;
    let keys_at = sessions_at + 8 * jobs;
    let wanted = rows(holds_at, 2, variants, &["TEXT", "BIGINT"]);
    let sessions = rows(sessions_at, 8, jobs, SESSION_CASTS);
    let keys = rows(keys_at, 7, jobs, KEY_CASTS);
    match backend {
        Backend::Postgres => format!(
            "WITH wanted (id, q) AS (VALUES {wanted}), \
             held AS (UPDATE inventory SET reserved = inventory.reserved + wanted.q FROM wanted \
                      WHERE inventory.variant_id = wanted.id \
                        AND inventory.on_hand - inventory.reserved >= wanted.q + $1 RETURNING 1), \
             ok AS (SELECT COUNT(*) = $2 AS all_held FROM held), \
             created AS (INSERT INTO checkout_sessions ({SESSION_COLUMNS}) \
                         SELECT s.* FROM (VALUES {sessions}) AS s ({SESSION_COLUMNS}), ok WHERE ok.all_held) \
             INSERT INTO idempotency_keys ({KEY_COLUMNS}) \
             SELECT k.agent, k.endpoint, k.idem_key, k.fingerprint, CASE WHEN ok.all_held THEN k.status_code END, \
                    k.body, k.created_at \
             FROM (VALUES {keys}) AS k ({KEY_COLUMNS}), ok"
        ),
        Backend::Sqlite => format!(
            "BEGIN IMMEDIATE; \
             UPDATE inventory SET reserved = inventory.reserved + wanted.column2 FROM (VALUES {wanted}) AS wanted \
              WHERE inventory.variant_id = wanted.column1 \
                AND inventory.on_hand - inventory.reserved >= wanted.column2 + $1; \
             INSERT INTO checkout_sessions ({SESSION_COLUMNS}) SELECT * FROM (VALUES {sessions}) WHERE changes() = $2; \
             INSERT INTO idempotency_keys ({KEY_COLUMNS}) \
              SELECT column1, column2, column3, column4, CASE WHEN changes() = $3 THEN column5 END, column6, column7 \
              FROM (VALUES {keys}); \
             COMMIT"
        ),
    }
}

/// Creates every job as one unit: `true` if all were created, `false` if the batch failed as
/// a whole (stock, a key already used, any constraint) and nothing of it was written, so the
/// caller creates them one at a time to learn each outcome. Not cancellation-safe, like
/// [`create`].
pub async fn create_batch(db: &Db, jobs: Vec<Job>, margin: u32) -> Result<bool, StoreError> {
    let totals = summed(&jobs);
    if totals.is_empty() || totals.iter().any(|(_, q)| *q <= 0) {
        return Ok(false);
    }
    let sql = batch_sql(db.backend, totals.len(), jobs.len());
    let mut documents = Vec::with_capacity(jobs.len());
    for j in &jobs {
        documents.push(serde_json::to_string(&j.session)?);
    }
    let result = async {
        let mut conn = db.write.acquire().await?;
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(i64::from(margin))
            .bind(i64::try_from(totals.len()).unwrap_or(i64::MAX))
            .bind(i64::try_from(jobs.len()).unwrap_or(i64::MAX));
        for (id, units) in totals {
            q = q.bind(id).bind(units);
        }
        for (j, document) in jobs.iter().zip(documents) {
            let s = &j.session;
            q = q
                .bind(s.id.clone())
                .bind(s.agent.clone())
                .bind(s.status.as_str())
                .bind(1_i64)
                .bind(document)
                .bind(unix(s.created_at))
                .bind(unix(s.updated_at))
                .bind(unix(s.expires_at));
        }
        for j in &jobs {
            q = q
                .bind(j.scope.agent.clone())
                .bind(j.scope.endpoint.clone())
                .bind(j.scope.key.clone())
                .bind(j.response.fingerprint.clone())
                .bind(i64::from(j.response.status))
                .bind(j.response.body.clone())
                .bind(unix(j.session.updated_at));
        }
        let result = q.execute(&mut *conn).await;
        if result.is_err() && db.backend == Backend::Sqlite {
            let _ = conn.execute("ROLLBACK").await;
        }
        result
    }
    .await;
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Inserts `session` (whose lines already count `holds` as granted), takes the holds and stores
/// `response` for `scope`, all or nothing. `holds` must all be positive and sorted.
///
/// Not cancellation-safe on SQLite (a failed script must be followed by its ROLLBACK before
/// the connection goes back to the pool): callers run it in a task of its own, as
/// [`crate::creates`] does.
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
    let result = async {
        let mut conn = db.write.acquire().await?;
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(session.id.as_str())
            .bind(session.agent.as_str())
            .bind(session.status.as_str())
            .bind(document)
            .bind(unix(session.created_at))
            .bind(unix(session.updated_at))
            .bind(unix(session.expires_at))
            .bind(scope.endpoint.as_str())
            .bind(scope.key.as_str())
            .bind(response.fingerprint.as_str())
            .bind(i64::from(response.status))
            .bind(response.body.as_str())
            .bind(unix(session.updated_at))
            .bind(i64::try_from(holds.len()).unwrap_or(i64::MAX))
            .bind(i64::from(margin));
        for h in holds {
            q = q.bind(h.variant_id.as_str()).bind(h.delta);
        }
        let result = q.execute(&mut *conn).await;
        if result.is_err() && db.backend == Backend::Sqlite {
            // The script stopped at the failing statement, inside its transaction.
            let _ = conn.execute("ROLLBACK").await;
        }
        result
    }
    .await;
    match result {
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
