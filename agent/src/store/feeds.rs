//! `feeds` and `feed_products`.

use chrono::{DateTime, TimeZone, Utc};
use kit::db::{StoreError, unix};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};

use shared::v2026_04_17::feed::Product;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: String,
    pub merchant_id: String,
    pub target_country: Option<String>,
    pub generation: i64,
    pub updated_at: DateTime<Utc>,
}

type Row = (String, String, Option<String>, i64, i64);

fn row(r: Row) -> FeedRow {
    FeedRow {
        id: r.0,
        merchant_id: r.1,
        target_country: r.2,
        generation: r.3,
        updated_at: Utc.timestamp_millis_opt(r.4).single().unwrap_or_default(),
    }
}

const COLUMNS: &str = "id, merchant_id, target_country, generation, updated_at_ms";

pub async fn insert(conn: &mut AnyConnection, f: &FeedRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO feeds (id, merchant_id, target_country, generation, created_at, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&f.id)
    .bind(&f.merchant_id)
    .bind(&f.target_country)
    .bind(f.generation)
    .bind(unix(f.updated_at))
    .bind(f.updated_at.timestamp_millis())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<FeedRow>, StoreError> {
    let r: Option<Row> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM feeds WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(r.map(row))
}

/// Every feed, for reconciling the index with the database.
pub async fn all(pool: &AnyPool) -> Result<Vec<FeedRow>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM feeds ORDER BY id"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(row).collect())
}

/// Advances a feed after a change to its products; returns the new generation.
pub async fn touch(
    conn: &mut AnyConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    // The time never goes backwards, whatever the clock does between two changes.
    let generation: i64 = sqlx::query_scalar(
        "UPDATE feeds SET generation = generation + 1, \
           updated_at_ms = CASE WHEN updated_at_ms >= $1 THEN updated_at_ms + 1 ELSE $1 END \
         WHERE id = $2 RETURNING generation",
    )
    .bind(now.timestamp_millis())
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(generation)
}

/// Rows per multi-row statement: well under both databases' bind-parameter limits.
const BATCH: usize = 500;

/// Inserts or replaces products by id.
pub async fn upsert_products(
    conn: &mut AnyConnection,
    feed_id: &str,
    products: &[(&Product, String)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in products.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 4 * i;
                format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO feed_products (feed_id, product_id, document, updated_at) VALUES {} \
             ON CONFLICT (feed_id, product_id) DO UPDATE SET document = excluded.document, \
               updated_at = excluded.updated_at",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (p, json) in chunk {
            q = q.bind(feed_id).bind(&p.id).bind(json).bind(unix(now));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes every product of a feed (the start of a full replacement).
pub async fn clear_products(conn: &mut AnyConnection, feed_id: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM feed_products WHERE feed_id = $1")
        .bind(feed_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// A feed's products, ordered by id.
pub async fn products(pool: &AnyPool, feed_id: &str) -> Result<Vec<Product>, StoreError> {
    let docs: Vec<String> = sqlx::query_scalar(
        "SELECT document FROM feed_products WHERE feed_id = $1 ORDER BY product_id",
    )
    .bind(feed_id)
    .fetch_all(pool)
    .await?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(StoreError::from))
        .collect()
}

/// Some of a feed's products, by id (the full records behind search results).
pub async fn products_by_id(
    pool: &AnyPool,
    feed_id: &str,
    ids: &[&str],
) -> Result<Vec<Product>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT document FROM feed_products WHERE feed_id = $1 AND product_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query_scalar(AssertSqlSafe(sql)).bind(feed_id);
    for id in ids {
        q = q.bind(*id);
    }
    let docs: Vec<String> = q.fetch_all(pool).await?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(StoreError::from))
        .collect()
}

/// How many products a feed holds.
pub async fn count(pool: &AnyPool, feed_id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM feed_products WHERE feed_id = $1")
            .bind(feed_id)
            .fetch_one(pool)
            .await?,
    )
}
