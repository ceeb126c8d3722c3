-- Orders: at most one per checkout session (the UNIQUE constraint is the last line of defence
-- for "one charge, one order"). The document is the order as the merchant keeps it.
CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    checkout_session_id  TEXT NOT NULL UNIQUE,
    agent                TEXT NOT NULL,
    status               TEXT NOT NULL,
    version              BIGINT NOT NULL,
    document             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
