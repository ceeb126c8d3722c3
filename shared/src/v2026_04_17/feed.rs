//! The Product Feed API (`openapi.feed.yaml`, `schema.feed.json`, NOTES §14.1). It is hosted by
//! the **agent**: merchants create a feed there and push their products to it; agents never call
//! it on a merchant. Feed prices and availability are discovery-time signals only: checkout stays
//! authoritative.
//!
//! Kept in its own module (not re-exported by `v2026_04_17::*`) because its `Link`, `Media` and
//! `VariantOption` differ from the checkout API's types of the same names.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

/// Structured text; at least one form must be present (`minProperties: 1`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    pub plain: Option<String>,
    /// Untrusted: agents must sanitise it before rendering.
    pub html: Option<String>,
    /// Untrusted: agents must sanitise it before rendering.
    pub markdown: Option<String>,
}

impl Description {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            plain: Some(text.into()),
            ..Self::default()
        }
    }
}

/// Minor units and an **uppercase** ISO 4217 code (unlike checkout's lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub amount: i64,
    pub currency: String,
}

open_enum! {
    /// `Availability.status`: extensible, so an unknown value is kept, not refused.
    pub enum AvailabilityStatus {
        InStock => "in_stock",
        LimitedStock => "limited_stock",
        Backorder => "backorder",
        Preorder => "preorder",
        OutOfStock => "out_of_stock",
        Discontinued => "discontinued",
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    pub available: Option<bool>,
    pub status: Option<AvailabilityStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Barcode {
    /// GTIN, UPC, EAN, …
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// image, video, model, …
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub alt_text: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantOption {
    pub name: String,
    pub value: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// A label or a path such as `Mens > Sweaters > Crewnecks`.
    pub value: String,
    /// google_product_category, shopify, merchant, …
    pub taxonomy: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Extensible: privacy_policy, terms_of_service, refund_policy, shipping_policy, faq, …
    #[serde(rename = "type")]
    pub kind: String,
    pub title: Option<String>,
    pub url: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    pub name: Option<String>,
    pub links: Option<Vec<Link>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub value: f64,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceMeasure {
    pub value: i64,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitPrice {
    pub amount: i64,
    pub currency: String,
    pub measure: Measure,
    pub reference: ReferenceMeasure,
}

/// The purchasable unit; its `id` is what checkout takes as `item.id`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: String,
    pub title: String,
    pub description: Option<Description>,
    pub url: Option<String>,
    pub barcodes: Option<Vec<Barcode>>,
    /// The active selling price.
    pub price: Option<Price>,
    /// The reference price before a discount.
    pub list_price: Option<Price>,
    pub unit_price: Option<UnitPrice>,
    pub availability: Option<Availability>,
    pub categories: Option<Vec<Category>>,
    pub condition: Option<Vec<String>>,
    pub variant_options: Option<Vec<VariantOption>>,
    /// The first is the primary listing image.
    pub media: Option<Vec<Media>>,
    pub seller: Option<Seller>,
    pub marketplace: Option<Seller>,
}

impl Variant {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: None,
            url: None,
            barcodes: None,
            price: None,
            list_price: None,
            unit_price: None,
            availability: None,
            categories: None,
            condition: None,
            variant_options: None,
            media: None,
            seller: None,
            marketplace: None,
        }
    }

    /// The value of the option called `name` (case-insensitive), e.g. `Color`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.variant_options
            .iter()
            .flatten()
            .find(|o| o.name.eq_ignore_ascii_case(name))
            .map(|o| o.value.as_str())
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<Description>,
    pub url: Option<String>,
    pub media: Option<Vec<Media>>,
    pub variants: Vec<Variant>,
}

/// Server-managed metadata of a feed (also the whole of a file drop's `metadata.json`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedMetadata {
    pub id: String,
    /// ISO 3166-1 alpha-2.
    pub target_country: Option<String>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /feeds`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateFeedRequest {
    pub target_country: Option<String>,
}

/// `GET /feeds/{id}/products`: the whole current product set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductsResponse {
    pub products: Vec<Product>,
}

/// `PATCH /feeds/{id}/products`: upserts by `Product.id`; products left out stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertProductsRequest {
    pub products: Vec<Product>,
}

/// The `PATCH` answer. Only the OpenAPI document defines it (the JSON Schema bundle has no
/// `UpsertProductsResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertProductsResponse {
    pub id: String,
    pub accepted: bool,
}

/// A field of a product that breaks a rule the schema states beyond its types, as a JSONPath
/// relative to the product and a message.
pub type Problem = (String, String);

fn currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// `^[A-Z]{2}$`.
pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// What `format: uri` asks for, as far as this API needs: an absolute URL with a scheme.
fn is_uri(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            && !rest.is_empty()
            && !s.chars().any(char::is_whitespace)
    })
}

impl Product {
    /// The rules serde cannot check: patterns, minimums, `minProperties` and URI formats.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.id.is_empty() {
            out.push(("$.id".into(), "id must not be empty".into()));
        }
        check_description(&mut out, "$.description", self.description.as_ref());
        check_url(&mut out, "$.url", self.url.as_deref());
        check_media(&mut out, "$.media", self.media.as_deref());
        for (i, v) in self.variants.iter().enumerate() {
            let at = format!("$.variants[{i}]");
            if v.id.is_empty() {
                out.push((format!("{at}.id"), "id must not be empty".into()));
            }
            check_description(
                &mut out,
                &format!("{at}.description"),
                v.description.as_ref(),
            );
            check_url(&mut out, &format!("{at}.url"), v.url.as_deref());
            for (name, price) in [("price", &v.price), ("list_price", &v.list_price)] {
                if let Some(p) = price {
                    check_money(&mut out, &format!("{at}.{name}"), p.amount, &p.currency);
                }
            }
            if let Some(u) = &v.unit_price {
                check_money(&mut out, &format!("{at}.unit_price"), u.amount, &u.currency);
            }
            check_media(&mut out, &format!("{at}.media"), v.media.as_deref());
            for (name, seller) in [("seller", &v.seller), ("marketplace", &v.marketplace)] {
                for (j, link) in seller
                    .iter()
                    .flat_map(|s| s.links.iter().flatten())
                    .enumerate()
                {
                    check_url(
                        &mut out,
                        &format!("{at}.{name}.links[{j}].url"),
                        Some(&link.url),
                    );
                }
            }
        }
        out
    }
}

fn check_description(out: &mut Vec<Problem>, at: &str, d: Option<&Description>) {
    if let Some(d) = d
        && d.plain.is_none()
        && d.html.is_none()
        && d.markdown.is_none()
    {
        out.push((
            at.to_owned(),
            "a description needs plain, html or markdown".into(),
        ));
    }
}

fn check_url(out: &mut Vec<Problem>, at: &str, url: Option<&str>) {
    if let Some(u) = url
        && !is_uri(u)
    {
        out.push((at.to_owned(), "must be an absolute URI".into()));
    }
}

fn check_money(out: &mut Vec<Problem>, at: &str, amount: i64, currency: &str) {
    if amount < 0 {
        out.push((
            format!("{at}.amount"),
            "amounts are minor units, at least 0".into(),
        ));
    }
    if !currency_code(currency) {
        out.push((
            format!("{at}.currency"),
            "currency must be an uppercase ISO 4217 code".into(),
        ));
    }
}

fn check_media(out: &mut Vec<Problem>, at: &str, media: Option<&[Media]>) {
    for (i, m) in media.into_iter().flatten().enumerate() {
        check_url(out, &format!("{at}[{i}].url"), Some(&m.url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> Product {
        let mut v = Variant::new("tee-red-m", "Red / M");
        v.price = Some(Price {
            amount: 1999,
            currency: "USD".into(),
        });
        v.variant_options = Some(vec![VariantOption {
            name: "Color".into(),
            value: "Red".into(),
        }]);
        Product {
            id: "tee".into(),
            title: Some("Tee".into()),
            description: Some(Description::plain("A tee.")),
            url: Some("https://shop.example/products/tee".into()),
            media: None,
            variants: vec![v],
        }
    }

    #[test]
    fn a_valid_product_has_no_problems() {
        assert!(product().problems().is_empty());
        assert_eq!(product().variants[0].option("color"), Some("Red"));
    }

    #[test]
    fn problems_are_named_by_jsonpath() {
        let mut p = product();
        p.description = Some(Description::default());
        p.url = Some("not a url".into());
        p.variants[0].price = Some(Price {
            amount: -1,
            currency: "usd".into(),
        });
        let paths: Vec<String> = p.problems().into_iter().map(|(at, _)| at).collect();
        assert_eq!(
            paths,
            [
                "$.description",
                "$.url",
                "$.variants[0].price.amount",
                "$.variants[0].price.currency"
            ]
        );
    }

    #[test]
    fn country_codes_and_uris() {
        assert!(is_country_code("US"));
        assert!(!is_country_code("us"));
        assert!(!is_country_code("USA"));
        assert!(is_uri("http://localhost:4001/images/x.svg"));
        assert!(!is_uri("/images/x.svg"));
        assert!(!is_uri("http://a b"));
    }
}
