-- People and access: who may do what lives here, never in a CRDT document. Times are Unix milliseconds from
-- the server's clock. Secrets (session and invitation tokens) are stored only as SHA-256 hashes.
CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    index_doc TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER
);

-- A person's role at one facility; a 事業者 acts for one vendor entity there.
CREATE TABLE memberships (
    person_id TEXT NOT NULL REFERENCES people (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'vendor')),
    vendor_id TEXT,
    PRIMARY KEY (person_id, facility_id),
    CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
);

CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    passkey TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX passkeys_by_person ON passkeys (person_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    device TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX sessions_by_person ON sessions (person_id);

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'vendor')),
    vendor_id TEXT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_by TEXT,
    revoked_at INTEGER
);

-- Which facility each document belongs to, and what it is: the server's own record, used for every access
-- decision.
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    form TEXT,
    vendor_id TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX documents_by_facility ON documents (facility_id);

CREATE TABLE document_shares (
    doc_id TEXT NOT NULL REFERENCES documents (doc_id),
    vendor_id TEXT NOT NULL,
    PRIMARY KEY (doc_id, vendor_id)
);

-- Automerge actor ids and the person each belongs to: changes carrying an actor of someone else are refused.
CREATE TABLE actors (
    actor TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    device TEXT NOT NULL,
    registered_at INTEGER NOT NULL
);
