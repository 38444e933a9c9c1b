-- The whole schema on PostgreSQL, as the SQLite migrations 0001–0013 leave it (see ../sqlite for why each
-- table and column exists). Same tables, columns and column order, so every query reads the same on both
-- engines. Times are Unix milliseconds (BIGINT); bytes are BYTEA. Later changes get a migration in each
-- folder.

-- Document storage: each document is a sequence of chunks, oldest first (a snapshot or a run of changes).
CREATE TABLE chunks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'changes')),
    data BYTEA NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks (doc_id, seq);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    index_doc TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    email TEXT
);

CREATE TABLE memberships (
    person_id TEXT NOT NULL REFERENCES people (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'vendor')),
    vendor_id TEXT,
    ended_at BIGINT,
    PRIMARY KEY (person_id, facility_id),
    CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
);

CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX passkeys_by_person ON passkeys (person_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    device TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT,
    verified_at BIGINT
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
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by TEXT,
    revoked_at BIGINT
);

CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    form TEXT,
    vendor_id TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    kind TEXT
);
CREATE INDEX documents_by_facility ON documents (facility_id);

CREATE TABLE document_shares (
    doc_id TEXT NOT NULL REFERENCES documents (doc_id),
    vendor_id TEXT NOT NULL,
    PRIMARY KEY (doc_id, vendor_id)
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'vendor')),
    vendor_id TEXT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES people (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    expires_at BIGINT,
    CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
);

CREATE TABLE actor_owners (
    actor TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    device TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);
CREATE INDEX actor_owners_by_owner ON actor_owners (owner);

CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    doc_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    device TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    changes BYTEA NOT NULL,
    change_count BIGINT NOT NULL,
    summary TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('accepted', 'discarded')),
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX quarantine_by_facility ON quarantine (facility_id, decision);

CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_by_person ON recovery_codes (person_id);

-- The access log: seq is assigned by the appending transaction, which holds the log's advisory lock
-- (see server/src/access_log.rs), so one chain stays unbroken across instances.
CREATE TABLE access_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    device_at BIGINT,
    facility_id TEXT,
    person_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT,
    detail TEXT NOT NULL,
    device TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX access_log_by_facility ON access_log (facility_id, seq);
CREATE INDEX access_log_by_person ON access_log (person_id, seq);

CREATE TABLE registration_codes (
    code_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_for TEXT
);

CREATE TABLE files (
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    size BIGINT NOT NULL CHECK (size > 0),
    media_type TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES people (id),
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (facility_id, sha256)
);

CREATE TABLE reminder_mails (
    person_id TEXT NOT NULL REFERENCES people (id),
    facility_id TEXT NOT NULL REFERENCES facilities (id),
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'overdue')),
    key TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, facility_id, kind, key)
);

CREATE TABLE seal_keys (
    id TEXT PRIMARY KEY,
    pkcs8 BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
