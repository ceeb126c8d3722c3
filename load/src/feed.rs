//! Feed benchmarks: generated catalogs of any size rendered as the merchant renders its feed,
//! pushed through the agent's Feed API in batches, or written as a file drop for `agent feed
//! ingest`.

use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use shared::client::{FeedClient, RequestOptions};
use shared::idempotency::IdempotencyKey;
use shared::v2026_04_17::feed;

/// `count` generated products with plenty of stock, as feed products.
pub fn products(count: usize) -> Vec<feed::Product> {
    let mut seed =
        merchant::catalog::generate::generate(count, merchant::catalog::generate::DEMO_RNG_SEED);
    for v in seed.products.iter_mut().flat_map(|p| p.variants.iter_mut()) {
        v.stock = 1000;
    }
    merchant::feed::seed_products(seed, merchant::feed::DEMO_SHOP)
}

/// Creates a feed and upserts `count` products in batches of `batch`, one request at a time
/// (the agent applies a feed's changes in order anyway). Prints one JSON line.
pub async fn push(
    url: &str,
    key: &str,
    count: usize,
    batch: usize,
    label: &str,
) -> anyhow::Result<()> {
    let products = products(count);
    let variants: usize = products.iter().map(|p| p.variants.len()).sum();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(600))
        .build()?;
    let client = FeedClient::new(http, url, key);
    let idem = IdempotencyKey::parse(&format!("bench-feed-{}", rand::random::<u64>()))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let opts = RequestOptions::default();
    let created = client
        .create_feed(
            &feed::CreateFeedRequest {
                target_country: Some("US".into()),
            },
            &idem,
            &opts,
        )
        .await
        .context("creating the feed")?;
    let id = created.body.id;
    let started = Instant::now();
    let mut slowest = 0f64;
    for chunk in products.chunks(batch.max(1)) {
        let t = Instant::now();
        let r = client
            .upsert_products(
                &id,
                &feed::UpsertProductsRequest {
                    products: chunk.to_vec(),
                },
                &opts,
            )
            .await
            .context("upserting")?;
        anyhow::ensure!(r.body.accepted, "not accepted");
        slowest = slowest.max(t.elapsed().as_secs_f64());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "label": label, "scenario": "feed_push", "products": count, "variants": variants,
            "batch": batch, "seconds": (secs * 100.0).round() / 100.0,
            "products_per_s": (count as f64 / secs).round(),
            "slowest_batch_ms": (slowest * 1000.0).round(),
            "feed_id": id,
        })
    );
    Ok(())
}

/// Writes `count` generated products as a file drop in `dir`.
pub fn files(dir: &std::path::Path, count: usize, feed_id: &str) -> anyhow::Result<()> {
    let products = products(count);
    let meta = merchant::feed::metadata(feed_id, "US", chrono::Utc::now());
    merchant::feed::export(dir, &meta, &products)?;
    Ok(())
}
