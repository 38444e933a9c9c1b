-- Registering a facility needs a one-time code from whoever runs the server (`mamori-server
-- registration-code`, or the one printed when the server starts with no facility): nobody can register
-- facilities on a server just by reaching it. Stored only as SHA-256 hashes; each works once, until it expires.
CREATE TABLE registration_codes (
    code_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    -- The facility it registered (no foreign key: the code is spent before the facility is written).
    used_for TEXT
);
