-- Order events received from merchants, once each: the merchant's event id (its Request-Id,
-- stable across retries) is the key, so a redelivery is recognised and acknowledged without
-- being stored twice. Portable between SQLite and PostgreSQL.
CREATE TABLE order_events (
    merchant_id  TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    -- 1, 2, 3… per order, in the order received.
    position     BIGINT NOT NULL,
    event_type   TEXT NOT NULL,
    order_status TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, event_id),
    UNIQUE (merchant_id, order_id, position)
);

-- The latest state of each order, as its last event carried it.
CREATE TABLE orders (
    merchant_id          TEXT NOT NULL,
    order_id             TEXT NOT NULL,
    checkout_session_id  TEXT NOT NULL,
    status               TEXT NOT NULL,
    document             TEXT NOT NULL,
    last_event_id        TEXT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, order_id)
);
