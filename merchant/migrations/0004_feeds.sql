-- The feed this merchant keeps at each agent's Feed API: created once, then only upserted.
-- The products themselves are derived from the catalog and stock, never stored for the feed.
CREATE TABLE feeds (
    agent_url   TEXT PRIMARY KEY,
    feed_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
