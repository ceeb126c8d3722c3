//! Idempotent POSTs (ACP 2026-04-17 §6, NOTES §5.2).
//!
//! 1. A key already running in this process: `409 idempotency_in_flight` with `Retry-After`.
//! 2. A key with a stored response: the same status and body with `Idempotent-Replayed: true`,
//!    or `422 idempotency_conflict` when the body differs.
//! 3. Otherwise the operation runs and stores its response *in its own transaction*, so the
//!    effect and the record of it commit or vanish together. If another process stored the
//!    key first, the operation rolls back and replays that response instead.
//! 4. Business 4xx outcomes are stored too; malformed requests and 5xx never are.

use std::future::Future;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::headers;

use crate::error::{ApiError, json_response};
use crate::state::AppState;
use crate::store;
use crate::store::idempotency::{Scope, StoredResponse};

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

/// The stored response, if the request is the same; a conflict if it is not.
pub fn replay(stored: StoredResponse, fingerprint: &str) -> Result<Reply, ApiError> {
    if stored.fingerprint != fingerprint {
        return Err(ApiError::IdempotencyConflict);
    }
    Ok(Reply {
        status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
        body: stored.body,
        replayed: true,
    })
}

/// After losing the race to store a key: replay what the winner stored.
pub async fn replay_winner(
    state: &AppState,
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, ApiError> {
    match store::idempotency::find(&state.db.write, scope).await? {
        Some(stored) => replay(stored, fingerprint),
        None => Err(ApiError::Internal(anyhow::anyhow!(
            "idempotency key conflicted but no stored response was found"
        ))),
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

/// Runs `op` at most once per (agent, path, key), per the rules above.
pub async fn run<F, Fut>(
    state: &AppState,
    scope: Scope,
    fingerprint: &str,
    lookup: Lookup,
    op: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(Scope) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let _guard = state.inflight.claim(&scope)?;
    if lookup == Lookup::First
        && let Some(stored) = store::idempotency::find(&state.db.read, &scope).await?
    {
        return replay(stored, fingerprint);
    }
    match op(scope.clone()).await {
        Ok(reply) => Ok(reply),
        Err(e) if e.is_outcome() => {
            let reply = Reply::new(
                e.status(),
                serde_json::to_string(&e.body()).unwrap_or_default(),
            );
            let mut conn = state
                .db
                .write
                .acquire()
                .await
                .map_err(store::StoreError::from)?;
            let stored = store::idempotency::insert(
                &mut conn,
                &scope,
                &reply.to_stored(fingerprint),
                state.clock.now(),
            )
            .await?;
            if !stored {
                drop(conn);
                return replay_winner(state, &scope, fingerprint).await;
            }
            tracing::debug!(error = %e, "request refused");
            Ok(reply)
        }
        Err(e) => Err(e),
    }
}
