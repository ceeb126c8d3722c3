//! The command line: `serve`, `seed`, and catalog tools.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::catalog::generate;
use crate::configuration::Settings;
use crate::startup::{Application, MIGRATOR, read_seed};
use crate::store;
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
