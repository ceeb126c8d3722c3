//! File ingestion (`agent feed ingest`): a merchant's file drop, `metadata.json` (a
//! `FeedMetadata`) and `products.jsonl.gz` (or `products.jsonl`: one `Product` per line), as a
//! full replacement of the feed.
//!
//! The products go to the database in one transaction. The index is then rebuilt for the feed
//! here if no agent is running on it; if one is, that agent notices the feed's new generation
//! within `search.reconcile_interval_secs` and re-indexes it itself (an index has one writer).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kit::clock::Clock;
use kit::db::Db;
use shared::v2026_04_17::feed::{FeedMetadata, Product};

use crate::configuration::Settings;
use crate::search::{FeedRef, SearchIndex};

/// What an ingestion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub feed_id: String,
    pub products: usize,
    pub variants: usize,
    pub generation: i64,
    /// Whether this process indexed the products (else the running agent will).
    pub indexed_here: bool,
}

/// The products file of a drop: gzip if it ends in `.gz`.
fn products_file(dir: &Path) -> anyhow::Result<PathBuf> {
    for name in ["products.jsonl.gz", "products.jsonl"] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "{} has no products.jsonl.gz or products.jsonl",
        dir.display()
    )
}

fn bar(len: u64, template: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Reads a drop: the metadata and every product, each line checked as the Feed API checks an
/// upsert. A bad line stops the ingestion and names its line number.
pub fn read(dir: &Path, show_progress: bool) -> anyhow::Result<(FeedMetadata, Vec<Product>)> {
    let meta_path = dir.join("metadata.json");
    let meta: FeedMetadata = kit::parse::strict(
        &std::fs::read(&meta_path).with_context(|| format!("reading {}", meta_path.display()))?,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e:?}", meta_path.display()))?;
    let path = products_file(dir)?;
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = bar(
        len,
        "reading  [{bar:30}] {bytes}/{total_bytes} {msg}",
        show_progress,
    );
    let raw = progress.wrap_read(file);
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut products = Vec::new();
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let p: Product = kit::parse::strict(line.as_bytes())
            .map_err(|e| anyhow::anyhow!("{} line {}: {e:?}", path.display(), n + 1))?;
        if let Some((at, why)) = p.problems().into_iter().next() {
            bail!("{} line {}: {at}: {why}", path.display(), n + 1);
        }
        products.push(p);
        if products.len() % 1000 == 0 {
            progress.set_message(format!("{} products", products.len()));
        }
    }
    progress.finish_with_message(format!("{} products", products.len()));
    Ok((meta, products))
}

/// Ingests the drop in `dir` as `merchant`'s feed.
pub async fn run(
    settings: &Settings,
    dir: &Path,
    merchant: &str,
    clock: &dyn Clock,
    show_progress: bool,
) -> anyhow::Result<Report> {
    if !settings.merchants.iter().any(|m| m.id == merchant) {
        bail!("merchant {merchant:?} is not configured ([[merchants]])");
    }
    let started = Instant::now();
    let (meta, products) = read(dir, show_progress)?;
    let variants = products.iter().map(|p| p.variants.len()).sum();
    let product_count = products.len();
    let db = Db::connect(&settings.database, &crate::startup::MIGRATOR).await?;
    let saving = if show_progress {
        ProgressBar::new_spinner().with_message(format!("saving {} products", products.len()))
    } else {
        ProgressBar::hidden()
    };
    saving.enable_steady_tick(std::time::Duration::from_millis(120));
    let generation = super::replace(&db, clock.now(), merchant, &meta, &products)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
    saving.finish_with_message(format!("saved {} products", products.len()));

    let dir_index = &settings.search.index_dir;
    let indexed_here = !SearchIndex::is_locked(dir_index);
    if indexed_here {
        let index = Arc::new(SearchIndex::open(
            dir_index,
            settings.search.writer_memory_bytes,
        )?);
        let progress = bar(
            products.len() as u64,
            "indexing [{bar:30}] {pos}/{len} products",
            show_progress,
        );
        let feed_id = meta.id.clone();
        let merchant = merchant.to_owned();
        let index_ref = index.clone();
        let bar_ref = progress.clone();
        tokio::task::spawn_blocking(move || {
            index_ref.replace_feed(
                FeedRef {
                    id: &feed_id,
                    merchant_id: &merchant,
                },
                &products,
                generation,
                |done| bar_ref.set_position(done as u64),
            )
        })
        .await??;
        progress.finish();
        // Other feeds may be behind as well (this index's last writer stopped early).
        super::reconcile_index(&db, &index)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    db.close().await;
    tracing::info!(
        feed = %meta.id,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "feed ingested"
    );
    Ok(Report {
        feed_id: meta.id,
        products: product_count,
        variants,
        generation,
        indexed_here,
    })
}
