-- Buyers' conversations. `state` is the shopping state as JSON (results shown, the cart, the
-- checkout session, the order); card numbers never reach it, only brand and last four digits.
CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    -- SHA-256 of the bearer token that opens the conversation.
    token_digest  TEXT NOT NULL,
    state         TEXT NOT NULL,
    -- Bumped by every write (optimistic concurrency between agent processes).
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- What was said, in order: by the buyer, by the agent, and order news from webhooks.
CREATE TABLE conversation_messages (
    conversation_id  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    role             TEXT NOT NULL,
    text             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- Which conversation a checkout session belongs to, so an order's webhooks reach its buyer.
CREATE TABLE conversation_checkouts (
    merchant_id          TEXT NOT NULL,
    checkout_session_id  TEXT NOT NULL,
    conversation_id      TEXT NOT NULL,
    PRIMARY KEY (merchant_id, checkout_session_id)
);
