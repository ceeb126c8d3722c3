//! The Product Feed API's operations (ACP 2026-04-17, hosted here, called by merchants) and the
//! file ingestion path, over the database and the search index.
//!
//! Every change is one database transaction (the products and the feed's new generation),
//! then the same products in the index, under one lock so that the index applies changes in
//! the order the database did. If the process stops between the two, the index is behind by a
//! generation and [`reconcile`] re-indexes that feed from the database.

pub mod ingest;
pub mod routes;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kit::db::{Db, StoreError};
use kit::idempotency::{Reply, Scope};
use shared::v2026_04_17::feed::{
    self, CreateFeedRequest, FeedMetadata, Product, ProductsResponse, UpsertProductsResponse,
};

use crate::error::Error;
use crate::search::{FeedRef, SearchIndex};
use crate::state::AppState;
use crate::store::feeds::{self as store, FeedRow};

fn metadata(f: &FeedRow) -> FeedMetadata {
    FeedMetadata {
        id: f.id.clone(),
        target_country: f.target_country.clone(),
        updated_at: Some(f.updated_at),
    }
}

/// A feed of `merchant`'s; another merchant's feed is as good as missing.
async fn owned(state: &AppState, merchant: &str, id: &str) -> Result<FeedRow, Error> {
    match store::get(&state.db.read, id).await? {
        Some(f) if f.merchant_id == merchant => Ok(f),
        _ => Err(Error::FeedNotFound),
    }
}

/// `POST /feeds`, answered with its status and body. With an idempotency `scope` (and the
/// request's fingerprint), the answer is stored in the same transaction as the feed, so a
/// retry can never create a second feed; `None` then means another request stored its answer
/// first, and the caller replays that.
pub async fn create(
    state: &AppState,
    merchant: &str,
    req: &CreateFeedRequest,
    idempotency: Option<(&Scope, &str)>,
) -> Result<Option<Reply>, Error> {
    if let Some(c) = &req.target_country
        && !feed::is_country_code(c)
    {
        return Err(Error::invalid(
            "invalid_target_country",
            "target_country must be an ISO 3166-1 alpha-2 code",
            "$.target_country",
        ));
    }
    let now = state.clock.now();
    let row = FeedRow {
        id: kit::ids::random("feed_", 20),
        merchant_id: merchant.to_owned(),
        target_country: req.target_country.clone(),
        generation: 0,
        updated_at: now,
    };
    let body = serde_json::to_string(&metadata(&row)).map_err(|e| Error::Internal(e.into()))?;
    let reply = Reply::new(StatusCode::CREATED, body);
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    store::insert(&mut tx, &row).await?;
    if let Some((scope, fingerprint)) = idempotency
        && !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await?
    {
        tx.rollback().await.map_err(StoreError::from)?;
        return Ok(None);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(feed = %row.id, merchant, "feed created");
    Ok(Some(reply))
}

/// `GET /feeds/{id}`.
pub async fn get(state: &AppState, merchant: &str, id: &str) -> Result<FeedMetadata, Error> {
    Ok(metadata(&owned(state, merchant, id).await?))
}

/// `GET /feeds/{id}/products`: the whole current set.
pub async fn products(
    state: &AppState,
    merchant: &str,
    id: &str,
) -> Result<ProductsResponse, Error> {
    let f = owned(state, merchant, id).await?;
    Ok(ProductsResponse {
        products: store::products(&state.db.read, &f.id).await?,
    })
}

/// Checks what serde cannot: the schema's patterns and formats, ids present and not repeated.
pub fn validate(products: &[Product]) -> Result<(), Error> {
    if products.is_empty() {
        return Err(Error::invalid(
            "invalid_product_payload",
            "products must contain at least one valid Product",
            "$.products",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in products.iter().enumerate() {
        if let Some((at, why)) = p.problems().into_iter().next() {
            let param = format!("$.products[{i}]{}", at.trim_start_matches('$'));
            return Err(Error::Invalid {
                code: "invalid_product_payload",
                message: format!("products[{i}]: {why}"),
                param: Some(param),
            });
        }
        if !seen.insert(p.id.as_str()) {
            return Err(Error::invalid(
                "invalid_product_payload",
                format!("products[{i}]: product id {:?} appears twice", p.id),
                &format!("$.products[{i}].id"),
            ));
        }
    }
    Ok(())
}

/// `PATCH /feeds/{id}/products`: upserts by `Product.id`; others stay as they are.
pub async fn upsert(
    state: &AppState,
    merchant: &str,
    id: &str,
    products: Vec<Product>,
) -> Result<UpsertProductsResponse, Error> {
    validate(&products)?;
    let f = owned(state, merchant, id).await?;
    let _order = state.feed_lock.lock().await;
    let generation = write(&state.db, state.clock.now(), &f.id, &products, false).await?;
    let index = state.index.clone();
    let (feed_id, merchant_id) = (f.id.clone(), f.merchant_id.clone());
    let count = products.len();
    blocking(move || {
        index.upsert(
            FeedRef {
                id: &feed_id,
                merchant_id: &merchant_id,
            },
            &products,
            generation,
        )
    })
    .await?;
    tracing::info!(feed = %f.id, products = count, generation, "feed products upserted");
    Ok(UpsertProductsResponse {
        id: f.id,
        accepted: true,
    })
}

/// The products and the feed's generation, in one transaction; `replace` removes the feed's
/// other products first. Returns the new generation.
async fn write(
    db: &Db,
    now: DateTime<Utc>,
    feed_id: &str,
    products: &[Product],
    replace: bool,
) -> Result<i64, Error> {
    let docs = products
        .iter()
        .map(|p| serde_json::to_string(p).map(|json| (p, json)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Internal(e.into()))?;
    let mut tx = db.write.begin().await.map_err(StoreError::from)?;
    if replace {
        store::clear_products(&mut tx, feed_id).await?;
    }
    store::upsert_products(&mut tx, feed_id, &docs, now).await?;
    let generation = store::touch(&mut tx, feed_id, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(generation)
}

/// A full replacement of `merchant`'s feed (file ingestion): the feed is created with the
/// metadata's id if it does not exist. Returns the feed's new generation; the index is brought
/// up to date by the caller (or by the running agent's [`reconcile`], when another process
/// holds the index).
pub async fn replace(
    db: &Db,
    now: DateTime<Utc>,
    merchant: &str,
    meta: &FeedMetadata,
    products: &[Product],
) -> Result<i64, Error> {
    validate(products)?;
    if let Some(c) = &meta.target_country
        && !feed::is_country_code(c)
    {
        return Err(Error::invalid(
            "invalid_target_country",
            "target_country must be an ISO 3166-1 alpha-2 code",
            "$.target_country",
        ));
    }
    match store::get(&db.read, &meta.id).await? {
        Some(f) if f.merchant_id != merchant => {
            return Err(Error::invalid(
                "feed_owned_by_another_merchant",
                format!("feed {} belongs to another merchant", meta.id),
                "$.id",
            ));
        }
        Some(_) => {}
        None => {
            let row = FeedRow {
                id: meta.id.clone(),
                merchant_id: merchant.to_owned(),
                target_country: meta.target_country.clone(),
                generation: 0,
                updated_at: now,
            };
            let mut conn = db.write.acquire().await.map_err(StoreError::from)?;
            store::insert(&mut conn, &row).await?;
        }
    }
    write(db, now, &meta.id, products, true).await
}

/// Brings the index up to date with the database: re-indexes every feed whose generation
/// differs and forgets feeds that are gone. Returns how many feeds were re-indexed.
pub async fn reconcile(state: &AppState) -> Result<usize, Error> {
    let _order = state.feed_lock.lock().await;
    reconcile_index(&state.db, &state.index).await
}

/// [`reconcile`] for any database and index (the caller orders it with other index writes).
pub async fn reconcile_index(db: &Db, index: &Arc<SearchIndex>) -> Result<usize, Error> {
    let feeds = store::all(&db.read).await?;
    let indexed = index.generations();
    let mut repaired = 0;
    for f in &feeds {
        if indexed.get(&f.id) == Some(&f.generation) {
            continue;
        }
        let products = store::products(&db.read, &f.id).await?;
        let index = index.clone();
        let row = f.clone();
        let count = products.len();
        blocking(move || {
            index.replace_feed(
                FeedRef {
                    id: &row.id,
                    merchant_id: &row.merchant_id,
                },
                &products,
                row.generation,
                |_| {},
            )
        })
        .await?;
        tracing::info!(feed = %f.id, products = count, generation = f.generation, "feed re-indexed from the database");
        repaired += 1;
    }
    for gone in indexed
        .keys()
        .filter(|id| !feeds.iter().any(|f| &f.id == *id))
    {
        let index = index.clone();
        let gone = gone.clone();
        blocking(move || index.remove_feed(&gone)).await?;
    }
    Ok(repaired)
}

/// Runs index work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("index task failed: {e}")))?
        .map_err(Error::Internal)
}
