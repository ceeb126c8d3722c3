//! A deterministic catalog generator.
//!
//! `catalog/demo.json` is its output for the demo (`merchant catalog generate`); the same code
//! makes the large catalogs the benchmarks ingest. Families of products are written by hand so
//! the demo reads like a real shop; the generator only combines them. The random source is a
//! SplitMix64 written here, because a library's seeded generator may change its stream between
//! versions and the committed catalog must stay reproducible.

use super::{Product, SeedFile, Variant, VariantOption, gtin_check_digit};

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and stable forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Family {
    category: &'static str,
    /// The kind of thing, appended to the model name in titles ("Running Shoes").
    noun: &'static str,
    digital: bool,
    brands: &'static [&'static str],
    models: &'static [&'static str],
    /// `(name, hex)`; empty for products without colours.
    colors: &'static [(&'static str, &'static str)],
    colors_per_product: usize,
    /// The option the sizes are called by ("Size", "Format", "Amount").
    size_option: &'static str,
    sizes: &'static [&'static str],
    /// Dollar range of list prices.
    dollars: (u64, u64),
    weight_grams: u32,
    max_per_order: u32,
    features: &'static [&'static str],
    tags: &'static [&'static str],
    disclosure: Option<&'static str>,
}

const NEUTRALS: &[(&str, &str)] = &[
    ("Black", "#1f2328"),
    ("White", "#f4f4f2"),
    ("Grey", "#8a8f98"),
    ("Navy", "#1f3a68"),
];
const BRIGHTS: &[(&str, &str)] = &[
    ("Blue", "#2f6fdb"),
    ("Red", "#d64541"),
    ("Green", "#2e9e5b"),
    ("Orange", "#f28c28"),
    ("Yellow", "#f2c230"),
    ("Purple", "#7b4bc4"),
    ("Pink", "#e86aa6"),
    ("Teal", "#1c9c9c"),
];
const EARTH: &[(&str, &str)] = &[
    ("Olive", "#6b7a3a"),
    ("Brown", "#7a5230"),
    ("Tan", "#c8a97e"),
    ("Forest Green", "#2f5d3a"),
    ("Charcoal", "#3b3f45"),
];
const ALL_COLORS: &[(&str, &str)] = &[
    ("Black", "#1f2328"),
    ("White", "#f4f4f2"),
    ("Blue", "#2f6fdb"),
    ("Red", "#d64541"),
    ("Green", "#2e9e5b"),
    ("Navy", "#1f3a68"),
    ("Grey", "#8a8f98"),
    ("Orange", "#f28c28"),
];

const FAMILIES: &[Family] = &[
    Family {
        category: "Shoes > Running",
        noun: "Running Shoes",
        digital: false,
        brands: &["Stride", "Velora", "Pacefield", "Northpeak"],
        models: &[
            "Aero Runner",
            "Cloud Tempo",
            "Marathon Pro",
            "Daily Trainer",
            "Sprint Lite",
            "Ultra Cushion",
            "Road Racer 2",
            "Tempo Flex",
            "Featherweight",
            "Long Run Max",
            "Street Glide",
            "Interval",
            "Recovery Plus",
            "City Jogger",
            "Track Spike",
            "Trail Runner",
            "Stability Guide",
            "Carbon Plate Racer",
        ],
        colors: ALL_COLORS,
        colors_per_product: 2,
        size_option: "Size",
        sizes: &["8", "9", "10", "11", "12"],
        dollars: (59, 179),
        weight_grams: 620,
        max_per_order: 4,
        features: &[
            "responsive foam midsole that returns energy on every stride",
            "breathable engineered mesh upper",
            "grippy rubber outsole for wet and dry roads",
            "padded heel collar and a secure lace-up fit",
            "an 8 mm heel-to-toe drop for a natural ride",
        ],
        tags: &["running", "sneakers", "athletic", "road"],
        disclosure: None,
    },
    Family {
        category: "Shoes > Hiking",
        noun: "Hiking Boots",
        digital: false,
        brands: &["Trailhawk", "Northpeak", "Ridgeline"],
        models: &[
            "Summit GTX Waterproof",
            "Canyon Mid",
            "Alpine Trek",
            "Switchback Low",
            "Backcountry Pro",
            "Timberline Waterproof",
            "Scree Scrambler",
            "Ridge Walker",
        ],
        colors: EARTH,
        colors_per_product: 2,
        size_option: "Size",
        sizes: &["8", "9", "10", "11", "12"],
        dollars: (89, 229),
        weight_grams: 1150,
        max_per_order: 4,
        features: &[
            "a waterproof, breathable membrane that keeps feet dry",
            "a lugged outsole that bites into mud and loose rock",
            "ankle support for long days on rough trails",
            "a cushioned footbed and a protective toe cap",
        ],
        tags: &["hiking", "boots", "outdoor", "trail"],
        disclosure: None,
    },
    Family {
        category: "Apparel > Jackets",
        noun: "Jacket",
        digital: false,
        brands: &["Harbor & Co", "Northpeak", "Urban Thread", "Ridgeline"],
        models: &[
            "Vintage Denim",
            "Packable Rain",
            "Down Puffer",
            "Polar Fleece",
            "Windbreaker",
            "Waxed Canvas Field",
            "Quilted Liner",
            "Softshell Trail",
            "Insulated Parka",
            "Lightweight Bomber",
            "Corduroy Trucker",
            "Storm Shell",
            "Sherpa-Lined Denim",
            "Hooded Rain",
        ],
        colors: &[
            ("Blue", "#2f6fdb"),
            ("Black", "#1f2328"),
            ("Olive", "#6b7a3a"),
            ("Red", "#d64541"),
            ("Navy", "#1f3a68"),
            ("Tan", "#c8a97e"),
        ],
        colors_per_product: 2,
        size_option: "Size",
        sizes: &["S", "M", "L", "XL"],
        dollars: (49, 249),
        weight_grams: 800,
        max_per_order: 5,
        features: &[
            "a relaxed fit that layers easily over a sweater",
            "zippered hand pockets and an interior media pocket",
            "an adjustable hood and cuffs to seal out wind",
            "durable fabric that softens with every wear",
        ],
        tags: &["jacket", "outerwear", "coat"],
        disclosure: None,
    },
    Family {
        category: "Apparel > Tops",
        noun: "",
        digital: false,
        brands: &["Urban Thread", "Harbor & Co", "Basics Lab"],
        models: &[
            "Organic Cotton Crew T-Shirt",
            "Merino Wool Base Layer",
            "Classic Oxford Shirt",
            "Pullover Hoodie",
            "Performance Running Tee",
            "Flannel Overshirt",
            "Linen Button-Down Shirt",
            "Zip Fleece Sweatshirt",
            "Ribbed Tank Top",
            "Long Sleeve Henley",
            "Cable Knit Sweater",
            "Polo Shirt",
            "Crewneck Sweatshirt",
            "Quarter-Zip Pullover",
            "Graphic T-Shirt",
        ],
        colors: ALL_COLORS,
        colors_per_product: 3,
        size_option: "Size",
        sizes: &["S", "M", "L", "XL"],
        dollars: (19, 89),
        weight_grams: 250,
        max_per_order: 10,
        features: &[
            "soft, breathable fabric that keeps its shape wash after wash",
            "a modern fit that is neither boxy nor tight",
            "reinforced seams for everyday wear",
            "pre-shrunk and easy care",
        ],
        tags: &["shirt", "top", "clothing"],
        disclosure: None,
    },
    Family {
        category: "Electronics > Audio",
        noun: "",
        digital: false,
        brands: &["Sonique", "Arcwave", "Bassline"],
        models: &[
            "Noise Cancelling Wireless Headphones",
            "True Wireless Earbuds",
            "Studio Monitor Headphones",
            "Portable Bluetooth Speaker",
            "Waterproof Sport Earbuds",
            "Over-Ear Wireless Headphones",
            "Smart Home Speaker",
            "Soundbar 2.1",
            "Kids Volume-Limited Headphones",
            "Open-Ear Bone Conduction Headphones",
            "Vinyl Turntable",
            "USB Podcast Microphone",
            "Noise Cancelling Earbuds",
            "Wireless Gaming Headset",
            "Shower Speaker",
        ],
        colors: NEUTRALS,
        colors_per_product: 2,
        size_option: "",
        sizes: &[],
        dollars: (29, 349),
        weight_grams: 300,
        max_per_order: 3,
        features: &[
            "up to 30 hours of battery life and fast USB-C charging",
            "Bluetooth 5.3 with multipoint pairing",
            "rich, balanced sound with deep bass",
            "a built-in microphone for clear calls",
            "touch controls and a companion app",
        ],
        tags: &["audio", "music", "wireless", "bluetooth"],
        disclosure: None,
    },
    Family {
        category: "Electronics > Accessories",
        noun: "",
        digital: false,
        brands: &["Voltcore", "Arcwave", "Deskmate"],
        models: &[
            "65W USB-C GaN Charger",
            "20000mAh Power Bank",
            "Braided USB-C Cable 2m",
            "Wireless Charging Pad",
            "Mechanical Keyboard",
            "Ergonomic Wireless Mouse",
            "Aluminium Laptop Stand",
            "1080p Webcam",
            "7-in-1 USB-C Hub",
            "Portable SSD 1TB",
            "Smart Plug 2-Pack",
            "Monitor Light Bar",
            "Phone Tripod Mount",
            "14-Inch Laptop Sleeve",
            "Bluetooth Tracker 4-Pack",
            "Surge Protector Power Strip",
        ],
        colors: NEUTRALS,
        colors_per_product: 1,
        size_option: "",
        sizes: &[],
        dollars: (12, 149),
        weight_grams: 200,
        max_per_order: 5,
        features: &[
            "a compact design that travels well",
            "broad compatibility with laptops, tablets and phones",
            "built-in protection against overheating and short circuits",
            "a two-year limited warranty",
        ],
        tags: &["electronics", "accessory", "gadget"],
        disclosure: None,
    },
    Family {
        category: "Home > Kitchen",
        noun: "",
        digital: false,
        brands: &["Hearthstone", "Copper & Oak", "Kitchenary"],
        models: &[
            "8-Inch Chef's Knife",
            "12-Inch Cast Iron Skillet",
            "Stoneware Coffee Mug",
            "Pour-Over Coffee Maker",
            "Gooseneck Electric Kettle",
            "Burr Coffee Grinder",
            "Nonstick Frying Pan",
            "End-Grain Cutting Board",
            "French Press 1L",
            "Enameled Dutch Oven",
            "Stainless Mixing Bowl Set",
            "Digital Kitchen Scale",
            "Silicone Baking Mat Set",
            "Chef's Apron",
            "Olive Wood Utensil Set",
            "Glass Food Storage Set",
            "Espresso Tamper",
            "Herb Keeper",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "",
        sizes: &[],
        dollars: (14, 189),
        weight_grams: 900,
        max_per_order: 6,
        features: &[
            "made to last for years of daily cooking",
            "easy to clean and dishwasher-friendly where it matters",
            "a balanced weight that feels good in the hand",
            "designed with professional cooks",
        ],
        tags: &["kitchen", "cooking", "home"],
        disclosure: None,
    },
    Family {
        category: "Home > Bedding & Decor",
        noun: "",
        digital: false,
        brands: &["Nestwell", "Linen House"],
        models: &[
            "Linen Duvet Cover",
            "Chunky Knit Throw Blanket",
            "Soy Wax Scented Candle",
            "Ceramic Table Lamp",
            "Percale Sheet Set",
            "Memory Foam Pillow",
            "Woven Wall Hanging",
            "Blackout Curtains",
            "Waffle Bath Towel Set",
            "Jute Area Rug",
        ],
        colors: &[
            ("White", "#f4f4f2"),
            ("Sage", "#9cae8f"),
            ("Terracotta", "#c1663f"),
            ("Grey", "#8a8f98"),
        ],
        colors_per_product: 2,
        size_option: "",
        sizes: &[],
        dollars: (19, 179),
        weight_grams: 1200,
        max_per_order: 6,
        features: &[
            "natural materials that get softer over time",
            "a calm, minimal look that suits any room",
            "responsibly made and shipped plastic-free",
        ],
        tags: &["home", "bedroom", "decor"],
        disclosure: None,
    },
    Family {
        category: "Outdoor > Camping",
        noun: "",
        digital: false,
        brands: &["Trailhawk", "Basecamp", "Ridgeline"],
        models: &[
            "2-Person Backpacking Tent",
            "4-Person Family Tent",
            "20°F Down Sleeping Bag",
            "Self-Inflating Sleeping Pad",
            "25L Hiking Daypack",
            "65L Trekking Backpack",
            "Insulated Water Bottle 32oz",
            "Rechargeable Headlamp",
            "Compact Camping Stove",
            "Carbon Trekking Poles",
            "Camp Chair",
            "Water Filter Straw",
            "Dry Bag 20L",
            "Hammock with Straps",
            "Camping Lantern",
            "Titanium Cook Set",
        ],
        colors: EARTH,
        colors_per_product: 1,
        size_option: "",
        sizes: &[],
        dollars: (15, 399),
        weight_grams: 1500,
        max_per_order: 4,
        features: &[
            "lightweight enough for long treks",
            "weather-tested in wind, rain and snow",
            "packs down small and sets up fast",
            "backed by a lifetime repair program",
        ],
        tags: &["camping", "outdoor", "hiking", "gear"],
        disclosure: None,
    },
    Family {
        category: "Sports > Fitness",
        noun: "",
        digital: false,
        brands: &["Corefit", "Velora"],
        models: &[
            "Non-Slip Yoga Mat",
            "Adjustable Dumbbells 25lb",
            "Resistance Bands Set",
            "High-Density Foam Roller",
            "Speed Jump Rope",
            "Kettlebell 16kg",
            "Pull-Up Bar",
            "Balance Ball",
            "Cork Yoga Block",
            "Fitness Tracker Watch",
            "Ab Roller Wheel",
            "Weighted Vest 20lb",
            "Gym Duffel Bag",
        ],
        colors: BRIGHTS,
        colors_per_product: 2,
        size_option: "",
        sizes: &[],
        dollars: (12, 249),
        weight_grams: 1800,
        max_per_order: 4,
        features: &[
            "built for home workouts and the gym alike",
            "durable, sweat-resistant materials",
            "a grippy texture for confident training",
        ],
        tags: &["fitness", "workout", "gym", "exercise"],
        disclosure: None,
    },
    Family {
        category: "Books > Fiction",
        noun: "",
        digital: false,
        brands: &["Meridian Press", "Quill & Lantern"],
        models: &[
            "The Lighthouse Keeper's Daughter",
            "A Map of Quiet Places",
            "The Salt Orchard",
            "Winter in Valparaíso",
            "The Glass Cartographer",
            "Nine Bridges Home",
            "The Clockmaker's Apprentice",
            "Under the Copper Moon",
            "The Last Ferry to Orkney",
            "Letters from the Dust Bowl",
            "The Orchid Thief of Kyoto",
            "Small Gods of Brooklyn",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "Format",
        sizes: &["Hardcover", "Paperback"],
        dollars: (14, 32),
        weight_grams: 500,
        max_per_order: 10,
        features: &[
            "a novel critics called impossible to put down",
            "a story of family, secrets and second chances",
            "from an award-winning author",
        ],
        tags: &["book", "novel", "fiction", "reading"],
        disclosure: None,
    },
    Family {
        category: "Books > Nonfiction",
        noun: "",
        digital: false,
        brands: &["Meridian Press", "Fieldnote Books"],
        models: &[
            "Sourdough at Home",
            "The Everyday Vegetable Cookbook",
            "Deep Work for Teams",
            "A Short History of the Sea",
            "The Budget Traveler's Handbook",
            "Trail Running from Zero",
            "Houseplants for Beginners",
            "The Art of the Small Garden",
            "Weeknight Pasta",
            "Maps That Changed the World",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "Format",
        sizes: &["Hardcover", "Paperback"],
        dollars: (16, 40),
        weight_grams: 650,
        max_per_order: 10,
        features: &[
            "practical, clear and beautifully illustrated",
            "written by a practitioner with decades of experience",
            "includes step-by-step guides and checklists",
        ],
        tags: &["book", "nonfiction", "guide", "reading"],
        disclosure: None,
    },
    Family {
        category: "Digital > E-books",
        noun: "(E-book)",
        digital: true,
        brands: &["Meridian Press", "Quill & Lantern", "Fieldnote Books"],
        models: &[
            "The Lighthouse Keeper's Daughter",
            "A Map of Quiet Places",
            "Sourdough at Home",
            "Deep Work for Teams",
            "The Glass Cartographer",
            "Houseplants for Beginners",
            "Rust for Busy Developers",
            "Designing Calm Software",
            "The Budget Traveler's Handbook",
            "Nine Bridges Home",
            "Trail Running from Zero",
            "Small Gods of Brooklyn",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "",
        sizes: &[],
        dollars: (4, 19),
        weight_grams: 0,
        max_per_order: 1,
        features: &[
            "delivered instantly by email as EPUB and PDF",
            "readable on any e-reader, tablet or phone",
            "DRM-free",
        ],
        tags: &["ebook", "digital", "download", "reading"],
        disclosure: Some(
            "Digital downloads are delivered by email and cannot be returned once downloaded.",
        ),
    },
    Family {
        category: "Digital > Audiobooks",
        noun: "(Audiobook)",
        digital: true,
        brands: &["Meridian Audio"],
        models: &[
            "The Salt Orchard",
            "Winter in Valparaíso",
            "The Clockmaker's Apprentice",
            "A Short History of the Sea",
            "Under the Copper Moon",
            "The Last Ferry to Orkney",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "",
        sizes: &[],
        dollars: (9, 29),
        weight_grams: 0,
        max_per_order: 1,
        features: &[
            "unabridged, read by the author",
            "MP3 download, yours to keep",
        ],
        tags: &["audiobook", "digital", "download", "listening"],
        disclosure: Some(
            "Digital downloads are delivered by email and cannot be returned once downloaded.",
        ),
    },
    Family {
        category: "Digital > Software",
        noun: "",
        digital: true,
        brands: &["Pixelforge", "Notable Apps"],
        models: &[
            "Photo Editor Pro License",
            "Budget Planner App",
            "Password Manager 1-Year Plan",
            "Video Editing Suite",
            "Language Learning Course",
            "Music Production Plugin Bundle",
            "Font Family License",
            "Stock Photo Pack",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "",
        sizes: &[],
        dollars: (9, 149),
        weight_grams: 0,
        max_per_order: 3,
        features: &[
            "license key delivered by email right after purchase",
            "works on Windows, macOS and Linux",
            "free updates for a year",
        ],
        tags: &["software", "digital", "license", "download"],
        disclosure: Some(
            "License keys are delivered by email and are non-refundable once activated.",
        ),
    },
    Family {
        category: "Digital > Gift Cards",
        noun: "",
        digital: true,
        brands: &["ACP Demo Outfitters"],
        models: &[
            "Digital Gift Card",
            "Outdoor Adventure Gift Card",
            "Birthday Gift Card",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "Amount",
        sizes: &["$25", "$50", "$100"],
        dollars: (25, 25),
        weight_grams: 0,
        max_per_order: 5,
        features: &[
            "emailed instantly with a personal message",
            "never expires and has no fees",
        ],
        tags: &["gift card", "gift", "digital"],
        disclosure: None,
    },
    Family {
        category: "Toys & Games > Board Games",
        noun: "",
        digital: false,
        brands: &["Meeple Works", "Brightbox"],
        models: &[
            "Harbor Traders Board Game",
            "Dungeon Delve Card Game",
            "Family Trivia Night",
            "1000-Piece Mountain Puzzle",
            "Cooperative Space Rescue Game",
            "Word Tiles Game",
            "Strategy Chess Set",
            "Kids Memory Match",
            "Tile Laying Garden Game",
            "Party Drawing Game",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "",
        sizes: &[],
        dollars: (14, 69),
        weight_grams: 1100,
        max_per_order: 5,
        features: &[
            "quick to learn and endlessly replayable",
            "for 2 to 6 players, ages 8 and up",
            "beautifully illustrated components",
        ],
        tags: &["game", "board game", "family", "toys"],
        disclosure: Some("Contains small parts. Not suitable for children under 3."),
    },
    Family {
        category: "Beauty > Skincare",
        noun: "",
        digital: false,
        brands: &["Fernleaf", "Glow Theory"],
        models: &[
            "Hydrating Face Moisturizer",
            "Mineral Sunscreen SPF 50",
            "Gentle Foaming Cleanser",
            "Vitamin C Serum",
            "Lip Balm Trio",
            "Body Lotion with Shea",
            "Exfoliating Scrub",
            "Night Repair Cream",
            "Hyaluronic Eye Cream",
            "Clay Face Mask",
        ],
        colors: &[],
        colors_per_product: 0,
        size_option: "Size",
        sizes: &["50 ml", "100 ml"],
        dollars: (9, 59),
        weight_grams: 180,
        max_per_order: 6,
        features: &[
            "fragrance-free and dermatologist tested",
            "vegan and cruelty-free",
            "suitable for sensitive skin",
        ],
        tags: &["skincare", "beauty", "self care"],
        disclosure: None,
    },
];

fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ï' => 'i',
            'ó' | 'ö' | 'ô' => 'o',
            'ú' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Dollars to cents ending in 99 (`59` -> `5899`), never below 99 cents.
fn price_cents(dollars: u64) -> i64 {
    i64::try_from(dollars.max(1) * 100 - 1).unwrap_or(i64::MAX)
}

/// The seed the committed demo catalog was generated with.
pub const DEMO_RNG_SEED: u64 = 20_260_417;

/// How many products `generate` makes for the demo: every model of every family once.
pub fn demo_size() -> usize {
    FAMILIES.iter().map(|f| f.models.len()).sum()
}

/// Generates `count` products. Up to [`demo_size`] they are the hand-written families; beyond
/// that, further "editions" of the same models are added (for load and search benchmarks).
pub fn generate(count: usize, seed: u64) -> SeedFile {
    let mut rng = Rng(seed);
    let mut gtin_serial: u64 = 0;
    let mut products = Vec::with_capacity(count);
    'outer: for edition in 0.. {
        for family in FAMILIES {
            for (i, model) in family.models.iter().enumerate() {
                if products.len() == count {
                    break 'outer;
                }
                products.push(make_product(
                    family,
                    i,
                    model,
                    edition,
                    &mut rng,
                    &mut gtin_serial,
                ));
            }
        }
    }
    SeedFile {
        currency: "usd".to_owned(),
        products,
    }
}

fn make_product(
    family: &Family,
    index: usize,
    model: &str,
    edition: usize,
    rng: &mut Rng,
    gtin_serial: &mut u64,
) -> Product {
    let brand = family.brands[index % family.brands.len()];
    let mut title = if family.noun.is_empty() {
        format!("{brand} {model}")
    } else {
        format!("{brand} {model} {}", family.noun)
    };
    if family.category.starts_with("Books")
        || family.category.starts_with("Digital > E-books")
        || family.category.starts_with("Digital > Audiobooks")
    {
        // Books are titled by their name, with the publisher as the brand.
        title = if family.noun.is_empty() {
            model.to_owned()
        } else {
            format!("{model} {}", family.noun)
        };
    }
    if edition > 0 {
        title = format!("{title} (Edition {})", edition + 1);
    }
    let id = slug(&title);

    let mut features: Vec<&str> = family.features.to_vec();
    // A stable shuffle so descriptions of one family do not all read the same.
    for i in (1..features.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        features.swap(i, j);
    }
    let description = format!(
        "The {title} from {brand}: {}. Features {}.",
        features[0],
        features[1..].join(", ")
    );

    let base = price_cents(rng.range(family.dollars.0, family.dollars.1));
    let on_sale = rng.chance(22);
    let sale_percent = rng.range(70, 85) as i64;

    let colors: Vec<(&str, &str)> = if family.colors.is_empty() {
        vec![("", "")]
    } else {
        let start = (rng.next() % family.colors.len() as u64) as usize;
        (0..family.colors_per_product.min(family.colors.len()))
            .map(|k| family.colors[(start + k * 3) % family.colors.len()])
            .collect()
    };
    let sizes: Vec<&str> = if family.sizes.is_empty() {
        vec![""]
    } else {
        family.sizes.to_vec()
    };

    let mut variants = Vec::new();
    for (color, hex) in &colors {
        for size in &sizes {
            let mut options = Vec::new();
            if !color.is_empty() {
                options.push(VariantOption {
                    name: "Color".into(),
                    value: (*color).to_owned(),
                });
            }
            if !size.is_empty() {
                options.push(VariantOption {
                    name: family.size_option.to_owned(),
                    value: (*size).to_owned(),
                });
            }
            let price = variant_price(family, base, size);
            let sale_price = on_sale
                .then(|| (price * sale_percent / 100 / 100) * 100 + 99)
                .filter(|s| *s < price);
            let stock = match rng.next() % 100 {
                0..=3 => 0,
                4..=8 => rng.range(1, 3),
                _ => rng.range(8, 150),
            };
            let suffix: Vec<&str> = [*color, *size]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let variant_title = if suffix.is_empty() {
                "Standard".to_owned()
            } else {
                suffix.join(" / ")
            };
            let variant_id = if suffix.is_empty() {
                id.clone()
            } else {
                slug(&format!("{id} {}", suffix.join(" ")))
            };
            *gtin_serial += 1;
            variants.push(Variant {
                sku: format!("{}-{:05}", sku_prefix(family.category), *gtin_serial),
                gtin: gtin13(*gtin_serial),
                id: variant_id,
                title: variant_title,
                price,
                sale_price,
                stock: u32::try_from(stock).unwrap_or(u32::MAX),
                options,
                weight_grams: (family.weight_grams > 0).then_some(family.weight_grams),
                swatch: (!hex.is_empty()).then(|| (*hex).to_owned()),
            });
        }
    }

    Product {
        id,
        title,
        description,
        brand: brand.to_owned(),
        category: family.category.to_owned(),
        tags: family.tags.iter().map(|t| (*t).to_owned()).collect(),
        digital: family.digital,
        max_quantity_per_order: family.max_per_order,
        disclosure: family.disclosure.map(str::to_owned),
        variants,
    }
}

/// Gift cards are priced by their amount; hardcovers cost more than paperbacks; larger sizes
/// of skincare cost more.
fn variant_price(family: &Family, base: i64, size: &str) -> i64 {
    match (family.size_option, size) {
        ("Amount", amount) => amount
            .trim_start_matches('$')
            .parse::<i64>()
            .map(|d| d * 100)
            .unwrap_or(base),
        ("Format", "Hardcover") => base + 800,
        ("Size", "100 ml") => base + 600,
        _ => base,
    }
}

fn sku_prefix(category: &str) -> String {
    category
        .split(" > ")
        .map(|part| part.chars().next().unwrap_or('X').to_ascii_uppercase())
        .collect()
}

/// GTIN-13 in the GS1 "20" prefix range, which is reserved for in-store numbering and so
/// can never collide with a real product's barcode.
fn gtin13(serial: u64) -> String {
    let body = format!("20{:010}", serial % 10_000_000_000);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    format!("{body}{}", gtin_check_digit(&digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::DEMO_SEED;

    #[test]
    fn is_deterministic() {
        assert_eq!(generate(50, 7), generate(50, 7));
        assert_ne!(generate(50, 7), generate(50, 8));
    }

    #[test]
    fn committed_demo_catalog_is_the_generator_output() {
        let generated = generate(demo_size(), DEMO_RNG_SEED);
        let committed = SeedFile::parse(DEMO_SEED).expect("valid");
        assert!(
            generated == committed,
            "catalog/demo.json is out of date: run `cargo run -p merchant -- catalog generate > merchant/catalog/demo.json`"
        );
    }

    #[test]
    fn large_catalogs_are_valid_and_unique() {
        let big = generate(3 * demo_size() + 5, 1);
        assert_eq!(big.products.len(), 3 * demo_size() + 5);
        big.validate().expect("valid");
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Stride Aero Runner  Running Shoes!"),
            "stride-aero-runner-running-shoes"
        );
        assert_eq!(slug("Winter in Valparaíso"), "winter-in-valparaiso");
    }
}
