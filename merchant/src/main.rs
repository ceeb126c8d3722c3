use clap::Parser;
use merchant::cli::{Cli, run};

// A request allocates and frees many small strings; mimalloc does that with less contention
// between worker threads than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
