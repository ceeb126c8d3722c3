-- Product feeds merchants push to this agent (ACP 2026-04-17 Feed API). The products are the
-- source of truth; the search index is derived from them and can be rebuilt at any time.
CREATE TABLE feeds (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL,
    target_country  TEXT,
    -- Bumped by every change to the feed's products; the search index records the generation
    -- it reflects, so a stale index is noticed and brought up to date.
    generation      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- Unix milliseconds: two upserts within a second still advance it.
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX feeds_merchant ON feeds (merchant_id);

CREATE TABLE feed_products (
    feed_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    document    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (feed_id, product_id)
);

-- Stored responses of idempotent POSTs (POST /feeds), per caller, path and key.
CREATE TABLE idempotency_keys (
    agent        TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status_code  BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (agent, endpoint, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
