//! `products`, `catalog_info` and the initial stock in `inventory`.

use chrono::{DateTime, Utc};
use sqlx::AnyPool;

use crate::catalog::{Catalog, Product, SeedFile};
use kit::db::{StoreError, unix};

/// What loading a seed file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub products: usize,
    pub variants: usize,
    pub removed_products: u64,
    pub new_stock_rows: u64,
}

/// Reads the catalog; `None` if nothing was ever seeded.
pub async fn load(pool: &AnyPool) -> Result<Option<Catalog>, StoreError> {
    let currency: Option<String> =
        sqlx::query_scalar("SELECT value FROM catalog_info WHERE name = 'currency'")
            .fetch_optional(pool)
            .await?;
    let Some(currency) = currency else {
        return Ok(None);
    };
    let docs: Vec<String> = sqlx::query_scalar("SELECT document FROM products ORDER BY position")
        .fetch_all(pool)
        .await?;
    let products = docs
        .iter()
        .map(|d| serde_json::from_str::<Product>(d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Catalog::new(currency, products)))
}

/// Loads a seed file in one transaction: products are replaced (and those no longer in the file
/// removed), new variants get their stock; with `reset_stock`, existing variants' units on hand
/// are set back to the file's (never below what open sessions hold).
pub async fn seed(
    pool: &AnyPool,
    seed: &SeedFile,
    reset_stock: bool,
    now: DateTime<Utc>,
) -> Result<SeedReport, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO catalog_info (name, value) VALUES ('currency', $1) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(&seed.currency)
    .execute(&mut *tx)
    .await?;
    // Ids not in the new file are removed after the upserts; a temporary marker keeps this to
    // two portable statements instead of a NOT IN list of every id.
    sqlx::query("UPDATE products SET position = -1")
        .execute(&mut *tx)
        .await?;
    let mut variants = 0;
    let mut new_stock_rows = 0;
    for (position, p) in seed.products.iter().enumerate() {
        sqlx::query(
            "INSERT INTO products (id, position, document, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, document = excluded.document, \
             updated_at = excluded.updated_at",
        )
        .bind(&p.id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(serde_json::to_string(p)?)
        .bind(unix(now))
        .execute(&mut *tx)
        .await?;
        for v in &p.variants {
            variants += 1;
            let stock = i64::from(v.stock);
            let inserted = sqlx::query(
                "INSERT INTO inventory (variant_id, on_hand, reserved) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
            )
            .bind(&v.id)
            .bind(stock)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            new_stock_rows += inserted;
            if inserted == 0 && reset_stock {
                sqlx::query(
                    "UPDATE inventory SET on_hand = CASE WHEN reserved > $1 THEN reserved ELSE $1 END \
                     WHERE variant_id = $2",
                )
                .bind(stock)
                .bind(&v.id)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    let removed = sqlx::query("DELETE FROM products WHERE position = -1")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(SeedReport {
        products: seed.products.len(),
        variants,
        removed_products: removed,
        new_stock_rows,
    })
}
