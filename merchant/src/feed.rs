//! The product feed: the catalog as ACP 2026-04-17 Feed products (NOTES §14.1), pushed to the
//! agent's Feed API and exportable as the file drop (`metadata.json` + `products.jsonl.gz`).
//!
//! The feed is derived, never stored: products come from the catalog, availability from the
//! `inventory` table. Pushing reconciles with what the agent holds (the RFC's §4.2 read-back):
//! on start the worker reads the agent's copy of the feed, then sends every product that
//! differs, and from then on every product whose rendering changed since it was last accepted.
//! A restart therefore repairs whatever an earlier process did not get through, and nothing
//! about the feed lives in the merchant's database except the feed's id.
//!
//! Decisions where the feed schema is silent: the brand, which the 2026-04-17 `Product` has no
//! field for, is published as a `Category` in the `brand` taxonomy (and the catalog's tags in
//! the `tag` taxonomy), so agents can facet on it; the price is the active (sale) price with the
//! list price beside it; `limited_stock` means at most [`LOW_STOCK`] units are free.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use shared::client::{ClientError, FeedClient, RequestOptions};
use shared::idempotency::IdempotencyKey;
use shared::v2026_04_17::feed;
use tokio::sync::watch;

use crate::catalog::{Catalog, Product};
use crate::configuration::FeedSettings;
use crate::domain::session::LOW_STOCK;
use crate::state::AppState;
use crate::store;

/// What a rendering needs besides the product: where the shop is and who it is.
#[derive(Debug, Clone, Copy)]
pub struct Shop<'a> {
    pub base_url: &'a str,
    pub name: &'a str,
    /// ISO 4217, lowercase as in the catalog.
    pub currency: &'a str,
}

/// Free units per variant id (`on_hand - reserved`).
pub type Stock = HashMap<String, i64>;

/// The feed's availability for `free` units.
pub fn availability(free: i64) -> feed::Availability {
    let status = if free <= 0 {
        feed::AvailabilityStatus::OutOfStock
    } else if free <= i64::from(LOW_STOCK) {
        feed::AvailabilityStatus::LimitedStock
    } else {
        feed::AvailabilityStatus::InStock
    };
    feed::Availability {
        available: Some(free > 0),
        status: Some(status),
    }
}

fn price(amount: i64, currency: &str) -> feed::Price {
    feed::Price {
        amount,
        currency: currency.to_ascii_uppercase(),
    }
}

/// One catalog product as a feed product.
pub fn product(p: &Product, stock: &Stock, shop: Shop<'_>) -> feed::Product {
    let base = shop.base_url;
    let mut categories = vec![
        feed::Category {
            value: p.category.clone(),
            taxonomy: Some("merchant".into()),
        },
        feed::Category {
            value: p.brand.clone(),
            taxonomy: Some("brand".into()),
        },
    ];
    categories.extend(p.tags.iter().map(|t| feed::Category {
        value: t.clone(),
        taxonomy: Some("tag".into()),
    }));
    let policy = |kind: &str, title: &str, page: &str| feed::Link {
        kind: kind.into(),
        title: Some(title.into()),
        url: format!("{base}/policies/{page}"),
    };
    let seller = feed::Seller {
        name: Some(shop.name.to_owned()),
        links: Some(vec![
            policy("refund_policy", "Return policy", "returns"),
            policy("shipping_policy", "Shipping policy", "shipping"),
            policy("terms_of_service", "Terms of use", "terms"),
            policy("privacy_policy", "Privacy policy", "privacy"),
        ]),
    };
    let variants = p
        .variants
        .iter()
        .map(|v| {
            let title = format!("{} ({})", p.title, v.title);
            let mut out = feed::Variant::new(&v.id, &title);
            out.url = Some(format!("{base}/products/{}?variant={}", p.id, v.id));
            out.barcodes = Some(vec![feed::Barcode {
                kind: "GTIN".into(),
                value: v.gtin.clone(),
            }]);
            out.price = Some(price(v.unit_price(), shop.currency));
            out.list_price = v.sale_price.map(|_| price(v.price, shop.currency));
            out.availability = Some(availability(stock.get(&v.id).copied().unwrap_or(0)));
            out.categories = Some(categories.clone());
            out.condition = Some(vec!["new".into()]);
            out.variant_options = (!v.options.is_empty()).then(|| {
                v.options
                    .iter()
                    .map(|o| feed::VariantOption {
                        name: o.name.clone(),
                        value: o.value.clone(),
                    })
                    .collect()
            });
            out.media = Some(vec![feed::Media {
                kind: "image".into(),
                url: format!("{base}/images/{}.svg", v.id),
                alt_text: Some(title),
                width: Some(i64::from(crate::catalog::images::SIZE)),
                height: Some(i64::from(crate::catalog::images::SIZE)),
            }]);
            out.seller = Some(seller.clone());
            out
        })
        .collect();
    feed::Product {
        id: p.id.clone(),
        title: Some(p.title.clone()),
        description: Some(feed::Description::plain(&p.description)),
        url: Some(format!("{base}/products/{}", p.id)),
        media: p.variants.first().map(|v| {
            vec![feed::Media {
                kind: "image".into(),
                url: format!("{base}/images/{}.svg", v.id),
                alt_text: Some(p.title.clone()),
                width: Some(i64::from(crate::catalog::images::SIZE)),
                height: Some(i64::from(crate::catalog::images::SIZE)),
            }]
        }),
        variants,
    }
}

/// Every product of the catalog, in catalog order.
pub fn products(catalog: &Catalog, stock: &Stock, shop: Shop<'_>) -> Vec<feed::Product> {
    catalog
        .products()
        .iter()
        .map(|p| product(p, stock, shop))
        .collect()
}

/// The demo shop, as the demo configuration has it.
pub const DEMO_SHOP: Shop<'static> = Shop {
    base_url: "http://localhost:4001",
    name: "ACP Demo Outfitters",
    currency: "usd",
};

/// A whole seed file as feed products, each variant with the seed's stock: a feed without a
/// running merchant, for tests and benchmarks.
pub fn seed_products(seed: crate::catalog::SeedFile, shop: Shop<'_>) -> Vec<feed::Product> {
    let stock = seed
        .products
        .iter()
        .flat_map(|p| &p.variants)
        .map(|v| (v.id.clone(), i64::from(v.stock)))
        .collect();
    products(&Catalog::from_seed(seed), &stock, shop)
}

/// A product the agent holds that the catalog no longer has: the Feed API cannot delete, so
/// its variants are marked discontinued (the RFC's advice).
pub fn discontinued(mut p: feed::Product) -> feed::Product {
    for v in &mut p.variants {
        v.availability = Some(feed::Availability {
            available: Some(false),
            status: Some(feed::AvailabilityStatus::Discontinued),
        });
    }
    p
}

/// A digest of a product's rendering: equal digests, equal products.
pub fn digest(p: &feed::Product) -> String {
    // Serialising a typed product is deterministic (fields in declaration order), so the
    // agent's copy, read back and re-serialised, digests the same as what was sent.
    let json = serde_json::to_vec(p).unwrap_or_default();
    hex::encode(Sha256::digest(json))
}

/// The free units of every variant.
pub async fn stock(state: &AppState) -> anyhow::Result<Stock> {
    Ok(store::inventory::free_units_all(&state.db.read).await?)
}

/// Writes the file drop into `dir`: `metadata.json` (a `FeedMetadata`) and `products.jsonl.gz`
/// (one `Product` per line, gzip). Returns how many products were written.
pub fn export(
    dir: &Path,
    metadata: &feed::FeedMetadata,
    products: &[feed::Product],
) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let meta = serde_json::to_vec_pretty(metadata)?;
    std::fs::write(dir.join("metadata.json"), meta).context("writing metadata.json")?;
    let file = std::fs::File::create(dir.join("products.jsonl.gz"))
        .context("creating products.jsonl.gz")?;
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    for p in products {
        serde_json::to_writer(&mut gz, p)?;
        gz.write_all(b"\n")?;
    }
    gz.finish()?.flush()?;
    Ok(products.len())
}

/// The push worker: keeps the agent's copy of the feed equal to the catalog. Runs until `stop`.
pub fn spawn(state: &AppState, stop: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
    let settings = state.feed.clone()?;
    let state = state.clone();
    Some(tokio::spawn(
        async move { run(state, settings, stop).await },
    ))
}

async fn run(state: AppState, settings: FeedSettings, mut stop: watch::Receiver<bool>) {
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.timeout_secs))
        .build()
    else {
        tracing::error!("cannot build the feed client; the feed will not be pushed");
        return;
    };
    let client = FeedClient::new(
        http,
        settings.agent_url.clone(),
        settings.api_key.expose_secret(),
    );
    let mut pusher = Pusher {
        state: &state,
        settings: &settings,
        client,
        feed_id: None,
        known: None,
    };
    let every = Duration::from_secs(settings.sync_interval_secs.max(1));
    loop {
        match pusher.sync().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(products = n, feed = ?pusher.feed_id, "feed pushed to the agent")
            }
            Err(e) => {
                // Start over from the agent's copy next time: it may have moved on.
                pusher.known = None;
                tracing::warn!(error = %format!("{e:#}"), "feed push failed; will retry");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

struct Pusher<'a> {
    state: &'a AppState,
    settings: &'a FeedSettings,
    client: FeedClient,
    feed_id: Option<String>,
    /// What the agent holds, as last read back or accepted; `None` until read back.
    known: Option<Known>,
}

struct Known {
    /// Digest of each product as the agent last accepted it.
    accepted: HashMap<String, String>,
    /// Products the agent has that the catalog no longer does, marked discontinued.
    retired: Vec<feed::Product>,
}

impl Pusher<'_> {
    /// One round: makes sure the feed exists, then sends what changed. Returns how many
    /// products were sent.
    async fn sync(&mut self) -> anyhow::Result<usize> {
        let feed_id = self.feed_id().await?;
        let mut known = match self.known.take() {
            Some(k) => k,
            None => self.read_back(&feed_id).await?,
        };
        let stock = stock(self.state).await?;
        let shop = Shop {
            base_url: &self.state.base_url,
            name: &self.state.merchant.name,
            currency: self.state.catalog.currency(),
        };
        let mut current = products(&self.state.catalog, &stock, shop);
        current.extend(known.retired.iter().cloned());
        let changed: Vec<(feed::Product, String)> = current
            .into_iter()
            .map(|p| {
                let d = digest(&p);
                (p, d)
            })
            .filter(|(p, d)| known.accepted.get(&p.id) != Some(d))
            .collect();
        let mut sent = 0;
        for chunk in changed.chunks(self.settings.batch_size.max(1)) {
            let body = feed::UpsertProductsRequest {
                products: chunk.iter().map(|(p, _)| p.clone()).collect(),
            };
            let r = self
                .client
                .upsert_products(&feed_id, &body, &RequestOptions::default())
                .await
                .map_err(describe)
                .context("upserting products")?;
            if !r.body.accepted {
                anyhow::bail!("the agent did not accept the products");
            }
            for (p, d) in chunk {
                known.accepted.insert(p.id.clone(), d.clone());
            }
            sent += chunk.len();
        }
        self.known = Some(known);
        Ok(sent)
    }

    /// The agent's copy of the feed (RFC §4.2). A feed the agent no longer has (a fresh agent
    /// database) is forgotten here, so that the next round creates a new one.
    async fn read_back(&mut self, feed_id: &str) -> anyhow::Result<Known> {
        let held = match self
            .client
            .get_products(feed_id, &RequestOptions::default())
            .await
        {
            Ok(r) => r.body.products,
            Err(e) if e.status() == Some(404) => {
                store::feed::forget(&self.state.db.write, &self.settings.agent_url).await?;
                self.feed_id = None;
                anyhow::bail!("the agent no longer has feed {feed_id}; a new one will be created")
            }
            Err(e) => {
                return Err(describe(e)).context("reading the agent's copy of the feed");
            }
        };
        let accepted = held.iter().map(|p| (p.id.clone(), digest(p))).collect();
        let retired = held
            .into_iter()
            .filter(|p| self.state.catalog.product(&p.id).is_none())
            .map(discontinued)
            .collect();
        Ok(Known { accepted, retired })
    }

    /// The feed's id: remembered, stored, or created at the agent (once: the idempotency key is
    /// derived from this merchant and agent, so a creation retried after a crash returns the
    /// same feed).
    async fn feed_id(&mut self) -> anyhow::Result<String> {
        if let Some(id) = &self.feed_id {
            return Ok(id.clone());
        }
        let url = &self.settings.agent_url;
        if let Some(id) = store::feed::get(&self.state.db.read, url).await? {
            self.feed_id = Some(id.clone());
            return Ok(id);
        }
        let seed = format!("{}|{url}", self.state.merchant.merchant_id);
        let key = IdempotencyKey::parse(&format!(
            "feed-create-{}",
            &hex::encode(Sha256::digest(seed.as_bytes()))[..32]
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let body = feed::CreateFeedRequest {
            target_country: Some(self.settings.target_country.clone()),
        };
        let created = self
            .client
            .create_feed(&body, &key, &RequestOptions::default())
            .await
            .map_err(describe)
            .context("creating the feed at the agent")?;
        let id = created.body.id;
        store::feed::remember(&self.state.db.write, url, &id, self.state.clock.now()).await?;
        tracing::info!(feed = %id, agent = %url, "feed created at the agent");
        self.feed_id = Some(id.clone());
        Ok(id)
    }
}

fn describe(e: ClientError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The metadata of an exported feed.
pub fn metadata(id: &str, target_country: &str, now: DateTime<Utc>) -> feed::FeedMetadata {
    feed::FeedMetadata {
        id: id.to_owned(),
        target_country: Some(target_country.to_owned()),
        updated_at: Some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DEMO_SEED, SeedFile};

    fn shop() -> Shop<'static> {
        DEMO_SHOP
    }

    #[test]
    fn availability_follows_free_units() {
        let s = |n| availability(n).status.expect("status");
        assert_eq!(s(0), feed::AvailabilityStatus::OutOfStock);
        assert_eq!(availability(0).available, Some(false));
        assert_eq!(s(1), feed::AvailabilityStatus::LimitedStock);
        assert_eq!(s(3), feed::AvailabilityStatus::LimitedStock);
        assert_eq!(s(4), feed::AvailabilityStatus::InStock);
        assert_eq!(availability(4).available, Some(true));
    }

    #[test]
    fn a_product_on_sale_renders_price_list_price_brand_and_links() {
        let seed = SeedFile::parse(DEMO_SEED).expect("demo");
        let p = seed
            .products
            .iter()
            .find(|p| p.variants.iter().any(|v| v.sale_price.is_some()))
            .expect("a product on sale");
        let v = p
            .variants
            .iter()
            .find(|v| v.sale_price.is_some())
            .expect("variant");
        let stock: Stock = [(v.id.clone(), 10)].into();
        let out = product(p, &stock, shop());
        assert!(out.problems().is_empty(), "{:?}", out.problems());
        let fv = out
            .variants
            .iter()
            .find(|x| x.id == v.id)
            .expect("rendered");
        assert_eq!(
            fv.price.as_ref().map(|x| (x.amount, x.currency.as_str())),
            Some((v.sale_price.expect("sale"), "USD"))
        );
        assert_eq!(fv.list_price.as_ref().map(|x| x.amount), Some(v.price));
        let cats = fv.categories.as_ref().expect("categories");
        assert!(
            cats.iter()
                .any(|c| c.taxonomy.as_deref() == Some("brand") && c.value == p.brand)
        );
        assert_eq!(
            fv.availability.as_ref().and_then(|a| a.status.clone()),
            Some(feed::AvailabilityStatus::InStock)
        );
        // A variant with no stock row is out of stock, not in stock.
        let other = out.variants.iter().find(|x| x.id != v.id);
        if let Some(o) = other {
            assert_eq!(
                o.availability.as_ref().and_then(|a| a.available),
                Some(false)
            );
        }
        assert_eq!(digest(&out), digest(&out.clone()));
    }

    #[test]
    fn the_whole_demo_feed_validates_against_the_official_schema() {
        use shared::schema::{Bundle, schemas};
        let seed = SeedFile::parse(DEMO_SEED).expect("demo");
        let count = seed.products.len();
        let all = seed_products(seed, shop());
        assert_eq!(all.len(), count);
        let body =
            serde_json::to_value(feed::UpsertProductsRequest { products: all }).expect("JSON");
        schemas(shared::ApiVersion::V2026_04_17)
            .validate(Bundle::Feed, "UpsertProductsRequest", &body)
            .unwrap_or_else(|e| panic!("{e}"));
        let statuses: std::collections::HashSet<&str> = body["products"]
            .as_array()
            .expect("products")
            .iter()
            .flat_map(|p| p["variants"].as_array().expect("variants"))
            .filter_map(|v| v["availability"]["status"].as_str())
            .collect();
        assert!(
            ["in_stock", "limited_stock", "out_of_stock"]
                .iter()
                .all(|s| statuses.contains(s)),
            "{statuses:?}"
        );
    }

    #[test]
    fn discontinued_products_are_unavailable() {
        let seed = SeedFile::parse(DEMO_SEED).expect("demo");
        let out = discontinued(product(&seed.products[0], &Stock::new(), shop()));
        assert!(out.variants.iter().all(|v| v.availability
            == Some(feed::Availability {
                available: Some(false),
                status: Some(feed::AvailabilityStatus::Discontinued)
            })));
    }
}
