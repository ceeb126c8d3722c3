//! `inventory`: units on hand and units held by open sessions, changed only by conditional
//! updates so two sessions can never both take the last unit.

use sqlx::{AnyConnection, AnyPool};

use crate::domain::session::{Hold, HoldOutcome};
use kit::db::StoreError;

/// Applies holds in the given order (callers sort them, so row locks are always taken in the
/// same order and concurrent transactions cannot deadlock).
pub async fn apply(
    conn: &mut AnyConnection,
    holds: &[Hold],
) -> Result<Vec<HoldOutcome>, StoreError> {
    let mut out = Vec::with_capacity(holds.len());
    for h in holds {
        let units = h.delta.abs();
        let (granted, available) = if h.delta > 0 {
            let left: Option<i64> = sqlx::query_scalar(
                "UPDATE inventory SET reserved = reserved + $1 \
                 WHERE variant_id = $2 AND on_hand - reserved >= $1 RETURNING on_hand - reserved",
            )
            .bind(units)
            .bind(&h.variant_id)
            .fetch_optional(&mut *conn)
            .await?;
            match left {
                Some(left) => (true, left),
                None => (false, free_units(&mut *conn, &h.variant_id).await?),
            }
        } else {
            let left: Option<i64> = sqlx::query_scalar(
                "UPDATE inventory SET reserved = reserved - $1 \
                 WHERE variant_id = $2 AND reserved >= $1 RETURNING on_hand - reserved",
            )
            .bind(units)
            .bind(&h.variant_id)
            .fetch_optional(&mut *conn)
            .await?;
            let left = left.ok_or_else(|| {
                StoreError::Inconsistent(format!(
                    "releasing {units} units of {} that are not held",
                    h.variant_id
                ))
            })?;
            (true, left)
        };
        out.push(HoldOutcome {
            variant_id: h.variant_id.clone(),
            granted,
            available: u32::try_from(available.max(0)).unwrap_or(u32::MAX),
        });
    }
    Ok(out)
}

async fn free_units(conn: &mut AnyConnection, variant_id: &str) -> Result<i64, StoreError> {
    let left: Option<i64> =
        sqlx::query_scalar("SELECT on_hand - reserved FROM inventory WHERE variant_id = $1")
            .bind(variant_id)
            .fetch_optional(conn)
            .await?;
    Ok(left.unwrap_or(0))
}

/// `(on_hand, reserved)` of a variant.
pub async fn levels(pool: &AnyPool, variant_id: &str) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT on_hand, reserved FROM inventory WHERE variant_id = $1")
            .bind(variant_id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Units free to sell (`on_hand - reserved`) of every variant.
pub async fn free_units_all(
    pool: &AnyPool,
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT variant_id, on_hand - reserved FROM inventory")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Sets the units on hand of a variant (never below what is held).
pub async fn set_on_hand(
    pool: &AnyPool,
    variant_id: &str,
    on_hand: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE inventory SET on_hand = CASE WHEN reserved > $1 THEN reserved ELSE $1 END WHERE variant_id = $2",
    )
    .bind(on_hand)
    .bind(variant_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns held units into sold ones: they leave both `on_hand` and `reserved`.
pub async fn commit(conn: &mut AnyConnection, lines: &[(String, i64)]) -> Result<(), StoreError> {
    let mut lines = lines.to_vec();
    lines.sort();
    for (variant, units) in lines {
        let done = sqlx::query(
            "UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1 WHERE variant_id = $2 AND reserved >= $1",
        )
        .bind(units)
        .bind(&variant)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Inconsistent(format!(
                "selling {units} units of {variant} that are not held"
            )));
        }
    }
    Ok(())
}

/// Puts units of a canceled order back on the shelf.
pub async fn restock(conn: &mut AnyConnection, lines: &[(String, i64)]) -> Result<(), StoreError> {
    let mut lines = lines.to_vec();
    lines.sort();
    for (variant, units) in lines {
        sqlx::query("UPDATE inventory SET on_hand = on_hand + $1 WHERE variant_id = $2")
            .bind(units)
            .bind(&variant)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
