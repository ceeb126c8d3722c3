//! The Feed API over HTTP (`openapi.feed.yaml`): bearer keys per merchant, `API-Version`
//! required, `Idempotency-Key` honoured on `POST /feeds` (the RFC's "where supported"; an
//! upsert of whole products is idempotent by itself).

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use kit::http::{self, KeyError, json_response};
use kit::idempotency::{Lookup, Reply, Scope};
use shared::v2026_04_17::feed::{CreateFeedRequest, UpsertProductsRequest};

use crate::error::Error;
use crate::extract::{FeedCaller, Version};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feeds", post(create))
        .route("/feeds/{id}", get(get_feed))
        .route("/feeds/{id}/products", get(products).patch(upsert))
}

fn ok<T: serde::Serialize>(status: StatusCode, body: &T) -> Result<Reply, Error> {
    Ok(Reply::new(
        status,
        serde_json::to_string(body).map_err(|e| Error::Internal(e.into()))?,
    ))
}

/// Create a feed (spec: `POST /feeds`, 201).
async fn create(
    State(state): State<AppState>,
    FeedCaller(merchant): FeedCaller,
    Version(_): Version,
    req: Request,
) -> Result<Reply, Error> {
    let key = match http::idempotency_key(req.headers()) {
        Ok(k) => Some(k),
        Err(KeyError::Missing) => None,
        Err(e) => return Err(e.into()),
    };
    let body = http::json_body(req, state.body_limit).await?;
    let parsed: CreateFeedRequest = kit::parse::strict(&body.bytes)?;
    let Some(key) = key else {
        return super::create(&state, &merchant, &parsed, None)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no answer without a key")));
    };
    let scope = Scope {
        agent: merchant.to_string(),
        endpoint: "/feeds".into(),
        key: key.as_str().to_owned(),
    };
    let (state, fingerprint, parsed) = (&state, &body.fingerprint, &parsed);
    state
        .idempotency()
        .run(scope, fingerprint, Lookup::First, |scope| async move {
            match super::create(state, &merchant, parsed, Some((&scope, fingerprint))).await? {
                Some(reply) => Ok(reply),
                None => kit::idempotency::replay_winner(&state.db, &scope, fingerprint).await,
            }
        })
        .await
}

/// Feed metadata (spec: `GET /feeds/{id}`).
async fn get_feed(
    State(state): State<AppState>,
    FeedCaller(merchant): FeedCaller,
    Version(_): Version,
    Path(id): Path<String>,
) -> Result<Reply, Error> {
    ok(StatusCode::OK, &super::get(&state, &merchant, &id).await?)
}

/// Every product of the feed (spec: `GET /feeds/{id}/products`).
async fn products(
    State(state): State<AppState>,
    FeedCaller(merchant): FeedCaller,
    Version(_): Version,
    Path(id): Path<String>,
) -> Result<axum::response::Response, Error> {
    let body = super::products(&state, &merchant, &id).await?;
    let json = serde_json::to_string(&body).map_err(|e| Error::Internal(e.into()))?;
    Ok(json_response(StatusCode::OK, json))
}

/// Upsert products by id (spec: `PATCH /feeds/{id}/products`).
async fn upsert(
    State(state): State<AppState>,
    FeedCaller(merchant): FeedCaller,
    Version(_): Version,
    Path(id): Path<String>,
    req: Request,
) -> Result<Reply, Error> {
    let body = http::json_body(req, state.body_limit).await?;
    let req: UpsertProductsRequest = kit::parse::strict(&body.bytes)?;
    let answer = super::upsert(&state, &merchant, &id, req.products).await?;
    ok(StatusCode::OK, &answer)
}
