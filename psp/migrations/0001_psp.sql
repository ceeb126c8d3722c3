-- Portable between SQLite and PostgreSQL (sqlx's Any driver): TEXT ids, unix-second times,
-- BIGINT minor units.

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

-- The vault. The card number, expiry and name exist only inside `ciphertext` (AES-256-GCM,
-- the row id as associated data, `key_id` naming the key so keys can rotate). The CVC is never
-- stored: only whether it checked out. `fingerprint` is an HMAC of the number, to recognise
-- the same card without decrypting it.
CREATE TABLE vault_cards (
    id           TEXT PRIMARY KEY,
    key_id       TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    ciphertext   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    brand        TEXT NOT NULL,
    last4        TEXT NOT NULL,
    funding      TEXT NOT NULL,
    cvc_check    TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX vault_cards_fingerprint ON vault_cards (fingerprint);

-- Shared Payment Tokens and the allowance each is bound to.
CREATE TABLE payment_tokens (
    id                   TEXT PRIMARY KEY,
    card_id              TEXT NOT NULL,
    agent                TEXT NOT NULL,
    merchant_id          TEXT NOT NULL,
    checkout_session_id  TEXT NOT NULL,
    currency             TEXT NOT NULL,
    max_amount           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    status               TEXT NOT NULL,
    metadata             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    used_at              BIGINT
);

-- One payment intent per redeemed token (a token is single use).
CREATE TABLE payment_intents (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL,
    token_id             TEXT NOT NULL UNIQUE,
    card_id              TEXT NOT NULL,
    checkout_session_id  TEXT NOT NULL,
    amount               BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    status               TEXT NOT NULL,
    amount_received      BIGINT NOT NULL,
    amount_refunded      BIGINT NOT NULL,
    document             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CHECK (amount_refunded >= 0),
    CHECK (amount_refunded <= amount_received)
);

CREATE TABLE refunds (
    id                 TEXT PRIMARY KEY,
    payment_intent_id  TEXT NOT NULL,
    merchant_id        TEXT NOT NULL,
    amount             BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    status             TEXT NOT NULL,
    reason             TEXT,
    failure_reason     TEXT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX refunds_payment_intent ON refunds (payment_intent_id);

-- 3-D Secure sessions of the Delegate Authentication API. The card is known only by its
-- fingerprint; `challenge_code` is the one-time code the simulated issuer asks for.
CREATE TABLE authentication_sessions (
    id                        TEXT PRIMARY KEY,
    agent                     TEXT NOT NULL,
    merchant_id               TEXT NOT NULL,
    card_fingerprint          TEXT NOT NULL,
    brand                     TEXT NOT NULL,
    amount                    BIGINT NOT NULL,
    currency                  TEXT NOT NULL,
    checkout_session_id       TEXT,
    flow                      TEXT NOT NULL,
    status                    TEXT NOT NULL,
    challenge_code            TEXT NOT NULL,
    attempts                  BIGINT NOT NULL,
    three_ds_server_trans_id  TEXT NOT NULL,
    acs_trans_id              TEXT NOT NULL,
    ds_trans_id               TEXT NOT NULL,
    cryptogram                TEXT,
    eci                       TEXT,
    consumed_by               TEXT,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    expires_at                BIGINT NOT NULL
);
CREATE INDEX authentication_sessions_ds_trans ON authentication_sessions (ds_trans_id);
