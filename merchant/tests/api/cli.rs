//! The `seed` subcommand and what `serve` does with an empty database.

use kit::db::Db;
use merchant::catalog::{DEMO_SEED, SeedFile};
use merchant::configuration::Settings;
use merchant::store;
use secrecy::SecretString;

use crate::helpers::{Backend, spawn_app};
use kit::on_both_backends;

async fn serve_seeds_an_empty_database_with_the_demo_catalog(backend: Backend) {
    let app = spawn_app(backend).await;
    let demo = SeedFile::parse(DEMO_SEED).expect("valid");
    assert_eq!(app.state.catalog.products().len(), demo.products.len());
    let v = &demo.products[0].variants[0];
    assert_eq!(app.stock(&v.id).await, (i64::from(v.stock), 0));
}

async fn seed_replaces_products_and_can_reset_stock(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut seed = SeedFile::parse(DEMO_SEED).expect("valid");
    let kept = seed.products[0].variants[0].id.clone();
    app.set_stock(&kept, 999).await;
    seed.products.truncate(10);
    seed.products[0].variants[0].stock = 7;
    let report = store::catalog::seed(&app.state.db.write, &seed, false, chrono::Utc::now())
        .await
        .expect("seed");
    assert_eq!(report.products, 10);
    assert_eq!(
        report.removed_products,
        SeedFile::parse(DEMO_SEED).expect("valid").products.len() as u64 - 10
    );
    assert_eq!(
        app.stock(&kept).await.0,
        999,
        "stock is kept unless asked to reset"
    );
    store::catalog::seed(&app.state.db.write, &seed, true, chrono::Utc::now())
        .await
        .expect("seed");
    assert_eq!(app.stock(&kept).await.0, 7);
    let loaded = store::catalog::load(&app.state.db.read)
        .await
        .expect("load")
        .expect("a catalog");
    assert_eq!(loaded.products().len(), 10);
    assert_eq!(
        loaded.products()[0].id,
        seed.products[0].id,
        "products keep the file's order"
    );
}

#[tokio::test]
async fn the_cli_seeds_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let config = dir.path().join("merchant.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{url}\"\n")).expect("write");
    let cli = <merchant::cli::Cli as clap::Parser>::parse_from([
        "merchant",
        "--config",
        config.to_str().expect("utf-8"),
        "seed",
    ]);
    merchant::cli::run(cli).await.expect("seed runs");
    let mut settings = Settings::load(Some(&config)).expect("settings");
    settings.database.url = SecretString::from(url);
    let db = Db::connect(&settings.database, &merchant::startup::MIGRATOR)
        .await
        .expect("db");
    let catalog = store::catalog::load(&db.read)
        .await
        .expect("load")
        .expect("seeded");
    assert!(catalog.products().len() >= 200);
}

#[tokio::test]
async fn the_cli_exports_the_feed_as_files() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let config = dir.path().join("merchant.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{url}\"\n")).expect("write");
    let run = |args: &[&str]| {
        let mut all = vec!["merchant", "--config", config.to_str().expect("utf-8")];
        all.extend_from_slice(args);
        merchant::cli::run(<merchant::cli::Cli as clap::Parser>::parse_from(all))
    };
    run(&["seed"]).await.expect("seeded");
    let out = dir.path().join("feed");
    run(&["feed", "export", "--dir", out.to_str().expect("utf-8")])
        .await
        .expect("exported");
    let schemas = shared::schema::schemas(shared::ApiVersion::V2026_04_17);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metadata.json")).expect("metadata"))
            .expect("JSON");
    schemas
        .validate(shared::schema::Bundle::Feed, "FeedMetadata", &meta)
        .expect("FeedMetadata");
    assert_eq!(meta["id"], "feed_acct_demo_outfitters");
    let file = std::fs::File::open(out.join("products.jsonl.gz")).expect("products");
    let lines: Vec<String> = std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| l.expect("line"))
        .collect();
    assert_eq!(
        lines.len(),
        SeedFile::parse(DEMO_SEED).expect("valid").products.len()
    );
    for line in &lines {
        let p: serde_json::Value = serde_json::from_str(line).expect("JSON");
        schemas
            .validate(shared::schema::Bundle::Feed, "Product", &p)
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

on_both_backends!(
    serve_seeds_an_empty_database_with_the_demo_catalog,
    seed_replaces_products_and_can_reset_stock
);
