use agent::cli::{Cli, run};
use clap::Parser;

// Many small allocations per request; mimalloc handles them with less contention.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
