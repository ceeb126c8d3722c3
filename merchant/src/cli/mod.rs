//! The command line: `serve`, `seed`, catalog and feed tools, and the operator's commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod admin;

use crate::catalog::generate;
use crate::configuration::Settings;
use crate::startup::{Application, MIGRATOR, read_seed};
use crate::{feed, store};
use kit::db::Db;
use kit::http::shutdown_signal;
use kit::telemetry;

/// The ACP demo merchant: checkout API, catalog, pricing, tax, shipping and inventory.
#[derive(Debug, Parser)]
#[command(name = "merchant", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; `MERCHANT__SECTION__KEY` environment variables override it.
    #[arg(long, short, global = true, env = "MERCHANT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checkout API (seeding the catalog first if the database has none).
    Serve,
    /// Load a catalog seed file into the database, replacing the products.
    Seed {
        /// The seed file; the configured one or the built-in demo catalog if omitted.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Also set existing variants' stock back to the file's counts.
        #[arg(long)]
        reset_stock: bool,
    },
    /// Catalog tools that need no database.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Drive orders, as an operator, through the running server's admin API.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Look after the webhook outbox, through the running server's admin API.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// The product feed (ACP 2026-04-17), as the agent ingests it.
    #[command(subcommand)]
    Feed(FeedCommand),
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Write the feed for file ingestion: `metadata.json` and `products.jsonl.gz` (a full
    /// replacement of the feed), with availability from the database's stock.
    Export {
        /// The folder to write into (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// The feed id for `metadata.json`: the one kept at the configured agent, else
        /// `feed_<merchant id>`.
        #[arg(long)]
        feed_id: Option<String>,
    },
}

/// Where the admin API is and the operator's key: the configured server and first admin key
/// unless given.
#[derive(Debug, clap::Args)]
pub struct AdminTarget {
    /// The merchant's base URL.
    #[arg(long, global = true, env = "MERCHANT_ADMIN_URL")]
    pub url: Option<String>,
    /// An operator key (`[[admin_keys]]`).
    #[arg(
        long,
        global = true,
        env = "MERCHANT_ADMIN_KEY",
        hide_env_values = true
    )]
    pub key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, newest first.
    List {
        /// Only orders in this status (created, confirmed, processing, shipped, completed, canceled).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Show one order as its webhooks carry it.
    Show {
        id: String,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Accept a new order (digital goods are delivered now).
    Confirm {
        id: String,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Start picking and packing.
    Process {
        id: String,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Hand a parcel to a carrier: everything left to ship, or `--item LINE_ID=QTY`.
    Ship {
        id: String,
        #[arg(long)]
        carrier: String,
        #[arg(long)]
        tracking_number: String,
        #[arg(long)]
        tracking_url: Option<String>,
        /// A line item and how many of it are in the parcel; repeat for several.
        #[arg(long = "item", value_parser = parse_line)]
        items: Vec<(String, u32)>,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// A parcel arrived: the one given, or every one in transit.
    Deliver {
        id: String,
        #[arg(long)]
        fulfillment: Option<String>,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Call the order off before it ships, and refund it.
    Cancel {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Refund at the PSP: the given amount in minor units (cents), or everything refundable.
    Refund {
        id: String,
        #[arg(long)]
        amount: Option<i64>,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        target: AdminTarget,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List order events: parked ones by default.
    List {
        /// pending, delivered or parked.
        #[arg(long, default_value = "parked")]
        status: String,
        /// Only this order's events.
        #[arg(long)]
        order: Option<String>,
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Put a parked event back in line.
    Retry {
        id: String,
        #[command(flatten)]
        target: AdminTarget,
    },
}

fn parse_line(s: &str) -> Result<(String, u32), String> {
    let (id, qty) = s
        .split_once('=')
        .ok_or_else(|| "expected LINE_ID=QUANTITY".to_owned())?;
    let qty = qty
        .parse()
        .map_err(|_| format!("{qty:?} is not a quantity"))?;
    Ok((id.to_owned(), qty))
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Print a generated catalog seed file (the demo catalog with the defaults).
    Generate {
        /// How many products (default: the demo catalog's size).
        #[arg(long)]
        products: Option<usize>,
        #[arg(long, default_value_t = generate::DEMO_RNG_SEED)]
        seed: u64,
    },
    /// Check a seed file and print what it holds.
    Check { file: PathBuf },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            telemetry::init("info,sqlx=warn,tower_http=warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Seed { file, reset_stock } => {
            telemetry::init("warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let seed = read_seed(file.as_deref().or(settings.catalog.seed_file.as_deref()))?;
            let db = Db::connect(&settings.database, &MIGRATOR).await?;
            let report =
                store::catalog::seed(&db.write, &seed, reset_stock, chrono::Utc::now()).await?;
            db.close().await;
            println!(
                "seeded {} products ({} variants): {} new stock rows, {} products removed{}",
                report.products,
                report.variants,
                report.new_stock_rows,
                report.removed_products,
                if reset_stock { ", stock reset" } else { "" }
            );
            Ok(())
        }
        Command::Catalog(CatalogCommand::Generate { products, seed }) => {
            let catalog = generate::generate(products.unwrap_or_else(generate::demo_size), seed);
            println!("{}", serde_json::to_string_pretty(&catalog)?);
            Ok(())
        }
        Command::Orders(cmd) => admin::orders(cli.config.as_deref(), cmd).await,
        Command::Webhooks(cmd) => admin::webhooks(cli.config.as_deref(), cmd).await,
        Command::Feed(FeedCommand::Export { dir, feed_id }) => {
            telemetry::init("warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let db = Db::connect(&settings.database, &MIGRATOR).await?;
            let Some(catalog) = store::catalog::load(&db.read).await? else {
                anyhow::bail!("the database has no catalog yet: run `merchant seed` first");
            };
            let stock = store::inventory::free_units_all(&db.read).await?;
            let feed_id = match feed_id {
                Some(id) => id,
                None => store::feed::get(&db.read, &settings.feed.agent_url)
                    .await?
                    .unwrap_or_else(|| format!("feed_{}", settings.merchant.merchant_id)),
            };
            db.close().await;
            let base_url = settings.server.public_base_url.trim_end_matches('/');
            let shop = feed::Shop {
                base_url,
                name: &settings.merchant.name,
                currency: catalog.currency(),
            };
            let products = feed::products(&catalog, &stock, shop);
            let metadata =
                feed::metadata(&feed_id, &settings.feed.target_country, chrono::Utc::now());
            let n = feed::export(&dir, &metadata, &products)?;
            println!(
                "wrote feed {feed_id}: {n} products to {}",
                dir.join("products.jsonl.gz").display()
            );
            Ok(())
        }
        Command::Catalog(CatalogCommand::Check { file }) => {
            let seed = read_seed(Some(&file))?;
            let variants: usize = seed.products.iter().map(|p| p.variants.len()).sum();
            println!(
                "{}: {} products, {} variants, currency {}",
                file.display(),
                seed.products.len(),
                variants,
                seed.currency
            );
            Ok(())
        }
    }
}
