//! Search quality over the demo catalog: shopper queries and the products that must come
//! first. The catalog goes through the merchant's real feed rendering into a real index.

use std::sync::Arc;

use agent::search::{FeedRef, SearchIndex, understand};
use merchant::catalog::{DEMO_SEED, SeedFile};

fn index() -> (tempfile::TempDir, Arc<SearchIndex>) {
    let seed = SeedFile::parse(DEMO_SEED).expect("demo catalog");
    let products = merchant::feed::seed_products(seed, merchant::feed::DEMO_SHOP);
    let dir = tempfile::tempdir().expect("dir");
    let index = SearchIndex::open(&dir.path().join("index"), 50_000_000).expect("index");
    index
        .replace_feed(
            FeedRef {
                id: "feed_demo",
                merchant_id: "acct_demo_outfitters",
            },
            &products,
            1,
            |_| {},
        )
        .expect("indexed");
    (dir, Arc::new(index))
}

/// `(what a shopper types, the product that must be among the first three)`.
const QUERIES: &[(&str, &str)] = &[
    (
        "I need running shoes under $60",
        "northpeak-daily-trainer-running-shoes",
    ),
    (
        "runing shose under 55 dollars",
        "northpeak-daily-trainer-running-shoes",
    ),
    (
        "northpeak trail runner",
        "northpeak-trail-runner-running-shoes",
    ),
    (
        "carbon plate racing shoes",
        "velora-carbon-plate-racer-running-shoes",
    ),
    ("track spikes", "pacefield-track-spike-running-shoes"),
    (
        "waterproof hiking boots under $145",
        "ridgeline-timberline-waterproof-hiking-boots",
    ),
    (
        "gore-tex boots by trailhawk",
        "trailhawk-summit-gtx-waterproof-hiking-boots",
    ),
    (
        "cheap hiking boots under 100",
        "trailhawk-scree-scrambler-hiking-boots",
    ),
    ("blue rain jacket", "northpeak-packable-rain-jacket"),
    (
        "down puffer jacket in navy",
        "urban-thread-down-puffer-jacket",
    ),
    ("fleece jacket size M", "ridgeline-polar-fleece-jacket"),
    ("denim jacket under $70", "harbor-co-vintage-denim-jacket"),
    ("merino base layer", "harbor-co-merino-wool-base-layer"),
    ("grey hoodie", "urban-thread-pullover-hoodie"),
    ("running tee", "harbor-co-performance-running-tee"),
    (
        "noise cancelling headphones under $100",
        "sonique-noise-cancelling-wireless-headphones",
    ),
    (
        "wireless earbuds waterproof",
        "arcwave-waterproof-sport-earbuds",
    ),
    ("bluetooth speaker", "sonique-portable-bluetooth-speaker"),
    ("record player", "arcwave-vinyl-turntable"),
    ("65w usb-c charger", "voltcore-65w-usb-c-gan-charger"),
    ("powerbank 20000mah", "arcwave-20000mah-power-bank"),
    ("portable ssd 1tb", "voltcore-portable-ssd-1tb"),
    ("webcam", "arcwave-1080p-webcam"),
    ("cast iron skillet", "copper-oak-12-inch-cast-iron-skillet"),
    ("coffee grinder", "kitchenary-burr-coffee-grinder"),
    ("french press", "kitchenary-french-press-1l"),
    ("chef knife", "hearthstone-8-inch-chef-s-knife"),
    (
        "electric kettle gooseneck",
        "copper-oak-gooseneck-electric-kettle",
    ),
    ("dutch oven", "hearthstone-enameled-dutch-oven"),
    ("memory foam pillow", "linen-house-memory-foam-pillow"),
    ("scented candle", "nestwell-soy-wax-scented-candle"),
    ("2 person tent", "trailhawk-2-person-backpacking-tent"),
    ("sleeping bag", "ridgeline-20-f-down-sleeping-bag"),
    ("headlamp rechargeable", "basecamp-rechargeable-headlamp"),
    ("hammock", "basecamp-hammock-with-straps"),
    ("yoga mat", "corefit-non-slip-yoga-mat"),
    ("kettlebell 16 kg", "velora-kettlebell-16kg"),
    ("adjustable dumbells", "velora-adjustable-dumbbells-25lb"),
    ("sourdough book", "sourdough-at-home"),
    ("sourdough e-book", "sourdough-at-home-e-book"),
    (
        "the last ferry to orkney audiobook",
        "the-last-ferry-to-orkney-audiobook",
    ),
    ("rust programming ebook", "rust-for-busy-developers-e-book"),
    (
        "password manager",
        "pixelforge-password-manager-1-year-plan",
    ),
    (
        "birthday gift card",
        "acp-demo-outfitters-birthday-gift-card",
    ),
    (
        "cooperative board game",
        "meeple-works-cooperative-space-rescue-game",
    ),
    ("1000 piece puzzle", "brightbox-1000-piece-mountain-puzzle"),
    ("chess set", "meeple-works-strategy-chess-set"),
    ("vitamin c serum", "glow-theory-vitamin-c-serum"),
    ("sunscreen spf 50", "glow-theory-mineral-sunscreen-spf-50"),
    (
        "moisturiser for face",
        "fernleaf-hydrating-face-moisturizer",
    ),
    ("lip balm", "fernleaf-lip-balm-trio"),
    ("vinyl turntable in stock", "arcwave-vinyl-turntable"),
    (
        "northpak waxed jacket",
        "northpeak-waxed-canvas-field-jacket",
    ),
    ("sonique earbuds", "sonique-noise-cancelling-earbuds"),
    (
        "headphones for kids",
        "bassline-kids-volume-limited-headphones",
    ),
    ("yellow foam roller", "velora-high-density-foam-roller"),
    (
        "stainles steel mixing bowls",
        "copper-oak-stainless-mixing-bowl-set",
    ),
    ("hiking daypack 25l", "basecamp-25l-hiking-daypack"),
    ("sweatshirt under $20", "harbor-co-zip-fleece-sweatshirt"),
    (
        "green oxford shirt size L",
        "basics-lab-classic-oxford-shirt",
    ),
    ("sneakers under $75", "pacefield-track-spike-running-shoes"),
    ("a rain jaket in blue", "northpeak-packable-rain-jacket"),
];

#[test]
fn shoppers_queries_find_the_right_products() {
    let (_dir, index) = index();
    let vocabulary = index.vocabulary();
    let mut misses = Vec::new();
    for (text, expected) in QUERIES {
        let hits = index
            .search(&understand(text, &vocabulary), 3)
            .expect("search");
        if !hits.iter().any(|h| h.product_id == *expected) {
            let got: Vec<&str> = hits.iter().map(|h| h.product_id.as_str()).collect();
            misses.push(format!("{text:?}: wanted {expected}, got {got:?}"));
        }
    }
    let hit_rate = 1.0 - misses.len() as f64 / QUERIES.len() as f64;
    assert!(QUERIES.len() >= 30);
    println!(
        "{} of {} queries rank the product in the top 3",
        QUERIES.len() - misses.len(),
        QUERIES.len()
    );
    for m in &misses {
        println!("  miss: {m}");
    }
    assert!(
        hit_rate >= 0.9,
        "only {:.0}% in the top 3:\n{}",
        hit_rate * 100.0,
        misses.join("\n")
    );
}
