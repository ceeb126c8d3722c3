//! `acp-load`: drives a server with N concurrent keep-alive connections for a fixed time and
//! reports throughput and latency percentiles. Closed loop: each connection sends its next
//! request when the previous answer has arrived, so latency is never hidden by queueing in the
//! load generator itself.

mod ceiling;
mod drive;
mod feed;
mod floor;
mod receiver;
mod scenario;

use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "acp-load", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure one scenario and print one JSON line with the results.
    Run {
        #[arg(value_enum)]
        scenario: scenario::Kind,
        /// The server's base URL (http only).
        #[arg(long, default_value = "http://127.0.0.1:4001")]
        url: String,
        /// The agent API key for the merchant.
        #[arg(long, default_value = "bench_agent_key_0123456789")]
        key: String,
        /// The PSP's base URL, for the purchase scenario.
        #[arg(long)]
        psp_url: Option<String>,
        /// The agent API key for the PSP.
        #[arg(long, default_value = "bench_agent_psp_key_0123456789")]
        psp_key: String,
        /// Purchase: listen here for the merchant's order webhooks and measure their delivery.
        #[arg(long)]
        receiver: Option<std::net::SocketAddr>,
        /// Purchase with --receiver: refuse every webhook while the purchases run, then accept
        /// them and report how fast the merchant delivers the backlog (instead of latency).
        #[arg(long)]
        backlog: bool,
        /// The webhooks' signing secret.
        #[arg(long, default_value = "whsec_bench_secret_0123456789")]
        webhook_secret: String,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Measured seconds (after the warm-up).
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// A label copied into the output (e.g. the database).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// A catalog seed file with plenty of stock, so a benchmark never runs out.
    Catalog {
        #[arg(long, default_value_t = 1_000_000)]
        stock: u32,
    },
    /// Push `products` generated products through an agent's Feed API and time it.
    Feed {
        /// The agent's base URL.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// A merchant's Feed API key at the agent.
        #[arg(long)]
        key: String,
        #[arg(long, default_value_t = 10_000)]
        products: usize,
        /// Products per `PATCH`.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Write `products` generated products as a feed file drop, for `agent feed ingest`.
    FeedFiles {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, default_value_t = 10_000)]
        products: usize,
        #[arg(long, default_value = "feed_bench_files")]
        feed_id: String,
    },
    /// The ceiling: a bare axum handler doing one insert into the same database.
    CeilingServer {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 4100)]
        port: u16,
        #[arg(long, default_value_t = 16)]
        max_connections: u32,
    },
    /// The floor: a handler doing only the database write of a create, through the merchant's
    /// own code, for sessions priced and rendered at start. Answers `POST /floor`.
    FloorServer {
        #[arg(long)]
        database_url: String,
        /// The seed file the merchant under test was given (`acp-load catalog`).
        #[arg(long)]
        catalog: std::path::PathBuf,
        #[arg(long, default_value_t = 4100)]
        port: u16,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run {
            scenario,
            url,
            key,
            psp_url,
            psp_key,
            receiver,
            backlog,
            webhook_secret,
            connections,
            seconds,
            warmup,
            label,
        } => {
            let target = drive::Target::parse(&url)?;
            let psp = psp_url.as_deref().map(drive::Target::parse).transpose()?;
            anyhow::ensure!(
                scenario != scenario::Kind::Purchase || psp.is_some(),
                "the purchase scenario needs --psp-url"
            );
            let keys = scenario::Keys {
                merchant: key,
                psp: psp_key,
            };
            let receiver = match receiver {
                Some(addr) => Some(receiver::Receiver::start(addr, webhook_secret, backlog).await?),
                None => None,
            };
            let plan = std::sync::Arc::new(
                scenario::prepare(scenario, &target, keys, receiver.clone()).await?,
            );
            let mut report = drive::run(
                (&target, psp.as_ref()),
                plan,
                connections,
                Duration::from_secs(warmup),
                Duration::from_secs(seconds),
            )
            .await?;
            if let Some(r) = receiver.as_ref().filter(|_| backlog) {
                let d = r.drain(Duration::from_secs(120)).await;
                let secs = d.elapsed.as_secs_f64();
                report.extra = Some((
                    "webhook_backlog",
                    serde_json::json!({
                        "delivered": d.delivered,
                        "undelivered": d.undelivered,
                        "drain_s": (secs * 1000.0).round() / 1000.0,
                        "per_s": if secs > 0.0 { (d.delivered as f64 / secs).round() } else { 0.0 },
                    }),
                ));
            } else if let Some(r) = receiver {
                let d = r.finish(Duration::from_secs(10)).await;
                let secs = report.elapsed.as_secs_f64();
                let ms = |q: f64| (d.latency_us.value_at_quantile(q) as f64 / 10.0).round() / 100.0;
                report.extra = Some((
                    "webhooks",
                    serde_json::json!({
                        "events": d.events,
                        "per_s": (d.events as f64 / secs).round(),
                        "rejected": d.rejected,
                        "missing": d.missing,
                        "p50_ms": ms(0.5),
                        "p99_ms": ms(0.99),
                    }),
                ));
            }
            println!("{}", report.to_json(&label, scenario, connections));
            Ok(())
        }
        Command::Catalog { stock } => {
            let mut seed = merchant::catalog::generate::generate(
                merchant::catalog::generate::demo_size(),
                merchant::catalog::generate::DEMO_RNG_SEED,
            );
            for v in seed.products.iter_mut().flat_map(|p| p.variants.iter_mut()) {
                v.stock = stock;
            }
            println!("{}", serde_json::to_string(&seed)?);
            Ok(())
        }
        Command::Feed {
            url,
            key,
            products,
            batch,
            label,
        } => feed::push(&url, &key, products, batch, &label).await,
        Command::FeedFiles {
            dir,
            products,
            feed_id,
        } => feed::files(&dir, products, &feed_id),
        Command::CeilingServer {
            database_url,
            port,
            max_connections,
        } => ceiling::serve(&database_url, port, max_connections).await,
        Command::FloorServer {
            database_url,
            catalog,
            port,
        } => floor::serve(&database_url, &catalog, port).await,
    }
}
