//! `conversations`, `conversation_messages` and `conversation_checkouts`.

use chrono::{DateTime, TimeZone, Utc};
use kit::db::{StoreError, unix};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool};

use crate::shop::state::ConversationState;

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    Agent,
    /// News about an order, from the merchant's webhooks.
    Update,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Agent => "agent",
            Role::Update => "update",
        }
    }

    fn parse(s: &str) -> Role {
        match s {
            "buyer" => Role::Buyer,
            "update" => Role::Update,
            _ => Role::Agent,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: i64,
    pub role: Role,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A conversation's row.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub token_digest: String,
    pub state: ConversationState,
    pub version: i64,
}

pub async fn create(
    pool: &AnyPool,
    id: &str,
    token_digest: &str,
    state: &ConversationState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversations (id, token_digest, state, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4)",
    )
    .bind(id)
    .bind(token_digest)
    .bind(serde_json::to_string(state)?)
    .bind(unix(now))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<Conversation>, StoreError> {
    let row: Option<(String, String, String, i64)> =
        sqlx::query_as("SELECT id, token_digest, state, version FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(|(id, token_digest, state, version)| {
        Ok(Conversation {
            id,
            token_digest,
            state: serde_json::from_str(&state)?,
            version,
        })
    })
    .transpose()
}

/// Writes the state if the row is still at `version`; returns the new version, or `None` if
/// another writer got there first.
pub async fn save_state(
    pool: &AnyPool,
    id: &str,
    state: &ConversationState,
    version: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let done = sqlx::query(
        "UPDATE conversations SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4",
    )
    .bind(serde_json::to_string(state)?)
    .bind(unix(now))
    .bind(id)
    .bind(version)
    .execute(pool)
    .await?;
    Ok((done.rows_affected() == 1).then_some(version + 1))
}

/// Appends a message; returns its sequence number.
pub async fn append(
    conn: &mut AnyConnection,
    conversation: &str,
    role: Role,
    text: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO conversation_messages (conversation_id, seq, role, text, created_at) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM conversation_messages \
         WHERE conversation_id = $1 RETURNING seq",
    )
    .bind(conversation)
    .bind(role.as_str())
    .bind(text)
    .bind(unix(now))
    .fetch_one(conn)
    .await?)
}

/// Messages after `after` (0 for all), oldest first.
pub async fn messages(
    pool: &AnyPool,
    conversation: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT seq, role, text, created_at FROM conversation_messages \
         WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(conversation)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, role, text, at)| Message {
            seq,
            role: Role::parse(&role),
            text,
            at: Utc.timestamp_opt(at, 0).single().unwrap_or_default(),
        })
        .collect())
}

/// The most recent `n` messages, oldest first (an LLM's context).
pub async fn recent(
    pool: &AnyPool,
    conversation: &str,
    n: i64,
) -> Result<Vec<Message>, StoreError> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM conversation_messages WHERE conversation_id = $1")
            .bind(conversation)
            .fetch_one(pool)
            .await?;
    let from = last.unwrap_or(0).saturating_sub(n);
    messages(pool, conversation, from, n).await
}

/// Notes that a checkout session belongs to a conversation.
pub async fn link_checkout(
    pool: &AnyPool,
    merchant_id: &str,
    checkout_session_id: &str,
    conversation: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversation_checkouts (merchant_id, checkout_session_id, conversation_id) \
         VALUES ($1, $2, $3) ON CONFLICT (merchant_id, checkout_session_id) DO NOTHING",
    )
    .bind(merchant_id)
    .bind(checkout_session_id)
    .bind(conversation)
    .execute(pool)
    .await?;
    Ok(())
}

/// The conversation a checkout session belongs to.
pub async fn for_checkout(
    conn: &mut AnyConnection,
    merchant_id: &str,
    checkout_session_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT conversation_id FROM conversation_checkouts \
         WHERE merchant_id = $1 AND checkout_session_id = $2",
    )
    .bind(merchant_id)
    .bind(checkout_session_id)
    .fetch_optional(conn)
    .await?)
}

/// The latest state of an order as its webhooks told it (its `Order` JSON).
pub async fn order_document(
    pool: &AnyPool,
    merchant_id: &str,
    order_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT document FROM orders WHERE merchant_id = $1 AND order_id = $2")
            .bind(merchant_id)
            .bind(order_id)
            .fetch_optional(pool)
            .await?,
    )
}
