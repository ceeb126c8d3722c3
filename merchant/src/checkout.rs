//! The checkout operations: each reads what it needs, calls the pure domain functions, and
//! writes the session, its inventory holds and its idempotency record in one transaction.

use axum::http::StatusCode;
use shared::idempotency::IdempotencyKey;

use crate::domain::payment;
use crate::domain::session::{self, Context, Hold, HoldOutcome, LOW_STOCK, Patch, Session};
use crate::error::ApiError;
use crate::ids;
use crate::protocol::{RenderContext, WireVersion};
use crate::state::AppState;
use crate::store::{self, fast_create, sessions::Versioned};
use kit::idempotency::{Reply, Scope, replay_winner};

/// Units that must stay free after a fast-path hold: above [`LOW_STOCK`], a session does not
/// show the exact count, so the response can be rendered before the database has answered.
pub const FAST_PATH_MARGIN: u32 = LOW_STOCK + 1;

/// How often a write retries after another request changed the same session first.
const MAX_ATTEMPTS: usize = 8;

/// The idempotency scope of a POST: keys belong to an agent and a path.
pub fn scope(agent: &str, endpoint: String, key: &IdempotencyKey) -> Scope {
    Scope {
        agent: agent.to_owned(),
        endpoint,
        key: key.as_str().to_owned(),
    }
}

fn render_ctx(state: &AppState) -> RenderContext<'_> {
    RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    }
}

/// A new session as the fast path writes it: every hold granted, with more than [`LOW_STOCK`]
/// units to spare.
pub fn assuming_plenty(
    mut session: Session,
    holds: &[Hold],
    ctx: &Context<'_>,
) -> Result<Session, session::RequestError> {
    let plenty: Vec<HoldOutcome> = holds
        .iter()
        .map(|h| HoldOutcome {
            variant_id: h.variant_id.clone(),
            granted: true,
            available: FAST_PATH_MARGIN,
        })
        .collect();
    session::apply_outcomes(&mut session, &plenty);
    session::evaluate(&mut session, Patch::Keep, ctx)?;
    Ok(session)
}

/// `POST /checkout_sessions`.
pub async fn create<V: WireVersion>(
    state: &AppState,
    agent: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, ApiError> {
    let input = V::parse_create(body)?;
    let now = state.clock.now();
    let ctx = Context {
        catalog: &state.catalog,
        now,
    };
    let mut session = session::create(
        ids::checkout_session(),
        agent.to_owned(),
        input.command,
        &ctx,
        state.session_ttl(),
        &mut ids::line_item,
    )?;

    let holds = session::holds(&session);
    let render = render_ctx(state);

    // Fast path: assume every hold leaves plenty of stock, and write it all in one round trip.
    if input.attribution.is_none() {
        let fast = assuming_plenty(session.clone(), &holds, &ctx)?;
        let reply = Reply::new(StatusCode::CREATED, V::session_body(&fast, None, &render)?);
        let job = fast_create::Job {
            session: fast.clone(),
            holds: holds.clone(),
            scope: scope.clone(),
            response: reply.to_stored(fingerprint),
        };
        match state.creates.create(job).await? {
            fast_create::Outcome::Created => {
                tracing::info!(session = %fast.id, status = fast.status.as_str(), "checkout session created");
                return Ok(reply);
            }
            fast_create::Outcome::KeyTaken => {
                return replay_winner(&state.db, scope, fingerprint).await;
            }
            fast_create::Outcome::NotEnoughStock => {}
        }
    }

    // Exact path: take what can be taken and say precisely what could not.
    let mut tx = state
        .db
        .write
        .begin()
        .await
        .map_err(store::StoreError::from)?;
    let outcomes = store::inventory::apply(&mut tx, &holds).await?;
    session::apply_outcomes(&mut session, &outcomes);
    session::evaluate(&mut session, Patch::Keep, &ctx)?;
    store::sessions::insert(&mut tx, &session).await?;
    if let Some(attribution) = &input.attribution {
        store::records::insert_attribution(&mut tx, &session.id, "first", attribution, now).await?;
    }
    let reply = Reply::new(
        StatusCode::CREATED,
        V::session_body(&session, None, &render)?,
    );
    if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
        tx.rollback().await.map_err(store::StoreError::from)?;
        return replay_winner(&state.db, scope, fingerprint).await;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(session = %session.id, status = session.status.as_str(), "checkout session created");
    Ok(reply)
}

/// `GET /checkout_sessions/{id}`.
pub async fn retrieve<V: WireVersion>(
    state: &AppState,
    agent: &str,
    id: &str,
) -> Result<Reply, ApiError> {
    let session = load_current(state, agent, id).await?.session;
    let order = order_of(state, &session).await?;
    Ok(Reply::new(
        StatusCode::OK,
        V::session_body(&session, order.as_ref(), &render_ctx(state))?,
    ))
}

/// The order of a completed session.
pub async fn order_of(
    state: &AppState,
    session: &session::Session,
) -> Result<Option<crate::domain::order::Order>, ApiError> {
    if session.status != session::Status::Completed {
        return Ok(None);
    }
    Ok(store::orders::for_session(&state.db.read, &session.id).await?)
}

/// `POST /checkout_sessions/{id}`.
pub async fn update<V: WireVersion>(
    state: &AppState,
    agent: &str,
    id: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, ApiError> {
    let cmd = V::parse_update(body)?;
    for _ in 0..MAX_ATTEMPTS {
        let Versioned {
            mut session,
            version,
        } = load_current(state, agent, id).await?;
        session::ensure_open(&session)?;
        let abandoned = payment::abandon(&mut session);
        let now = state.clock.now();
        let ctx = Context {
            catalog: &state.catalog,
            now,
        };
        let (mut holds, selections) =
            session::update(&mut session, cmd.clone(), &ctx, &mut ids::line_item)?;
        holds.extend(session::holds(&session));
        holds.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));

        let mut tx = state
            .db
            .write
            .begin()
            .await
            .map_err(store::StoreError::from)?;
        if !store::sessions::claim(&mut tx, &session.id, version).await? {
            tx.rollback().await.map_err(store::StoreError::from)?;
            continue;
        }
        let outcomes = store::inventory::apply(&mut tx, &holds).await?;
        session::apply_outcomes(&mut session, &outcomes);
        session::evaluate(&mut session, selections, &ctx)?;
        if !store::sessions::update(&mut tx, &session, version).await? {
            return Err(store::StoreError::Inconsistent(format!(
                "session {} changed while claimed",
                session.id
            ))
            .into());
        }
        let reply = Reply::new(
            StatusCode::OK,
            V::session_body(&session, None, &render_ctx(state))?,
        );
        if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
            tx.rollback().await.map_err(store::StoreError::from)?;
            return replay_winner(&state.db, scope, fingerprint).await;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        crate::complete::cancel_abandoned(state, &session.id, abandoned);
        return Ok(reply);
    }
    Err(ApiError::Unavailable(
        "the session kept changing while being updated".into(),
    ))
}

/// `POST /checkout_sessions/{id}/cancel`.
pub async fn cancel<V: WireVersion>(
    state: &AppState,
    agent: &str,
    id: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, ApiError> {
    let trace = V::parse_cancel(body)?;
    for _ in 0..MAX_ATTEMPTS {
        let Versioned {
            mut session,
            version,
        } = load_current(state, agent, id).await?;
        let now = state.clock.now();
        let abandoned = payment::abandon(&mut session);
        let holds = session::cancel(&mut session, now)?;

        let mut tx = state
            .db
            .write
            .begin()
            .await
            .map_err(store::StoreError::from)?;
        // The session first: a cancel that lost a race must not release the units again.
        if !store::sessions::update(&mut tx, &session, version).await? {
            tx.rollback().await.map_err(store::StoreError::from)?;
            continue;
        }
        store::inventory::apply(&mut tx, &holds).await?;
        if let Some(t) = &trace {
            store::records::insert_intent_trace(
                &mut tx,
                &session.id,
                &t.reason_code,
                &t.document,
                now,
            )
            .await?;
        }
        let reply = Reply::new(
            StatusCode::OK,
            V::session_body(&session, None, &render_ctx(state))?,
        );
        if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
            tx.rollback().await.map_err(store::StoreError::from)?;
            return replay_winner(&state.db, scope, fingerprint).await;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        crate::complete::cancel_abandoned(state, &session.id, abandoned);
        tracing::info!(session = %session.id, "checkout session canceled");
        return Ok(reply);
    }
    Err(ApiError::Unavailable(
        "the session kept changing while being canceled".into(),
    ))
}

/// The agent's session, expired first if its time is up (so a read never shows an open
/// session that can no longer be paid, and the held units go back at once).
async fn load_current(state: &AppState, agent: &str, id: &str) -> Result<Versioned, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let found = store::sessions::get(&state.db.read, id).await?;
        // Another agent's session is reported as missing: its existence is not ours to reveal.
        let Some(v) = found.filter(|v| v.session.agent == agent) else {
            return Err(ApiError::SessionNotFound);
        };
        let now = state.clock.now();
        if !session::is_due_to_expire(&v.session, now) {
            return Ok(v);
        }
        if let Some(expired) = expire(state, v, now).await? {
            return Ok(expired);
        }
    }
    Err(ApiError::Unavailable(
        "the session kept changing while being read".into(),
    ))
}

/// Expires one session; `None` if it changed meanwhile (the caller re-reads).
async fn expire(
    state: &AppState,
    Versioned {
        mut session,
        version,
    }: Versioned,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Versioned>, ApiError> {
    let holds = session::expire(&mut session, now);
    let mut tx = state
        .db
        .write
        .begin()
        .await
        .map_err(store::StoreError::from)?;
    // The session first: an expiry that lost a race must not release the units again.
    if !store::sessions::update(&mut tx, &session, version).await? {
        tx.rollback().await.map_err(store::StoreError::from)?;
        return Ok(None);
    }
    store::inventory::apply(&mut tx, &holds).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(session = %session.id, "checkout session expired");
    Ok(Some(Versioned {
        session,
        version: version + 1,
    }))
}

/// Expires every open session whose time is up; returns how many. Run by the sweeper.
pub async fn expire_due(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let ids = store::sessions::due_for_expiry(&state.db.read, now, 200).await?;
    let mut expired = 0;
    for id in ids {
        if let Some(v) = store::sessions::get(&state.db.read, &id).await?
            && session::is_due_to_expire(&v.session, now)
            && expire(state, v, now).await?.is_some()
        {
            expired += 1;
        }
    }
    Ok(expired)
}
