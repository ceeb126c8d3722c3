//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cards::TEST_CARDS;
use crate::configuration::Settings;
use crate::startup::Application;

/// The ACP demo payment service provider: card vault, Shared Payment Tokens, payment intents,
/// refunds and 3-D Secure.
#[derive(Debug, Parser)]
#[command(name = "psp", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; `PSP__SECTION__KEY` environment variables override it.
    #[arg(long, short, global = true, env = "PSP_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the PSP.
    Serve,
    /// Print the test cards and what they do.
    TestCards,
    /// Print a fresh random key for `[[vault.keys]]` or `vault.fingerprint_key`.
    GenerateKey,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            kit::telemetry::init("info,sqlx=warn,tower_http=warn");
            let settings = Settings::load(cli.config.as_deref())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(kit::http::shutdown_signal()).await
        }
        Command::TestCards => {
            for c in TEST_CARDS {
                println!("{:<19} {}", c.number, c.description);
            }
            Ok(())
        }
        Command::GenerateKey => {
            use base64::Engine;
            use rand::RngExt;
            let key: [u8; 32] = rand::rng().random();
            println!("{}", base64::engine::general_purpose::STANDARD.encode(key));
            Ok(())
        }
    }
}
