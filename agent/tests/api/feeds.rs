//! The Feed API the agent hosts (ACP 2026-04-17), its search index, and file ingestion. Every
//! body the Feed API answers is checked against the official schema.

use std::sync::Arc;

use agent::search::understand;
use agent::testing::{FEED_KEY, MERCHANT_ID, TestAgent};
use kit::clock::ManualClock;
use kit::on_both_backends;
use kit::testing::Backend;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::ApiVersion;
use shared::schema::{Bundle, schemas, validate_upsert_products_response};

use crate::helpers::world;

const OTHER_FEED_KEY: &str = "other_shop_feed_key_9876543210";

struct Answer {
    status: u16,
    replayed: bool,
    body: Value,
}

/// A Feed API call; the answer is checked against the schema of what it must be.
async fn call(
    agent: &TestAgent,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    idempotency_key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", agent.base_url))
        .header("API-Version", "2026-04-17");
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(k) = idempotency_key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = &body {
        req = req.json(b);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("Idempotent-Replayed")
        .is_some_and(|v| v == "true");
    let body: Value = resp.json().await.expect("JSON");
    let s = schemas(ApiVersion::V2026_04_17);
    let checked = match (status, method.as_str(), path.ends_with("/products")) {
        (200..=299, "PATCH", _) => {
            validate_upsert_products_response(ApiVersion::V2026_04_17, &body)
        }
        (200..=299, "GET", true) => s.validate(Bundle::Feed, "ProductsResponse", &body),
        (200..=299, _, _) => s.validate(Bundle::Feed, "FeedMetadata", &body),
        _ => s.validate(Bundle::Feed, "Error", &body),
    };
    checked.unwrap_or_else(|e| panic!("{method} {path} ({status}): {e}\n{body:#}"));
    Answer {
        status,
        replayed,
        body,
    }
}

/// `PATCH /feeds/{id}/products` with the merchant's key.
async fn upsert(agent: &TestAgent, id: &str, body: Value) -> Answer {
    call(
        agent,
        reqwest::Method::PATCH,
        &format!("/feeds/{id}/products"),
        Some(FEED_KEY),
        None,
        Some(body),
    )
    .await
}

fn clock() -> Arc<ManualClock> {
    psp::testing::clock()
}

/// An agent that knows two merchants, each with its own Feed API key.
async fn agent(backend: Backend) -> TestAgent {
    agent::testing::spawn_with(backend, clock(), |s| {
        let mut other = s.merchants[0].clone();
        other.id = "acct_other_shop".into();
        other.feed_key = SecretString::from(OTHER_FEED_KEY);
        s.merchants.push(other);
    })
    .await
}

fn product(id: &str, title: &str, price: i64, colour: &str) -> Value {
    json!({
        "id": id, "title": title, "description": {"plain": format!("{title}, for testing.")},
        "url": format!("https://shop.example/products/{id}"),
        "variants": [{
            "id": format!("{id}-1"), "title": format!("{title} ({colour})"),
            "price": {"amount": price, "currency": "USD"},
            "availability": {"available": true, "status": "in_stock"},
            "categories": [{"value": "Home > Lighting", "taxonomy": "merchant"}, {"value": "Lumen", "taxonomy": "brand"}],
            "variant_options": [{"name": "Color", "value": colour}]
        }]
    })
}

async fn new_feed(agent: &TestAgent) -> String {
    let r = call(
        agent,
        reqwest::Method::POST,
        "/feeds",
        Some(FEED_KEY),
        None,
        Some(json!({"target_country": "US"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn feed_api_headers_and_errors(backend: Backend) {
    let agent = agent(backend).await;
    use reqwest::Method as M;
    let r = call(&agent, M::POST, "/feeds", None, None, Some(json!({}))).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let r = call(
        &agent,
        M::POST,
        "/feeds",
        Some("not_a_real_key_0123456789"),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 401);
    let resp = reqwest::Client::new()
        .post(format!("{}/feeds", agent.base_url))
        .bearer_auth(FEED_KEY)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["code"], "missing_api_version");
    assert_eq!(body["supported_versions"], json!(["2026-04-17"]));

    let r = call(
        &agent,
        M::POST,
        "/feeds",
        Some(FEED_KEY),
        None,
        Some(json!({"target_country": "usa"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str(), r.body["param"].as_str()),
        (
            400,
            Some("invalid_target_country"),
            Some("$.target_country")
        )
    );
    let r = call(
        &agent,
        M::POST,
        "/feeds",
        Some(FEED_KEY),
        None,
        Some(json!({"country": "US"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("unknown_field"))
    );

    let id = new_feed(&agent).await;
    let r = call(
        &agent,
        M::GET,
        &format!("/feeds/{id}"),
        Some(FEED_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(
        (
            r.status,
            r.body["id"].as_str(),
            r.body["target_country"].as_str()
        ),
        (200, Some(id.as_str()), Some("US"))
    );
    // Another merchant's feed is as good as missing, and so is a feed that does not exist.
    for (path, key) in [
        (format!("/feeds/{id}"), OTHER_FEED_KEY),
        ("/feeds/feed_nope".into(), FEED_KEY),
    ] {
        let r = call(&agent, M::GET, &path, Some(key), None, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.body["param"].as_str()),
            (404, Some("feed_not_found"), Some("id"))
        );
    }
    let r = call(
        &agent,
        M::PATCH,
        &format!("/feeds/{id}/products"),
        Some(OTHER_FEED_KEY),
        None,
        Some(json!({"products": [product("lamp", "Lamp", 100, "Red")]})),
    )
    .await;
    assert_eq!(r.status, 404);

    // Upserts are checked as the schema says, and what is wrong is named.
    let mut bad = product("lamp", "Lamp", 100, "Red");
    bad["variants"][0]["price"]["currency"] = json!("usd");
    let r = upsert(&agent, &id, json!({"products": [bad]})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str(), r.body["param"].as_str()),
        (
            400,
            Some("invalid_product_payload"),
            Some("$.products[0].variants[0].price.currency")
        )
    );
    let r = upsert(&agent, &id, json!({"products": []})).await;
    assert_eq!(
        (r.status, r.body["param"].as_str()),
        (400, Some("$.products"))
    );
    let mut extra = product("lamp", "Lamp", 100, "Red");
    extra["variants"][0]["colour"] = json!("red");
    let r = upsert(&agent, &id, json!({"products": [extra]})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str(), r.body["param"].as_str()),
        (
            400,
            Some("unknown_field"),
            Some("$.products[0].variants[0].colour")
        )
    );
}

async fn creating_a_feed_is_idempotent(backend: Backend) {
    let agent = agent(backend).await;
    use reqwest::Method as M;
    let body = json!({"target_country": "US"});
    let first = call(
        &agent,
        M::POST,
        "/feeds",
        Some(FEED_KEY),
        Some("feed-once"),
        Some(body.clone()),
    )
    .await;
    let again = call(
        &agent,
        M::POST,
        "/feeds",
        Some(FEED_KEY),
        Some("feed-once"),
        Some(body),
    )
    .await;
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body["id"], again.body["id"]);
    assert!(!first.replayed && again.replayed);
    let other = call(
        &agent,
        M::POST,
        "/feeds",
        Some(FEED_KEY),
        Some("feed-once"),
        Some(json!({"target_country": "CA"})),
    )
    .await;
    assert_eq!(
        (other.status, other.body["code"].as_str()),
        (422, Some("idempotency_conflict"))
    );
    // The key is the caller's: another merchant using it creates its own feed.
    let theirs = call(
        &agent,
        M::POST,
        "/feeds",
        Some(OTHER_FEED_KEY),
        Some("feed-once"),
        Some(json!({"target_country": "US"})),
    )
    .await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["id"], first.body["id"]);
}

async fn upserts_change_their_products_only_and_the_index_follows(backend: Backend) {
    let agent = agent(backend).await;
    use reqwest::Method as M;
    let id = new_feed(&agent).await;
    let path = format!("/feeds/{id}/products");
    let r = call(&agent, M::PATCH, &path, Some(FEED_KEY), None, Some(json!({"products": [product("desk-lamp", "Brass Desk Lamp", 4500, "Gold"), product("floor-lamp", "Arc Floor Lamp", 12900, "Black")]}))).await;
    assert_eq!(r.body, json!({"id": id, "accepted": true}));
    let index = &agent.state.index;
    let search = |text: &str| {
        let q = understand(text, &index.vocabulary());
        index.search(&q, 5).expect("search")
    };
    assert_eq!(search("desk lamp")[0].product_id, "desk-lamp");
    assert_eq!(search("lamp under $50").len(), 1);
    assert_eq!(
        search("lumen lamps").len(),
        2,
        "the brand category is searchable"
    );
    let updated_before = call(
        &agent,
        M::GET,
        &format!("/feeds/{id}"),
        Some(FEED_KEY),
        None,
        None,
    )
    .await
    .body["updated_at"]
        .clone();

    // A new price for one product; the other stays as it was.
    let r = call(
        &agent,
        M::PATCH,
        &path,
        Some(FEED_KEY),
        None,
        Some(json!({"products": [product("desk-lamp", "Brass Desk Lamp", 3900, "Gold")]})),
    )
    .await;
    assert_eq!(r.status, 200);
    let hits = search("brass desk lamp");
    assert_eq!(
        (hits[0].product_id.as_str(), hits[0].price),
        ("desk-lamp", Some(3900))
    );
    assert_eq!(index.num_docs(), 2, "replaced, not added");
    let all = call(&agent, M::GET, &path, Some(FEED_KEY), None, None).await;
    let ids: Vec<&str> = all.body["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["desk-lamp", "floor-lamp"]);
    let updated_after = call(
        &agent,
        M::GET,
        &format!("/feeds/{id}"),
        Some(FEED_KEY),
        None,
        None,
    )
    .await
    .body["updated_at"]
        .clone();
    assert_ne!(
        updated_before, updated_after,
        "updated_at advances with every change"
    );

    // Marked unavailable: still found, shown as such, and left out when "in stock" is asked.
    let mut gone = product("floor-lamp", "Arc Floor Lamp", 12900, "Black");
    gone["variants"][0]["availability"] = json!({"available": false, "status": "out_of_stock"});
    call(
        &agent,
        M::PATCH,
        &path,
        Some(FEED_KEY),
        None,
        Some(json!({"products": [gone]})),
    )
    .await;
    assert!(!search("arc floor lamp")[0].available);
    assert!(
        search("floor lamp in stock")
            .iter()
            .all(|h| h.product_id != "floor-lamp")
    );
}

async fn a_stale_index_is_repaired_on_start(backend: Backend) {
    let agent = agent(backend).await;
    let id = new_feed(&agent).await;
    let path = format!("/feeds/{id}/products");
    call(
        &agent,
        reqwest::Method::PATCH,
        &path,
        Some(FEED_KEY),
        None,
        Some(json!({"products": [product("desk-lamp", "Brass Desk Lamp", 4500, "Gold")]})),
    )
    .await;
    let db_url = agent.database_url.clone();
    let dir = agent.stop().await;
    let db = kit::db::Db::connect(
        &kit::config::DatabaseSettings {
            url: SecretString::from(db_url.clone()),
            max_connections: 2,
            acquire_timeout_secs: 5,
        },
        &agent::startup::MIGRATOR,
    )
    .await
    .expect("database");
    // The database moves on without the index (as if the process stopped between the two).
    let lamp: shared::v2026_04_17::feed::Product =
        serde_json::from_value(product("reading-lamp", "Reading Lamp", 2500, "White"))
            .expect("product");
    let meta = shared::v2026_04_17::feed::FeedMetadata {
        id: id.clone(),
        target_country: Some("US".into()),
        updated_at: None,
    };
    agent::feeds::replace(&db, chrono::Utc::now(), MERCHANT_ID, &meta, &[lamp])
        .await
        .expect("replaced");
    db.close().await;
    let agent = agent::testing::spawn_on_with(dir, &db_url, clock(), |_| {}).await;
    let index = &agent.state.index;
    let hits = index
        .search(&understand("lamp", &index.vocabulary()), 5)
        .expect("search");
    let ids: Vec<&str> = hits.iter().map(|h| h.product_id.as_str()).collect();
    assert_eq!(
        ids,
        ["reading-lamp"],
        "re-indexed from the database on start"
    );
}

async fn file_ingestion_replaces_the_feed(backend: Backend) {
    // The merchant's export of its catalog: the file drop.
    let seed = merchant::catalog::SeedFile::parse(merchant::catalog::DEMO_SEED).expect("demo");
    let products = merchant::feed::seed_products(seed, merchant::feed::DEMO_SHOP);
    let variants: usize = products.iter().map(|p| p.variants.len()).sum();
    let drop_dir = tempfile::tempdir().expect("dir");
    let meta = merchant::feed::metadata("feed_demo_file", "US", chrono::Utc::now());
    merchant::feed::export(drop_dir.path(), &meta, &products).expect("exported");

    // Ingested while no agent runs: indexed here, and found by the agent that starts next.
    let dir = tempfile::tempdir().expect("dir");
    let db_url = kit::testing::fresh_database(backend, dir.path(), "agent").await;
    let mut settings = agent::configuration::Settings::load(None).expect("defaults");
    settings.database.url = SecretString::from(db_url.clone());
    settings.search.index_dir = dir.path().join("index");
    settings.merchants = vec![agent::configuration::Merchant {
        id: MERCHANT_ID.into(),
        name: String::new(),
        url: String::new(),
        api_key: SecretString::from(String::new()),
        webhook_secret: SecretString::from(agent::testing::WEBHOOK_SECRET),
        feed_key: SecretString::from(FEED_KEY),
    }];
    let report = agent::feeds::ingest::run(
        &settings,
        drop_dir.path(),
        MERCHANT_ID,
        &kit::clock::SystemClock,
        false,
    )
    .await
    .expect("ingested");
    assert_eq!(
        (report.products, report.indexed_here),
        (products.len(), true)
    );
    let agent = agent::testing::spawn_on_with(dir, &db_url, clock(), |s| {
        s.search.reconcile_interval_secs = 1
    })
    .await;
    assert_eq!(agent.state.index.num_docs(), variants as u64);
    let r = call(
        &agent,
        reqwest::Method::GET,
        "/feeds/feed_demo_file",
        Some(FEED_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);

    // A smaller drop, ingested while the agent runs: it re-indexes the feed by itself.
    let few: Vec<_> = products.into_iter().take(3).collect();
    merchant::feed::export(drop_dir.path(), &meta, &few).expect("exported");
    let report = agent::feeds::ingest::run(
        &settings,
        drop_dir.path(),
        MERCHANT_ID,
        &kit::clock::SystemClock,
        false,
    )
    .await
    .expect("ingested");
    assert!(!report.indexed_here, "the running agent holds the index");
    let want: u64 = few.iter().map(|p| p.variants.len() as u64).sum();
    for _ in 0..100 {
        if agent.state.index.num_docs() == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        agent.state.index.num_docs(),
        want,
        "the replacement removed the others"
    );
    let r = call(
        &agent,
        reqwest::Method::GET,
        "/feeds/feed_demo_file/products",
        Some(FEED_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.body["products"].as_array().map(Vec::len), Some(3));
}

async fn the_merchant_pushes_its_catalog_and_availability_changes(backend: Backend) {
    let world = world(backend).await;
    let feed_id = merchant::store::feed::get(&world.merchant.state.db.read, &world.agent.base_url)
        .await
        .expect("query")
        .expect("the merchant created its feed");
    let r = call(
        &world.agent,
        reqwest::Method::GET,
        &format!("/feeds/{feed_id}/products"),
        Some(FEED_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(
        r.body["products"].as_array().map(Vec::len),
        Some(world.merchant.state.catalog.products().len())
    );
    // Every product the merchant pushed is valid against the schema (checked by `call`), and
    // carries price, availability and the brand.
    let first = &r.body["products"][0]["variants"][0];
    assert!(first["price"]["amount"].is_i64() && first["availability"]["status"].is_string());

    // The last units are sold elsewhere: the feed says so within a sync interval.
    let variant = "northpeak-daily-trainer-running-shoes-white-10";
    merchant::store::inventory::set_on_hand(&world.merchant.state.db.write, variant, 0)
        .await
        .expect("stock");
    let index = world.agent.state.index.clone();
    world
        .eventually("the agent's index shows it sold out", || {
            let index = index.clone();
            async move {
                let q = understand("northpeak daily trainer white size 10", &index.vocabulary());
                index
                    .search(&q, 1)
                    .expect("search")
                    .first()
                    .is_some_and(|h| h.variant_id == variant && !h.available)
            }
        })
        .await;
}

#[tokio::test]
async fn the_ingest_command_prints_what_it_did() {
    let seed = merchant::catalog::SeedFile::parse(merchant::catalog::DEMO_SEED).expect("demo");
    let products = merchant::feed::seed_products(seed, merchant::feed::DEMO_SHOP);
    let variants: usize = products.iter().map(|p| p.variants.len()).sum();
    let dir = tempfile::tempdir().expect("dir");
    merchant::feed::export(
        &dir.path().join("drop"),
        &merchant::feed::metadata("feed_cli", "US", chrono::Utc::now()),
        &products,
    )
    .expect("exported");
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{d}/agent.db\"\n[search]\nindex_dir = \"{d}/index\"\n[[merchants]]\nid = \"{MERCHANT_ID}\"\nwebhook_secret = \"{}\"\n",
            agent::testing::WEBHOOK_SECRET,
            d = dir.path().display()
        ),
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agent"))
        .args([
            "--config",
            config.to_str().expect("utf-8"),
            "feed",
            "ingest",
            "--quiet",
            "--merchant",
            MERCHANT_ID,
            "--dir",
        ])
        .arg(dir.path().join("drop"))
        .output()
        .expect("ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(&format!(
            "ingested feed feed_cli: {} products ({} variants)",
            products.len(),
            variants
        )),
        "{stdout}"
    );
    assert!(stdout.contains("; indexed"), "{stdout}");
    // An unknown merchant is refused.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agent"))
        .args([
            "--config",
            config.to_str().expect("utf-8"),
            "feed",
            "ingest",
            "--quiet",
            "--merchant",
            "acct_unknown",
            "--dir",
        ])
        .arg(dir.path().join("drop"))
        .output()
        .expect("ran");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not configured"));
}

on_both_backends!(
    feed_api_headers_and_errors,
    creating_a_feed_is_idempotent,
    upserts_change_their_products_only_and_the_index_follows,
    a_stale_index_is_repaired_on_start,
    file_ingestion_replaces_the_feed,
    the_merchant_pushes_its_catalog_and_availability_changes,
);
