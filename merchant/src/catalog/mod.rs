//! The catalog: products and their variants, as a workshop can replace them.
//!
//! The seed file (JSON, see `catalog/demo.json`) is the source; `seed` loads it into the
//! database, and the server keeps an in-memory index of it for pricing. Stock is not part of
//! the in-memory catalog: it lives only in the `inventory` table, where reservations are atomic.

pub mod generate;
pub mod images;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The catalog shipped with the demo, used when no seed file is configured.
pub const DEMO_SEED: &str = include_str!("../../catalog/demo.json");

/// A seed file: the currency all prices are in, and the products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// ISO 4217, lowercase.
    pub currency: String,
    pub products: Vec<Product>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable; the feed's `Product.id`.
    pub id: String,
    pub title: String,
    pub description: String,
    pub brand: String,
    /// `Top > Sub`, e.g. `Shoes > Running`.
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Delivered electronically: needs no address, ships by email.
    #[serde(default)]
    pub digital: bool,
    #[serde(default = "default_max_per_order")]
    pub max_quantity_per_order: u32,
    /// Shown to buyers as a disclaimer on the line item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<String>,
    pub variants: Vec<Variant>,
}

fn default_max_per_order() -> u32 {
    10
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Stable; the checkout `item.id` and the feed's `Variant.id`.
    pub id: String,
    pub title: String,
    pub sku: String,
    /// GTIN-13 with a valid check digit.
    pub gtin: String,
    /// List price in minor units.
    pub price: i64,
    /// Sale price in minor units, below `price` when the variant is on sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_price: Option<i64>,
    /// Units on hand when the catalog is first loaded.
    pub stock: u32,
    #[serde(default)]
    pub options: Vec<VariantOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_grams: Option<u32>,
    /// `#rrggbb` used for the generated product image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swatch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantOption {
    pub name: String,
    pub value: String,
}

impl Variant {
    /// What the buyer pays per unit.
    pub fn unit_price(&self) -> i64 {
        self.sale_price.unwrap_or(self.price)
    }
}

/// Why a seed file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the seed file is not valid JSON for the seed format: {0}")]
    Format(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

impl SeedFile {
    pub fn parse(text: &str) -> Result<Self, SeedError> {
        let seed: SeedFile = serde_json::from_str(text)?;
        seed.validate()?;
        Ok(seed)
    }

    /// Checks what the rest of the code relies on: unique ids, sane prices, valid GTINs.
    pub fn validate(&self) -> Result<(), SeedError> {
        let bad = |msg: String| Err(SeedError::Invalid(msg));
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return bad(format!(
                "currency {:?} must be a lowercase ISO 4217 code",
                self.currency
            ));
        }
        let mut products = HashSet::new();
        let mut variants = HashSet::new();
        for p in &self.products {
            if !valid_id(&p.id) || !products.insert(p.id.as_str()) {
                return bad(format!("product id {:?} is malformed or repeated", p.id));
            }
            if p.title.trim().is_empty() || p.variants.is_empty() {
                return bad(format!(
                    "product {} needs a title and at least one variant",
                    p.id
                ));
            }
            if p.max_quantity_per_order == 0 {
                return bad(format!(
                    "product {}: max_quantity_per_order must be positive",
                    p.id
                ));
            }
            for v in &p.variants {
                if !valid_id(&v.id) || !variants.insert(v.id.as_str()) {
                    return bad(format!("variant id {:?} is malformed or repeated", v.id));
                }
                if v.price <= 0 || v.sale_price.is_some_and(|s| s <= 0 || s >= v.price) {
                    return bad(format!(
                        "variant {}: price must be positive and a sale price below it",
                        v.id
                    ));
                }
                if !gtin_is_valid(&v.gtin) {
                    return bad(format!(
                        "variant {}: GTIN {} has a wrong check digit",
                        v.id, v.gtin
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Ids end up in URLs and JSONPaths: keep them to a safe alphabet.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// GTIN-8/12/13/14: the last digit is the mod-10 check digit with weights 3,1 from the right.
pub fn gtin_is_valid(gtin: &str) -> bool {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = gtin.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    gtin_check_digit(body) == check[0]
}

pub fn gtin_check_digit(body: &[u32]) -> u32 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}

/// The catalog indexed for lookups by variant id.
#[derive(Debug, Clone)]
pub struct Catalog {
    currency: String,
    products: Vec<Arc<Product>>,
    by_variant: HashMap<String, (Arc<Product>, usize)>,
    by_product: HashMap<String, Arc<Product>>,
}

/// A variant together with the product it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub product: &'a Product,
    pub variant: &'a Variant,
}

impl Catalog {
    pub fn new(currency: String, products: Vec<Product>) -> Self {
        let products: Vec<Arc<Product>> = products.into_iter().map(Arc::new).collect();
        let mut by_variant = HashMap::new();
        let by_product = products.iter().map(|p| (p.id.clone(), p.clone())).collect();
        for p in &products {
            for (i, v) in p.variants.iter().enumerate() {
                by_variant.insert(v.id.clone(), (p.clone(), i));
            }
        }
        Self {
            currency,
            products,
            by_variant,
            by_product,
        }
    }

    pub fn from_seed(seed: SeedFile) -> Self {
        Self::new(seed.currency, seed.products)
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    pub fn products(&self) -> &[Arc<Product>] {
        &self.products
    }

    pub fn variant(&self, id: &str) -> Option<Entry<'_>> {
        self.by_variant.get(id).map(|(p, i)| Entry {
            product: p,
            variant: &p.variants[*i],
        })
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.by_product.get(id).map(|p| &**p)
    }

    pub fn variant_count(&self) -> usize {
        self.by_variant.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_is_valid_and_large_enough() {
        let seed = SeedFile::parse(DEMO_SEED).expect("the shipped catalog is valid");
        assert!(
            seed.products.len() >= 200,
            "{} products",
            seed.products.len()
        );
        let categories: HashSet<_> = seed
            .products
            .iter()
            .map(|p| p.category.split(" > ").next().unwrap_or_default())
            .collect();
        assert!(categories.len() >= 6, "{categories:?}");
        assert!(seed.products.iter().any(|p| p.digital));
        assert!(seed.products.iter().any(|p| !p.digital));
        assert!(
            seed.products
                .iter()
                .flat_map(|p| &p.variants)
                .any(|v| v.sale_price.is_some())
        );
    }

    #[test]
    fn gtin_check_digits() {
        assert!(gtin_is_valid("4006381333931"));
        assert!(gtin_is_valid("036000291452"));
        assert!(!gtin_is_valid("4006381333932"));
        assert!(!gtin_is_valid("40063813339"));
    }

    #[test]
    fn rejects_duplicate_variant_ids_and_bad_sale_prices() {
        let mut seed = SeedFile::parse(DEMO_SEED).expect("valid");
        let dup = seed.products[0].variants[0].clone();
        seed.products[1].variants.push(dup);
        assert!(seed.validate().is_err());

        let mut seed = SeedFile::parse(DEMO_SEED).expect("valid");
        let v = &mut seed.products[0].variants[0];
        v.sale_price = Some(v.price);
        assert!(seed.validate().is_err());
    }
}
