//! Idempotent POSTs (ACP 2026-04-17 §6, NOTES §5.2), for every service that accepts them.
//!
//! 1. A key already running in this process: `409 idempotency_in_flight` with `Retry-After`.
//! 2. A key with a stored response: the same status and body with `Idempotent-Replayed: true`,
//!    or `422 idempotency_conflict` when the body differs.
//! 3. Otherwise the operation runs and stores its response *in its own transaction*, so the
//!    effect and the record of it commit or vanish together. If another process stored the
//!    key first, the operation rolls back and replays that response instead.
//! 4. Business outcomes (4xx the operation decided) are stored too; malformed requests and
//!    5xx never are, so they can be retried with the same key.
//!
//! Each service's database has an `idempotency_keys` table of the same shape.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use shared::headers;
use sqlx::{AnyConnection, AnyPool};

use crate::clock::Clock;
use crate::db::{Db, StoreError};
use crate::http::json_response;

/// Which request a stored response answers: keys belong to a caller and an endpoint path.
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
    .bind(now.timestamp())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets responses stored before `cutoff`; returns how many.
pub async fn purge(pool: &AnyPool, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(cutoff.timestamp())
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Idempotency keys whose first request is still running in this process.
///
/// The database guarantees exactly-once across processes (a second writer of a key waits for
/// the first and then replays its response); this registry turns the common same-process case
/// into the spec's immediate `409 idempotency_in_flight` instead of a wait.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<Scope>>);

pub struct InFlightGuard<'a> {
    set: &'a InFlight,
    scope: Scope,
}

impl InFlight {
    /// `None` if the scope is already claimed.
    pub fn claim(&self, scope: &Scope) -> Option<InFlightGuard<'_>> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(scope.clone()).then(|| InFlightGuard {
            set: self,
            scope: scope.clone(),
        })
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.scope);
    }
}

/// A response body ready to send and to store.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    pub replayed: bool,
}

impl Reply {
    pub fn new(status: StatusCode, body: String) -> Self {
        Self {
            status,
            body,
            replayed: false,
        }
    }

    pub fn to_stored(&self, fingerprint: &str) -> StoredResponse {
        StoredResponse {
            fingerprint: fingerprint.to_owned(),
            status: self.status.as_u16(),
            body: self.body.clone(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status, self.body);
        if self.replayed {
            resp.headers_mut().insert(
                headers::IDEMPOTENT_REPLAYED,
                HeaderValue::from_static("true"),
            );
        }
        resp
    }
}

/// How a service's error type takes part in idempotency.
pub trait Refusal: From<StoreError> + std::fmt::Display {
    /// `409 idempotency_in_flight`.
    fn in_flight() -> Self;
    /// `422 idempotency_conflict`.
    fn conflict() -> Self;
    /// Whether the error is the request's outcome (stored and replayed) rather than a
    /// malformed request or a server failure.
    fn is_outcome(&self) -> bool;
    /// The response the error becomes.
    fn to_reply(&self) -> Reply;
}

/// The stored response, if the request is the same; a conflict if it is not.
pub fn replay<E: Refusal>(stored: StoredResponse, fingerprint: &str) -> Result<Reply, E> {
    if stored.fingerprint != fingerprint {
        return Err(E::conflict());
    }
    Ok(Reply {
        status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
        body: stored.body,
        replayed: true,
    })
}

/// After losing the race to store a key: replay what the winner stored.
pub async fn replay_winner<E: Refusal>(
    db: &Db,
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, E> {
    match find(&db.write, scope).await? {
        Some(stored) => replay(stored, fingerprint),
        None => Err(StoreError::Inconsistent(
            "idempotency key conflicted but no stored response was found".into(),
        )
        .into()),
    }
}

/// When a stored response is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Before running the operation.
    First,
    /// Only when the operation finds the key taken as it stores its own response: for
    /// operations whose every write path stores the key atomically with its effect, so that
    /// the common case (a new key) costs no extra read.
    OnConflict,
}

/// What the runner needs from the service.
pub struct Idempotency<'a> {
    pub db: &'a Db,
    pub inflight: &'a InFlight,
    pub clock: &'a dyn Clock,
}

impl Idempotency<'_> {
    /// Runs `op` at most once per (caller, path, key), per the rules of this module.
    pub async fn run<E, F, Fut>(
        &self,
        scope: Scope,
        fingerprint: &str,
        lookup: Lookup,
        op: F,
    ) -> Result<Reply, E>
    where
        E: Refusal,
        F: FnOnce(Scope) -> Fut,
        Fut: Future<Output = Result<Reply, E>>,
    {
        let Some(_guard) = self.inflight.claim(&scope) else {
            return Err(E::in_flight());
        };
        if lookup == Lookup::First
            && let Some(stored) = find(&self.db.read, &scope).await?
        {
            return replay(stored, fingerprint);
        }
        match op(scope.clone()).await {
            Ok(reply) => Ok(reply),
            Err(e) if e.is_outcome() => {
                let reply = e.to_reply();
                let mut conn = self.db.write.acquire().await.map_err(StoreError::from)?;
                let stored = insert(
                    &mut conn,
                    &scope,
                    &reply.to_stored(fingerprint),
                    self.clock.now(),
                )
                .await?;
                drop(conn);
                if !stored {
                    return replay_winner(self.db, &scope, fingerprint).await;
                }
                tracing::debug!(error = %e, "request refused");
                Ok(reply)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_claims_are_exclusive_until_dropped() {
        let set = InFlight::default();
        let scope = Scope {
            agent: "a".into(),
            endpoint: "/x".into(),
            key: "k".into(),
        };
        let guard = set.claim(&scope).expect("first claim");
        assert!(set.claim(&scope).is_none());
        drop(guard);
        assert!(set.claim(&scope).is_some());
    }
}
