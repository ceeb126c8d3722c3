-- Orders change after checkout (operator actions, refunds); each change is one new version.
-- `refund_pending_since` is set while a refund waits for the PSP's answer, so that one cut short
-- by a crash is finished by the sweeper.
ALTER TABLE orders ADD COLUMN refund_pending_since BIGINT;
CREATE INDEX orders_refund_pending ON orders (refund_pending_since);
CREATE INDEX orders_status_updated ON orders (status, updated_at);

-- The webhook outbox. Each order change writes its event here in the same transaction, and the
-- delivery worker sends it: in order per order (`seq` is the order's version), with retries,
-- until the agent acknowledges it or it is parked for an operator. Scheduling times are unix
-- milliseconds (backoff steps are shorter than a second); the rest are unix seconds.
CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    agent            TEXT NOT NULL,
    order_id         TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    event_type       TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_ms  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (order_id, seq)
);
CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_ms);
