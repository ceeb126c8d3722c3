-- Portable between SQLite and PostgreSQL (both run through sqlx's Any driver): ids are TEXT,
-- times are unix seconds, money is BIGINT minor units, documents are JSON in TEXT.

-- One row per product as loaded from the seed file; variants live inside the document.
CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    document    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Catalog-wide facts from the seed file (the currency prices are in).
CREATE TABLE catalog_info (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Stock per variant. `reserved` is held by open checkout sessions; the CHECKs make
-- overselling impossible even if application code were wrong.
CREATE TABLE inventory (
    variant_id  TEXT PRIMARY KEY,
    on_hand     BIGINT NOT NULL,
    reserved    BIGINT NOT NULL DEFAULT 0,
    CHECK (on_hand >= 0),
    CHECK (reserved >= 0),
    CHECK (reserved <= on_hand)
);

-- The authoritative session state is the JSON document; the columns beside it are what
-- queries filter on. `version` is bumped by every write (optimistic concurrency).
CREATE TABLE checkout_sessions (
    id          TEXT PRIMARY KEY,
    agent       TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    document    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX checkout_sessions_status_expires ON checkout_sessions (status, expires_at);

-- Stored responses per (agent, endpoint path, key), written in the same transaction as the
-- effect they describe.
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

-- Write-only records that the spec says must never be returned.
CREATE TABLE intent_traces (
    session_id   TEXT NOT NULL,
    reason_code  TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE TABLE affiliate_attributions (
    session_id   TEXT NOT NULL,
    touchpoint   TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
