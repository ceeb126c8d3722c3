//! `feeds`: which feed this merchant keeps at each agent.

use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use sqlx::AnyPool;

pub async fn get(pool: &AnyPool, agent_url: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT feed_id FROM feeds WHERE agent_url = $1")
            .bind(agent_url)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn remember(
    pool: &AnyPool,
    agent_url: &str,
    feed_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO feeds (agent_url, feed_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (agent_url) DO UPDATE SET feed_id = excluded.feed_id, created_at = excluded.created_at",
    )
    .bind(agent_url)
    .bind(feed_id)
    .bind(unix(now))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn forget(pool: &AnyPool, agent_url: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM feeds WHERE agent_url = $1")
        .bind(agent_url)
        .execute(pool)
        .await?;
    Ok(())
}
