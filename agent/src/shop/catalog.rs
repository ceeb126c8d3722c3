//! Finding and choosing: search, "the second one", "in blue, size 10", quantities, the cart.

use shared::v2026_04_17::feed::{Product, Variant};

use super::Shop;
use super::outcome::{OptionValue, Outcome, Shown, Understood};
use super::state::{Awaiting, CartLine, Focus};
use crate::error::Error;
use crate::search::{self, Hit};
use crate::store;

/// Which of the results the buyer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// "the second one", "#2" (1-based).
    Number(usize),
    Last,
    Cheapest,
    /// "the blue one", "the Northpeak ones", "the trail runner": words to match.
    Words(String),
}

/// The option names along which a product's variants differ, in the feed's order.
pub fn dimensions(p: &Product) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for v in &p.variants {
        for o in v.variant_options.iter().flatten() {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&o.name)) {
                names.push(o.name.clone());
            }
        }
    }
    names.retain(|n| {
        let mut values: Vec<&str> = p.variants.iter().filter_map(|v| v.option(n)).collect();
        values.sort_unstable();
        values.dedup();
        values.len() > 1
    });
    names
}

fn variant_available(v: &Variant) -> bool {
    v.availability
        .as_ref()
        .and_then(|a| a.available)
        .unwrap_or(true)
}

/// Spoken forms of catalog sizes.
fn size_synonyms(value: &str) -> &'static [&'static str] {
    match value.to_lowercase().as_str() {
        "xs" => &["extra small", "x-small", "xs"],
        "s" => &["small"],
        "m" => &["medium"],
        "l" => &["large"],
        "xl" => &["extra large", "x-large", "xl"],
        _ => &[],
    }
}

fn contains_phrase(tokens: &[String], phrase: &str) -> bool {
    let parts: Vec<String> = phrase
        .to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    !parts.is_empty() && tokens.windows(parts.len()).any(|w| w == parts.as_slice())
}

fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '!' | '?' | ';' | '(' | ')'))
        .map(|t| t.trim_end_matches('.').to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Option values of `p` that `text` names: `("Size", "10")`, `("Color", "Blue")`. A bare
/// one-letter size counts only when it is all that was said or follows "size".
pub fn options_named(text: &str, p: &Product) -> Vec<(String, String)> {
    let words = tokens(text);
    let mut found: Vec<(String, String)> = Vec::new();
    for dim in dimensions(p) {
        let mut values: Vec<&str> = p.variants.iter().filter_map(|v| v.option(&dim)).collect();
        values.sort_unstable();
        values.dedup();
        // Longer values first: "10.5" before "10", "Navy Blue" before "Blue".
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let is_size = dim.eq_ignore_ascii_case("size");
        let hit = values.into_iter().find(|value| {
            let v = value.to_lowercase();
            let short = v.chars().count() <= 2 && !v.chars().all(|c| c.is_ascii_digit());
            if short && is_size {
                let after_size = words
                    .windows(2)
                    .any(|w| matches!(w[0].as_str(), "size" | "sz") && w[1] == v);
                after_size
                    || words == [v.clone()]
                    || size_synonyms(&v).iter().any(|s| contains_phrase(&words, s))
            } else if is_size && v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                // "10" but not the 10 in "$100" or "10 of them".
                words.iter().enumerate().any(|(i, w)| {
                    w == &v
                        && !words.get(i + 1).is_some_and(|n| {
                            matches!(n.as_str(), "of" | "units" | "pairs" | "dollars")
                        })
                })
            } else {
                contains_phrase(&words, &v)
            }
        });
        if let Some(value) = hit {
            found.push((dim.clone(), value.to_owned()));
        }
    }
    found
}

impl Shop<'_> {
    /// Searches the feeds and shows the best few products.
    pub async fn search(&mut self, text: &str) -> Result<Outcome, Error> {
        let index = self.app.index.clone();
        let vocabulary = index.vocabulary();
        let q = search::understand(text, &vocabulary);
        let limit = self.app.conversation.results_shown;
        if q.is_empty() {
            return Ok(Outcome::NoResults {
                understood: Understood::from(&q),
            });
        }
        let query = q.clone();
        let hits: Vec<Hit> = crate::feeds::blocking(move || index.search(&query, limit)).await?;
        let relaxed =
            (!q.colors.is_empty() || !q.sizes.is_empty()) && hits.iter().any(|h| !satisfies(h, &q));
        let understood = Understood::from(&q);
        self.state.last_query = Some(q);
        if hits.is_empty() {
            return Ok(Outcome::NoResults { understood });
        }
        let results = hits
            .iter()
            .enumerate()
            .map(|(i, h)| Shown::new(i + 1, h))
            .collect();
        self.state.results = hits;
        self.state.awaiting = Awaiting::Choice;
        Ok(Outcome::Results {
            understood,
            results,
            relaxed,
        })
    }

    /// The full feed product behind a hit.
    async fn product(&self, hit: &Hit) -> Result<Option<Product>, Error> {
        Ok(
            store::feeds::products_by_id(&self.app.db.read, &hit.feed_id, &[&hit.product_id])
                .await?
                .into_iter()
                .next(),
        )
    }

    /// Chooses one of the results, and as much of its variant as `text` says.
    pub async fn choose(&mut self, pick: Pick, text: &str) -> Result<Outcome, Error> {
        let results = &self.state.results;
        if results.is_empty() {
            return Ok(Outcome::NotFound {
                what: "there are no results to choose from yet".into(),
            });
        }
        let hit = match &pick {
            Pick::Number(n) => results.get(n.saturating_sub(1)).cloned(),
            Pick::Last => results.last().cloned(),
            Pick::Cheapest => results
                .iter()
                .filter(|h| h.price.is_some())
                .min_by_key(|h| h.price)
                .cloned(),
            Pick::Words(words) => self.match_words(words).await?,
        };
        let Some(hit) = hit else {
            return Ok(Outcome::NotFound {
                what: match pick {
                    Pick::Number(n) => format!("there is no result number {n}"),
                    _ => "none of the results matches that".into(),
                },
            });
        };
        let Some(product) = self.product(&hit).await? else {
            return Ok(Outcome::NotFound {
                what: "that product is no longer in the catalog".into(),
            });
        };
        // What the search asked for (colour, size) carries over to the choice.
        let mut chosen: Vec<(String, String)> = Vec::new();
        if let Some(q) = &self.state.last_query {
            for (name, value) in &hit.options {
                let v = value.to_lowercase();
                if q.colors.contains(&v) || q.sizes.contains(&v) {
                    chosen.push((name.clone(), value.clone()));
                }
            }
        }
        for (name, value) in options_named(text, &product) {
            chosen.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            chosen.push((name, value));
        }
        let quantity = self
            .state
            .focus
            .as_ref()
            .filter(|f| f.hit.product_id == hit.product_id)
            .map_or(1, |f| f.quantity);
        self.state.focus = Some(Focus {
            hit,
            chosen,
            variant_id: None,
            variant_title: None,
            variant_price: None,
            quantity,
        });
        self.settle(&product)
    }

    /// Picks option values of the focused product from `text` ("size 10", "the black").
    pub async fn pick_options(&mut self, text: &str) -> Result<Outcome, Error> {
        let Some(focus) = self.state.focus.clone() else {
            return Ok(Outcome::NotFound {
                what: "no product is chosen yet".into(),
            });
        };
        let Some(product) = self.product(&focus.hit).await? else {
            return Ok(Outcome::NotFound {
                what: "that product is no longer in the catalog".into(),
            });
        };
        let named = options_named(text, &product);
        if named.is_empty() {
            return Ok(Outcome::NotFound {
                what: "that is not one of the options".into(),
            });
        }
        if let Some(f) = self.state.focus.as_mut() {
            for (name, value) in named {
                f.chosen.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                f.chosen.push((name, value));
            }
            f.variant_id = None;
        }
        self.settle(&product)
    }

    /// Settles the focused product's variant as far as the chosen options allow.
    fn settle(&mut self, product: &Product) -> Result<Outcome, Error> {
        let Some(focus) = self.state.focus.as_mut() else {
            return Ok(Outcome::NotFound {
                what: "no product is chosen yet".into(),
            });
        };
        let matches = |v: &Variant, chosen: &[(String, String)]| {
            chosen
                .iter()
                .all(|(n, val)| v.option(n).is_some_and(|x| x.eq_ignore_ascii_case(val)))
        };
        let dims = dimensions(product);
        let candidates: Vec<&Variant> = product
            .variants
            .iter()
            .filter(|v| matches(v, &focus.chosen))
            .collect();
        if candidates.is_empty() {
            // The combination does not exist: drop the oldest choice and say which exist.
            let last = focus.chosen.pop();
            let instead = last
                .as_ref()
                .map(|(n, _)| {
                    let mut vals: Vec<String> = product
                        .variants
                        .iter()
                        .filter(|v| matches(v, &focus.chosen) && variant_available(v))
                        .filter_map(|v| v.option(n).map(str::to_owned))
                        .collect();
                    vals.dedup();
                    vals
                })
                .unwrap_or_default();
            return Ok(Outcome::Unavailable {
                title: format!(
                    "{} ({})",
                    focus.hit.product_title,
                    last.map(|(_, v)| v).unwrap_or_default()
                ),
                instead,
            });
        }
        let open: Vec<&String> = dims
            .iter()
            .filter(|d| !focus.chosen.iter().any(|(n, _)| n.eq_ignore_ascii_case(d)))
            .collect();
        if let Some(dim) = open.first().filter(|_| candidates.len() > 1) {
            let mut values: Vec<OptionValue> = Vec::new();
            for v in &candidates {
                if let Some(val) = v.option(dim) {
                    match values.iter_mut().find(|x| x.value == val) {
                        Some(existing) => existing.available |= variant_available(v),
                        None => values.push(OptionValue {
                            value: val.to_owned(),
                            available: variant_available(v),
                            price: v.price.as_ref().map(|p| p.amount),
                        }),
                    }
                }
            }
            self.state.awaiting = Awaiting::Option {
                name: (*dim).clone(),
            };
            return Ok(Outcome::NeedsOption {
                product_title: focus.hit.product_title.clone(),
                option: (*dim).clone(),
                values,
            });
        }
        let v = candidates[0];
        if !variant_available(v) {
            let last_dim = focus.chosen.last().map(|(n, _)| n.clone());
            let instead = match &last_dim {
                Some(dim) => {
                    let others: Vec<(String, String)> = focus
                        .chosen
                        .iter()
                        .filter(|(n, _)| n != dim)
                        .cloned()
                        .collect();
                    let mut vals: Vec<String> = product
                        .variants
                        .iter()
                        .filter(|x| matches(x, &others) && variant_available(x))
                        .filter_map(|x| x.option(dim).map(str::to_owned))
                        .collect();
                    vals.dedup();
                    vals
                }
                None => Vec::new(),
            };
            focus.chosen.pop();
            return Ok(Outcome::Unavailable {
                title: v.title.clone(),
                instead,
            });
        }
        focus.variant_id = Some(v.id.clone());
        focus.variant_title = Some(v.title.clone());
        focus.variant_price = v.price.as_ref().map(|p| p.amount);
        self.state.awaiting = Awaiting::Nothing;
        Ok(Outcome::Chosen {
            title: v.title.clone(),
            variant_id: v.id.clone(),
            price: v.price.as_ref().map(|p| p.amount),
            available: true,
            quantity: focus.quantity,
        })
    }

    /// Results that `words` describe: by colour or other option (of any variant), brand or
    /// title words. The first such result, with the option taken as chosen.
    async fn match_words(&self, words: &str) -> Result<Option<Hit>, Error> {
        let toks = tokens(words);
        let mut best: Option<(usize, &Hit)> = None;
        for hit in &self.state.results {
            let mut score = 0;
            if hit
                .brand
                .as_ref()
                .is_some_and(|b| contains_phrase(&toks, b))
            {
                score += 3;
            }
            let title = tokens(&hit.product_title);
            score += toks
                .iter()
                .filter(|t| t.len() > 2 && title.contains(t))
                .count();
            if hit.options.iter().any(|(_, v)| contains_phrase(&toks, v)) {
                score += 2;
            }
            if score > best.map_or(0, |(s, _)| s) {
                best = Some((score, hit));
            }
        }
        if let Some((_, hit)) = best {
            return Ok(Some(hit.clone()));
        }
        // Maybe an option of a variant not shown: "the blue one" when black was shown.
        for hit in &self.state.results {
            if let Some(p) = self.product(hit).await?
                && !options_named(words, &p).is_empty()
            {
                return Ok(Some(hit.clone()));
            }
        }
        Ok(None)
    }

    /// Sets how many of the focused item (and updates the checkout, if one is open).
    pub async fn set_quantity(&mut self, quantity: u32) -> Result<Outcome, Error> {
        if quantity == 0 {
            return self.cancel(Some("The buyer asked for none.")).await;
        }
        let Some(focus) = self.state.focus.as_mut() else {
            return Ok(Outcome::NotFound {
                what: "nothing is chosen yet".into(),
            });
        };
        focus.quantity = quantity;
        let title = focus
            .variant_title
            .clone()
            .unwrap_or_else(|| focus.hit.product_title.clone());
        let variant = focus.variant_id.clone();
        if let Some(line) = self
            .state
            .cart
            .iter_mut()
            .find(|l| Some(&l.variant_id) == variant.as_ref())
        {
            line.quantity = quantity;
            if self.has_open_checkout() {
                return self.sync_checkout().await;
            }
        }
        Ok(Outcome::Quantity { title, quantity })
    }

    /// Puts the focused variant in the cart: next to what is there (`add`), or instead of it.
    pub fn cart_focus(&mut self, add: bool) -> Option<Outcome> {
        let Some(focus) = self.state.focus.clone() else {
            return if self.state.cart.is_empty() {
                Some(Outcome::Problem {
                    message: "Nothing is chosen yet: tell me what you are looking for.".into(),
                })
            } else {
                None
            };
        };
        let Some(variant_id) = focus.variant_id.clone() else {
            return Some(Outcome::Problem {
                message: format!(
                    "Which {} of the {}?",
                    match &self.state.awaiting {
                        Awaiting::Option { name } => name.to_lowercase(),
                        _ => "one".into(),
                    },
                    focus.hit.product_title
                ),
            });
        };
        if let Some(line) = self
            .state
            .cart
            .iter_mut()
            .find(|l| l.variant_id == variant_id)
        {
            line.quantity = focus.quantity;
            return None;
        }
        if let Some(first) = self.state.cart.first()
            && add
            && first.merchant_id != focus.hit.merchant_id
        {
            return Some(Outcome::Problem {
                message: "That comes from another shop: one checkout holds one shop's items."
                    .into(),
            });
        }
        if !add {
            self.state.cart.clear();
        }
        self.state.cart.push(CartLine {
            merchant_id: focus.hit.merchant_id.clone(),
            variant_id,
            title: focus
                .variant_title
                .clone()
                .unwrap_or_else(|| focus.hit.title.clone()),
            quantity: focus.quantity,
            feed_price: focus.variant_price.or(focus.hit.price),
        });
        None
    }
}

/// Whether a hit has the colour and size the query asked for.
fn satisfies(h: &Hit, q: &search::ShopperQuery) -> bool {
    let has = |wanted: &[String], names: &[&str]| {
        wanted.is_empty()
            || h.options.iter().any(|(n, v)| {
                names.iter().any(|x| n.eq_ignore_ascii_case(x))
                    && wanted.contains(&v.to_lowercase())
            })
    };
    has(&q.colors, &["color", "colour"]) && has(&q.sizes, &["size"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::v2026_04_17::feed::VariantOption;

    fn product() -> Product {
        let variant = |id: &str, color: &str, size: &str, available: bool| {
            let mut v = Variant::new(id, format!("{color} / {size}"));
            v.variant_options = Some(vec![
                VariantOption {
                    name: "Color".into(),
                    value: color.into(),
                },
                VariantOption {
                    name: "Size".into(),
                    value: size.into(),
                },
            ]);
            v.availability = Some(shared::v2026_04_17::feed::Availability {
                available: Some(available),
                status: None,
            });
            v
        };
        Product {
            id: "shoe".into(),
            title: Some("Trail Shoe".into()),
            description: None,
            url: None,
            media: None,
            variants: vec![
                variant("shoe-black-10", "Black", "10", true),
                variant("shoe-black-10.5", "Black", "10.5", true),
                variant("shoe-navy-blue-10", "Navy Blue", "10", false),
            ],
        }
    }

    #[test]
    fn dimensions_are_the_options_that_vary() {
        assert_eq!(dimensions(&product()), ["Color", "Size"]);
    }

    #[test]
    fn option_values_are_found_in_what_was_said() {
        let p = product();
        assert_eq!(
            options_named("size 10", &p),
            [("Size".to_owned(), "10".to_owned())]
        );
        assert_eq!(
            options_named("10.5 please", &p),
            [("Size".to_owned(), "10.5".to_owned())]
        );
        assert_eq!(
            options_named("the navy blue one", &p),
            [("Color".to_owned(), "Navy Blue".to_owned())]
        );
        assert!(options_named("10 of them", &p).is_empty());
        assert!(options_named("under $100", &p).is_empty());
    }

    #[test]
    fn letter_sizes_need_context() {
        let mut p = product();
        for (v, size) in p.variants.iter_mut().zip(["S", "M", "L"]) {
            if let Some(opts) = v.variant_options.as_mut() {
                opts[1].value = size.into();
            }
        }
        assert_eq!(
            options_named("medium", &p),
            [("Size".to_owned(), "M".to_owned())]
        );
        assert_eq!(
            options_named("size s", &p),
            [("Size".to_owned(), "S".to_owned())]
        );
        assert_eq!(
            options_named("m", &p),
            [("Size".to_owned(), "M".to_owned())]
        );
        assert!(
            options_named("a large black coat", &p)
                .iter()
                .any(|(n, _)| n == "Size")
        );
        assert!(
            !options_named("i'm fine", &p)
                .iter()
                .any(|(n, _)| n == "Size")
        );
    }
}
