-- Tokens for non-browser automerge-repo clients (integrations, tests, the load generator): issued by a
-- 管理者, scoped to one facility and one role, revocable. Stored as SHA-256 hashes.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'vendor')),
    vendor_id TEXT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
);
