//! `vault_cards`: sealed card data plus what may be shown (brand, last four).

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use sqlx::AnyConnection;

use crate::vault::Sealed;

#[derive(Debug, Clone)]
pub struct CardRow {
    pub id: String,
    pub sealed: Sealed,
    pub fingerprint: String,
    pub brand: String,
    pub last4: String,
    pub funding: String,
    pub cvc_check: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    card: &CardRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO vault_cards (id, key_id, nonce, ciphertext, fingerprint, brand, last4, funding, cvc_check, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&card.id)
    .bind(&card.sealed.key_id)
    .bind(&card.sealed.nonce)
    .bind(&card.sealed.ciphertext)
    .bind(&card.fingerprint)
    .bind(&card.brand)
    .bind(&card.last4)
    .bind(&card.funding)
    .bind(&card.cvc_check)
    .bind(unix(now))
    .execute(conn)
    .await?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// Reads through whatever holds a connection: a pool, or the transaction in progress (a
/// transaction must not wait on the pool it is holding a connection of).
pub async fn get<'e, E>(db: E, id: &str) -> Result<Option<CardRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, key_id, nonce, ciphertext, fingerprint, brand, last4, funding, cvc_check FROM vault_cards WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(id, key_id, nonce, ciphertext, fingerprint, brand, last4, funding, cvc_check)| CardRow {
            id,
            sealed: Sealed {
                key_id,
                nonce,
                ciphertext,
            },
            fingerprint,
            brand,
            last4,
            funding,
            cvc_check,
        },
    ))
}
