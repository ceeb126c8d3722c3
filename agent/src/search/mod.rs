//! The product index: every feed variant as a tantivy document, searched the way shoppers
//! type.
//!
//! One document per variant, so that "the blue one in size 10" can be answered exactly;
//! results are grouped back into products (the best-matching variant of each). Text fields go
//! through an English analyzer (lowercase, ASCII folding, stemming: "shoes" finds "shoe"), and
//! a second, unstemmed copy of the short fields takes fuzzy matches, so "runing shose" still
//! finds running shoes. Price and availability are fast fields, filtered without reading
//! documents.
//!
//! The index is derived from the feeds in the database and persisted on disk. Each commit
//! records, in its payload, the generation of every feed it reflects; a feed whose generation
//! in the database differs (a crash between the database commit and the index commit, or a
//! file ingestion by another process) is re-indexed from the database. Upserts update only the
//! products they carry.

pub mod query;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use shared::v2026_04_17::feed::{self, Product};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use query::{ShopperQuery, Vocabulary, understand};

/// Bumped when the schema or the analysis changes: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 4;
const STEMMED: &str = "shop_en";
const UNSTEMMED: &str = "shop_raw";

struct Fields {
    /// `feed \u{1f} product`: what an upsert deletes by.
    key: Field,
    /// A digest of `key`, what results are grouped by (a fast field).
    group: Field,
    /// A digest of the variant id, to break ties the same way whatever the index's layout.
    tiebreak: Field,
    feed: Field,
    title: Field,
    brand: Field,
    categories: Field,
    options: Field,
    description: Field,
    /// Unstemmed title, brand, categories and options, for fuzzy matching.
    raw: Field,
    brand_exact: Field,
    color: Field,
    size: Field,
    price: Field,
    available: Field,
    /// The hit as JSON, so results need no second lookup.
    hit: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        group: b.add_u64_field("group", NumericOptions::default().set_fast()),
        tiebreak: b.add_u64_field("tiebreak", NumericOptions::default().set_fast()),
        feed: b.add_text_field("feed", STRING),
        title: b.add_text_field("title", text(STEMMED)),
        brand: b.add_text_field("brand", text(STEMMED)),
        categories: b.add_text_field("categories", text(STEMMED)),
        options: b.add_text_field("options", text(STEMMED)),
        description: b.add_text_field("description", text(STEMMED)),
        raw: b.add_text_field("raw", text(UNSTEMMED)),
        brand_exact: b.add_text_field("brand_exact", STRING),
        color: b.add_text_field("color", STRING),
        size: b.add_text_field("size", STRING),
        price: b.add_u64_field("price", NumericOptions::default().set_indexed().set_fast()),
        available: b.add_u64_field(
            "available",
            NumericOptions::default().set_indexed().set_fast(),
        ),
        hit: b.add_text_field("hit", STORED),
    };
    (b.build(), fields)
}

fn register_analyzers(index: &Index) {
    let base = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
    };
    index.tokenizers().register(
        STEMMED,
        base().filter(Stemmer::new(Language::English)).build(),
    );
    index.tokenizers().register(UNSTEMMED, base().build());
}

/// A search result: one variant, as the feed described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub merchant_id: String,
    pub feed_id: String,
    pub product_id: String,
    pub variant_id: String,
    /// The variant's title (`Product (Options)`).
    pub title: String,
    pub product_title: String,
    pub brand: Option<String>,
    /// The feed's price, minor units: informational until checkout confirms it.
    pub price: Option<i64>,
    pub list_price: Option<i64>,
    /// Uppercase ISO 4217.
    pub currency: Option<String>,
    pub available: bool,
    pub status: Option<String>,
    pub options: Vec<(String, String)>,
    /// The values of each option the product's variants differ in, e.g. `("Size", ["8", "9"])`.
    #[serde(default)]
    pub choices: Vec<(String, Vec<String>)>,
    pub image_url: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub score: f32,
}

/// What the commit payload records.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    /// Feed id → the generation the index reflects.
    feeds: BTreeMap<String, i64>,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// What the last commit reflects.
    generations: Mutex<BTreeMap<String, i64>>,
    vocabulary: RwLock<Vocabulary>,
}

/// A feed as the index needs to know it.
#[derive(Debug, Clone, Copy)]
pub struct FeedRef<'a> {
    pub id: &'a str,
    pub merchant_id: &'a str,
}

fn category_values(v: &feed::Variant, brand: bool) -> impl Iterator<Item = &str> {
    v.categories
        .iter()
        .flatten()
        .filter(move |c| (c.taxonomy.as_deref() == Some("brand")) == brand)
        .map(|c| c.value.as_str())
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (or recreating it, if its schema version is not
    /// this code's) as needed.
    pub fn open(dir: &Path, writer_memory: usize) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the index folder {}", dir.display()))?;
        let (schema, fields) = schema();
        let existing = Index::open_in_dir(dir).ok();
        let payload = existing
            .as_ref()
            .and_then(|i| i.load_metas().ok())
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok());
        let index = match (existing, &payload) {
            (Some(index), Some(p)) if p.schema == SCHEMA_VERSION => index,
            (Some(_), _) => {
                tracing::info!(dir = %dir.display(), "the search index is from another version; rebuilding it");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema)?
            }
            (None, _) => {
                if std::fs::read_dir(dir)?.next().is_some() {
                    anyhow::bail!(
                        "{} is not empty and holds no search index; move it away or point search.index_dir elsewhere",
                        dir.display()
                    );
                }
                Index::create_in_dir(dir, schema)?
            }
        };
        register_analyzers(&index);
        let writer = index
            .writer(writer_memory.max(15_000_000))
            .context("opening the index writer (is another agent process using this index?)")?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let generations = payload
            .filter(|p| p.schema == SCHEMA_VERSION)
            .map(|p| p.feeds)
            .unwrap_or_default();
        let this = Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            generations: Mutex::new(generations),
            vocabulary: RwLock::default(),
        };
        this.refresh_vocabulary()?;
        Ok(this)
    }

    /// Whether another process holds the index (its writer lock) right now.
    pub fn is_locked(dir: &Path) -> bool {
        Index::open_in_dir(dir)
            .and_then(|i| i.writer::<TantivyDocument>(15_000_000).map(drop))
            .is_err_and(|e| matches!(e, tantivy::TantivyError::LockFailure(..)))
    }

    /// Feed id → generation, as of the last commit.
    pub fn generations(&self) -> BTreeMap<String, i64> {
        self.lock_generations().clone()
    }

    fn lock_generations(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, i64>> {
        self.generations.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn vocabulary(&self) -> Vocabulary {
        self.vocabulary
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces these products of a feed (each by its id) and records `generation`.
    pub fn upsert(
        &self,
        feed: FeedRef<'_>,
        products: &[Product],
        generation: i64,
    ) -> anyhow::Result<()> {
        let mut writer = self.lock_writer();
        for p in products {
            writer.delete_term(Term::from_field_text(self.fields.key, &key(feed.id, &p.id)));
            self.add_product(&writer, feed, p)?;
        }
        self.commit(&mut writer, feed.id, Some(generation))
    }

    /// Replaces a whole feed (file ingestion, or repairing a stale index).
    pub fn replace_feed(
        &self,
        feed: FeedRef<'_>,
        products: &[Product],
        generation: i64,
        mut progress: impl FnMut(usize),
    ) -> anyhow::Result<()> {
        let mut writer = self.lock_writer();
        writer.delete_term(Term::from_field_text(self.fields.feed, feed.id));
        for (i, p) in products.iter().enumerate() {
            self.add_product(&writer, feed, p)?;
            if i % 1000 == 999 {
                progress(i + 1);
            }
        }
        progress(products.len());
        self.commit(&mut writer, feed.id, Some(generation))
    }

    /// Forgets a feed that is gone from the database.
    pub fn remove_feed(&self, feed_id: &str) -> anyhow::Result<()> {
        let mut writer = self.lock_writer();
        writer.delete_term(Term::from_field_text(self.fields.feed, feed_id));
        self.commit(&mut writer, feed_id, None)
    }

    fn commit(
        &self,
        writer: &mut IndexWriter,
        feed_id: &str,
        generation: Option<i64>,
    ) -> anyhow::Result<()> {
        let mut feeds = self.generations();
        match generation {
            Some(g) => feeds.insert(feed_id.to_owned(), g),
            None => feeds.remove(feed_id),
        };
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            feeds: feeds.clone(),
        })?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        *self.lock_generations() = feeds;
        self.refresh_vocabulary()
    }

    fn add_product(
        &self,
        writer: &IndexWriter,
        feed: FeedRef<'_>,
        p: &Product,
    ) -> anyhow::Result<()> {
        let f = &self.fields;
        let product_title = p.title.clone().unwrap_or_default();
        let choices = product_choices(p);
        let description = p
            .description
            .as_ref()
            .and_then(|d| d.plain.clone().or_else(|| d.markdown.clone()))
            .unwrap_or_default();
        for v in &p.variants {
            let brand = category_values(v, true).next().map(str::to_owned);
            let categories: Vec<&str> = category_values(v, false).collect();
            let options: Vec<(String, String)> = v
                .variant_options
                .iter()
                .flatten()
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect();
            let available = v
                .availability
                .as_ref()
                .and_then(|a| a.available)
                .unwrap_or(true);
            let hit = Hit {
                merchant_id: feed.merchant_id.to_owned(),
                feed_id: feed.id.to_owned(),
                product_id: p.id.clone(),
                variant_id: v.id.clone(),
                title: v.title.clone(),
                product_title: product_title.clone(),
                brand: brand.clone(),
                price: v.price.as_ref().map(|x| x.amount),
                list_price: v.list_price.as_ref().map(|x| x.amount),
                currency: v.price.as_ref().map(|x| x.currency.clone()),
                available,
                status: v
                    .availability
                    .as_ref()
                    .and_then(|a| a.status.as_ref())
                    .map(|s| s.as_str().to_owned()),
                options: options.clone(),
                choices: choices.clone(),
                image_url: v
                    .media
                    .iter()
                    .flatten()
                    .chain(p.media.iter().flatten())
                    .find(|m| m.kind == "image")
                    .map(|m| m.url.clone()),
                url: v.url.clone().or_else(|| p.url.clone()),
                score: 0.0,
            };
            let mut doc = TantivyDocument::default();
            doc.add_text(f.key, key(feed.id, &p.id));
            doc.add_u64(f.group, fnv1a(key(feed.id, &p.id).as_bytes()));
            doc.add_u64(f.tiebreak, fnv1a(v.id.as_bytes()));
            doc.add_text(f.feed, feed.id);
            // The product's own title counts as much as the variant's: "(Blue / 10)" is an
            // option, not the name.
            doc.add_text(f.title, &product_title);
            doc.add_text(f.raw, &product_title);
            if let Some(b) = &brand {
                doc.add_text(f.brand, b);
                doc.add_text(f.raw, b);
                doc.add_text(f.brand_exact, b.to_lowercase());
            }
            for c in &categories {
                doc.add_text(f.categories, c);
                doc.add_text(f.raw, c);
            }
            for (name, value) in &options {
                doc.add_text(f.options, value);
                doc.add_text(f.raw, value);
                let value = value.to_lowercase();
                if name.eq_ignore_ascii_case("color") || name.eq_ignore_ascii_case("colour") {
                    doc.add_text(f.color, &value);
                } else if name.eq_ignore_ascii_case("size") {
                    doc.add_text(f.size, &value);
                }
            }
            doc.add_text(f.description, &description);
            if let Some(price) = hit.price.and_then(|a| u64::try_from(a).ok()) {
                doc.add_u64(f.price, price);
            }
            doc.add_u64(f.available, u64::from(available));
            doc.add_text(f.hit, serde_json::to_string(&hit)?);
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Brands, colours and sizes as the index holds them (read from its term dictionaries).
    fn refresh_vocabulary(&self) -> anyhow::Result<()> {
        let searcher = self.reader.searcher();
        let terms = |field: Field| -> anyhow::Result<BTreeSet<String>> {
            let mut out = BTreeSet::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    if let Ok(s) = std::str::from_utf8(stream.key()) {
                        out.insert(s.to_owned());
                    }
                }
            }
            Ok(out)
        };
        let vocabulary = Vocabulary {
            brands: terms(self.fields.brand_exact)?,
            colors: terms(self.fields.color)?,
            sizes: terms(self.fields.size)?,
        };
        *self.vocabulary.write().unwrap_or_else(|p| p.into_inner()) = vocabulary;
        Ok(())
    }

    /// How many variants are indexed.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The `limit` best products for `q`: one hit each, their best variant.
    pub fn search(&self, q: &ShopperQuery, limit: usize) -> anyhow::Result<Vec<Hit>> {
        let hits = self.run(q, limit, true)?;
        // Nothing in that colour or size: show the closest products, which the agent says
        // are not in the colour or size asked for.
        if hits.is_empty() && (!q.colors.is_empty() || !q.sizes.is_empty()) {
            return self.run(q, limit, false);
        }
        Ok(hits)
    }

    fn run(&self, q: &ShopperQuery, limit: usize, strict: bool) -> anyhow::Result<Vec<Hit>> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !q.terms.is_empty() {
            clauses.push((Occur::Must, Box::new(self.text_query(&searcher, &q.terms)?)));
        }
        if q.max_price.is_some() || q.min_price.is_some() {
            let bound = |b: Option<i64>| match b.and_then(|v| u64::try_from(v).ok()) {
                Some(v) => Bound::Included(Term::from_field_u64(f.price, v)),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(q.min_price), bound(q.max_price))),
            ));
        }
        if q.in_stock {
            clauses.push((Occur::Must, Box::new(available(f.available))));
        }
        let facets = [
            (f.color, &q.colors),
            (f.size, &q.sizes),
            (f.brand_exact, &q.brands),
        ];
        for (field, values) in facets {
            if values.is_empty() {
                continue;
            }
            let set = TermSetQuery::new(values.iter().map(|v| Term::from_field_text(field, v)));
            let occur = if strict || field == f.brand_exact {
                Occur::Must
            } else {
                Occur::Should
            };
            clauses.push((occur, Box::new(ConstScoreQuery::new(Box::new(set), 2.0))));
        }
        if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.saturating_mul(20).max(50)).order_by_score(),
        )?;
        // Rank on fast fields and group by product; only the documents shown are read.
        let mut ranked: Vec<(f32, i64, u64, u64, tantivy::DocAddress)> =
            Vec::with_capacity(top.len());
        let mut columns: std::collections::HashMap<u32, Columns> = std::collections::HashMap::new();
        for (score, addr) in top {
            let cols = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(Columns::of(searcher.segment_reader(addr.segment_ord))?)
                }
            };
            let at = |c: &tantivy::columnar::Column<u64>| c.first(addr.doc_id).unwrap_or(0);
            // Without being asked, what is in stock comes first among equals.
            let score = score + if at(&cols.available) == 1 { 0.5 } else { 0.0 };
            let price = cols
                .price
                .first(addr.doc_id)
                .and_then(|p| i64::try_from(p).ok())
                .unwrap_or(i64::MAX);
            ranked.push((score, price, at(&cols.tiebreak), at(&cols.group), addr));
        }
        // Equally relevant products (the same words in the same places) come cheapest first,
        // and the same way every time, whatever order the index holds them in.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<Hit> = Vec::new();
        for (score, _, _, group, addr) in ranked {
            if !seen.insert(group) {
                continue;
            }
            let doc: TantivyDocument = searcher.doc(addr)?;
            let Some(json) = doc.get_first(f.hit).and_then(|v| v.as_str()) else {
                continue;
            };
            let mut hit: Hit = serde_json::from_str(json)?;
            hit.score = score;
            out.push(hit);
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// Each word in the stemmed fields (weighted by where it appears) or, spelled a little
    /// differently, in the unstemmed short fields. A product matching more words ranks higher.
    fn text_query(
        &self,
        searcher: &tantivy::Searcher,
        terms: &[String],
    ) -> anyhow::Result<BooleanQuery> {
        let f = &self.fields;
        let mut stem = self.index.tokenizer_for_field(f.title)?;
        let weighted = [
            (f.title, 3.0),
            (f.brand, 2.5),
            (f.categories, 2.0),
            (f.options, 1.5),
            (f.description, 0.5),
        ];
        let mut per_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in terms {
            let stems = analyze(&mut stem, word);
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for s in &stems {
                for (field, boost) in weighted {
                    let q = TermQuery::new(
                        Term::from_field_text(field, s),
                        IndexRecordOption::WithFreqs,
                    );
                    alternatives
                        .push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
                }
            }
            // Synonyms count a little less than the word itself.
            for other in query::synonyms(word) {
                for t in analyze(&mut stem, other) {
                    for (field, boost) in weighted {
                        let q = TermQuery::new(
                            Term::from_field_text(field, &t),
                            IndexRecordOption::WithFreqs,
                        );
                        alternatives.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(q), boost * 0.8)),
                        ));
                    }
                }
            }
            let plain = word.to_lowercase();
            let distance = match plain.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            // A word the catalog has is spelled right: no need to look for near spellings,
            // which would only widen the search (and slow it down).
            let known = searcher.doc_freq(&Term::from_field_text(f.raw, &plain))? > 0;
            if distance > 0 && !known {
                let fuzzy =
                    FuzzyTermQuery::new(Term::from_field_text(f.raw, &plain), distance, true);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(fuzzy), 1.0)),
                ));
                // Shoppers type the start of a word ("sneak", "headph"): a prefix counts too.
                let prefix =
                    FuzzyTermQuery::new_prefix(Term::from_field_text(f.raw, &plain), 0, true);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(prefix), 0.5)),
                ));
            }
            if !alternatives.is_empty() {
                per_word.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
            }
        }
        Ok(BooleanQuery::new(per_word))
    }
}

/// A segment's fast columns that ranking reads.
struct Columns {
    group: tantivy::columnar::Column<u64>,
    tiebreak: tantivy::columnar::Column<u64>,
    price: tantivy::columnar::Column<u64>,
    available: tantivy::columnar::Column<u64>,
}

impl Columns {
    fn of(segment: &tantivy::SegmentReader) -> anyhow::Result<Self> {
        let fast = segment.fast_fields();
        Ok(Self {
            group: fast.u64("group")?,
            tiebreak: fast.u64("tiebreak")?,
            price: fast.u64("price")?,
            available: fast.u64("available")?,
        })
    }
}

/// 64-bit FNV-1a: a stable digest (the same in every process and version), for fast fields.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Each option the variants differ in, with its values in the feed's order.
fn product_choices(p: &Product) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for v in &p.variants {
        for o in v.variant_options.iter().flatten() {
            match out
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(&o.name))
            {
                Some((_, values)) => {
                    if !values.contains(&o.value) {
                        values.push(o.value.clone());
                    }
                }
                None => out.push((o.name.clone(), vec![o.value.clone()])),
            }
        }
    }
    out.retain(|(_, values)| values.len() > 1);
    out
}

/// The tokens an analyzer makes of `text`.
fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut stream) {
        out.push(t.text.clone());
    }
    out
}

fn available(field: Field) -> TermQuery {
    TermQuery::new(Term::from_field_u64(field, 1), IndexRecordOption::Basic)
}

fn key(feed: &str, product: &str) -> String {
    format!("{feed}\u{1f}{product}")
}
