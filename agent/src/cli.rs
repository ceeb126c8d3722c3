//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::startup::Application;

/// The ACP demo agent: receives merchants' signed order webhooks.
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
    /// Run the agent.
    Serve,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            kit::telemetry::init("info,sqlx=warn,tower_http=warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(kit::http::shutdown_signal()).await
        }
    }
}
