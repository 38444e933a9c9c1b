-- Several passkeys per person (named, so a person can tell them apart), one-time recovery codes, and when a
-- session last proved a passkey: sensitive changes (roles, leaving, passkeys, recovery codes, tokens) need a
-- recent proof (re-authentication).
ALTER TABLE sessions ADD COLUMN verified_at INTEGER;
ALTER TABLE passkeys ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- Stored only as SHA-256 hashes of the normalised code (80 random bits each).
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_by_person ON recovery_codes (person_id);
