//! The command line: `serve`, `chat`, and the feed file ingestion.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::startup::Application;

/// The ACP demo agent: finds products in merchants' feeds, shops for the buyer over ACP,
/// and follows orders through the merchants' signed webhooks.
#[derive(Debug, Parser)]
#[command(name = "agent", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; `AGENT__SECTION__KEY` environment variables override it.
    #[arg(long, short, global = true, env = "AGENT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent: the Feed API, the conversation API, the webhook receiver.
    Serve,
    /// Shop from this terminal, through a running agent.
    Chat {
        /// The agent's base URL.
        #[arg(long, default_value = "http://localhost:3000", env = "AGENT_URL")]
        url: String,
    },
    /// Product feeds.
    #[command(subcommand)]
    Feed(FeedCommand),
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Ingest a merchant's feed files (`metadata.json` and `products.jsonl.gz`) as a full
    /// replacement of that feed. A running agent re-indexes it within seconds.
    Ingest {
        /// The folder holding the files (as `merchant feed export --dir` writes them).
        #[arg(long)]
        dir: PathBuf,
        /// The merchant the feed belongs to (its id in `[[merchants]]`).
        #[arg(long)]
        merchant: String,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            kit::telemetry::init("info,sqlx=warn,tower_http=warn,tantivy=warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(kit::http::shutdown_signal()).await
        }
        Command::Chat { url } => crate::terminal::run(&url).await,
        Command::Feed(FeedCommand::Ingest {
            dir,
            merchant,
            quiet,
        }) => {
            kit::telemetry::init("warn,tantivy=warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let started = std::time::Instant::now();
            let report = crate::feeds::ingest::run(
                &settings,
                &dir,
                &merchant,
                &kit::clock::SystemClock,
                !quiet,
            )
            .await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "ingested feed {}: {} products ({} variants) in {:.1} s ({:.0} products/s), generation {}; {}",
                report.feed_id,
                report.products,
                report.variants,
                secs,
                report.products as f64 / secs.max(1e-9),
                report.generation,
                if report.indexed_here {
                    "indexed"
                } else {
                    "the running agent is indexing it"
                }
            );
            Ok(())
        }
    }
}
