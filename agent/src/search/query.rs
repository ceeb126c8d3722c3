//! What a shopper's words ask for: the words to match, and the constraints said in passing
//! ("under $50", "in stock", "blue", "size 10", a brand name).
//!
//! Constraints are taken out of the text so they filter instead of matching words: "blue" must
//! not rank a blue-covered book above a blue jacket when someone asked for "blue jackets".
//! Colours, sizes and brands are recognised against the vocabulary of the index (what the
//! feeds actually contain), so a new brand needs no code change.

use std::collections::BTreeSet;

/// The words of an index that mean a constraint rather than a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Brand names, lowercase, possibly several words ("meridian press").
    pub brands: BTreeSet<String>,
    /// Colour option values, lowercase.
    pub colors: BTreeSet<String>,
    /// Size option values, lowercase.
    pub sizes: BTreeSet<String>,
}

/// A search as understood. Prices are in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShopperQuery {
    /// Words to match in titles, brands, categories, options and descriptions (lowercase).
    pub terms: Vec<String>,
    pub max_price: Option<i64>,
    pub min_price: Option<i64>,
    pub in_stock: bool,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    pub brands: Vec<String>,
}

impl ShopperQuery {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.max_price.is_none()
            && self.min_price.is_none()
            && self.colors.is_empty()
            && self.sizes.is_empty()
            && self.brands.is_empty()
    }
}

/// Words that carry no product meaning in a shopping request.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "im",
    "i'm",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "need",
    "needs",
    "want",
    "wants",
    "would",
    "like",
    "love",
    "looking",
    "look",
    "search",
    "searching",
    "find",
    "show",
    "get",
    "buy",
    "some",
    "something",
    "any",
    "anything",
    "for",
    "of",
    "to",
    "with",
    "and",
    "or",
    "in",
    "on",
    "that",
    "which",
    "is",
    "are",
    "be",
    "please",
    "can",
    "could",
    "do",
    "does",
    "have",
    "has",
    "got",
    "new",
    "pair",
    "pairs",
    "one",
    "ones",
    "good",
    "nice",
    "great",
    "best",
    "cheap",
    "what",
    "there",
    "it",
    "its",
    "this",
    "these",
    "those",
    "also",
    "just",
    "really",
    "very",
    "about",
    "around",
    "from",
    "at",
    "by",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "available",
    "stock",
    "price",
    "priced",
    "cost",
    "costs",
    "dollars",
    "dollar",
    "usd",
    "bucks",
    "size",
    "sized",
    "color",
    "colour",
    "coloured",
    "colored",
];

/// Words that introduce an upper price bound.
const BELOW: &[&str] = &[
    "under", "below", "beneath", "max", "maximum", "upto", "within", "less", "cheaper", "lower",
];
/// Words that introduce a lower price bound.
const ABOVE: &[&str] = &[
    "over", "above", "more", "min", "minimum", "least", "pricier", "higher",
];

/// Clothing sizes as shoppers say them, and how catalogs write them.
const SIZE_WORDS: &[(&str, &str)] = &[
    ("extra small", "xs"),
    ("x-small", "xs"),
    ("small", "s"),
    ("medium", "m"),
    ("large", "l"),
    ("extra large", "xl"),
    ("x-large", "xl"),
];

/// A dollar amount in minor units: `$50`, `50`, `49.99`, `50$`, `50 dollars`.
pub fn parse_money(word: &str) -> Option<i64> {
    let w = word
        .trim_start_matches('$')
        .trim_end_matches('$')
        .trim_end_matches(['.', ',', '!', '?']);
    let w = w.strip_suffix("usd").unwrap_or(w);
    if w.is_empty()
        || !w
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let w = w.replace(',', "");
    let (whole, cents) = match w.split_once('.') {
        Some((a, b)) if b.len() <= 2 && !b.is_empty() => (a, format!("{b:0<2}")),
        Some((a, "")) => (a, "00".into()),
        Some(_) => return None,
        None => (w.as_str(), "00".into()),
    };
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = cents.parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// Lowercase words, with punctuation that cannot be part of a price or a size removed.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['“', '”', '"', '(', ')', '!', '?', ';', ':'], " ")
        .replace(" - ", " ")
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| c == ',' || c == '.' && !w.contains('$'))
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Removes the longest phrases of `names` (several words each) from `words`, returning them.
fn take_phrases(words: &mut Vec<String>, names: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut matched = None;
        for len in (1..=4.min(words.len() - i)).rev() {
            let phrase = words[i..i + len].join(" ");
            let phrase = phrase.trim_end_matches("'s").to_owned();
            if names.contains(&phrase) {
                matched = Some((len, phrase));
                break;
            }
        }
        match matched {
            Some((len, phrase)) => {
                words.drain(i..i + len);
                if !found.contains(&phrase) {
                    found.push(phrase);
                }
            }
            None => i += 1,
        }
    }
    found
}

/// Understands `text` against `vocab`.
pub fn understand(text: &str, vocab: &Vocabulary) -> ShopperQuery {
    let mut q = ShopperQuery::default();
    let mut w = words(text);

    // Prices: "under $50", "less than 50 dollars", "$20-$50", "between 20 and 50", "$50 or less".
    let mut i = 0;
    while i < w.len() {
        let word = w[i].clone();
        if let Some((lo, hi)) = word.split_once('-')
            && let (Some(lo), Some(hi)) = (parse_money(lo), parse_money(hi))
            && (word.contains('$') || i > 0 && matches!(w[i - 1].as_str(), "from" | "between"))
        {
            q.min_price = Some(lo.min(hi));
            q.max_price = Some(lo.max(hi));
            w.remove(i);
            continue;
        }
        if word == "between"
            && i + 3 < w.len()
            && matches!(w[i + 2].as_str(), "and" | "to")
            && let (Some(lo), Some(hi)) = (parse_money(&w[i + 1]), parse_money(&w[i + 3]))
        {
            q.min_price = Some(lo.min(hi));
            q.max_price = Some(lo.max(hi));
            w.drain(i..i + 4);
            continue;
        }
        let below = BELOW.contains(&word.as_str())
            || word == "up" && w.get(i + 1).is_some_and(|n| n == "to");
        let above = ABOVE.contains(&word.as_str())
            || word == "at" && w.get(i + 1).is_some_and(|n| n == "least");
        if below || above {
            // The amount is the next word that is one, skipping "than", "to", "of", "least".
            let mut j = i + 1;
            while j < w.len() && matches!(w[j].as_str(), "than" | "to" | "of" | "least" | "about") {
                j += 1;
            }
            if let Some(amount) = w.get(j).and_then(|a| parse_money(a)) {
                if below {
                    q.max_price = Some(amount);
                } else {
                    q.min_price = Some(amount);
                }
                let mut end = j + 1;
                if w.get(end)
                    .is_some_and(|n| matches!(n.as_str(), "dollars" | "dollar" | "bucks" | "usd"))
                {
                    end += 1;
                }
                w.drain(i..end);
                continue;
            }
        }
        if let Some(amount) =
            parse_money(&word).filter(|_| word.starts_with('$') || word.ends_with('$'))
            && let Some(next) = w.get(i + 1).cloned()
            && matches!(next.as_str(), "or" | "and")
            && w.get(i + 2)
                .is_some_and(|n| matches!(n.as_str(), "less" | "under" | "below" | "cheaper"))
        {
            q.max_price = Some(amount);
            w.drain(i..i + 3);
            continue;
        }
        i += 1;
    }

    // "in stock", "available now".
    for phrase in [["in", "stock"], ["available", "now"]] {
        if let Some(at) = w.windows(2).position(|p| p == phrase) {
            q.in_stock = true;
            w.drain(at..at + 2);
        }
    }
    if w.iter().any(|x| x == "available" || x == "instock") {
        q.in_stock = true;
    }

    // Sizes: "size 10", "size m", "in medium", "a large"; and bare "xl".
    let mut i = 0;
    while i < w.len() {
        if matches!(w[i].as_str(), "size" | "sz") && i + 1 < w.len() {
            let value = normalise_size(&w[i + 1..]);
            if let Some((value, used)) = value {
                q.sizes.push(value);
                w.drain(i..i + 1 + used);
                continue;
            }
        }
        i += 1;
    }
    for (said, written) in SIZE_WORDS {
        let parts: Vec<&str> = said.split(' ').collect();
        if let Some(at) = w.windows(parts.len()).position(|p| p.iter().zip(&parts).all(|(a, b)| a == b))
            && vocab.sizes.contains(*written)
            // "small" in "small gods" is a title word; only "in a small", "a medium" etc. are sizes.
            && at > 0
            && matches!(w[at - 1].as_str(), "in" | "a" | "size")
        {
            q.sizes.push((*written).to_owned());
            w.drain(at - 1..at + parts.len());
        }
    }

    q.brands = take_phrases(&mut w, &vocab.brands);
    q.colors = take_phrases(&mut w, &vocab.colors);

    q.terms = w
        .into_iter()
        .map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric() && c != '&')
                .trim_end_matches("'s")
                .to_owned()
        })
        .filter(|t| !t.is_empty() && !STOP_WORDS.contains(&t.as_str()))
        .collect();
    q
}

/// Other words a shopper's word may mean in a catalog ("sneakers" are running shoes here).
pub fn synonyms(word: &str) -> &'static [&'static str] {
    match word {
        "sneaker" | "sneakers" | "trainers" | "runners" => &["running", "shoes"],
        "people" | "persons" => &["person"],
        "tee" | "tees" | "tshirt" | "tshirts" => &["t-shirt", "tee"],
        "earphones" | "earbud" => &["earbuds"],
        "headset" => &["headphones"],
        "jumper" | "pullover" => &["sweater", "pullover"],
        "hoodie" | "hoody" => &["hoodie", "sweatshirt"],
        "rucksack" | "bag" => &["backpack", "daypack"],
        "coat" | "coats" => &["jacket", "parka"],
        "ebook" | "ebooks" => &["e-book"],
        "audiobooks" | "audio" => &["audiobook"],
        "mug" | "cup" => &["mug"],
        "pan" | "skillet" => &["pan", "skillet"],
        "sofa" | "couch" => &["throw", "blanket"],
        "record" | "records" => &["turntable", "vinyl"],
        "game" | "games" => &["game"],
        _ => &[],
    }
}

/// The size after "size": `10`, `10.5`, `m`, `medium`, `extra large`, `50 ml`. Returns the
/// catalog's spelling and how many words it used.
fn normalise_size(rest: &[String]) -> Option<(String, usize)> {
    let first = rest.first()?;
    if rest.len() > 1 && matches!(rest[1].as_str(), "ml" | "g" | "oz") {
        return Some((format!("{first} {}", rest[1]), 2));
    }
    for (said, written) in SIZE_WORDS {
        let parts: Vec<&str> = said.split(' ').collect();
        if rest.len() >= parts.len() && rest.iter().zip(&parts).all(|(a, b)| a == b) {
            return Some(((*written).to_owned(), parts.len()));
        }
    }
    let plain = first.trim_end_matches(['.', ',']);
    let sizeish = plain.len() <= 4
        && plain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.');
    sizeish.then(|| (plain.to_owned(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary {
            brands: ["northpeak", "meridian press", "quill & lantern", "stride"]
                .map(String::from)
                .into(),
            colors: ["blue", "black", "red", "navy", "white"]
                .map(String::from)
                .into(),
            sizes: ["8", "9", "10", "10.5", "s", "m", "l", "xl", "50 ml"]
                .map(String::from)
                .into(),
        }
    }

    fn q(text: &str) -> ShopperQuery {
        understand(text, &vocab())
    }

    #[test]
    fn money() {
        assert_eq!(parse_money("$50"), Some(5000));
        assert_eq!(parse_money("49.99"), Some(4999));
        assert_eq!(parse_money("$1,200"), Some(120_000));
        assert_eq!(parse_money("5.5"), Some(550));
        assert_eq!(parse_money("50$"), Some(5000));
        assert_eq!(parse_money("fifty"), None);
        assert_eq!(parse_money("1.234"), None);
    }

    #[test]
    fn price_bounds_in_the_ways_people_say_them() {
        let cases: &[(&str, Option<i64>, Option<i64>)] = &[
            ("running shoes under $100", None, Some(10_000)),
            ("running shoes under 100", None, Some(10_000)),
            ("a jacket less than 80 dollars", None, Some(8_000)),
            ("headphones cheaper than $200", None, Some(20_000)),
            ("books up to $25", None, Some(2_500)),
            ("tent over $150", Some(15_000), None),
            ("boots at least $100", Some(10_000), None),
            ("mugs between $10 and $20", Some(1_000), Some(2_000)),
            ("mugs $10-$20", Some(1_000), Some(2_000)),
            ("a lamp $40 or less", None, Some(4_000)),
        ];
        for (text, min, max) in cases {
            let got = q(text);
            assert_eq!((got.min_price, got.max_price), (*min, *max), "{text}");
            assert!(
                got.terms.iter().all(|t| parse_money(t).is_none()),
                "{text}: {:?}",
                got.terms
            );
        }
        assert_eq!(q("running shoes under $100").terms, ["running", "shoes"]);
        // A number that is not a price is a word of the product's name.
        assert_eq!(q("2 person tent").terms, ["2", "person", "tent"]);
    }

    #[test]
    fn stock_colour_size_and_brand_become_filters() {
        let got = q("I need blue Northpeak running shoes in stock, size 10");
        assert!(got.in_stock);
        assert_eq!(got.colors, ["blue"]);
        assert_eq!(got.sizes, ["10"]);
        assert_eq!(got.brands, ["northpeak"]);
        assert_eq!(got.terms, ["running", "shoes"]);

        let got = q("a fleece jacket in a medium");
        assert_eq!(got.sizes, ["m"]);
        assert_eq!(got.terms, ["fleece", "jacket"]);
        assert_eq!(q("tee size extra large").sizes, ["xl"]);
        assert_eq!(q("face cream size 50 ml").sizes, ["50 ml"]);
    }

    #[test]
    fn multi_word_brands_and_title_words_that_look_like_sizes() {
        let got = q("novels by Quill & Lantern");
        assert_eq!(got.brands, ["quill & lantern"]);
        assert_eq!(got.terms, ["novels"]);
        let got = q("meridian press's cookbooks");
        assert_eq!(got.brands, ["meridian press"]);
        // "small" is part of a title here, not a size.
        let got = q("small gods of brooklyn");
        assert!(got.sizes.is_empty());
        assert_eq!(got.terms, ["small", "gods", "brooklyn"]);
    }

    #[test]
    fn nothing_to_search_for() {
        assert!(q("please show me something").is_empty());
        assert!(!q("anything under $20").is_empty());
    }
}
