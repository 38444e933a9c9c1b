-- State every instance sharing the database sees alike (several instances run on PostgreSQL; SQLite keeps the
-- same schema so both engines run one code path): WebAuthn ceremonies in progress (started on one instance,
-- finished on another; five minutes at most) and sign-in attempt counters (a limit per account and address
-- holds whichever instance counts). Both are transient: a migration to another store does not copy them.
CREATE TABLE ceremonies (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The ceremony as JSON (its kind, who, and the WebAuthn state holding the challenge).
    state TEXT NOT NULL
);
CREATE INDEX ceremonies_by_client ON ceremonies (client);
CREATE INDEX ceremonies_by_age ON ceremonies (created_at);

CREATE TABLE sign_in_attempts (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
